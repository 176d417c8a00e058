"""Run history pages: the runs, what changed in a run, and a test's last outcomes."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from pytest_web.web import actions
from pytest_web.web.page import render_page_named
from pytest_web.web.run_view import tone, unchanged_words
from pytest_web.web.services import services

bp = Blueprint("history", __name__)


@bp.get("/runs")
def runs() -> ResponseReturnValue:
    if services().history is None:
        abort(404, "this server keeps no run history")
    runs = actions.list_runs()
    for row in runs:  # how each went, for its colour (the API leaves it out)
        row["tone"] = tone(row["status"], row.get("counts") or {}, row.get("exitstatus"))
    return render_page_named("runs.html", "_runs.html", runs=runs)


@bp.get("/runs/<run_id>/changes")
def changes(run_id: str) -> ResponseReturnValue:
    """What changed in a finished run: the full list (into the detail pane) or the head's bar."""
    run = actions.find_run(run_id)
    found = actions.changes_of(run_id)
    template = "_changes_bar.html" if request.args.get("bar") else "_changes.html"
    if found is None and template == "_changes.html":
        abort(404, "no comparison for this run (running, not kept, or result files)")
    unchanged = unchanged_words(run.state.status, found.compared if found else 0)
    return render_template(template, changes=found, run=run.state, unchanged=unchanged)
