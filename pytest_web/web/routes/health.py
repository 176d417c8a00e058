"""`GET /healthz`: a cheap liveness check for container health checks and load balancers.

It answers without a token (the auth layer lets `/healthz` through) and tells nothing secret:
only whether the worker answers and the repository folder it serves is still readable (a
dashboard has none).
It starts no subprocess, so a busy pytest run never makes the server look unhealthy.
"""

from __future__ import annotations

import os

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from pytest_web.web.services import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    settings = services().settings
    repo = settings.repo
    readable = repo.is_dir() and os.access(repo, os.R_OK | os.X_OK)
    if not (settings.dashboard or readable):  # a dashboard serves no repository
        return jsonify({"status": "unhealthy", "reason": "the repository is not readable"}), 503
    response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response
