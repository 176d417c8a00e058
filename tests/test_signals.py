"""Signals a terminal or a supervisor sends must not kill a run: SIGHUP once made gunicorn reload,
which replaced the worker and recorded the active run as cancelled; a closed terminal sends it to
the arbiter and the worker at once."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from support import Server

pytestmark = pytest.mark.slow


def wait_started(server: Server, run_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        data = server.api("GET", f"/api/runs/{run_id}").json()
        if any(t["outcome"] not in ("queued", "running") for t in data["tests"]):
            return
        time.sleep(0.05)
    raise AssertionError("no test ended within 60 s")


@pytest.mark.parametrize("to", ["the arbiter", "the whole process group"])
def test_sighup_leaves_the_run_and_the_server_running(
    make_server, slow_repo: Path, to: str
) -> None:
    server: Server = make_server(slow_repo)
    run_id = server.start_run()
    wait_started(server, run_id)
    if to == "the arbiter":
        os.kill(server.process.pid, signal.SIGHUP)
    else:
        os.killpg(server.process.pid, signal.SIGHUP)
    run = server.wait_run(run_id)
    assert run["status"] == "finished" and run["counts"]["passed"] == 10
    assert run["counts"]["failed"] == 2
    assert server.process.poll() is None
    assert server.api("GET", "/api/status").json()["active"] is None
    assert "SIGHUP ignored" in "".join(server.output) or to != "the arbiter"
