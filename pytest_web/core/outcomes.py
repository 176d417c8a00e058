"""pytest's counting rules: which summary-line category a report phase is, and which phase
decides a test's outcome. Pure code, used by the fold and by the views."""

from __future__ import annotations

import math
import sys
from typing import Any

COUNTED = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
"""The outcomes of pytest's summary line, in its order."""

FAILING = frozenset({"failed", "error", "rerun"})
"""Attempt outcomes that, next to a passed attempt, make a test flaky."""

SEVERITY = {
    "error": 6,
    "failed": 5,
    "xpassed": 4,
    "passed": 3,
    "xfailed": 2,
    "skipped": 1,
}


def category(phase: dict[str, Any]) -> str:
    """The summary-line category pytest gives one report ('' when it does not count)."""
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


def worst_outcome(phases: list[dict[str, Any]]) -> str:
    """A test's outcome: its worst phase ("error" when setup or teardown errored)."""
    counted = [c for c in map(category, phases) if c]
    if not counted:
        return ""  # setup and teardown only: the test never ran
    return max(counted, key=lambda c: SEVERITY.get(c, 5))


def _number(value: Any) -> float:
    if value.__class__ is not float:
        try:
            value = float(value)
        except (TypeError, ValueError):
            return 0.0
    return value if 0.0 <= value < math.inf else 0.0  # NaN compares false


def clean_phase(phase: dict[str, Any]) -> dict[str, Any]:
    """A report phase with the fields and types the views rely on, whatever was sent."""
    get = phase.get
    clean: dict[str, Any] = {  # interned: 10,000 tests hold 30,000 copies of "passed"
        "when": sys.intern(str(get("when", ""))),
        "outcome": sys.intern(str(get("outcome", ""))),
        "duration": _number(get("duration")),
    }
    if get("longrepr"):
        clean["longrepr"] = str(phase["longrepr"])
    if "wasxfail" in phase:
        clean["wasxfail"] = str(phase["wasxfail"])
    sections = get("sections")
    if isinstance(sections, list) and sections:
        clean["sections"] = [
            [str(s[0]), str(s[1])] for s in sections if isinstance(s, (list, tuple)) and len(s) == 2
        ]
    return clean
