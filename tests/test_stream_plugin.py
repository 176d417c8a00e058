"""The plugin's stream to a dashboard over real HTTP (a dashboard app served from a thread):
nothing lost, nothing twice, waits bounded, one message when something is left, and what is
left uploaded later."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import close_history
from flask import Flask

from dashboard_support import (
    PROJECT,
    RUN_KEY,
    UPLOAD,
    Served,
    dashboard_app,
    send,
    session_events,
    signed_in,
)
from pytest_web.cli import main
from pytest_web.web.routes import ci_ingest
from pytest_web.web.services import services
from pytest_web_plugin import stream as stream_module
from pytest_web_plugin.sender import END, OTHER, START
from pytest_web_plugin.stream import Stream

RESULTS = {f"t/test_{n}.py::test_x": "failed" if n == 3 else "passed" for n in range(12)}
INFO = {"project": PROJECT, "run_key": RUN_KEY, "shard": "1", "session": "s-1"}


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def put_all(stream: Stream, events: list[dict[str, Any]]) -> None:
    for event in events:
        kind = {"test_start": START, "test_end": END}.get(event["type"], OTHER)
        stream.put(event["i"], kind, event.get("nodeid", ""), json.dumps(event))


def counts(app: Flask) -> dict[str, Any]:
    runs = signed_in(app).get("/api/runs").json["runs"]
    assert len(runs) == 1
    return runs[0]


def wait_for(condition: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_every_event_reaches_the_dashboard_once(
    app: Flask, served: Served, capfd: pytest.CaptureFixture[str]
) -> None:
    events = session_events("1", RESULTS)
    stream = Stream(served.url, UPLOAD, INFO, timeout=10)
    put_all(stream, events)
    assert stream.close() is True
    assert stream.acked == len(events)
    run = counts(app)
    assert run["status"] == "finished" and run["counts"]["passed"] == 11
    assert run["counts"]["failed"] == 1 and run["test_count"] == 12
    assert capfd.readouterr().err == ""


@pytest.mark.slow  # waits for seconds on purpose
def test_a_dashboard_that_comes_up_late_gets_everything(app: Flask) -> None:
    port = free_port()
    stream = Stream(f"http://127.0.0.1:{port}", UPLOAD, INFO, timeout=20)
    put_all(stream, session_events("1", RESULTS))
    time.sleep(1.0)  # refused meanwhile: the stream backs off and tries again
    served = Served(app, port)
    try:
        assert stream.close() is True
    finally:
        served.stop()
    assert counts(app)["counts"]["passed"] == 11


@pytest.mark.slow  # waits for seconds on purpose
def test_a_restarted_dashboard_loses_nothing_and_counts_nothing_twice(tmp_path: Path) -> None:
    events = session_events("1", RESULTS)
    first = dashboard_app(tmp_path)
    served = Served(first)
    stream = Stream(served.url, UPLOAD, INFO, timeout=20)
    put_all(stream, events[:20])
    wait_for(lambda: stream.acked == 20)
    served.stop()
    close_history(first)
    put_all(stream, events[20:])  # the dashboard is down: kept
    time.sleep(0.5)
    second = dashboard_app(tmp_path)
    again = Served(second, served.port)
    try:
        assert stream.close() is True
    finally:
        again.stop()
    run = counts(second)
    assert run["counts"]["passed"] == 11 and run["counts"]["failed"] == 1
    assert run["status"] == "finished"
    close_history(second)


def test_a_refused_token_is_said_once_with_where_the_rest_is(
    app: Flask,
    served: Served,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    events = session_events("1", RESULTS)
    stream = Stream(served.url, "wrong-token-0123456789", INFO, timeout=10)
    put_all(stream, events)
    assert stream.close() is False
    err = capfd.readouterr().err
    assert err.count("pytest-web:") == 1 and "HTTP 401" in err
    assert "wrong-token" not in err
    rest = tmp_path / "pytest-web-unsent-1-s-1.jsonl"
    assert f"`pytest-web upload {rest} --url {served.url}`" in err
    assert [json.loads(line)["i"] for line in rest.read_text().splitlines()] == [
        e["i"] for e in events
    ]
    monkeypatch.setenv("PYTEST_WEB_UPLOAD_TOKEN", UPLOAD)
    done = CliRunner().invoke(main, ["upload", str(rest), "--url", served.url])
    assert done.exit_code == 0, done.output
    assert counts(app)["counts"]["passed"] == 11


def test_an_unreachable_dashboard_is_waited_for_at_most_the_timeout(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "shard.jsonl"
    stream = Stream(f"http://127.0.0.1:{free_port()}", UPLOAD, INFO, 0.5, str(record))
    put_all(stream, session_events("1", RESULTS))
    started = time.monotonic()
    assert stream.close() is False
    assert time.monotonic() - started < 2.5
    err = capfd.readouterr().err
    assert "not reached in 0.5 s" in err and f"they are in {record}" in err


def test_a_full_memory_spills_to_a_file_and_comes_back_in_order(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_module, "MEMORY_EVENTS", 5)
    port = free_port()
    stream = Stream(f"http://127.0.0.1:{port}", UPLOAD, INFO, timeout=20)
    put_all(stream, session_events("1", RESULTS))
    assert len(stream.memory) == 5 and stream.spill is not None
    served = Served(app, port)
    try:
        assert stream.close() is True
    finally:
        served.stop()
    assert stream.spill is None
    run = counts(app)
    assert run["counts"]["passed"] == 11 and run["status"] == "finished"


@pytest.mark.slow  # waits for seconds on purpose
def test_heartbeats_keep_a_shard_in_a_long_test_alive(tmp_path: Path) -> None:
    app = dashboard_app(tmp_path, shard_timeout=2.0)
    served = Served(app)
    ci = services(app).ci
    assert ci is not None
    try:
        stream = Stream(served.url, UPLOAD, INFO, timeout=10)
        put_all(stream, session_events("1", RESULTS, end=False)[:3])  # a test starts...
        wait_for(lambda: stream.acked == 3)
        run_id = next(iter(ci.heard))
        heard = ci.heard[run_id].shards["1"]
        time.sleep(2.5)  # ...and runs longer than the shard timeout
        assert ci.heard[run_id].shards["1"] > heard + 1.0  # heartbeats kept coming
        assert stream.heartbeat == 1.0
        stream.close()
    finally:
        served.stop()
        close_history(app)


@pytest.mark.slow  # waits for seconds on purpose
def test_a_dashboard_asking_to_wait_is_waited_for(app: Flask, served: Served) -> None:
    ci_ingest._busy.add((PROJECT, RUN_KEY, "1"))  # as if a batch of this shard were in flight
    threading.Timer(1.0, ci_ingest._busy.clear).start()
    stream = Stream(served.url, UPLOAD, INFO, timeout=20)
    started = time.monotonic()
    put_all(stream, session_events("1", RESULTS))
    assert stream.close() is True
    assert time.monotonic() - started >= 0.9
    assert counts(app)["counts"]["passed"] == 11


def test_upload_fills_a_gap_exactly_and_twice_is_once(
    app: Flask, served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = session_events("1", RESULTS)
    passed = {"when": "call", "outcome": "passed", "duration": 0.0, "category": "subtests passed"}
    events[-1:-1] = [  # what main made events of their own: a subtest, each collect error
        {
            "type": "subtest_end",
            "nodeid": "t/test_11.py::test_x",
            "phase": {**passed, "subtest": {}},
        },
        {"type": "collect_error", "nodeid": "t/test_broken.py", "longrepr": "SyntaxError"},
    ]
    events = [{**e, "i": n} for n, e in enumerate(events, 1)]
    record = tmp_path / "shard-1.jsonl"
    record.write_text("".join(json.dumps({**e, "ci": INFO}) + "\n" for e in events[:1]))
    with record.open("a") as handle:
        handle.writelines(json.dumps(e) + "\n" for e in events[1:])
    client = app.test_client()
    held = send(client, events[:17], session="s-1").json["held"]  # streamed, then cut off
    assert held == 17 and counts(app)["status"] == "running"
    monkeypatch.setenv("PYTEST_WEB_UPLOAD_TOKEN", UPLOAD)
    for _ in range(2):
        done = CliRunner().invoke(main, ["upload", str(record), "--url", served.url])
        assert done.exit_code == 0, done.output
        assert f"shard 1 of {PROJECT} {RUN_KEY}: {len(events)} events" in done.output
        run = counts(app)
        assert run["status"] == "finished" and run["counts"]["passed"] == 11
        assert run["counts"]["failed"] == 1 and run["test_count"] == 12
        assert run["counts"]["error"] == 1 and run["subtests"]["passed"] == 1
        assert [s["name"] for s in run["shards"]] == ["1"]


def test_upload_needs_the_token_and_names_what_a_file_does_not_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "plain.jsonl"
    events = session_events("1", RESULTS)
    events[0].pop("ci")
    record.write_text("".join(json.dumps(e) + "\n" for e in events))
    monkeypatch.delenv("PYTEST_WEB_UPLOAD_TOKEN", raising=False)
    done = CliRunner().invoke(main, ["upload", str(record), "--url", "http://127.0.0.1:1"])
    assert done.exit_code == 2 and "PYTEST_WEB_UPLOAD_TOKEN" in done.output
    monkeypatch.setenv("PYTEST_WEB_UPLOAD_TOKEN", UPLOAD)
    done = CliRunner().invoke(main, ["upload", str(record), "--url", "http://127.0.0.1:1"])
    assert done.exit_code == 1
    assert "does not say its --project, --run-key, --shard" in done.output
