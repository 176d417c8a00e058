"""The dashboard's pages in-process: projects and their runs, a CI run's live view with its
shards and each test's shard, its event stream, and nothing that runs or changes anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import close_history
from flask import Flask
from flask.testing import FlaskClient

from dashboard_support import dashboard_app, send, session_events, signed_in


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[Flask]:
    app = dashboard_app(tmp_path)
    yield app
    close_history(app)


@pytest.fixture
def people(dashboard: Flask) -> FlaskClient:
    return signed_in(dashboard)


@pytest.fixture
def run_id(dashboard: Flask) -> str:
    """A CI run of two shards: shard 1 finished (a pass, a failure), shard 2 still running."""
    shards = dashboard.test_client()
    one = session_events(
        "1",
        {"tests/test_a.py::test_x": "passed", "tests/test_a.py::test_y": "failed"},
        branch="main",
        commit="0123456789abcdef",
        url="https://ci.example/runs/1234",
        job_url="https://ci.example/jobs/1",
    )
    two = session_events("2", {"tests/test_b.py::test_z": "passed"}, end=False)
    answer = send(shards, one, shard="1")
    send(shards, two, shard="2")
    return str(answer.json["run"])


def test_a_dashboard_opens_on_its_projects(people: FlaskClient, run_id: str) -> None:
    home = people.get("/")
    assert home.status_code == 302 and home.headers["Location"] == "/projects"
    page = people.get("/projects").text
    assert "acme/shop" in page and f'href="/runs/{run_id}"' in page
    assert "2 shards: 1 running, 1 finished" in page
    assert "0123456789" in page and 'href="https://ci.example/runs/1234"' in page
    assert 'hx-trigger="every 3s"' in page
    assert 'id="run-form"' not in page and 'id="fetch-form"' not in page


def test_a_project_lists_its_runs_by_branch(people: FlaskClient, run_id: str) -> None:
    page = people.get("/project?project=acme/shop").text
    assert f'href="/runs/{run_id}"' in page and "Flaky tests" in page
    assert run_id not in people.get("/project?project=acme/shop&branch=other").text
    assert people.get("/project").status_code == 400


def test_a_ci_run_opens_as_the_live_view_with_its_shards(people: FlaskClient, run_id: str) -> None:
    page = people.get(f"/runs/{run_id}").text
    assert 'id="shards"' in page
    assert 'class="shard sh-running"' in page and 'class="shard sh-finished"' in page
    assert 'href="https://ci.example/jobs/1"' in page
    assert '<span class="shard-of" title="shard">1</span>' in page
    assert 'title="shard 2"' in page  # a test's status says where it ran
    assert f'hx-sse:connect="/events?run={run_id}&amp;last={run_id}:' in page
    assert 'type="checkbox"' not in page and 'id="cancel"' not in page
    assert 'class="run-group"' not in page and 'id="past"' not in page


def test_a_ci_runs_stream_follows_that_run(people: FlaskClient, run_id: str) -> None:
    response = people.get(f"/events?run={run_id}")
    body = iter(response.response)
    assert next(body) == b"retry: 1000\n\n"
    snapshot = next(body).decode()
    assert snapshot.startswith(f"id: {run_id}:")
    assert 'id="shards"' in snapshot and "tests/test_b.py" in snapshot
    response.close()


def test_a_tests_detail_says_its_shard_and_its_history(people: FlaskClient, run_id: str) -> None:
    detail = people.get(
        "/detail", query_string={"run": run_id, "nodeid": "tests/test_a.py::test_y"}
    )
    assert detail.status_code == 200
    assert "<dt>from</dt><dd><code>1</code></dd>" in detail.text
    assert "assert 1 == 2" in detail.text
    assert 'class="run-test"' not in detail.text  # a dashboard runs no pytest: no ▶ Run


def test_a_dashboard_runs_nothing(people: FlaskClient, run_id: str) -> None:
    assert people.post("/api/runs", json={}).status_code == 403
    assert people.get("/tests").status_code == 403
    assert people.get("/api/tests").status_code == 403
    assert people.post(f"/api/runs/{run_id}/cancel").status_code == 403
    assert people.get("/results").status_code == 403
    assert people.get("/healthz").status_code == 200


def test_names_and_output_from_ci_are_escaped(dashboard: Flask, people: FlaskClient) -> None:
    hostile = "<script>alert(1)</script>"
    events = session_events(hostile, {f"t.py::test[{hostile}]": "failed"}, branch=hostile)
    run = send(dashboard.test_client(), events, shard=hostile, project=f"p{hostile}").json["run"]
    for path in ("/projects", f"/runs/{run}", f"/project?project=p{hostile}"):
        page = people.get(path).text
        assert hostile not in page and "&lt;script&gt;" in page, path


def test_the_api_lists_projects_and_flaky_tests(people: FlaskClient, run_id: str) -> None:
    assert people.get("/api/projects").json == {"projects": ["acme/shop"]}
    assert people.get("/api/flaky?project=acme/shop").json == {
        "project": "acme/shop",
        "flaky": [],
    }
    outcomes = people.get("/api/ci/history?project=acme/shop&nodeid=tests/test_a.py::test_x")
    assert outcomes.status_code == 200  # kept when shard 1 ended: the run looked finished then
    assert [(o["run"], o["outcome"], o["branch"]) for o in outcomes.json["outcomes"]] == [
        (run_id, "passed", "main")
    ]
