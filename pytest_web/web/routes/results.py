"""'Open results' in the live server: upload CI result files or pick them from --artifacts."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from pytest_web.core.hub import Run
from pytest_web.results.artifacts import ArtifactError, artifact_path, list_artifacts, read_uploads
from pytest_web.results.merge import Results, merged_events
from pytest_web.results.source import MAX_FILE_BYTES
from pytest_web.web.page import render_page_named
from pytest_web.web.services import services

bp = Blueprint("results", __name__)

UPLOAD_LIMIT = MAX_FILE_BYTES + 1024 * 1024
"""Bytes per request (chunked uploads included): one file at its cap, or several smaller."""


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


def open_files() -> tuple[Run, Results]:
    """Read what the request names, merge it into one run kept beside live runs; 400 if none."""
    request.max_content_length = UPLOAD_LIMIT  # also caps chunked bodies
    uploads = [f for f in request.files.getlist("file") if f.filename or f.content_length]
    names = [n for n in request.form.getlist("artifact") if n]
    if not uploads and not names:
        abort(400, "choose result files to upload, or artifacts to open")
    artifacts = []
    root = services().settings.artifacts
    for name in names:
        if root is None:
            abort(400, "this server has no artifacts folder (start it with --artifacts DIR)")
        try:
            artifacts.append((name, artifact_path(root, name)))
        except ArtifactError as error:
            abort(400, f"refused artifact {name!r}: {error}")
    results = read_uploads(uploads, artifacts)
    if not results.files:
        abort(400, "none of the files could be read:\n" + "\n".join(results.problems))
    run = services().hub.add_results(lambda run_state: merged_events(results.files, run_state))
    return run, results


def _summary(run: Run, results: Results) -> str:
    counts = ", ".join(f"{n} {name}" for name, n in run.state.summary().items() if n)
    return f"Opened {len(results.files)} file(s): {counts or 'no results'}"
