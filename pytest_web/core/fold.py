"""The one event model: a run's state is the fold of its events.

Live runs, reconnect snapshots and CI result files all go through `RunState.apply`.
Pure code: no I/O, no clock, no framework.

A `test_end` that names its `source` (a result file) is one attempt among others: every attempt is
kept, the last one stands for the test, and a test that both failed and passed is flaky. Without
`source` (a live run) a repeated end replaces the earlier one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from pytest_web.core.events import (
    CollectError,
    Collection,
    Event,
    Location,
    Output,
    RunCreated,
    RunExit,
    SessionEnd,
    SessionStart,
    SubtestEnd,
    TestEnd,
    TestStart,
)
from pytest_web.core.outcomes import (
    COUNTED,
    FLAKY_FAILURES,
    PENDING,
    RERUN,
    SUBTEST_COUNTED,
    categories,
    category,
    has_result,
    subtest_counted,
    worst,
)
from pytest_web.core.output import OutputTail
from pytest_web.core.test_record import Attempt, TestResult
from pytest_web.core.tree import file_of


def elapsed(created: float | None, finished: float | None, now: float | None) -> float | None:
    """A run's duration: start to end, or to `now` while it runs; None when unknown."""
    end = finished if finished is not None else now
    if created is None or end is None:
        return None
    return max(0.0, end - created)


SUBTESTS_SHOWN = 100
"""A test keeps its first subtests to show, whatever they did ..."""
SUBTESTS_KEPT = 1000
"""... and its failed ones up to this many in all; every one of them is counted."""


