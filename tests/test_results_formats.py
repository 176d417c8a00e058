"""Result files made by real pytest runs read back to pytest's own summary counts.

One run per worker count writes all three formats at once (`--web-record` .gz, `--report-log`,
`--junitxml`); each file alone must fold to the counts pytest printed. JUnit cannot tell an
xpass from a pass, so there the xpassed test counts as passed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_web.results import open_results, read_file
from support import summary_of

pytestmark = pytest.mark.slow

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "plugin"
COUNTED = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")

SUITE = {
    "tests/test_basic.py": """
import sys

import pytest


def test_pass():
    print("out <script>alert(1)</script> &amp;")


def test_fail():
    assert 1 == 2


@pytest.fixture
def broken_setup():
    raise RuntimeError("setup broke")


@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke")


def test_setup_error(broken_setup):
    pass


def test_teardown_error(broken_teardown):
    pass


def test_fail_and_teardown_error(broken_teardown):
    assert 0


def test_skip():
    pytest.skip("not here")


@pytest.mark.xfail(reason="known")
def test_xfail():
    assert 0


@pytest.mark.xfail(reason="known")
def test_xpass():
    pass


@pytest.mark.xfail(reason="strict", strict=True)
def test_xpass_strict():
    pass


@pytest.mark.parametrize("n", [1, 2, 3])
def test_param(n):
    assert n != 3


class TestGroup:
    def test_method(self):
        print("to stderr", file=sys.stderr)
""",
    "tests/test_modskip.py": "import pytest\npytest.skip('module', allow_module_level=True)\n",
    "tests/test_broken.py": "def test_x(:\n    pass\n",
}


def write_suite(root: Path, files: dict[str, str] = SUITE) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"))
    return root


def run_pytest(
    repo: Path, *args: str, check_summary: bool = True, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Plain pytest with our plugin and pytest-reportlog loaded (no other plugins)."""
    extra = env or {}
    env = {**os.environ, "PYTHONPATH": str(PLUGIN_DIR), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    for name in ("PYTEST_WEB_URL", "PYTEST_WEB_RUN", "PYTEST_WEB_SECRET", "PYTEST_WEB_RECORD"):
        env.pop(name, None)
    env.update(extra)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "xdist"]
        + ["-p", "pytest_reportlog.plugin", "-p", "pytest_web_plugin", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    result = {"stdout": done.stdout, "stderr": done.stderr, "returncode": done.returncode}
    if check_summary:
        result["counts"] = summary_of(done.stdout)
    return result


@pytest.fixture(scope="module", params=[0, 2], ids=["n0", "n2"])
def ci_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One CI-style run of the suite writing all three formats."""
    root = tmp_path_factory.mktemp(f"ci{request.param}")
    repo = write_suite(root / "repo")
    files = {"record": root / "run.jsonl.gz", "reportlog": root / "run.rl.jsonl"}
    files["junit"] = root / "run.xml"
    result = run_pytest(
        repo,
        "-n",
        str(request.param),
        "--continue-on-collection-errors",
        "-o",
        "junit_logging=all",
        f"--web-record={files['record']}",
        f"--report-log={files['reportlog']}",
        f"--junitxml={files['junit']}",
    )
    assert result["returncode"] == 1, result["stdout"] + result["stderr"]
    return {**result, "files": files, "workers": request.param}


def test_the_suite_has_every_outcome(ci_run: dict) -> None:
    assert all(ci_run["counts"][name] for name in COUNTED), ci_run["counts"]


@pytest.mark.parametrize("kind", ["record", "reportlog", "junit"])
def test_each_format_counts_like_pytest(ci_run: dict, kind: str) -> None:
    results = open_results([str(ci_run["files"][kind])])
    assert results.problems == []
    expected = dict(ci_run["counts"])
    if kind == "junit":  # JUnit has no xpass: a non-strict xpass is a plain pass there
        expected["passed"] += expected.pop("xpassed")
        expected["xpassed"] = 0
    assert results.state.summary() == expected
    assert results.state.status == "finished"


@pytest.mark.parametrize("kind", ["record", "reportlog", "junit"])
def test_each_format_keeps_tracebacks_output_and_node_ids(ci_run: dict, kind: str) -> None:
    state = open_results([str(ci_run["files"][kind])]).state
    fail = state.tests["tests/test_basic.py::test_fail"]
    assert fail.outcome == "failed" and "assert 1 == 2" in fail.longrepr
    assert state.tests["tests/test_basic.py::TestGroup::test_method"].outcome == "passed"
    assert state.tests["tests/test_basic.py::test_param[3]"].outcome == "failed"
    double = state.tests["tests/test_basic.py::test_fail_and_teardown_error"]
    assert double.categories == ["failed", "error"] and "teardown broke" in double.longrepr
    assert state.tests["tests/test_modskip.py"].outcome == "skipped"
    assert [e["nodeid"] for e in state.collect_errors] == ["tests/test_broken.py"]
    assert "SyntaxError" in state.collect_errors[0]["message"] or kind == "junit"
    output = "\n".join(text for _, text in state.tests["tests/test_basic.py::test_pass"].sections)
    assert "<script>alert(1)</script>" in output
    assert fail.source == str(ci_run["files"][kind])


def test_a_recording_knows_the_workers_and_exit_status(ci_run: dict) -> None:
    state = read_file(str(ci_run["files"]["record"]))
    ends = [e for e in state.events if e["type"] == "test_end"]
    workers = {e["worker"] for e in ends if e["worker"]}
    assert bool(workers) == (ci_run["workers"] > 0)
    merged = open_results([str(ci_run["files"]["record"])]).state
    assert merged.exitstatus == 1 and merged.pytest_version == pytest.__version__
