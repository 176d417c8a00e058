"""Run history pages: the runs, what changed in a run, and a test's last outcomes."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, abort, render_template, request

from pytest_web import actions, state
from pytest_web.history import queries
from pytest_web.views import is_htmx, page_context

bp = Blueprint("history", __name__)


@bp.app_template_filter("when")
def when(timestamp: float | None) -> str:
    """A run's time as the server's local date and minute."""
    if not isinstance(timestamp, (int, float)):
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


@bp.app_template_filter("what")
def what(run: dict[str, Any]) -> str:
    """What a run ran, in a few words: "all tests", "-k expr", "3 tests", or its files."""
    if run.get("kind") == "results":
        files = list(run.get("command", [])[2:])
        return "results: " + ", ".join(files) if files else "result files"
    selection = run.get("selection") or {}
    nodeids = selection.get("nodeids") or []
    if not nodeids:
        words = ["all tests"]
    else:
        words = [nodeids[0] if len(nodeids) == 1 else f"{len(nodeids)} tests"]
    words += [f"-{flag} {selection[flag]}" for flag in ("k", "m") if selection.get(flag)]
    if selection.get("workers"):
        words.append(f"-n {selection['workers']}")
    return " ".join(words)


@bp.get("/runs")
def runs():
    if state.history() is None:
        abort(404, "this server keeps no run history")
    context = {"runs": actions.list_runs()}
    if is_htmx():
        return render_template("_runs.html", **context)
    return render_template("runs.html", **page_context(page="runs", **context))


@bp.get("/runs/<run_id>/changes")
def changes(run_id: str):
    """What changed in a finished run: the full list (into the detail pane) or the head's bar."""
    run = actions.find_run(run_id)
    found = changes_of(run_id)
    template = "_changes_bar.html" if request.args.get("bar") else "_changes.html"
    if found is None and template == "_changes.html":
        abort(404, "no comparison for this run (running, not kept, or result files)")
    return render_template(template, changes=found, run=run.state)


def changes_of(run_id: str) -> queries.Changes | None:
    """A finished live run against each test's previous outcome; None without one."""
    history = state.history()
    return queries.changes(history, run_id) if history is not None else None


def history_of(nodeid: str) -> dict[str, Any]:
    """A test's last outcomes across runs and whether it is flaky lately (None: no history)."""
    history = state.history()
    if history is None:
        return {"outcomes": None, "flaky_lately": False}
    outcomes = queries.outcomes_of_test(history, nodeid)
    return {
        "outcomes": outcomes,
        "flaky_lately": queries.is_flaky([o["outcome"] for o in outcomes]),
    }
