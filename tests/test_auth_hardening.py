"""Secrets, second round, in-process: the login cookie holds a session value of its own (never
the token), a cookie alone cannot start a collection from another page, the login redirect
stays on this server whatever the path, short tokens are refused everywhere, and wrong tokens
are slowed down per client address.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from pytest_web.cli import main
from pytest_web.pytest_run.discovery import Collection
from pytest_web.web import actions, create_app
from pytest_web.web.services import services
from pytest_web.web.settings import Settings, TokenError
from pytest_web.web.throttle import LIMIT, WINDOW, Throttle, client_key
from support import JUNIT, TOKEN, app_config

COOKIE = "pytest-web-session-80"


@pytest.fixture
def logged_in(app: Flask, anonymous: FlaskClient) -> FlaskClient:
    """A browser that opened the printed address: it holds the cookie, not the token."""
    assert anonymous.get("/", query_string={"token": TOKEN}).status_code == 302
    return anonymous


@pytest.fixture
def collections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Each `-k`/`-m` a collection was started with (no pytest is started)."""
    started: list[tuple[str, str]] = []

    def discover(repo: Path, python: str, k: str = "", m: str = "") -> Collection:
        started.append((k, m))
        return Collection(k=k, m=m)

    monkeypatch.setattr(actions, "discover", discover)
    return started


def cookie_value(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def test_the_cookie_holds_a_session_value_never_the_token(
    app: Flask, logged_in: FlaskClient, anonymous: FlaskClient
) -> None:
    value = cookie_value(logged_in)
    assert value == services(app).settings.session and TOKEN not in value and len(value) >= 32
    assert logged_in.get("/api/runs").status_code == 200
    stranger = app.test_client()
    assert (
        stranger.get("/api/runs", headers={"Authorization": f"Bearer {value}"}).status_code == 401
    )
    stranger.set_cookie(COOKIE, TOKEN)  # the old cookie, which held the token
    assert stranger.get("/api/runs").status_code == 401


def test_each_server_start_has_its_own_session(demo_repo: Path) -> None:
    first, second = (create_app(app_config(demo_repo)) for _ in range(2))
    assert services(first).settings.session != services(second).settings.session


@pytest.mark.parametrize("site", ["cross-site", "same-site", None])
@pytest.mark.parametrize("path", ["/tests", "/api/tests"])
def test_a_cookie_alone_cannot_collect_from_another_page(
    app: Flask, logged_in: FlaskClient, collections: list, site: str | None, path: str
) -> None:
    """`<img src="http://127.0.0.1:8000/tests?k=x">` on a page of another port is same-site:
    the browser sends the cookie, and `Sec-Fetch-Site: same-site`."""
    headers = {"Sec-Fetch-Site": site} if site else {}
    response = logged_in.get(path, query_string={"k": "x"}, headers=headers)
    assert response.status_code == 403 and collections == []
    assert services(app).collection is None
    assert "only the page itself" in response.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},  # typed, bookmarked, reloaded: no page can cause it
        {"HX-Request": "true"},  # htmx in a browser without Fetch Metadata
    ],
)
def test_the_page_itself_and_a_typed_address_collect(
    logged_in: FlaskClient, collections: list, headers: dict
) -> None:
    response = logged_in.get("/tests", query_string={"k": "x"}, headers=headers)
    assert response.status_code == 200 and collections == [("x", "")]


def test_the_bearer_token_collects_from_anywhere(client: FlaskClient, collections: list) -> None:
    response = client.get(
        "/api/tests", query_string={"m": "y"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 200 and collections == [("", "y")]


@pytest.mark.parametrize(
    "path",
    [
        "/\t/evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/\\/evil.example",
        "/\r\n",
        "/\r\nSet-Cookie: x=1",
        "/ /evil",
        "///evil.example",
        "/\xc3\xa9\xff",
    ],
)
def test_the_login_redirect_lands_on_a_path_of_this_server(
    anonymous: FlaskClient, path: str
) -> None:
    """As sent (`GET /%09/evil.example/?token=...` arrives as a tab in the path)."""
    response = anonymous.get(
        "/", query_string={"token": TOKEN, "q": "a\r\nb"}, environ_overrides={"PATH_INFO": path}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert re.fullmatch(r"/[!-~]*", location) and not location.startswith(("//", "/\\"))
    # What a browser does with it: tabs and newlines dropped, "\" read as "/".
    followed = re.sub(r"[\t\r\n]", "", location).replace("\\", "/")
    assert urlsplit(urljoin("http://localhost/", followed)).netloc == "localhost"


def test_short_tokens_are_refused_by_the_app(demo_repo: Path) -> None:
    with pytest.raises(TokenError, match="at least 16 characters"):
        create_app(app_config(demo_repo, token="x" * 15))
    with pytest.raises(TokenError):
        Settings(repo=demo_repo, token="")
    assert Settings(repo=demo_repo, token="x" * 16).token == "x" * 16


@pytest.mark.parametrize("command", ["serve", "view"])
def test_short_tokens_are_refused_by_every_command(
    command: str, demo_repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "junit.xml").write_text(JUNIT)
    target = str(demo_repo) if command == "serve" else str(tmp_path / "junit.xml")
    done = CliRunner().invoke(
        main, [command, target, "--port", "0"], env={"PYTEST_WEB_TOKEN": "fifteen-chars-1"}
    )
    assert done.exit_code == 2
    assert "PYTEST_WEB_TOKEN must be at least 16 characters (it has 15)" in done.output


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: Flask) -> Clock:
    clock = Clock()
    services(app).throttle = Throttle(clock=clock)
    return clock


def test_repeated_wrong_tokens_are_slowed_down_per_address(
    app: Flask, anonymous: FlaskClient, logged_in: FlaskClient, clock: Clock
) -> None:
    wrong = {"Authorization": "Bearer wrong-token-0123456789"}
    right = {"Authorization": f"Bearer {TOKEN}"}
    for _ in range(LIMIT - 1):
        assert anonymous.get("/api/runs", headers=wrong).status_code == 401
    assert anonymous.get("/", query_string={"token": "also-wrong"}).status_code == 401
    blocked = anonymous.get("/api/runs", headers=right)
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == str(int(WINDOW))
    assert "too many wrong tokens" in blocked.json["error"]
    assert anonymous.get("/", query_string={"token": TOKEN}).status_code == 429
    # The right token from another address, and a browser already logged in, still pass.
    other = {"REMOTE_ADDR": "192.0.2.7"}
    assert anonymous.get("/api/runs", headers=right, environ_overrides=other).status_code == 200
    assert logged_in.get("/api/runs").status_code == 200
    clock.now += WINDOW
    assert anonymous.get("/api/runs", headers=right).status_code == 200


def test_every_loopback_address_counts_as_one() -> None:
    assert {
        client_key(a) for a in ("127.0.0.1", "127.0.0.2", "127.9.9.9", "::1", "::ffff:127.0.0.1")
    } == {"loopback"}
    assert client_key("2001:db8::1") == client_key("2001:db8::2") != client_key("2001:db9::1")
    assert client_key("192.0.2.1") != client_key("192.0.2.2")


def test_the_throttle_remembers_a_bounded_number_of_addresses(monkeypatch) -> None:
    monkeypatch.setattr("pytest_web.web.throttle.MAX_ADDRESSES", 100)
    throttle = Throttle()
    for n in range(1000):
        throttle.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(throttle.failures) == 100
