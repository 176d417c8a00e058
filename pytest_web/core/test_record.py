"""One test of a run as it is shown, and each attempt of it read from result files."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_web.core.events import Location, Phase
from pytest_web.core.outcomes import FLAKY_FAILURES, categories, longrepr_of

SUBTESTS_SHOWN = 100
"""A test keeps its first subtests to show, whatever they did ..."""
SUBTESTS_KEPT = 1000
"""... and its failed ones up to this many in all; every one of them is counted."""


@dataclass(slots=True)
class Attempt:
    """One report of a test in a result file: where it came from and how it went."""

    source: str
    outcome: str
    duration: float
    phases: Sequence[Phase]
    worker: str | None = None

    @property
    def longrepr(self) -> str:
        return longrepr_of(self.phases)


@dataclass(slots=True)
class TestResult:
    """One test of a run, as the page shows it."""

    nodeid: str
    index: int
    outcome: str = "queued"
    file: str = ""
    line: int | None = None
    duration: float = 0.0
    worker: str | None = None
    phases: Sequence[Phase] = ()
    """Its reports (none yet: an empty tuple, shared, where a list each costs 100 MB at
    1,000,000 tests)."""
    source: str = ""
    """The result file of the attempt shown (empty for live runs)."""
    attempts: Sequence[Attempt] = ()
    """Every attempt, in order, once there is more than one (read from several result files,
    or run again by pytest-rerunfailures); a test that ran once is its own attempt."""
    flaky: bool = False
    subtests: Sequence[Phase] = ()
    """Its subtests' reports that are kept to show (see `SUBTESTS_SHOWN`)."""
    subtests_seen: int = 0
    """How many subtests it reported (each one counted in the run's counts)."""

    @property
    def categories(self) -> list[str]:
        return categories(self.phases)

    @property
    def longrepr(self) -> str:
        return longrepr_of(self.phases)

    @property
    def sections(self) -> list[tuple[str, str]]:
        """Captured output, each section once (pytest repeats earlier ones in later phases)."""
        pairs = ((t, text) for p in self.phases for t, text in p.get("sections", []))
        return list(dict.fromkeys(pairs))


def locate(test: TestResult, location: Location | None) -> None:
    """Where `test` is, from pytest's location: its file (interned: a file's tests share one
    string) and its 1-based line."""
    if location and len(location) >= 2:
        test.file = sys.intern(str(location[0]))
        line = location[1]
        test.line = line + 1 if isinstance(line, int) and not isinstance(line, bool) else None


def keep_subtest(test: TestResult, phase: Phase, failed: bool) -> None:
    """Note one more subtest of `test`, and keep its report if there is room for it."""
    test.subtests_seen += 1
    kept = test.subtests
    if len(kept) < SUBTESTS_SHOWN or (failed and len(kept) < SUBTESTS_KEPT):
        if isinstance(kept, list):
            kept.append(phase)
        else:  # the shared empty default
            test.subtests = [phase]


def keep_attempt(test: TestResult, attempt: Attempt, outcomes: dict[str, set[str]]) -> None:
    """Keep one attempt of `test`; a test that failed in one and passed in another is flaky.
    `outcomes` holds the outcomes seen per test: one repeated 100,000 times must not scan its
    attempts each time."""
    attempts = test.attempts
    if isinstance(attempts, list):
        attempts.append(attempt)
    else:  # the shared empty default
        attempts = test.attempts = [attempt]
    if len(attempts) > 1:
        seen = outcomes.get(test.nodeid)
        if seen is None:
            seen = outcomes[test.nodeid] = {a.outcome for a in attempts}
        seen.add(attempt.outcome)
        test.flaky = "passed" in seen and not FLAKY_FAILURES.isdisjoint(seen)


def json_of(test: TestResult) -> dict[str, Any]:
    """One test as `GET /api/runs/<id>` lists it."""
    data: dict[str, Any] = {
        "nodeid": test.nodeid,
        "outcome": test.outcome,
        "duration": test.duration,
    }
    if test.source or test.attempts:  # read from result files, or rerun
        attempts = len(test.attempts) or (1 if test.phases else 0)
        data.update(source=test.source, attempts=attempts, flaky=test.flaky)
    return data
