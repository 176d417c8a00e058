"""The JSON API for scripts and CI (`Authorization: Bearer <token>`)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue

from pytest_web.pytest_run.selection import SelectionError, parse_selection
from pytest_web.web import actions
from pytest_web.web.services import services

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/tests")
def tests() -> ResponseReturnValue:
    collection = actions.discover_tests(request.args.get("k"), request.args.get("m"))
    return jsonify(collection.as_json())


@bp.post("/runs")
def create_run() -> ResponseReturnValue:
    if not request.is_json:
        abort(415, "send JSON (Content-Type: application/json)")
    data = request.get_json(silent=True)
    if data is None:
        abort(400, "the body is not valid JSON")
    try:
        selection = parse_selection(data, services().settings.repo)
    except SelectionError as error:
        abort(400, str(error))
    run = actions.start_run(selection)
    return jsonify({"id": run.id}), 202


@bp.get("/runs")
def list_runs() -> ResponseReturnValue:
    """Every kept run; on a dashboard `?project=` and `?branch=` choose CI runs."""
    project, branch = request.args.get("project"), request.args.get("branch")
    return jsonify({"runs": actions.list_runs(project, branch)})


@bp.get("/status")
def status() -> ResponseReturnValue:
    """What the server is doing: the active run and how many event streams are open."""
    active = services().runner.active
    return jsonify(
        {"active": active.run.id if active else None, "streams": services().hub.subscribers}
    )


@bp.get("/runs/<run_id>")
def get_run(run_id: str) -> ResponseReturnValue:
    return jsonify(actions.find_run(run_id).state.as_json())


@bp.post("/runs/<run_id>/cancel")
def cancel(run_id: str) -> ResponseReturnValue:
    actions.cancel_run(run_id)
    return jsonify({"id": run_id, "cancelling": True}), 202


@bp.get("/runs/<run_id>/changes")
def run_changes(run_id: str) -> ResponseReturnValue:
    """A finished run against each test's previous outcome: new failures, fixed, flaky."""
    actions.find_run(run_id)
    found = actions.changes_of(run_id)
    if found is None:
        abort(404, f"no comparison for run {run_id!r} (running, not kept, or result files)")
    return jsonify(found.as_json())


@bp.get("/history")
def test_history() -> ResponseReturnValue:
    """One test's last outcomes across runs, newest first (`?nodeid=`)."""
    nodeid = request.args.get("nodeid", "")
    found = actions.history_of(nodeid) if nodeid else {"outcomes": None}
    if found["outcomes"] is None:
        abort(404, "give ?nodeid= (and run a server with history)")
    return jsonify(
        {"nodeid": nodeid, "outcomes": found["outcomes"], "flaky": found["flaky_lately"]}
    )


@bp.get("/watch")
def watch_state() -> ResponseReturnValue:
    """Whether saves rerun tests, which (`scope`), and the last save seen."""
    return jsonify(services().watching.as_json())


@bp.put("/watch")
def set_watch() -> ResponseReturnValue:
    """`{"enabled": bool, "scope": "affected"|"failed"|"all"}` (scope optional)."""
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict) or not isinstance(data.get("enabled"), bool):
        abort(400, 'send JSON like {"enabled": true, "scope": "affected"}')
    unknown = set(data) - {"enabled", "scope"}
    if unknown:
        abort(400, f"unknown fields: {', '.join(sorted(map(str, unknown)))}")
    if services().settings.read_only:
        abort(403, "read-only: this server shows result files and runs nothing")
    scope = data.get("scope")
    try:
        services().watching.set(data["enabled"], scope if isinstance(scope, str) else None)
    except ValueError as error:
        abort(400, str(error))
    return jsonify(services().watching.as_json())
