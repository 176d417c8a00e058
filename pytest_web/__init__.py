"""pytest-web: a browser UI for pytest."""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Any

from flask import Flask

__version__ = "0.1.0"

_HERE = Path(__file__).resolve().parent


def _asset_folder(name: str) -> str:
    """Templates and static files: inside the package when installed, at the top in a checkout."""
    inside = _HERE / name
    return str(inside if inside.is_dir() else _HERE.parent / name)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The Flask app: one hub, one runner, and a blueprint per concern."""
    from pytest_web import auth, errors, viewer
    from pytest_web.hub import Hub
    from pytest_web.render import Renderer
    from pytest_web.routes import api, health, ingest, pages, results, stream
    from pytest_web.routes import history as history_pages
    from pytest_web.runner import Runner
    from pytest_web.settings import Settings

    app = Flask(
        __name__,
        template_folder=_asset_folder("templates"),
        static_folder=_asset_folder("static"),
    )
    settings = Settings.from_env(test_config)
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024  # 100,000 node ids fit
    history = open_history(settings)
    hub = Hub(sink=history.record if history else None)
    runner = Runner(hub, settings.repo, settings.python, settings.ingest_url)
    atexit.register(runner.shutdown)  # a stopping server leaves no pytest behind
    app.extensions["pytest_web"] = {
        "settings": settings,
        "hub": hub,
        "runner": runner,
        "renderer": Renderer(app.jinja_env),
        "collection": None,
        "history": history,
    }
    app.jinja_env.globals["history_on"] = history is not None
    auth.init_app(app)
    errors.init_app(app)
    viewer.init_app(app)
    for module in (pages, history_pages, results, api, stream, ingest, health):
        app.register_blueprint(module.bp)
    return app


def open_history(settings: Any) -> Any:
    """The repository's run history, with runs a stopped server left behind marked
    interrupted; None when read-only, switched off, or the file cannot be used (said on stderr)."""
    import sys

    from pytest_web.history import History, HistoryError

    if settings.read_only or settings.data_dir is None:
        return None
    try:
        history = History.for_repo(settings.data_dir, settings.repo)
        if history.claim():  # another server on the same history may still be running its run
            history.mark_interrupted()
    except (HistoryError, OSError) as error:
        print(f"pytest-web: warning: no run history: {error}", file=sys.stderr)
        return None
    return history
