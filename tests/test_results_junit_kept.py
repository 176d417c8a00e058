"""A JUnit file's passes are kept as their durations while the file is read, and made events
when folded: a test's second testcase (a teardown error) still joins the first, whatever it was."""

from __future__ import annotations

from pathlib import Path

from pytest_web.results import open_results

SUITE = """<?xml version="1.0"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_a" name="test_pass" time="0.250"/>
<testcase classname="tests.test_a" name="test_teardown" time="0.100"/>
<testcase classname="tests.test_a" name="test_other" time="0.001"/>
<testcase classname="tests.test_a" name="test_teardown" time="0.020">
<error message="failed on teardown with &quot;boom&quot;">teardown broke</error></testcase>
<testcase classname="tests.test_a" name="test_fail" time="0.500"><failure message="no">
assert 1 == 2</failure></testcase>
<testcase classname="tests.test_a" name="test_fail" time="0.030">
<error message="failed on teardown with &quot;boom&quot;">teardown broke too</error></testcase>
</testsuite></testsuites>"""


def test_a_pass_kept_as_its_duration_still_takes_its_teardown_error(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(SUITE)
    state = open_results([str(path)]).state
    assert state is not None
    tests = state.tests
    assert list(tests) == [
        "tests/test_a.py::test_pass",
        "tests/test_a.py::test_teardown",
        "tests/test_a.py::test_other",
        "tests/test_a.py::test_fail",
    ]
    assert state.summary() == {**state.summary(), "passed": 3, "failed": 1, "error": 2}
    assert [dict(p) for p in tests["tests/test_a.py::test_pass"].phases] == [
        {"when": "call", "outcome": "passed", "duration": 0.25}
    ]
    torn = tests["tests/test_a.py::test_teardown"]
    assert [(p["when"], p["outcome"]) for p in torn.phases] == [
        ("call", "passed"),
        ("teardown", "failed"),
    ]
    assert torn.outcome == "error" and "teardown broke" in torn.longrepr
    assert not torn.attempts  # one attempt, its two testcases joined
    failed = tests["tests/test_a.py::test_fail"]
    assert [p["outcome"] for p in failed.phases] == ["failed", "failed"]
