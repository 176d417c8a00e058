"""The app's long-lived objects, typed, and how a request reaches them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import Flask, current_app

from pytest_web.core.hub import Hub, Run
from pytest_web.history import History
from pytest_web.pytest_run.runner import Runner
from pytest_web.web.ci_runs import CiRuns
from pytest_web.web.render import Renderer
from pytest_web.web.settings import Settings
from pytest_web.web.tabs import Tabs
from pytest_web.web.throttle import Throttle
from pytest_web.web.watching import Watching

KEY = "pytest_web"


@dataclass
class Services:
    """What one server holds for its whole life (one per app, in `app.extensions`)."""

    settings: Settings
    hub: Hub
    runner: Runner
    renderer: Renderer
    history: History | None
    """The run history, or None (read-only view, `--no-history`, or an unusable data folder)."""
    watching: Watching
    collection: Run | None = None
    """The last discovery (`Fetch tests`), shown with the same views as a run."""
    problems: list[str] = field(default_factory=list)
    """Result files `pytest-web view` refused or found odd, one line each."""
    sources: list[str] = field(default_factory=list)
    """The result files `pytest-web view` shows."""
    throttle: Throttle = field(default_factory=Throttle)
    """Wrong tokens per client address (`auth`)."""
    collecting: threading.Lock = field(default_factory=threading.Lock)
    """Held while a `pytest --collect-only` runs: one collection at a time."""
    ci: CiRuns | None = None
    """The dashboard's CI runs (`pytest-web dashboard` only)."""
    tabs: Tabs = field(default_factory=Tabs)
    """The rows each open tab holds, so its live updates carry only those."""


def services(app: Flask | None = None) -> Services:
    """The services of `app`, or of the app handling the current request."""
    found: Services = (app or current_app).extensions[KEY]
    return found
