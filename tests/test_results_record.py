"""`--web-record=PATH`: the plugin writes a run's events with no server, flushed per line."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from test_results_formats import run_pytest, write_suite

from pytest_web.results import open_results, read_file

pytestmark = pytest.mark.slow

PEEKING = {
    "tests/test_peek.py": """
import json
import os
import zlib


def read_record():
    data = open(os.environ["RECORD_UNDER_TEST"], "rb").read()
    if data[:2] == b"\\x1f\\x8b":
        data = zlib.decompressobj(31).decompress(data)  # no end marker yet: what is flushed
    return [json.loads(line) for line in data.decode().splitlines()]


def test_first():
    pass


def test_sees_itself_start():
    events = read_record()
    assert events[-1]["type"] == "test_start"
    assert events[-1]["nodeid"].endswith("test_sees_itself_start")
    assert any(e["type"] == "test_end" and e["nodeid"].endswith("test_first") for e in events)
""",
}


@pytest.mark.parametrize("name", ["run.jsonl", "run.jsonl.gz"])
def test_each_line_is_on_disk_before_the_next_test_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    repo = write_suite(tmp_path / "repo", PEEKING)
    record = tmp_path / name
    monkeypatch.setenv("RECORD_UNDER_TEST", str(record))
    result = run_pytest(repo, "-p", "no:randomly", f"--web-record={record}")
    assert result["counts"]["passed"] == 2, result["stdout"]
    assert open_results([str(record)]).state.summary()["passed"] == 2


def test_a_record_cut_anywhere_reads_up_to_the_cut(tmp_path: Path) -> None:
    repo = write_suite(tmp_path / "repo", PEEKING)
    record = tmp_path / "run.jsonl.gz"
    run_pytest(repo, "-k", "first", f"--web-record={record}")
    data = record.read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) - 30])  # the end marker and the last lines are gone
    results = open_results([str(cut)])
    assert results.state.status == "crashed"
    assert "tests/test_peek.py::test_first" in results.state.tests
    assert any("cut off" in line for line in results.problems)
    assert zlib.decompressobj(31).decompress(data).endswith(b"\n")


def test_both_module_names_and_xdist_record_every_test_once(tmp_path: Path) -> None:
    repo = write_suite(tmp_path / "repo", {"tests/test_a.py": "def test_a():\n    pass\n" * 1})
    (repo / "tests" / "test_b.py").write_text(
        "import pytest\n\n@pytest.mark.parametrize('n', range(6))\ndef test_b(n):\n    pass\n"
    )
    record = tmp_path / "run.jsonl"
    record.write_text("an older run's leftovers\n")  # --web-record starts the file anew
    result = run_pytest(
        repo, "-p", "pytest_web.plugin", "-n", "2", f"--web-record={record}", "--color=no"
    )
    assert result["returncode"] == 0, result["stdout"] + result["stderr"]
    events = [json.loads(line) for line in record.read_text().splitlines()]
    ends = [e["nodeid"] for e in events if e["type"] == "test_end"]
    assert sorted(ends) == sorted(set(ends)) and len(ends) == 7
    assert [e["i"] for e in events] == list(range(1, len(events) + 1))
    assert {e["worker"] for e in events if e["type"] == "test_end"} == {"gw0", "gw1"}


def test_an_unwritable_path_is_a_usage_error(tmp_path: Path) -> None:
    repo = write_suite(tmp_path / "repo", {"tests/test_a.py": "def test_a():\n    pass\n"})
    target = tmp_path / "missing-folder" / "run.jsonl"
    result = run_pytest(repo, f"--web-record={target}", check_summary=False)
    assert result["returncode"] == 4
    assert f"--web-record: cannot write {target}" in result["stderr"]


def test_an_unwritable_environment_path_warns_once_and_the_run_goes_on(tmp_path: Path) -> None:
    repo = write_suite(tmp_path / "repo", {"tests/test_a.py": "def test_a():\n    assert 0\n"})
    record = str(tmp_path / "missing" / "run.jsonl")
    result = run_pytest(repo, "-p", "pytest_web_plugin", env={"PYTEST_WEB_RECORD": record})
    assert result["counts"]["failed"] == 1 and result["returncode"] == 1
    assert result["stderr"].count(f"pytest-web: cannot record to {record}") == 1


def test_the_option_is_documented_in_pytest_help(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, "--help", check_summary=False)
    assert "--web-record=PATH" in result["stdout"]


def test_without_the_option_nothing_is_written(tmp_path: Path) -> None:
    repo = write_suite(tmp_path / "repo", {"tests/test_a.py": "def test_a():\n    pass\n"})
    before = set(repo.rglob("*"))
    run_pytest(repo)
    assert {p for p in repo.rglob("*") if p.suffix in (".jsonl", ".gz")} - before == set()
    with pytest.raises(Exception):  # noqa: B017 (nothing to read)
        read_file(str(repo / "none.jsonl"))
