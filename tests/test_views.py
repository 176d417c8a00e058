"""The rules of what a view shows, as plain functions: the tree (suite around a partial run,
filters, how a tree starts), the head (tone, first failure, the tab), durations."""

from __future__ import annotations

from collections import Counter

import pytest

from pytest_web.core.fold import RunState
from pytest_web.core.outcomes import outcome_word
from pytest_web.core.output import plain, whole_sequences
from pytest_web.core.test_record import TestResult as Result
from pytest_web.core.tree import build_tree
from pytest_web.web.run_view import (
    error_line,
    failing_tests,
    head,
    tab_icon,
    tab_title,
    tone,
    unchanged_words,
)
from pytest_web.web.templating import format_duration, view_args
from pytest_web.web.tree_view import (
    LAZY_ROWS,
    OPEN_ROWS,
    ROW_BUDGET,
    filter_counts,
    show_choice,
    shown_tests,
    suite_entries,
    tree_start,
    visible_tests,
)


def results_of(outcomes: dict[str, str]) -> dict[str, Result]:
    return {
        n: Result(n, i, outcome, file=n.split("::")[0])
        for i, (n, outcome) in enumerate(outcomes.items())
    }


def ids(files: int, per_file: int) -> list[str]:
    return [f"tests/test_{f:03}.py::test_{n}" for f in range(files) for n in range(per_file)]


def test_a_partial_run_is_shown_inside_the_suite_it_came_from() -> None:
    suite = suite_entries(
        results_of({"a.py::t1": "passed", "a.py::t2": "failed", "b.py::t3": "passed"})
    )
    assert [t.outcome for t in suite.values()] == ["", "", ""]  # places only, no old results
    assert [t.index for t in suite.values()] == [-1, -2, -3]  # ids no live update targets
    run = results_of({"a.py::t2": "passed", "c.py::new": "failed"})
    shown = shown_tests(run, suite)
    assert list(shown) == ["a.py::t1", "a.py::t2", "b.py::t3", "c.py::new"]
    assert shown["a.py::t2"] is run["a.py::t2"] and shown["a.py::t1"] is suite["a.py::t1"]
    assert shown_tests(run, None) is run


def test_a_search_and_a_status_filter_keep_their_tests() -> None:
    tests = results_of(
        {"a.py::t_x": "passed", "a.py::t_y": "failed", "b.py::t_x": "xpassed", "b.py::t_z": "error"}
    )
    assert visible_tests(tests, "", "all") is None
    assert visible_tests(tests, " T_X ", "all") == {"a.py::t_x", "b.py::t_x"}
    assert visible_tests(tests, "", "failed") == {"a.py::t_y", "b.py::t_x", "b.py::t_z"}
    assert visible_tests(tests, "t_x", "failed") == {"b.py::t_x"}
    assert show_choice("failed") == "failed" and show_choice("nope") == show_choice(3) == "all"
    tallies = Counter(test.outcome for test in tests.values())
    chips = filter_counts(tallies, len(tests) + 1)  # one more: a suite's test not in the run
    assert chips == {"all": 5, "failed": 3, "passed": 1, "skipped": 0, "running": 0}


