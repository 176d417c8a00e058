"""The page in Chromium: fetch, run, watch live, reload, cancel, two tabs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from support import Server, shown

pytestmark = [pytest.mark.slow, pytest.mark.browser]

COUNTED = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


def page_counts(page: Page) -> dict[str, int]:
    """The head's counts: the six outcomes, and reruns when it shows them."""
    return page.eval_on_selector_all(
        "#run-head .counts [data-count]",
        "spans => Object.fromEntries("
        "spans.map(s => [s.dataset.count, +s.querySelector('b').textContent]))",
    )


def row_statuses(page: Page) -> dict[str, str]:
    """Node id -> outcome class of each row, as the page shows it."""
    return page.eval_on_selector_all(
        "li.t",
        """rows => Object.fromEntries(rows.map(r => [
            r.querySelector('input').value,
            [...r.querySelector('.st').classList].find(c => c.startsWith('o-')).slice(2)]))""",
    )


def api_statuses(server: Server, run_id: str) -> dict[str, str]:
    run = server.api("GET", f"/api/runs/{run_id}").json()
    return {t["nodeid"]: t["outcome"] for t in run["tests"]}


def wait_finished(page: Page, status: str = "finished") -> None:
    expect(page.locator("#run-head .status")).to_have_text(status, timeout=60_000)


def test_fetch_shows_the_tree_with_counts(demo_server: Server, page: Page) -> None:
    page.goto(demo_server.page_url)
    page.click("#fetch")
    expect(page.locator("#run-head .status")).to_have_text("collected")
    expect(page.locator("#run-head .what")).to_contain_text("24 tests")
    file_group = page.locator("summary", has_text="tests/test_params.py")
    expect(file_group.locator(".gn")).to_have_text("16 tests")
    expect(page.locator("summary", has_text="test_square").locator(".gn")).to_have_text("8 tests")
    expect(page.locator("li.t")).to_have_count(24)


def test_bad_k_expression_is_a_clear_message(demo_server: Server, page: Page) -> None:
    page.goto(demo_server.page_url)
    page.fill("input[name=k]", "(((")
    page.click("#fetch")
    notice = page.locator("#notice")
    expect(notice).to_contain_text("Wrong expression passed to '-k'")
    expect(notice).to_have_class(re.compile("error"))


def test_run_all_streams_live_and_ends_with_pytest_counts(
    make_server, slow_repo, page: Page
) -> None:
    server = make_server(slow_repo)
    page.goto(server.page_url)
    page.click("#run-all")
    expect(page.locator("#run-head .status")).to_have_text("running")
    # Counters move while the run goes: some done, not all.
    page.wait_for_function(
        "() => { const d = document.querySelector('#run-head .done');"
        " if (!d) return false; const [a, b] = d.textContent.split('/').map(Number);"
        " return a > 0 && a < b; }",
        timeout=30_000,
    )
    expect(page.locator(".st.o-running")).not_to_have_count(0)
    wait_finished(page)
    run_id = server.api("GET", "/api/runs").json()["runs"][0]["id"]
    run = server.api("GET", f"/api/runs/{run_id}").json()
    assert (
        page_counts(page)
        == shown(run["counts"])
        == {**dict.fromkeys(COUNTED, 0), "passed": 10, "failed": 2}
    )
    assert row_statuses(page) == api_statuses(server, run_id)
    page.locator("#output-panel summary").click()
    expect(page.locator("#output")).to_contain_text("2 failed, 10 passed")


def test_detail_shows_traceback_and_captured_output(demo_server: Server, page: Page) -> None:
    demo_server.wait_run(demo_server.start_run())
    page.goto(demo_server.page_url)
    page.click("li.t .name >> text=test_logs_and_fails")
    detail = page.locator("#detail")
    expect(detail.locator(".outcome")).to_have_text("failed")
    expect(detail.locator(".longrepr")).to_contain_text("ValueError: something went wrong")
    expect(detail).to_contain_text("Captured stderr call")
    expect(detail).to_contain_text("to stderr")
    expect(detail).to_contain_text("about to fail")
    expect(detail).to_contain_text("tests/test_outcomes.py:20")
    page.click("li.t .name >> text=test_passes")
    expect(detail.locator(".outcome")).to_have_text("passed")
    expect(detail).to_contain_text("hello from stdout")


