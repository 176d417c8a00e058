"""The page and the fragments htmx asks for."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, abort, g, redirect, render_template, request
from flask.typing import ResponseReturnValue

from pytest_web.core.outcomes import FAILED
from pytest_web.pytest_run.selection import SelectionError, parse_selection
from pytest_web.web import actions
from pytest_web.web.actions import latest_kept
from pytest_web.web.durations import slowest
from pytest_web.web.htmx import is_htmx, tab
from pytest_web.web.page import note_shown, page_context, render_page_or
from pytest_web.web.run_form import options_from
from pytest_web.web.run_view import failing_tests
from pytest_web.web.services import services
from pytest_web.web.tree_view import find_group, listed_rows, opens, page_of
from pytest_web.web.url_state import UrlState

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    if services().settings.dashboard:  # a dashboard opens on its projects
        return redirect("/projects")
    return render_template("index.html", **page_context())


@bp.get("/tests")
def tests() -> ResponseReturnValue:
    actions.discover_tests(request.args.get("k"), request.args.get("m"))
    run = actions.find_run(actions.COLLECTED_ID)
    context = services().renderer.run_context(run)
    note_shown(tab(), run, context)
    html = render_page_or("_run.html", **context)
    if is_htmx():  # a successful fetch clears an earlier error
        html += render_template("_notice.html", message="", oob=True)
    return html


@bp.get("/runs/<run_id>")
def show_run(run_id: str) -> ResponseReturnValue:
    run, context = view_context(run_id)
    note_shown(tab(), run, context)
    return render_page_or("_run.html", main=run, **context)


def view_context(run_id: str) -> tuple[Any, dict[str, Any]]:
    """The run and its view for the search (`q`), status filter (`show`) and order (`sort`)
    asked for."""
    run = actions.find_run(run_id)
    state = UrlState.from_args(request.args)
    return run, services().renderer.run_context(run, state.query, state.show, state.sort)


@bp.get("/runs/<run_id>/tree")
def tree(run_id: str) -> ResponseReturnValue:
    """The tree for a search and a status filter: only the tests they keep."""
    run, context = view_context(run_id)
    note_shown(tab(), run, context)
    return render_template("_tree.html", **context)


@bp.get("/runs/<run_id>/group/<group_id>")
def group_rows(run_id: str, group_id: str) -> ResponseReturnValue:
    """One group's rows for a big run's lazy tree, a page at a time (`offset`)."""
    run, context = view_context(run_id)
    offset = max(0, request.args.get("offset", 0, type=int))
    group = find_group(context["tree"].top, group_id)
    if group is None:
        abort(404, "no such group in this run")
    items, more = page_of(group, context["tests"], context["visible"], offset)
    services().tabs.added(tab(), run.id, listed_rows(items, context["visible"]))
    left = len(group.children) - more if more else 0
    opened = opens(context["visible"] is not None, items)
    return render_template(
        "_group.html", items=items, more=more, left=left, group=group, opened=opened, **context
    )


@bp.get("/runs/<run_id>/since/<int:seq>")
def since(run_id: str, seq: int) -> ResponseReturnValue:
    """What changed in a running run after `seq` (its rows, groups and head, no output): a
    fragment fetched meanwhile asks for it once it is in the page (see `catch_up`)."""
    run = actions.find_run(run_id)
    if not 0 <= seq <= run.state.seq:
        abort(404, "no such point in this run")
    held = services().tabs.held(tab(), run.id)
    if run.structure_at(seq) != run.state.structure:  # the whole view comes again
        services().tabs.shown(tab(), run.id, services().renderer.listed(run))
    return services().renderer.delta(run, seq, output=False, held=held)


@bp.get("/runs/<run_id>/failures")
def failures(run_id: str) -> ResponseReturnValue:
    """The run's failing tests, each with what went wrong in one line (into the detail pane)."""
    run = actions.find_run(run_id)
    return render_page_or(
        "_failures.html", main=run, run=run.state, failing=failing_tests(run.state.tests)
    )


@bp.get("/runs/<run_id>/slowest")
def slowest_phases(run_id: str) -> ResponseReturnValue:
    """The run's slowest setups, calls and teardowns, as `pytest --durations` lists them."""
    run = actions.find_run(run_id)
    tests = services().renderer.view(run).tests
    return render_page_or(
        "_slowest.html",
        main=run,
        run=run.state,
        slow=slowest(tests),
        elapsed=run.state.elapsed(time.time()),
    )


def _form_selection() -> dict[str, Any]:
    """The run form's fields as a run request: checked tests, a group, everything or the failed."""
    form = request.form
    scope = form.get("scope") or ("group" if form.get("group") else "selected")
    data: dict[str, Any] = {
        "k": form.get("k", ""),
        "m": form.get("m", ""),
        "workers": form.get("workers") or 0,
        "options": options_from(form.to_dict(flat=False)),
    }
    if scope == "group":
        data["nodeids"] = [form.get("group", "")]
    elif scope == "selected":
        data["nodeids"] = form.getlist("nodeid")
        if not data["nodeids"]:
            abort(400, "no tests are checked: tick some, or use Run all")
    elif scope == "failed":  # of the past run the page shows, else the current or newest kept
        shown = form.get("from_run")
        source = actions.find_run(shown) if shown else services().hub.current or latest_kept()
        failed = (
            [t.nodeid for t in source.state.tests.values() if t.outcome in FAILED] if source else []
        )
        if not failed:
            abort(400, "that run has no failed tests to rerun")
        if source is not None and source.kind != "live":  # a result file names any .py
            failed, g.notice = actions.only_collected(failed)
        data["nodeids"] = failed
    return data


@bp.post("/runs")
def start() -> ResponseReturnValue:
    try:
        selection = parse_selection(_form_selection(), services().settings.repo)
    except SelectionError as error:
        abort(400, str(error))
    actions.start_run(selection, request.form.get("shown"))
    response = Response(render_template("_notice.html", message=g.get("notice", "")))
    if request.form.get("past"):  # a past run's page does not follow live: go to the live page
        response.headers["HX-Redirect"] = "/"
    return response


@bp.post("/runs/<run_id>/cancel")
def cancel(run_id: str) -> ResponseReturnValue:
    actions.cancel_run(run_id)
    return render_template("_notice.html", message="Cancelling…"), 202


@bp.get("/detail")
def detail() -> ResponseReturnValue:
    """A test's detail; without a test, the empty pane (its Close button)."""
    if not request.args.get("nodeid") and not request.args.get("run"):
        return render_page_or("_detail.html", test=None)
    run = actions.find_run(request.args.get("run") or actions.COLLECTED_ID)
    test = actions.view_test(run, request.args.get("nodeid", ""))
    if test is None:
        abort(404, "no such test in this run")
    return render_page_or(
        "_detail.html", main=run, test=test, run=run.state, **actions.history_of(test.nodeid, run)
    )
