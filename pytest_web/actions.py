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
    run = state.hub().get(run_id) or past_run(run_id)
    if run is None:
        abort(404, f"no run {run_id!r}")
    return run


def past_run(run_id: str) -> Run | None:
    """A run no longer in memory, folded again from history (and kept for the next request)."""
    from pytest_web.history.queries import load_run

    history = state.history()
    if history is None or len(run_id) > 100:
        return None
    run_state = load_run(history, run_id)
    if run_state is None:
        return None
    run = Run(run_state)
    state.hub().keep_run(run)
    return run


def list_runs() -> list[dict]:
    """Every kept run, newest first, with live counts for those still in memory."""
    from pytest_web.history.queries import run_rows

    hub = state.hub()
    history = state.history()
    rows = run_rows(history) if history is not None else []
    listed = {row["id"] for row in rows}
    in_memory = [r for r in reversed(hub.runs.values()) if r.id not in listed]
    rows = [r.state.as_json(with_tests=False) for r in in_memory] + rows
    for row in rows:
        run = hub.get(row["id"])
        if run is not None:
            row.update(run.state.as_json(with_tests=False), test_count=len(run.state.tests))
            row.setdefault("kind", run.kind)
    return rows


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
