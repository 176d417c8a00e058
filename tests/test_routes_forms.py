"""What the page posts, in-process: the run form (what it refuses, 409 while a run is active),
cancel, and opening result files; and `Fetch tests`, which runs a real `--collect-only`."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from events import DEMO_IDS, ended, finished_run, row_outcomes
from flask import Flask
from flask.testing import FlaskClient

from pytest_web.core.hub import Run
from pytest_web.web.services import services
from support import JUNIT

HX = {"HX-Request": "true"}


def notice(html: str) -> str:
    """The message of an error notice fragment, unescaped."""
    found = re.search(r'<span class="msg">(.*?)</span>', html, re.S)
    assert found, html[:300]
    return unescape(found.group(1))


def test_run_selected_with_nothing_checked_is_400(app: Flask, client: FlaskClient) -> None:
    response = client.post("/runs", data={"scope": "selected"}, headers=HX)
    assert response.status_code == 400
    assert notice(response.text) == "no tests are checked: tick some, or use Run all"
    assert services(app).hub.runs == {}


def test_rerun_failed_without_failures_is_400(app: Flask, client: FlaskClient) -> None:
    finished_run(services(app).hub, dict.fromkeys(DEMO_IDS, "passed"))
    response = client.post("/runs", data={"scope": "failed"}, headers=HX)
    assert response.status_code == 400
    assert notice(response.text) == "that run has no failed tests to rerun"


def test_the_run_form_refuses_what_pytest_must_not_see(client: FlaskClient) -> None:
    outside = client.post("/runs", data={"nodeid": "../../etc/passwd"}, headers=HX)
    assert outside.status_code == 400
    assert notice(outside.text).startswith("node id points outside the repository")
    workers = client.post("/runs", data={"scope": "all", "workers": "²"}, headers=HX)
    assert workers.status_code == 400
    assert notice(workers.text) == 'workers must be a whole number from 0 to 64, or "auto"'


@pytest.mark.parametrize(
    "form",
    [
        {"scope": "all"},
        {"scope": "selected", "nodeid": DEMO_IDS[0]},
        {"group": "tests/test_params.py"},
        {"scope": "failed"},
    ],
)
def test_every_kind_of_run_is_409_while_one_is_active(
    app: Flask, client: FlaskClient, active_run: Run, form: dict[str, str]
) -> None:
    services(app).hub.publish(active_run, [ended(DEMO_IDS[1], "failed")])  # for "failed"
    response = client.post("/runs", data=form, headers=HX)
    assert response.status_code == 409
    assert notice(response.text) == f"a run is already active: run {active_run.id} is still running"
    assert services(app).hub.current is active_run


def test_cancel_from_the_page_says_cancelling(
    app: Flask, client: FlaskClient, active_run: Run
) -> None:
    response = client.post(f"/runs/{active_run.id}/cancel", headers=HX)
    assert response.status_code == 202
    assert '<span class="msg">Cancelling…</span>' in response.text
    assert services(app).runner.active.cancelled


def test_cancel_from_the_page_of_a_finished_run_is_409(app: Flask, client: FlaskClient) -> None:
    run = finished_run(services(app).hub)
    response = client.post(f"/runs/{run.id}/cancel", headers=HX)
    assert response.status_code == 409
    assert notice(response.text) == f"run {run.id} is not running"


def test_open_results_from_the_form_redirects_to_the_new_run(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/results",
        data={"file": (io.BytesIO(JUNIT.encode()), "junit.xml")},
        content_type="multipart/form-data",
        headers=HX,
    )
    assert response.status_code == 200
    run_id = response.headers["HX-Redirect"].removeprefix("/runs/")
    assert run_id.startswith("results-")
    assert "Opened 1 file(s): 2 passed, 1 failed" in response.text
    page = client.get(f"/runs/{run_id}", headers=HX).text
    assert row_outcomes(page) == {0: "passed", 1: "failed", 2: "passed"}
    assert services(app).hub.get(run_id) is not None


def test_open_results_without_files_is_400(client: FlaskClient) -> None:
    response = client.post("/results", data={}, content_type="multipart/form-data", headers=HX)
    assert response.status_code == 400
    assert notice(response.text) == "choose result files to upload, or artifacts to open"


@pytest.mark.slow
def test_fetch_tests_shows_the_collection_and_clears_the_notice(
    app: Flask, client: FlaskClient
) -> None:
    response = client.get("/tests", query_string={"k": "upper or split"}, headers=HX)
    assert response.status_code == 200
    assert '<section id="run-view" data-run="collected" data-status="collected">' in response.text
    titles = re.findall(r'class="name" title="([^"]+)"', response.text)
    assert titles == [
        "tests/test_params.py::TestStrings::test_upper",
        "tests/test_params.py::TestStrings::test_split",
    ]
    assert 'id="notice"' in response.text and 'hx-swap-oob="true"' in response.text
    assert services(app).collection is not None


@pytest.mark.slow
def test_fetch_tests_with_a_bad_expression_is_pytests_message(client: FlaskClient) -> None:
    response = client.get("/tests", query_string={"k": "((("}, headers=HX)
    assert response.status_code == 400
    assert "Wrong expression passed to '-k'" in notice(response.text)