def test_filter_failed_shows_only_failures(demo_server: Server, page: Page) -> None:
    demo_server.wait_run(demo_server.start_run())
    page.goto(demo_server.page_url)
    page.click("label.chip:has(#show-failed)")
    visible = page.locator("li.t:visible")
    expect(visible).to_have_count(6)  # 3 failed, 2 errors, 1 xpassed
    page.click("label.chip:has(#show-all)")
    page.fill("#search", "square")
    expect(page.locator("li.t")).to_have_count(8)


def test_reload_mid_run_and_after_shows_the_same_state(make_server, slow_repo, page: Page) -> None:
    server = make_server(slow_repo)
    run_id = server.start_run()
    page.goto(server.page_url)
    page.wait_for_function(
        "() => document.querySelectorAll('.st.o-passed').length >= 2", timeout=30_000
    )
    page.reload()
    expect(page.locator("#run-head .status")).to_have_text("running")
    assert page.locator(".st.o-passed").count() >= 2  # results before the reload are there
    wait_finished(page)
    assert row_statuses(page) == api_statuses(server, run_id)
    page.reload()
    wait_finished(page)
    assert row_statuses(page) == api_statuses(server, run_id)
    assert page_counts(page) == shown(server.api("GET", f"/api/runs/{run_id}").json()["counts"])


def test_cancel_keeps_finished_results(make_server, slow_repo, page: Page) -> None:
    server = make_server(slow_repo)
    page.goto(server.page_url)
    page.click("#run-all")
    page.wait_for_function(
        "() => document.querySelectorAll('.st.o-passed').length >= 2", timeout=30_000
    )
    page.click("#cancel")
    wait_finished(page, "cancelled")
    run = server.api("GET", "/api/runs").json()["runs"][0]
    assert run["status"] == "cancelled"
    assert run["counts"]["passed"] >= 2
    assert sum(run["counts"].values()) < 12
    assert page_counts(page) == shown(run["counts"])


def test_two_tabs_agree(make_server, slow_repo, browser) -> None:
    server = make_server(slow_repo)
    tabs = [browser.new_context().new_page() for _ in range(2)]
    for tab in tabs:
        tab.goto(server.page_url)
    tabs[0].click("#run-all")
    for tab in tabs:
        wait_finished(tab)
    run_id = server.api("GET", "/api/runs").json()["runs"][0]["id"]
    expected = api_statuses(server, run_id)
    assert row_statuses(tabs[0]) == row_statuses(tabs[1]) == expected
    assert page_counts(tabs[0]) == page_counts(tabs[1])
    for tab in tabs:
        tab.context.close()


def test_the_output_pane_keeps_a_bounded_tail(demo_server: Server, page: Page) -> None:
    """A verbose 100,000-test run prints a line per test: the pane keeps its last pieces."""
    page.goto(demo_server.page_url)
    page.click("#run-all")
    wait_finished(page)
    expect(page.locator("#output")).to_contain_text("passed")
    kept = page.evaluate(
        """() => {
          const pre = document.getElementById("output");
          for (let i = 0; i < 6000; i++) pre.append(Object.assign(document.createElement("span"),
            {textContent: `line ${i}\\n`}));
          document.dispatchEvent(new CustomEvent("htmx:after:swap", {detail: {}}));
          return [pre.childNodes.length, pre.lastChild.textContent, pre.firstChild.textContent];
        }"""
    )
    assert kept[0] == 3001 and kept[1] == "line 5999\n" and kept[2].startswith("[earlier output")
