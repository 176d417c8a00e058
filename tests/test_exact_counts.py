"""Exactly pytest with the plugins that change outcomes: subtests (pytest 9's `subtests`,
unittest's `subTest`) and pytest-rerunfailures, read from the plugin's recording of a real run,
-n 0 and -n 2, against pytest's own summary line for the same command."""

from __future__ import annotations

import re

import pytest

from pytest_web.core import clean, test_record
from pytest_web.core.fold import RunState
from pytest_web.results import open_results
from support import summary_of

SUITE = """
import os, unittest, pytest

def test_sub(subtests):
    for i in range(4):
        with subtests.test(msg="case", i=i):
            assert i != 2

def test_all_subtests_pass(subtests):
    for i in range(3):
        with subtests.test(i=i):
            pass

def test_plain():
    pass

class TestUnit(unittest.TestCase):
    def test_u(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertNotEqual(i, 1)

@pytest.mark.flaky(reruns=2)
def test_flaky(tmp_path_factory):
    marker = tmp_path_factory.getbasetemp().parent / "flaky-ran-once"
    if not marker.exists():
        marker.write_text("")
        assert False, "first attempt fails"

@pytest.mark.flaky(reruns=2)
def test_always_fails():
    assert False
"""


def subtest_counts(output: str) -> dict[str, int]:
    last = output.strip().splitlines()[-1]
    found = {word: int(n) for n, word in re.findall(r"(\d+) subtests (passed|skipped)", last)}
    return {name: found.get(name, 0) for name in ("passed", "skipped")}


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["0", "2"])
@pytest.mark.parametrize("verbosity", ["-q", "-v", "--tb=short"])  # the last: default
def test_counts_equal_pytests_summary_with_subtests_and_reruns(
    pytester: pytest.Pytester, workers: str, verbosity: str
) -> None:
    pytest.importorskip("pytest_rerunfailures")
    pytester.makepyfile(test_suite=SUITE)
    record = pytester.path / "run.jsonl"
    result = pytester.runpytest_subprocess(
        "-p",
        "pytest_web_plugin",
        f"--web-record={record}",
        "-p",
        "no:cacheprovider",
        "-n",
        workers,
        verbosity,
    )
    state = open_results([str(record)]).state
    assert state is not None
    summary_line = result.stdout.lines[-1]
    assert state.summary() == summary_of(summary_line), summary_line
    subtests = state.subtests()
    assert {k: subtests[k] for k in ("passed", "skipped")} == subtest_counts(summary_line)
    assert subtests["failed"] == 2  # pytest counts them among "failed": SUBFAILED lines
    assert summary_line.count("rerun") == 1 and state.summary()["rerun"] == 3
    flaky = state.tests["test_suite.py::test_flaky"]
    assert flaky.outcome == "passed" and flaky.flaky
    assert [a.outcome for a in flaky.attempts] == ["rerun", "passed"]
    assert [a.outcome for a in state.tests["test_suite.py::test_always_fails"].attempts] == [
        "rerun",
        "rerun",
        "failed",
    ]
    sub = state.tests["test_suite.py::test_sub"]
    assert sub.outcome == "failed"
    assert sub.subtests_seen == 4 and not any("subtest" in p for p in sub.phases)
    failed = [p["subtest"] for p in sub.subtests if p["outcome"] == "failed"][0]
    assert failed["msg"] == "case"  # and the parameter as pytest itself shows it (with xdist,
    shown = f"SUBFAILED[case] (i={failed['params']['i']}) test_suite.py::test_sub"  # pytest 9.2
    assert any(line.startswith(shown) for line in result.stdout.lines)  # shows i='2')
    assert state.tests["test_suite.py::TestUnit::test_u"].outcome == "passed"


def end(nodeid: str, *phases: dict[str, object]) -> object:
    return clean.event({"type": "test_end", "nodeid": nodeid, "phases": list(phases)})


def subtest(nodeid: str, outcome: str, category: str, i: int) -> object:
    phase = {"when": "call", "outcome": outcome, "duration": 0, "category": category}
    phase["subtest"] = {"msg": "", "params": {"i": str(i)}}
    return clean.event({"type": "subtest_end", "nodeid": nodeid, "phase": phase})


def test_a_subtest_counts_by_pytests_word_and_is_not_the_tests_outcome() -> None:
    state = RunState("r")
    state.apply(subtest("t.py::test_a", "failed", "failed", 1))
    state.apply(subtest("t.py::test_a", "passed", "subtests passed", 2))
    state.apply(subtest("t.py::test_a", "passed", "", 3))  # pytest shows nothing for it at -q
    state.apply(
        end(
            "t.py::test_a",
            {"when": "setup", "outcome": "passed", "duration": 0},
            {"when": "call", "outcome": "passed", "duration": 0},
            {"when": "teardown", "outcome": "passed", "duration": 0},
        )
    )
    test = state.tests["t.py::test_a"]
    assert test.outcome == "passed"  # pytest-subtests' way
    assert state.summary()["failed"] == 1 and state.summary()["passed"] == 1
    assert state.subtests() == {"passed": 1, "skipped": 0, "failed": 1}
    assert state.as_json()["subtests"] == {"passed": 1, "skipped": 0, "failed": 1}
    assert test.subtests_seen == 3 and [p["subtest"]["params"]["i"] for p in test.subtests] == [
        "1",
        "2",
        "3",
    ]


def test_a_test_with_many_subtests_keeps_its_failures_and_counts_them_all() -> None:
    """more-itertools has tests with thousands of subtests: every one counts, the test keeps the
    first ones and the failed ones, bounded."""
    state = RunState("r")
    nodeid = "t.py::test_many"
    for i in range(5000):
        state.apply(subtest(nodeid, "passed", "subtests passed", i))
    for i in range(5000, 7000):
        state.apply(subtest(nodeid, "failed", "failed", i))
    test = state.tests[nodeid]
    assert state.subtests() == {"passed": 5000, "skipped": 0, "failed": 2000}
    assert test.subtests_seen == 7000
    assert len(test.subtests) == test_record.SUBTESTS_KEPT
    shown = [p for p in test.subtests if p["outcome"] == "passed"]
    assert len(shown) == test_record.SUBTESTS_SHOWN
    assert test.subtests[test_record.SUBTESTS_SHOWN]["subtest"]["params"]["i"] == "5000"


def test_a_rerun_attempt_counts_as_rerun_and_a_repeated_end_still_replaces() -> None:
    state = RunState("r")
    rerun = {"when": "call", "outcome": "rerun", "duration": 0.5}
    passed = {"when": "call", "outcome": "passed", "duration": 0.25}
    state.apply(end("t.py::test_a", rerun))
    assert state.tests["t.py::test_a"].outcome == "queued"
    state.apply(end("t.py::test_a", passed))
    state.apply(end("t.py::test_a", passed))
    test = state.tests["t.py::test_a"]
    assert (test.outcome, test.flaky, test.duration) == ("passed", True, 0.25)
    assert state.summary()["rerun"] == 1 and state.summary()["passed"] == 1
    assert state.flaky_count == 1
