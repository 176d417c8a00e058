"""One test of a run as it is shown, and each attempt of it read from result files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pytest_web.core.events import Phase
from pytest_web.core.outcomes import categories, longrepr_of


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
    """Its subtests' reports that are kept to show (see `fold.SUBTESTS_SHOWN`)."""
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
