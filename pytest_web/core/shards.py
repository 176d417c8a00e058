"""The shards of a CI run: pytest sessions on other machines that stream into one run.

Each shard is a source of events (`source` is its name, set by the server from the request), so
its events are numbered on their own and its tests' ends are attempts, exactly as the files of
`pytest-web view` are. What this module adds is each shard's state and the run's status that
follows from them: a CI run runs while a shard runs (or while fewer shards than the CI announced
have reported), and ends when every shard has finished or been lost. A lost shard that speaks
again, or a shard that arrives late (a retried job, an upload of a record file), opens the run
again: nothing a shard sends is ever refused because the run looked finished.

Pure code: the server decides when a silent shard is lost (it has the clock) and says so with a
`shard` event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_web.core.events import CiInfo, SessionEnd, SessionStart, ShardStatus
from pytest_web.core.outcomes import COUNTED, PENDING, RERUN

RUNNING, FINISHED, LOST = "running", "finished", "lost"
TEST_EVENTS = frozenset({"test_start", "test_end", "subtest_end", "collect_error"})
"""A running shard's events that never change its state."""


def exit_status(statuses: Iterable[int]) -> int | None:
    """One pytest exit status for several sessions: the worst, where 'no tests' (5) is least."""
    found = list(statuses)
    if not found:
        return None
    bad = [s for s in found if s not in (0, 5)]
    return max(bad) if bad else min(found)


@dataclass
class Shard:
    """One pytest session of a CI run."""

    name: str
    status: str = RUNNING
    session: str = ""
    exitstatus: int | None = None
    counts: Counter[str] = field(default_factory=Counter)
    """What its own attempts count, as its pytest summary line would."""
    started: float | None = None
    ended: float | None = None
    url: str = ""
    """The shard's job page in the CI."""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "counts": {n: self.counts.get(n, 0) for n in (*COUNTED, RERUN)},
            "exitstatus": self.exitstatus,
            "url": self.url,
        }


@dataclass
class CiRun:
    """A CI run's identity and its shards, as folded from their events."""

    project: str = ""
    run_key: str = ""
    branch: str = ""
    commit: str = ""
    url: str = ""
    expected: int = 0
    """How many shards the CI announced (0: not known)."""
    stopped_waiting: bool = False
    """The server gave up waiting for announced shards that never came."""
    shards: dict[str, Shard] = field(default_factory=dict)

    def shard(self, name: str) -> Shard:
        found = self.shards.get(name)
        if found is None:
            found = self.shards[name] = Shard(name)
        return found

    def session_for(self, name: str, session: str) -> str | None:
        """The source name the session `session` streams as, when it asks for `name`: `name`
        itself when free or already its own, else `name#2`, `name#3`... (two CI jobs that give
        the same shard name, or a job run again); None when `name` is new."""
        candidate, number = name, 1
        while True:
            found = self.shards.get(candidate)
            if found is None or found.session == session or not found.session:
                return candidate
            number += 1
            candidate = f"{name}#{number}"

    def learn(self, info: CiInfo) -> None:
        """What a run learns from its shards' CI variables: the first value given stands."""
        self.project = self.project or info.get("project", "")
        self.run_key = self.run_key or info.get("run_key", "")
        self.branch = self.branch or info.get("branch", "")
        self.commit = self.commit or info.get("commit", "")
        self.url = self.url or info.get("url", "")
        self.expected = max(self.expected, info.get("shards", 0))

    def on_event(self, source: str, kind: str, event: Any) -> bool:
        """A shard's event: it runs (again), starts, finishes, or the server says it is lost.
        Whether the shard may have changed state (a test's start or end never does, unless it
        comes from a shard that was lost)."""
        shard = self.shards.get(source)
        if shard is not None and kind in TEST_EVENTS and shard.status != LOST:
            return False  # the hot path: a running shard's tests
        shard = shard or self.shard(source)
        if kind == "session_start":
            start: SessionStart = event
            info = start.get("ci") or {}
            shard.session = shard.session or info.get("session", "")
            shard.url = shard.url or info.get("job_url", "")
            shard.started = start.get("time")
            self.learn(info)
        if kind == "session_end":
            end: SessionEnd = event
            shard.status = FINISHED
            status = end.get("exitstatus")
            shard.exitstatus = status if isinstance(status, int) else None
            shard.ended = end.get("time")
        elif kind == "shard":
            said: ShardStatus = event
            if shard.status != FINISHED:
                shard.status = LOST if said.get("status") == LOST else RUNNING
                shard.ended = said.get("time") if shard.status == LOST else None
        elif shard.status == LOST:
            shard.status, shard.ended = RUNNING, None
        return True

    def status(self) -> str:
        """running, finished (every shard finished) or crashed (some shard was lost)."""
        shards = self.shards.values()
        waiting = self.expected > len(self.shards) and not self.stopped_waiting
        if waiting or not self.shards or any(s.status == RUNNING for s in shards):
            return RUNNING
        return FINISHED if all(s.status == FINISHED for s in shards) else "crashed"

    def exitstatus(self) -> int | None:
        return exit_status(s.exitstatus for s in self.shards.values() if s.exitstatus is not None)

    def ended(self) -> float | None:
        times = [s.ended for s in self.shards.values() if s.ended is not None]
        return max(times) if times else None

    def as_json(self) -> dict[str, Any]:
        """The fields `GET /api/runs/<id>` adds for a CI run."""
        return {
            "project": self.project,
            "run_key": self.run_key,
            "branch": self.branch,
            "commit": self.commit,
            "ci_url": self.url,
            "shards": [s.as_json() for s in self.shards.values()],
        }


class Folded(Protocol):
    """What `ci_event` changes of a run's state (`fold.RunState`)."""

    status: str
    finished: float | None
    exitstatus: int | None
    session_ended: bool
    ci: CiRun
    tests: dict[str, Any]


def ci_event(
    state: Folded, source: str, kind: str, event: Any, fold: Callable[[], set[str] | None]
) -> set[str]:
    """A CI run's event from shard `source` (or the server's `run_exit`): the shard's state,
    then the event's own step of the fold (`fold`), whatever the run's status (a late shard
    opens it again); then the run's status follows its shards, when one of them may have
    changed. Tests still pending when the run ends are not run. The changed rows."""
    if kind == "run_exit":  # the server stops waiting for shards the CI announced
        state.ci.stopped_waiting = True
        changed = True
    else:
        changed = state.ci.on_event(source, kind, event)
    touched = fold() or set()
    if not changed and state.status == RUNNING:
        return touched
    status = state.ci.status()
    if status == RUNNING:
        state.status, state.finished, state.exitstatus = RUNNING, None, None
    elif status != state.status or kind in ("session_end", "run_exit"):
        state.status, state.finished = status, state.ci.ended()
        state.exitstatus = state.ci.exitstatus()
        state.session_ended = status == FINISHED
        for test in state.tests.values():
            if test.outcome in PENDING:
                test.outcome = "notrun"
                touched.add(test.nodeid)
    return touched
