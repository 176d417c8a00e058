"""The fold (`core.fold`): a run's state from its events, counted by pytest's own rules."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pytest_web.core import clean, fold, outcomes
from pytest_web.core.output import OUTPUT_CAP

# The module is imported whole: its `TestResult` class must not be collected as a test class.
# Events pass the door (`clean.event`) as every event from outside does before it is folded.


def phase(when: str, outcome: str, duration: Any = 0.01, **extra: Any) -> dict[str, Any]:
    return {"when": when, "outcome": outcome, "duration": duration, **extra}


PASS = [phase("setup", "passed"), phase("call", "passed"), phase("teardown", "passed")]
FAIL = [
    phase("setup", "passed"),
    phase("call", "failed", longrepr="assert 1 == 2"),
    phase("teardown", "passed"),
]
SETUP_ERROR = [phase("setup", "failed", longrepr="fixture broke"), phase("teardown", "passed")]
TEARDOWN_ERROR = [
    phase("setup", "passed"),
    phase("call", "passed"),
    phase("teardown", "failed", longrepr="teardown broke"),
]
SKIP = [
    phase("setup", "skipped", longrepr="('t.py', 3, 'Skipped: no')"),
    phase("teardown", "passed"),
]
XFAIL = [
    phase("setup", "passed"),
    phase("call", "skipped", longrepr="boom", wasxfail="known bug"),
    phase("teardown", "passed"),
]
XPASS = [
    phase("setup", "passed"),
    phase("call", "passed", longrepr="", wasxfail="known bug"),
    phase("teardown", "passed"),
]


def end(nodeid: str, phases: list[Any], **extra: Any) -> Any:
    return clean.event({"type": "test_end", "nodeid": nodeid, "phases": phases, **extra})


def start(nodeid: str, **extra: Any) -> dict[str, Any]:
    return {"type": "test_start", "nodeid": nodeid, **extra}


def new_run(*nodeids: str) -> fold.RunState:
    state = fold.RunState("run-1")
    state.apply(
        {"type": "run_created", "selection": {"k": "x"}, "command": ["pytest"], "time": 1.0}
    )
    state.apply({"type": "session_start", "pytest_version": "9.2.0", "rootdir": "/repo"})
    state.apply({"type": "collection", "nodeids": list(nodeids)})
    return state


def counts(state: fold.RunState) -> dict[str, int]:
    return {name: n for name, n in state.summary().items() if n}


# --- category / worst_outcome ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (phase("setup", "passed"), ""),
        (phase("teardown", "passed"), ""),
        (phase("call", "passed"), "passed"),
        (phase("call", "failed"), "failed"),
        (phase("call", "skipped"), "skipped"),
        (phase("setup", "failed"), "error"),
        (phase("teardown", "failed"), "error"),
        (phase("setup", "skipped"), "skipped"),
        (phase("call", "skipped", wasxfail=""), "xfailed"),
        (phase("setup", "skipped", wasxfail="in a fixture"), "xfailed"),
        (phase("call", "passed", wasxfail="reason"), "xpassed"),
        (phase("???", "failed"), "failed"),
        ({}, ""),
    ],
)
def test_category_follows_pytest_summary_rules(item: dict[str, Any], expected: str) -> None:
    assert outcomes.category(item) == expected


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        (PASS, "passed"),
        (FAIL, "failed"),
        (SETUP_ERROR, "error"),
        (TEARDOWN_ERROR, "error"),
        (SKIP, "skipped"),
        (XFAIL, "xfailed"),
        (XPASS, "xpassed"),
        (FAIL[:2] + [phase("teardown", "failed")], "error"),
        ([phase("setup", "passed"), phase("teardown", "passed")], ""),
        ([], ""),
    ],
)
def test_worst_outcome(phases: list[dict[str, Any]], expected: str) -> None:
    assert outcomes.worst_outcome(phases) == expected


# --- counting ---------------------------------------------------------------------------------


def test_counts_follow_pytest_rules_for_every_outcome() -> None:
    cases = {
        "t.py::test_pass": PASS,
        "t.py::test_fail": FAIL,
        "t.py::test_setup_error": SETUP_ERROR,
        "t.py::test_teardown_error": TEARDOWN_ERROR,
        "t.py::test_skip": SKIP,
        "t.py::test_xfail": XFAIL,
        "t.py::test_xpass": XPASS,
    }
    state = new_run(*cases)
    for nodeid, phases in cases.items():
        state.apply(start(nodeid))
        state.apply(end(nodeid, phases))
    # pytest says: 1 failed, 2 passed, 1 skipped, 1 xfailed, 1 xpassed, 2 errors
    assert state.summary() == {
        "passed": 2,
        "failed": 1,
        "error": 2,
        "skipped": 1,
        "xfailed": 1,
        "xpassed": 1,
        "rerun": 0,
    }
    outcomes = {t.nodeid: t.outcome for t in state.order}
    assert outcomes == {
        "t.py::test_pass": "passed",
        "t.py::test_fail": "failed",
        "t.py::test_setup_error": "error",
        "t.py::test_teardown_error": "error",
        "t.py::test_skip": "skipped",
        "t.py::test_xfail": "xfailed",
        "t.py::test_xpass": "xpassed",
    }
    assert state.tests["t.py::test_teardown_error"].categories == ["passed", "error"]
    assert state.done == len(cases)


def test_teardown_error_on_a_passing_test_counts_one_passed_and_one_error() -> None:
    state = new_run("t.py::test_a")
    state.apply(end("t.py::test_a", TEARDOWN_ERROR))
    assert counts(state) == {"passed": 1, "error": 1}
    assert state.tests["t.py::test_a"].outcome == "error"
    assert state.tests["t.py::test_a"].longrepr == "teardown broke"


def test_failed_call_and_teardown_error_count_both() -> None:
    state = new_run("t.py::test_a")
    state.apply(end("t.py::test_a", FAIL[:2] + [phase("teardown", "failed", longrepr="td")]))
    assert counts(state) == {"failed": 1, "error": 1}
    assert state.tests["t.py::test_a"].longrepr == "assert 1 == 2\n\ntd"


def test_crash_report_counts_as_failed() -> None:
    """xdist reports a test whose worker died as one phase with when '???'."""
    state = new_run("t.py::test_crash", "t.py::test_ok")
    state.apply(start("t.py::test_crash", location=["t.py", 4, "test_crash"]))
    crash = phase("???", "failed", longrepr="worker 'gw0' crashed while running 't.py::test_crash'")
    state.apply(end("t.py::test_crash", [phase("setup", "passed"), crash], worker="gw0"))
    state.apply(end("t.py::test_ok", PASS, worker="gw1"))
    test = state.tests["t.py::test_crash"]
    assert test.outcome == "failed"
    assert test.worker == "gw0"
    assert "crashed" in test.longrepr
    assert counts(state) == {"failed": 1, "passed": 1}


def test_duplicated_test_end_does_not_double_count() -> None:
    state = new_run("t.py::test_a", "t.py::test_b")
    state.apply(end("t.py::test_a", FAIL))
    state.apply(end("t.py::test_a", FAIL))
    state.apply(end("t.py::test_b", TEARDOWN_ERROR))
    state.apply(end("t.py::test_b", TEARDOWN_ERROR))
    assert counts(state) == {"failed": 1, "passed": 1, "error": 1}


def test_repeated_test_end_replaces_the_earlier_result() -> None:
    state = new_run("t.py::test_a")
    state.apply(end("t.py::test_a", FAIL))
    state.apply(end("t.py::test_a", PASS))
    assert counts(state) == {"passed": 1}
    assert "failed" not in state.counts  # zero entries are dropped, not kept as 0
    assert state.tests["t.py::test_a"].outcome == "passed"


def test_test_start_after_test_end_does_not_go_back_to_running() -> None:
    state = new_run("t.py::test_a")
    state.apply(start("t.py::test_a"))
    assert state.tests["t.py::test_a"].outcome == "running"
    state.apply(end("t.py::test_a", PASS))
    changed = state.apply(start("t.py::test_a"))
    assert changed == {"t.py::test_a"}
    assert state.tests["t.py::test_a"].outcome == "passed"
    assert state.done == 1


def test_test_start_and_end_locate_the_test_one_based() -> None:
    state = new_run("t.py::C::test_a")
    state.apply(start("t.py::C::test_a", location=["sub/t.py", 9, "C.test_a"]))
    test = state.tests["t.py::C::test_a"]
    assert (test.file, test.line) == ("sub/t.py", 10)
    state.apply(end("t.py::C::test_a", PASS, location=["sub/t.py", None, "C.test_a"]))
    assert test.line is None
    state.apply(end("t.py::C::test_a", PASS, location=["sub/t.py", True, "C.test_a"]))
    assert test.line is None  # a bool is not a line number


def test_unknown_test_in_test_end_is_added_after_the_collected_ones() -> None:
    state = new_run("t.py::test_a")
    structure = state.structure
    changed = state.apply(end("t.py::test_new", PASS))
    assert changed == {"t.py::test_new"}
    assert [t.nodeid for t in state.order] == ["t.py::test_a", "t.py::test_new"]
    assert state.tests["t.py::test_new"].index == 1
    assert state.tests["t.py::test_new"].file == "t.py"
    assert state.structure > structure


def test_collection_keeps_tests_already_seen_and_renumbers() -> None:
    state = fold.RunState("r")
    state.apply(end("t.py::test_b", FAIL))
    changed = state.apply({"type": "collection", "nodeids": ["t.py::test_a", "t.py::test_b"]})
    assert changed == {"t.py::test_a", "t.py::test_b"}
    assert [(t.nodeid, t.index, t.outcome) for t in state.order] == [
        ("t.py::test_a", 0, "queued"),
        ("t.py::test_b", 1, "failed"),
    ]
    assert counts(state) == {"failed": 1}


def test_test_end_with_only_setup_and_teardown_is_notrun() -> None:
    state = new_run("t.py::test_a")
    state.apply(end("t.py::test_a", [phase("setup", "passed"), phase("teardown", "passed")]))
    assert state.tests["t.py::test_a"].outcome == "notrun"
    assert counts(state) == {}


def test_worker_is_kept_only_when_it_is_a_string() -> None:
    state = new_run("t.py::test_a", "t.py::test_b")
    state.apply(end("t.py::test_a", PASS, worker="gw1"))
    state.apply(end("t.py::test_b", PASS, worker=3))
    assert state.tests["t.py::test_a"].worker == "gw1"
    assert state.tests["t.py::test_b"].worker is None


def test_non_dict_phases_are_ignored() -> None:
    state = new_run("t.py::test_a")
    state.apply(end("t.py::test_a", ["junk", None, 3, phase("call", "failed")]))
    assert state.tests["t.py::test_a"].phases == [phase("call", "failed")]
    assert counts(state) == {"failed": 1}


# --- durations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [math.nan, -1.5, math.inf, -math.inf, "garbage", None, [1], {"a": 1}, "nan", "-3"],
)
def test_bad_durations_count_as_zero(bad: Any) -> None:
    state = new_run("t.py::test_a")
    phases = [
        phase("setup", "passed", 0.25),
        phase("call", "passed", bad),
        phase("teardown", "passed", 0.5),
    ]
    state.apply(end("t.py::test_a", phases))
    duration = state.tests["t.py::test_a"].duration
    assert duration == pytest.approx(0.75)
    assert math.isfinite(duration)


def test_duration_is_the_sum_of_phases_and_accepts_numeric_strings() -> None:
    state = new_run("t.py::test_a")
    state.apply(end("t.py::test_a", [phase("setup", "passed", "0.5"), phase("call", "passed", 2)]))
    assert state.tests["t.py::test_a"].duration == pytest.approx(2.5)


def test_missing_duration_counts_as_zero() -> None:
    state = new_run("t.py::test_a")
    state.apply(end("t.py::test_a", [{"when": "call", "outcome": "passed"}]))
    assert state.tests["t.py::test_a"].duration == 0.0
    assert state.tests["t.py::test_a"].outcome == "passed"


# --- collect errors ---------------------------------------------------------------------------


def test_collect_errors_count_every_report_and_list_each_node_once() -> None:
    """Under xdist each worker that collects a broken module reports it, and pytest's summary
    counts every report; a replayed event (the same `i`) counts once."""
    state = new_run("t.py::test_a")
    error = {"type": "collect_error", "nodeid": "bad.py", "longrepr": "SyntaxError", "i": 1}
    state.apply(error)
    state.apply(dict(error))  # a replay
    assert counts(state) == {"error": 1}
    state.apply({**error, "i": 2, "longrepr": "another message"})  # the second worker's
    assert state.collect_errors == [{"nodeid": "bad.py", "message": "SyntaxError"}]
    assert counts(state) == {"error": 2}
    state.apply({"type": "collect_error", "nodeid": "other.py", "longrepr": "ImportError"})
    assert counts(state) == {"error": 3}
    assert [e["nodeid"] for e in state.collect_errors] == ["bad.py", "other.py"]


def test_collect_errors_and_test_errors_add_up() -> None:
    state = new_run("t.py::test_a")
    state.apply({"type": "collect_error", "nodeid": "bad.py", "longrepr": "x"})
    state.apply(end("t.py::test_a", SETUP_ERROR))
    state.apply(end("t.py::test_a", SETUP_ERROR))  # replaced: the collect error stays counted
    assert counts(state) == {"error": 2}


# --- session and run end ----------------------------------------------------------------------


def test_session_start_and_run_created_are_recorded() -> None:
    state = new_run()
    assert state.pytest_version == "9.2.0"
    assert state.rootdir == "/repo"
    assert state.selection == {"k": "x"}
    assert state.command == ["pytest"]
    assert state.created == 1.0


def test_finished_run_keeps_exit_status_and_marks_unrun_tests_notrun() -> None:
    state = new_run("t.py::test_a", "t.py::test_b")
    state.apply(end("t.py::test_a", FAIL))
    state.apply({"type": "session_end", "exitstatus": 1})
    changed = state.apply({"type": "run_exit", "returncode": 1, "time": 5.0})
    assert state.status == "finished"
    assert (state.exitstatus, state.returncode, state.finished) == (1, 1, 5.0)
    assert changed == {"t.py::test_b"}
    assert state.tests["t.py::test_b"].outcome == "notrun"
    assert counts(state) == {"failed": 1}


def test_non_integer_exit_status_is_dropped() -> None:
    state = new_run()
    state.apply(clean.event({"type": "session_end", "exitstatus": "1"}))
    assert state.exitstatus is None
    assert state.session_ended


def test_run_exit_without_session_end_is_a_crash_and_fails_the_running_test() -> None:
    state = new_run("t.py::test_a", "t.py::test_b", "t.py::test_c")
    state.apply(start("t.py::test_a"))
    state.apply(end("t.py::test_a", PASS))
    state.apply(start("t.py::test_b"))
    changed = state.apply({"type": "run_exit", "returncode": -9, "time": 2.0})
    assert state.status == "crashed"
    assert changed == {"t.py::test_b", "t.py::test_c"}
    crashed = state.tests["t.py::test_b"]
    assert crashed.outcome == "failed"
    assert "code -9" in crashed.longrepr
    assert state.tests["t.py::test_c"].outcome == "notrun"
    assert state.tests["t.py::test_a"].outcome == "passed"
    assert counts(state) == {"passed": 1, "failed": 1}


def test_cancelled_run_marks_queued_and_running_tests_notrun() -> None:
    state = new_run("t.py::test_a", "t.py::test_b", "t.py::test_c")
    state.apply(end("t.py::test_a", PASS))
    state.apply(start("t.py::test_b"))
    changed = state.apply({"type": "run_exit", "returncode": -15, "cancelled": True})
    assert state.status == "cancelled"
    assert changed == {"t.py::test_b", "t.py::test_c"}
    assert [t.outcome for t in state.order] == ["passed", "notrun", "notrun"]
    assert counts(state) == {"passed": 1}


def test_cancelled_wins_over_session_end() -> None:
    state = new_run("t.py::test_a")
    state.apply({"type": "session_end", "exitstatus": 2})
    state.apply({"type": "run_exit", "returncode": 2, "cancelled": True})
    assert state.status == "cancelled"


def test_events_after_run_exit_are_ignored() -> None:
    state = new_run("t.py::test_a", "t.py::test_b")
    state.apply(end("t.py::test_a", PASS))
    state.apply({"type": "session_end", "exitstatus": 0})
    state.apply({"type": "run_exit", "returncode": 0, "time": 3.0})
    snapshot = (state.summary(), [t.outcome for t in state.order], state.output, state.structure)
    late = [
        end("t.py::test_b", FAIL),
        start("t.py::test_b"),
        {"type": "collect_error", "nodeid": "x.py", "longrepr": "late"},
        {"type": "collection", "nodeids": ["t.py::test_z"]},
        {"type": "output", "text": "late output"},
        {"type": "session_end", "exitstatus": 3},
        {"type": "run_exit", "returncode": 9, "time": 99.0, "cancelled": True},
    ]
    for event in late:
        assert state.apply(event) == set()
    assert (state.summary(), [t.outcome for t in state.order], state.output, state.structure) == (
        snapshot
    )
    assert (state.status, state.exitstatus, state.returncode, state.finished) == (
        "finished",
        0,
        0,
        3.0,
    )
    assert state.collect_errors == []


def test_unknown_events_change_nothing_but_are_numbered() -> None:
    state = new_run("t.py::test_a")
    seq = state.seq
    assert state.apply({"type": "no_such_event", "nodeid": "t.py::test_a"}) == set()
    assert state.apply({"nodeid": "t.py::test_a"}) == set()
    assert state.seq == seq + 2
    assert state.tests["t.py::test_a"].outcome == "queued"


# --- output -----------------------------------------------------------------------------------


def test_output_is_appended() -> None:
    state = new_run()
    state.apply({"type": "output", "text": "one "})
    state.apply({"type": "output", "text": "two"})
    assert state.output == "one two"
    assert state.output_dropped == 0


def test_output_keeps_the_tail_within_the_cap() -> None:
    state = new_run()
    head = "h" * 1000
    state.apply({"type": "output", "text": head})
    state.apply({"type": "output", "text": "x" * (OUTPUT_CAP - 10)})
    state.apply({"type": "output", "text": "TAIL"})
    assert len(state.output) == OUTPUT_CAP
    assert state.output.endswith("x" * 100 + "TAIL")
    assert state.output.startswith("hhhhhhx")  # the oldest text went first
    assert state.output_dropped == 1000 + OUTPUT_CAP - 10 + 4 - OUTPUT_CAP


def test_as_json() -> None:
    state = new_run("t.py::test_a")
    state.apply(end("t.py::test_a", [phase("call", "failed", 1.5)]))
    data = state.as_json()
    assert data["counts"] == {
        "passed": 0,
        "failed": 1,
        "error": 0,
        "skipped": 0,
        "xfailed": 0,
        "xpassed": 0,
        "rerun": 0,
    }
    assert data["tests"] == [{"nodeid": "t.py::test_a", "outcome": "failed", "duration": 1.5}]
    assert data["status"] == "running"
    assert "tests" not in state.as_json(with_tests=False)


def test_numbered_plugin_events_are_folded_once() -> None:
    state = fold.RunState("r")
    start = {"type": "test_start", "nodeid": "t.py::a", "i": 1}
    end = {
        "type": "test_end",
        "nodeid": "t.py::a",
        "i": 2,
        "phases": [{"when": "call", "outcome": "failed", "duration": 1.0}],
    }
    for event in (start, end, start, end, {**end, "i": 1}):
        state.apply(event)
    assert state.summary()["failed"] == 1
    assert state.tests["t.py::a"].outcome == "failed"
    assert state.last_plugin_event == 2


def test_malformed_phases_are_cleaned() -> None:
    state = fold.RunState("r")
    state.apply(clean.event({"type": "test_end", "nodeid": "t.py::a", "phases": 5}))
    assert state.tests["t.py::a"].outcome == "notrun"
    state.apply(
        clean.event(
            {
                "type": "test_end",
                "nodeid": "t.py::b",
                "phases": [
                    {"when": "call", "outcome": "passed", "duration": "x", "sections": [1, [2]]}
                ],
            }
        )
    )
    test = state.tests["t.py::b"]
    assert test.outcome == "passed" and test.duration == 0.0 and test.sections == []
