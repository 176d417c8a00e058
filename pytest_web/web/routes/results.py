"""'Open results' in the live server: upload CI result files or pick them from --artifacts."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template
from flask.typing import ResponseReturnValue

from pytest_web.core.hub import Run
from pytest_web.results.artifacts import list_artifacts
from pytest_web.results.merge import Results
from pytest_web.web.page import render_page_named
from pytest_web.web.services import services
from pytest_web.web.uploads import open_files

bp = Blueprint("results", __name__)


@bp.get("/results")
def form() -> ResponseReturnValue:
    artifacts = list_artifacts(services().settings.artifacts)
    return render_page_named("results.html", "_open_results.html", artifacts=artifacts)


@bp.post("/results")
def open_from_form() -> ResponseReturnValue:
    run, results = open_files()
    response = Response(render_template("_notice.html", message=_summary(run, results)))
    response.headers["HX-Redirect"] = f"/runs/{run.id}"
    return response


@bp.post("/api/results")
def open_from_api() -> ResponseReturnValue:
    """Multipart `file` parts and/or `artifact` names; the new run's id, counts and problems."""
    run, results = open_files()
    data = run.state.as_json(with_tests=False)
    return jsonify({**data, "problems": results.problems}), 201


def _summary(run: Run, results: Results) -> str:
    counts = ", ".join(f"{n} {name}" for name, n in run.state.summary().items() if n)
    return f"Opened {len(results.files)} file(s): {counts or 'no results'}"