@dataclass
class RunState:
    """Everything known about one run, folded from its events."""

    id: str
    kind: str = "live"
    """What the run is: "live" (pytest run by this server), "results" (result files opened) or
    "collection" (a discovery); said by its `run_created` event."""
    status: str = "running"
    exitstatus: int | None = None
    returncode: int | None = None
    created: float | None = None
    finished: float | None = None
    selection: dict[str, Any] = field(default_factory=dict)
    """What was asked for: node ids, -k, -m and workers (live runs); the files (result files)."""
    command: list[str] = field(default_factory=list)
    pytest_version: str = ""
    rootdir: str = ""
    tests: dict[str, TestResult] = field(default_factory=dict)
    collect_errors: list[dict[str, str]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    terminal: OutputTail = field(default_factory=OutputTail, repr=False)
    """pytest's terminal output (its tail)."""
    session_ended: bool = False
    last_plugin_event: int = 0
    seq: int = 0
    tallies: Counter[str] = field(default_factory=Counter)
    """How many tests have each outcome (queued, running, passed, not run...), kept as they
    change: the head's progress and the chips' counts without counting every test."""
    structure: int = 0
    flaky_count: int = 0
    """Tests that failed in one attempt and passed in another (result files only)."""
    """Bumped whenever the set of tests changes, so views know to re-render the tree."""
    attempt_outcomes: dict[str, set[str]] = field(default_factory=dict, repr=False)
    """The outcomes of each test read more than once, for `flaky`."""

    @property
    def order(self) -> list[TestResult]:
        return list(self.tests.values())

    def elapsed(self, now: float | None) -> float | None:
        """Seconds from the run's start to its end, or to `now` while it runs."""
        return elapsed(self.created, self.finished, now)

    @property
    def flaky(self) -> list[TestResult]:
        return [t for t in self.tests.values() if t.flaky] if self.flaky_count else []

    def summary(self) -> dict[str, int]:
        """pytest's summary counts: its six test outcomes and its reruns."""
        return {name: self.counts.get(name, 0) for name in (*COUNTED, RERUN)}

    def subtests(self) -> dict[str, int]:
        """The subtest parts of pytest's summary line ("21194 subtests passed"); `failed` is the
        failed subtests, which pytest counts among "failed" (and so does `summary`)."""
        return {name: self.counts.get(said, 0) for said, name in SUBTEST_COUNTED.items()}

    def apply(self, event: Event) -> set[str]:
        """Fold one event in; return the node ids whose rows changed.

        Plugin events carry `i`, their number in the session: a repeat or an older one is
        dropped, so duplicated or replayed events never count twice.
        """
        self.seq += 1
        number = cast(dict[str, Any], event).get("i")
        if isinstance(number, int) and not isinstance(number, bool):
            if number <= self.last_plugin_event:
                return set()
            self.last_plugin_event = number
        kind = event.get("type")
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None or (self.status != "running" and kind != "run_exit"):
            return set()
        return handler(self, event) or set()

    def _test(self, nodeid: str) -> TestResult:
        test = self.tests.get(nodeid)
        if test is None:
            test = TestResult(nodeid=nodeid, index=len(self.tests), file=file_of(nodeid))
            self.tests[nodeid] = test
            self.tallies[test.outcome] += 1
            self.structure += 1
        return test

    def _set(self, test: TestResult, outcome: str) -> None:
        """Give `test` its outcome, keeping the tallies."""
        tallies = self.tallies
        tallies[test.outcome] -= 1
        tallies[outcome] += 1
        test.outcome = outcome

    @property
    def done(self) -> int:
        """Tests with a result (`outcomes.has_result`), from the tallies: a live page asks with
        every update, and counting 100,000 tests each time would cost more than the update."""
        return sum(n for outcome, n in self.tallies.items() if has_result(outcome))

    def _on_run_created(self, event: RunCreated) -> None:
        self.kind = event.get("kind") or self.kind
        self.created = event.get("time")
        self.selection = dict(event.get("selection") or {})
        self.command = list(event.get("command") or [])

    def _on_session_start(self, event: SessionStart) -> None:
        self.pytest_version = event.get("pytest_version", "")
        self.rootdir = event.get("rootdir", "")

    def _on_collection(self, event: Collection) -> set[str]:
        nodeids = dict.fromkeys(event.get("nodeids") or ())  # each once
        known = self.tests
        self.tests = {}
        for nodeid in nodeids:
            found = known.pop(nodeid, None)
            if found is None:
                found = TestResult(nodeid, 0, file=file_of(nodeid))
                self.tallies[found.outcome] += 1
            self.tests[nodeid] = found
        self.tests.update(known)
        locations = event.get("locations")
        if locations:  # a discovery knows every test's place before it runs
            for test, location in zip(self.tests.values(), locations, strict=False):
                self._locate(test, location)
        for index, test in enumerate(self.tests.values()):
            test.index = index
        self.structure += 1
        return set(self.tests)

    def _on_collect_error(self, event: CollectError) -> None:
        """Every report counts, as in pytest's summary (under xdist each worker that collects a
        broken module reports it); the page lists each node once."""
        nodeid = event.get("nodeid", "")
        self.counts["error"] += 1
        self.structure += 1
        if not any(e["nodeid"] == nodeid for e in self.collect_errors):
            self.collect_errors.append({"nodeid": nodeid, "message": event.get("longrepr", "")})

    def _locate(self, test: TestResult, location: Location | None) -> None:
        if location and len(location) >= 2:
            test.file = str(location[0])
            line = location[1]
            test.line = line + 1 if isinstance(line, int) and not isinstance(line, bool) else None

    def _on_test_start(self, event: TestStart) -> set[str]:
        test = self._test(event.get("nodeid", ""))
        self._locate(test, event.get("location"))
        if test.outcome == "queued":
            self._set(test, "running")
        return {test.nodeid}

    def _on_test_end(self, event: TestEnd) -> set[str]:
        """The hot path of a 100,000-test file: each step is skipped when it has nothing to do."""
        test = self._test(event.get("nodeid", ""))
        if "location" in event:
            self._locate(test, event["location"])
        phases = event.get("phases") or []
        if len(phases) == 1:
            phase = phases[0]
            duration = phase["duration"]
            after = [name] if (name := category(phase)) else []
        else:
            duration = sum(p["duration"] for p in phases)
            after = categories(phases)
        worker = event.get("worker")
        source = event.get("source")
        if RERUN in after:  # pytest-rerunfailures will run it again: an attempt, not its end
            self._attempt(test, Attempt(source or "", RERUN, duration, phases, worker))
            self.counts[RERUN] += 1
            return {test.nodeid}
        attempt = source is not None or test.attempts  # a file's, or after a rerun
        if attempt and not test.attempts and test.source:  # a second attempt: keep the first,
            first = Attempt(test.source, test.outcome, test.duration, test.phases, test.worker)
            self._attempt(test, first)
        before = categories(test.phases) if test.phases else []  # what it counted till now
        test.phases, test.duration, test.worker = phases, duration, worker
        self._set(test, worst(after) or "notrun")
        if source is not None:
            test.source = source
        if test.attempts:  # the first attempt of a file is the test itself: nothing to keep
            self._attempt(test, Attempt(source or "", test.outcome, duration, phases, worker))
        if before != after:  # a repeated end replaces, never double counts
            counts = self.counts
            if before:
                counts.subtract(before)
            for name in after:
                counts[name] += 1
            for name in before:
                if counts.get(name, 0) <= 0:
                    counts.pop(name, None)  # no zero entries
        return {test.nodeid}

    def _on_subtest_end(self, event: SubtestEnd) -> set[str]:
        """A subtest counts as pytest counts it; its test keeps the failed ones, and the first
        passed ones, to show."""
        test = self._test(event.get("nodeid", ""))
        phase = event["phase"]
        added = subtest_counted(phase)
        for name in added:
            self.counts[name] += 1
        test.subtests_seen += 1
        kept = test.subtests
        if len(kept) < SUBTESTS_SHOWN or ("failed" in added and len(kept) < SUBTESTS_KEPT):
            if isinstance(kept, list):
                kept.append(phase)
            else:  # the shared empty default
                test.subtests = [phase]
        return {test.nodeid}

    def _attempt(self, test: TestResult, attempt: Attempt) -> None:
        """Keep one attempt of `test`; a test that failed in one and passed in another is flaky."""
        attempts = test.attempts
        if isinstance(attempts, list):
            attempts.append(attempt)
        else:  # the shared empty default
            attempts = test.attempts = [attempt]
        if len(attempts) > 1:  # the outcomes seen, kept: a test repeated 100,000 times
            seen = self.attempt_outcomes.get(test.nodeid)  # must not scan them each time
            if seen is None:
                seen = self.attempt_outcomes[test.nodeid] = {a.outcome for a in attempts}
            seen.add(attempt.outcome)
            flaky = "passed" in seen and not FLAKY_FAILURES.isdisjoint(seen)
            self.flaky_count += flaky - test.flaky
            test.flaky = flaky

    def _on_session_end(self, event: SessionEnd) -> None:
        self.session_ended = True
        status = event.get("exitstatus")
        self.exitstatus = status if isinstance(status, int) else None

    @property
    def output(self) -> str:
        """The last `OUTPUT_CAP` characters of pytest's output."""
        return self.terminal.text

    @property
    def output_dropped(self) -> int:
        """How many older characters of output were not kept."""
        return self.terminal.dropped

    def _on_output(self, event: Output) -> None:
        self.terminal.add(event.get("text", ""))

    def _on_run_exit(self, event: RunExit) -> set[str]:
        if self.status != "running":
            return set()
        self.finished = event.get("time")
        self.returncode = event.get("returncode")
        touched = set()
        if event.get("collected"):  # a discovery: its tests were found, never meant to run
            self.status = "collected"
            for test in self.tests.values():
                self._set(test, "")
            return set(self.tests)
        if event.get("interrupted"):  # the server stopped mid-run (written on its next start)
            self.status = "interrupted"
        elif event.get("cancelled"):
            self.status = "cancelled"
        elif self.session_ended:
            self.status = "finished"
        else:
            self.status = "crashed"
        for test in self.tests.values():
            if test.outcome == "running" and self.status == "crashed":
                message = f"pytest exited (code {self.returncode}) while this test was running"
                self._on_test_end(
                    {
                        "type": "test_end",
                        "nodeid": test.nodeid,
                        "phases": [
                            {
                                "when": "call",
                                "outcome": "failed",
                                "duration": 0.0,
                                "longrepr": message,
                            }
                        ],
                    }
                )
                touched.add(test.nodeid)
            elif test.outcome in PENDING:
                self._set(test, "notrun")
                touched.add(test.nodeid)
        return touched

    def as_json(self, with_tests: bool = True) -> dict[str, Any]:
        """The run as `GET /api/runs/<id>` gives it."""
        data: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "kind": self.kind,
            "exitstatus": self.exitstatus,
            "counts": self.summary(),
            "subtests": self.subtests(),
            "created": self.created,
            "finished": self.finished,
            "duration": self.elapsed(None),
            "selection": self.selection,
        }
        if with_tests:
            data["tests"] = [_test_json(t) for t in self.tests.values()]
            data["errors"] = list(self.collect_errors)
        return data


_HANDLERS: dict[str, Callable[[RunState, Any], set[str] | None]] = {
    "run_created": RunState._on_run_created,
    "session_start": RunState._on_session_start,
    "collection": RunState._on_collection,
    "collect_error": RunState._on_collect_error,
    "test_start": RunState._on_test_start,
    "test_end": RunState._on_test_end,
    "subtest_end": RunState._on_subtest_end,
    "session_end": RunState._on_session_end,
    "output": RunState._on_output,
    "run_exit": RunState._on_run_exit,
}
"""Each event type's step of the fold."""


def _test_json(test: TestResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "nodeid": test.nodeid,
        "outcome": test.outcome,
        "duration": test.duration,
    }
    if test.source or test.attempts:  # read from result files, or rerun
        data.update(source=test.source, attempts=len(test.attempts) or 1, flaky=test.flaky)
    return data
