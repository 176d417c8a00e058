"""The fragments issue 11 added or changed, in-process: filtered trees, catching up, the failing
list, the detail pane's empty and not-in-run states, the suite around a partial run, the first
failure on the page, tones on the runs page, a cancelled run's changes bar."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from events import DEMO_IDS, FAILING, finished_run, row_names, row_outcomes, run_tests
from events import start_run as begin_run
from flask import Flask
from flask.testing import FlaskClient

from pytest_web.core.hub import Run
from pytest_web.pytest_run.selection import Selection
from pytest_web.web.services import services
from pytest_web.web.tree_view import suite_entries

HX = {"HX-Request": "true"}
OUTCOMES = {
    DEMO_IDS[0]: "passed",
    DEMO_IDS[1]: "failed",
    DEMO_IDS[2]: "skipped",
    DEMO_IDS[3]: "error",
    DEMO_IDS[4]: "passed",
}


def test_a_status_filter_gives_a_tree_of_its_tests_only(app: Flask, client: FlaskClient) -> None:
    run = finished_run(services(app).hub, OUTCOMES)
    failed = client.get(f"/runs/{run.id}/tree", query_string={"show": "failed"}).text
    assert row_names(failed) == [DEMO_IDS[1], DEMO_IDS[3]]
    assert 'data-show="failed"' in failed and '<details class="g" open>' in failed
    both = client.get(f"/runs/{run.id}/tree", query_string={"show": "failed", "q": "square"})
    assert row_names(both.text) == [DEMO_IDS[3]]
    nothing = client.get(f"/runs/{run.id}/tree", query_string={"show": "running"}).text
    assert row_names(nothing) == [] and "No running tests." in nothing
    unknown = client.get(f"/runs/{run.id}/tree", query_string={"show": "<b>"}).text
    assert row_names(unknown) == DEMO_IDS and 'data-show="all"' in unknown


def test_a_filtered_tree_of_a_running_run_refetches_and_catches_up(
    app: Flask, client: FlaskClient
) -> None:
    hub = services(app).hub
    run = begin_run(hub)
    run_tests(hub, run, {FAILING: "failed"})
    html = client.get(f"/runs/{run.id}/tree", query_string={"show": "failed"}).text
    assert 'hx-trigger="changed-failed from:#live"' in html
    assert f'hx-get="/runs/{run.id}/since/{run.state.seq}" hx-trigger="load"' in html
    whole = client.get(f"/runs/{run.id}/tree").text
    assert "changed-" not in whole  # the whole tree is kept live row by row


def test_catching_up_sends_what_changed_without_output(app: Flask, client: FlaskClient) -> None:
    hub = services(app).hub
    run = begin_run(hub)
    seq = run.state.seq
    hub.publish(run, [{"type": "output", "text": "collected 5 items\n"}])
    run_tests(hub, run, {DEMO_IDS[0]: "passed"})
    html = client.get(f"/runs/{run.id}/since/{seq}").text
    assert row_outcomes(html) == {0: "passed"}
    assert '<div id="run-head" hx-swap-oob="outerMorph"' in html
    assert "collected 5 items" not in html  # the stream appended it already
    assert client.get(f"/runs/{run.id}/since/{run.state.seq + 1}").status_code == 404


def test_a_groups_rows_keep_the_filter(app: Flask, client: FlaskClient) -> None:
    run = finished_run(services(app).hub, OUTCOMES)
    tree = services(app).renderer.tree(run.state)
    params = next(g for g in tree.roots if g.key == "tests/test_params.py")
    html = client.get(f"/runs/{run.id}/group/{params.id}", query_string={"show": "passed"}).text
    assert row_names(html) == [DEMO_IDS[4]]


def test_the_failing_list_names_each_with_its_error(app: Flask, client: FlaskClient) -> None:
    run = finished_run(services(app).hub, OUTCOMES)
    html = client.get(f"/runs/{run.id}/failures", headers=HX).text
    assert html.lstrip().startswith('<aside id="detail" class="detail failures"')
    assert re.findall(r'title="([^"]+)"><code>', html) == [DEMO_IDS[1], DEMO_IDS[3]]
    assert html.count('<span class="msg">AssertionError: assert') == 2


def test_the_detail_pane_closes_and_says_when_a_test_was_not_in_the_run(
    app: Flask, client: FlaskClient
) -> None:
    empty = client.get("/detail", headers=HX).text
    assert '<aside id="detail" class="detail idle"' in empty
    hub = services(app).hub
    suite = begin_run(hub)
    run = hub.create_run({"nodeids": [DEMO_IDS[0]]}, ["pytest"], suite=suite_of(suite))
    hub.publish(run, [{"type": "collection", "nodeids": [DEMO_IDS[0]]}])
    html = client.get(f"/detail?run={run.id}&nodeid={quote(DEMO_IDS[2])}", headers=HX).text
    assert "Not in this run" in html


def suite_of(run: Run) -> Any:
    return suite_entries(run.state.tests)


@pytest.fixture
def started(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Selection, Any]]:
    """What the runner was asked to start, with the suite (no pytest is started)."""
    shared = services(app)
    found: list[tuple[Selection, Any]] = []

    def start(selection: Selection, suite: Any = None) -> Any:
        found.append((selection, suite))
        return shared.hub.create_run(selection.as_dict(), ["pytest"], suite)

    monkeypatch.setattr(shared.runner, "start", start)
    return found


def test_a_partial_run_keeps_the_suite_the_page_showed(
    app: Flask, client: FlaskClient, started: list[tuple[Selection, Any]]
) -> None:
    shown = finished_run(services(app).hub)
    form = {"scope": "selected", "nodeid": DEMO_IDS[3], "shown": shown.id}
    assert client.post("/runs", data=form, headers=HX).status_code == 200
    assert list(started[0][1]) == DEMO_IDS  # the whole suite, in its order
    run = services(app).hub.current
    assert run is not None
    hub = services(app).hub
    hub.publish(run, [{"type": "collection", "nodeids": [DEMO_IDS[3]]}])
    html = client.get(f"/runs/{run.id}", headers=HX).text
    assert row_names(html) == DEMO_IDS  # all of it, the run's test among them
    assert row_outcomes(html)[0] == "queued"  # the test that runs is live (id s0)
    assert html.count('class="st o-none"') == len(DEMO_IDS) - 1
    client.post("/runs", data={"scope": "all", "shown": shown.id}, headers=HX)
    assert started[1][1] is None  # Run all shows what it runs


def test_the_page_opens_on_the_first_failure_of_a_run_that_ended(
    app: Flask, client: FlaskClient
) -> None:
    finished_run(services(app).hub, OUTCOMES)
    html = client.get("/").text
    assert re.search(r'<aside id="detail" class="detail" [^>]*>\s*<header>', html)
    assert "<h2>test_fails</h2>" in html
    assert '<p class="first-failure">' in html and "<title>✕ 2 failed · pytest-web</title>" in html


def test_the_runs_page_colours_a_run_by_how_it_went(app: Flask, client: FlaskClient) -> None:
    hub = services(app).hub
    finished_run(hub, dict.fromkeys(DEMO_IDS, "passed"))
    finished_run(hub, OUTCOMES)
    html = client.get("/runs").text
    assert re.findall(r'<tr class="s-(\w+) t-(\w+)">', html) == [
        ("finished", "failed"),
        ("finished", "passed"),
    ]


def test_a_cancelled_run_says_what_it_compared(app: Flask, client: FlaskClient) -> None:
    hub = services(app).hub
    finished_run(hub, dict.fromkeys(DEMO_IDS, "passed"))
    run = begin_run(hub)
    run_tests(hub, run, {DEMO_IDS[0]: "passed", DEMO_IDS[1]: "passed"})
    hub.publish(run, [{"type": "run_exit", "returncode": -2, "cancelled": True, "time": 2.0}])
    services(app).history.flush()
    bar = client.get(f"/runs/{run.id}/changes?bar=1").text
    assert "cancelled: the 2 tests that ran are unchanged" in bar
    assert "no change since" not in bar
