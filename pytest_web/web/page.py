"""Page or fragment: one helper decides from the `HX-Request` header (Contact.app style)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from pytest_web.core.hub import Run
from pytest_web.web.actions import current_collection, history_of, latest_kept, view_test
from pytest_web.web.htmx import is_htmx
from pytest_web.web.run_form import form_state, unavailable
from pytest_web.web.services import services
from pytest_web.web.tree_view import listed_rows
from pytest_web.web.url_state import UrlState


def page_context(main: Run | None = None, **extra: Any) -> dict[str, Any]:
    """What the full page needs: the run shown in #main as the address asks to see it (its
    filter, search, order and open test: see `url_state`), where the live stream starts, and
    in the detail pane the test the address names, else the first failure of a run that has
    ended (failures in front of you). A dashboard's run page follows that run."""
    current = services().hub.current
    collection = current_collection()
    dashboard = services().settings.dashboard
    shown = main if dashboard else main or current or collection or latest_kept()
    past = main is not None and main is not current and main is not collection and not dashboard
    state = UrlState.from_args(request.args)
    context: dict[str, Any] = {
        "repo": str(services().settings.repo),
        "k": "",
        "m": "",
        "workers": 0,
        "run": None,
        "test": None,
        "past": past,
        "page": "past" if past else "live",
        "options_state": form_state(()),
        "unavailable": unavailable(services().settings.python),
    }
    if shown is not None:
        context.update(services().renderer.run_context(shown, state.query, state.show, state.sort))
        context["k"] = shown.state.selection.get("k", "")
        context["m"] = shown.state.selection.get("m", "")
        context["workers"] = shown.state.selection.get("workers", 0)
        context["options_state"] = form_state(shown.state.selection.get("options") or ())
        asked = view_test(shown, state.test) if state.test else None
        test = asked or context["head"].failure
        if test is not None and "test" not in extra:
            context.update(test=test, **history_of(test.nodeid, shown))
    context["event_id"] = f"{current.id}:{current.state.seq}" if current else ""
    context["tab"] = services().tabs.new()
    if shown is not None:
        note_shown(context["tab"], shown, context)
    context["stream_url"] = f"/events?last={context['event_id']}&tab={context['tab']}"
    if dashboard:
        context["stream_url"] = (
            f"/events?run={main.id}&last={main.id}:{main.state.seq}&tab={context['tab']}"
            if main
            else ""
        )
    context.update(extra)
    return context


def note_shown(tab: str | None, run: Run, context: dict[str, Any]) -> None:
    """The tab's view of `run` is now the tree of `context` (`run_context`): its rows are the
    ones its live updates carry (`tabs`)."""
    services().tabs.shown(tab, run.id, listed_rows(context["start"].items, context["visible"]))


PANES = frozenset({"_detail.html", "_failures.html", "_slowest.html"})
"""Fragments of the detail pane: the whole page shows them in it."""


def render_page_or(fragment: str, main: Run | None = None, **context: Any) -> str:
    """The fragment alone for htmx, the whole page (with the fragment in it, and `main` as the
    run shown) otherwise."""
    if is_htmx():
        return render_template(fragment, **context)
    if fragment in PANES:
        context["pane"] = fragment
    return render_template("index.html", **page_context(main, **context))


def render_page_named(page: str, fragment: str, **context: Any) -> str:
    """A page of its own (runs, open results): the fragment, or the fragment in `page`."""
    if is_htmx():
        return render_template(fragment, **context)
    return render_template(page, **page_context(page=page.removesuffix(".html"), **context))
