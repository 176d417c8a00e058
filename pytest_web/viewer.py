"""`pytest-web view FILE...`: result files served with the normal UI, read-only.

The CLI reads and merges the files before gunicorn forks its worker (`LOADED`), so a refused
file is reported on the terminal at once and the worker starts with the run already folded.
Read-only means no Fetch, Run or Cancel: every request that would start pytest or change
anything is answered 403.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request

from pytest_web.hub import Run
from pytest_web.results import Results

LOADED: Results | None = None
"""What `pytest-web view` opened; the gunicorn worker inherits it."""

PREPARED: tuple[Any, dict[str, Any]] | None = None
"""The loaded run's tree and first counts (`prepare`), made before the fork like `LOADED`."""

LAZY_ROWS = 2000
"""Above this many tests a finished run's tree loads each group's rows when it is opened."""
GROUP_ROWS = 1000
"""Rows per group request; more come with a 'show more' button."""

RUNS_PYTEST = frozenset({"pages.tests", "api.tests", "results.form"})
"""GET routes that start pytest (`--collect-only`) or offer to change what is shown."""


def init_app(app: Flask) -> None:
    """Template flags for every app; in read-only mode, the loaded run and the 403 guard."""
    shared = app.extensions["pytest_web"]
    read_only = bool(shared["settings"].read_only)
    shared.setdefault("problems", [])
    shared.setdefault("sources", [])
    app.jinja_env.globals.update(LAZY_ROWS=LAZY_ROWS)

    @app.context_processor
    def flags() -> dict[str, Any]:
        return {
            "read_only": read_only,
            "problems": shared["problems"],
            "sources": shared["sources"],
        }

    if read_only:
        app.before_request(refuse_changes)
        if LOADED is not None:
            install(app, LOADED)


def prepare(results: Results) -> None:
    """Before gunicorn forks: what the first page needs of the loaded run (its tree, the counts
    of its top groups), so the worker only renders it. Made in the worker, the same work would
    also copy most of the run's memory, page by page, as it touched every test."""
    global PREPARED
    from pytest_web.render import prepare as prepare_run

    PREPARED = prepare_run(results.state) if results.state is not None else None


def install(app: Flask, results: Results) -> None:
    """Put the merged run in the hub as its current, finished run."""
    shared = app.extensions["pytest_web"]
    shared["problems"] = results.problems
    shared["sources"] = [f.path for f in results.files]
    if results.state is not None and results is LOADED and PREPARED is not None:
        shared["renderer"].seed(results.state, *PREPARED)
    if results.state is not None:
        run = Run(results.state, kind="results")
        shared["hub"].runs[run.id] = run
        shared["hub"].current = run


def refuse_changes() -> None:
    if request.method not in ("GET", "HEAD", "OPTIONS") or request.endpoint in RUNS_PYTEST:
        abort(403, "read-only: this server shows result files and runs nothing")
