"""`GET /events`: the live stream. Each tab keeps a cursor into the current run's log."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from flask import Blueprint, Response, request

from pytest_web import state
from pytest_web.hub import Hub
from pytest_web.render import Renderer
from pytest_web.sse import PING, ServerSentEvent, parse_event_id

bp = Blueprint("stream", __name__)

KEEPALIVE = float(os.environ.get("PYTEST_WEB_KEEPALIVE", "15"))
"""Seconds between keep-alive comments; a vanished tab is noticed at the next one."""
BATCH_INTERVAL = 0.1
"""Changes are gathered this long before a message, so a fast run costs few, larger swaps."""


def event_stream(hub: Hub, renderer: Renderer, cursor: tuple[str, int] | None) -> Iterator[str]:
    """Snapshot or delta after `cursor`, then a delta per batch of changes, forever."""
    hub.subscribers += 1
    try:
        yield str(ServerSentEvent(retry=1000))
        version = -1
        while not hub.closed:
            run = hub.current
            if run is None or (cursor and cursor[0] == run.id and cursor[1] == run.state.seq):
                new_version = hub.wait(version, KEEPALIVE)
                if new_version == version:
                    yield PING
                version = new_version
                continue
            if cursor and cursor[0] == run.id and cursor[1] < run.state.seq:
                data = renderer.delta(run, cursor[1])
            else:
                data = renderer.snapshot(run)
            seq = run.state.seq
            cursor = (run.id, seq)
            yield str(ServerSentEvent(data, id=f"{run.id}:{seq}"))
            time.sleep(BATCH_INTERVAL)
    finally:
        hub.subscribers -= 1


@bp.get("/events")
def events():
    cursor = parse_event_id(request.headers.get("Last-Event-ID") or request.args.get("last"))
    stream = event_stream(state.hub(), state.renderer(), cursor)
    return Response(
        stream,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
