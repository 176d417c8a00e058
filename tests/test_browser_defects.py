"""Issue 11's defects, as a new user meets them in Chromium: each test failed before its fix."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from support import Server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

RED = re.compile(r"\bt-failed\b")


def fetch(page: Page, k: str = "") -> None:
    page.fill("input[name=k]", k)
    page.click("#fetch")


def wait_status(page: Page, status: str) -> None:
    expect(page.locator("#run-head .status")).to_have_text(status, timeout=60_000)


def test_fetching_twice_shows_each_collection(demo_server: Server, page: Page) -> None:
    """Every discovery is a run with the id "collected": its tree was taken for the last one's."""
    page.goto(demo_server.page_url)
    fetch(page, "test_square")
    expect(page.locator("li.t")).to_have_count(8)
    fetch(page, "test_title")
    expect(page.locator("#run-head .what")).to_contain_text("3 tests")
    expect(page.locator("li.t")).to_have_count(3)
    expect(page.locator("li.t .name").first).to_have_text("test_title[pytest]")
    fetch(page, "")  # wider: every test, not the old subset
    expect(page.locator("#run-head .what")).to_contain_text("24 tests")
    expect(page.locator("li.t")).to_have_count(24)
    page.reload()
    expect(page.locator("#run-head")).to_be_visible()


def test_a_run_with_failures_is_red_in_the_head_and_on_the_runs_page(
    demo_server: Server, page: Page
) -> None:
    demo_server.wait_run(demo_server.start_run())
    page.goto(demo_server.page_url)
    head = page.locator("#run-head")
    expect(head).to_have_class(RED)
    failed = page.evaluate("getComputedStyle(document.querySelector('.count.o-failed b')).color")
    assert head.locator(".status").evaluate("e => getComputedStyle(e).color") == failed
    page.goto(demo_server.url + "/runs")
    row = page.locator("#runs tbody tr").first
    expect(row).to_have_class(RED)
    assert row.locator(".status").evaluate("e => getComputedStyle(e).color") == failed


def test_a_cancelled_run_counts_what_ran_and_leaves_no_stale_notes(
    make_server, slow_repo, page: Page
) -> None:
    server = make_server(slow_repo)
    server.wait_run(server.start_run())
    page.goto(server.page_url)
    page.click("#run-all")
    wait_status(page, "finished")
    page.locator("#changes-bar a").click()  # the second run's "what changed" pane
    expect(page.locator("#detail.changes")).to_be_visible()
    page.click("#run-all")
    expect(page.locator("#detail.changes")).to_have_count(0)  # not beside the new run
    page.wait_for_function("() => document.querySelectorAll('.st.o-passed').length >= 2")
    page.click("#cancel")
    wait_status(page, "cancelled")
    expect(page.locator("#notice")).not_to_contain_text("Cancelling")
    run = server.api("GET", "/api/runs").json()["runs"][0]
    ran = sum(run["counts"].values())
    assert ran < 12
    expect(page.locator("#run-head .done")).to_have_text(f"{ran}/12")
    expect(page.locator("#changes-bar")).to_contain_text(f"cancelled: the {ran} tests that ran")


@pytest.mark.parametrize("how", ["selected", "group", "failed"])
def test_a_partial_run_keeps_the_whole_suite_in_the_tree(
    demo_server: Server, page: Page, how: str
) -> None:
    page.goto(demo_server.page_url)
    page.click("#run-all")
    wait_status(page, "finished")
    if how == "selected":
        page.locator("li.t", has_text="test_upper").locator("input[type=checkbox]").check()
        page.click("#run-selected")
        ran = 1
    elif how == "group":
        page.locator("summary:has-text('test_square')").hover()
        page.get_by_role("button", name="Run tests/test_params.py::test_square").click()
        ran = 8
    else:
        page.click("#run-failed")
        ran = 5  # 3 failed, 2 errors
    expect(page.locator("#run-head .done")).to_have_text(re.compile(rf"/{ran}$"), timeout=60_000)
    wait_status(page, "finished")
    expect(page.locator("li.t")).to_have_count(24)
    expect(page.locator("li.t .st.o-none")).to_have_count(24 - ran)


