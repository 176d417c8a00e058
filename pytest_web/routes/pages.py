"""The page and the fragments htmx asks for."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from pytest_web import actions, state
from pytest_web.selection import SelectionError, parse_selection
from pytest_web.views import is_htmx, page_context, render_page_or

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    return render_template("index.html", **page_context())


@bp.get("/tests")
def tests():
    actions.discover_tests(request.args.get("k"), request.args.get("m"))
    run = actions.current_collection()
    html = render_page_or("_run.html", **state.renderer().run_context(run))
    if is_htmx():  # a successful fetch clears an earlier error
        html += render_template("_notice.html", message="", oob=True)
    return html


@bp.get("/runs/<run_id>")
def show_run(run_id: str):
    run = actions.find_run(run_id)
    return render_page_or("_run.html", **state.renderer().run_context(run))


@bp.get("/runs/<run_id>/tree")
def tree(run_id: str):
    run = actions.find_run(run_id)
    query = request.args.get("q", "")[:500]
    context = state.renderer().run_context(run, query)
    return render_template("_tree.html", **context)


def _form_selection() -> dict:
    """The run form's fields as a run request: checked tests, a group, everything or the failed."""
    form = request.form
    scope = form.get("scope") or ("group" if form.get("group") else "selected")
    data = {"k": form.get("k", ""), "m": form.get("m", ""), "workers": form.get("workers") or 0}
    if scope == "group":
        data["nodeids"] = [form.get("group", "")]
    elif scope == "selected":
        data["nodeids"] = form.getlist("nodeid")
        if not data["nodeids"]:
            abort(400, "no tests are checked: tick some, or use Run all")
    elif scope == "failed":
        current = state.hub().current
        failed = (
            [t.nodeid for t in current.state.tests.values() if t.outcome in ("failed", "error")]
            if current
            else []
        )
        if not failed:
            abort(400, "the last run has no failed tests to rerun")
        data["nodeids"] = failed
    return data


@bp.post("/runs")
def start():
    try:
        selection = parse_selection(_form_selection(), state.settings().repo)
    except SelectionError as error:
        abort(400, str(error))
    actions.start_run(selection)
    return render_template("_notice.html", message="")


@bp.post("/runs/<run_id>/cancel")
def cancel(run_id: str):
    actions.cancel_run(run_id)
    return render_template("_notice.html", message="Cancelling…"), 202


@bp.get("/detail")
def detail():
    run = actions.find_run(request.args.get("run") or actions.COLLECTED_ID)
    test = run.state.tests.get(request.args.get("nodeid", ""))
    if test is None:
        abort(404, "no such test in this run")
    return render_page_or("_detail.html", test=test, run=run.state)
