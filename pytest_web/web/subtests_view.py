"""Subtests as pytest shows them (pytest 9's `subtests` fixture, unittest's `subTest`,
pytest-subtests): each under its test with its message and parameters, a failed one with its own
traceback, and the subtest parts of pytest's summary line ("8 subtests passed").

A subtest is its own event (`subtest_end`); the fold keeps a bounded number of each test's
(`TestResult.subtests`: its first ones and its failed ones) and counts them all
(`TestResult.subtests_seen`), so the detail says how many it shows of how many.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_web.core.outcomes import SUBTEST_COUNTED
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
    """The test's subtests that the fold kept, in the order they ran."""
    return [
        Subtest(
            subtest_words(phase),
            str(phase.get("outcome", "")),
            float(phase.get("duration") or 0.0),
            str(phase.get("longrepr") or ""),
        )
        for phase in test.subtests
    ]


def subtests_heading(test: TestResult) -> str:
    """The detail's heading: "3 subtests", or "20000 subtests (showing 1000)" when the fold
    kept only some."""
    seen, kept = test.subtests_seen, len(test.subtests)
    words = f"{seen} subtest{'' if seen == 1 else 's'}"
    return f"{words} (showing {kept})" if seen > kept else words


def summary_parts(counts: Mapping[str, int]) -> list[tuple[str, int, str]]:
    """The subtest parts of a run's summary line, as pytest shows them (only those it
    counted): (words, number, outcome) such as ("subtests passed", 8, "passed")."""
    return [(name, counts[name], SUBTEST_COUNTED[name]) for name in SHOWN_PARTS if counts.get(name)]
