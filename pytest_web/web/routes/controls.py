"""The page's own controls: its settings, remembered in the browser (the editor of "open in
editor" links; the theme is set by static/page.js alone), and watch mode."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from pytest_web.pytest_run.watch import SCOPES
from pytest_web.web.editor import EDITORS, EditorError, editor_template
from pytest_web.web.prefs import (
    COOKIE_AGE,
    EDITOR_COOKIE,
    NO_EDITOR,
    THEME_COOKIE,
    editor_choice,
    editor_for,
    editor_setting,
    theme_choice,
)
from pytest_web.web.services import services

bp = Blueprint("controls", __name__)


@bp.app_context_processor
def preferences() -> dict[str, Any]:
    """Every page's theme and editor, from the request's cookies."""
    settings = services().settings
    return {
        "theme": theme_choice(request.cookies.get(THEME_COOKIE)),
        "editor": editor_for(
            request.cookies, settings.editor, str(settings.repo), settings.editor_root
        ),
        "EDITOR_NAMES": list(EDITORS),
        "editor_choice": editor_choice,
    }


@bp.post("/settings")
def save_settings() -> ResponseReturnValue:
    """Keep the editor chosen in the page in a cookie: checked as `--editor` is; a refused
    template is said and not kept."""
    value = editor_setting(request.form.get("editor", ""), request.form.get("template", ""))
    settings = services().settings
    if value and value != NO_EDITOR:
        try:
            editor_template(value)
        except EditorError as error:
            return render_template("_settings.html", open=True, error=str(error), typed=value)
    editor = editor_for(
        {EDITOR_COOKIE: value}, settings.editor, str(settings.repo), settings.editor_root
    )
    response = Response(render_template("_settings.html", editor=editor, open=True, saved=True))
    if value:
        response.set_cookie(
            EDITOR_COOKIE, value, max_age=COOKIE_AGE, samesite="Strict", httponly=True
        )
    else:
        response.delete_cookie(EDITOR_COOKIE, samesite="Strict", httponly=True)
    return response


@bp.post("/watch")
def set_watch() -> ResponseReturnValue:
    """The page's watch toggle and scope (the form's fields; the API takes JSON)."""
    scope = request.form.get("scope") or None
    if scope is not None and scope not in SCOPES:
        abort(400, f"scope must be one of {', '.join(SCOPES)}")
    services().watching.set(request.form.get("enabled") == "on", scope)
    return render_template("_watch.html")
