"""What the page and the API both do: discover tests, find runs, start and cancel runs."""

from __future__ import annotations

import math
from typing import Any

from flask import abort, request
from werkzeug.exceptions import TooManyRequests

from pytest_web.core.fold import RunState
from pytest_web.core.hub import Run
from pytest_web.core.test_record import TestResult
from pytest_web.history.ci_queries import ci_changes, ci_run_rows, outcomes_of_ci_test
from pytest_web.history.queries import (
    Changes,
    changes,
    is_flaky,
    load_run,
    outcomes_of_test,
    run_rows,
)
from pytest_web.pytest_run.discovery import Collection, DiscoveryError, discover
from pytest_web.pytest_run.runner import RunBusy, RunRefused
from pytest_web.pytest_run.selection import Selection, SelectionError, check_expression
from pytest_web.web.services import services
from pytest_web.web.tree_view import shown_tests, suite_entries

COLLECTED_ID = "collected"
COLLECT_WAIT = 5.0
"""Seconds a request waits for the collection already running before it is refused (429)."""


def discover_tests(k: object, m: object) -> Collection:
    """Collect with `-k`/`-m`, and show it as the current collection; a bad expression or a
    broken suite is a 400 with pytest's words. One collection runs at a time: the others wait
    up to `COLLECT_WAIT` seconds for it, then get a 429."""
    settings = services().settings
    try:
        k_expr, m_expr = check_expression(k, "-k"), check_expression(m, "-m")
    except SelectionError as error:
        abort(400, str(error))
    lock = services().collecting
    if not lock.acquire(timeout=COLLECT_WAIT):
        raise TooManyRequests(
            "tests are being collected for another request: try again when that ends",
            retry_after=max(1, math.ceil(COLLECT_WAIT)),
        )
    try:
        collection = discover(settings.repo, settings.python, k_expr, m_expr)
    except DiscoveryError as error:
        abort(400, str(error))
    finally:
        lock.release()
    services().collection = collection_run(collection)
    return collection


def collection_run(collection: Collection) -> Run:
    """A discovery shown with the same views as a run: the fold of its events."""
    run_state = RunState(COLLECTED_ID)
    for event in collection.events():
        run_state.apply(event)
    return Run(run_state)


def current_collection() -> Run | None:
    return services().collection


def only_collected(nodeids: list[str]) -> tuple[list[str], str]:
    """Those of `nodeids` the current collection knows (collected now when there is none), and
    a note naming the others; 400 when none is known.

    Opened result files can name any `.py` file as a test (`scripts.release::test_x` in a JUnit
    file), and pytest would import it: only what pytest collected here is rerun.
    """
    if current_collection() is None:
        discover_tests("", "")
    collection = current_collection()
    known = collection.state.tests if collection is not None else {}
    kept = [n for n in nodeids if n in known]
    left_out = [n for n in nodeids if n not in known]
    if not left_out:
        return kept, ""
    more = f" and {len(left_out) - 5} more" if len(left_out) > 5 else ""
    note = (
        f"left out {len(left_out)} failed test(s) that the current collection does not know: "
        + ", ".join(left_out[:5])
        + more
    )
    if not kept:
        abort(400, f"nothing to rerun: {note} (Fetch tests to collect again)")
    return kept, f"Rerunning {len(kept)} failed test(s); {note}"


def find_run(run_id: str) -> Run:
    """A run by id (or the last discovery); 404 when unknown."""
    collected = current_collection()
    if run_id == COLLECTED_ID and collected is not None:
        return collected
    run = services().hub.get(run_id) or past_run(run_id)
    if run is None:
        abort(404, f"no run {run_id!r}")
    return run


def past_run(run_id: str) -> Run | None:
    """A run no longer in memory, folded again from history (and kept for the next request)."""
    history = services().history
    if history is None or len(run_id) > 100:
        return None
    run_state = load_run(history, run_id)
    if run_state is None:
        return None
    run = Run(run_state)
    services().hub.keep_run(run)
    return run


