"""HTML for runs: the whole view (page load, snapshot) and the delta of a batch of changes."""

from __future__ import annotations

import gc
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from jinja2 import Environment

from pytest_web.core.fold import RunState
from pytest_web.core.hub import Run
from pytest_web.core.outcomes import shown_counts
from pytest_web.core.test_record import TestResult
from pytest_web.core.tree import Group, Tree, build_tree
from pytest_web.web.run_view import (
    LAZY_ROWS,
    OPEN_ROWS,
    empty_note,
    filters_inside,
    group_counts,
    head,
)

SNAPSHOT_ROWS = 500
"""A running run's whole view goes out in messages of about this many rows (whole top-level
groups): each message is one swap in the page, so none of them freezes it for long."""
DELTA_ROWS = 200
"""At most this many rows per live update; more (a tab catching up) go out in further messages."""
YIELD = '<template hx-swap-oob="beforeend target:body swap:1ms"></template>'
"""Swaps nothing, 1 ms later: the message's swap ends on a timer, so the page renders (and the
next message starts in a new task) instead of running queued messages back to back."""


def quick_tree(state: RunState) -> Tree:
    """`build_tree` without the collector's passes over its 100,000 new entries (half the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return build_tree(state.tests)
    finally:
        if enabled:
            gc.enable()


def prepare(state: RunState) -> tuple[Tree, dict[str, Counter[str]]]:
    """A finished run's tree and the counts of the groups its lazy tree shows first, for
    `Renderer.seed`."""
    tree = quick_tree(state)
    return tree, {group.id: group_counts(state, group) for group in tree.top}


class Renderer:
    """Renders runs with the app's Jinja environment; caches each run's tree by its structure."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.env.globals.update(
            group_shown=lambda state, group: shown_counts(self.group_counts(state, group)),
            group_filters=lambda state, group: filters_inside(self.group_counts(state, group)),
        )
        self._trees: dict[str, tuple[int, Tree]] = {}
        self._counts: tuple[tuple[str, int], dict[str, Counter[str]]] = (("", -1), {})

    def group_counts(self, state: RunState, group: Group) -> Counter[str]:
        """`group_counts`, kept until the run changes: a page asks twice per group, and a
        finished run's folders cover every test."""
        version, known = self._counts
        if version != (state.id, state.seq):
            version, known = self._counts = ((state.id, state.seq), {})
        found = known.get(group.id)
        if found is None:
            found = known[group.id] = group_counts(state, group)
        return found

    def seed(self, state: RunState, tree: Tree, counts: dict[str, Counter[str]]) -> None:
        """Fill the caches with what `prepare` made beforehand."""
        self._trees[state.id] = (state.structure, tree)
        self._counts = ((state.id, state.seq), dict(counts))

    def tree(self, state: RunState) -> Tree:
        cached = self._trees.get(state.id)
        if cached is None or cached[0] != state.structure:
            if len(self._trees) > 4:  # a tree per run kept in memory, and the discovery
                self._trees.clear()
            cached = (state.structure, quick_tree(state))
            self._trees[state.id] = cached
        return cached[1]

    def macro(self, name: str) -> Callable[..., str]:
        """A macro of `_macros.html`, to render one piece (a group, a status) alone."""
        found: Callable[..., str] = getattr(self.env.get_template("_macros.html").module, name)
        return found

    def _render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)

    def run_context(self, run: Run, query: str = "") -> dict[str, Any]:
        state = run.state
        needle = query.strip().lower()
        visible = {n for n in state.tests if needle in n.lower()} if needle else None
        shown = len(state.tests) if visible is None else len(visible)
        tree = self.tree(state)
        lazy = state.status != "running" and shown > LAZY_ROWS
        return {
            "run": state,
            "head": head(state),
            "visible": visible,
            "tree": tree,
            "elapsed": state.elapsed(time.time()),
            "query": query.strip(),
            "event_id": f"{state.id}:{state.seq}",
            "live": state.status != "collected",
            "lazy": lazy,
            "top_groups": self.top_groups(tree, visible) if lazy else [],
            "open": bool(needle) or len(state.tests) <= OPEN_ROWS,
            "empty_note": empty_note(state, query.strip()),
        }

    @staticmethod
    def top_groups(tree: Tree, visible: set[str] | None) -> list[tuple[Group, int]]:
        """The groups a lazy tree shows first, with the number of their tests shown."""
        found = []
        for group in tree.top:
            count = (
                len(group.nodeids) if visible is None else len(visible.intersection(group.nodeids))
            )
            if count:
                found.append((group, count))
        return found

    def run_view(self, run: Run) -> str:
        return self._render("_run.html", **self.run_context(run))

    def snapshot(self, run: Run) -> str:
        """A message that replaces the whole run view."""
        return f'<div id="main" hx-swap-oob="innerHTML">{self.run_view(run)}</div>'

    def snapshot_parts(self, run: Run) -> list[str]:
        """The whole run view as messages: the view with the first top-level groups, then
        messages that append the next groups to the tree, about `SNAPSHOT_ROWS` rows each.

        Only a running run's big tree is split (a finished big run's tree loads lazily). Each
        appending swap waits a millisecond (`swap:1ms`), so the page renders between them.
        """
        state = run.state
        if state.status != "running" or len(state.tests) <= SNAPSHOT_ROWS:
            return [self.snapshot(run)]
        context = self.run_context(run)
        tree: Tree = context["tree"]
        chunks: list[list[Group]] = [[]]
        rows = 0
        for root in tree.roots:
            if rows >= SNAPSHOT_ROWS:
                chunks.append([])
                rows = 0
            chunks[-1].append(root)
            rows += len(root.nodeids)
        context["tree"] = Tree(chunks[0], tree.parents)
        first = self._render("_run.html", **context)
        parts = [f'<div id="main" hx-swap-oob="innerHTML">{first}</div>']
        group = self.macro("group")
        for roots in chunks[1:]:
            groups = "".join(str(group(state, g, None, False, True)) for g in roots)
            parts.append(f'<div hx-swap-oob="beforeend target:#tree swap:1ms">{groups}</div>')
        return parts

    def delta_parts(self, run: Run, seq: int) -> list[str]:
        """What changed after `seq`, as messages: one delta, or the whole view in parts."""
        changes = run.changes
        known = changes[seq - 1].structure if 0 < seq <= len(changes) else -1
        if known != run.state.structure:
            return self.snapshot_parts(run)
        state = run.state
        touched = sorted(
            (state.tests[n] for n in self._touched(run, seq) if n in state.tests),
            key=lambda t: t.index,
        )
        if len(touched) <= DELTA_ROWS:
            return [self.delta(run, seq)]
        parts = [self._delta(run, seq, touched[:DELTA_ROWS])]
        status = self.macro("status")
        for start in range(DELTA_ROWS, len(touched), DELTA_ROWS):
            rows = touched[start : start + DELTA_ROWS]
            parts.append(YIELD + "".join(str(status(t, True)) for t in rows))
        return parts

    @staticmethod
    def _touched(run: Run, seq: int) -> set[str]:
        return set().union(*(c.touched for c in run.since(seq)))

    def delta(self, run: Run, seq: int) -> str:
        """A message with what changed after `seq`: rows, their groups, the head, new output.

        When the set of tests changed since `seq` (a new run, the collection arrived), the
        message replaces the whole view instead.
        """
        state = run.state
        known = run.changes[seq - 1].structure if 0 < seq <= len(run.changes) else -1
        if known != state.structure:
            return self.snapshot(run)
        touched = self._touched(run, seq)
        return self._delta(run, seq, [state.tests[n] for n in touched if n in state.tests])

    def _delta(self, run: Run, seq: int, tests: list[TestResult]) -> str:
        """The head, `tests`' rows, the summaries of every group touched after `seq`, and the
        new output."""
        state = run.state
        tree = self.tree(state)
        groups: dict[str, Group] = {}
        for nodeid in self._touched(run, seq):
            for group in tree.parents.get(nodeid, ()):
                groups[group.id] = group
        return self._render(
            "_delta.html",
            run=state,
            head=head(state),
            elapsed=state.elapsed(time.time()),
            tests=tests,
            groups=groups.values(),
            output="".join(c.output for c in run.since(seq)),
        )
