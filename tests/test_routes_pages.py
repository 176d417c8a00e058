"""The page and its fragments, in-process: runs published straight into the hub, no pytest."""

from __future__ import annotations

import re
from urllib.parse import quote

from events import DEMO_IDS, FAILING, LONGREPR, finished_run, row_outcomes, run_tests, start_run
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from pytest_web.web.services import services
from support import TOKEN

HX = {"HX-Request": "true"}
PAGE_START = "<!doctype html>"


def test_the_empty_page_offers_fetch_and_run_and_listens_from_the_start(
    client: FlaskClient,
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.text.startswith(PAGE_START)
    assert '<section id="empty"' in response.text
    assert 'id="run-all"' in response.text and 'id="fetch"' in response.text
    assert re.search(r'hx-sse:connect="/events\?last=&amp;tab=[0-9a-f]{16}"', response.text)


def test_the_page_shows_the_current_run_and_streams_from_its_last_event(
    app: Flask, client: FlaskClient
) -> None:
    run = finished_run(services(app).hub)
    html = client.get("/").text
    assert f'<section id="run-view" data-run="{run.id}" data-status="finished">' in html
    assert f'hx-sse:connect="/events?last={run.id}:{run.state.seq}&amp;tab=' in html
    assert row_outcomes(html) == {0: "passed", 1: "failed", 2: "passed", 3: "passed", 4: "passed"}


def test_the_page_opens_on_the_newest_kept_run_after_a_restart(
    app: Flask, client: FlaskClient
) -> None:
    run = finished_run(services(app).hub)
    services(app).hub.current = None
    services(app).hub.runs.clear()  # as a restarted server: the run is only in history
    html = client.get("/").text
    assert f'data-run="{run.id}" data-status="finished"' in html
    assert row_outcomes(html)[1] == "failed"


def test_a_run_is_a_full_page_or_for_htmx_its_view_alone(app: Flask, client: FlaskClient) -> None:
    run = finished_run(services(app).hub)
    page = client.get(f"/runs/{run.id}")
    assert page.status_code == 200 and page.text.startswith(PAGE_START)
    fragment = client.get(f"/runs/{run.id}", headers=HX)
    assert fragment.text.lstrip().startswith(f'<section id="run-view" data-run="{run.id}"')
    assert PAGE_START not in fragment.text
    assert row_outcomes(fragment.text) == row_outcomes(page.text)


def test_an_older_run_is_shown_as_past_with_a_way_back(app: Flask, client: FlaskClient) -> None:
    hub = services(app).hub
    older = finished_run(hub)
    finished_run(hub)
    html = client.get(f"/runs/{older.id}").text
    assert 'id="past"' in html and '<a href="/">Back to live</a>' in html
    assert 'name="from_run" value="' + older.id + '"' in html
    assert "hx-sse:connect" not in html  # a past run does not follow the live stream


def test_an_unknown_run_is_404(client: FlaskClient) -> None:
    response = client.get("/runs/nope", headers=HX)
    assert response.status_code == 404
    assert "no run &#39;nope&#39;" in response.text


def test_the_tree_search_keeps_only_matching_tests(app: Flask, client: FlaskClient) -> None:
    run = finished_run(services(app).hub)
    html = client.get(f"/runs/{run.id}/tree", query_string={"q": "SQUARE"}).text
    assert html.lstrip().startswith('<div id="tree"')
    assert set(row_outcomes(html)) == {2, 3}  # test_square[0] and [1], case-insensitively
    assert 'title="tests/test_params.py::test_square[0]"' in html
    nothing = client.get(f"/runs/{run.id}/tree", query_string={"q": "<zzz>"}).text
    assert row_outcomes(nothing) == {}
    assert "No test matches “&lt;zzz&gt;”." in nothing


def test_a_group_request_gives_that_groups_rows(app: Flask, client: FlaskClient) -> None:
    run = finished_run(services(app).hub)
    tree = services(app).renderer.tree(run.state)
    params = next(g for g in tree.roots if g.key == "tests/test_params.py")
    html = client.get(f"/runs/{run.id}/group/{params.id}").text
    titles = re.findall(r'class="name" title="([^"]+)"', html)
    assert titles == DEMO_IDS[2:]  # the file's tests, in order, and no other file's
    filtered = client.get(f"/runs/{run.id}/group/{params.id}", query_string={"q": "upper"}).text
    assert re.findall(r'class="name" title="([^"]+)"', filtered) == [DEMO_IDS[4]]


def test_an_unknown_group_is_404(app: Flask, client: FlaskClient) -> None:
    run = finished_run(services(app).hub)
    response = client.get(f"/runs/{run.id}/group/g999", headers=HX)
    assert response.status_code == 404 and "no such group in this run" in response.text


def test_detail_shows_the_traceback_and_the_tests_last_runs(
    app: Flask, client: FlaskClient
) -> None:
    run = finished_run(services(app).hub)
    response = client.get("/detail", query_string={"run": run.id, "nodeid": FAILING}, headers=HX)
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<aside id="detail"')
    assert f"<code>{FAILING}</code>" in html
    assert f'<span class="ln err">{escape(LONGREPR)}</span>' in html
    assert f'<a href="/runs/{run.id}"' in html  # its one kept outcome, linked to the run


def test_detail_without_htmx_is_the_whole_page_around_it(app: Flask, client: FlaskClient) -> None:
    run = finished_run(services(app).hub)
    html = client.get(f"/detail?run={run.id}&nodeid={quote(FAILING)}").text
    assert html.startswith(PAGE_START)
    assert f'data-run="{run.id}"' in html and f"<code>{FAILING}</code>" in html


def test_detail_of_an_unknown_test_or_without_a_collection_is_404(
    app: Flask, client: FlaskClient
) -> None:
    run = finished_run(services(app).hub)
    unknown = client.get("/detail", query_string={"run": run.id, "nodeid": "x.py::y"}, headers=HX)
    assert unknown.status_code == 404 and "no such test in this run" in unknown.text
    collected = client.get("/detail", query_string={"nodeid": FAILING}, headers=HX)
    assert collected.status_code == 404 and "no run &#39;collected&#39;" in collected.text


def test_a_running_tests_detail_says_it_runs(app: Flask, client: FlaskClient) -> None:
    hub = services(app).hub
    run = start_run(hub)
    hub.publish(run, [{"type": "test_start", "nodeid": FAILING, "location": ["x", 1, "y"]}])
    html = client.get("/detail", query_string={"run": run.id, "nodeid": FAILING}, headers=HX).text
    assert '<p class="quiet">Running…</p>' in html


def test_the_runs_page_lists_kept_runs_newest_first(app: Flask, client: FlaskClient) -> None:
    hub = services(app).hub
    first, second = finished_run(hub), finished_run(hub)
    page = client.get("/runs")
    assert page.status_code == 200 and page.text.startswith(PAGE_START)
    fragment = client.get("/runs", headers=HX).text
    assert fragment.lstrip().startswith('<section id="runs"')
    assert "2 kept" in fragment
    listed = re.findall(r'<a class="status" href="/runs/([^"]+)">finished</a>', fragment)
    assert listed == [second.id, first.id]


def test_the_runs_page_is_404_without_history(app_without_history: Flask) -> None:
    client = app_without_history.test_client()
    response = client.get("/runs", headers={"Authorization": f"Bearer {TOKEN}", **HX})
    assert response.status_code == 404
    assert "this server keeps no run history" in response.text


def test_changes_name_new_failures_and_fixes(app: Flask, client: FlaskClient) -> None:
    hub = services(app).hub
    finished_run(hub, {DEMO_IDS[0]: "failed", DEMO_IDS[1]: "passed"})
    run = finished_run(hub, {DEMO_IDS[0]: "passed", DEMO_IDS[1]: "failed"})
    full = client.get(f"/runs/{run.id}/changes").text
    assert full.lstrip().startswith('<aside id="detail" class="detail changes">')
    assert "2 compared" in full
    assert re.search(r"New failures <b>1</b>.*?<code>" + re.escape(DEMO_IDS[1]), full, re.S)
    assert re.search(r"Fixed <b>1</b>.*?<code>" + re.escape(DEMO_IDS[0]), full, re.S)
    bar = client.get(f"/runs/{run.id}/changes?bar=1").text
    assert '<span class="chg o-failed"><b>1</b> new failure</span>' in bar
    assert '<span class="chg o-passed"><b>1</b> fixed</span>' in bar


def test_a_first_run_has_an_empty_bar_and_a_running_one_no_changes(
    app: Flask, client: FlaskClient
) -> None:
    hub = services(app).hub
    first = finished_run(hub)
    bar = client.get(f"/runs/{first.id}/changes?bar=1").text
    assert re.fullmatch(r'\s*<span id="changes-bar" class="changes-bar">\s*</span>\s*', bar)
    running = start_run(hub)
    assert client.get(f"/runs/{running.id}/changes?bar=1").status_code == 200
    response = client.get(f"/runs/{running.id}/changes", headers=HX)
    assert response.status_code == 404
    assert "no comparison for this run" in response.text


def test_the_open_results_form_is_a_page_or_a_fragment(client: FlaskClient) -> None:
    page = client.get("/results")
    assert page.status_code == 200 and page.text.startswith(PAGE_START)
    assert 'id="results-link" aria-current="page"' in page.text
    fragment = client.get("/results", headers=HX).text
    assert fragment.lstrip().startswith('<section id="open-results"')
    assert 'name="file" id="result-files" multiple' in fragment


def test_rows_show_running_and_queued_tests_of_a_live_run(app: Flask, client: FlaskClient) -> None:
    hub = services(app).hub
    run = start_run(hub)
    run_tests(hub, run, {DEMO_IDS[0]: "passed"})
    hub.publish(run, [{"type": "test_start", "nodeid": DEMO_IDS[1], "location": ["x", 1, "y"]}])
    html = client.get(f"/runs/{run.id}", headers=HX).text
    assert row_outcomes(html) == {0: "passed", 1: "running", 2: "queued", 3: "queued", 4: "queued"}
    assert f'hx-post="/runs/{run.id}/cancel"' in html
