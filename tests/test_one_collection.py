"""Collections are one at a time: 20 clients once started 20 `pytest --collect-only` at once.
A request that finds one running waits a bounded time for it, then gets a 429 that says so."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from flask import Flask

from pytest_web.pytest_run.discovery import Collection
from pytest_web.web import actions
from support import TOKEN, Server

HEADERS = {"Authorization": f"Bearer {TOKEN}"}


class SlowDiscovery:
    """Stands in for `discover`: each call takes `seconds`; counts calls running at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running = self.most = self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, repo: Path, python: str, k: str = "", m: str = "") -> Collection:
        with self.lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
        return Collection(k=k, m=m)


def at_once(app: Flask, count: int, path: str = "/api/tests") -> list[tuple[int, str]]:
    """`count` requests started together; each one's status and Retry-After."""
    answers: list[tuple[int, str]] = []

    def ask() -> None:
        response = app.test_client().get(path, headers=HEADERS)
        answers.append((response.status_code, response.headers.get("Retry-After", "")))

    threads = [threading.Thread(target=ask) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def test_a_collection_running_refuses_the_others_after_a_bounded_wait(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = SlowDiscovery(1.0)
    monkeypatch.setattr(actions, "discover", slow)
    monkeypatch.setattr(actions, "COLLECT_WAIT", 0.3)
    answers = at_once(app, 10)
    assert slow.most == 1 and slow.calls == 1
    assert sorted(answers) == [(200, "")] + [(429, "1")] * 9
    again = app.test_client().get("/api/tests", headers=HEADERS)  # nothing runs now
    assert again.status_code == 200


def test_requests_that_wait_in_time_collect_one_after_the_other(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = SlowDiscovery(0.1)
    monkeypatch.setattr(actions, "discover", slow)
    answers = at_once(app, 4, "/tests")
    assert [status for status, _ in answers] == [200] * 4
    assert slow.most == 1 and slow.calls == 4


def test_the_refusal_says_why(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions, "COLLECT_WAIT", 0.05)
    with app.app_context():
        held = actions.services().collecting
    held.acquire()
    try:
        response = app.test_client().get("/api/tests", headers=HEADERS)
    finally:
        held.release()
    assert response.status_code == 429 and "being collected" in response.json["error"]


OVERLAP_CONFTEST = """
import os, time
LOCK = {lock!r}
try:
    fd = os.open(LOCK, os.O_CREAT | os.O_EXCL)
    os.close(fd)
except FileExistsError:
    open({overlap!r}, "a").close()
time.sleep(0.5)

def pytest_unconfigure(config):
    try:
        os.unlink(LOCK)
    except FileNotFoundError:
        pass
"""


@pytest.mark.slow
def test_a_real_server_never_runs_two_collections_at_once(make_server, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    overlap = tmp_path / "OVERLAP"
    conftest = OVERLAP_CONFTEST.format(lock=str(tmp_path / "collecting"), overlap=str(overlap))
    (repo / "conftest.py").write_text(conftest)
    (repo / "test_a.py").write_text("def test_a():\n    pass\n")
    server: Server = make_server(repo)
    statuses: list[int] = []

    def ask() -> None:
        statuses.append(server.api("GET", "/api/tests", timeout=60).status_code)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not overlap.exists(), "two collections ran at once"
    assert set(statuses) <= {200, 429} and 200 in statuses and len(statuses) == 8
