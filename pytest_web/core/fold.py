"""The one event model: a run's state is the fold of its events.

Live runs, reconnect snapshots and CI result files all go through `RunState.apply`.
Pure code: no I/O, no clock, no framework.

A `test_end` that names its `source` (a result file, a CI shard) is one attempt among others:
every attempt is kept, the last one stands for the test, and a test that both failed and passed
is flaky. Without `source` (a live run) a repeated end replaces the earlier one. Events are
numbered per source, so each shard's repeats are dropped on their own; a CI run's status follows
its shards (`shards.CiRun`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from pytest_web.core.events import (
    CollectError,
    Collection,
    Event,
    Output,
    Phase,
    RunCreated,
    RunExit,
    SessionEnd,
    SessionStart,
    SubtestEnd,
    TestEnd,
    TestStart,
)
from pytest_web.core.outcomes import PENDING, RERUN, categories, subtest_counted, worst
from pytest_web.core.run_data import RunData
from pytest_web.core.shards import ci_event
from pytest_web.core.test_record import Attempt, TestResult, keep_attempt, keep_subtest, locate
from pytest_web.core.timings import reports
from pytest_web.core.tree import file_of


class RunState(RunData):
    """A run's state as the fold of its events: `apply` takes them one by one."""

    def apply(self, event: Event) -> set[str]:
        """Fold one event in; return the node ids whose rows changed.

        Plugin events carry `i`, their number in the session (in their source's session): a
        repeat or an older one is dropped, so duplicated or replayed events never count twice.
        """
        self.seq += 1
        fields = cast(dict[str, Any], event)
        source = fields.get("source", "")
        number = fields.get("i")
        if number is not None and isinstance(number, int) and not isinstance(number, bool):
            if number <= self.numbers.get(source, 0):
                return set()
            self.numbers[source] = number
        kind = fields.get("type")
        handler = _HANDLERS.get(kind) if kind.__class__ is str else None
        if self.kind == "ci" and isinstance(kind, str) and (source or kind == "run_exit"):
            step = handler if kind not in ("run_exit", "session_end") else None
            return ci_event(self, source, kind, event, lambda: step(self, event) if step else None)
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

    def _on_run_created(self, event: RunCreated) -> None:
        self.kind = event.get("kind") or self.kind
        self.created = event.get("time")
        self.selection = dict(event.get("selection") or {})
        self.command = list(event.get("command") or [])
        if "ci" in event:
            self.ci.learn(event["ci"])

    def _on_session_start(self, event: SessionStart) -> None:
        self.pytest_version = event.get("pytest_version", "")
        self.rootdir = event.get("rootdir", "")

    def _on_collection(self, event: Collection) -> set[str]:
        nodeids = dict.fromkeys(event.get("nodeids") or ())  # each once
        source = event.get("source")
        if source is not None:  # a shard's collection: its new tests after the known ones
            new = [n for n in nodeids if n not in self.tests]
            for nodeid in new:
                self._test(nodeid).source = source
            return set(new)
        known, queued = self.tests, 0
        tests: dict[str, TestResult] = {}
        self.tests = tests
        for nodeid in nodeids:
            found = known.pop(nodeid, None) if known else None
            if found is None:
                found = TestResult(nodeid, len(tests), "queued", file_of(nodeid))
                queued += 1
            found.index = len(tests)
            tests[nodeid] = found
        self.tallies["queued"] += queued
        for nodeid, found in known.items():  # ended before the collection came: after it
            found.index = len(tests)
            tests[nodeid] = found
        locations = event.get("locations")
        if locations:  # a discovery knows every test's place before it runs
            for test, location in zip(tests.values(), locations, strict=False):
                locate(test, location)
        self.structure += 1
        return set(self.tests)

    def _on_collect_error(self, event: CollectError) -> None:
        """Every report counts, as in pytest's summary (under xdist each worker that collects a
        broken module reports it); the page lists each node once. Over sources (a CI run's
        shards, result files merged) a module counts once, as a test does (the source that
        reported it first), while each shard's own counts keep its summary's."""
        nodeid = event.get("nodeid", "")
        self._shard_counts(event, ["error"])
        source = event.get("source", "")
        first = self.broken.get(nodeid)
        if first is None:
            self.broken[nodeid] = source
            self.collect_errors.append({"nodeid": nodeid, "message": event.get("longrepr", "")})
        elif first != source:
            return
        self.counts["error"] += 1
        self.structure += 1

    def _on_test_start(self, event: TestStart) -> set[str]:
        test = self._test(event.get("nodeid", ""))
        locate(test, event.get("location"))
        if "source" in event and not test.phases:  # the shard it runs on, till it ends
            test.source = event["source"]
        if test.outcome == "queued":
            self._set(test, "running")
        return {test.nodeid}

    def _on_test_end(self, event: TestEnd) -> set[str]:
        """The hot path of a 1,000,000-test file: each step is skipped when it has nothing to
        do, and a test's first end (most tests have no other) takes the shortest way."""
        nodeid = event.get("nodeid", "")
        phases, duration, after = reports(event.get("phases") or [])
        test = self.tests.get(nodeid)
        if (test is None or not (test.phases or test.attempts)) and RERUN not in after:
            if self.kind != "ci":  # a test's first end (most have no other): the shortest way
                return self._first_end(test, nodeid, event, phases, duration, after)
        test = test or self._test(nodeid)
        if "location" in event:
            locate(test, event["location"])
        worker = event.get("worker")
        source = event.get("source")
        if self.kind == "ci":
            self._shard_counts(event, after)
        if RERUN in after:  # pytest-rerunfailures will run it again: an attempt, not its end
            self._attempt(test, Attempt(source or "", RERUN, duration, phases, worker))
            self.counts[RERUN] += 1
            return {test.nodeid}
        attempt = source is not None or test.attempts  # a file's, or after a rerun
        if attempt and not test.attempts and test.source and test.phases:  # a second attempt: keep
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

    def _first_end(
        self,
        test: TestResult | None,
        nodeid: str,
        event: TestEnd,
        phases: Sequence[Phase],
        duration: float,
        after: list[str],
    ) -> set[str]:
        """What `_on_test_end` does for a test without a result yet (made, if new, as it
        ended), without the steps that would find nothing to do."""
        outcome = worst(after) or "notrun"
        worker, source = event.get("worker"), event.get("source")
        if test is None:
            tests = self.tests
            test = TestResult(
                nodeid, len(tests), outcome, file_of(nodeid), None, duration, worker, phases
            )
            test.source = source or ""
            tests[nodeid] = test
            self.tallies[outcome] += 1
            self.structure += 1
        else:
            test.phases, test.duration, test.worker = phases, duration, worker
            self._set(test, outcome)
            if source is not None:
                test.source = source
        if "location" in event:
            locate(test, event["location"])
        counts = self.counts
        for name in after:
            counts[name] += 1
        return {nodeid}

    def _on_subtest_end(self, event: SubtestEnd) -> set[str]:
        """A subtest counts as pytest counts it; its test keeps the failed ones, and the first
        passed ones, to show."""
        test = self._test(event.get("nodeid", ""))
        phase = event["phase"]
        added = subtest_counted(phase)
        for name in added:
            self.counts[name] += 1
        self._shard_counts(event, added)
        keep_subtest(test, phase, failed="failed" in added)
        return {test.nodeid}

    def _shard_counts(self, event: Any, counted: list[str]) -> None:
        """A CI shard's own counts, as its pytest summary line adds them up."""
        source = event.get("source")
        if self.kind == "ci" and source is not None:
            self.ci.shard(source).counts.update(counted)

    def _attempt(self, test: TestResult, attempt: Attempt) -> None:
        """Keep one attempt of `test`, and the run's count of flaky tests."""
        was = test.flaky
        keep_attempt(test, attempt, self.attempt_outcomes)
        self.flaky_count += test.flaky - was

    def _on_session_end(self, event: SessionEnd) -> None:
        self.session_ended = True
        status = event.get("exitstatus")
        self.exitstatus = status if isinstance(status, int) else None

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
                crash = Phase(when="call", outcome="failed", duration=0.0, longrepr=message)
                self._on_test_end(TestEnd(type="test_end", nodeid=test.nodeid, phases=[crash]))
                touched.add(test.nodeid)
            elif test.outcome in PENDING:
                self._set(test, "notrun")
                touched.add(test.nodeid)
        return touched


_HANDLERS: dict[str, Callable[[RunState, Any], set[str] | None]] = {
    "run_created": RunState._on_run_created,
    "session_start": RunState._on_session_start,
    "collection": RunState._on_collection,
    "collect_error": RunState._on_collect_error,
    "test_start": RunState._on_test_start,
    "test_end": RunState._on_test_end,
    "subtest_end": RunState._on_subtest_end,
    "session_end": RunState._on_session_end,
    "shard": lambda state, event: None,  # a CI shard's state only (see `shards.ci_event`)
    "output": RunState._on_output,
    "run_exit": RunState._on_run_exit,
}
"""Each event type's step of the fold."""