def test_a_small_tree_is_whole_and_opens_up_to_a_limit_or_when_narrowed() -> None:
    small = ids(3, 10)
    tree = build_tree(small)
    start = tree_start(tree, None, len(small), narrowed=False)
    assert not start.lazy and start.open and [k for k, _, _ in start.items] == ["group"] * 3
    many = ids(4, OPEN_ROWS // 4 + 1)
    assert not tree_start(build_tree(many), None, len(many), narrowed=False).open
    assert tree_start(build_tree(many), set(many[:2]), len(many), narrowed=True).open
    only = tree_start(tree, {small[0]}, len(small), narrowed=True)
    assert [(k, n) for k, _, n in only.items] == [("group", 1)]  # groups without a match go


def test_a_big_tree_starts_closed_and_a_narrowed_one_opens_its_matches_within_a_budget() -> None:
    nodeids = ids(30, 100)
    assert len(nodeids) > LAZY_ROWS
    tree = build_tree(nodeids)
    start = tree_start(tree, None, len(nodeids), narrowed=False)
    assert start.lazy and {k for k, _, _ in start.items} == {"lazy"} and len(start.items) == 30
    failures = {n for n in nodeids if n.endswith("::test_7")}  # one per file
    start = tree_start(tree, failures, len(nodeids), narrowed=True)
    assert [(k, n) for k, _, n in start.items] == [("group", 1)] * 30
    wide = set(nodeids[: LAZY_ROWS + 500])  # matches over the budget: the rest stay closed
    start = tree_start(tree, wide, len(nodeids), narrowed=True)
    whole = sum(n for k, _, n in start.items if k == "group")
    assert 0 < whole <= ROW_BUDGET and start.items[-1][0] == "lazy"


def test_a_view_request_keeps_the_search_and_filter() -> None:
    assert view_args("", "all") == ""
    assert view_args("a b", "failed", offset=1000) == "?q=a+b&show=failed&offset=1000"


LONGREPR = "def t():\n>   assert 1 == 2\n\x1b[31mE   assert 1 == 2\x1b[0m\n\nt.py:2: AssertionError"


def state_with(outcomes: dict[str, str], status: str = "finished", exitstatus: int = 1) -> RunState:
    state = RunState("r", status=status, exitstatus=exitstatus)
    state.tests = results_of(outcomes)
    state.tallies = Counter(t.outcome for t in state.tests.values())  # as the fold keeps them
    for test in state.tests.values():
        state.counts[test.outcome] += 1
        if test.outcome == "failed":
            test.phases = [
                {
                    "when": "call",
                    "outcome": "failed",
                    "duration": 0.1,
                    "longrepr": LONGREPR,
                }
            ]
    return state


def test_the_tone_follows_how_the_run_went() -> None:
    assert tone("running", {"failed": 3}, None) == "running"
    assert tone("finished", {"failed": 1}, 1) == "failed"
    assert tone("finished", {"passed": 3}, 0) == tone("finished", {}, 5) == "passed"
    assert tone("finished", {"passed": 3}, 2) == "failed"  # interrupted, usage error
    assert tone("cancelled", {"passed": 3}, None) == tone("crashed", {}, None) == "failed"
    assert tone("collected", {}, None) == "neutral"


def test_the_head_names_the_first_failure_once_the_run_ended() -> None:
    state = state_with({"t.py::a": "passed", "t.py::b": "failed", "t.py::c": "failed"})
    found = head(state)
    assert found.failure is not None and found.failure.nodeid == "t.py::b"
    assert found.message == "assert 1 == 2" and found.unexpected == 2 and found.failures == 2
    assert head(state_with({"t.py::b": "failed"}, status="running")).failure is None


def test_a_failures_one_line_is_its_first_error_line() -> None:
    assert error_line("x\nE   ValueError: bad\nE   more\nt.py:3: ValueError") == "ValueError: bad"
    assert error_line("pytest exited (code -9) while this test was running") == (
        "pytest exited (code -9) while this test was running"
    )
    assert error_line("\x1b[1m\x1b[31mE   boom\x1b[0m") == "boom"
    assert error_line("E   " + "x" * 500).endswith("…") and len(error_line("E " + "x" * 500)) == 200
    assert error_line("") == ""
    assert error_line("[gw1] linux -- Python 3.11.7 /venv/bin/python") == ""


def test_the_failing_list_gives_a_line_for_each() -> None:
    state = state_with({"t.py::a": "passed", "t.py::b": "failed", "t.py::x": "xpassed"})
    state.tests["t.py::x"].phases = [
        {"when": "call", "outcome": "passed", "duration": 0.0, "wasxfail": "reason: flaky lib"}
    ]
    assert [(t.nodeid, m) for t, m in failing_tests(state.tests)] == [
        ("t.py::b", "assert 1 == 2"),
        ("t.py::x", "expected to fail: flaky lib"),
    ]


def test_the_tab_says_the_state_first() -> None:
    assert tab_title(None) == "pytest-web" and tab_icon(None) == "icons/neutral.svg"
    failed = head(state_with({"t.py::a": "failed", "t.py::b": "failed"}))
    assert tab_title(failed) == "✕ 2 failed · pytest-web" and tab_icon(failed) == "icons/failed.svg"
    passed = head(state_with({"t.py::a": "passed"}, exitstatus=0))
    assert (
        tab_title(passed) == "✓ All passed · pytest-web" and tab_icon(passed) == "icons/passed.svg"
    )
    running = head(state_with({"t.py::a": "passed", "t.py::b": "queued"}, status="running"))
    assert tab_title(running) == "Running 1/2 · pytest-web"
    cancelled = head(state_with({"t.py::a": "passed"}, status="cancelled", exitstatus=2))
    assert tab_title(cancelled) == "Cancelled · pytest-web"
    collected = head(state_with({"t.py::a": ""}, status="collected", exitstatus=0))
    assert tab_title(collected) == "1 test · pytest-web"


def test_no_change_is_said_only_of_a_finished_run() -> None:
    assert unchanged_words("finished", 12) == "no change since the previous run"
    assert unchanged_words("cancelled", 5) == "cancelled: the 5 tests that ran are unchanged"
    assert unchanged_words("crashed", 1) == "crashed: the 1 test that ran is unchanged"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, ""), (0.0, "0 ms"), (0.000004, "<0.01 ms"), (0.00004, "0.04 ms"),
        (0.0004, "0.4 ms"), (0.0032, "3.2 ms"), (0.012, "12 ms"), (0.9994, "999 ms"),
        (1.25, "1.25 s"), (125.0, "2 min 5 s"), (float("nan"), ""),
    ],
)  # fmt: skip
def test_durations_have_the_precision_that_tells_them_apart(
    seconds: float | None, shown: str
) -> None:
    assert format_duration(seconds) == shown


def test_colour_codes_are_never_cut_between_messages() -> None:
    assert whole_sequences("ok \x1b[3") == ("ok ", "\x1b[3")
    assert whole_sequences("ok \x1b[31mred") == ("ok \x1b[31mred", "")
    assert whole_sequences("plain") == ("plain", "")
    assert plain("\x1b[1m\x1b[31mE  x\x1b[0m") == "E  x"


def test_outcomes_without_a_result_read_as_not_run() -> None:
    assert [outcome_word(o) for o in ("", "notrun", "failed", "queued")] == [
        "not run", "not run", "failed", "queued",
    ]  # fmt: skip
