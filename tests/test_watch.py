"""Watch mode: what a save reruns (by scope, from the last run), the API that switches it, and
a real server that reruns when a file of a temporary repository is saved."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from pytest_web.core.fold import RunState
from pytest_web.pytest_run.watch import plan
from support import Server


def last_run(outcomes: dict[str, str], **selection: object) -> RunState:
    state = RunState("r")
    state.apply({"type": "run_created", "selection": {"k": "", "workers": 2, **selection}})
    state.apply({"type": "collection", "nodeids": list(outcomes)})
    for nodeid, outcome in outcomes.items():
        phase = {"when": "call", "outcome": outcome, "duration": 0.0}
        state.apply({"type": "test_end", "nodeid": nodeid, "phases": [phase]})
    return state


LAST = {
    "tests/test_a.py::test_1": "passed",
    "tests/test_b.py::test_2": "passed",
    "tests/test_c.py::test_3": "failed",
    "tests/test_b.py::test_4": "passed",
}


def test_affected_runs_failures_then_the_saved_files_tests_then_the_rest() -> None:
    request = plan("affected", last_run(LAST), ["tests/test_b.py", "src/lib.py"])
    assert request == {
        "k": "",
        "workers": 2,
        "nodeids": [
            "tests/test_c.py::test_3",
            "tests/test_b.py::test_2",
            "tests/test_b.py::test_4",
            "tests/test_a.py::test_1",
        ],
    }


def test_affected_adds_a_new_test_file_after_the_saved_ones() -> None:
    request = plan("affected", last_run(LAST), ["tests/test_new.py", "tests/helpers.py"])
    assert request is not None
    assert request["nodeids"][:2] == ["tests/test_c.py::test_3", "tests/test_new.py"]
    assert "tests/helpers.py" not in request["nodeids"]


def test_failed_runs_only_the_failures_and_nothing_without_any() -> None:
    assert plan("failed", last_run(LAST), ["x.py"]) == {
        "k": "",
        "workers": 2,
        "nodeids": ["tests/test_c.py::test_3"],
    }
    assert plan("failed", last_run({"t.py::a": "passed"}), ["x.py"]) is None


def test_all_reruns_the_last_selection_as_it_was_asked() -> None:
    state = last_run(LAST, nodeids=["tests/test_a.py"], options=["-x"])
    assert plan("all", state, ["x.py"]) == {
        "k": "",
        "workers": 2,
        "options": ["-x"],
        "nodeids": ["tests/test_a.py"],
    }


def test_without_a_last_run_a_save_runs_everything() -> None:
    assert plan("affected", None, ["tests/test_a.py"]) == {"nodeids": []}


def test_the_watch_api_switches_and_validates(client: FlaskClient) -> None:
    assert client.get("/api/watch").json["enabled"] is False
    for bad in ({}, {"enabled": "yes"}, {"enabled": True, "scope": "some"}, {"enabled": 1}):
        response = client.put("/api/watch", json=bad)
        assert response.status_code == 400, bad
    assert client.put("/api/watch", json={"enabled": True, "extra": 1}).status_code == 400
    on = client.put("/api/watch", json={"enabled": True, "scope": "failed"})
    assert on.status_code == 200 and on.json["enabled"] is True and on.json["scope"] == "failed"
    off = client.put("/api/watch", json={"enabled": False})
    assert off.json == {**off.json, "enabled": False, "scope": "failed"}


@pytest.mark.slow
def test_a_save_reruns_and_a_fix_shows_in_the_new_runs_counts(make_server, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    test_file = repo / "tests" / "test_math.py"
    test_file.write_text("def test_add():\n    assert 1 + 1 == 3\n\ndef test_ok():\n    pass\n")
    server: Server = make_server(repo, "--watch")
    first = server.wait_run(server.start_run())
    assert first["counts"]["failed"] == 1
    assert server.api("GET", "/api/watch").json()["enabled"] is True
    time.sleep(1.5)  # the watcher has started and seen the first run's cache writes
    test_file.write_text("def test_add():\n    assert 1 + 1 == 2\n\ndef test_ok():\n    pass\n")
    deadline = time.monotonic() + 60
    runs: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        runs = server.api("GET", "/api/runs").json()["runs"]
        if len(runs) >= 2 and runs[0]["status"] != "running":
            break
        time.sleep(0.2)
    assert len(runs) >= 2, runs
    newest = server.api("GET", f"/api/runs/{runs[0]['id']}").json()
    assert newest["selection"]["trigger"] == ["tests/test_math.py"]
    assert newest["selection"]["nodeids"][0] == "tests/test_math.py::test_add"  # failure first
    assert newest["counts"]["passed"] == 2 and newest["counts"]["failed"] == 0
    assert server.api("GET", "/api/watch").json()["last_change"]["files"] == ["tests/test_math.py"]
