"""Plain reports kept as their durations (`core.timings`): they read back as the same reports,
count as the same categories, and anything more than when, how and how long stays as it came."""

from __future__ import annotations

from typing import Any

from pytest_web.core import clean, fold, outcomes
from pytest_web.core.timings import Timings, counted, timings


def phase(when: str, outcome: str, duration: float = 0.01, **extra: Any) -> dict[str, Any]:
    return {"when": when, "outcome": outcome, "duration": duration, **extra}


PASS = [phase("setup", "passed", 0.001), phase("call", "passed", 0.5), phase("teardown", "passed")]


def test_plain_reports_read_back_as_they_came() -> None:
    kept = timings([dict(p) for p in PASS])
    assert isinstance(kept, Timings)
    assert list(kept) == PASS and kept == PASS and len(kept) == 3
    assert kept[1] == PASS[1] and kept[-1] == PASS[-1] and kept[1:] == PASS[1:]
    assert repr(kept) == repr(PASS)
    assert [p.get("longrepr") for p in kept] == [None] * 3
    assert "wasxfail" not in kept[1]


def test_tests_of_one_shape_share_it() -> None:
    one = timings([phase("setup", "passed", 0.1), phase("call", "passed", 0.2)])
    two = timings([phase("setup", "passed", 0.3), phase("call", "passed", 0.4)])
    assert isinstance(one, Timings) and isinstance(two, Timings)
    assert one.shape is two.shape and one != two


def test_reports_with_more_than_their_times_stay_as_they_came() -> None:
    for phases in (
        [phase("call", "failed", longrepr="assert 1 == 2")],
        [phase("call", "skipped", wasxfail="bug")],
        [phase("call", "passed", sections=[["Captured stdout call", "hi"]])],
        [],
    ):
        assert timings(phases) is phases


def test_a_shape_counts_what_its_reports_count() -> None:
    for phases in (
        PASS,
        [phase("setup", "skipped"), phase("teardown", "passed")],
        [phase("setup", "failed"), phase("teardown", "passed")],
        [phase("call", "passed"), phase("teardown", "failed")],
    ):
        kept = timings([dict(p) for p in phases])
        assert isinstance(kept, Timings)
        assert counted(kept) == outcomes.categories(phases)


def test_the_fold_shows_a_passed_test_s_phases_and_counts_it() -> None:
    state = fold.RunState("r")
    events = [
        {"type": "session_start", "i": 1},
        {"type": "test_end", "i": 2, "nodeid": "t.py::test_a", "phases": PASS},
        {"type": "test_end", "i": 3, "nodeid": "t.py::test_b", "phases": PASS[:1]},
        {"type": "session_end", "i": 4, "exitstatus": 0},
    ]
    for event in events:
        cleaned = clean.event(event)
        assert cleaned is not None
        state.apply(cleaned)
    test = state.tests["t.py::test_a"]
    assert test.phases == PASS and test.outcome == "passed"
    assert test.duration == sum(p["duration"] for p in PASS)
    assert state.summary()["passed"] == 1 and state.tests["t.py::test_b"].outcome == "notrun"
