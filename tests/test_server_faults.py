"""Cancel, crashes and reconnects, with a real server and real pytest processes."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from support import Server, processes_in, wait_gone

pytestmark = pytest.mark.slow

SLOW = (
    "import os, time, pytest\n\n"
    "@pytest.mark.parametrize('n', range(40))\n"
    "def test_slow(n):\n"
    "    time.sleep(0.2)\n"
)


@pytest.mark.parametrize("workers", [0, 2])
def test_cancel_stops_the_whole_process_tree(make_server, tmp_path: Path, workers: int) -> None:
    (tmp_path / "test_slow.py").write_text(SLOW)
    server = make_server(tmp_path)
    run_id = server.start_run(workers=workers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = server.api("GET", f"/api/runs/{run_id}").json()
        if run["counts"]["passed"] >= 2:
            break
        time.sleep(0.1)
    assert len(processes_in(tmp_path)) >= 1 + workers
    assert server.api("POST", f"/api/runs/{run_id}/cancel").status_code == 202
    run = server.wait_run(run_id, timeout=30)
    assert run["status"] == "cancelled"
    assert run["counts"]["passed"] >= 2
    assert run["counts"]["passed"] < 40
    assert all(t["outcome"] in ("passed", "notrun") for t in run["tests"])
    # The runner SIGKILLs pytest's group once pytest exits, before it says "cancelled": what
    # is left can only be on its way out. 5 s is ample; a survivor fails here.
    wait_gone(tmp_path, timeout=5)
    # The server takes the next run.
    assert (
        server.wait_run(server.start_run(nodeids=["test_slow.py::test_slow[0]"]))["status"]
        == "finished"
    )


def test_cancel_escalates_to_sigkill(make_server, tmp_path: Path) -> None:
    (tmp_path / "test_stubborn.py").write_text(
        "import pathlib, signal, time\n\n"
        "def test_stubborn():\n"
        "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "    pathlib.Path('ignoring').touch()\n"
        "    time.sleep(600)\n"
    )
    server = make_server(tmp_path)
    run_id = server.start_run()
    deadline = time.monotonic() + 30
    while not (tmp_path / "ignoring").exists():  # SIGINT alone can no longer stop it
        assert time.monotonic() < deadline, "the test never started"
        time.sleep(0.05)
    assert server.api("POST", f"/api/runs/{run_id}/cancel").status_code == 202
    run = server.wait_run(run_id, timeout=30)  # SIGKILL comes after the 3 s grace
    assert run["status"] == "cancelled"
    wait_gone(tmp_path, timeout=5)


def test_worker_crash_is_a_failed_test(make_server, tmp_path: Path) -> None:
    (tmp_path / "test_crash.py").write_text(
        "import os\n\n"
        "def test_a():\n    pass\n\n"
        "def test_crash():\n    os._exit(1)\n\n"
        "def test_b():\n    pass\n"
    )
    server = make_server(tmp_path)
    run = server.wait_run(server.start_run(workers=2))
    assert run["status"] == "finished"
    outcomes = {t["nodeid"]: t["outcome"] for t in run["tests"]}
    assert outcomes == {
        "test_crash.py::test_a": "passed",
        "test_crash.py::test_crash": "failed",
        "test_crash.py::test_b": "passed",
    }
    page = requests.Session()
    page.get(server.page_url, timeout=10)
    detail = page.get(
        server.url + "/detail",
        params={"run": run["id"], "nodeid": "test_crash.py::test_crash"},
        timeout=10,
    )
    assert "crashed while running" in detail.text


def test_pytest_dying_mid_run_is_crashed(make_server, tmp_path: Path) -> None:
    (tmp_path / "test_die.py").write_text(
        "import os\n\ndef test_a():\n    pass\n\n"
        "def test_die():\n    os._exit(3)\n\ndef test_c():\n    pass\n"
    )
    server = make_server(tmp_path)
    run = server.wait_run(server.start_run(workers=0))
    assert run["status"] == "crashed"
    outcomes = {t["nodeid"]: t["outcome"] for t in run["tests"]}
    assert outcomes["test_die.py::test_a"] == "passed"
    assert outcomes["test_die.py::test_die"] == "failed"
    assert outcomes["test_die.py::test_c"] == "notrun"
    assert server.wait_run(server.start_run())["status"] == "crashed"  # and the next run starts


def _messages(response: requests.Response, count: int) -> list[dict[str, str]]:
    """Read `count` SSE messages (comments and retry-only blocks skipped)."""
    messages, fields = [], {}
    for line in response.iter_lines(decode_unicode=True):
        if line == "":
            if "data" in fields:
                messages.append(fields)
                if len(messages) == count:
                    return messages
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = fields.get(name, "") + ("\n" if name in fields else "") + value
    return messages


def test_event_stream_resumes_from_last_event_id(demo_server: Server) -> None:
    run_id = demo_server.start_run()
    run = demo_server.wait_run(run_id)
    headers = {"Authorization": f"Bearer {demo_server.token}"}
    with requests.get(
        demo_server.url + "/events", headers=headers, stream=True, timeout=10
    ) as fresh:
        assert fresh.headers["Content-Type"].startswith("text/event-stream")
        snapshot = _messages(fresh, 1)[0]
    run_seq = int(snapshot["id"].rsplit(":", 1)[1])
    assert snapshot["id"].startswith(run_id + ":")
    assert 'id="main"' in snapshot["data"] and run["status"] in snapshot["data"]
    # Resuming from the last id sends nothing new: the stream waits (keep-alive only).
    resumed = requests.get(
        demo_server.url + "/events",
        stream=True,
        timeout=3,
        headers={**headers, "Last-Event-ID": snapshot["id"]},
    )
    with pytest.raises(requests.exceptions.ConnectionError):
        _messages(resumed, 1)
    # An earlier id gets only what changed since: a delta, not the whole view.
    earlier = f"{run_id}:{run_seq - 3}"
    with requests.get(
        demo_server.url + "/events",
        stream=True,
        timeout=10,
        headers={**headers, "Last-Event-ID": earlier},
    ) as delta_stream:
        delta = _messages(delta_stream, 1)[0]
    assert delta["id"] == snapshot["id"]
    assert 'id="main"' not in delta["data"] and 'id="run-head"' in delta["data"]
    # Stale, garbage or hostile ids get a full snapshot.
    for bad in ("other-run:5", "x" * 5000, f"{run_id}:99999999", f"{run_id}:-1", "1:2:3"):
        with requests.get(
            demo_server.url + "/events",
            stream=True,
            timeout=10,
            headers={**headers, "Last-Event-ID": bad},
        ) as stream:
            assert 'id="main"' in _messages(stream, 1)[0]["data"], bad


def test_nul_in_last_event_id_is_refused_cleanly(demo_server: Server) -> None:
    headers = {"Authorization": f"Bearer {demo_server.token}", "Last-Event-ID": "1\x002"}
    response = requests.get(demo_server.url + "/events", headers=headers, stream=True, timeout=10)
    assert response.status_code == 400  # gunicorn rejects the header; nothing else breaks
    assert demo_server.api("GET", "/api/runs").status_code == 200


def test_python_without_pytest_web_runs_the_plugin(make_server, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "pytest"], check=True, timeout=300)
    probe = subprocess.run(
        [str(python), "-c", "import pytest_web"], capture_output=True, cwd=tmp_path
    )
    assert probe.returncode != 0  # pytest-web is not installed there (nor in the folder)
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "test_one.py").write_text("def test_one():\n    pass\n")
    server = make_server(tmp_path / "repo", "--python", str(python))
    run = server.wait_run(server.start_run())
    assert run["status"] == "finished" and run["counts"]["passed"] == 1
    assert re.search(r"test_one", str(run["tests"]))