def latest_kept() -> Run | None:
    """After a restart, the page opens on the newest run kept in history."""
    history = services().history
    rows = run_rows(history, limit=1) if history is not None else []
    return past_run(rows[0]["id"]) if rows else None


def list_runs(
    project: str | None = None, branch: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Every kept run, newest first, with live counts for those still in memory; a dashboard's
    CI runs, of one project (and branch) when given."""
    hub = services().hub
    history = services().history
    dashboard = services().settings.dashboard
    if history is None:
        rows = []
    elif dashboard:
        rows = ci_run_rows(history, project or None, branch or None, limit)
    else:
        rows = run_rows(history)
    listed = {row["id"] for row in rows}
    in_memory = [r for r in reversed(hub.runs.values()) if r.id not in listed]
    if dashboard:  # only those of the project and branch asked for
        in_memory = [r for r in in_memory if _of(r, project, branch)]
    rows = [r.state.as_json(with_tests=False) for r in in_memory] + rows
    for row in rows:
        run = hub.get(row["id"])
        if run is not None:
            row.update(run.state.as_json(with_tests=False), test_count=len(run.state.tests))
            row.setdefault("kind", run.kind)
    return rows


def _of(run: Run, project: str | None, branch: str | None) -> bool:
    ci = run.state.ci
    return (
        run.kind == "ci" and project in (None, "", ci.project) and branch in (None, "", ci.branch)
    )


def start_run(selection: Selection, shown: str | None = None) -> Run:
    """Start a run; 409 while one is active. A run of chosen tests keeps the suite around it
    in its view: that of the run the page showed (`shown`), else of the current run or
    discovery."""
    runner = services().runner
    if not runner.ingest_url:
        port = request.environ.get("SERVER_PORT", "8000")
        runner.ingest_url = f"http://127.0.0.1:{port}/internal/event"
    suite = suite_around(shown) if selection.nodeids else None
    try:
        return runner.start(selection, suite)
    except RunBusy as error:
        abort(409, f"a run is already active: {error}")
    except RunRefused as error:
        abort(400, str(error))
    except OSError as error:
        abort(400, f"cannot start pytest: {error}")


def suite_around(shown: str | None) -> dict[str, TestResult] | None:
    """The suite a partial run keeps in view: the tests the page showed (the run `shown`, or
    the current run, or the last discovery), with the suite around that run in turn."""
    source = None
    if shown:
        source = services().hub.get(shown) or (
            current_collection() if shown == COLLECTED_ID else None
        )
    source = source or services().hub.current or current_collection()
    if source is None:
        return None
    return suite_entries(shown_tests(source.state.tests, source.suite))


def view_test(run: Run, nodeid: str) -> TestResult | None:
    """A test of the run's view: the run's own, or one of the suite around it (not run)."""
    found = run.state.tests.get(nodeid)
    if found is None and run.suite is not None:
        found = run.suite.get(nodeid)
    return found


def cancel_run(run_id: str) -> None:
    find_run(run_id)
    if not services().runner.cancel(run_id):
        abort(409, f"run {run_id} is not running")


def changes_of(run_id: str) -> Changes | None:
    """A finished live run against each test's previous outcome, a CI run against the same
    branch's previous run; None without one."""
    history = services().history
    if history is None:
        return None
    return (
        ci_changes(history, run_id) if services().settings.dashboard else changes(history, run_id)
    )


def history_of(nodeid: str, run: Run | None = None) -> dict[str, Any]:
    """A test's last outcomes across runs (a CI run's: across its project's runs) and whether
    it is flaky lately (None: no history)."""
    history = services().history
    if history is None:
        return {"outcomes": None, "flaky_lately": False}
    if run is not None and run.kind == "ci":
        outcomes = outcomes_of_ci_test(history, run.state.ci.project, nodeid)
    else:
        outcomes = outcomes_of_test(history, nodeid)
    return {
        "outcomes": outcomes,
        "flaky_lately": is_flaky([o["outcome"] for o in outcomes]),
    }
