"""`POST /api/ci/events` in-process: shards join one run by project and run key, the server
answers what it holds, resends and gaps are handled exactly, and upload tokens can add events
to CI runs and do nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import close_history
from flask import Flask
from flask.testing import FlaskClient

from dashboard_support import (
    PROJECT,
    RUN_KEY,
    SCOPED,
    UPLOAD,
    dashboard_app,
    send,
    session_events,
    signed_in,
)
from pytest_web.web.routes import ci_ingest
from pytest_web.web.services import services
from support import TOKEN


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[Flask]:
    app = dashboard_app(tmp_path)
    yield app
    close_history(app)


@pytest.fixture
def shards(dashboard: Flask) -> FlaskClient:
    """A client without the sign-in token: what CI has."""
    return dashboard.test_client()


@pytest.fixture
def people(dashboard: Flask) -> FlaskClient:
    return signed_in(dashboard)


def run_json(people: FlaskClient, run_id: str) -> dict:
    response = people.get(f"/api/runs/{run_id}")
    assert response.status_code == 200, response.text
    return response.json


def test_two_shards_join_one_run_with_pytests_counts_added_up(
    shards: FlaskClient, people: FlaskClient
) -> None:
    one = session_events("1", {"t/a.py::x": "passed", "t/a.py::y": "failed"}, branch="main")
    two = session_events("2", {"t/b.py::z": "passed", "t/b.py::w": "skipped"})
    first = send(shards, one, shard="1")
    assert first.status_code == 200, first.text
    assert first.json["held"] == len(one)
    second = send(shards, two, shard="2")
    assert second.json == {"held": len(two), "run": first.json["run"], "heartbeat": 15.0}
    data = run_json(people, first.json["run"])
    assert data["kind"] == "ci" and data["status"] == "finished" and data["exitstatus"] == 1
    assert (data["project"], data["run_key"], data["branch"]) == (PROJECT, RUN_KEY, "main")
    assert data["counts"]["passed"] == 2 and data["counts"]["failed"] == 1
    assert data["counts"]["skipped"] == 1
    assert [(s["name"], s["status"]) for s in data["shards"]] == [
        ("1", "finished"),
        ("2", "finished"),
    ]
    assert [s["counts"]["passed"] for s in data["shards"]] == [1, 1]
    listed = people.get("/api/runs?project=acme/shop").json["runs"]
    assert [r["id"] for r in listed] == [first.json["run"]]
    assert people.get("/api/runs?project=acme/other").json["runs"] == []
    assert people.get("/api/runs?project=acme/shop&branch=main").json["runs"][0]["shards"]


def test_a_resent_batch_is_held_once(shards: FlaskClient, people: FlaskClient) -> None:
    events = session_events("1", {"t/a.py::x": "failed", "t/a.py::y": "passed"})
    run_id = send(shards, events[:4]).json["run"]
    again = send(shards, events[:4])  # the answer was lost: the plugin sends it again
    assert again.status_code == 200 and again.json["held"] == 4
    rest = send(shards, events[2:], after=4)  # overlapping: what is held is dropped
    assert rest.json["held"] == len(events)
    data = run_json(people, run_id)
    assert data["counts"]["failed"] == 1 and data["counts"]["passed"] == 1
    assert [t["attempts"] for t in data["tests"]] == [1, 1]


def test_a_batch_after_a_gap_is_refused_with_what_is_held(
    shards: FlaskClient, people: FlaskClient
) -> None:
    events = session_events("1", {"t/a.py::x": "passed", "t/a.py::y": "passed"})
    run_id = send(shards, events[:3]).json["run"]
    gap = send(shards, events[5:], after=5)
    assert gap.status_code == 409 and gap.json["held"] == 3
    assert run_json(people, run_id)["counts"]["passed"] == 0
    assert send(shards, events[3:], after=3).json["held"] == len(events)
    assert run_json(people, run_id)["counts"]["passed"] == 2


def test_a_heartbeat_holds_nothing_new_and_keeps_the_shard(shards: FlaskClient) -> None:
    events = session_events("1", {"t/a.py::x": "passed"}, end=False)
    send(shards, events)
    beat = send(shards, [], after=len(events))
    assert beat.status_code == 200 and beat.json["held"] == len(events)


def test_a_first_heartbeat_creates_no_run(shards: FlaskClient, people: FlaskClient) -> None:
    beat = send(shards, [])
    assert beat.status_code == 200 and beat.json == {"held": 0, "run": None, "heartbeat": 15.0}
    assert people.get("/api/runs").json["runs"] == []


def test_two_sessions_with_one_shard_name_are_kept_apart(
    shards: FlaskClient, people: FlaskClient
) -> None:
    first = send(shards, session_events("test", {"t.py::a": "failed"}), shard="test", session="j1")
    run_id = first.json["run"]
    again = send(shards, session_events("test", {"t.py::a": "passed"}), shard="test", session="j2")
    assert again.json["held"] == 5
    data = run_json(people, run_id)
    assert [s["name"] for s in data["shards"]] == ["test", "test#2"]
    test = data["tests"][0]
    assert test["attempts"] == 2 and test["flaky"] and data["counts"]["passed"] == 1


def test_a_lost_shard_is_said_after_the_timeout(
    dashboard: Flask, shards: FlaskClient, people: FlaskClient
) -> None:
    now = [1000.0]
    ci = services(dashboard).ci
    assert ci is not None
    ci.clock = lambda: now[0]
    send(shards, session_events("1", {"t.py::a": "passed"}))
    events = session_events("2", {"t.py::b": "passed", "t.py::c": "passed"}, end=False)
    run_id = send(shards, events[:-1], shard="2").json["run"]  # c started, never ended
    now[0] += 59
    ci.sweep()
    assert run_json(people, run_id)["status"] == "running"
    now[0] += 2
    ci.sweep()
    data = run_json(people, run_id)
    assert data["status"] == "crashed"
    assert [(s["name"], s["status"]) for s in data["shards"]] == [("1", "finished"), ("2", "lost")]
    assert {t["nodeid"]: t["outcome"] for t in data["tests"]} == {
        "t.py::a": "passed",
        "t.py::b": "passed",
        "t.py::c": "notrun",
    }
    send(shards, [], after=len(events) - 1, shard="2")  # it speaks again
    assert run_json(people, run_id)["shards"][1]["status"] == "running"


def test_a_restarted_dashboard_goes_on_from_what_it_held(tmp_path: Path) -> None:
    events = session_events("1", {"t.py::a": "passed", "t.py::b": "failed"})
    first = dashboard_app(tmp_path)
    run_id = send(first.test_client(), events[:4]).json["run"]
    close_history(first)
    second = dashboard_app(tmp_path)
    client = second.test_client()
    assert send(client, events[2:], after=6).json["held"] == 4  # it holds 4, not 6: resend
    answer = send(client, events[4:], after=4)
    assert answer.json == {"held": len(events), "run": run_id, "heartbeat": 15.0}
    data = run_json(signed_in(second), run_id)
    assert data["status"] == "finished"
    assert data["counts"]["passed"] == 1 and data["counts"]["failed"] == 1
    close_history(second)


def test_events_reach_only_the_run_their_headers_name(
    shards: FlaskClient, people: FlaskClient
) -> None:
    mine = send(shards, session_events("1", {"t.py::a": "passed"})).json["run"]
    forged = [
        {**event, "run": mine, "source": "1"}
        for event in session_events("1", {"t.py::a": "failed"}, project=PROJECT)
    ]
    theirs = send(shards, forged, project="evil/corp", run_key="1").json["run"]
    assert theirs != mine
    assert run_json(people, mine)["counts"]["failed"] == 0
    assert run_json(people, theirs)["project"] == "evil/corp"


def test_a_token_for_one_project_cannot_send_to_another(shards: FlaskClient) -> None:
    events = session_events("1", {"t.py::a": "passed"})
    assert send(shards, events, project="acme/only", token=SCOPED).status_code == 200
    refused = send(shards, events, project=PROJECT, token=SCOPED)
    assert refused.status_code == 403 and "another project" in refused.json["error"]


@pytest.mark.parametrize("token", ["", "wrong-token-0123456789", TOKEN])
def test_the_ingest_takes_upload_tokens_only(shards: FlaskClient, token: str) -> None:
    response = send(shards, session_events("1", {"t.py::a": "passed"}), token=token)
    assert response.status_code == 401


def test_a_dashboard_without_upload_tokens_takes_nothing(tmp_path: Path) -> None:
    app = dashboard_app(tmp_path, upload_tokens=())
    response = send(app.test_client(), session_events("1", {"t.py::a": "passed"}))
    assert response.status_code == 403 and "PYTEST_WEB_UPLOAD_TOKEN" in response.json["error"]
    close_history(app)


def test_the_upload_token_is_refused_on_every_read_and_run_route(dashboard: Flask) -> None:
    client = dashboard.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {UPLOAD}"
    send(client, session_events("1", {"t.py::a": "passed"}))
    run_id = signed_in(dashboard).get("/api/runs").json["runs"][0]["id"]
    checked = []
    for rule in dashboard.url_map.iter_rules():
        if rule.endpoint in ("static", "health.healthz", "ci_ingest.events"):
            continue
        path = rule.rule.replace("<run_id>", run_id).replace("<group_id>", "g0")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            services(dashboard).throttle.failures.clear()  # each refusal a 401, not a 429
            response = client.open(path + "?project=acme/shop&nodeid=t.py::a", method=method)
            refused = 403 if rule.endpoint == "ingest.event" else 401  # a live run's secret
            assert response.status_code == refused, (method, path, response.status_code)
            checked.append((method, path))
    assert ("GET", f"/api/runs/{run_id}") in checked and ("POST", "/api/runs") in checked
    assert ("GET", "/projects") in checked and ("GET", "/events") in checked
    services(dashboard).throttle.failures.clear()
    cookie = client.get("/?token=" + UPLOAD)
    assert cookie.status_code == 401


def test_wrong_upload_tokens_are_slowed_down_like_wrong_sign_in_tokens(
    shards: FlaskClient,
) -> None:
    events = session_events("1", {"t.py::a": "passed"})
    answers = [send(shards, events, token=f"wrong-token-{n:012d}").status_code for n in range(11)]
    assert answers == [401] * 10 + [429]
    refused = send(shards, events)  # the right one too, from this address, for a while
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Pytest-Web-Project": ""},
        {"X-Pytest-Web-Shard": "%0A"},
        {"X-Pytest-Web-Run-Key": "x" * 300},
        {"X-Pytest-Web-After": "-1"},
        {"X-Pytest-Web-After": "99999999999"},
        {"X-Pytest-Web-Session": "%ff"},
    ],
)
def test_bad_headers_are_refused_before_the_body(
    shards: FlaskClient, headers: dict[str, str]
) -> None:
    response = send(shards, session_events("1", {"t.py::a": "passed"}), headers=headers)
    assert response.status_code == 400


def test_a_batch_that_is_not_a_list_of_numbered_events_is_refused(shards: FlaskClient) -> None:
    assert send(shards, {"type": "session_start"}).status_code == 400  # type: ignore[arg-type]
    assert send(shards, [{"type": "session_start"}]).status_code == 400
    bad = send(shards, [], content_type="text/plain")
    assert bad.status_code == 415


def test_a_shard_sends_one_batch_at_a_time(shards: FlaskClient) -> None:
    ci_ingest._busy.add((PROJECT, RUN_KEY, "1"))
    try:
        response = send(shards, session_events("1", {"t.py::a": "passed"}))
    finally:
        ci_ingest._busy.clear()
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"


def test_a_run_over_its_cap_is_refused_with_413(
    shards: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ci_ingest, "MAX_RUN_TESTS", 3)
    events = session_events("1", {f"t.py::t{n}": "passed" for n in range(5)})
    response = send(shards, events)
    assert response.status_code == 413 and "3 tests" in response.json["error"]


def test_upload_tokens_are_at_least_16_characters_and_not_the_sign_in_token() -> None:
    from pytest_web.web.upload_tokens import UploadTokenError, parse_upload_tokens

    with pytest.raises(UploadTokenError):
        parse_upload_tokens("short", 16)
    with pytest.raises(UploadTokenError):
        parse_upload_tokens(f"{UPLOAD},{TOKEN}", 16, TOKEN)
    tokens = parse_upload_tokens(f" {UPLOAD} ,acme/x={SCOPED},padded-token-0123456789==", 16)
    assert [(t.secret, t.project) for t in tokens] == [
        (UPLOAD, None),
        (SCOPED, "acme/x"),
        ("padded-token-0123456789==", None),
    ]
