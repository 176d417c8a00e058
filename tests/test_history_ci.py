"""CI runs in history (the dashboard's): kept per project, going on after a restart or a late
shard, compared with the same branch's previous run, and flaky tests found on a commit or a
branch."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from pytest_web.core.fold import RunState
from pytest_web.history import History
from pytest_web.history.ci_queries import (
    ci_changes,
    ci_run_rows,
    find_ci_run,
    flaky_tests,
    outcomes_of_ci_test,
    projects,
)
from pytest_web.history.queries import load_run

_numbers = itertools.count()


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(tmp_path / "dashboard" / "history.sqlite3")


def shard(name: str, results: dict[str, Any], branch: str, sha: str) -> list[dict[str, Any]]:
    """One shard's whole session; a result is an outcome or a list of them (attempts)."""
    info = {"shard": name, "session": name, "branch": branch, "commit": sha}
    events: list[dict[str, Any]] = [{"type": "session_start", "time": 1.0, "ci": info}]
    for nodeid, outcomes in results.items():
        for outcome in outcomes if isinstance(outcomes, list) else [outcomes]:
            phase = {"when": "call", "outcome": outcome, "duration": 0.1}
            events.append({"type": "test_end", "nodeid": nodeid, "phases": [phase]})
    events.append({"type": "session_end", "exitstatus": 0, "time": 2.0})
    return [{**e, "i": n, "source": name} for n, e in enumerate(events, 1)]


def keep(
    history: History,
    results: dict[str, Any],
    branch: str = "main",
    sha: str = "",
    project: str = "acme/shop",
    end: bool = True,
) -> RunState:
    """A one-shard CI run folded and kept as the dashboard keeps it."""
    state = RunState(f"ci-{next(_numbers)}")
    run_key = state.id
    sha = sha or f"sha-{state.id}"
    events: list[Any] = [
        {
            "type": "run_created",
            "kind": "ci",
            "time": 1.0,
            "ci": {"project": project, "run_key": run_key},
        },
        *shard("1", results, branch, sha),
    ]
    if not end:
        events.pop()
    for event in events:
        state.apply(event)
        history.record(state, [event])
    history.flush()
    return state


def test_ci_runs_are_listed_by_project_and_branch(history: History) -> None:
    first = keep(history, {"t.py::a": "passed"})
    other = keep(history, {"t.py::a": "failed"}, project="acme/other")
    feature = keep(history, {"t.py::a": "passed"}, branch="feature")
    assert projects(history) == ["acme/shop", "acme/other"]
    rows = ci_run_rows(history, project="acme/shop")
    assert [r["id"] for r in rows] == [feature.id, first.id]
    assert [r["id"] for r in ci_run_rows(history, branch="feature")] == [feature.id]
    row = ci_run_rows(history, project="acme/other")[0]
    assert row["id"] == other.id and row["kind"] == "ci" and row["status"] == "finished"
    assert row["counts"]["failed"] == 1 and row["branch"] == "main"
    assert row["shards"][0]["name"] == "1" and row["shards"][0]["status"] == "finished"
    assert find_ci_run(history, "acme/other", other.ci.run_key) == other.id
    assert find_ci_run(history, "acme/shop", other.ci.run_key) is None


def test_a_running_ci_run_is_not_interrupted_by_a_restart(history: History) -> None:
    state = keep(history, {"t.py::a": "passed"}, end=False)
    again = History(history.path)
    assert again.mark_interrupted() == []
    loaded = load_run(again, state.id)
    assert loaded is not None and loaded.status == "running"
    end = {"type": "session_end", "exitstatus": 0, "time": 3.0, "i": 99, "source": "1"}
    loaded.apply(end)  # type: ignore[arg-type]
    again.record(loaded, [end])  # type: ignore[list-item]
    assert load_run(again, state.id).status == "finished"  # type: ignore[union-attr]
    assert ci_run_rows(again)[0]["status"] == "finished"


def test_a_late_shard_reopens_a_kept_run_and_is_kept_too(history: History) -> None:
    state = keep(history, {"t.py::a": "passed"})
    for event in shard("2", {"t.py::b": "failed"}, "main", state.ci.commit):
        state.apply(event)  # type: ignore[arg-type]
        history.record(state, [event])  # type: ignore[list-item]
    loaded = load_run(history, state.id)
    assert loaded is not None and loaded.summary() == state.summary()
    assert loaded.summary()["failed"] == 1 and loaded.status == "finished"
    assert ci_run_rows(history)[0]["counts"]["failed"] == 1


def test_new_failures_are_against_the_same_branchs_previous_run(history: History) -> None:
    keep(history, {"t.py::a": "passed", "t.py::b": "failed", "t.py::c": "failed"})
    keep(history, {"t.py::a": "failed"}, branch="feature")  # another branch: not compared
    state = keep(history, {"t.py::a": "failed", "t.py::b": "failed", "t.py::c": "passed"})
    found = ci_changes(history, state.id)
    assert found is not None
    assert found.new_failures == ["t.py::a"]
    assert found.still_failing == ["t.py::b"]
    assert found.fixed == ["t.py::c"]
    assert found.compared == 3 and found.new_tests == 0


def test_a_running_ci_run_has_no_changes_yet(history: History) -> None:
    state = keep(history, {"t.py::a": "passed"}, end=False)
    assert ci_changes(history, state.id) is None


def test_failed_and_passed_on_one_commit_is_flaky(history: History) -> None:
    keep(history, {"t.py::a": "failed", "t.py::b": "passed"}, sha="abc")
    state = keep(history, {"t.py::a": "passed", "t.py::b": "failed"}, sha="abc")
    found = ci_changes(history, state.id)
    assert found is not None
    assert found.flaky == ["t.py::a", "t.py::b"] and found.new_failures == []
    assert {t["nodeid"] for t in flaky_tests(history, "acme/shop")} == {"t.py::a", "t.py::b"}


def test_failed_and_passed_within_one_run_is_flaky(history: History) -> None:
    state = keep(history, {"t.py::a": ["failed", "passed"], "t.py::b": "passed"}, sha="one")
    found = ci_changes(history, state.id)
    assert found is not None and found.flaky == ["t.py::a"]
    outcomes = outcomes_of_ci_test(history, "acme/shop", "t.py::a")
    assert outcomes == [
        {
            "run": state.id,
            "created": 1.0,
            "outcome": "passed",
            "duration": 0.1,
            "branch": "main",
            "commit": "one",
            "flaky": True,
        }
    ]


def test_flips_across_a_branchs_last_runs_are_flaky(history: History) -> None:
    for outcome in ("passed", "failed", "passed", "failed"):
        state = keep(history, {"t.py::a": outcome, "t.py::steady": "failed"}, branch="main")
    found = ci_changes(history, state.id)
    assert found is not None
    assert found.flaky == ["t.py::a"] and found.still_failing == ["t.py::steady"]
    assert outcomes_of_ci_test(history, "acme/other", "t.py::a") == []
