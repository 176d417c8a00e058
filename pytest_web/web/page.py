"""Page or fragment: one helper decides from the `HX-Request` header (Contact.app style)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from pytest_web.core.hub import Run
from pytest_web.web.actions import current_collection, history_of, latest_kept
from pytest_web.web.htmx import is_htmx
from pytest_web.web.services import services


def page_context(main: Run | None = None, **extra: Any) -> dict[str, Any]:
    """What the full page needs: the run shown in #main, where the live stream starts, and in
    the detail pane the first failure of a run that has ended (failures in front of you). A
    dashboard's run page follows that run."""
    current = services().hub.current
    collection = current_collection()
    dashboard = services().settings.dashboard
    shown = main if dashboard else main or current or collection or latest_kept()
    past = main is not None and main is not current and main is not collection and not dashboard
    context: dict[str, Any] = {
        "repo": str(services().settings.repo),
        "k": "",
        "m": "",
        "workers": 0,
        "run": None,
        "test": None,
        "past": past,
        "page": "past" if past else "live",
    }
    if shown is not None:
        context.update(services().renderer.run_context(shown))
        context["k"] = shown.state.selection.get("k", "")
        context["m"] = shown.state.selection.get("m", "")
        context["workers"] = shown.state.selection.get("workers", 0)
        failure = context["head"].failure
        if failure is not None and "test" not in extra:
            context.update(test=failure, **history_of(failure.nodeid, shown))
    context["event_id"] = f"{current.id}:{current.state.seq}" if current else ""
    context["stream_url"] = f"/events?last={context['event_id']}"
    if dashboard:
        context["stream_url"] = (
            f"/events?run={main.id}&last={main.id}:{main.state.seq}" if main else ""
        )
    context.update(extra)
    return context


def render_page_or(fragment: str, main: Run | None = None, **context: Any) -> str:
    """The fragment alone for htmx, the whole page (with the fragment in it, and `main` as the
    run shown) otherwise."""
    if is_htmx():
        return render_template(fragment, **context)
    return render_template("index.html", **page_context(main, **context))


def render_page_named(page: str, fragment: str, **context: Any) -> str:
    """A page of its own (runs, open results): the fragment, or the fragment in `page`."""
    if is_htmx():
        return render_template(fragment, **context)
    return render_template(page, **page_context(page=page.removesuffix(".html"), **context))
