"""Page or fragment: one helper decides from the `HX-Request` header (Contact.app style)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from pytest_web import state
from pytest_web.hub import Run


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def page_context(main: Run | None = None, **extra: Any) -> dict[str, Any]:
    """What the full page needs: the run shown in #main and where the live stream starts."""
    from pytest_web.actions import current_collection

    current = state.hub().current
    shown = main or current or current_collection() or latest_kept()
    context: dict[str, Any] = {
        "repo": str(state.settings().repo),
        "k": "",
        "m": "",
        "workers": 0,
        "run": None,
        "test": None,
        "event_id": f"{current.id}:{current.state.seq}" if current else "",
    }
    context["past"] = main is not None and main is not current and main is not current_collection()
    context["page"] = "past" if context["past"] else "live"
    if shown is not None:
        context.update(state.renderer().run_context(shown))
        context["event_id"] = f"{current.id}:{current.state.seq}" if current else ""
        context["k"] = shown.state.selection.get("k", "")
        context["m"] = shown.state.selection.get("m", "")
        context["workers"] = shown.state.selection.get("workers", 0)
    context.update(extra)
    return context


def latest_kept() -> Run | None:
    """After a restart, the page opens on the newest run kept in history."""
    from pytest_web.actions import past_run
    from pytest_web.history.queries import run_rows

    history = state.history()
    rows = run_rows(history, limit=1) if history is not None else []
    return past_run(rows[0]["id"]) if rows else None


def render_page_or(fragment: str, main: Run | None = None, **context: Any) -> str:
    """The fragment alone for htmx, the whole page (with the fragment in it, and `main` as the
    run shown) otherwise."""
    if is_htmx():
        return render_template(fragment, **context)
    return render_template("index.html", **page_context(main, **context))
