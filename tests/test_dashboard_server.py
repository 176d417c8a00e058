"""A real dashboard (`pytest-web dashboard`, gunicorn + gevent) and real pytest shards streaming
into it with xdist: merged counts equal to pytest's, a killed shard lost with its tests kept,
the dashboard killed and restarted mid-run with nothing lost or doubled, a refused token, an
upload filling the gap a dead dashboard left, and the upload token refused everywhere else."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from dashboard_support import (
    PROJECT,
    UPLOAD,
    kill,
    launch_dashboard,
    session_events,
    start_shard,
)
from support import Server, stop_server, summary_of

pytestmark = pytest.mark.slow

SHARD_A = """
import pytest

@pytest.mark.parametrize("n", range(12))
def test_a(n):
    assert n != 5

def test_skipped():
    pytest.skip("not here")

@pytest.mark.xfail(reason="known")
def test_known():
    assert False

def test_parts(subtests):
    for n in range(4):
        with subtests.test(n=n):
            assert n != 2
"""
SHARD_B = """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("setup broke")

@pytest.mark.parametrize("n", range(9))
def test_b(n):
    pass

def test_error(broken):
    pass
"""
SLOW = """
import time
import pytest

@pytest.mark.parametrize("n", range({count}))
def test_slow(n):
    time.sleep({seconds})
    assert n % 7 != 6
