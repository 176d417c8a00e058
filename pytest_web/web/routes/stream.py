"""`GET /events`: the live stream. Each tab keeps a cursor into the current run's log."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from pytest_web.core.fold import RunState
from pytest_web.core.hub import Hub, Run
from pytest_web.core.sse import PING, ServerSentEvent, parse_event_id
from pytest_web.web.render import Renderer
from pytest_web.web.services import services
from pytest_web.web.tabs import Tabs

bp = Blueprint("stream", __name__)

KEEPALIVE = float(os.environ.get("PYTEST_WEB_KEEPALIVE", "15"))
"""Seconds between keep-alive comments; a vanished tab is noticed at the next one."""
BATCH_INTERVAL = 0.1
"""Changes are gathered this long before a message, so a fast run costs few, larger swaps."""
BATCH_INTERVAL_PER_TEST = 0.00004
MAX_BATCH_INTERVAL = 0.5
"""A big run waits longer between messages (0.5 s from 10,000 tests): every message costs the
page a style pass over all its rows, whatever the number of rows it changes."""


def batch_interval(test_count: int) -> float:
    return min(MAX_BATCH_INTERVAL, BATCH_INTERVAL + test_count * BATCH_INTERVAL_PER_TEST)


def has_ended(state: RunState) -> Callable[[], bool]:
    return lambda: state.status != "running"


def event_stream(
    hub: Hub,
    renderer: Renderer,
    cursor: tuple[str, int] | None,
    follow: Callable[[], Run | None] | None = None,
    tabs: Tabs | None = None,
    tab: str | None = None,
) -> Iterator[str]:
    """Snapshot or delta after `cursor`, then a delta per batch of changes, forever: of the
    current run, or of the run `follow` finds (a dashboard's run page). With a tab known to
    `tabs`, its deltas carry only the rows it holds."""
    tabs = tabs or Tabs()
    hub.subscribers += 1
    try:
        yield str(ServerSentEvent(retry=1000))
        version = -1
        while not hub.closed:
            run = follow() if follow is not None else hub.current
            if run is None or (cursor and cursor[0] == run.id and cursor[1] == run.state.seq):
                new_version = hub.wait(version, KEEPALIVE)
                if new_version == version:
                    yield PING
                version = new_version
                continue
            changed: list[str] = []
            if cursor and cursor[0] == run.id and cursor[1] < run.state.seq:
                parts = renderer.delta_parts(run, cursor[1], tabs.held(tab, run.id))
                changed = renderer.changed_filters(run, cursor[1])
                if run.structure_at(cursor[1]) != run.state.structure:  # it was the whole view
                    tabs.shown(tab, run.id, renderer.listed(run))
            else:  # a tab that showed another run empties its detail pane
                parts = renderer.snapshot_parts(run, fresh=cursor is None or cursor[0] != run.id)
                tabs.shown(tab, run.id, renderer.listed(run))
            seq = run.state.seq
            cursor = (run.id, seq)
            for part in parts[:-1]:  # without an id: a reconnect in between starts over
                yield str(ServerSentEvent(part))
            yield str(ServerSentEvent(parts[-1], id=f"{run.id}:{seq}"))
            for name in changed:  # a tree under that status filter fetches itself again
                yield str(ServerSentEvent(event=f"changed-{name}"))
            # Gather the next batch, but send the end of a run at once.
            interval = batch_interval(len(run.state.tests))
            hub.wait_until(has_ended(run.state), interval)
    finally:
        hub.subscribers -= 1


@bp.get("/events")
def events() -> ResponseReturnValue:
    """The current run's stream; with `?run=ID` on a dashboard, that CI run's."""
    cursor = parse_event_id(request.headers.get("Last-Event-ID") or request.args.get("last"))
    hub = services().hub
    run_id = request.args.get("run", "")[:100] if services().settings.dashboard else ""
    follow = (lambda: hub.get(run_id)) if run_id else None
    tab = request.args.get("tab", "")[:100] or None
    stream = event_stream(hub, services().renderer, cursor, follow, services().tabs, tab)
    return Response(
        stream,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
