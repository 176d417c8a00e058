"""Typed access to the app's shared objects from inside a request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app

if TYPE_CHECKING:
    from pytest_web.history import History
    from pytest_web.hub import Hub
    from pytest_web.render import Renderer
    from pytest_web.runner import Runner
    from pytest_web.settings import Settings


def _get(name: str) -> Any:
    return current_app.extensions["pytest_web"][name]


def settings() -> Settings:
    return _get("settings")


def hub() -> Hub:
    return _get("hub")


def runner() -> Runner:
    return _get("runner")


def renderer() -> Renderer:
    return _get("renderer")


def history() -> History | None:
    """The run history, or None (read-only view, `--no-history`, or an unusable data folder)."""
    return _get("history")
