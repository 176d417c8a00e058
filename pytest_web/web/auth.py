"""Who may do what: Host allowlist, token (Bearer or cookie), Origin check on anything active.

The page takes `?token=` once, sets an HttpOnly SameSite=Strict cookie named for the port, and
redirects to the same path without the token. Scripts send `Authorization: Bearer <token>`.
A cookie alone never starts or stops anything: such requests also need htmx's `HX-Request`
header, which a cross-site form cannot send. The plugin's ingest route has its own secret.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, abort, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from pytest_web.web.htmx import is_htmx
from pytest_web.web.services import services

PUBLIC_PREFIXES = ("/static/", "/internal/")
PUBLIC_PATHS = {"/healthz"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def cookie_name() -> str:
    port = urlsplit("//" + request.host).port or (443 if request.scheme == "https" else 80)
    return f"pytest-web-token-{port}"


def _host_allowed() -> bool:
    host = (urlsplit("//" + request.host).hostname or "").lower()
    return host in services().settings.allowed_hosts


def _origin_allowed() -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.host.lower()


def _token_matches(candidate: str | None) -> bool:
    return bool(candidate) and secrets.compare_digest(
        (candidate or "").encode(), services().settings.token.encode()
    )


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def check_request() -> BaseResponse | None:
    """Runs before every request; aborts with 403/401 when a rule is broken."""
    if not _host_allowed():
        abort(403, "this Host is not allowed (start pytest-web with --allow-host NAME to add it)")
    if request.path.startswith(PUBLIC_PREFIXES) or request.path in PUBLIC_PATHS:
        return None
    if (request.method in UNSAFE_METHODS or request.path == "/events") and not _origin_allowed():
        abort(403, "cross-origin requests are not allowed")
    if request.method == "GET" and "token" in request.args:
        return _login()
    if _token_matches(_bearer()):
        return None
    if _token_matches(request.cookies.get(cookie_name())):
        if request.method in UNSAFE_METHODS and not is_htmx():
            abort(403, "use the page or an Authorization header to change anything")
        return None
    abort(401, "open the address pytest-web printed at start (it carries ?token=...)")


def _login() -> BaseResponse:
    if not _token_matches(request.args.get("token")):
        abort(401, "wrong token")
    rest = {k: v for k, v in request.args.items(multi=False) if k != "token"}
    target = request.path + ("?" + urlencode(rest) if rest else "")
    response = redirect(target if target.startswith("/") and not target.startswith("//") else "/")
    response.set_cookie(
        cookie_name(), services().settings.token, httponly=True, samesite="Strict", path="/"
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
