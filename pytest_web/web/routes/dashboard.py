"""The dashboard's own pages and API: its projects, one project's CI runs (by branch) and flaky
tests. A CI run opens with the usual run page (`pages.show_run`), following that run live."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue

from pytest_web.history.ci_queries import flaky_tests, outcomes_of_ci_test, projects
from pytest_web.web import actions
from pytest_web.web.ci_view import run_row
from pytest_web.web.page import render_page_named
from pytest_web.web.services import services

bp = Blueprint("dashboard", __name__)

RUNS_PER_PROJECT = 10
"""Runs each project shows on the projects page."""


def _projects() -> list[str]:
    history = services().history
    return projects(history) if history is not None else []


def _project_arg() -> str:
    project = request.args.get("project", "")[:200]
    if not project:
        abort(400, "give ?project=NAME")
    return project


@bp.get("/projects")
def project_list() -> ResponseReturnValue:
    """Every project with its newest runs (the page polls this for changes)."""
    groups = [
        (name, [run_row(r) for r in actions.list_runs(name, limit=RUNS_PER_PROJECT)])
        for name in _projects()
    ]
    return render_page_named("projects.html", "_projects.html", groups=groups)


@bp.get("/project")
def project_runs() -> ResponseReturnValue:
    """One project's runs (of one branch with `?branch=`) and its flaky tests."""
    project = _project_arg()
    branch = request.args.get("branch", "")[:200]
    runs = [run_row(row) for row in actions.list_runs(project, branch)]
    history = services().history
    flaky = flaky_tests(history, project) if history is not None else []
    return render_page_named(
        "project.html", "_project.html", project=project, branch=branch, runs=runs, flaky=flaky
    )


@bp.get("/api/projects")
def api_projects() -> ResponseReturnValue:
    return jsonify({"projects": _projects()})


@bp.get("/api/flaky")
def api_flaky() -> ResponseReturnValue:
    """`?project=`: its flaky tests over its last runs (see `history.ci_queries`)."""
    history = services().history
    project = _project_arg()
    return jsonify({"project": project, "flaky": flaky_tests(history, project) if history else []})


@bp.get("/api/ci/history")
def api_test_history() -> ResponseReturnValue:
    """`?project=&nodeid=`: the test's last outcomes in the project's CI runs."""
    history = services().history
    project, nodeid = _project_arg(), request.args.get("nodeid", "")
    if not nodeid or history is None:
        abort(404, "give ?nodeid=")
    return jsonify(
        {
            "project": project,
            "nodeid": nodeid,
            "outcomes": outcomes_of_ci_test(history, project, nodeid),
        }
    )
