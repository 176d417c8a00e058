"""One error handler: JSON for scripts, an HTML fragment or page for people. Never a traceback."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import ClientDisconnected, HTTPException, InternalServerError

from pytest_web.web.htmx import is_htmx


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/internal/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not is_htmx()


def render_error(status: int, message: str) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify({"error": message}), status
    template = "_error.html" if is_htmx() else "error.html"
    return render_template(template, status=status, message=message), status


def handle_http(error: HTTPException) -> tuple[Response | str, int, dict[str, str]]:
    """The error in our format, with the headers it carries (`Retry-After` of a 429)."""
    if isinstance(error, ClientDisconnected) and isinstance(error.__context__, TimeoutError):
        return (*_stalled(), {})  # the body stopped arriving: the worker's idle timeout
    body, status = render_error(error.code or 500, error.description or error.name)
    kept = {k: v for k, v in error.get_headers() if k in ("Retry-After", "Allow")}
    return body, status, kept


def handle_unexpected(
    error: Exception,
) -> tuple[Response | str, int] | tuple[Response | str, int, dict[str, str]]:
    if isinstance(error, HTTPException):
        return handle_http(error)
    if isinstance(error, TimeoutError):  # the client stopped sending its body (see cli.worker)
        return _stalled()
    current_app.logger.exception("unexpected error")
    return render_error(InternalServerError.code, "pytest-web hit an internal error; see its log")


def _stalled() -> tuple[Response | str, int]:
    current_app.logger.warning(
        "%s %s: the request stopped arriving", request.method, request.path[:200]
    )
    return render_error(408, "the request stopped arriving")


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)
