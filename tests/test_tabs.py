"""A tab's live updates carry only the rows it holds: none while a big run's groups are closed,
a group's once it is opened, every row for a tab the server does not know."""

from __future__ import annotations

import re

from events import ended, row_outcomes, start_run
from flask import Flask
from flask.testing import FlaskClient

from pytest_web.core.hub import Hub, Run
from pytest_web.web.render import Renderer
from pytest_web.web.routes.stream import event_stream
from pytest_web.web.services import services
from pytest_web.web.tabs import MAX_TABS, Tabs
from pytest_web.web.tree_view import LAZY_ROWS

FILES, PER_FILE = 25, 100
"""2,500 tests: more than `LAZY_ROWS`, so the tree starts as closed groups."""


def many() -> list[str]:
    return [f"tests/test_f{f:02}.py::test_{n}" for f in range(FILES) for n in range(PER_FILE)]


def test_a_tab_holds_what_it_was_shown_and_what_it_added() -> None:
    tabs = Tabs()
    tab = tabs.new()
    assert tabs.held(tab, "r1") is None  # shows nothing known yet: every row
    tabs.shown(tab, "r1", ["a", "b"])
    tabs.added(tab, "r1", ["c"])
    assert tabs.held(tab, "r1") == {"a", "b", "c"}
    assert tabs.held(tab, "r2") is None  # another run's rows: not known
    tabs.shown(tab, "r1", [])  # a new view (a filter, a snapshot) replaces what it held
    assert tabs.held(tab, "r1") == set()


def test_rows_added_for_a_run_it_was_not_shown_make_it_unknown() -> None:
    tabs = Tabs()
    tab = tabs.new()
    tabs.shown(tab, "r1", ["a"])
    tabs.added(tab, "r2", ["x"])
    assert tabs.held(tab, "r1") is None and tabs.held(tab, "r2") is None


def test_only_tabs_made_here_are_kept_and_the_oldest_are_forgotten() -> None:
    tabs = Tabs()
    tabs.shown("made-up", "r1", [])
    tabs.added("made-up", "r1", ["a"])
    assert tabs.held("made-up", "r1") is None and tabs.held(None, "r1") is None
    first = tabs.new()
    tabs.shown(first, "r1", [])
    for _ in range(MAX_TABS):
        tabs.new()
    assert len(tabs) == MAX_TABS and tabs.held(first, "r1") is None


def tab_of(html: str) -> str:
    found = re.search(r"""hx-headers:inherited='\{"X-Tab": "([0-9a-f]+)"\}'""", html)
    assert found, "the page names no tab"
    return found.group(1)


def test_a_big_run_sends_a_tab_only_the_rows_of_the_groups_it_opened(
    app: Flask, client: FlaskClient, hub: Hub
) -> None:
    assert FILES * PER_FILE > LAZY_ROWS
    run = start_run(hub, many())
    page = client.get("/").text
    tab = tab_of(page)
    assert f"&amp;tab={tab}" in page and not row_outcomes(page)  # closed groups, no row
    seq = run.state.seq
    hub.publish(run, [ended(n, "passed") for n in many()[:150]])  # files 0 and 1
    since = client.get(f"/runs/{run.id}/since/{seq}", headers={"X-Tab": tab}).text
    assert row_outcomes(since) == {}
    assert 'data-count="passed"><b>150</b>' in since  # the head still comes

    first = services(app).renderer.tree(run.state).top[0]
    opened = client.get(f"/runs/{run.id}/group/{first.id}", headers={"X-Tab": tab}).text
    assert len(row_outcomes(opened)) == PER_FILE
    since = client.get(f"/runs/{run.id}/since/{seq}", headers={"X-Tab": tab}).text
    assert set(row_outcomes(since)) == set(range(PER_FILE))  # file 0's rows, not file 1's

    unknown = client.get(f"/runs/{run.id}/since/{seq}").text  # no tab: every row
    assert set(row_outcomes(unknown)) == set(range(150))


def test_a_filtered_tree_replaces_the_rows_a_tab_holds(
    app: Flask, client: FlaskClient, hub: Hub
) -> None:
    run = start_run(hub, many())
    tab = tab_of(client.get("/").text)
    seq = run.state.seq
    hub.publish(run, [ended(n, "failed") for n in many()[-3:]])
    tree = client.get(f"/runs/{run.id}/tree?show=failed", headers={"X-Tab": tab}).text
    assert len(row_outcomes(tree)) == 3  # the failures, open
    since = client.get(f"/runs/{run.id}/since/{seq}", headers={"X-Tab": tab}).text
    assert sorted(row_outcomes(since)) == [2497, 2498, 2499]


def test_the_stream_sends_a_tab_its_rows_and_starts_over_on_a_snapshot(
    app: Flask, hub: Hub, renderer: Renderer
) -> None:
    tabs = services(app).tabs
    run: Run = start_run(hub, many())
    tab = tabs.new()
    messages = event_stream(hub, renderer, None, tabs=tabs, tab=tab)
    next(messages)  # retry
    assert not row_outcomes(next(messages))  # the snapshot: closed groups
    assert tabs.held(tab, run.id) == set()
    tabs.added(tab, run.id, many()[100:200])  # file 1 opened
    hub.publish(run, [ended(n, "passed") for n in many()[:300]])
    delta = next(messages)
    assert set(row_outcomes(delta)) == set(range(100, 200))
    messages.close()
