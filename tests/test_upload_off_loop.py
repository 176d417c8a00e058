"""A big upload is parsed off the event loop: while 200,000 tests are read, merged and packed
for history, `/healthz` answers, a live run's event stream keeps flowing and the run ends as it
should. On the loop, the same upload stalled everything for its whole parse, and a big enough
one held the worker until gunicorn killed it, with the live run.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests

from support import Server

pytestmark = pytest.mark.slow

TESTS = 200_000
CASE = '<testcase classname="tests.test_big{m}" name="test_{n}" time="0.001"/>'


def big_junit(path: Path) -> Path:
    cases = "".join(CASE.format(m=n // 1000, n=n) for n in range(TESTS))
    path.write_text(f'<testsuites><testsuite name="p">{cases}</testsuite></testsuites>')
    return path


@pytest.fixture
def steady_repo(tmp_path: Path) -> Path:
    """A live run that lasts about 12 s: 24 tests of half a second."""
    repo = tmp_path / "steady"
    repo.mkdir()
    (repo / "test_steady.py").write_text(
        "import time, pytest\n\n"
        "@pytest.mark.parametrize('n', range(24))\n"
        "def test_step(n):\n"
        "    time.sleep(0.5)\n"
    )
    return repo


class Watch:
    """Health checks every 0.1 s and the event stream's arrivals, in threads, until stopped."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.health: list[tuple[float, float]] = []  # (asked at, seconds to answer)
        self.arrivals: list[float] = []
        self.stopped = threading.Event()
        self.threads = [
            threading.Thread(target=self._health, daemon=True),
            threading.Thread(target=self._stream, daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def _health(self) -> None:
        while not self.stopped.is_set():
            start = time.monotonic()
            requests.get(self.server.url + "/healthz", timeout=60).raise_for_status()
            self.health.append((start, time.monotonic() - start))
            time.sleep(0.1)

    def _stream(self) -> None:
        headers = {"Authorization": f"Bearer {self.server.token}"}
        with requests.get(
            self.server.url + "/events", headers=headers, stream=True, timeout=60
        ) as response:
            for _ in response.iter_content(chunk_size=None):
                self.arrivals.append(time.monotonic())
                if self.stopped.is_set():
                    return

    def stop(self) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(30)

    def worst_gap(self, start: float, end: float) -> float:
        times = [start, *(t for t in self.arrivals if start <= t <= end), end]
        return max(b - a for a, b in zip(times, times[1:], strict=False))

    def worst_health(self, start: float, end: float) -> float:
        return max(took for asked, took in self.health if start <= asked <= end)


def test_health_and_a_live_run_keep_answering_while_a_big_upload_parses(
    make_server, steady_repo: Path, tmp_path: Path
) -> None:
    server: Server = make_server(steady_repo, env={"PYTEST_WEB_KEEPALIVE": "0.5"})
    junit = big_junit(tmp_path / "big.xml")
    run_id = server.start_run()
    watch = Watch(server)
    time.sleep(1)
    start = time.monotonic()
    with open(junit, "rb") as handle:
        response = server.api("POST", "/api/results", files={"file": ("big.xml", handle)})
    end = time.monotonic()
    time.sleep(0.5)
    watch.stop()
    assert response.status_code == 201, response.text
    assert sum(response.json()["counts"].values()) == TESTS
    print(
        f"upload {end - start:.1f} s; worst /healthz {watch.worst_health(start, end):.2f} s;"
        f" worst stream gap {watch.worst_gap(start, end):.2f} s"
    )
    assert end - start > 2  # long enough for a stall to show
    assert watch.worst_health(start, end) < 1.5
    assert watch.worst_gap(start, end) < 2.5
    run = server.wait_run(run_id)
    assert run["status"] == "finished" and run["counts"]["passed"] == 24
