"""Several result files are one run: shards merge by node id, every attempt is kept with its
file, and a test that failed in one attempt and passed in another is flaky."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_results_formats import run_pytest, summary_of, write_suite

from pytest_web.core.shards import exit_status
from pytest_web.results import open_results

SHARDED = {
    "tests/test_one.py": "def test_a():\n    pass\n\ndef test_b():\n    assert 0\n",
    "tests/test_two.py": "import pytest\n\ndef test_c():\n    pass\n\n"
    "@pytest.mark.skip(reason='no')\ndef test_d():\n    pass\n",
    "tests/test_flaky.py": "import os\n\ndef test_sometimes():\n"
    "    marker = os.environ['FLAKY_MARKER']\n"
    "    if not os.path.exists(marker):\n"
    "        open(marker, 'w').close()\n"
    "        raise AssertionError('first time fails')\n",
}


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Shard 1 (test_one) as JUnit, shard 2 (test_two) as a recording, and test_flaky run twice
    (failed, then passed) as pytest-reportlog and a recording."""
    root = tmp_path_factory.mktemp("shards")
    repo = write_suite(root / "repo", SHARDED)
    files = {name: root / name for name in ("one.xml", "two.jsonl", "flaky1.jsonl", "flaky2.gz")}
    one = run_pytest(repo, "tests/test_one.py", f"--junitxml={files['one.xml']}")
    two = run_pytest(repo, "-n", "2", "tests/test_two.py", f"--web-record={files['two.jsonl']}")
    import os

    os.environ["FLAKY_MARKER"] = str(root / "marker")
    try:
        first = run_pytest(repo, "tests/test_flaky.py", f"--report-log={files['flaky1.jsonl']}")
        second = run_pytest(repo, "tests/test_flaky.py", f"--web-record={files['flaky2.gz']}")
    finally:
        del os.environ["FLAKY_MARKER"]
    assert first["counts"]["failed"] == 1 and second["counts"]["passed"] == 1
    return {"files": files, "runs": [one, two, first, second]}


@pytest.mark.slow
def test_shards_merge_into_one_run_with_the_summed_counts(shards: dict) -> None:
    files = shards["files"]
    results = open_results([str(files["one.xml"]), str(files["two.jsonl"])])
    assert results.problems == []
    one, two = shards["runs"][:2]
    expected = {k: one["counts"][k] + two["counts"][k] for k in one["counts"]}
    assert results.state.summary() == expected
    assert results.state.status == "finished" and results.state.exitstatus == 1
    assert list(results.state.tests) == [
        "tests/test_one.py::test_a",
        "tests/test_one.py::test_b",
        "tests/test_two.py::test_c",
        "tests/test_two.py::test_d",
    ]


@pytest.mark.slow
def test_each_test_names_the_file_it_came_from(shards: dict) -> None:
    files = shards["files"]
    state = open_results([str(files["one.xml"]), str(files["two.jsonl"])]).state
    assert state.tests["tests/test_one.py::test_b"].source == str(files["one.xml"])
    assert state.tests["tests/test_two.py::test_d"].source == str(files["two.jsonl"])
    data = state.as_json()["tests"][0]
    assert data["source"] == str(files["one.xml"]) and data["attempts"] == 1


@pytest.mark.slow
def test_a_test_that_failed_then_passed_is_flaky_and_keeps_both_attempts(shards: dict) -> None:
    files = shards["files"]
    state = open_results([str(files["flaky1.jsonl"]), str(files["flaky2.gz"])]).state
    test = state.tests["tests/test_flaky.py::test_sometimes"]
    assert test.flaky and [t.nodeid for t in state.flaky] == [test.nodeid]
    assert [(a.source, a.outcome) for a in test.attempts] == [
        (str(files["flaky1.jsonl"]), "failed"),
        (str(files["flaky2.gz"]), "passed"),
    ]
    assert "first time fails" in "".join(p.get("longrepr", "") for p in test.attempts[0].phases)
    assert test.outcome == "passed"  # the last attempt stands for the test
    assert state.summary()["passed"] == 1 and state.summary()["failed"] == 0


@pytest.mark.slow
def test_a_test_reported_twice_by_two_shards_keeps_both_attempts(shards: dict) -> None:
    files = shards["files"]
    state = open_results([str(files["one.xml"]), str(files["one.xml"].with_name("copy.xml"))])
    assert state.errors and "copy.xml" in state.errors[0].path  # not there: refused, named
    copy = files["one.xml"].with_name("copy.xml")
    copy.write_bytes(files["one.xml"].read_bytes())
    state = open_results([str(files["one.xml"]), str(copy)]).state
    test = state.tests["tests/test_one.py::test_b"]
    assert [a.source for a in test.attempts] == [str(files["one.xml"]), str(copy)]
    assert not test.flaky and state.summary()["failed"] == 1


@pytest.mark.slow
def test_the_same_file_twice_is_read_once(shards: dict) -> None:
    path = str(shards["files"]["one.xml"])
    state = open_results([path, path]).state
    test = state.tests["tests/test_one.py::test_a"]
    assert test.source == path and test.attempts == ()  # one attempt: the test itself
    assert state.as_json()["tests"][0]["attempts"] == 1


@pytest.mark.slow
def test_a_crashed_shard_makes_the_merged_run_crashed(shards: dict, tmp_path: Path) -> None:
    whole = shards["files"]["two.jsonl"].read_text().splitlines()
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(line for line in whole if '"session_end"' not in line) + "\n")
    results = open_results([str(shards["files"]["one.xml"]), str(cut)])
    assert results.state.status == "crashed"
    assert any("no session end" in line and str(cut) in line for line in results.problems)


def test_exit_status_of_several_sessions() -> None:
    assert exit_status([0, 0]) == 0
    assert exit_status([0, 1]) == 1
    assert exit_status([5, 0]) == 0
    assert exit_status([5, 5]) == 5
    assert exit_status([1, 2]) == 2
    assert exit_status([]) is None


def test_summary_line_parsing() -> None:
    line = "1 failed, 2 passed, 3 skipped, 4 xfailed, 5 xpassed, 6 errors, 7 warnings in 1.0s"
    assert summary_of(line) == {
        "passed": 2,
        "failed": 1,
        "error": 6,
        "skipped": 3,
        "xfailed": 4,
        "xpassed": 5,
        "rerun": 0,
    }


def test_two_recordings_keep_each_others_attempts(tmp_path: Path) -> None:
    """Both files number their events from 1: the second file's are not repeats of the first's
    (the fold once dropped every event of the second file numbered below the first's last)."""

    def recording(name: str, outcome: str) -> str:
        events = [
            {"type": "session_start", "pytest_version": "9", "rootdir": "/r", "time": 1.0},
            {"type": "collection", "nodeids": ["t.py::a"]},
            {"type": "test_start", "nodeid": "t.py::a", "location": ["t.py", 0, "a"]},
            {
                "type": "test_end",
                "nodeid": "t.py::a",
                "phases": [{"when": "call", "outcome": outcome, "duration": 0.1}],
            },
            {"type": "session_end", "exitstatus": int(outcome == "failed"), "time": 2.0},
        ]
        path = tmp_path / name
        lines = (json.dumps({**e, "i": n}) for n, e in enumerate(events, 1))
        path.write_text("\n".join(lines) + "\n")
        return str(path)

    results = open_results([recording("one.jsonl", "failed"), recording("two.jsonl", "passed")])
    assert results.state is not None
    test = results.state.tests["t.py::a"]
    assert [a.outcome for a in test.attempts] == ["failed", "passed"]
    assert test.flaky and results.state.status == "finished"
