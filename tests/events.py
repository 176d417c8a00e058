"""Runs made in-process: plugin-shaped events published straight into an app's hub.

The in-process tests need runs without starting pytest; these helpers publish what the plugin
would send (session start, collection, test start/end, session end) and what the runner adds
(run exit), so every view is folded from the same events as a live run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pytest_web.core.hub import Hub, Run
from pytest_web.pytest_run.runner import Active, Runner

DEMO_IDS = [
    "tests/test_outcomes.py::test_passes",
    "tests/test_outcomes.py::test_fails",
    "tests/test_params.py::test_square[0]",
    "tests/test_params.py::test_square[1]",
    "tests/test_params.py::TestStrings::test_upper",
]
"""Node ids of `examples/demo`, so a run's tests exist in the app's repository."""
FAILING = "tests/test_outcomes.py::test_fails"
LONGREPR = "E       AssertionError: assert {'tests': 4} == {'tests': 3}"


def phases(outcome: str, longrepr: str = "") -> list[dict[str, Any]]:
    """The phases a `test_end` carries for `outcome` ("passed", "failed", "error", "skipped")."""
    if outcome == "error":
        return [{"when": "setup", "outcome": "failed", "duration": 0.002, "longrepr": longrepr}]
    call: dict[str, Any] = {"when": "call", "outcome": outcome, "duration": 0.01}
    if longrepr:
        call["longrepr"] = longrepr
    return [call]


def started(nodeid: str, line: int = 0) -> dict[str, Any]:
    return {"type": "test_start", "nodeid": nodeid, "location": [nodeid.split("::")[0], line, ""]}


def ended(nodeid: str, outcome: str, longrepr: str = "") -> dict[str, Any]:
    return {"type": "test_end", "nodeid": nodeid, "phases": phases(outcome, longrepr)}


def outcome_of(nodeid: str) -> str:
    return "failed" if nodeid == FAILING else "passed"


def start_run(hub: Hub, nodeids: Iterable[str] = DEMO_IDS) -> Run:
    """A live run that has started and collected `nodeids`, none of them run yet."""
    run = hub.create_run(
        {"nodeids": [], "k": "", "m": "", "workers": 0}, ["python", "-m", "pytest"]
    )
    hub.publish(
        run,
        [
            {"type": "session_start", "pytest_version": "8.3.0", "rootdir": "/repo"},
            {"type": "collection", "nodeids": list(nodeids)},
        ],
    )
    return run


def run_tests(hub: Hub, run: Run, outcomes: dict[str, str]) -> None:
    """Start and end each test with its outcome (a failure carries `LONGREPR`)."""
    events: list[dict[str, Any]] = []
    for index, (nodeid, outcome) in enumerate(outcomes.items()):
        longrepr = LONGREPR if outcome in ("failed", "error") else ""
        events += [started(nodeid, index), ended(nodeid, outcome, longrepr)]
    hub.publish(run, events)


def finish(hub: Hub, run: Run, exitstatus: int = 1) -> None:
    hub.publish(
        run,
        [
            {"type": "session_end", "exitstatus": exitstatus},
            {"type": "run_exit", "returncode": exitstatus, "time": 1_700_000_000.0},
        ],
    )


def finished_run(hub: Hub, outcomes: dict[str, str] | None = None) -> Run:
    """A finished run of the demo ids: all pass but `FAILING` (or the given outcomes)."""
    outcomes = outcomes or {n: outcome_of(n) for n in DEMO_IDS}
    run = start_run(hub, outcomes)
    run_tests(hub, run, outcomes)
    finish(hub, run, 1 if "failed" in outcomes.values() else 0)
    return run


def make_active(runner: Runner, run: Run, workdir: Path) -> subprocess.Popen[bytes]:
    """Make `run` the runner's active run, as if its pytest were running: a `sleep` in its own
    session stands in for pytest, so cancelling it signals only that process group."""
    process = subprocess.Popen(
        [sys.executable, "-c", STAND_IN], start_new_session=True, stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    process.stdout.readline()  # SIGINT is its default now, whatever this process had
    process.stdout.close()
    runner.active = Active(run, process, str(workdir))
    return process


STAND_IN = """
import signal, time
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
print("ready", flush=True)
time.sleep(60)
"""
"""pytest's stand-in: SIGINT ends it, even when the test process that starts it ignores or
blocks SIGINT (a child inherits both)."""


def row_outcomes(html: str) -> dict[int, str]:
    """Each status span of `html` (`<span id="s3" ... class="st o-failed ...">`): its row index
    and the outcome its class names."""
    found = re.findall(r'<span id="s(\d+)"[^>]*? class="st o-([a-z]+)', html)
    return {int(index): outcome for index, outcome in found}


def row_names(html: str) -> list[str]:
    """The node ids of the rows in `html`, in order."""
    return re.findall(r'class="name" title="([^"]+)"', html)
