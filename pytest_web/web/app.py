"""`create_app`: one hub, one runner, one history, and a blueprint per concern (flaskr style)."""

from __future__ import annotations

import atexit
import sys
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from pytest_web.core.fold import RunState
from pytest_web.core.hub import KEEP_RUNS, Hub
from pytest_web.history import History, HistoryError, dashboard_history
from pytest_web.history.queries import load_run, run_rows
from pytest_web.pytest_run.runner import Runner
from pytest_web.web import auth, errors, read_only, templating
from pytest_web.web.ci_runs import CiRuns
from pytest_web.web.render import Renderer
from pytest_web.web.routes import (
    api,
    ci_ingest,
    controls,
    dashboard,
    health,
    history_pages,
    ingest,
    pages,
    results,
    stream,
)
from pytest_web.web.run_form import unavailable
from pytest_web.web.services import KEY, Services
from pytest_web.web.settings import Settings
from pytest_web.web.watching import Watching

DASHBOARD_RUNS = 32
"""CI runs a dashboard holds in memory (the ones being streamed among them); others are folded
again from history when opened or when their shards speak."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The app, configured from `PYTEST_WEB_*` variables overridden by `test_config`."""
    app = Flask(
        __name__,
        template_folder=templating.asset_folder("templates"),
        static_folder=templating.asset_folder("static"),
    )
    settings = Settings.from_env(test_config)
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024  # 100,000 node ids fit
    history = open_history(settings)
    keep = DASHBOARD_RUNS if settings.dashboard else KEEP_RUNS
    hub = Hub(keep=keep, sink=history.record if history else None)
    runner = Runner(hub, settings.repo, settings.python, settings.ingest_url)
    atexit.register(runner.shutdown)  # a stopping server leaves no pytest behind
    watching = Watching(settings.repo, runner, latest_live(hub, history), settings.watch_poll)
    atexit.register(watching.stop)
    templating.configure(app.jinja_env)
    renderer = Renderer(app.jinja_env)
    app.extensions[KEY] = shared = Services(settings, hub, runner, renderer, history, watching)
    if settings.dashboard:
        shared.ci = CiRuns(hub, history, settings.shard_timeout)
        shared.ci.adopt_running()
    app.jinja_env.globals["history_on"] = history is not None
    app.jinja_env.globals["watching"] = watching  # the stream's messages show it too
    auth.init_app(app)
    errors.init_app(app)
    read_only.init_app(app)
    for module in (pages, history_pages, results, api, stream, ingest, health, controls):
        app.register_blueprint(module.bp)
    if settings.dashboard:
        app.register_blueprint(dashboard.bp)
        app.register_blueprint(ci_ingest.bp)
    if settings.watch and not settings.read_only:
        watching.set(True)
    if not settings.read_only:  # the run form asks which plugins the interpreter has: ask now
        threading.Thread(target=unavailable, args=(settings.python,), daemon=True).start()
    return app


def latest_live(hub: Hub, history: History | None) -> Callable[[], RunState | None]:
    """The run a save reruns from: the current one, or after a restart the newest kept."""

    def latest() -> RunState | None:
        if hub.current is not None and hub.current.kind == "live":
            return hub.current.state
        rows = run_rows(history, limit=20) if history is not None else []
        live = [row for row in rows if row["kind"] == "live"]
        return load_run(history, live[0]["id"]) if live and history is not None else None

    return latest


def open_history(settings: Settings) -> History | None:
    """The repository's run history, with runs a stopped server left behind marked
    interrupted; None when read-only, switched off, or the file cannot be used (said on stderr)."""
    if settings.read_only or settings.data_dir is None:
        return None
    try:
        if settings.dashboard:
            history = dashboard_history(settings.data_dir)
        else:
            history = History.for_repo(settings.data_dir, settings.repo)
        if history.claim():  # another server on the same history may still be running its run
            history.mark_interrupted()
    except (HistoryError, OSError) as error:
        print(f"pytest-web: warning: no run history: {error}", file=sys.stderr)
        return None
    return history