def test_a_detail_says_why_in_words_with_durations_that_differ(
    demo_server: Server, page: Page
) -> None:
    demo_server.wait_run(demo_server.start_run())
    page.goto(demo_server.page_url)
    detail = page.locator("#detail")
    page.click("li.t .name >> text=test_skipped")
    expect(detail.locator(".reason")).to_have_text("Skipped: not on this platform")
    expect(detail).not_to_contain_text("('")
    page.click("li.t .name >> text=test_xfailed")
    expect(detail.locator(".reason")).to_contain_text("known bug #12")
    page.click("li.t .name >> text=test_xpassed")
    expect(detail.locator(".reason")).to_contain_text("was broken, maybe fixed")
    durations = page.locator("li.t .st").all_inner_texts()
    assert "0 ms" not in [d.strip() for d in durations]


def test_a_failure_is_coloured_wrapped_and_marked(demo_server: Server, page: Page) -> None:
    demo_server.wait_run(demo_server.start_run())
    page.goto(demo_server.page_url)
    page.click("li.t .name >> text=test_fails")
    trace = page.locator("#detail .longrepr")
    expect(trace).to_contain_text("AssertionError")
    expect(trace).not_to_contain_text("[31m")
    expect(trace.locator("[class*=ansi]").first).to_be_attached()  # pytest's colours, as HTML
    expect(trace.locator(".fail-line")).to_contain_text("assert actual == expected")
    wide = trace.evaluate("e => e.scrollWidth > e.clientWidth + 1")
    assert not wide, "traceback lines are cut off instead of wrapped"
    page.click("li.t .name >> text=test_logs_and_fails")
    log = page.locator("#detail pre.section", has_text="about to fail")  # pytest colours WARNING
    expect(log).not_to_contain_text("[33m")
    expect(log.locator("span.ansi33")).to_have_text("WARNING ")


def test_at_800px_a_clicked_tests_detail_is_in_view(demo_server: Server, page: Page) -> None:
    demo_server.wait_run(demo_server.start_run())
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(demo_server.page_url)
    page.click("li.t .name >> text=test_split")
    detail = page.locator("#detail h2")
    expect(detail).to_have_text(re.compile("test_split"))
    page.wait_for_timeout(300)  # a smooth scroll, if any, ends
    box = detail.bounding_box()
    assert box is not None and 0 <= box["y"] < 900, f"the detail is at y={box}"


def test_long_ids_that_differ_at_the_end_read_apart(make_server, tmp_path, page: Page) -> None:
    repo = tmp_path / "long"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_long.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.parametrize('value', [1, 2],"
        f" ids=['{'x' * 120}-first', '{'x' * 120}-second'])\n"
        "def test_value(value):\n    pass\n\n"
        "@pytest.mark.skip(reason='later')\ndef test_later():\n    pass\n\n"
        "import json\n\ndef test_deep():\n    json.loads('{')\n"
    )
    server = make_server(repo)
    server.wait_run(server.start_run())
    page.goto(server.page_url)
    for end in ("-first]", "-second]"):
        name = page.locator("li.t .name", has_text=end)
        expect(name).to_be_visible()
        cut = name.evaluate("e => e.scrollWidth > e.clientWidth + 1")
        assert not cut, f"the name ending {end} is cut off"
    file_summary = page.locator("summary", has_text="tests/test_long.py")
    expect(file_summary).to_contain_text("1 skipped")
    # A long traceback: the test's own frame and the one that raised, json's others folded.
    page.locator("#tree .name", has_text="test_deep").click()
    trace = page.locator("#detail .longrepr")
    expect(trace.locator(".fail-line").first).to_contain_text("json.loads('{')")
    expect(trace.locator(".err")).to_contain_text("JSONDecodeError")
    frames = trace.locator("details.frames")
    expect(frames.locator("summary")).to_contain_text("json/")
    expect(frames.locator(".ln").first).to_be_hidden()
    frames.locator("summary").click()
    expect(frames.locator(".ln").first).to_be_visible()
