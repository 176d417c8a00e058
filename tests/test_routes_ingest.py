"""The plugin's ingest route, the health check and the error handler, in-process.

Ingest is public to the token check (the plugin has no token) but takes events only for the
active run, with that run's secret: a page on another site can post forms and `text/plain`,
but never JSON with a secret it does not know.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from events import FAILING, ended, start_run
from flask import Flask
from flask.testing import FlaskClient

from pytest_web.core.events import RUN_HEADER, SECRET_HEADER
from pytest_web.core.hub import Run
from pytest_web.web.services import services
from support import TOKEN

URL = "/internal/event"


def caller(run: Run, secret: str | None = None) -> dict[str, str]:
    """The headers the plugin of `run` sends: its id and its secret (or `secret`)."""
    return {RUN_HEADER: run.id, SECRET_HEADER: run.secret if secret is None else secret}


def post_json(client: FlaskClient, body: object, headers: dict[str, str] | None = None) -> int:
    headers = headers or {}
    return client.post(
        URL, data=json.dumps(body), headers=headers, content_type="application/json"
    ).status_code


def test_events_of_the_active_run_with_its_secret_are_folded(
    anonymous: FlaskClient, active_run: Run
) -> None:
    end = {**ended(FAILING, "failed", "boom"), "run": active_run.id, "i": 1}
    exit_ = {"type": "run_exit", "run": active_run.id, "returncode": 0}
    response = anonymous.post(URL, json=[end, exit_], headers=caller(active_run))
    assert response.status_code == 202
    assert response.get_json() == {"accepted": 1}  # run_exit is the server's own event
    test = active_run.state.tests[FAILING]
    assert test.outcome == "failed" and test.longrepr == "boom"
    assert active_run.state.status == "running"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_what_a_cross_site_form_can_send_is_415(
    anonymous: FlaskClient, active_run: Run, content_type: str
) -> None:
    body = json.dumps({"type": "session_end", "run": active_run.id, "exitstatus": 0})
    response = anonymous.post(URL, data=body, content_type=content_type)
    assert response.status_code == 415
    assert active_run.state.session_ended is False


@pytest.mark.parametrize(
    ("body", "status", "why"),
    [
        ("{", 400, "not JSON"),
        ("[" * 100_000, 400, "nested past the parser's recursion limit"),
        ("[1, 2]", 400, "not objects"),
        ("NaN", 400, "a number, not an object"),
        (json.dumps([{"run": "a"}, {"run": "b"}]), 400, "two runs in one batch"),
        (json.dumps([{"type": "test_end"}] * 5001), 400, "more than 5000 events"),
        (json.dumps({"type": "test_end", "run": 5}), 400, "a run id that is not a string"),
        (json.dumps({"type": "test_end", "run": "other"}), 400, "not the run of the headers"),
    ],
)
def test_malformed_or_foreign_batches_change_nothing(
    anonymous: FlaskClient, active_run: Run, body: str, status: int, why: str
) -> None:
    seq = active_run.state.seq
    response = anonymous.post(
        URL, data=body, content_type="application/json", headers=caller(active_run)
    )
    assert response.status_code == status, why
    assert "error" in response.get_json()
    assert active_run.state.seq == seq


def test_the_active_runs_events_need_its_secret(anonymous: FlaskClient, active_run: Run) -> None:
    event = {**ended(FAILING, "passed"), "run": active_run.id}
    assert post_json(anonymous, event) == 403
    assert post_json(anonymous, event, caller(active_run, secret="guessed")) == 403
    assert post_json(anonymous, event, {SECRET_HEADER: active_run.secret}) == 403  # no run id
    other = {RUN_HEADER: "other", SECRET_HEADER: active_run.secret}
    assert post_json(anonymous, event, other) == 403
    assert active_run.state.tests[FAILING].outcome == "queued"


def test_without_an_active_run_every_batch_is_refused(anonymous: FlaskClient, app: Flask) -> None:
    run = start_run(services(app).hub)  # the hub's current run, but nothing runs it
    assert post_json(anonymous, {**ended(FAILING, "passed"), "run": run.id}, caller(run)) == 403


def test_a_body_over_the_cap_is_413(anonymous: FlaskClient, active_run: Run) -> None:
    huge = json.dumps([{"type": "output", "run": active_run.id, "text": "x" * (9 * 1024 * 1024)}])
    response = anonymous.post(
        URL, data=huge, content_type="application/json", headers=caller(active_run)
    )
    assert response.status_code == 413


def test_lone_surrogates_are_replaced_not_kept(anonymous: FlaskClient, active_run: Run) -> None:
    event = {**ended(FAILING, "failed", "bad \ud800 text"), "run": active_run.id}
    body = json.dumps(event)  # the lone surrogate goes out escaped: "\\ud800"
    assert "\\ud800" in body
    response = anonymous.post(
        URL, data=body, content_type="application/json", headers=caller(active_run)
    )
    assert response.status_code == 202
    longrepr = active_run.state.tests[FAILING].longrepr
    assert longrepr.startswith("bad \ufffd") and longrepr.endswith("\ufffd text")
    assert longrepr.encode("utf-8")  # a lone surrogate would raise here, and on the page


def test_health_is_ok_without_a_token(anonymous: FlaskClient) -> None:
    response = anonymous.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_health_is_503_when_the_repository_is_gone(app: Flask, anonymous: FlaskClient) -> None:
    repo: Path = services(app).settings.repo
    repo.rename(repo.with_name("moved"))
    response = anonymous.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unhealthy",
        "reason": "the repository is not readable",
    }


def test_errors_are_json_for_the_api(client: FlaskClient) -> None:
    missing = client.get("/api/nope")
    assert missing.status_code == 404 and missing.mimetype == "application/json"
    assert set(missing.get_json()) == {"error"}
    wrong_method = client.delete("/api/runs")
    assert wrong_method.status_code == 405
    assert wrong_method.get_json() == {"error": "The method is not allowed for the requested URL."}


def test_errors_are_a_notice_fragment_for_htmx(client: FlaskClient) -> None:
    response = client.get("/nope", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.text.startswith('<div id="notice" class="notice error" role="alert">')
    assert "<strong>404</strong>" in response.text and "<html" not in response.text


def test_errors_are_a_page_for_a_browser(client: FlaskClient) -> None:
    response = client.get("/nope", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert response.text.startswith("<!doctype html>")
    assert "<title>404 · pytest-web</title>" in response.text
    assert client.get("/nope", headers={"Accept": "application/json"}).is_json


def test_an_unexpected_exception_is_500_without_a_traceback(app: Flask) -> None:
    @app.get("/api/explode")
    def explode() -> str:
        raise RuntimeError("secret detail /home/someone/.ssh")

    @app.get("/explode")
    def explode_page() -> str:
        raise RuntimeError("secret detail /home/someone/.ssh")

    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    api = client.get("/api/explode")
    assert api.status_code == 500
    assert api.get_json() == {"error": "pytest-web hit an internal error; see its log"}
    page = client.get("/explode")
    assert page.status_code == 500 and "pytest-web hit an internal error" in page.text
    for response in (api, page):
        assert "secret detail" not in response.text and "Traceback" not in response.text
