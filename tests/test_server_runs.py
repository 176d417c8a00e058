"""The real server (gunicorn + gevent) running a real pytest subprocess, through the JSON API."""

from __future__ import annotations

import pytest

from support import Server, summary_counts

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("workers", [0, 2])
def test_counts_equal_pytest_summary(demo_server: Server, workers: int) -> None:
    expected = summary_counts(demo_server.repo, *(["-n", str(workers)] if workers else []))
    run = demo_server.wait_run(demo_server.start_run(workers=workers))
    assert run["status"] == "finished"
    assert run["exitstatus"] == 1
    assert run["counts"] == expected
    outcomes = {t["nodeid"]: t["outcome"] for t in run["tests"]}
    assert outcomes["tests/test_outcomes.py::test_teardown_error"] == "error"
    assert outcomes["tests/test_outcomes.py::test_xfailed"] == "xfailed"
    assert outcomes["tests/test_outcomes.py::test_xpassed"] == "xpassed"
    assert len(outcomes) == sum(expected.values()) - 1  # the teardown error is counted twice
