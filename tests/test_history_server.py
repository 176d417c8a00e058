"""Run history on a real server: runs survive restarts, a killed server leaves 'interrupted'."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import processes_in, summary_counts, wait_gone

pytestmark = pytest.mark.slow


def test_runs_survive_a_restart_and_open_as_they_ended(
    make_server, demo_repo: Path, tmp_path: Path
) -> None:
    data = {"PYTEST_WEB_DATA": str(tmp_path / "data")}
    server = make_server(demo_repo, env=data)
    first = server.wait_run(server.start_run())
    second = server.wait_run(server.start_run(workers=2))
    before = {
        run["id"]: server.api("GET", f"/api/runs/{run['id']}").json() for run in (first, second)
    }
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=15)

    again = make_server(demo_repo, env=data)
    listed = again.api("GET", "/api/runs").json()["runs"]
    assert [run["id"] for run in listed] == [second["id"], first["id"]]
    expected = summary_counts(demo_repo)
    for run in listed:
        assert run["counts"] == expected and run["status"] == "finished"
        assert run["test_count"] == len(before[run["id"]]["tests"])
    for run_id, json in before.items():
        assert again.api("GET", f"/api/runs/{run_id}").json() == json
    changes = again.api("GET", f"/api/runs/{second['id']}/changes").json()
    assert changes["new_failures"] == changes["fixed"] == []
    assert changes["compared"] == len(before[second["id"]]["tests"])
    assert sorted(changes["still_failing"]) == sorted(
        t["nodeid"] for t in second["tests"] if t["outcome"] in ("failed", "error")
    )


def test_a_server_killed_mid_run_leaves_an_interrupted_run(
    make_server, slow_repo: Path, tmp_path: Path
) -> None:
    data = {"PYTEST_WEB_DATA": str(tmp_path / "data")}
    server = make_server(slow_repo, env=data)
    run_id = server.start_run()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = [t for t in server.api("GET", f"/api/runs/{run_id}").json()["tests"]]
        if sum(t["outcome"] not in ("queued", "running") for t in done) >= 3:
            break
        time.sleep(0.1)
    time.sleep(1.0)  # the writer stores waiting events every 0.5 s
    os.killpg(server.process.pid, signal.SIGKILL)  # no clean shutdown at all
    server.process.wait()
    for pid in processes_in(slow_repo):  # pytest runs in a session of its own
        os.kill(pid, signal.SIGKILL)
    wait_gone(slow_repo)

    again = make_server(slow_repo, env=data)
    run = again.api("GET", f"/api/runs/{run_id}").json()
    assert run["status"] == "interrupted"
    outcomes = [t["outcome"] for t in run["tests"]]
    assert outcomes.count("passed") + outcomes.count("failed") >= 3
    assert set(outcomes) <= {"passed", "failed", "notrun"} and "notrun" in outcomes
    assert again.api("GET", "/api/runs").json()["runs"][0]["status"] == "interrupted"
    assert again.wait_run(again.start_run())["status"] == "finished"  # and it runs again


def test_no_history_writes_nothing(make_server, demo_repo: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"PYTEST_WEB_DATA": "-", "HOME": str(home), "XDG_DATA_HOME": str(home / "share")}
    server = make_server(demo_repo, env=env)
    run = server.wait_run(server.start_run())
    assert run["status"] == "finished"
    assert [r["id"] for r in server.api("GET", "/api/runs").json()["runs"]] == [run["id"]]
    response = server.api("GET", "/runs")
    assert response.status_code == 404 and "keeps no run history" in response.text
    assert list(home.iterdir()) == []


def test_the_default_data_folder_is_outside_the_repository(
    make_server, demo_repo: Path, tmp_path: Path
) -> None:
    share = tmp_path / "share"
    server = make_server(demo_repo, env={"PYTEST_WEB_DATA": "", "XDG_DATA_HOME": str(share)})
    server.wait_run(server.start_run())
    files = list(share.glob("pytest-web/demo-*/history.sqlite3"))
    assert len(files) == 1 and files[0].stat().st_size > 0
    assert not list(demo_repo.rglob("*.sqlite3"))


def test_export_a_kept_run(make_server, demo_repo: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = make_server(demo_repo, env={"PYTEST_WEB_DATA": str(data)})
    run = server.wait_run(server.start_run(workers=2))

    def export(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "pytest_web", "export", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    for run_id in (run["id"], "last"):
        output = tmp_path / f"{run_id}.html"
        done = export(
            "--run", run_id, "--repo", str(demo_repo), "--data", str(data), "-o", str(output)
        )
        assert done.returncode == 0, done.stderr
        html = output.read_text()
        counted = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
        title = ", ".join(
            f"{run['counts'][name]} {name}" for name in counted if run["counts"][name]
        )
        assert f"<title>pytest report: {title}</title>" in html
        assert f"run {run['id']} of {demo_repo}" in html
        text = re.sub(r"<[^>]+>", "", html)  # pytest's colours are spans around its words
        assert "assert actual == expected" in text  # a failure's traceback
    missing = export("--run", "nope", "--repo", str(demo_repo), "--data", str(data), "-o", "x.html")
    assert missing.returncode == 1 and "no run 'nope'" in missing.stderr
    elsewhere = export(
        "--run", "last", "--repo", str(tmp_path), "--data", str(data), "-o", "x.html"
    )
    assert elsewhere.returncode == 1 and "no run history for" in elsewhere.stderr
    neither = export("-o", str(tmp_path / "x.html"))
    assert neither.returncode == 2 and "give result FILEs or --run ID" in neither.stderr
