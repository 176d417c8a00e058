"""Failures in front of you: when a run ends with failures the head says so in red with the first
failure's message, that failure opens by itself (unless the user opened a test meanwhile), the
list of failures is one click away, the chips count, and the tab's title and icon tell the state
from another tab."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from support import Server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FIRST = "tests/test_outcomes.py::test_fails"


def icon(page: Page) -> str:
    return str(page.evaluate("document.querySelector('#favicon').getAttribute('href')"))


def test_a_run_that_ends_with_failures_puts_them_in_front(demo_server: Server, page: Page) -> None:
    page.goto(demo_server.page_url)
    page.click("#run-all")
    expect(page.locator("#run-head .status")).to_have_text("running")
    expect(page).to_have_title(re.compile(r"^Running \d+/24 · pytest-web$"))
    assert icon(page).endswith("icons/running.svg")
    expect(page.locator("#run-head .status")).to_have_text("finished", timeout=60_000)
    head = page.locator("#run-head")
    expect(head).to_have_class(re.compile(r"\bt-failed\b"))
    first = head.locator(".first-failure")
    expect(first).to_contain_text("test_fails")
    expect(first.locator(".msg")).to_have_text(re.compile(r"^AssertionError: assert \{"))
    detail = page.locator("#detail")
    expect(detail.locator("h2")).to_have_text("test_fails")  # opened by itself
    expect(detail.locator(".longrepr")).to_contain_text("AssertionError")
    for chip, n in {"all": 24, "failed": 6, "passed": 16, "skipped": 2, "running": 0}.items():
        expect(page.locator(f"#n-{chip}")).to_have_text(str(n))
    expect(page).to_have_title("✕ 5 failed · pytest-web")
    assert icon(page).endswith("icons/failed.svg")
    page.click("#failures-link")
    listed = page.locator("#detail.failures li")
    expect(listed).to_have_count(6)
    expect(listed.first).to_contain_text(FIRST)
    expect(listed.first.locator(".msg")).to_contain_text("AssertionError")
    expect(listed.filter(has_text="test_setup_error").locator(".msg")).to_have_text(
        "RuntimeError: fixture could not start"
    )
    expect(listed.filter(has_text="test_xpassed").locator(".msg")).to_contain_text(
        "was broken, maybe fixed"
    )
    listed.filter(has_text="test_split").locator("a").click()
    expect(detail.locator("h2")).to_have_text("test_split")


def test_a_test_opened_during_the_run_stays_open(demo_server: Server, page: Page) -> None:
    page.goto(demo_server.page_url)
    page.click("#run-all")
    page.locator("#tree .name", has_text="test_upper").click()
    expect(page.locator("#detail h2")).to_have_text("test_upper")
    expect(page.locator("#run-head .status")).to_have_text("finished", timeout=60_000)
    expect(page.locator("#run-head .first-failure")).to_be_visible()
    page.wait_for_timeout(500)  # the end's message has been swapped in
    expect(page.locator("#detail h2")).to_have_text("test_upper")


def test_a_run_that_passes_says_so_in_the_tab(demo_server: Server, page: Page) -> None:
    demo_server.wait_run(demo_server.start_run(k="square"))
    page.goto(demo_server.page_url)
    expect(page).to_have_title("✓ All passed · pytest-web")
    assert icon(page).endswith("icons/passed.svg")
    expect(page.locator("#run-head")).to_have_class(re.compile(r"\bt-passed\b"))
    expect(page.locator("#run-head .first-failure")).to_have_count(0)
    expect(page.locator("#detail.idle")).to_be_attached()


def test_the_failed_filter_shows_failures_as_they_come(make_server, slow_repo, page: Page) -> None:
    """A filtered tree is rendered by the server; while the run goes it fetches itself again
    when the stream says the failed tests changed."""
    server: Server = make_server(slow_repo)
    page.goto(server.page_url)
    page.click("#run-all")
    expect(page.locator("#run-head .status")).to_have_text("running")
    page.click("label.chip:has(#show-failed)")
    expect(page.locator("#tree")).to_have_attribute("data-show", "failed")
    expect(page.locator("li.t")).to_have_count(1, timeout=60_000)  # test_step[3], live
    expect(page.locator("#run-head .status")).to_have_text("running")
    expect(page.locator("li.t")).to_have_count(2, timeout=60_000)
    expect(page.locator("li.t .name")).to_have_text(["test_step[3]", "test_step[7]"])
