"""The in-process pub/sub: every run's event log, folded as it grows, and a wake-up for streams.

Subscribers do not get queues of their own: each stream keeps a cursor (run id, sequence number)
into the shared log and renders what changed since. A slow tab therefore never holds events for the
others, never grows memory, and simply gets bigger batches.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_web.core.events import Event
from pytest_web.core.fold import RunState
from pytest_web.core.test_record import TestResult

Sink = Callable[[RunState, list[Event]], None]

KEEP_RUNS = 2
"""Runs held in memory (the current one among them); older ones are read back from history."""


def results_id() -> str:
    """A new id for a run of opened result files."""
    return "results-" + time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


@dataclass(slots=True)
class Change:
    """What one event did to its run's state (a run holds one per event: kept small)."""

    seq: int
    touched: tuple[str, ...]
    structure: int
    output: str = ""


@dataclass
class Run:
    """A run: its state, what each event changed, and the secret its plugin must show."""

    state: RunState
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    changes: list[Change] = field(default_factory=list)
    suite: dict[str, TestResult] | None = None
    """The suite a partial run was started from (the tests the page showed then), so that its
    view keeps the whole suite with the tests that ran marked; held in memory only."""
    base: int = 0
    """The state's `seq` when `changes` began: a run folded again from history (a CI run after
    a restart) goes on from there."""

    @property
    def id(self) -> str:
        return self.state.id

    @property
    def kind(self) -> str:
        return self.state.kind

    def since(self, seq: int) -> list[Change]:
        """The changes after sequence number `seq` (events are numbered from 1)."""
        return self.changes[max(0, seq - self.base) :]

    def structure_at(self, seq: int) -> int:
        """The run's `structure` right after event `seq`; -1 when that is not known."""
        index = seq - self.base - 1
        return self.changes[index].structure if 0 <= index < len(self.changes) else -1


class Hub:
    """Holds the runs and wakes every waiting stream when one of them changes."""

    def __init__(self, keep: int = KEEP_RUNS, sink: Sink | None = None) -> None:
        self.runs: OrderedDict[str, Run] = OrderedDict()
        self.sink = sink
        """Called with each run's state and new events once folded (run history keeps them)."""
        self.current: Run | None = None
        self.version = 0
        self.keep = keep
        self.subscribers = 0
        self.closed = False
        self._cond = threading.Condition()

    def create_run(
        self,
        selection: dict[str, Any],
        command: list[str],
        suite: dict[str, TestResult] | None = None,
    ) -> Run:
        run_id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        run = Run(RunState(run_id), suite=suite)
        if self.current is not None:
            self.current.changes = []  # only the current run is streamed
        self.current = run
        self.keep_run(run)
        self.publish(
            run,
            [
                {
                    "type": "run_created",
                    "kind": "live",
                    "selection": selection,
                    "command": command,
                    "time": time.time(),
                }
            ],
        )
        return run

    def add_results(self, state: RunState) -> Run:
        """A run of opened result files, already folded (off the event loop, see
        `web.uploads`) and kept by history separately: kept here too, but not the current run."""
        run = Run(state)
        self.keep_run(run)
        return run

    def show(self, run: Run) -> None:
        """Make an already folded run (a loaded result file) the current one."""
        self.keep_run(run)
        self.current = run

    def publish(self, run: Run, events: list[Event]) -> None:
        """Fold events into their run and wake the streams."""
        for event in events:
            touched = run.state.apply(event)
            text = event.get("text", "") if event["type"] == "output" else ""
            run.changes.append(Change(run.state.seq, tuple(touched), run.state.structure, text))
        if self.sink is not None:
            self.sink(run.state, events)
        with self._cond:
            self.version += 1
            self._cond.notify_all()

    def wait(self, version: int, timeout: float) -> int:
        """Block until the hub has moved past `version` or `timeout` passes; return the version."""
        with self._cond:
            self._cond.wait_for(lambda: self.version != version, timeout)
            return self.version

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> None:
        """Block until `predicate()` holds (checked whenever the hub moves), the hub closes,
        or `timeout` passes."""
        with self._cond:
            self._cond.wait_for(lambda: self.closed or predicate(), timeout)

    def close(self) -> None:
        """The server is stopping: wake every stream so it ends now."""
        with self._cond:
            self.closed = True
            self.version += 1
            self._cond.notify_all()

    def get(self, run_id: str) -> Run | None:
        return self.runs.get(run_id)

    def keep_run(self, run: Run) -> None:
        """Hold `run` in memory, dropping the least recently kept ones (never the current)."""
        self.runs[run.id] = run
        self.runs.move_to_end(run.id)
        for run_id in list(self.runs):
            if len(self.runs) <= self.keep:
                break
            if self.runs[run_id] is not self.current:
                del self.runs[run_id]
