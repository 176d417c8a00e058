"""HTML for runs: the whole view (page load, snapshot) and the delta of a batch of changes."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from jinja2 import Environment

from pytest_web.fold import COUNTED, RunState
from pytest_web.hub import Run
from pytest_web.tree import Group, Tree, build_tree, test_label


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"


def elapsed(state: RunState) -> float | None:
    if state.created is None:
        return None
    return (state.finished or time.time()) - state.created


def group_counts(state: RunState, group: Group) -> Counter[str]:
    tests = state.tests
    return Counter(tests[n].outcome if n in tests else "" for n in group.nodeids)


class Renderer:
    """Renders runs with the app's Jinja environment; caches each run's tree by its structure."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.env.filters["duration"] = format_duration
        self.env.globals.update(label=test_label, COUNTED=COUNTED, group_counts=group_counts)
        self._trees: dict[str, tuple[int, Tree]] = {}

    def tree(self, state: RunState) -> Tree:
        cached = self._trees.get(state.id)
        if cached is None or cached[0] != state.structure:
            if len(self._trees) > 50:
                self._trees.clear()
            cached = (state.structure, build_tree(state.tests))
            self._trees[state.id] = cached
        return cached[1]

    def _render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)

    def run_context(self, run: Run, query: str = "") -> dict[str, Any]:
        state = run.state
        needle = query.strip().lower()
        return {
            "run": state,
            "visible": {n for n in state.tests if needle in n.lower()} if needle else None,
            "tree": self.tree(state),
            "elapsed": elapsed(state),
            "query": query.strip(),
            "event_id": f"{state.id}:{state.seq}",
        }

    def run_view(self, run: Run) -> str:
        return self._render("_run.html", **self.run_context(run))

    def snapshot(self, run: Run) -> str:
        """A message that replaces the whole run view."""
        return f'<div id="main" hx-swap-oob="innerHTML">{self.run_view(run)}</div>'

    def delta(self, run: Run, seq: int) -> str:
        """A message with what changed after `seq`: rows, their groups, the head, new output.

        When the set of tests changed since `seq` (a new run, the collection arrived), the
        message replaces the whole view instead.
        """
        state = run.state
        changes = run.since(seq)
        known = run.changes[seq - 1].structure if 0 < seq <= len(run.changes) else -1
        if known != state.structure:
            return self.snapshot(run)
        tree = self.tree(state)
        touched: set[str] = set().union(*(c.touched for c in changes))
        groups: dict[str, Group] = {}
        for nodeid in touched:
            for group in tree.parents.get(nodeid, ()):
                groups[group.id] = group
        return self._render(
            "_delta.html",
            run=state,
            elapsed=elapsed(state),
            tests=[state.tests[n] for n in touched if n in state.tests],
            groups=groups.values(),
            output="".join(c.output for c in changes),
        )
