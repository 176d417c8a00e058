"""`--web-stream` in real pytest subprocesses, streaming to a dashboard app served from a thread:
what CI says reaches the run, `--web-record` still writes every event, and pytest's exit status
and summary are the same whatever the dashboard does."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import close_history
from flask import Flask
from test_plugin import PLUGIN_DIR, summary_line
from test_plugin_unseen import SUITE as UNSEEN

from dashboard_support import UPLOAD, Served, dashboard_app, signed_in
from pytest_web.web.services import services
from pytest_web_plugin.stream import Stream

pytestmark = pytest.mark.slow

SUITE = """
import time
import pytest

@pytest.mark.parametrize("n", range(16))
def test_step(n):
    time.sleep(0.01)
    assert n not in (3, 11)

def test_skip():
    pytest.skip("no")
"""
GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_RUN_ID": "777",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_JOB": "test",
    "GITHUB_SHA": "feedface00",
    "GITHUB_REF_NAME": "main",
    "GITHUB_SERVER_URL": "https://github.com",
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = dashboard_app(tmp_path)
    yield app
    close_history(app)


@pytest.fixture
def served(app: Flask) -> Iterator[Served]:
    server = Served(app)
    yield server
    server.stop()


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "test_suite.py").write_text(SUITE)
    return folder


def pytest_run(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """pytest in a subprocess, the plugin importable, no other plugin autoloaded, no CI or
    pytest-web variables from outside."""
    clean = {
        k: v
        for k, v in __import__("os").environ.items()
        if not k.startswith(
            ("PYTEST_WEB_", "GITHUB_", "GITLAB_", "CI_", "BUILDKITE", "CIRCLE", "JENKINS")
        )
    }
    clean.update(PYTHONPATH=str(PLUGIN_DIR), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=folder,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def the_run(app: Flask) -> dict[str, Any]:
    runs = signed_in(app).get("/api/runs").json["runs"]
    assert len(runs) == 1, runs
    return signed_in(app).get(f"/api/runs/{runs[0]['id']}").json


def test_a_session_streams_as_its_ci_says(app: Flask, served: Served, suite: Path) -> None:
    env = {**GITHUB, "PYTEST_WEB_UPLOAD_TOKEN": UPLOAD, "PYTEST_WEB_SHARD": "linux-1"}
    done = pytest_run(
        suite,
        "-p",
        "xdist",
        "-n",
        "2",
        "-p",
        "pytest_web_plugin",
        f"--web-stream={served.url}",
        env=env,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr == ""
    run = the_run(app)
    assert (run["project"], run["run_key"], run["branch"], run["commit"]) == (
        "acme/shop",
        "777-1",
        "main",
        "feedface00",
    )
    assert run["ci_url"] == "https://github.com/acme/shop/actions/runs/777/attempts/1"
    assert [(s["name"], s["status"]) for s in run["shards"]] == [("linux-1", "finished")]
    assert "= 2 failed, 14 passed, 1 skipped =" in summary_line(done.stdout)
    assert (run["counts"]["failed"], run["counts"]["passed"], run["counts"]["skipped"]) == (
        2,
        14,
        1,
    )
    assert run["status"] == "finished" and run["exitstatus"] == 1


def test_streaming_beside_web_record_writes_every_event_too(
    app: Flask, served: Served, suite: Path
) -> None:
    record = suite / "shard.jsonl"
    env = {"PYTEST_WEB_UPLOAD_TOKEN": UPLOAD, "PYTEST_WEB_STREAM": served.url}
    done = pytest_run(
        suite,
        "-p",
        "pytest_web_plugin",
        f"--web-record={record}",
        "--web-project=acme/shop",
        "--web-run-key=9",
        "--web-shard=one",
        env=env,
    )
    assert done.returncode == 1 and done.stderr == ""
    events = [json.loads(line) for line in record.read_text().splitlines()]
    assert [e["i"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["ci"]["project"] == "acme/shop" and events[0]["ci"]["shard"] == "one"
    assert the_run(app)["counts"]["passed"] == 14


@pytest.mark.parametrize("dashboard", ["refusing", "unreachable"])
def test_pytests_exit_status_and_summary_never_change(
    served: Served, suite: Path, dashboard: str
) -> None:
    plain = pytest_run(suite, "-q")
    token = "wrong-token-0123456789" if dashboard == "refusing" else UPLOAD
    url = served.url if dashboard == "refusing" else "http://127.0.0.1:9"
    env = {"PYTEST_WEB_UPLOAD_TOKEN": token}
    streamed = pytest_run(
        suite,
        "-q",
        "-p",
        "pytest_web_plugin",
        f"--web-stream={url}",
        "--web-stream-timeout=1",
        "--web-run-key=1",
        env=env,
    )
    assert streamed.returncode == plain.returncode == 1
    assert summary_line(streamed.stdout) == summary_line(plain.stdout)
    assert streamed.stdout.count("PASSED") == plain.stdout.count("PASSED")
    lines = [line for line in streamed.stderr.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("pytest-web: 37 events"), streamed.stderr
    assert token not in streamed.stderr and token not in streamed.stdout
    assert ("HTTP 401" if dashboard == "refusing" else "not reached in 1 s") in lines[0]


def test_the_stream_is_not_seen_by_the_tests(app: Flask, served: Served, tmp_path: Path) -> None:
    """As the live sender (test_plugin_unseen): with `-n 0` the stream's thread lives in the
    test process, where a test may trace its memory or count threads. It is a bare thread, and
    a test's 2 MB of output is encoded in pytest's thread and sent without a copy while the
    next test traces (before: a 4 MB body joined there, and two threads)."""
    folder = tmp_path / "unseen"
    folder.mkdir()
    (folder / "test_memory.py").write_text(UNSEEN)
    env = {"PYTEST_WEB_UPLOAD_TOKEN": UPLOAD}
    done = pytest_run(
        folder,
        "-p",
        "xdist",
        "-n",
        "0",
        "-p",
        "pytest_web_plugin",
        f"--web-stream={served.url}",
        "--web-run-key=1",
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""  # everything reached the dashboard
    run = the_run(app)
    assert run["counts"]["passed"] == 3 and run["status"] == "finished"
    [held] = services(app).hub.runs.values()
    printed = held.state.tests["test_memory.py::test_a_prints_a_lot"]
    sections = [text for p in printed.phases for _, text in p.get("sections", [])]
    assert any(len(text) > 100_000 for text in sections)


def test_a_bad_address_is_a_usage_error_and_a_missing_token_a_warning(suite: Path) -> None:
    bad = pytest_run(suite, "-p", "pytest_web_plugin", "--web-stream=ftp://x")
    assert bad.returncode == 4 and "no http:// or https:// address" in bad.stderr
    env = {"PYTEST_WEB_STREAM": "ftp://x"}
    warned = pytest_run(suite, "-q", "-p", "pytest_web_plugin", env=env)
    assert warned.returncode == 1 and "not streaming" in warned.stderr
    no_token = pytest_run(suite, "-q", "-p", "pytest_web_plugin", "--web-stream=http://x")
    assert no_token.returncode == 1
    assert "PYTEST_WEB_UPLOAD_TOKEN is not set" in no_token.stderr


def test_the_upload_token_has_no_option(suite: Path) -> None:
    done = pytest_run(suite, "-p", "pytest_web_plugin", "--help")
    assert "--web-stream" in done.stdout and "PYTEST_WEB_UPLOAD_TOKEN" in done.stdout
    assert "--web-upload-token" not in done.stdout and "--web-token" not in done.stdout
    assert Stream.__init__.__code__.co_varnames[:3] == ("self", "url", "token")
