"""Keeping CI runs (the dashboard's): the row that names a run (project, run key, branch,
commit, link, shards) and, once it ends, which of its tests failed and passed within it.

Written by `writer.History` in its own transactions; read by `ci_queries`.
"""

from __future__ import annotations

import json
import sqlite3

from pytest_web.core.fold import RunState


def insert_ci_run(db: sqlite3.Connection, run_n: int, state: RunState) -> None:
    """A new CI run's row: its project and run key (unique together)."""
    db.execute(
        "INSERT OR IGNORE INTO ci_runs (run_n, project, run_key) VALUES (?, ?, ?)",
        (run_n, state.ci.project, state.ci.run_key),
    )


def finish_ci_run(db: sqlite3.Connection, run_n: int, state: RunState) -> None:
    """What the run's shards said (branch, commit, link) and its shards' states, and the tests
    that failed and passed within it. Written again if a late shard ends it again."""
    ci = state.ci
    shards = json.dumps([s.as_json() for s in ci.shards.values()])
    db.execute(
        "UPDATE ci_runs SET branch = ?, sha = ?, url = ?, shards = ? WHERE run_n = ?",
        (ci.branch, ci.commit, ci.url, shards, run_n),
    )
    flaky = [(t.nodeid,) for t in state.tests.values() if t.flaky]
    db.executemany("INSERT OR IGNORE INTO tests (nodeid) VALUES (?)", flaky)
    db.executemany(
        "INSERT OR IGNORE INTO ci_flaky (test, run_n) SELECT id, ? FROM tests WHERE nodeid = ?",
        ((run_n, nodeid) for (nodeid,) in flaky),
    )


def resume_numbers(db: sqlite3.Connection, run_id: str, running: bool) -> tuple[int, int] | None:
    """A kept CI run's row number and the number of its next batch: it goes on after the server
    restarts, or after it ended and a late shard arrived (`running`: its row says so again)."""
    row = db.execute(
        "SELECT n, (SELECT COALESCE(MAX(k), -1) FROM batches WHERE run_n = n) FROM runs"
        " WHERE id = ? AND kind = 'ci'",
        (run_id,),
    ).fetchone()
    if row is None:
        return None
    if running:
        db.execute("UPDATE runs SET status = 'running', finished = NULL WHERE n = ?", (row[0],))
    return int(row[0]), int(row[1]) + 1
