"""Faults of the pytest process: cancel in every phase, daemons, floods, a server restart."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import requests

from support import Server, launch_server, processes_in, stop_server, summary_counts, wait_gone

pytestmark = pytest.mark.slow

SLEEPY = {
    "collection": (
        "import pathlib, time\npathlib.Path('in-collection').touch()\ntime.sleep(600)\n\n"
        "def test_never():\n    pass\n"
    ),
    "setup": (
        "import pathlib, time, pytest\n\n@pytest.fixture\ndef slow():\n"
        "    pathlib.Path('in-setup').touch()\n    time.sleep(600)\n\n"
        "def test_setup(slow):\n    pass\n"
    ),
    "teardown": (
        "import pathlib, time, pytest\n\n@pytest.fixture\ndef slow():\n    yield\n"
        "    pathlib.Path('in-teardown').touch()\n    time.sleep(600)\n\n"
        "def test_teardown(slow):\n    pass\n"
    ),
}
"""A test file that sleeps in one phase, and says so with a file named for the phase."""


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("phase", ["collection", "setup", "teardown"])
def test_cancel_in_every_phase_stops_every_process(
    make_server, tmp_path: Path, phase: str, workers: int
):
    (tmp_path / f"test_{phase}.py").write_text(SLEEPY[phase])
    server = make_server(tmp_path)
    run_id = server.start_run(workers=workers)
    deadline = time.monotonic() + 60  # xdist workers start slowly on a loaded machine
    while not (tmp_path / f"in-{phase}").exists():
        assert time.monotonic() < deadline, f"pytest never reached its {phase}"
        time.sleep(0.1)
    # In the phase now; let the reports of the phases before it reach the controller (xdist)
    # and the server before the cancel.
    time.sleep(1.5)
    assert server.api("POST", f"/api/runs/{run_id}/cancel").status_code == 202
    run = server.wait_run(run_id, timeout=30)
    assert run["status"] == "cancelled"
    # In teardown the call had passed already: pytest counts it, and so do we, when pytest got
    # to its session's end within the grace before SIGKILL (xdist waits for its workers, which a
    # loaded machine can make longer than that: then pytest counted nothing, and neither do we).
    counted = phase == "teardown" and run["exitstatus"] is not None
    assert run["counts"]["passed"] == (1 if counted else 0)
    assert run["counts"]["failed"] == run["counts"]["error"] == 0
    wait_gone(tmp_path)


def test_daemons_do_not_hold_the_run(make_server, tmp_path: Path) -> None:
    (tmp_path / "test_daemon.py").write_text(
        "import subprocess\n\n"
        "def test_daemon():\n"
        "    subprocess.Popen(['sleep', '300'])\n\n"
        "def test_setsid_daemon():\n"
        "    subprocess.Popen(['sleep', '301'], start_new_session=True)\n"
    )
    server = make_server(tmp_path)
    run = server.wait_run(server.start_run(), timeout=60)
    assert run["status"] == "finished" and run["counts"]["passed"] == 2
    # The daemon in pytest's process group is stopped with it; one that left the group with
    # setsid escapes, as it would from a terminal (and we must not hang on its open pipe).
    survivors = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in processes_in(tmp_path)]
    assert b"sleep\x00300\x00" not in survivors
    for pid in processes_in(tmp_path):
        os.kill(pid, signal.SIGKILL)
    assert server.wait_run(server.start_run())["status"] == "finished"


def test_floods_and_closed_streams_are_capped_and_counted(make_server, tmp_path: Path) -> None:
    (tmp_path / "test_flood.py").write_text(
        "import os, sys\n\n"
        "def test_flood():\n"
        "    chunk = 'x' * 1023 + '\\n'\n"
        "    for _ in range(100 * 1024):\n"
        "        sys.stdout.write(chunk)\n"
        "    assert False, 'flooded'\n\n"
        "def test_closes_its_streams():\n"
        "    sys.stdout.close()\n"
        "    sys.stderr.close()\n\n"
        "def test_after():\n"
        "    pass\n"
    )
    server = make_server(tmp_path)
    run = server.wait_run(server.start_run(), timeout=300)
    assert run["status"] == "finished"
    outcomes = {t["nodeid"].split("::")[1]: t["outcome"] for t in run["tests"]}
    assert outcomes["test_flood"] == "failed"
    assert run["counts"] == summary_counts(tmp_path)  # whatever pytest makes of closed streams
    session = requests.Session()
    session.get(server.page_url, timeout=10)
    detail = session.get(
        server.url + "/detail",
        params={"run": run["id"], "nodeid": "test_flood.py::test_flood"},
        headers={"HX-Request": "true"},
        timeout=30,
    ).text
    assert "more characters not kept" in detail and len(detail) < 2_000_000
    page = session.get(f"{server.url}/runs/{run['id']}", timeout=30).text
    assert "output past 8 MB is not shown" in page and len(page) < 12_000_000


def test_server_restart_mid_run_stops_pytest(tmp_path: Path) -> None:
    (tmp_path / "test_long.py").write_text(
        "import time, pytest\n\n@pytest.mark.parametrize('n', range(100))\n"
        "def test_long(n):\n    time.sleep(0.2)\n"
    )
    server: Server = launch_server(tmp_path)
    server.start_run(workers=2)
    deadline = time.monotonic() + 30
    while len(processes_in(tmp_path)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(processes_in(tmp_path)) >= 3
    os.killpg(server.process.pid, signal.SIGTERM)
    # Our SIGTERM handler kills pytest's process group and ends the streams; at worst
    # gunicorn's graceful_timeout (2 s, cli/server.py) kills the worker. 5 s leaves a loaded
    # 2-core machine its margin; longer means the graceful stop hung.
    server.process.wait(timeout=5)
    wait_gone(tmp_path, timeout=5)  # killed with the server, not left to finish its 20 s
    again = launch_server(tmp_path)
    try:
        assert again.api("GET", "/api/status").json() == {"active": None, "streams": 0}
        run = again.wait_run(again.start_run(nodeids=["test_long.py::test_long[0]"]))
        assert run["status"] == "finished"
    finally:
        stop_server(again)
