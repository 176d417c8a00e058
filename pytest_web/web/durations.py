"""Where a run's time went, as pytest's `--durations` says it and more: each group's total, the
tree with the slowest first, and the slowest phases (setup, call and teardown apart).

Durations are pytest's own, per report: a test's duration is the sum of its setup, call and
teardown (its subtests ran within its call), a group's the sum of its tests'.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain

from pytest_web.core.outcomes import has_result
from pytest_web.core.test_record import TestResult
from pytest_web.core.tree import Group, Tree
from pytest_web.web.subtests_view import subtest_words

SLOWEST = 30
"""Phases the slowest list shows (pytest's `--durations=N` asks the same of N)."""


def duration_of(test: TestResult | None) -> float:
    """A test's duration, 0 for one without a result (queued, running, not run)."""
    return test.duration if test is not None and has_result(test.outcome) else 0.0


def group_total(tests: Mapping[str, TestResult], group: Group) -> float:
    """The time the tests of `group` took."""
    return sum(duration_of(tests.get(nodeid)) for nodeid in group.nodeids)


def sorted_tree(tree: Tree, tests: Mapping[str, TestResult]) -> Tree:
    """`tree` with the slowest first at every level: groups by their total, tests by their
    duration; ties keep the run's order. Groups keep their ids, so a lazy group loads its rows
    and live updates find their summaries as in the tree in the run's order."""
    totals: dict[str, float] = {}

    def total(group: Group) -> float:
        found = totals.get(group.id)
        if found is None:
            found = totals[group.id] = group_total(tests, group)
        return found

    def key(child: Group | str) -> float:
        return -(duration_of(tests.get(child)) if isinstance(child, str) else total(child))

    def copy(group: Group) -> Group:
        children = [c if isinstance(c, str) else copy(c) for c in group.children]
        return Group(
            group.id, group.label, group.kind, group.key, sorted(children, key=key), group.nodeids
        )

    roots = sorted((copy(g) for g in tree.roots), key=key)
    by_id = {g.id: g for g in roots}
    top = [by_id.get(g.id) or copy(g) for g in tree.top]
    return Tree(roots, tree.parents, _top=sorted(top, key=key))


@dataclass(frozen=True)
class Slow:
    """One phase of a test, as a line of pytest's "slowest durations"."""

    duration: float
    when: str
    test: TestResult
    subtest: str = ""
    """Which subtest the phase was (its message and parameters), for a subtest's report."""


def slowest(tests: Mapping[str, TestResult], count: int = SLOWEST) -> list[Slow]:
    """The `count` slowest phases of the run, slowest first, as `pytest --durations=N` lists
    them: setup, call and teardown apart, and the subtests the fold kept (pytest lists each
    subtest's report too)."""
    timed = (
        (phase["duration"], index, phase, test)
        for index, test in enumerate(tests.values())
        for phase in chain(test.phases, test.subtests)
        if phase.get("duration")
    )
    found = heapq.nlargest(count, timed, key=lambda item: item[0])
    return [
        Slow(float(d), str(phase.get("when", "")), test, subtest_words(phase))
        for d, _, phase, test in found
    ]
