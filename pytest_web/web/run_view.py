"""What a run's view shows, decided here so templates only print it: the head's words, tone,
progress and counts; which outcomes a group lists; how the tree starts (lazy, open, empty)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from pytest_web.core.fold import RunState
from pytest_web.core.outcomes import FAILED, FILTER_OF, summary_shown
from pytest_web.core.test_record import TestResult
from pytest_web.core.tree import Group

LAZY_ROWS = 2000
"""Above this many tests a finished run's tree loads each group's rows when it is opened."""
GROUP_ROWS = 1000
"""Rows per group request; more come with a 'show more' button."""
OPEN_ROWS = 300
"""Groups start open when the run (or a lazily loaded group) has at most this many tests."""

BAD_ENDS = frozenset({"crashed", "cancelled", "interrupted"})


@dataclass(frozen=True)
class Head:
    """A run's head line."""

    status: str
    """The run's status, as a word: running, finished, crashed, cancelled, interrupted."""
    tone: str
    """How it went, for its colour: running, passed (nothing failed), failed, or neutral."""
    done: int
    """Tests with a result (ran to an end)."""
    total: int
    counts: list[tuple[str, int]]
    """pytest's summary counts (`outcomes.summary_shown`)."""
    flaky: int
    exit: str
    """pytest's exit status, or the process's when pytest never said."""
    collected: bool
    """A discovery: its tests were found, not run."""

    @property
    def progress(self) -> tuple[int, int]:
        """(value, max) of the progress bar."""
        return self.done, max(self.total, 1)


def head(state: RunState) -> Head:
    counts = summary_shown(state.counts)
    failed = any(n for name, n in counts if name in FAILED) or state.exitstatus not in (None, 0, 5)
    if state.status == "running":
        tone = "running"
    elif state.status in BAD_ENDS or failed:
        tone = "failed"
    elif state.status == "finished":
        tone = "passed"
    else:
        tone = "neutral"
    if state.exitstatus is not None:
        exit_text = f"exit {state.exitstatus}"
    elif state.returncode is not None:
        exit_text = f"process exit {state.returncode}"
    else:
        exit_text = ""
    return Head(
        status=state.status,
        tone=tone,
        done=state.done,
        total=len(state.tests),
        counts=counts,
        flaky=state.flaky_count,
        exit=exit_text,
        collected=state.status == "collected",
    )


def group_counts(state: RunState, group: Group) -> Counter[str]:
    """The outcomes of the tests in `group`."""
    tests = state.tests
    return Counter(tests[n].outcome if n in tests else "" for n in group.nodeids)


def filters_inside(counts: Counter[str]) -> list[str]:
    """The status filters under which some test of the group falls."""
    return sorted({FILTER_OF[name] for name in counts if name in FILTER_OF})


def empty_note(state: RunState, query: str) -> str:
    """What an empty tree says."""
    if query:
        return f"No test matches “{query}”."
    if state.status == "running":
        return "Collecting…"
    if state.collect_errors:
        return "No tests: see the collection errors above."
    return "No tests."


def shown_command(command: list[str]) -> str:
    """The command a run ran, from `pytest` on (the interpreter and `-m` left out)."""
    return " ".join(command[2:]) if command[1:2] == ["-m"] else " ".join(command)


def find_group(roots: list[Group], group_id: str) -> Group | None:
    todo = list(roots)
    while todo:
        group = todo.pop()
        if group.id == group_id:
            return group
        todo.extend(c for c in group.children if not isinstance(c, str))
    return None


def page_of(
    group: Group, tests: dict[str, TestResult], visible: set[str] | None, offset: int
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
        count = len(child.nodeids) if visible is None else sum(n in visible for n in child.nodeids)
        if count and group.kind == "folder":  # its files, closed: at most 200 per page
            items.append(("lazy", child, count))
            budget -= 5
        elif count:
            items.append(("group" if count <= budget else "lazy", child, count))
            budget -= count if count <= budget else 1
    return items, 0


def opens(query: str, items: list[tuple[str, object, int]]) -> bool:
    """Whether the groups on a page of a lazy group start open: when searching, or when the
    page holds few tests."""
    return bool(query) or sum(count for _, _, count in items) <= OPEN_ROWS
