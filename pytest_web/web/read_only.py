"""`pytest-web view FILE...`: result files served with the normal UI, read-only.

The CLI reads and merges the files before gunicorn forks its worker (`LOADED`), so a refused
file is reported on the terminal at once and the worker starts with the run already folded.
Read-only means no Fetch, Run or Cancel: every request that would start pytest or change
anything is answered 403.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request

from pytest_web.core.hub import Run
from pytest_web.results.merge import Results
from pytest_web.web.services import services
from pytest_web.web.view_cache import Prepared
from pytest_web.web.view_cache import prepare as prepare_run

LOADED: Results | None = None
"""What `pytest-web view` opened; the gunicorn worker inherits it."""

PREPARED: Prepared | None = None
"""The loaded run's tree and first groups' counts and totals, made before the fork like
`LOADED`."""

RUNS_PYTEST = frozenset({"pages.tests", "api.tests", "results.form"})
"""GET routes that start pytest (`--collect-only`) or offer to change what is shown."""
PREFERENCES = frozenset({"controls.save_settings"})
"""POST routes that change only the browser's own cookies (the page's settings)."""


def init_app(app: Flask) -> None:
    """Template flags for every app; in read-only mode, the loaded run and the 403 guard; a
    dashboard runs nothing either, and changes nothing but what its shards send."""
    shared = services(app)
    read_only = bool(shared.settings.read_only)
    dashboard = bool(shared.settings.dashboard)
    modes = {
        "read_only": read_only,
        "dashboard": dashboard,
        "controls": not (read_only or dashboard),
    }
    app.jinja_env.globals.update(modes)  # also for macros rendered alone (`Renderer.macro`)

    @app.context_processor
    def flags() -> dict[str, Any]:
        return {**modes, "problems": shared.problems, "sources": shared.sources}

    if read_only:
        app.before_request(refuse_changes)
        if LOADED is not None:
            install(app, LOADED)
    elif dashboard:
        app.before_request(refuse_runs)


def prepare(results: Results) -> None:
    """Before gunicorn forks: what the first page needs of the loaded run (its tree, the counts
    of its top groups), so the worker only renders it. Made in the worker, the same work would
    also copy most of the run's memory, page by page, as it touched every test."""
    global PREPARED
    PREPARED = prepare_run(results.state) if results.state is not None else None


def install(app: Flask, results: Results) -> None:
    """Show the merged run as the hub's current, finished run."""
    shared = services(app)
    shared.problems = results.problems
    shared.sources = [f.path for f in results.files]
    if results.state is not None and results is LOADED and PREPARED is not None:
        shared.renderer.seed(results.state, PREPARED)
    if results.state is not None:
        shared.hub.show(Run(results.state))


def refuse_changes() -> None:
    if request.endpoint in PREFERENCES:
        return
    if request.method not in ("GET", "HEAD", "OPTIONS") or request.endpoint in RUNS_PYTEST:
        abort(403, "read-only: this server shows result files and runs nothing")


def refuse_runs() -> None:
    """The dashboard: every request that would run pytest or change anything is a 403, but
    the shards' own (`ci_ingest`, which checks its upload token)."""
    if request.endpoint == "ci_ingest.events":
        return
    if request.method not in ("GET", "HEAD", "OPTIONS") or request.endpoint in RUNS_PYTEST:
        abort(403, "a dashboard shows CI runs and runs nothing")
