"""HTML for runs: the whole view (page load, snapshot) and the delta of a batch of changes."""

from __future__ import annotations

import time
from collections.abc import Callable, Container
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from pytest_web.core.fold import RunState
from pytest_web.core.hub import Run
from pytest_web.core.outcomes import FILTER_OF, shown_counts
from pytest_web.core.test_record import TestResult
from pytest_web.core.tree import Group
from pytest_web.web.ci_view import shard_views
from pytest_web.web.run_view import head, tab_icon, tab_title
from pytest_web.web.tree_view import (
    TreeStart,
    filter_counts,
    filters_inside,
    listed_rows,
    show_choice,
    tree_start,
    visible_tests,
)
from pytest_web.web.view_cache import ViewCache

SNAPSHOT_ROWS = 500
"""A running run's whole view goes out in messages of about this many rows (whole top-level
groups): each message is one swap in the page, so none of them freezes it for long."""
DELTA_ROWS = 100
"""At most this many rows per live update; more (a tab catching up) go out in further messages.
A message of 200 took Chromium up to 150 ms to swap during a 100,000-test run; a tab is sent
only the rows it holds (`tabs`), and 100 keeps a swap short when it holds many."""
YIELD = '<template hx-swap-oob="beforeend target:body swap:1ms"></template>'
"""Swaps nothing, 1 ms later: the message's swap ends on a timer, so the page renders (and the
next message starts in a new task) instead of running queued messages back to back."""


def empty_note(state: RunState, query: str, show: str) -> str:
    """What an empty tree says."""
    if query:
        return f"No test matches “{query}”."
    if show != "all":
        return f"No {show} tests."
    if state.status == "running":
        return "Collecting…"
    if state.collect_errors:
        return "No tests: see the collection errors above."
    return "No tests."


