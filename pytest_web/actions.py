"""What the page and the API both do: discover tests, start and cancel runs."""

from __future__ import annotations

from flask import abort, current_app, request

from pytest_web import state
from pytest_web.discovery import Collection, DiscoveryError, discover
from pytest_web.fold import RunState
from pytest_web.hub import Run
from pytest_web.runner import RunBusy
from pytest_web.selection import Selection, SelectionError, check_expression

COLLECTED_ID = "collected"


def discover_tests(k: object, m: object) -> Collection:
    """Collect with `-k`/`-m`; a bad expression or a broken suite is a 400 with pytest's words."""
    try:
        k_expr, m_expr = check_expression(k, "-k"), check_expression(m, "-m")
        collection = discover(state.settings().repo, state.settings().python, k_expr, m_expr)
    except (SelectionError, DiscoveryError) as error:
        abort(400, str(error))
    current_app.extensions["pytest_web"]["collection"] = collection_run(collection)
    return collection


def collection_run(collection: Collection) -> Run:
    """A discovery shown with the same views as a run: the fold of one `collection` event."""
    run_state = RunState(COLLECTED_ID)
    run_state.apply({"type": "run_created", "selection": {"k": collection.k, "m": collection.m}})
    run_state.apply({"type": "collection", "nodeids": collection.nodeids})
    for error in collection.errors:
        run_state.apply(
            {
                "type": "collect_error",
                "nodeid": error.get("nodeid", ""),
                "longrepr": error.get("message", ""),
            }
        )
    for test in collection.tests:
        found = run_state.tests.get(test["nodeid"])
        if found is not None:
            found.file, found.line, found.outcome = test.get("file", ""), test.get("line"), ""
    run_state.status = "collected"
    return Run(run_state)


def current_collection() -> Run | None:
    return current_app.extensions["pytest_web"]["collection"]


def find_run(run_id: str) -> Run:
    """A run by id (or the last discovery); 404 when unknown."""
    collected = current_collection()
    if run_id == COLLECTED_ID and collected is not None:
        return collected
    run = state.hub().get(run_id)
    if run is None:
        abort(404, f"no run {run_id!r}")
    return run


def start_run(selection: Selection) -> Run:
    """Start a run; 409 while one is active."""
    runner = state.runner()
    if not runner.ingest_url:
        port = request.environ.get("SERVER_PORT", "8000")
        runner.ingest_url = f"http://127.0.0.1:{port}/internal/event"
    try:
        return runner.start(selection)
    except RunBusy as error:
        abort(409, f"a run is already active: {error}")
    except OSError as error:
        abort(400, f"cannot start pytest: {error}")


def cancel_run(run_id: str) -> None:
    find_run(run_id)
    if not state.runner().cancel(run_id):
        abort(409, f"run {run_id} is not running")
