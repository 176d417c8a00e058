"""Reading history: the runs, one run folded again from its events, a test's last outcomes,
and what changed in a run against each test's previous outcome."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pytest_web.core.fold import RunState
from pytest_web.core.outcomes import FAILED, PASSING
from pytest_web.core.run_data import elapsed
from pytest_web.history.store import load_events
from pytest_web.history.writer import History

RECENT = 10
"""Outcomes a test's history shows, and over which flaky tests are found."""


@dataclass
class Changes:
    """A finished run against each of its tests' previous outcome (in any earlier run)."""

    new_failures: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    still_failing: list[str] = field(default_factory=list)
    new_tests: int = 0
    compared: int = 0
    """Tests that had an earlier outcome to compare with."""
    flaky: list[str] = field(default_factory=list)
    """Tests of this run whose last outcomes (this one included) flip between pass and fail."""

    def as_json(self) -> dict[str, Any]:
        return {
            "new_failures": self.new_failures,
            "fixed": self.fixed,
            "still_failing": self.still_failing,
            "new_tests": self.new_tests,
            "compared": self.compared,
            "flaky": self.flaky,
        }


def load_run(history: History, run_id: str) -> RunState | None:
    """A kept run, folded from its events exactly as it was folded live."""
    history.flush()
    with history.lock:
        row = history.db.execute("SELECT n, kind FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        state = RunState(run_id, kind=row[1])
        for event in load_events(history.db, row[0]):
            state.apply(event)
    return state


def run_rows(history: History, limit: int = 200) -> list[dict[str, Any]]:
    """The newest runs first, as `GET /api/runs` lists them."""
    with history.lock:
        rows = history.db.execute(
            "SELECT id, kind, status, created, finished, exitstatus, selection, command, counts,"
            " tests, flaky FROM runs ORDER BY n DESC LIMIT ?",
            (limit,),
        ).fetchall()
    runs = []
    for row in rows:
        run_id, kind, status, created, finished, exitstatus, selection, command, counts = row[:9]
        runs.append(
            {
                "id": run_id,
                "kind": kind,
                "status": status,
                "exitstatus": exitstatus,
                "counts": json.loads(counts),
                "created": created,
                "finished": finished,
                "duration": elapsed(created, finished, None),
                "selection": json.loads(selection),
                "command": json.loads(command),
                "test_count": row[9],
                "flaky": row[10],
            }
        )
    return runs


def outcomes_of_test(history: History, nodeid: str, limit: int = RECENT) -> list[dict[str, Any]]:
    """A test's last outcomes, newest first: run id, when, outcome, duration."""
    with history.lock:
        rows = history.db.execute(
            "SELECT r.id, r.created, o.outcome, o.duration FROM outcomes o"
            " JOIN tests t ON t.id = o.test JOIN runs r ON r.n = o.run_n"
            " WHERE t.nodeid = ? ORDER BY o.run_n DESC LIMIT ?",
            (nodeid, limit),
        ).fetchall()
    return [{"run": r[0], "created": r[1], "outcome": r[2], "duration": r[3]} for r in rows]


def is_flaky(outcomes: list[str]) -> bool:
    """Flipped between failing and passing at least twice: one flip is a break or a fix."""
    failing = [o in FAILED for o in outcomes if o in FAILED or o in PASSING]
    return sum(a != b for a, b in zip(failing, failing[1:], strict=False)) >= 2


def changes(history: History, run_id: str) -> Changes | None:
    """What changed in a finished live run; None for unknown, running or result-file runs."""
    key = ("changes", run_id)
    if key in history.answers:
        known: Changes = history.answers[key]
        return known
    with history.lock:
        row = history.db.execute(
            "SELECT n, status, kind FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        if row is None or row[1] == "running" or row[2] != "live":
            return None
        rows = history.db.execute(
            "SELECT t.nodeid, o.outcome,"
            " (SELECT group_concat(outcome) FROM (SELECT p.outcome FROM outcomes p"
            "   WHERE p.test = o.test AND p.run_n < o.run_n ORDER BY p.run_n DESC LIMIT ?))"
            " FROM outcomes o JOIN tests t ON t.id = o.test WHERE o.run_n = ? ORDER BY t.nodeid",
            (RECENT - 1, row[0]),
        ).fetchall()
    found = Changes()
    for nodeid, outcome, earlier in rows:
        before = earlier.split(",") if earlier else []
        if not before:
            found.new_tests += 1
        else:
            found.compared += 1
        if is_flaky([outcome, *before]):  # its flips are noise, not news
            found.flaky.append(nodeid)
        elif outcome in FAILED:
            failed_before = bool(before) and before[0] in FAILED
            (found.still_failing if failed_before else found.new_failures).append(nodeid)
        elif outcome in PASSING and before and before[0] in FAILED:
            found.fixed.append(nodeid)
    if len(history.answers) > 100:
        history.answers.clear()
    history.answers[key] = found
    return found
