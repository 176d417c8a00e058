"""The plugin's ingest route: JSON batches of events for the active run, with its secret."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, abort, request

from pytest_web.core.hub import PLUGIN_EVENTS, Run
from pytest_web.web.services import services

bp = Blueprint("ingest", __name__, url_prefix="/internal")

SECRET_HEADER = "X-Pytest-Web-Secret"
MAX_BATCH = 5000
MAX_BYTES = 8 * 1024 * 1024
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def without_lone_surrogates(value: Any) -> Any:
    """JSON may carry lone surrogates (`"\\ud800"`), which cannot be encoded to a page: replace."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, list):
        return [without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    return value


def _events(data: object) -> list[dict]:
    events = data if isinstance(data, list) else [data]
    if len(events) > MAX_BATCH or not all(isinstance(e, dict) for e in events):
        abort(400, "expected a JSON object or a list of at most 5000 objects")
    return events


def _run_of(events: list[dict]) -> Run:
    run_ids = {e.get("run") for e in events}
    if len(run_ids) != 1:
        abort(400, "a batch carries events of exactly one run")
    run_id = run_ids.pop()
    secret = request.headers.get(SECRET_HEADER, "")
    run = services().runner.accepts(run_id, secret) if isinstance(run_id, str) else None
    if run is None:
        abort(403, "not the active run, or not its secret")
    return run


@bp.post("/event")
def event():
    if request.mimetype != "application/json":
        abort(415, "events are JSON (Content-Type: application/json)")
    request.max_content_length = MAX_BYTES  # also caps chunked bodies
    body = request.get_data(cache=False)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        abort(400, "the body is not valid JSON")
    if _SURROGATE_ESCAPE.search(body):
        data = without_lone_surrogates(data)
    events = _events(data)
    run = _run_of(events)
    accepted = [e for e in events if e.get("type") in PLUGIN_EVENTS]
    services().hub.publish(run, accepted)
    return {"accepted": len(accepted)}, 202
