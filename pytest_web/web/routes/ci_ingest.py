"""`POST /api/ci/events`: a CI shard's events, with an upload token (the dashboard only).

Everything that decides whether a batch is taken is in its headers, read before its body: the
upload token (compared in constant time; it may be bound to one project), the project, run
key, shard and session, and `after`, the number of the event the batch follows. The run is
found from the headers alone, so an event can reach no run but the one they name: whatever
its body says, it cannot touch another project's runs. Events pass the door
(`core.clean.event`) and are tagged with the shard the headers name.

The answer is the highest event number the run holds from that shard (`held`): the plugin
drops what is held and resends the rest. A batch that would leave a gap (`after` beyond
`held`, after a server restart lost nothing but the shard thinks it sent more) is refused with
409 and `held`, so the shard resends from there. A shard sends one batch at a time: a second
one at once, or more than `MAX_IN_FLIGHT` batches at once from every shard together, is a 429
with Retry-After, so a flood from one token never starves the page.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn
from urllib.parse import unquote

from flask import Blueprint, Response, abort, jsonify, request
from werkzeug.exceptions import TooManyRequests

from pytest_web.core import clean
from pytest_web.core.events import (
    AFTER_HEADER,
    CI_EVENTS_PATH,
    PROJECT_HEADER,
    RUN_KEY_HEADER,
    SESSION_HEADER,
    SHARD_HEADER,
    CiInfo,
    Event,
)
from pytest_web.core.hub import Run
from pytest_web.results.source import MAX_EVENTS_PER_REQUEST, MAX_TESTS_PER_REQUEST
from pytest_web.web.ci_runs import CiRuns
from pytest_web.web.routes.ingest import MAX_BATCH, MAX_BYTES, MAX_DEPTH, depth_within
from pytest_web.web.services import services
from pytest_web.web.upload_tokens import UploadToken, matching

bp = Blueprint("ci_ingest", __name__)

MAX_RUN_TESTS = MAX_TESTS_PER_REQUEST
MAX_RUN_EVENTS = MAX_EVENTS_PER_REQUEST
"""Per CI run, over all its shards: what one upload of result files may hold."""
MAX_IN_FLIGHT = 32
"""Batches taken at once, over every shard (each may hold up to `MAX_BYTES` while its body
arrives). One worker folds one batch at a time, and the page's requests are served between
them; past this, a shard is asked to come back in a second."""
MAX_AFTER = 2**31 - 1

_busy: set[tuple[str, str, str]] = set()
"""The shards whose batch is being taken now."""


def _too_many(message: str) -> NoReturn:
    response = jsonify({"error": message})
    response.status_code = 429
    response.headers["Retry-After"] = "1"
    abort(response)


def _header(name: str) -> str:
    """A name the plugin sent percent-encoded (UTF-8): one short printable line."""
    raw = request.headers.get(name, "")
    try:
        value = unquote(raw, errors="strict") if raw.isascii() else ""
    except UnicodeDecodeError:
        value = ""
    found = clean.name(value)
    if not found or found != value:
        abort(400, f"{name}: give a name of at most {clean.NAME_CAP} printable characters")
    return found


def _after() -> int:
    raw = request.headers.get(AFTER_HEADER, "")
    if not raw.isdigit() or len(raw) > 10 or int(raw) > MAX_AFTER:
        abort(400, f"{AFTER_HEADER}: the number of the event this batch follows (0 at first)")
    return int(raw)


def _upload_token() -> UploadToken:
    """The upload token the request carries; 401 (403 when the dashboard has none). Wrong
    tokens are slowed down per client address like wrong sign-in tokens (`throttle`): 429."""
    tokens = services().settings.upload_tokens
    if not tokens:
        abort(403, "this dashboard takes no uploads: start it with PYTEST_WEB_UPLOAD_TOKEN set")
    throttle = services().throttle
    wait = throttle.wait(request.remote_addr)
    if wait:
        raise TooManyRequests(
            f"too many wrong tokens from this address: try again in {wait} s", retry_after=wait
        )
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    token = matching(tokens, given.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        throttle.failed(request.remote_addr)
        abort(401, "send an upload token (PYTEST_WEB_UPLOAD_TOKEN) as Authorization: Bearer")
    return token


def _events(body: bytes, source: str, said: CiInfo) -> list[Event]:
    """The batch's events through the door, tagged with their shard; a session's start says
    the run and session its headers said (what the shard's session is known by)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        abort(400, "the body is not valid JSON")
    if not isinstance(data, list) or len(data) > MAX_BATCH:
        abort(400, f"expected a JSON list of at most {MAX_BATCH} events")
    if not depth_within(data, MAX_DEPTH + 1):
        abort(400, f"events nest deeper than {MAX_DEPTH} levels")
    found: list[Event] = []
    for raw in data:
        event = clean.event(raw)
        if event is None:
            continue
        if "i" not in event:
            abort(400, "every event needs its number `i` in its session")
        event.pop("run", None)
        event["source"] = source
        if event["type"] == "session_start":
            event["ci"] = {**event.get("ci", {}), **said}
        found.append(event)
    return found


def _within_caps(run: Run, events: list[Event]) -> None:
    state = run.state
    if state.seq + len(events) > MAX_RUN_EVENTS:
        abort(413, f"a CI run holds at most {MAX_RUN_EVENTS:,} events")
    named = [nodeid for event in events for nodeid in _nodeids(event)]
    if len(state.tests) + len(named) > MAX_RUN_TESTS:  # maybe: count only the new ones
        if len(state.tests) + len(set(named) - state.tests.keys()) > MAX_RUN_TESTS:
            abort(413, f"a CI run holds at most {MAX_RUN_TESTS:,} tests")


def _answer(run: Run | None, held: int, status: int = 200) -> Response:
    timeout = services().settings.shard_timeout
    response = jsonify(
        {"held": held, "run": run.id if run else None, "heartbeat": max(1.0, timeout / 4)}
    )
    response.status_code = status
    return response


@bp.post(CI_EVENTS_PATH)
def events() -> Response:
    if request.mimetype != "application/json":
        abort(415, "events are JSON (Content-Type: application/json)")
    token = _upload_token()
    project = _header(PROJECT_HEADER)
    if token.project is not None and token.project != project:
        abort(403, "this upload token is for another project")
    run_key, shard = _header(RUN_KEY_HEADER), _header(SHARD_HEADER)
    session, after = _header(SESSION_HEADER), _after()
    key = (project, run_key, shard)
    if key in _busy:
        _too_many("this shard is already sending a batch: one at a time")
    if len(_busy) >= MAX_IN_FLIGHT:
        _too_many("the dashboard is taking other batches: try again in a second")
    _busy.add(key)
    try:
        return _take(project, run_key, shard, session, after)
    finally:
        _busy.discard(key)


def _take(project: str, run_key: str, shard: str, session: str, after: int) -> Response:
    ci: CiRuns | None = services().ci
    if ci is None:
        abort(404, "not a dashboard")
    run = ci.find(project, run_key)
    held = _held(ci, run, shard, session)
    if after > held:  # a gap: refused before a byte of the body is read
        return _answer(run, held, 409)
    request.max_content_length = MAX_BYTES  # also caps chunked bodies
    body = request.get_data(cache=False)
    # Reading the body let other requests in: another shard's first batch may have made the
    # run meanwhile. From here to the answer nothing waits, so the run found now is the one.
    run = ci.find(project, run_key)
    source = ci.source_for(run, shard, session)
    held = _held(ci, run, shard, session)
    if after > held:
        return _answer(run, held, 409)
    said: CiInfo = {"project": project, "run_key": run_key, "shard": shard, "session": session}
    fresh = [e for e in _events(body, source, said) if _number(e) > held]
    if run is None:
        if not fresh:
            return _answer(None, 0)
        run = ci.create(project, run_key)
    _within_caps(run, fresh)
    return _answer(run, ci.add(run, source, fresh))


def _held(ci: CiRuns, run: Run | None, shard: str, session: str) -> int:
    """The highest event number `run` holds from that shard's session."""
    return run.state.numbers.get(ci.source_for(run, shard, session), 0) if run else 0


def _number(event: Event) -> int:
    number = event.get("i")
    return number if isinstance(number, int) else 0


def _nodeids(event: Any) -> list[str]:
    if event["type"] == "collection":
        return list(event.get("nodeids") or ())
    return [event["nodeid"]] if "nodeid" in event else []
