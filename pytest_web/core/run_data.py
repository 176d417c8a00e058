"""What one run holds, and what views ask of it: the fold (`fold.RunState`) writes it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pytest_web.core.outcomes import COUNTED, RERUN, SUBTEST_COUNTED, has_result
from pytest_web.core.output import OutputTail
from pytest_web.core.shards import CiRun
from pytest_web.core.test_record import TestResult, json_of


def elapsed(created: float | None, finished: float | None, now: float | None) -> float | None:
    """A run's duration: start to end, or to `now` while it runs; None when unknown."""
    end = finished if finished is not None else now
    if created is None or end is None:
        return None
    return max(0.0, end - created)


@dataclass
class RunData:
    """Everything known about one run (`fold.RunState` folds its events into it)."""

    id: str
    kind: str = "live"
    """What the run is: "live" (pytest run by this server), "results" (result files opened),
    "collection" (a discovery) or "ci" (shards streaming to a dashboard); said by its
    `run_created` event."""
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
    numbers: dict[str, int] = field(default_factory=dict)
    """The last event number folded, per source (a live run's plugin is source "")."""
    ci: CiRun = field(default_factory=CiRun)
    """A CI run's project, run key and shards."""
    seq: int = 0
    tallies: Counter[str] = field(default_factory=Counter)
    """How many tests have each outcome (queued, running, passed, not run...), kept as they
    change: the head's progress and the chips' counts without counting every test."""
    structure: int = 0
    """Bumped whenever the set of tests changes, so views know to re-render the tree."""
    flaky_count: int = 0
    """Tests that failed in one attempt and passed in another (result files only)."""
    broken: dict[str, str] = field(default_factory=dict, repr=False)
    """The modules that could not be collected, and the source that reported each first."""
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

    @property
    def done(self) -> int:
        """Tests with a result (`outcomes.has_result`), from the tallies: a live page asks with
        every update, and counting 100,000 tests each time would cost more than the update."""
        return sum(n for outcome, n in self.tallies.items() if has_result(outcome))

    @property
    def output(self) -> str:
        """The last `OUTPUT_CAP` characters of pytest's output."""
        return self.terminal.text

    @property
    def output_dropped(self) -> int:
        """How many older characters of output were not kept."""
        return self.terminal.dropped

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
        if self.kind == "ci":
            data.update(self.ci.as_json())
        if with_tests:
            data["tests"] = [json_of(t) for t in self.tests.values()]
            data["errors"] = list(self.collect_errors)
        return data
