"""Helpers for dashboard tests: an in-process dashboard app, and shards' batches as the plugin
sends them (numbered per session, after what the server holds)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from pytest_web.web import create_app
from pytest_web.web.upload_tokens import parse_upload_tokens
from support import ROOT, TOKEN, Server, app_config, start_serving

UPLOAD = "upload-token-0123456789"
SCOPED = "scoped-token-0123456789"
"""Upload tokens: one for every project, one for `acme/only`."""
PROJECT, RUN_KEY = "acme/shop", "1234-1"


def dashboard_app(tmp_path: Path, **overrides: Any) -> Flask:
    config = app_config(
        tmp_path / "nowhere",
        data_dir=tmp_path / "data",
        dashboard=True,
        upload_tokens=parse_upload_tokens(f"{UPLOAD},acme/only={SCOPED}", 16),
        shard_timeout=60.0,
    )
    app = create_app({**config, **overrides})
    app.testing = True
    return app


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


def session_events(
    shard: str, results: dict[str, str], end: bool = True, **ci: Any
) -> list[dict[str, Any]]:
    """One shard's session as its plugin numbers it: start, collection, each test, end."""
    info = {"project": PROJECT, "run_key": RUN_KEY, "shard": shard, "session": shard, **ci}
    events: list[dict[str, Any]] = [
        {"type": "session_start", "pytest_version": "9", "rootdir": "/ci", "time": 1.0, "ci": info},
        {"type": "collection", "nodeids": list(results)},
    ]
    for nodeid, outcome in results.items():
        events.append({"type": "test_start", "nodeid": nodeid, "location": ["t.py", 1, "t"]})
        phase = {"when": "call", "outcome": outcome, "duration": 0.25}
        if outcome == "failed":
            phase["longrepr"] = "assert 1 == 2"
        events.append({"type": "test_end", "nodeid": nodeid, "phases": [phase], "worker": "gw0"})
    if end:
        status = 1 if "failed" in results.values() else 0
        events.append({"type": "session_end", "exitstatus": status, "time": 9.0})
    return [{**event, "i": n} for n, event in enumerate(events, 1)]


def send(
    client: FlaskClient,
    events: list[dict[str, Any]],
    after: int = 0,
    *,
    shard: str = "1",
    session: str | None = None,
    project: str = PROJECT,
    run_key: str = RUN_KEY,
    token: str = UPLOAD,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Any:
    """POST a batch to the CI ingest, as the plugin's stream does."""
    sent = {
        "Authorization": f"Bearer {token}",
        "X-Pytest-Web-Project": quote(project, safe=""),
        "X-Pytest-Web-Run-Key": quote(run_key, safe=""),
        "X-Pytest-Web-Shard": quote(shard, safe=""),
        "X-Pytest-Web-Session": quote(session or shard, safe=""),
        "X-Pytest-Web-After": str(after),
        **(headers or {}),
    }
    return client.post(
        "/api/ci/events", data=json.dumps(events), headers=sent, content_type=content_type
    )


class Served:
    """An app served over HTTP from a thread (one request at a time, like the one worker),
    for the plugin's real `http.client` connection; stopped and started again at will."""

    def __init__(self, app: Flask, port: int = 0) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", port, app, threaded=False)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def launch_dashboard(
    data: Path, *args: str, port: int = 0, env: dict[str, str] | None = None
) -> Server:
    """`python -m pytest_web dashboard` on `port` (0: a free one), history in `data`."""
    token = "dash-token-" + os.urandom(6).hex()
    full_env = {**os.environ, "PYTEST_WEB_TOKEN": token, "PYTEST_WEB_UPLOAD_TOKEN": UPLOAD}
    full_env.update(env or {})
    command = [sys.executable, "-m", "pytest_web", "dashboard", "--port", str(port)]
    return start_serving([*command, "--data", str(data), *args], token, full_env, data)


def kill(server: Server) -> None:
    """SIGKILL the dashboard's whole process group (gunicorn's arbiter and worker)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()


SHARD_ENV_PREFIXES = ("PYTEST_WEB_", "GITHUB_", "GITLAB_", "CI_", "BUILDKITE", "CIRCLE", "JENKINS")


def pytest_command(*extra: str) -> list[str]:
    """pytest as a CI shard runs it, with the plugin loaded and `extra` after."""
    plugin = ["-p", "no:cacheprovider", "-p", "pytest_web_plugin"]
    return [sys.executable, "-m", "pytest", "-q", *plugin, *extra]


def start_shard(
    folder: Path, url: str, shard: str, *args: str, token: str = UPLOAD, run_key: str = "run-1"
) -> subprocess.Popen[str]:
    """A real pytest session streaming to the dashboard at `url` as `shard` of `run_key`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SHARD_ENV_PREFIXES)}
    env.update(PYTEST_WEB_UPLOAD_TOKEN=token, PYTHONPATH=str(ROOT / "plugin"))
    return subprocess.Popen(
        pytest_command(
            f"--web-stream={url}",
            f"--web-project={PROJECT}",
            f"--web-run-key={run_key}",
            f"--web-shard={shard}",
            *args,
        ),
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
