"""The plugin's ingest route: JSON batches of events for the active run, with its secret.

Every event passes the door (`core.clean.event`) before it is folded: what a POST carries can
change the run only in the ways a well-formed event can.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, request

from pytest_web.core import clean
from pytest_web.core.events import SECRET_HEADER, Event
from pytest_web.core.hub import Run
from pytest_web.web.services import services

bp = Blueprint("ingest", __name__, url_prefix="/internal")

MAX_BATCH = 5000
MAX_BYTES = 8 * 1024 * 1024


def _raw_events(data: Any) -> list[Any]:
    raw = data if isinstance(data, list) else [data]
    if len(raw) > MAX_BATCH or not all(isinstance(e, dict) for e in raw):
        abort(400, "expected a JSON object or a list of at most 5000 objects")
    return raw


def _run_of(raw: list[Any]) -> Run:
    run_ids = {e.get("run") for e in raw}
    if len(run_ids) != 1:
        abort(400, "a batch carries events of exactly one run")
    run_id = run_ids.pop()
    secret = request.headers.get(SECRET_HEADER, "")
    run = services().runner.accepts(run_id, secret) if isinstance(run_id, str) else None
    if run is None:
        abort(403, "not the active run, or not its secret")
    return run


@bp.post("/event")
def event() -> tuple[dict[str, int], int]:
    if request.mimetype != "application/json":
        abort(415, "events are JSON (Content-Type: application/json)")
    request.max_content_length = MAX_BYTES  # also caps chunked bodies
    body = request.get_data(cache=False)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        abort(400, "the body is not valid JSON")
    raw = _raw_events(data)
    run = _run_of(raw)
    accepted: list[Event] = [e for e in map(clean.event, raw) if e is not None]
    services().hub.publish(run, accepted)
    return {"accepted": len(accepted)}, 202
