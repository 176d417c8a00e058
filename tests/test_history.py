"""`pytest_web.history`: runs kept in SQLite, folded again exactly, compared test by test."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pytest_web.core.hub import Hub
from pytest_web.history import History, HistoryError, database_path, queries

PASS = [{"when": "call", "outcome": "passed", "duration": 0.01}]
FAIL = [{"when": "call", "outcome": "failed", "duration": 0.02, "longrepr": "assert 1 == 2"}]


def play(hub: Hub, outcomes: dict[str, list[dict[str, Any]]], end: bool = True) -> str:
    """A live run through the hub (which hands every batch to history), like the runner does."""
    run = hub.create_run({"k": "", "workers": 0}, ["pytest"])
    events: list[dict[str, Any]] = [
        {"type": "session_start", "i": 1, "pytest_version": "9"},
        {"type": "collection", "i": 2, "nodeids": list(outcomes)},
    ]
    for number, (nodeid, phases) in enumerate(outcomes.items(), start=3):
        events.append({"type": "test_end", "i": number, "nodeid": nodeid, "phases": phases})
    hub.publish(run, events)
    hub.publish(run, [{"type": "output", "text": "== 1 failed ==\n"}])
    if end:
        hub.publish(run, [{"type": "session_end", "i": 999, "exitstatus": 1}])
        hub.publish(run, [{"type": "run_exit", "returncode": 1, "time": 2.0}])
    return run.id


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(tmp_path / "history.sqlite3")


@pytest.fixture
def hub(history: History) -> Hub:
    return Hub(keep=1, sink=history.record)


def test_a_kept_run_folds_again_to_the_same_state(hub: Hub, history: History) -> None:
    run_id = play(hub, {"t.py::a": PASS, "t.py::b": FAIL})
    live = hub.get(run_id).state
    again = queries.load_run(history, run_id)
    assert again is not None
    assert again.as_json() == live.as_json()
    assert again.seq == live.seq and again.output == live.output == "== 1 failed ==\n"
    assert again.tests["t.py::b"].longrepr == "assert 1 == 2"


def test_runs_are_listed_newest_first_with_pytest_counts(hub: Hub, history: History) -> None:
    first = play(hub, {"t.py::a": PASS})
    second = play(hub, {"t.py::a": FAIL, "t.py::b": PASS})
    rows = queries.run_rows(history)
    assert [r["id"] for r in rows] == [second, first]
    assert rows[0]["counts"] == {
        "passed": 1,
        "failed": 1,
        "error": 0,
        "skipped": 0,
        "xfailed": 0,
        "xpassed": 0,
        "rerun": 0,
    }
    assert rows[0]["status"] == "finished" and rows[0]["test_count"] == 2
    assert rows[0]["kind"] == "live" and rows[0]["selection"] == {"k": "", "workers": 0}


def test_events_wait_in_memory_until_a_flush(hub: Hub, history: History) -> None:
    run_id = play(hub, {"t.py::a": PASS}, end=False)
    count = "SELECT COUNT(*) FROM batches"
    assert history.db.execute(count).fetchone()[0] == 0  # batched, not one write per event
    history.flush()
    assert history.db.execute(count).fetchone()[0] == 1
    assert queries.load_run(history, run_id).tests["t.py::a"].outcome == "passed"


def test_output_after_the_end_is_not_kept_twice(hub: Hub, history: History) -> None:
    run_id = play(hub, {"t.py::a": PASS})
    hub.publish(hub.get(run_id), [{"type": "output", "text": "late daemon output"}])
    assert len(queries.run_rows(history)) == 1
    assert "late" not in queries.load_run(history, run_id).output


def test_a_run_left_running_is_interrupted_on_the_next_start(
    hub: Hub, history: History, tmp_path: Path
) -> None:
    run_id = play(hub, {"t.py::a": PASS, "t.py::b": []}, end=False)
    hub.publish(hub.get(run_id), [{"type": "test_start", "i": 50, "nodeid": "t.py::b"}])
    history.flush()  # then the server dies: no run_exit
    reopened = History(tmp_path / "history.sqlite3")
    assert reopened.mark_interrupted() == [run_id]
    state = queries.load_run(reopened, run_id)
    assert state.status == "interrupted"
    assert state.tests["t.py::a"].outcome == "passed"
    assert state.tests["t.py::b"].outcome == "notrun"
    assert queries.run_rows(reopened)[0]["status"] == "interrupted"
    assert reopened.mark_interrupted() == []


def test_changes_name_new_failures_fixed_and_flaky(hub: Hub, history: History) -> None:
    play(hub, {"t.py::breaks": PASS, "t.py::fixed": FAIL, "t.py::flaky": PASS})
    play(hub, {"t.py::breaks": PASS, "t.py::fixed": FAIL, "t.py::flaky": FAIL})
    last = play(
        hub,
        {"t.py::breaks": FAIL, "t.py::fixed": PASS, "t.py::flaky": PASS, "t.py::new": FAIL},
    )
    found = queries.changes(history, last)
    assert found.new_failures == ["t.py::breaks", "t.py::new"]
    assert found.fixed == ["t.py::fixed"]
    assert found.flaky == ["t.py::flaky"]  # pass, fail, pass: two flips; one flip is a change
    assert found.still_failing == [] and found.new_tests == 1 and found.compared == 3
    outcomes = queries.outcomes_of_test(history, "t.py::flaky")
    assert [o["outcome"] for o in outcomes] == ["passed", "failed", "passed"]
    assert outcomes[0]["run"] == last


def test_not_run_tests_leave_no_outcome(hub: Hub, history: History) -> None:
    run_id = play(hub, {"t.py::a": PASS, "t.py::never": []})
    assert queries.outcomes_of_test(history, "t.py::never") == []
    assert queries.load_run(history, run_id).tests["t.py::never"].outcome == "notrun"


def test_old_runs_are_pruned_whole(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3", keep=2)
    hub = Hub(keep=1, sink=history.record)
    ids = [play(hub, {"t.py::a": PASS}) for _ in range(4)]
    assert [r["id"] for r in queries.run_rows(history)] == ids[:1:-1]
    assert queries.load_run(history, ids[0]) is None
    assert len(queries.outcomes_of_test(history, "t.py::a")) == 2
    batches = history.db.execute("SELECT COUNT(DISTINCT run_n) FROM batches").fetchone()[0]
    assert batches == 2


def test_the_hub_keeps_few_runs_in_memory_but_never_drops_the_current() -> None:
    hub = Hub(keep=2)
    ids = [play(hub, {"t.py::a": PASS}) for _ in range(3)]
    assert list(hub.runs) == ids[1:]
    assert hub.current is hub.runs[ids[-1]]


def test_a_failing_disk_never_fails_the_run(hub: Hub, history: History) -> None:
    history.db.close()  # every write now raises sqlite3.ProgrammingError
    run_id = play(hub, {"t.py::a": PASS})
    assert hub.get(run_id).state.status == "finished"
    assert "run history not saved" in history.problem


def test_a_history_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(HistoryError, match="cannot use"):
        History(path)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    sqlite3.connect(path).execute("PRAGMA user_version=99").connection.close()
    with pytest.raises(HistoryError, match="newer pytest-web"):
        History(path)


def test_each_repository_has_its_own_file(tmp_path: Path) -> None:
    one, two = tmp_path / "a" / "app", tmp_path / "b" / "app"
    assert database_path(tmp_path, one) != database_path(tmp_path, two)
    assert database_path(tmp_path, one).parent.name.startswith("app-")


def test_flaky_needs_two_flips() -> None:
    assert not queries.is_flaky(["failed", "passed", "passed"])
    assert queries.is_flaky(["failed", "passed", "failed"])
    assert queries.is_flaky(["passed", "skipped", "error", "passed"])  # skips do not count


def test_a_second_server_on_the_same_history_leaves_the_first_ones_run(
    hub: Hub, history: History, tmp_path: Path
) -> None:
    assert history.claim()
    run_id = play(hub, {"t.py::a": PASS}, end=False)
    history.flush()
    second = History(tmp_path / "history.sqlite3")
    assert not second.claim()  # the first server still holds its lock: its run is not ours
    assert queries.run_rows(second)[0]["status"] == "running"
    history._lock_file.close()  # the first server stops
    third = History(tmp_path / "history.sqlite3")
    second._lock_file.close()
    assert third.claim() and third.mark_interrupted() == [run_id]
