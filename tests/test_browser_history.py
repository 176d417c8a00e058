"""Run history in Chromium: what changed, a test's last runs, the runs page, a past run."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from support import Server, summary_counts

pytestmark = [pytest.mark.slow, pytest.mark.browser]

OUTCOMES = "tests/test_outcomes.py"


def break_one_fix_one(server: Server) -> None:
    """test_passes now fails, test_fails now passes."""
    path = server.repo / OUTCOMES
    text = path.read_text()
    path.write_text(
        text.replace("assert 1 + 1 == 2", "assert 1 + 1 == 3").replace('"tests": 4}', '"tests": 3}')
    )


def test_what_changed_and_a_tests_last_runs(demo_server: Server, page: Page) -> None:
    first = demo_server.wait_run(demo_server.start_run())["id"]
    break_one_fix_one(demo_server)
    second = demo_server.wait_run(demo_server.start_run(workers=2))["id"]

    page.goto(demo_server.page_url)
    bar = page.locator("#changes-bar")
    expect(bar).to_contain_text("1 new failure")
    expect(bar).to_contain_text("1 fixed")
    bar.locator("a").click()
    lists = page.locator("#detail.changes")
    expect(lists.locator("details", has_text="New failures")).to_contain_text(
        f"{OUTCOMES}::test_passes"
    )
    expect(lists.locator("details", has_text="Fixed")).to_contain_text(f"{OUTCOMES}::test_fails")
    expect(lists.locator("details", has_text="Still failing")).to_contain_text("4")

    lists.get_by_text(f"{OUTCOMES}::test_passes").click()
    history = page.locator("#detail .test-history a")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_have_attribute("href", f"/runs/{second}")
    expect(history.nth(0)).to_have_class(re.compile(r"\bo-failed\b"))
    expect(history.nth(1)).to_have_attribute("href", f"/runs/{first}")
    expect(history.nth(1)).to_have_class(re.compile(r"\bo-passed\b"))
    expect(page.locator("#detail")).to_contain_text("assert 1 + 1 == 3")


def test_the_runs_page_opens_a_past_run_as_it_ended(demo_server: Server, page: Page) -> None:
    first = demo_server.wait_run(demo_server.start_run())
    break_one_fix_one(demo_server)
    demo_server.wait_run(demo_server.start_run())

    page.goto(demo_server.page_url)
    page.locator("#runs-link").click()
    rows = page.locator("#runs tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("17 passed")
    expect(rows.nth(1)).to_contain_text("all tests")
    rows.nth(1).get_by_role("link", name="finished").click()

    expect(page).to_have_url(re.compile(f"/runs/{first['id']}(\\?|$)"))  # ?test=: its failure
    expect(page.locator("#past")).to_contain_text("A past run")
    expect(page.locator("#live")).to_have_count(0)  # a past run does not follow the live one
    passes = page.locator("li.t", has=page.locator(f"input[value='{OUTCOMES}::test_passes']"))
    expect(passes.locator(".st")).to_have_class(re.compile(r"\bo-passed\b"))
    expect(page.locator("#run-head [data-count=passed] b")).to_have_text("17")
    page.locator("#past").get_by_role("link", name="Back to live").click()
    expect(page.locator("#live")).to_have_count(1)
    expect(passes.locator(".st")).to_have_class(re.compile(r"\bo-failed\b"))


def test_rerun_failed_on_a_past_run_reruns_its_failures_live(
    demo_server: Server, page: Page
) -> None:
    first = demo_server.wait_run(demo_server.start_run())
    failed = sorted(t["nodeid"] for t in first["tests"] if t["outcome"] in ("failed", "error"))
    break_one_fix_one(demo_server)
    demo_server.wait_run(demo_server.start_run(nodeids=[f"{OUTCOMES}::test_passes"]))

    page.goto(f"{demo_server.url}/runs/{first['id']}?token={demo_server.token}")
    expect(page.locator("#past")).to_be_visible()
    page.locator("#run-failed").click()
    expect(page.locator("#live")).to_have_count(1)  # the live page, following the new run
    expect(page.locator("#past")).to_have_count(0)
    expect(page.locator("#run-head .status")).to_have_text("finished", timeout=60_000)
    expect(page.locator("#run-head .done")).to_have_text(f"{len(failed)}/{len(failed)}")
    newest = demo_server.api("GET", "/api/runs").json()["runs"][0]
    expect(page).to_have_url(re.compile(f"/runs/{newest['id']}(\\?|$)"))  # the address names it
    assert sorted(newest["selection"]["nodeids"]) == failed
    assert newest["counts"] == summary_counts(demo_server.repo, *failed)  # test_fails now passes