class Renderer(ViewCache):
    """Renders runs with the app's Jinja environment (and keeps their views: `ViewCache`)."""

    def __init__(self, env: Environment) -> None:
        super().__init__()
        self.env = env
        self.env.globals.update(
            group_shown=lambda state, group: shown_counts(self.group_counts(state, group)),
            group_filters=lambda state, group: filters_inside(self.group_counts(state, group)),
            group_total=self.group_total,
        )

    def macro(self, name: str) -> Callable[..., str]:
        """A macro of `_macros.html`, to render one piece (a group, a status) alone."""
        found: Callable[..., str] = getattr(self.env.get_template("_macros.html").module, name)
        return found

    def _render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)

    def run_context(
        self, run: Run, query: str = "", show: str = "all", sort: str = ""
    ) -> dict[str, Any]:
        """What `_run.html` (and a tree or a group of it) needs, for a search, a status filter
        and an order (`url_state`)."""
        state = run.state
        view = self.view(run)
        show = show_choice(show)
        visible = visible_tests(view.tests, query, show)
        tree = self.sorted_tree(run) if sort == "duration" else view.tree
        run_head = head(state)
        return {
            "run": state,
            "tests": view.tests,
            "head": run_head,
            "visible": visible,
            "tree": tree,
            "start": tree_start(tree, visible, len(view.tests), visible is not None),
            "elapsed": state.elapsed(time.time()),
            "query": query.strip(),
            "show": show,
            "sort": "duration" if sort == "duration" else "",
            "chips": filter_counts(state.tallies, len(view.tests)),
            "event_id": f"{state.id}:{state.seq}",
            "running": state.status == "running",
            "empty_note": empty_note(state, query.strip(), show),
            "title": tab_title(run_head),
            "icon": tab_icon(run_head),
            "shards": shard_views(state) if state.kind == "ci" else [],
        }

    def run_view(self, run: Run) -> str:
        return self._render("_run.html", **self.run_context(run))

    def snapshot(self, run: Run, fresh: bool = False) -> str:
        """A message that replaces the whole run view (and, for a run the tab did not show
        before, empties the detail pane, which showed the earlier run's test)."""
        context = self.run_context(run)
        view = Markup(self._render("_run.html", **context))  # noqa: S704 - rendered, escaped
        return self._render("_snapshot.html", view=view, fresh=fresh, **context)

    def snapshot_parts(self, run: Run, fresh: bool = False) -> list[str]:
        """The whole run view as messages: the view with the first top-level groups, then
        messages that append the next groups to the tree, about `SNAPSHOT_ROWS` rows each.

        Only a running run's whole tree is split (a big tree loads its groups when opened).
        Each appending swap waits a millisecond (`swap:1ms`), so the page renders between them.
        """
        context = self.run_context(run)
        start: TreeStart = context["start"]
        if run.state.status != "running" or start.lazy or len(context["tests"]) <= SNAPSHOT_ROWS:
            return [self.snapshot(run, fresh)]
        chunks: list[list[tuple[str, Group, int]]] = [[]]
        rows = 0
        for item in start.items:
            if rows >= SNAPSHOT_ROWS:
                chunks.append([])
                rows = 0
            chunks[-1].append(item)
            rows += item[2]
        context["start"] = TreeStart(chunks[0], start.open, start.lazy)
        view = Markup(self._render("_run.html", **context))  # noqa: S704 - rendered, escaped
        parts = [self._render("_snapshot.html", view=view, fresh=fresh, **context)]
        top = self.macro("top_group")
        tests = context["tests"]
        for items in chunks[1:]:
            groups = "".join(
                str(top(run.state, tests, kind, g, None, start.open, "", "all", n))
                for kind, g, n in items
            )
            parts.append(f'<div hx-swap-oob="beforeend target:#tree swap:1ms">{groups}</div>')
        return parts

    def listed(self, run: Run) -> set[str]:
        """The node ids whose rows the run's whole view (`snapshot`) lists."""
        view = self.view(run)
        return listed_rows(tree_start(view.tree, None, len(view.tests), False).items, None)

    def delta_parts(self, run: Run, seq: int, held: Container[str] | None = None) -> list[str]:
        """What changed after `seq`, as messages: one delta, or the whole view in parts. Only
        the rows of `held` are sent (a tab's: see `tabs`), or every row."""
        if run.structure_at(seq) != run.state.structure:
            return self.snapshot_parts(run)
        touched = self._touched(run, seq)
        rows = sorted(self._rows(run, touched, held), key=lambda t: t.index)
        if len(rows) <= DELTA_ROWS:
            return [self._delta(run, seq, touched, rows)]
        parts = [self._delta(run, seq, touched, rows[:DELTA_ROWS])]
        status = self.macro("status")
        for start in range(DELTA_ROWS, len(rows), DELTA_ROWS):
            part = rows[start : start + DELTA_ROWS]
            parts.append(YIELD + "".join(str(status(t, True)) for t in part))
        return parts

    @staticmethod
    def _touched(run: Run, seq: int) -> set[str]:
        return set().union(*(c.touched for c in run.since(seq)))

    def _rows(self, run: Run, touched: set[str], held: Container[str] | None) -> list[TestResult]:
        """The `touched` tests whose rows are sent: those in `held`, or all."""
        tests = self.view(run).tests
        if held is not None:
            touched = {n for n in touched if n in held}
        return [tests[n] for n in touched if n in tests]

    def changed_filters(self, run: Run, seq: int) -> list[str]:
        """The status filters whose tests changed after `seq`: those the touched tests now fall
        under, and 'running', which each of them was under before it ended."""
        tests = run.state.tests
        touched = self._touched(run, seq)
        found = {FILTER_OF.get(tests[n].outcome, "") for n in touched if n in tests}
        return sorted(found - {""} | ({"running"} if touched else set()))

    def delta(
        self, run: Run, seq: int, output: bool = True, held: Container[str] | None = None
    ) -> str:
        """A message with what changed after `seq`: rows (of `held`, or all), their groups, the
        head, new output (`output`: a tab's request to catch up has its output already).

        When the set of tests changed since `seq` (a new run, the collection arrived), the
        message replaces the whole view instead.
        """
        state = run.state
        if run.structure_at(seq) != state.structure:
            return self.snapshot(run)
        touched = self._touched(run, seq)
        return self._delta(run, seq, touched, self._rows(run, touched, held), output)

    def _delta(
        self,
        run: Run,
        seq: int,
        touched: set[str],
        rows: list[TestResult],
        output: bool = True,
    ) -> str:
        """The head, `rows`' statuses, the summaries of every group `touched` after `seq`, the
        chips' counts, the tab's title and icon, and the new output."""
        view = self.view(run)
        groups: dict[str, Group] = {}
        for nodeid in touched:
            for group in view.tree.parents.get(nodeid, ()):
                groups[group.id] = group
        run_head = head(run.state)
        return self._render(
            "_delta.html",
            run=run.state,
            tests=view.tests,
            head=run_head,
            elapsed=run.state.elapsed(time.time()),
            rows=rows,
            groups=groups.values(),
            chips=filter_counts(run.state.tallies, len(view.tests)),
            title=tab_title(run_head),
            icon=tab_icon(run_head),
            output="".join(c.output for c in run.since(seq)) if output else "",
            shards=shard_views(run.state) if run.state.kind == "ci" else [],
        )
