"""Helpers for tests: settings for the in-process app, a real pytest-web server (gunicorn +
gevent) on a free port, plain pytest runs, and the processes left in a folder."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

TOKEN = "in-process-token-0123456789"
"""The `app` fixture's token."""
JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="0" tests="3" time="0.1">
<testcase classname="tests.test_shop" name="test_pays" file="tests/test_shop.py" line="3"
 time="0.01"/>
<testcase classname="tests.test_shop" name="test_refunds" file="tests/test_shop.py" line="7"
 time="0.02"><failure message="assert 2 == 3">E       assert 2 == 3</failure></testcase>
<testcase classname="tests.test_shop.TestCart" name="test_empty" file="tests/test_shop.py"
 line="12" time="0.00"/>
</testsuite></testsuites>
"""
"""A small CI result file: 2 passed, 1 failed (`tests/test_shop.py::test_refunds`)."""


def app_config(repo: Path, **overrides: object) -> dict[str, object]:
    """Every setting given, so nothing comes from the `PYTEST_WEB_*` environment."""
    return {
        "repo": repo,
        "python": sys.executable,
        "token": TOKEN,
        "ingest_url": "",
        "read_only": False,
        "data_dir": None,
        "artifacts": None,
        "dashboard": False,
        "upload_tokens": (),
        **overrides,
    }


@dataclass
class Server:
    """A running `pytest-web` process and a requests session that carries its token."""

    url: str
    token: str
    repo: Path
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)
    temporary_data: str | None = None
    """The history folder made for this server alone (removed when it stops)."""

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 60)
        return requests.request(method, self.url + path, headers=headers, **kwargs)

    def start_run(self, **body: Any) -> str:
        response = self.api("POST", "/api/runs", json=body)
        assert response.status_code == 202, response.text
        return response.json()["id"]

    def wait_run(self, run_id: str, timeout: float = 120) -> dict[str, Any]:
        """Poll until the run is no longer running; return its JSON."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.api("GET", f"/api/runs/{run_id}").json()
            if data["status"] != "running":
                return data
            time.sleep(0.1)
        raise AssertionError(f"run {run_id} still running after {timeout} s")

    @property
    def page_url(self) -> str:
        return f"{self.url}/?token={self.token}"


def launch_server(repo: Path, *args: str, env: dict[str, str] | None = None) -> Server:
    """Start `python -m pytest_web REPO --port 0` and read the address it prints."""
    token = "test-token-" + os.urandom(6).hex()
    full_env = {**os.environ, "PYTEST_WEB_TOKEN": token, **(env or {})}
    full_env.pop("PYTEST_WEB_INGEST_URL", None)
    temporary_data = None
    if "PYTEST_WEB_DATA" not in (env or {}) and "--data" not in args:
        temporary_data = full_env["PYTEST_WEB_DATA"] = tempfile.mkdtemp(prefix="pytest-web-data-")
    command = [sys.executable, "-m", "pytest_web", str(repo), "--port", "0", *args]
    return start_serving(command, token, full_env, repo, temporary_data)


def start_serving(
    command: list[str],
    token: str,
    env: dict[str, str],
    where: Path,
    temporary_data: str | None = None,
) -> Server:
    """Start a pytest-web command that serves, and read the address it prints."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 30
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"open (http://\S+?)/\?token=", line)
        if found:
            server = Server(found.group(1), token, where, process, lines, temporary_data)
            threading.Thread(target=_drain, args=(process, lines), daemon=True).start()
            _wait_ready(server)
            return server
    process.kill()
    raise AssertionError(f"{' '.join(command[2:4])} did not start:\n" + "".join(lines))


def _drain(process: subprocess.Popen, lines: list[str]) -> None:
    """Keep reading the server's output so it can never block on a full pipe."""
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if server.api("GET", "/api/runs", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or a loaded machine
            time.sleep(0.1)
    raise AssertionError("pytest-web never answered")


def stop_server(server: Server) -> None:
    """SIGTERM, then SIGKILL after 15 s; a server a test stopped itself is left as it is."""
    try:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGTERM)
            server.process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(server.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        server.process.wait()
    if server.temporary_data:
        shutil.rmtree(server.temporary_data, ignore_errors=True)


def summary_counts(repo: Path, *args: str) -> dict[str, int]:
    """Run plain pytest on `repo` and read the counts of its final summary line."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return summary_of(done.stdout)


SUMMARY_NAMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "rerun")
"""The counts of pytest's summary line that a run's `counts` holds."""


def shown(counts: dict[str, int]) -> dict[str, int]:
    """A run's counts as the page and the report show them: a zero `rerun` is left out."""
    return {name: n for name, n in counts.items() if n or name != "rerun"}


def summary_of(output: str) -> dict[str, int]:
    """The counts of pytest's final summary line in `output` (its last line with `-q`)."""
    last = output.strip().splitlines()[-1]
    counts = dict.fromkeys(SUMMARY_NAMES, 0)
    for number, word in re.findall(r"(\d+) (\w+)", last):
        word = {"errors": "error"}.get(word, word)
        if word in counts:
            counts[word] = int(number)
    return counts


def processes_in(folder: Path) -> list[int]:
    """Processes whose working directory is inside `folder` (pytest, xdist workers, daemons)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "cwd").startswith(str(folder)):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_gone(folder: Path, timeout: float = 15) -> None:
    """Poll until no process works inside `folder`; fail, naming the survivors, after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and processes_in(folder):
        time.sleep(0.1)
    left = {pid: _command_of(pid) for pid in processes_in(folder)}
    assert left == {}, f"still running {timeout} s later: {left}"


def _command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return "(gone)"
