"""What a run's tree shows, decided here so templates only print it: which tests it lists (the
whole suite around a partial run), which of them a status filter and a search keep, which groups
start open, and how a big tree loads (closed groups that fetch their rows, a page at a time).

The browser never holds more than about `ROW_BUDGET` rows per request, whatever the number of
tests: a big run's groups load their rows when opened, and a filter shows its matches open only
as far as that budget goes (the rest as closed groups).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_web.core.outcomes import FILTER_OF, FILTERS
from pytest_web.core.test_record import TestResult
from pytest_web.core.tree import Group, Tree

LAZY_ROWS = 2000
"""Above this many tests a run's tree (running or not) loads each group's rows when opened."""
GROUP_ROWS = 250
"""Rows per group request; more come as the user scrolls to the 'show more' button (or clicks
it). A page of 1,000 rows took Chromium 300-700 ms to put in, during a 100,000-test run."""
ROW_BUDGET = GROUP_ROWS
"""Rows a filtered or searched big tree shows open at once (its other groups stay closed)."""
OPEN_ROWS = 300
"""Groups start open when the run (or a lazily loaded group) has at most this many tests."""
SHOW_CHOICES = ("all", *FILTERS)
"""The status filters, as the chips offer them."""


def suite_entries(tests: Mapping[str, TestResult]) -> dict[str, TestResult]:
    """A suite to keep around a partial run: each test's place only, as not run in that run
    (nothing of the old results is held), with an index below zero so its status has an id
    that no live update targets."""
    return {
        nodeid: TestResult(nodeid, -1 - position, "", test.file, test.line)
        for position, (nodeid, test) in enumerate(tests.items())
    }


def shown_tests(
    tests: dict[str, TestResult], suite: Mapping[str, TestResult] | None
) -> dict[str, TestResult]:
    """The tests a run's view lists: with a suite (a partial run), the suite in its order, each
    test as this run has it or as not run, then the run's tests the suite lacked."""
    if not suite:
        return tests
    shown = {nodeid: tests.get(nodeid, entry) for nodeid, entry in suite.items()}
    for nodeid, test in tests.items():
        shown.setdefault(nodeid, test)
    return shown


def show_choice(value: object) -> str:
    """A status filter from a request ('all' for anything unknown)."""
    return value if isinstance(value, str) and value in SHOW_CHOICES else "all"


def visible_tests(tests: Mapping[str, TestResult], query: str, show: str) -> set[str] | None:
    """The node ids that a search (case-insensitive, anywhere in the id) and a status filter
    keep; None when neither is set (everything)."""
    needle = query.strip().lower()
    if not needle and show == "all":
        return None
    wanted = FILTERS.get(show)
    return {
        nodeid
        for nodeid, test in tests.items()
        if (not needle or needle in nodeid.lower()) and (wanted is None or test.outcome in wanted)
    }


def filter_counts(tallies: Mapping[str, int], total: int) -> dict[str, int]:
    """How many tests each chip shows, from how many tests have each outcome (not pytest's
    summary: a test with a teardown error counts once, under Failed); `total` for All."""
    counts: Counter[str] = Counter()
    for outcome, n in tallies.items():
        counts[FILTER_OF.get(outcome, "")] += n
    return {"all": total, **{name: counts[name] for name in FILTERS}}


def group_counts(tests: Mapping[str, TestResult], group: Group) -> Counter[str]:
    """The outcomes of the tests in `group` ('' for those not in the run)."""
    return Counter(tests[n].outcome if n in tests else "" for n in group.nodeids)


def filters_inside(counts: Counter[str]) -> list[str]:
    """The status filters under which some test of the group falls."""
    return sorted({FILTER_OF[name] for name in counts if name in FILTER_OF})


@dataclass(frozen=True)
class TreeStart:
    """How a tree starts: each top group whole (`"group"`) or closed, loading its rows when
    opened (`"lazy"`), with the number of its tests shown; and whether whole groups start open."""

    items: list[tuple[str, Group, int]]
    open: bool
    lazy: bool


def tree_start(tree: Tree, visible: set[str] | None, total: int, narrowed: bool) -> TreeStart:
    """Small trees are whole (open up to `OPEN_ROWS` tests, or when a search or filter narrows
    them); big ones start as closed groups, except that a narrowed big tree opens its first
    groups on their matches, as far as `ROW_BUDGET` rows go."""
    shown = total if visible is None else len(visible)
    if shown <= LAZY_ROWS:
        roots = [(g, count_in(g, visible)) for g in tree.roots]
        items = [("group", g, n) for g, n in roots if n]
        return TreeStart(items, narrowed or shown <= OPEN_ROWS, lazy=False)
    items = []
    budget = ROW_BUDGET if narrowed else 0
    for group in tree.top:
        count = count_in(group, visible)
        if not count:
            continue
        fits = count <= budget
        items.append(("group" if fits else "lazy", group, count))
        budget -= count if fits else 0
    return TreeStart(items, open=True, lazy=True)


def count_in(group: Group, visible: set[str] | None) -> int:
    if visible is None:
        return len(group.nodeids)
    return sum(1 for n in group.nodeids if n in visible)


def find_group(roots: list[Group], group_id: str) -> Group | None:
    todo = list(roots)
    while todo:
        group = todo.pop()
        if group.id == group_id:
            return group
        todo.extend(c for c in group.children if not isinstance(c, str))
    return None


def page_of(
    group: Group, tests: Mapping[str, TestResult], visible: set[str] | None, offset: int
) -> tuple[list[tuple[str, Any, int]], int]:
    """(kind, child, tests) from `offset` for at most GROUP_ROWS rows: rows, whole groups that fit,
    lazy groups that do not (a folder's files are always lazy, counted as 5 rows each); and the
    offset where the next page starts (0 when none)."""
    items: list[tuple[str, object, int]] = []
    budget = GROUP_ROWS
    for index in range(offset, len(group.children)):
        if budget <= 0:
            return items, index
        child = group.children[index]
        if isinstance(child, str):
            if visible is None or child in visible:
                items.append(("row", tests[child], 1))
                budget -= 1
            continue
        count = count_in(child, visible)
        if count and group.kind == "folder":  # its files, closed: at most 200 per page
            items.append(("lazy", child, count))
            budget -= 5
        elif count:
            items.append(("group" if count <= budget else "lazy", child, count))
            budget -= count if count <= budget else 1
    return items, 0


def opens(narrowed: bool, items: list[tuple[str, object, int]]) -> bool:
    """Whether the groups on a page of a lazy group start open: when a search or a filter
    narrows the tree, or when the page holds few tests."""
    return narrowed or sum(count for _, _, count in items) <= OPEN_ROWS


def listed_rows(items: list[tuple[str, Any, int]], visible: set[str] | None) -> set[str]:
    """The node ids whose rows a tree's start or a group's page lists (`tree_start`, `page_of`):
    its rows and its whole groups' tests that are visible, not the tests of lazy groups."""
    found: set[str] = set()
    for kind, child, _ in items:
        if kind == "row":
            found.add(child.nodeid)
        elif kind == "group":
            nodeids = child.nodeids
            found.update(nodeids if visible is None else (n for n in nodeids if n in visible))
    return found
