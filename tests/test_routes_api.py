"""The JSON API in-process: listing and reading runs, validation, 409 while a run is active,
cancel, what changed, a test's history, status, and opening result files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from events import DEMO_IDS, FAILING, finished_run, start_run
from flask import Flask
from flask.testing import FlaskClient

from pytest_web.core.hub import Run
from pytest_web.web import create_app
from pytest_web.web.services import services
from support import JUNIT, TOKEN, app_config


def test_runs_lists_runs_in_memory_newest_first_with_counts(
    app: Flask, client: FlaskClient
) -> None:
    hub = services(app).hub
    first = finished_run(hub)
    second = start_run(hub)
    runs = client.get("/api/runs").get_json()["runs"]
    assert [r["id"] for r in runs] == [second.id, first.id]
    assert runs[0]["status"] == "running" and runs[0]["test_count"] == 5
    assert runs[1]["status"] == "finished" and runs[1]["exitstatus"] == 1
    assert runs[1]["counts"] == {
        "passed": 4,
        "failed": 1,
        "error": 0,
        "skipped": 0,
        "xfailed": 0,
        "xpassed": 0,
        "rerun": 0,
    }


def test_a_run_as_json_has_every_test_and_its_outcome(app: Flask, client: FlaskClient) -> None:
    run = finished_run(services(app).hub)
    data = client.get(f"/api/runs/{run.id}").get_json()
    assert data["id"] == run.id and data["status"] == "finished" and data["exitstatus"] == 1
    assert [(t["nodeid"], t["outcome"]) for t in data["tests"]] == [
        (n, "failed" if n == FAILING else "passed") for n in DEMO_IDS
    ]
    assert data["errors"] == []


def test_an_unknown_run_is_a_json_404(client: FlaskClient) -> None:
    response = client.get("/api/runs/nope")
    assert response.status_code == 404
    assert response.get_json() == {"error": "no run 'nope'"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "expected a JSON object"),
        ({"nodeids": "tests"}, "nodeids must be a list of strings"),
        ({"nodeids": ["-pfoo"]}, "node ids cannot start with '-' or '@'"),
        ({"nodeids": ["@ids.txt"]}, "node ids cannot start with '-' or '@'"),
        ({"nodeids": ["/etc/passwd"]}, "node ids are relative to the repository"),
        ({"nodeids": ["../x.py"]}, "node id points outside the repository"),
        ({"nodeids": ["tests/test_nope.py"]}, "no such file in the repository"),
        ({"workers": 65}, "workers must be a whole number from 0 to 64"),
        ({"workers": True}, "workers must be a whole number from 0 to 64"),
        ({"k": 3}, "-k must be a string"),
        ({"m": "a\nb"}, "-m contains control characters"),
        ({"rootdir": "/"}, "unknown fields: rootdir"),
    ],
)
def test_a_run_request_that_pytest_must_not_see_is_400(
    app: Flask, client: FlaskClient, body: object, message: str
) -> None:
    response = client.post("/api/runs", json=body)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert services(app).runner.active is None and services(app).hub.runs == {}


def test_a_run_request_must_be_json(client: FlaskClient) -> None:
    form = client.post("/api/runs", data={"nodeids": "x"})
    assert form.status_code == 415
    assert form.get_json() == {"error": "send JSON (Content-Type: application/json)"}
    broken = client.post("/api/runs", data="{", content_type="application/json")
    assert broken.status_code == 400
    assert broken.get_json() == {"error": "the body is not valid JSON"}


def test_a_second_run_while_one_is_active_is_409(
    app: Flask, client: FlaskClient, active_run: Run
) -> None:
    response = client.post("/api/runs", json={"nodeids": [DEMO_IDS[0]]})
    assert response.status_code == 409
    assert response.get_json()["error"] == (
        f"a run is already active: run {active_run.id} is still running"
    )
    assert services(app).hub.current is active_run


def test_status_says_nothing_is_active(client: FlaskClient) -> None:
    assert client.get("/api/status").get_json() == {"active": None, "streams": 0}


def test_status_names_the_active_run(client: FlaskClient, active_run: Run) -> None:
    assert client.get("/api/status").get_json() == {"active": active_run.id, "streams": 0}


def test_cancel_signals_the_active_runs_process_group(
    client: FlaskClient, active_run: Run, app: Flask
) -> None:
    process = services(app).runner.active.process
    response = client.post(f"/api/runs/{active_run.id}/cancel")
    assert response.status_code == 202
    assert response.get_json() == {"id": active_run.id, "cancelling": True}
    assert process.wait(timeout=5) == -2  # SIGINT, sent to its process group
    assert services(app).runner.active.cancelled


def test_cancel_of_a_finished_or_unknown_run(app: Flask, client: FlaskClient) -> None:
    run = finished_run(services(app).hub)
    finished = client.post(f"/api/runs/{run.id}/cancel")
    assert finished.status_code == 409
    assert finished.get_json() == {"error": f"run {run.id} is not running"}
    assert client.post("/api/runs/nope/cancel").status_code == 404
    assert client.get(f"/api/runs/{run.id}/cancel").status_code == 405


def test_changes_compare_with_each_tests_previous_outcome(app: Flask, client: FlaskClient) -> None:
    hub = services(app).hub
    finished_run(hub, {DEMO_IDS[0]: "failed", DEMO_IDS[1]: "failed", DEMO_IDS[2]: "passed"})
    run = finished_run(hub, {DEMO_IDS[0]: "passed", DEMO_IDS[1]: "failed", DEMO_IDS[3]: "failed"})
    assert client.get(f"/api/runs/{run.id}/changes").get_json() == {
        "new_failures": [DEMO_IDS[3]],
        "fixed": [DEMO_IDS[0]],
        "still_failing": [DEMO_IDS[1]],
        "new_tests": 1,
        "compared": 2,
        "flaky": [],
    }


def test_changes_of_a_running_run_are_404(app: Flask, client: FlaskClient) -> None:
    run = start_run(services(app).hub)
    response = client.get(f"/api/runs/{run.id}/changes")
    assert response.status_code == 404
    assert "no comparison for run" in response.get_json()["error"]


def test_history_gives_a_tests_last_outcomes_newest_first(app: Flask, client: FlaskClient) -> None:
    hub = services(app).hub
    runs = [finished_run(hub, {FAILING: outcome}) for outcome in ("passed", "failed", "passed")]
    data = client.get("/api/history", query_string={"nodeid": FAILING}).get_json()
    assert data["nodeid"] == FAILING
    assert [(o["run"], o["outcome"]) for o in data["outcomes"]] == [
        (runs[2].id, "passed"),
        (runs[1].id, "failed"),
        (runs[0].id, "passed"),
    ]
    assert data["flaky"] is True  # passed, failed, passed: two flips


def test_history_needs_a_nodeid_and_a_server_with_history(
    client: FlaskClient, app_without_history: Flask
) -> None:
    assert client.get("/api/history").status_code == 404
    without = app_without_history.test_client()
    response = without.get(
        "/api/history",
        query_string={"nodeid": FAILING},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 404
    assert response.get_json() == {"error": "give ?nodeid= (and run a server with history)"}


def test_an_uploaded_junit_file_opens_as_a_kept_run(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/api/results",
        data={"file": (io.BytesIO(JUNIT.encode()), "junit.xml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    data = response.get_json()
    assert data["id"].startswith("results-") and data["status"] == "finished"
    assert data["counts"]["passed"] == 2 and data["counts"]["failed"] == 1
    assert data["problems"] == []
    kept = client.get(f"/api/runs/{data['id']}").get_json()
    assert [t["nodeid"] for t in kept["tests"]] == [
        "tests/test_shop.py::test_pays",
        "tests/test_shop.py::test_refunds",
        "tests/test_shop.py::TestCart::test_empty",
    ]
    assert services(app).hub.current is None  # opened beside live runs, not instead of them


def test_an_upload_names_the_files_it_refused(client: FlaskClient) -> None:
    response = client.post(
        "/api/results",
        data={
            "file": [
                (io.BytesIO(JUNIT.encode()), "good.xml"),
                (io.BytesIO(b"not a result file"), "bad.txt"),
            ]
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    problems = response.get_json()["problems"]
    assert len(problems) == 1 and problems[0].startswith("refused bad.txt")


def test_opening_nothing_or_only_unreadable_files_is_400(client: FlaskClient) -> None:
    empty = client.post("/api/results", data={}, content_type="multipart/form-data")
    assert empty.status_code == 400
    assert empty.get_json() == {"error": "choose result files to upload, or artifacts to open"}
    bad = client.post(
        "/api/results",
        data={"file": (io.BytesIO(b"garbage"), "x.xml")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    assert bad.get_json()["error"].startswith("none of the files could be read:\nrefused x.xml")
    artifact = client.post("/api/results", data={"artifact": "a.xml"})
    assert artifact.status_code == 400
    assert "no artifacts folder" in artifact.get_json()["error"]


def test_tests_collects_the_demo_with_a_k_expression(client: FlaskClient) -> None:
    """One real `pytest --collect-only` of the tiny demo (under a second)."""
    found = client.get("/api/tests", query_string={"k": "square"}).get_json()
    assert [t["nodeid"] for t in found["tests"]] == [
        f"tests/test_params.py::test_square[{n}]" for n in range(8)
    ]
    assert found["errors"] == []


def test_artifacts_open_by_name_and_paths_that_escape_are_refused(
    demo_repo: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "artifacts"
    (folder / "shard").mkdir(parents=True)
    (folder / "shard" / "junit.xml").write_text(JUNIT)
    (tmp_path / "secret.xml").write_text(JUNIT)
    app = create_app(app_config(demo_repo, artifacts=folder))
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    form = client.get("/results", headers={"HX-Request": "true"}).text
    assert '<input type="checkbox" name="artifact" value="shard/junit.xml">' in form
    opened = client.post("/api/results", data={"artifact": "shard/junit.xml"})
    assert opened.status_code == 201 and opened.get_json()["counts"]["failed"] == 1
    escape = client.post("/api/results", data={"artifact": "../secret.xml"})
    assert escape.status_code == 400
    assert escape.get_json()["error"].startswith("refused artifact '../secret.xml'")
