"""The dashboard's CI runs: which run a project and run key stream into, what each shard holds,
when each shard was last heard from, and the shards that went silent.

A run lives in the hub like any other (its page and event stream find it there) and in history
(its events, written before a shard is told they are held, so an acknowledged event survives
the server being killed). A run the hub no longer holds, or that a restart dropped, is folded
again from history when its shards speak again.

The clock lives here, not in the fold: a shard not heard from (events or heartbeats) for the
shard timeout is lost, said with a `shard` event; a run still waiting for shards its CI
announced gives up after the same time without a word (a `run_exit`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pytest_web.core.events import Event
from pytest_web.core.fold import RunState
from pytest_web.core.hub import Hub, Run
from pytest_web.core.shards import LOST, RUNNING
from pytest_web.history import History
from pytest_web.history.ci_queries import find_ci_run, running_ci_runs
from pytest_web.history.queries import load_run

Clock = Callable[[], float]


def ci_run_id() -> str:
    return "ci-" + time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


@dataclass
class Heard:
    """When a run's shards were last heard from (monotonic seconds)."""

    shards: dict[str, float] = field(default_factory=dict)
    run: float = 0.0


class CiRuns:
    """Finds, creates and watches the dashboard's CI runs."""

    def __init__(
        self,
        hub: Hub,
        history: History | None,
        shard_timeout: float,
        clock: Clock = time.monotonic,
        wall: Clock = time.time,
    ) -> None:
        self.hub, self.history = hub, history
        self.shard_timeout = shard_timeout
        self.clock, self.wall = clock, wall
        self.ids: dict[tuple[str, str], str] = {}
        """(project, run key) -> run id, for the runs met since the start."""
        self.heard: dict[str, Heard] = {}
        """Run id -> when its shards spoke, for the runs that may still be running."""
        self._sweeper: threading.Thread | None = None

    def adopt_running(self) -> None:
        """At start: the runs a stopped server left running get a whole shard timeout, from
        now, for their shards to speak again (they resend what this server does not hold)."""
        if self.history is not None:
            now = self.clock()
            for run_id in running_ci_runs(self.history):
                self.heard[run_id] = Heard(run=now)

    def _get(self, run_id: str) -> Run | None:
        """A run from memory, or folded again from history (and kept in memory)."""
        run = self.hub.get(run_id)
        if run is None and self.history is not None:
            state = load_run(self.history, run_id)
            run = Run(state, base=state.seq) if state is not None else None
        if run is not None:
            self.hub.keep_run(run)
        return run

    def find(self, project: str, run_key: str) -> Run | None:
        """The run of `project` and `run_key`, from memory or folded again from history."""
        run_id = self.ids.get((project, run_key))
        if run_id is None and self.history is not None:
            run_id = find_ci_run(self.history, project, run_key)
        if run_id is None:
            return None
        self.ids[(project, run_key)] = run_id
        return self._get(run_id)

    def create(self, project: str, run_key: str) -> Run:
        """A new run of `project` and `run_key` (the one there is, if there is one)."""
        found = self.find(project, run_key)
        if found is not None:
            return found
        run = Run(RunState(ci_run_id()))
        self.ids[(project, run_key)] = run.id
        self.hub.keep_run(run)
        created: Event = {
            "type": "run_created",
            "kind": "ci",
            "selection": {},
            "command": [],
            "time": self.wall(),
            "ci": {"project": project, "run_key": run_key},
        }
        self.hub.publish(run, [created])
        return run

    def source_for(self, run: Run | None, shard: str, session: str) -> str:
        """The name `session` streams as (see `CiRun.session_for`)."""
        if run is None:
            return shard
        return run.state.ci.session_for(shard, session) or shard

    def add(self, run: Run, source: str, events: list[Event]) -> int:
        """Fold a shard's batch into its run, keep it in history, note the shard was heard;
        the highest event number the run now holds from that shard."""
        state = run.state
        heard = self.heard.setdefault(run.id, Heard())
        heard.shards[source] = heard.run = self.clock()
        shard = state.ci.shards.get(source)
        if shard is not None and shard.status == LOST and not events:  # a heartbeat
            events = [{"type": "shard", "source": source, "status": RUNNING, "time": self.wall()}]
        if events:
            self.hub.publish(run, events)
            if self.history is not None:
                self.history.flush()  # held means kept: written before the shard is told
        self.hub.keep_run(run)
        return state.numbers.get(source, 0)

    def sweep(self) -> None:
        """Mark the shards silent for the shard timeout lost; stop waiting for announced shards
        of a run silent that long."""
        now, timeout = self.clock(), self.shard_timeout
        for run_id, heard in list(self.heard.items()):
            due = [name for name, when in heard.shards.items() if now - when >= timeout]
            idle = now - heard.run >= timeout
            if not due and not idle:
                continue
            run = self._get(run_id)
            if run is None:
                del self.heard[run_id]
                continue
            ci = run.state.ci
            for name, shard in list(ci.shards.items()):
                if shard.status == RUNNING and now - heard.shards.get(name, heard.run) >= timeout:
                    self._publish(run, {"type": "shard", "source": name, "status": LOST})
            for name in due:
                del heard.shards[name]
            waiting = ci.expected > len(ci.shards) and not ci.stopped_waiting
            if run.state.status == RUNNING and waiting and idle and not _running(run):
                self._publish(run, {"type": "run_exit", "returncode": None})
            if run.state.status != RUNNING:
                del self.heard[run_id]

    def _publish(self, run: Run, event: Event) -> None:
        event["time"] = self.wall()  # type: ignore[typeddict-unknown-key]
        self.hub.publish(run, [event])
        if self.history is not None:
            self.history.flush()

    def start_sweeping(self, every: float = 1.0) -> None:
        """Sweep every `every` seconds in a daemon thread (a greenlet under gevent)."""
        if self._sweeper is None:
            self._sweeper = threading.Thread(
                target=self._sweep_loop, args=(every,), name="pytest-web-ci-sweeper", daemon=True
            )
            self._sweeper.start()

    def _sweep_loop(self, every: float) -> None:
        while not self.hub.closed:
            time.sleep(every)
            try:
                self.sweep()
            except Exception:  # a bad moment must not stop the watch for good
                pass


def _running(run: Run) -> bool:
    return any(s.status == RUNNING for s in run.state.ci.shards.values())
