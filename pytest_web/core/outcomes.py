"""pytest's rules, each written once: which summary-line category a report is, a test's worst
outcome, what counts as failing, and which outcomes the page groups under each status filter.
Everything that shows or counts an outcome (the fold, history, the page, the CSS classes, the
export) asks here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

COUNTED = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
"""The test outcomes of pytest's summary line."""
RERUN = "rerun"
"""An attempt pytest-rerunfailures runs again: counted apart ("3 rerun"), never a test's outcome."""
SUBTEST_COUNTED = {
    "subtests passed": "passed",
    "subtests skipped": "skipped",
    "subtests failed": "failed",
}
"""The subtest counts, by their names in a run's `subtests`. pytest's summary line shows the
first two ("21194 subtests passed"; left out at its default verbosity: its own word decides,
see `category`) and counts a failed subtest among "failed"; "subtests failed" is kept apart too."""

FAILED = frozenset({"failed", "error"})
"""Outcomes that make pytest's exit status 1 (a strict xpass is reported as failed)."""
UNEXPECTED = FAILED | {"xpassed"}
"""What the user must look at: the 'Failed' filter and the report's failures list."""
PASSING = frozenset({"passed", "xfailed", "xpassed"})
"""Outcomes that, after a failure, mean a test is fixed."""
FLAKY_FAILURES = FAILED | {"rerun"}
"""Attempt outcomes that, next to a passed attempt, make a test flaky."""
PENDING = frozenset({"queued", "running"})
"""A test of a running run that has not ended yet."""
NO_RESULT = PENDING | {"", "notrun"}
"""States that say nothing about the test: no duration shown, nothing kept in its history."""

SEVERITY = {"error": 6, "failed": 5, "xpassed": 4, "passed": 3, "xfailed": 2, "skipped": 1}
"""Which category wins when a test's reports count several (a teardown error on a pass)."""

FILTERS: dict[str, frozenset[str]] = {
    "failed": UNEXPECTED,
    "passed": frozenset({"passed"}),
    "skipped": frozenset({"skipped", "xfailed"}),
    "running": PENDING,
}
"""The page's status filters and the outcomes each shows ('all' shows everything)."""
FILTER_OF: dict[str, str] = {outcome: name for name, group in FILTERS.items() for outcome in group}
"""An outcome's filter: rows carry it as a CSS class (`f-failed`), which the filters select."""

SHOWN_ORDER = ("failed", "error", "xpassed", "running", "passed", "skipped", "xfailed", "notrun")
"""The order in which a group's summary lists the outcomes inside it: what needs looking at
first."""


def category(phase: Mapping[str, Any]) -> str:
    """The summary-line category pytest gives one report ('' when it does not count)."""
    said = phase.get("category")
    if said is not None:  # pytest's own word (subtests)
        return str(said)
    outcome = phase.get("outcome")
    when = phase.get("when")
    if "wasxfail" in phase:
        if outcome == "skipped":
            return "xfailed"
        if outcome == "passed":
            return "xpassed"
    if when in ("setup", "teardown"):
        if outcome == "failed":
            return "error"
        if outcome == "skipped":
            return "skipped"
        return ""
    return str(outcome or "")


def categories(phases: Iterable[Mapping[str, Any]]) -> list[str]:
    """The categories a test's reports count, in order ('' left out)."""
    return [c for c in map(category, phases) if c]


def worst(counted: list[str]) -> str:
    """A test's outcome from the categories its own reports count: the worst of them ("error"
    when setup or teardown errored); '' when none is an outcome (it never ran, or pytest will
    run it again)."""
    if len(counted) == 1:
        return counted[0] if counted[0] in SEVERITY else ""
    return max((c for c in counted if c in SEVERITY), key=SEVERITY.__getitem__, default="")


def worst_outcome(phases: Iterable[Mapping[str, Any]]) -> str:
    """A test's outcome from its reports."""
    return worst(categories(phases))


def subtest_counted(phase: Mapping[str, Any]) -> list[str]:
    """What a subtest's report adds to its run's counts: pytest's word for it ("subtests
    passed", or "failed", counted with the tests as pytest does, and then also as "subtests
    failed")."""
    name = category(phase)
    if not name:
        return []
    return [name, "subtests failed"] if name == "failed" else [name]


def has_result(outcome: str) -> bool:
    """Whether `outcome` tells how the test went (so a duration and a history entry mean
    something)."""
    return outcome not in NO_RESULT


def summary_shown(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """A run's summary as the page and the report show it: the six test outcomes always (a
    zero dimmed), reruns when there were any (as pytest's summary line)."""
    shown = [(name, counts.get(name, 0)) for name in COUNTED]
    return shown + [(RERUN, counts[RERUN])] if counts.get(RERUN) else shown


def shown_counts(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """A group's non-zero outcomes in `SHOWN_ORDER`, as its summary lists them."""
    return [(name, counts[name]) for name in SHOWN_ORDER if counts.get(name)]


WORDS = {"": "not run", "notrun": "not run"}
"""An outcome's word where it is not its own name (a test without a result)."""


def outcome_word(outcome: str) -> str:
    """How an outcome reads on the page: pytest's word, or "not run"."""
    return WORDS.get(outcome, outcome)


def outcome_class(outcome: str) -> str:
    """The CSS classes of an outcome: its own (`o-failed`) and its filter's (`f-failed`), both
    from the tables above."""
    group = FILTER_OF.get(outcome)
    name = outcome or "none"
    return f"o-{name} f-{group}" if group else f"o-{name}"


def status_class(outcome: str) -> str:
    """The CSS classes of a test's status dot."""
    return "st " + outcome_class(outcome)


def longrepr_of(phases: Iterable[Mapping[str, Any]]) -> str:
    """What went wrong in these reports, each phase's text apart."""
    return "\n\n".join(p["longrepr"] for p in phases if p.get("longrepr"))
