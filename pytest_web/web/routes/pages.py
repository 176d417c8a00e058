"""The page and the fragments htmx asks for."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from pytest_web.core.fold import TestResult
from pytest_web.core.tree import Group
from pytest_web.pytest_run.selection import SelectionError, parse_selection
from pytest_web.web import actions
from pytest_web.web.actions import latest_kept
from pytest_web.web.htmx import is_htmx
from pytest_web.web.page import page_context, render_page_or
from pytest_web.web.render import GROUP_ROWS, OPEN_ROWS
from pytest_web.web.services import services

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    return render_template("index.html", **page_context())


@bp.get("/tests")
def tests():
    actions.discover_tests(request.args.get("k"), request.args.get("m"))
    run = actions.current_collection()
    html = render_page_or("_run.html", **services().renderer.run_context(run))
    if is_htmx():  # a successful fetch clears an earlier error
        html += render_template("_notice.html", message="", oob=True)
    return html


@bp.get("/runs/<run_id>")
def show_run(run_id: str):
    run = actions.find_run(run_id)
    return render_page_or("_run.html", main=run, **services().renderer.run_context(run))


@bp.get("/runs/<run_id>/tree")
def tree(run_id: str):
    run = actions.find_run(run_id)
    query = request.args.get("q", "")[:500]
    context = services().renderer.run_context(run, query)
    return render_template("_tree.html", **context)


@bp.get("/runs/<run_id>/group/<group_id>")
def group_rows(run_id: str, group_id: str):
    """One group's rows for a big run's lazy tree, a page at a time (`offset`)."""
    run = actions.find_run(run_id)
    query = request.args.get("q", "")[:500]
    offset = max(0, request.args.get("offset", 0, type=int))
    context = services().renderer.run_context(run, query)
    group = find_group(context["tree"].top, group_id)
    if group is None:
        abort(404, "no such group in this run")
    items, more = page_of(group, run.state.tests, context["visible"], offset)
    left = len(group.children) - more if more else 0
    opened = bool(query) or sum(count for _, _, count in items) <= OPEN_ROWS
    return render_template(
        "_group.html", items=items, more=more, left=left, group=group, opened=opened, **context
    )


def find_group(roots: list[Group], group_id: str) -> Group | None:
    todo = list(roots)
    while todo:
        group = todo.pop()
        if group.id == group_id:
            return group
        todo.extend(c for c in group.children if not isinstance(c, str))
    return None


def page_of(
    group: Group, tests: dict[str, TestResult], visible: set[str] | None, offset: int
) -> tuple[list, int]:
    """(kind, child, tests) from `offset` for at most GROUP_ROWS rows: rows, whole groups that fit,
    lazy groups that do not (a folder's files are always lazy, counted as 5 rows each); and the
    offset where the next page starts (0 when none)."""
    items: list[tuple[str, object, int]] = []
    budget = GROUP_ROWS
    for index in range(offset, len(group.children)):
        if budget <= 0:
            return items, index
        child = group.children[index]
        if isinstance(child, str):
            if visible is None or child in visible:
                items.append(("row", tests[child], 1))
                budget -= 1
            continue
        count = len(child.nodeids) if visible is None else sum(n in visible for n in child.nodeids)
        if count and group.kind == "folder":  # its files, closed: at most 200 per page
            items.append(("lazy", child, count))
            budget -= 5
        elif count:
            items.append(("group" if count <= budget else "lazy", child, count))
            budget -= count if count <= budget else 1
    return items, 0


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
    elif scope == "failed":  # of the past run the page shows, else the current or newest kept
        shown = form.get("from_run")
        source = actions.find_run(shown) if shown else services().hub.current or latest_kept()
        failed = (
            [t.nodeid for t in source.state.tests.values() if t.outcome in ("failed", "error")]
            if source
            else []
        )
        if not failed:
            abort(400, "that run has no failed tests to rerun")
        data["nodeids"] = failed
    return data


@bp.post("/runs")
def start():
    try:
        selection = parse_selection(_form_selection(), services().settings.repo)
    except SelectionError as error:
        abort(400, str(error))
    actions.start_run(selection)
    response = Response(render_template("_notice.html", message=""))
    if request.form.get("past"):  # a past run's page does not follow live: go to the live page
        response.headers["HX-Redirect"] = "/"
    return response


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
    return render_page_or(
        "_detail.html", main=run, test=test, run=run.state, **actions.history_of(test.nodeid)
    )
