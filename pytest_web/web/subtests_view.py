"""Subtests as pytest shows them (pytest 9's `subtests` fixture, unittest's `subTest`,
pytest-subtests): each under its test with its message and parameters, a failed one with its own
traceback, and the subtest parts of pytest's summary line ("8 subtests passed").

A subtest is one of its test's reports (a phase with `subtest`), so the test's own traceback is
that of its other reports: for a test whose subtests failed, pytest's "contains 1 failed
subtest".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_web.core.outcomes import SUBTEST_COUNTED, longrepr_of
from pytest_web.core.test_record import TestResult

SHOWN_PARTS = ("subtests passed", "subtests skipped")
"""The subtest parts of pytest's summary line (a failed subtest is among "failed")."""


@dataclass(frozen=True)
class Subtest:
    """One subtest's report."""

    words: str
    """Which subtest: `[msg] (a=1, b='x')`, as pytest's summary names it."""
    outcome: str
    """pytest's report outcome: passed, failed or skipped."""
    duration: float
    longrepr: str


def subtest_words(phase: Mapping[str, Any]) -> str:
    """A subtest as pytest's summary names it (`SUBFAILED[case] (i=2)`): `[msg] (a=1)`; ''
    for a report that is not a subtest's."""
    sub = phase.get("subtest")
    if not isinstance(sub, Mapping):
        return ""
    msg = sub.get("msg") or ""
    params = sub.get("params") or {}
    words = [f"[{msg}]"] if msg else []
    if isinstance(params, Mapping) and params:
        words.append("(" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")")
    return " ".join(words) or "(subtest)"


def subtests_of(test: TestResult) -> list[Subtest]:
    """The test's subtests, in the order they ran."""
    return [
        Subtest(
            subtest_words(phase),
            str(phase.get("outcome", "")),
            float(phase.get("duration") or 0.0),
            str(phase.get("longrepr") or ""),
        )
        for phase in test.phases
        if "subtest" in phase
    ]


def own_longrepr(test: TestResult) -> str:
    """What went wrong in the test's own reports, its subtests' left to them."""
    phases: Iterable[Mapping[str, Any]] = test.phases
    if any("subtest" in phase for phase in phases):
        return longrepr_of(p for p in phases if "subtest" not in p)
    return test.longrepr


def summary_parts(counts: Mapping[str, int]) -> list[tuple[str, int, str]]:
    """The subtest parts of a run's summary line, as pytest shows them (only those it
    counted): (words, number, outcome) such as ("subtests passed", 8, "passed")."""
    return [(name, counts[name], SUBTEST_COUNTED[name]) for name in SHOWN_PARTS if counts.get(name)]
