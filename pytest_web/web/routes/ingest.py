"""The plugin's ingest route: JSON batches of events for the active run, with its secret.

Who is calling is checked from the headers alone (the run's id and its secret) before a byte of
the body is read: an unauthenticated caller costs no parsing. Every event then passes the door
(`core.clean.event`) before it is folded: what a POST carries can change the run only in the
ways a well-formed event can. A malformed batch is a 400 and one short log line.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from flask import Blueprint, abort, current_app, request

from pytest_web.core import clean
from pytest_web.core.events import RUN_HEADER, SECRET_HEADER, Event
from pytest_web.core.hub import Run
from pytest_web.web.services import services

bp = Blueprint("ingest", __name__, url_prefix="/internal")

MAX_BATCH = 5000
MAX_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 8
"""A batch > event > phases > phase > sections > section: deeper is no event of ours."""


def _caller() -> Run:
    """The active run, if the headers name it and carry its secret; 403 otherwise."""
    run_id = request.headers.get(RUN_HEADER, "")
    secret = request.headers.get(SECRET_HEADER, "")
    run = services().runner.accepts(run_id, secret) if run_id and secret else None
    if run is None:
        abort(403, "not the active run, or not its secret")
    return run


def _refuse(run: Run, reason: str) -> NoReturn:
    current_app.logger.warning("refused an event batch of run %s: %s", run.id, reason)
    abort(400, reason)


def depth_within(value: Any, limit: int) -> bool:
    """Whether `value` nests at most `limit` lists and objects deep: walked a level at a time,
    without recursion, keeping only the containers of each level (the scalars of a batch of
    10,000 tests, about 300,000, are looked at once and never queued)."""
    level = [value] if isinstance(value, (list, dict)) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return False
        inner: list[Any] = []
        for item in level:
            children = item.values() if item.__class__ is dict else item
            inner += [c for c in children if c.__class__ is dict or c.__class__ is list]
        level = inner
    return True


def _raw_events(run: Run, body: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        _refuse(run, "the body is not valid JSON (or is nested too deeply)")
    raw = data if isinstance(data, list) else [data]
    if len(raw) > MAX_BATCH or not all(isinstance(e, dict) for e in raw):
        _refuse(run, f"expected a JSON object or a list of at most {MAX_BATCH} objects")
    if not depth_within(raw, MAX_DEPTH + 1):
        _refuse(run, f"events nest deeper than {MAX_DEPTH} levels")
    if any(e.get("run", run.id) != run.id for e in raw):
        _refuse(run, "a batch carries events of its own run only")
    return raw


@bp.post("/event")
def event() -> tuple[dict[str, int], int]:
    if request.mimetype != "application/json":
        abort(415, "events are JSON (Content-Type: application/json)")
    run = _caller()
    request.max_content_length = MAX_BYTES  # also caps chunked bodies
    raw = _raw_events(run, request.get_data(cache=False))
    accepted: list[Event] = [e for e in map(clean.event, raw) if e is not None]
    services().hub.publish(run, accepted)
    return {"accepted": len(accepted)}, 202