"""


@pytest.fixture
def dashboards(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(*args: str, port: int = 0) -> Server:
        server = launch_dashboard(tmp_path / "data", *args, port=port)
        started.append(server)
        return server

    yield start
    for server in started:
        stop_server(server)
        print("--- dashboard output ---\n" + "".join(server.output))


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "test_a.py").write_text(SHARD_A)
    (folder / "test_b.py").write_text(SHARD_B)
    (folder / "test_slow.py").write_text(SLOW.format(count=40, seconds=0.15))
    return folder


def finish(shard: subprocess.Popen[str], timeout: float = 180) -> tuple[int, str, str]:
    out, err = shard.communicate(timeout=timeout)
    return shard.returncode, out, err


def runs(server: Server) -> list[dict[str, Any]]:
    return server.api("GET", f"/api/runs?project={PROJECT}").json()["runs"]


def wait_run(server: Server, check: Callable[[dict[str, Any]], bool], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = runs(server)
        if found:
            run = server.api("GET", f"/api/runs/{found[0]['id']}").json()
            if check(run):
                return run
        time.sleep(0.2)
    raise AssertionError(f"not reached in {timeout} s: {found}")


def done_on(name: str, at_least: int) -> Callable[[dict[str, Any]], bool]:
    """Whether shard `name` of a run has reported at least that many tests."""

    def check(run: dict[str, Any]) -> bool:
        shards = [s for s in run["shards"] if s["name"] == name]
        return bool(shards) and sum(shards[0]["counts"].values()) >= at_least

    return check


def added(*summaries: dict[str, int]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for summary in summaries:
        total.update(summary)
    return {name: total.get(name, 0) for name in summaries[0]}


def test_two_xdist_shards_are_one_run_with_pytests_counts_added_up(
    dashboards: Callable[..., Server], suite: Path
) -> None:
    server = dashboards()
    one = start_shard(suite, server.url, "a", "-p", "xdist", "-n", "2", "test_a.py")
    two = start_shard(suite, server.url, "b", "-p", "xdist", "-n", "2", "test_b.py")
    (code_a, out_a, err_a), (code_b, out_b, err_b) = finish(one), finish(two)
    assert (code_a, code_b) == (1, 1), err_a + err_b
    assert "pytest-web" not in err_a + err_b  # nothing to say: every event was held
    run = wait_run(server, lambda r: r["status"] != "running")
    assert run["status"] == "finished" and run["exitstatus"] == 1
    assert run["counts"] == added(summary_of(out_a), summary_of(out_b))
    assert run["counts"]["passed"] == 20 and run["counts"]["error"] == 1
    assert re.search(r"\b3 subtests passed\b", out_a.strip().splitlines()[-1]), out_a
    assert run["subtests"] == {"passed": 3, "skipped": 0, "failed": 1}  # and among "failed"
    shards = {s["name"]: s for s in run["shards"]}
    assert set(shards) == {"a", "b"} and {s["status"] for s in shards.values()} == {"finished"}
    assert shards["a"]["counts"] == summary_of(out_a)
    assert shards["b"]["counts"] == summary_of(out_b)
    assert len(run["tests"]) == 25 and {t["attempts"] for t in run["tests"]} == {1}


def test_a_killed_shard_is_lost_with_its_finished_tests_kept(
    dashboards: Callable[..., Server], suite: Path
) -> None:
    server = dashboards("--shard-timeout", "3")
    finished = start_shard(suite, server.url, "ok", "test_a.py")
    assert finish(finished)[0] == 1
    doomed = start_shard(suite, server.url, "doomed", "-p", "xdist", "-n", "2", "test_slow.py")
    wait_run(server, done_on("doomed", 4))
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait()
    killed_at = time.monotonic()
    run = wait_run(server, lambda r: r["status"] != "running", timeout=30)
    assert time.monotonic() - killed_at < 15
    assert run["status"] == "crashed"
    shards = {s["name"]: s for s in run["shards"]}
    assert shards["doomed"]["status"] == "lost" and shards["ok"]["status"] == "finished"
    slow = [t for t in run["tests"] if "test_slow" in t["nodeid"]]
    ran = [t for t in slow if t["outcome"] in ("passed", "failed")]
    assert len(ran) >= 4 and all(t["outcome"] == "notrun" for t in slow if t not in ran)
    assert shards["doomed"]["counts"]["passed"] + shards["doomed"]["counts"]["failed"] == len(ran)


def test_the_dashboard_killed_and_restarted_mid_run_loses_and_doubles_nothing(
    dashboards: Callable[..., Server], suite: Path
) -> None:
    server = dashboards()
    shard = start_shard(suite, server.url, "s", "-p", "xdist", "-n", "2", "test_slow.py")
    wait_run(server, done_on("s", 3))
    kill(server)
    time.sleep(1.5)  # the shard keeps running, and keeps its events
    again = dashboards(port=int(server.url.rsplit(":", 1)[1]))
    code, out, err = finish(shard)
    assert code == 1 and "pytest-web" not in err, err  # it waited for the dashboard, silently
    run = wait_run(again, lambda r: r["status"] != "running")
    assert run["status"] == "finished"
    assert run["counts"] == summary_of(out)
    assert len(run["tests"]) == 40 and {t["attempts"] for t in run["tests"]} == {1}


def test_a_refused_token_leaves_pytest_as_it_was(
    dashboards: Callable[..., Server], suite: Path
) -> None:
    server = dashboards()
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_a.py"],
        cwd=suite,
        capture_output=True,
        text=True,
        timeout=120,
    )
    shard = start_shard(suite, server.url, "a", "test_a.py", token="not-the-token-0123456")
    code, out, err = finish(shard)
    assert code == plain.returncode == 1
    assert summary_of(out) == summary_of(plain.stdout)
    assert err.count("pytest-web:") == 1 and "HTTP 401" in err
    assert runs(server) == []


def test_upload_fills_exactly_the_gap_a_dead_dashboard_left(
    dashboards: Callable[..., Server], suite: Path
) -> None:
    server = dashboards()
    record = suite / "shard.jsonl"
    shard = start_shard(
        suite, server.url, "s", "test_slow.py", f"--web-record={record}", "--web-stream-timeout=1"
    )
    wait_run(server, done_on("s", 3))
    kill(server)
    code, out, err = finish(shard)
    assert code == 1 and "did not reach the dashboard" in err and str(record) in err
    again = dashboards(port=int(server.url.rsplit(":", 1)[1]))
    before = wait_run(again, lambda r: True)
    assert before["status"] == "running" and before["counts"] != summary_of(out)
    env = {**os.environ, "PYTEST_WEB_UPLOAD_TOKEN": UPLOAD}
    for _ in range(2):  # twice: the second adds nothing
        done = subprocess.run(
            [sys.executable, "-m", "pytest_web", "upload", str(record), "--url", again.url],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        run = wait_run(again, lambda r: r["status"] != "running")
        assert run["counts"] == summary_of(out) and run["status"] == "finished"
        assert len(run["tests"]) == 40 and {t["attempts"] for t in run["tests"]} == {1}


def test_the_upload_token_reads_and_runs_nothing(
    dashboards: Callable[..., Server], suite: Path
) -> None:
    server = dashboards()
    assert finish(start_shard(suite, server.url, "a", "test_a.py"))[0] == 1
    run_id = runs(server)[0]["id"]
    upload = {"Authorization": f"Bearer {UPLOAD}"}
    for method, path in [  # eight, and one below: ten wrong tokens a minute get a 429
        ("GET", "/projects"),
        ("GET", f"/runs/{run_id}"),
        ("GET", "/api/runs"),
        ("GET", f"/api/runs/{run_id}"),
        ("GET", f"/events?run={run_id}"),
        ("GET", f"/?token={UPLOAD}"),
        ("POST", "/api/runs"),
        ("POST", f"/api/runs/{run_id}/cancel"),
    ]:
        response = requests.request(
            method, server.url + path, headers=upload, timeout=30, allow_redirects=False
        )
        assert response.status_code == 401, (method, path, response.status_code)
    signed_in = server.api("POST", "/api/ci/events", json=[])
    assert signed_in.status_code == 401
    assert server.api("POST", "/api/runs", json={}).status_code == 403


def test_shards_arriving_at_once_join_one_run(dashboards: Callable[..., Server]) -> None:
    """Thirty shards send their first batch at the same moment: one run, each shard in it with
    all it sent (reading a body lets other requests in; the run is found again after it)."""
    server = dashboards()
    results = {f"tests/test_{n}.py::test_x[{k}]": "passed" for n in range(2) for k in range(300)}

    def first_batch(name: str) -> requests.Response:
        events = session_events(name, {f"{name}/{k}": v for k, v in results.items()})
        body = json.dumps(events).encode()

        def slowly() -> Iterator[bytes]:  # the body comes in two parts, a moment apart
            yield body[:1000]
            time.sleep(0.5)
            yield body[1000:]

        return requests.post(
            server.url + "/api/ci/events",
            data=slowly(),
            headers={
                "Authorization": f"Bearer {UPLOAD}",
                "Content-Type": "application/json",
                "X-Pytest-Web-Project": "acme%2Fshop",
                "X-Pytest-Web-Run-Key": "burst",
                "X-Pytest-Web-Shard": name,
                "X-Pytest-Web-Session": name,
                "X-Pytest-Web-After": "0",
            },
            timeout=120,
        )

    names = [f"s{n:02d}" for n in range(30)]
    with ThreadPoolExecutor(len(names)) as pool:
        answers = list(pool.map(first_batch, names))
    assert [a.status_code for a in answers] == [200] * len(names)
    assert len({a.json()["run"] for a in answers}) == 1
    run = server.api("GET", f"/api/runs/{answers[0].json()['run']}").json()
    assert sorted(s["name"] for s in run["shards"]) == names
    assert run["counts"]["passed"] == 600 * len(names)
