"""`open_results` folds each file as it is read: the same run as files read whole and then
merged, and a file refused partway (its first events already folded) is left out entirely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_web.results import merge, open_results, read_file


def recording(path: Path, start: float, tests: list[str], bad_line: int | None = None) -> str:
    """A recording of `tests` (each passes), its session at `start`; a broken line at
    `bad_line` when asked."""
    events: list[dict[str, Any]] = [
        {"type": "session_start", "time": start, "rootdir": "/repo"},
        {"type": "collection", "nodeids": tests},
    ]
    for nodeid in tests:
        call = {"when": "call", "outcome": "passed", "duration": 0.25}
        events.append({"type": "test_end", "nodeid": nodeid, "phases": [call]})
    events.append({"type": "session_end", "time": start + 60, "exitstatus": 0})
    lines = [json.dumps({**e, "i": n}) for n, e in enumerate(events, start=1)]
    if bad_line is not None:
        lines[bad_line] = '{"type": "test_end", "nodeid": '
    path.write_text("\n".join(lines) + "\n")
    return str(path)


JUNIT = """<?xml version="1.0"?><testsuites><testsuite name="pytest" timestamp="2020-01-01T00:00:00"
time="5"><testcase classname="tests.test_j" name="test_x" time="0.5"><failure message="no">
boom</failure></testcase><testcase classname="tests.test_j" name="test_y" time="0.1"/>
</testsuite></testsuites>"""


def test_files_folded_as_read_give_the_run_of_files_read_whole(tmp_path: Path) -> None:
    late = recording(tmp_path / "late.jsonl", 2_000_000_000.0, ["t/a.py::test_1", "t/a.py::test_2"])
    early = recording(tmp_path / "early.jsonl", 1_000_000_000.0, ["t/b.py::test_3"])
    (tmp_path / "j.xml").write_text(JUNIT)
    paths = [late, early, str(tmp_path / "j.xml")]
    streamed = open_results(paths).state
    whole = merge([read_file(p) for p in paths])
    assert streamed is not None
    assert streamed.summary() == whole.summary() == {**streamed.summary(), "passed": 4, "failed": 1}
    assert list(streamed.tests) == list(whole.tests)
    assert streamed.created == whole.created == 1_000_000_000.0  # the earliest, not the first
    assert streamed.finished == whole.finished == 2_000_000_060.0
    assert streamed.selection == whole.selection == {"files": paths}
    assert streamed.status == whole.status == "finished"
    assert streamed.exitstatus == whole.exitstatus == 1  # JUnit's failure, inferred
    assert [t.phases for t in streamed.tests.values()] == [t.phases for t in whole.tests.values()]


def test_a_file_refused_partway_is_left_out_and_the_others_shown(tmp_path: Path) -> None:
    good = recording(tmp_path / "good.jsonl", 1e9, ["t/a.py::test_1"])
    bad = recording(tmp_path / "bad.jsonl", 1e9, ["t/b.py::test_2", "t/b.py::test_3"], bad_line=3)
    results = open_results([good, bad])
    assert [e.path for e in results.errors] == [bad] and "line 4" in results.errors[0].reason
    assert results.state is not None and list(results.state.tests) == ["t/a.py::test_1"]
    assert results.state.selection == {"files": [good]}
    assert [f.path for f in results.files] == [good]


def test_a_single_file_refused_partway_shows_nothing(tmp_path: Path) -> None:
    bad = recording(tmp_path / "bad.jsonl", 1e9, ["t/b.py::test_2", "t/b.py::test_3"], bad_line=3)
    results = open_results([bad])
    assert results.state is None and results.files == []
    assert [e.path for e in results.errors] == [bad]


def test_a_file_refused_when_opened_leaves_the_others_folded_as_read(tmp_path: Path) -> None:
    good = recording(tmp_path / "good.jsonl", 1e9, ["t/a.py::test_1"])
    (tmp_path / "notes.txt").write_text("hello")
    results = open_results([str(tmp_path / "missing.xml"), good, str(tmp_path / "notes.txt")])
    assert len(results.errors) == 2 and results.state is not None
    assert results.state.summary()["passed"] == 1 and results.state.status == "finished"
