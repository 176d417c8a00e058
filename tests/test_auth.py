"""Who may do what, in-process: the Host allowlist, the Origin check, the token (Bearer, or the
cookie that `?token=` sets), and the htmx header a cookie needs to change anything.

The threats: a page on another site that makes the browser call the server (DNS rebinding with
a foreign Host, cross-origin fetches and forms riding on the cookie), and anyone on the machine
who can reach the port but does not hold the token.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pytest_web.core.hub import Run
from pytest_web.web import create_app
from pytest_web.web.services import services
from support import TOKEN, app_config

COOKIE = "pytest-web-session-80"
"""The cookie for the test client's `localhost` (port 80)."""


def session_of(app: Flask) -> str:
    """What the app's login cookie holds (never the token)."""
    return services(app).settings.session


@pytest.mark.parametrize("host", ["evil.com", "localhost.evil.com", "0.0.0.0", "127.0.0.1.nip.io"])
@pytest.mark.parametrize("path", ["/api/runs", "/", "/healthz", "/static/app.css"])
def test_a_foreign_host_is_refused_even_with_the_token(
    client: FlaskClient, host: str, path: str
) -> None:
    response = client.get(path, headers={"Host": host, "Accept": "application/json"})
    assert response.status_code == 403
    assert "this Host is not allowed" in response.get_json()["error"]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"])
def test_loopback_hosts_with_any_port_are_served(client: FlaskClient, host: str) -> None:
    assert client.get("/api/runs", headers={"Host": host}).status_code == 200


def test_an_allowed_host_is_served(demo_repo: Path) -> None:
    allowed = frozenset({"localhost", "pytest-web.internal"})
    app = create_app(app_config(demo_repo, allowed_hosts=allowed))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert (
        client.get("/api/runs", headers={**headers, "Host": "pytest-web.internal"}).status_code
        == 200
    )
    assert client.get("/api/runs", headers={**headers, "Host": "127.0.0.1"}).status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/runs"), ("POST", "/runs"), ("GET", "/events"), ("POST", "/api/results")],
)
def test_a_foreign_origin_is_refused_on_what_acts_and_on_the_stream(
    client: FlaskClient, method: str, path: str
) -> None:
    response = client.open(path, method=method, json={}, headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert "cross-origin requests are not allowed" in response.text


def test_the_same_origin_passes_the_origin_check(client: FlaskClient) -> None:
    response = client.post("/api/runs", json=[], headers={"Origin": "http://localhost"})
    assert response.status_code == 400  # past the check, refused by the validation
    assert response.get_json() == {"error": "expected a JSON object"}


def test_a_foreign_origin_may_read_a_page_it_cannot_see(client: FlaskClient) -> None:
    """Reads are not refused by Origin: the browser keeps the answer from the other site."""
    response = client.get("/api/runs", headers={"Origin": "http://evil.example"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/", "/api/runs", "/runs", "/results", "/events"])
def test_without_the_token_everything_but_public_paths_is_401(
    anonymous: FlaskClient, path: str
) -> None:
    response = anonymous.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert "?token=" in response.get_json()["error"]


@pytest.mark.parametrize("header", ["Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_a_wrong_token_or_scheme_is_401(anonymous: FlaskClient, header: str) -> None:
    assert anonymous.get("/api/runs", headers={"Authorization": header}).status_code == 401


def test_the_bearer_token_works_in_any_case_of_the_scheme(anonymous: FlaskClient) -> None:
    response = anonymous.get("/api/runs", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200 and response.get_json() == {"runs": []}


def test_the_token_in_the_url_sets_a_cookie_and_leaves_the_url(
    app: Flask, anonymous: FlaskClient
) -> None:
    login = anonymous.get("/runs", query_string={"token": TOKEN, "q": "x"})
    assert login.status_code == 302
    assert login.headers["Location"] == "/runs?q=x"
    cookie = login.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}={session_of(app)};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert login.headers["Referrer-Policy"] == "no-referrer"
    page = anonymous.get("/")
    assert page.status_code == 200 and TOKEN not in page.text


def test_a_wrong_token_in_the_url_sets_no_cookie(anonymous: FlaskClient) -> None:
    response = anonymous.get("/", query_string={"token": "wrong"})
    assert response.status_code == 401 and "Set-Cookie" not in response.headers
    assert anonymous.get("/api/runs").status_code == 401


def test_the_login_redirect_never_leaves_the_server(anonymous: FlaskClient) -> None:
    path = {"PATH_INFO": "//evil.example/"}  # as sent; the test client reads "//x" as a host
    response = anonymous.get("/", query_string={"token": TOKEN}, environ_overrides=path)
    assert response.status_code == 302
    # One leading slash: a path on this server, never "//evil.example/" (another host).
    assert response.headers["Location"] == "/evil.example/"


def test_a_cookie_alone_reads_but_cannot_act_without_htmx(
    app: Flask, anonymous: FlaskClient, active_run: Run
) -> None:
    anonymous.set_cookie(COOKIE, session_of(app))
    assert anonymous.get("/api/runs").status_code == 200
    forged = anonymous.post(f"/api/runs/{active_run.id}/cancel")
    assert forged.status_code == 403
    assert forged.get_json() == {
        "error": "use the page or an Authorization header to change anything"
    }
    page = anonymous.post(f"/runs/{active_run.id}/cancel", headers={"HX-Request": "true"})
    assert page.status_code == 202 and "Cancelling…" in page.text


def test_a_cookie_of_another_port_is_ignored(app: Flask, anonymous: FlaskClient) -> None:
    anonymous.set_cookie("pytest-web-session-1", session_of(app))
    assert anonymous.get("/api/runs").status_code == 401


def test_static_files_and_healthz_need_no_token(anonymous: FlaskClient) -> None:
    style = anonymous.get("/static/app.css")
    assert style.status_code == 200 and style.mimetype == "text/css"
    style.close()
    health = anonymous.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}


def test_every_answer_carries_the_security_headers(
    client: FlaskClient, anonymous: FlaskClient
) -> None:
    for response in (client.get("/"), anonymous.get("/api/runs"), client.get("/api/nope")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
