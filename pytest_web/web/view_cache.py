"""The views of runs a renderer keeps: each run's tree for its tests, and per-group counts and
durations, computed once per change of the run rather than once per group a page prints."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_web.core.fold import RunState
from pytest_web.core.hub import Run
from pytest_web.core.test_record import TestResult
from pytest_web.core.tree import Group, Tree, build_tree
from pytest_web.web.durations import group_total, sorted_tree
from pytest_web.web.tree_view import group_counts, shown_tests


def quick_tree(nodeids: Any) -> Tree:
    """`build_tree` without the collector's passes over its 100,000 new entries (half the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return build_tree(nodeids)
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class Prepared:
    """A finished run's tree, and the counts and total durations of the groups its lazy tree
    shows first: what its first page needs that touches every test."""

    tree: Tree
    counts: dict[str, Counter[str]]
    totals: dict[str, float]


def prepare(state: RunState) -> Prepared:
    """`Prepared` for `state`, for `ViewCache.seed` (made before gunicorn forks, so that the
    worker neither spends its first page on it nor copies the pages of every test)."""
    tree = quick_tree(state.tests)
    tests = state.tests
    return Prepared(
        tree,
        {group.id: group_counts(tests, group) for group in tree.top},
        {group.id: group_total(tests, group) for group in tree.top},
    )


@dataclass
class View:
    """A run's tests as its view lists them and their tree, for one set of tests: the state
    itself, its set of tests (`structure`) and the suite around it. Every discovery is a new
    state with the same id and a counter that starts again, so the state is compared too."""

    state: RunState
    structure: int
    suite: object
    tests: dict[str, TestResult]
    tree: Tree

    def holds(self, state: RunState, suite: object) -> bool:
        return self.state is state and self.structure == state.structure and self.suite is suite


@dataclass
class _PerGroup:
    """Values per group of one run, as they were at one point of it (`seq`)."""

    owner: object = None
    seq: int = -1
    known: dict[str, Any] = field(default_factory=dict)


class ViewCache:
    """Caches each run's tree by its tests, and its groups' counts and totals by its changes."""

    def __init__(self) -> None:
        self._views: dict[str, View] = {}
        self._counts = _PerGroup()
        self._totals = _PerGroup()
        self._sorted: tuple[object, int, Tree | None] = (None, -1, None)

    def group_counts(self, state: RunState, group: Group) -> Counter[str]:
        """`group_counts` of the run's view, kept while the run does not change: a page asks
        twice per group, and a finished run's folders cover every test."""
        found: Counter[str] = self._per_group(self._counts, state, group, group_counts)
        return found

    def group_total(self, state: RunState, group: Group) -> float:
        """`durations.group_total` of the run's view, kept while the run does not change."""
        found: float = self._per_group(self._totals, state, group, group_total)
        return found

    def _per_group(
        self,
        kept: _PerGroup,
        state: RunState,
        group: Group,
        compute: Callable[[Mapping[str, TestResult], Group], Any],
    ) -> Any:
        """`compute` for one group of the run's view, kept while the run does not change."""
        if kept.owner is not state or kept.seq != state.seq:
            kept.owner, kept.seq, kept.known = state, state.seq, {}
        found = kept.known.get(group.id)
        if found is None:
            view = self._views.get(state.id)
            tests = view.tests if view is not None and view.state is state else state.tests
            found = kept.known[group.id] = compute(tests, group)
        return found

    def sorted_tree(self, run: Run) -> Tree:
        """The run's tree with the slowest first (`durations.sorted_tree`), kept while the run
        does not change."""
        view = self.view(run)
        owner, seq, tree = self._sorted
        if owner is not view or seq != run.state.seq or tree is None:
            tree = sorted_tree(view.tree, view.tests)
            self._sorted = (view, run.state.seq, tree)
        return tree

    def seed(self, state: RunState, prepared: Prepared) -> None:
        """Fill the caches with what `prepare` made beforehand."""
        self._views[state.id] = View(state, state.structure, None, state.tests, prepared.tree)
        for kept, known in ((self._counts, prepared.counts), (self._totals, prepared.totals)):
            kept.owner, kept.seq, kept.known = state, state.seq, dict(known)

    def view(self, run: Run) -> View:
        return self._view(run.state, run.suite)

    def tree(self, state: RunState) -> Tree:
        return self._view(state, None).tree

    def _view(self, state: RunState, suite: dict[str, TestResult] | None) -> View:
        found = self._views.get(state.id)
        if found is None or not found.holds(state, suite):
            if len(self._views) > 4:  # a view per run kept in memory, and the discovery
                self._views.clear()
            tests = shown_tests(state.tests, suite)
            found = View(state, state.structure, suite, tests, quick_tree(tests))
            self._views[state.id] = found
        return found
