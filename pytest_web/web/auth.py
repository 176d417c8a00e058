"""Who may do what: Host allowlist, token (Bearer) or session cookie, Origin check on anything
active, and Fetch Metadata on the GETs that start pytest.

The page takes `?token=` once, sets an HttpOnly SameSite=Strict cookie named for the port that
holds a session value of its own (random per server start, never the token: cookies ignore
ports, so a server on another port of this host is sent it), and redirects to the same path,
normalized, without the token. Scripts send `Authorization: Bearer <token>`. Wrong tokens are
slowed down per client address (`throttle`).

A cookie alone never starts or stops anything: POSTs also need htmx's `HX-Request` header, which
a cross-site form cannot send (and another origin's script cannot either: a custom header needs a
CORS preflight, which this server never grants), and the GETs that start a collection
(`/tests?k=`, `/api/tests?k=`) need that header or `Sec-Fetch-Site: same-origin` or `none`. A page
on another port of this host is *same-site* (cookies flow) but never *same-origin*, so its
`<img src>` is refused; `none` is a navigation the user started (typed, bookmarked, reloaded),
which no page can cause. The plugin's ingest route has its own secret; a dashboard's CI ingest
(`/api/ci/events`) takes only upload tokens, which nothing else takes.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote, urlencode, urlsplit

from flask import Flask, Response, abort, redirect, request
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response as BaseResponse

from pytest_web.core.events import CI_EVENTS_PATH
from pytest_web.web.htmx import is_htmx
from pytest_web.web.services import services

PUBLIC_PREFIXES = ("/static/", "/internal/")
PUBLIC_PATHS = {"/healthz", CI_EVENTS_PATH}
"""Paths that check their caller themselves (or tell nothing)."""
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
STARTS_PYTEST = frozenset({"pages.tests", "api.tests"})
"""GET endpoints that start `pytest --collect-only`."""
OWN_FETCHES = frozenset({"same-origin", "none"})
"""`Sec-Fetch-Site` values of the page's own requests and of navigations the user started."""
PATH_SAFE = "/:@!$&'()*+,;=-._~"
"""Characters kept as they are in a redirect's path; everything else is percent-encoded."""


def cookie_name() -> str:
    port = urlsplit("//" + request.host).port or (443 if request.scheme == "https" else 80)
    return f"pytest-web-session-{port}"


def _host_allowed() -> bool:
    host = (urlsplit("//" + request.host).hostname or "").lower()
    return host in services().settings.allowed_hosts


def _origin_allowed() -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.host.lower()


def _same(candidate: str | None, secret: str) -> bool:
    return bool(candidate) and secrets.compare_digest((candidate or "").encode(), secret.encode())


def _token_matches(candidate: str) -> bool:
    """A token check, throttled per client address: 429 once it failed too often."""
    throttle = services().throttle
    wait = throttle.wait(request.remote_addr)
    if wait:
        raise TooManyRequests(
            f"too many wrong tokens from this address: try again in {wait} s", retry_after=wait
        )
    if _same(candidate, services().settings.token):
        return True
    throttle.failed(request.remote_addr)
    return False


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def check_request() -> BaseResponse | None:
    """Runs before every request; aborts with 403/401/429 when a rule is broken."""
    if not _host_allowed():
        abort(403, "this Host is not allowed (start pytest-web with --allow-host NAME to add it)")
    if request.path.startswith(PUBLIC_PREFIXES) or request.path in PUBLIC_PATHS:
        return None
    if (request.method in UNSAFE_METHODS or request.path == "/events") and not _origin_allowed():
        abort(403, "cross-origin requests are not allowed")
    if request.method == "GET" and "token" in request.args:
        return _login()
    bearer = _bearer()
    if bearer is not None:
        if _token_matches(bearer):
            return None
        abort(401, "wrong token")
    if _same(request.cookies.get(cookie_name()), services().settings.session):
        if request.method in UNSAFE_METHODS and not is_htmx():
            abort(403, "use the page or an Authorization header to change anything")
        if request.endpoint in STARTS_PYTEST and not (_own_fetch() or is_htmx()):
            abort(403, "only the page itself (or an Authorization header) can collect tests")
        return None
    abort(401, "open the address pytest-web printed at start (it carries ?token=...)")


def _own_fetch() -> bool:
    return request.headers.get("Sec-Fetch-Site", "") in OWN_FETCHES


def local_target(path: str, args: dict[str, str]) -> str:
    """`path` and `args` as a path on this server: percent-encoded (a tab, CR or LF, which a
    browser drops or which would split the header, and `\\`, which it reads as `/`), with one
    leading slash (`//host` would be another server)."""
    target = "/" + quote(path, safe=PATH_SAFE, errors="replace").lstrip("/")
    return target + ("?" + urlencode(args, errors="replace") if args else "")


def _login() -> BaseResponse:
    if not _token_matches(request.args.get("token", "")):
        abort(401, "wrong token")
    rest = {k: v for k, v in request.args.items(multi=False) if k != "token"}
    response = redirect(local_target(request.path, rest))
    response.set_cookie(
        cookie_name(), services().settings.session, httponly=True, samesite="Strict", path="/"
    )
    return response


def add_headers(response: Response) -> Response:
    """Security headers on every response."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response


def init_app(app: Flask) -> None:
    app.before_request(check_request)
    app.after_request(add_headers)
