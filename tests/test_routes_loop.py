"""The edit-run loop's routes, in-process: a deep link renders its view, the tree by duration and
the slowest phases, subtests under their test, the editor and theme cookies, watch from the
page's form, and the run form's options."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from events import DEMO_IDS, FAILING, finish, row_names, start_run
from flask import Flask
from flask.testing import FlaskClient

from pytest_web.core import test_record
from pytest_web.web.prefs import EDITOR_COOKIE, THEME_COOKIE
from pytest_web.web.run_form import form_state, options_from
from pytest_web.web.services import services

FAST, SLOW = "tests/test_params.py::test_square[0]", "tests/test_params.py::test_square[1]"


def timed_run(app: Flask, **extra: Any) -> Any:
    """A finished run of the demo ids, each test's call taking its own time (SLOW the most),
    FAILING failed and SLOW with a slow setup."""
    hub = services(app).hub
    run = start_run(hub)
    events: list[dict[str, Any]] = []
    times = {DEMO_IDS[0]: 0.02, FAILING: 0.5, FAST: 0.001, SLOW: 2.0, DEMO_IDS[4]: 0.03}
    for line, nodeid in enumerate(DEMO_IDS):
        failed = nodeid == FAILING
        call = {"when": "call", "outcome": "failed" if failed else "passed"}
        call["duration"] = times[nodeid]
        if failed:
            call["longrepr"] = "tests/test_outcomes.py:17: in test_fails\nE   assert 1 == 2"
        setup = {"when": "setup", "outcome": "passed", "duration": 3.0 if nodeid == SLOW else 0}
        events.append(
            {
                "type": "test_end",
                "nodeid": nodeid,
                "location": [nodeid.split("::")[0], line + 10, ""],
                "phases": [setup, call],
            }
        )
    hub.publish(run, events + extra.get("before_end", []))
    finish(hub, run)
    return run


def test_a_deep_link_renders_the_test_filter_search_and_order_it_names(
    app: Flask, client: FlaskClient
) -> None:
    run = timed_run(app)
    html = client.get(f"/runs/{run.id}?test={quote(FAILING)}&show=failed&q=fails").text
    assert f'data-nodeid="{FAILING}"' in html  # the detail is that test's
    assert 'id="show-failed" checked' in html
    assert 'id="search" placeholder="Search tests  /" aria-label="Search tests" value="fails"' in (
        html
    )
    assert row_names(html) == [FAILING]
    plain = client.get(f"/runs/{run.id}?show=nonsense&sort=nonsense&test=nope").text
    assert 'id="show-all" checked' in plain and 'data-sort=""' in plain
    assert len(row_names(plain)) == len(DEMO_IDS)


def test_sorted_by_duration_the_slowest_come_first_and_groups_say_their_totals(
    app: Flask, client: FlaskClient
) -> None:
    run = timed_run(app)
    html = client.get(f"/runs/{run.id}?sort=duration").text
    assert 'data-sort="duration"' in html and '<option value="duration" selected>' in html
    names = row_names(html)
    assert names.index(SLOW) < names.index(FAST)  # in their file, 5 s before 1 ms
    assert names.index(SLOW) < names.index(FAILING)  # test_params.py (5.03 s) first
    totals = re.findall(r'<span class="gd" title="time its tests took">([^<]+)</span>', html)
    assert totals and totals[0].startswith("5.0")
    tree = client.get(f"/runs/{run.id}/tree?sort=duration").text  # the view form's request
    assert row_names(tree) == names
    in_order = row_names(client.get(f"/runs/{run.id}").text)
    assert in_order == DEMO_IDS


def test_the_slowest_view_lists_setup_call_and_teardown_apart(
    app: Flask, client: FlaskClient
) -> None:
    run = timed_run(app)
    html = client.get(f"/runs/{run.id}/slowest", headers={"HX-Request": "true"}).text
    rows = re.findall(
        r'<tr><td class="num">([^<]+)</td><td>(\w+)</td><td><a [^>]*title="([^"]+)"', html
    )
    assert [(when, nodeid) for _, when, nodeid in rows[:3]] == [
        ("setup", SLOW),
        ("call", SLOW),
        ("call", FAILING),
    ]
    assert 'id="slowest-link"' in client.get(f"/runs/{run.id}").text


def subtest(nodeid: str, outcome: str, category: str, i: int) -> dict[str, Any]:
    phase = {
        "when": "call",
        "outcome": outcome,
        "duration": 0.001,
        "subtest": {"msg": "case", "params": {"i": str(i)}},
        "category": category,
    }
    if outcome == "failed":
        phase["longrepr"] = f"tests/test_outcomes.py:30: in test_passes\nE   assert {i} < 3"
    return {"type": "subtest_end", "nodeid": nodeid, "phase": phase}


def test_subtests_show_under_their_test_with_their_own_traceback_and_in_the_head(
    app: Flask, client: FlaskClient
) -> None:
    many = DEMO_IDS[0]
    events = [
        subtest(many, "passed", "subtests passed", i) for i in range(test_record.SUBTESTS_SHOWN)
    ]
    events += [
        subtest(many, "passed", "subtests passed", 500),
        subtest(many, "failed", "failed", 7),
    ]
    run = timed_run(app, before_end=events)
    detail = client.get(f"/detail?run={run.id}&nodeid={quote(many)}").text
    shown = test_record.SUBTESTS_SHOWN + 1
    assert f"<h3>{test_record.SUBTESTS_SHOWN + 2} subtests (showing {shown})</h3>" in detail
    assert "<code>[case] (i=0)</code>" in detail and "(i=500)" not in detail
    assert "assert 7 &lt; 3" in detail  # the failed one's own traceback
    assert detail.count('<li><span class="st o-passed') == test_record.SUBTESTS_SHOWN
    head = client.get(f"/runs/{run.id}").text
    assert re.search(r"<b>101</b> subtests passed", head)


def test_the_editor_chosen_in_the_page_is_checked_kept_in_a_cookie_and_linked(
    app: Flask, client: FlaskClient
) -> None:
    run = timed_run(app)
    detail = f"/detail?run={run.id}&nodeid={quote(FAILING)}"
    assert "edit-test" not in client.get(detail).text  # off unless set
    saved = client.post("/settings", data={"editor": "vscode"})
    assert saved.status_code == 200 and EDITOR_COOKIE in saved.headers["Set-Cookie"]
    assert "HttpOnly" in saved.headers["Set-Cookie"]
    html = client.get(detail).text
    repo = str(services(app).settings.repo).lstrip("/")
    assert (
        f'class="edit-test" href="vscode://file/{repo}/tests/test_outcomes.py:12"' in html
    )  # 0-based
    assert f'href="vscode://file/{repo}/tests/test_outcomes.py:17"' in html  # the frame
    refused = client.post("/settings", data={"editor": "custom", "template": "javascript:{path}"})
    assert 'role="alert"' in refused.text and "Set-Cookie" not in refused.headers
    client.set_cookie(EDITOR_COOKIE, "javascript:alert(1)//{path}")  # forged: ignored
    assert "javascript:" not in client.get(detail).text
    client.post("/settings", data={"editor": "none"})
    assert "edit-test" not in client.get(detail).text


def test_the_copy_buttons_carry_the_node_id_and_the_command_that_reruns_it(
    app: Flask, client: FlaskClient
) -> None:
    run = timed_run(app)
    run.state.selection["options"] = ["-x", "--tb=short"]
    html = client.get(f"/detail?run={run.id}&nodeid={quote(FAILING)}").text
    assert f'data-copy="{FAILING}"' in html
    assert f'data-copy="pytest -x --tb=short {FAILING}"' in html


def test_the_theme_cookie_is_in_the_first_paint(client: FlaskClient) -> None:
    assert "data-theme" not in client.get("/").text.split(">", 2)[1]
    client.set_cookie(THEME_COOKIE, "dark")
    page = client.get("/").text
    assert '<html lang="en" data-theme="dark">' in page
    assert 'id="theme-toggle" data-theme="dark"' in page
    client.set_cookie(THEME_COOKIE, "<script>")
    assert '<html lang="en">' in client.get("/").text


def test_watch_from_the_page_form_and_its_scope(app: Flask, client: FlaskClient) -> None:
    watching = services(app).watching
    try:
        html = client.post("/watch", data={"enabled": "on", "scope": "failed"}).text
        assert watching.enabled and watching.scope == "failed"
        assert "Watching" in html and '<option value="failed" selected>' in html
        api = client.get("/api/watch").json
        assert api["enabled"] is True and api["scope"] == "failed"  # one state, two doors
        assert client.post("/watch", data={"scope": "everything"}).status_code == 400
        client.post("/watch", data={"scope": "all"})
        assert not watching.enabled
    finally:
        watching.set(False)


def test_the_options_menu_turns_into_options_and_back() -> None:
    fields = {
        "flag": ["-x", "--lf"],
        "verbosity": ["-v"],
        "maxfail": ["3"],
        "reruns": [""],
        "tb": ["short"],
        "dist": [""],
        "noplugins": ["randomly, no:cacheprovider"],
    }
    options = options_from(fields)
    assert options == [
        "-x",
        "--lf",
        "-v",
        "--maxfail=3",
        "--tb=short",
        "-p no:randomly",
        "-p no:cacheprovider",
    ]
    state = form_state(options)
    assert state.flags == {"-x", "--lf"} and state.verbosity == "-v"
    assert state.numbers == {"maxfail": "3"} and state.choices == {"tb": "short"}
    assert state.noplugins == ["randomly", "cacheprovider"] and state.count == 7
    assert form_state(["--exitfirst"]).flags == {"-x"}
