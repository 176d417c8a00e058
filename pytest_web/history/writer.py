"""Run history: every run's events kept in SQLite, batched so keeping them costs the run nothing.

The hub hands each published batch to `History.record` after folding it. Events wait in memory
and a writer thread stores them every `FLUSH_SECONDS` (or at `FLUSH_EVENTS`); a run's end is
written at once, with its summary row and one outcome per test. Reads are in `queries`.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from pytest_web.core.events import Event, RunExit
from pytest_web.core.fold import RunState
from pytest_web.core.outcomes import has_result
from pytest_web.history.ci import finish_ci_run, insert_ci_run, resume_numbers
from pytest_web.history.private import private_file
from pytest_web.history.store import (
    DB_NAME,
    RUN_TABLES,
    connect,
    database_path,
    default_data_dir,
    load_events,
    pack,
)

FLUSH_SECONDS = 0.5
FLUSH_EVENTS = 2000
KEEP_RUNS = 200
"""Runs kept; older ones are deleted when a run ends."""
DASHBOARD_KEEP = 2000
"""Runs a dashboard keeps, over all its projects."""
DASHBOARD_FOLDER = "dashboard"


class History:
    """One repository's history file: writes batched per run, reads under the same lock."""

    def __init__(self, path: Path, keep: int = KEEP_RUNS) -> None:
        self.path = path
        self.keep = keep
        self.db = connect(path)
        self.lock = threading.RLock()
        self.pending: dict[str, list[Event]] = {}
        self.waiting = 0
        """How many events `pending` holds."""
        self.batch_numbers: dict[str, tuple[int, int]] = {}
        """Run id -> (its row number, the number of its next batch)."""
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self.problem = ""
        self._lock_file: Any = None
        self.answers: dict[tuple[str, str], Any] = {}
        """Answers about finished runs, which never change (see `queries`)."""

    @classmethod
    def for_repo(cls, data_dir: Path | None, repo: Path) -> History:
        return cls(database_path(data_dir or default_data_dir(), repo))

    # --- writing ---------------------------------------------------------------------------

    def record(self, state: RunState, events: list[Event]) -> None:
        """Keep `events`, just folded into `state`; a run's end is written before returning.

        A failing disk never fails the run: the error is kept in `problem` and shown.
        """
        try:
            with self.lock:
                if state.id not in self.batch_numbers:
                    if any(e.get("type") == "run_created" for e in events):
                        self._insert_run(state)
                    elif not self._resume(state):
                        return  # output that came after the run's end
                self.pending.setdefault(state.id, []).extend(events)
                self.waiting += len(events)
            if state.status != "running":
                self.flush()
                self._finish(state)
            elif self.waiting >= FLUSH_EVENTS:
                self.flush()
            else:
                self._start_writer()
        except sqlite3.Error as error:
            self.problem = f"run history not saved ({self.path}): {error}"

    def keep_packed(self, state: RunState, batches: list[bytes]) -> None:
        """A finished run folded elsewhere (opened result files), from its events already packed
        (`store.pack`, work done off the event loop): its row, batches and end at once."""
        try:
            with self.lock:
                with self.db:
                    self.db.execute("BEGIN")
                    self._insert_run(state)
                    run_n, _ = self.batch_numbers[state.id]
                    self.db.executemany(
                        "INSERT INTO batches (run_n, k, events) VALUES (?, ?, ?)",
                        ((run_n, k, blob) for k, blob in enumerate(batches)),
                    )
                self._finish(state)
        except sqlite3.Error as error:
            self.problem = f"run history not saved ({self.path}): {error}"

    def flush(self) -> None:
        """Write every waiting event now."""
        with self.lock:
            pending, self.pending, self.waiting = self.pending, {}, 0
            if not pending:
                return
            with self.db:
                self.db.execute("BEGIN")
                for run_id, events in pending.items():
                    run_n, k = self.batch_numbers[run_id]
                    self.db.execute(
                        "INSERT INTO batches (run_n, k, events) VALUES (?, ?, ?)",
                        (run_n, k, pack(events)),
                    )
                    self.batch_numbers[run_id] = (run_n, k + 1)

    def _start_writer(self) -> None:
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, daemon=True)
            self._writer.start()

    def _write_loop(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            try:
                self.flush()
            except sqlite3.Error as error:
                self.problem = f"run history not saved ({self.path}): {error}"

    def _resume(self, state: RunState) -> bool:
        """Go on writing a kept CI run (after a restart, or a late shard); False otherwise."""
        if state.kind != "ci":
            return False
        found = resume_numbers(self.db, state.id, state.status == "running")
        if found is not None:
            self.batch_numbers[state.id] = found
        return found is not None

    def _insert_run(self, state: RunState) -> None:
        cursor = self.db.execute(
            "INSERT INTO runs (id, kind, status, created, selection, command)"
            " VALUES (?, ?, 'running', ?, ?, ?)",
            (
                state.id,
                state.kind,
                state.created,
                json.dumps(state.selection),
                json.dumps(state.command),
            ),
        )
        self.batch_numbers[state.id] = (int(cursor.lastrowid or 0), 0)
        if state.kind == "ci":
            insert_ci_run(self.db, self.batch_numbers[state.id][0], state)

    def _finish(self, state: RunState) -> None:
        """The run's summary row, and its tests' outcomes (live and CI runs)."""
        with self.lock, self.db:
            self.db.execute("BEGIN")
            run_n, _ = self.batch_numbers.pop(state.id)
            self.db.execute(
                "UPDATE runs SET status = ?, finished = ?, exitstatus = ?, counts = ?, tests = ?,"
                " flaky = ? WHERE n = ?",
                (
                    state.status,
                    state.finished,
                    state.exitstatus,
                    json.dumps(state.summary()),
                    len(state.tests),
                    state.flaky_count,
                    run_n,
                ),
            )
            if state.kind in ("live", "ci"):
                self._write_outcomes(run_n, state)
            if state.kind == "ci":
                finish_ci_run(self.db, run_n, state)
            self._prune()

    def _write_outcomes(self, run_n: int, state: RunState) -> None:
        ran = [t for t in state.tests.values() if has_result(t.outcome)]
        self.db.executemany(
            "INSERT OR IGNORE INTO tests (nodeid) VALUES (?)", ((t.nodeid,) for t in ran)
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO outcomes (test, run_n, outcome, duration)"
            " SELECT id, ?, ?, ? FROM tests WHERE nodeid = ?",
            ((run_n, t.outcome, t.duration, t.nodeid) for t in ran),
        )

    def _prune(self) -> None:
        old = self.db.execute(
            "SELECT n FROM runs WHERE status != 'running' ORDER BY n DESC LIMIT -1 OFFSET ?",
            (self.keep,),
        ).fetchall()
        for (run_n,) in old:
            for table, column in (*RUN_TABLES.items(), ("runs", "n")):
                self.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (run_n,))

    def claim(self) -> bool:
        """Hold a shared lock on the file for this server's life; True when no other server
        holds one (only then may runs left 'running' be taken as interrupted)."""
        lock = self.path.with_suffix(".lock")
        private_file(lock)
        self._lock_file = open(lock, "a")  # noqa: SIM115 (held for the server's life)
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            alone = True
        except OSError:
            alone = False
        fcntl.flock(self._lock_file, fcntl.LOCK_SH)
        return alone

    def mark_interrupted(self) -> list[str]:
        """Runs left 'running' by a server that stopped: end them as interrupted (at start-up,
        when `claim` says no other server uses this history)."""
        with self.lock:
            rows = self.db.execute(  # a CI run goes on: its shards resend to the next server
                "SELECT n, id, kind FROM runs WHERE status = 'running' AND kind != 'ci'"
            ).fetchall()
            for run_n, run_id, kind in rows:
                state = RunState(run_id, kind=kind)
                for event in load_events(self.db, run_n):
                    state.apply(event)
                last = self.db.execute(
                    "SELECT COALESCE(MAX(k), -1) FROM batches WHERE run_n = ?", (run_n,)
                ).fetchone()[0]
                self.batch_numbers[run_id] = (run_n, last + 1)
                end: RunExit = {
                    "type": "run_exit",
                    "returncode": None,
                    "interrupted": True,
                    "time": time.time(),
                }
                state.apply(end)
                self.record(state, [end])
        return [run_id for _, run_id, _ in rows]


def dashboard_history(data_dir: Path) -> History:
    """The dashboard's one history file, every project's CI runs in it: `DATA/dashboard/`."""
    return History(data_dir / DASHBOARD_FOLDER / DB_NAME, keep=DASHBOARD_KEEP)
