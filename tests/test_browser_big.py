"""A big run in Chromium: the page holds a bounded number of rows while it runs and after it
(what made a click take seconds during a 10,000-test run, and a chip switch freeze after it),
and the Failed chip shows the failures open, not closed groups to open one by one.

2,500 tests (above `LAZY_ROWS`) stand for 10,000 here; bench/page_clicks.py measures 10,000.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pytest_web.web.tree_view import GROUP_ROWS, LAZY_ROWS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FILES, PER_FILE = 25, 100


def big_suite(root: Path) -> Path:
    """FILES files of PER_FILE tests, a few milliseconds each; the 8th test of each file fails."""
    (root / "tests").mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    for number in range(FILES):
        (root / "tests" / f"test_big_{number:02}.py").write_text(
            "import time, pytest\n\n"
            f"@pytest.mark.parametrize('n', range({PER_FILE}))\n"
            "def test_case(n):\n"
            "    time.sleep(0.002)\n"
            "    assert n != 7, 'the seventh goes wrong'\n"
        )
    return root


def rows_in_page(page: Page) -> int:
    return int(page.evaluate("document.querySelectorAll('li.t').length"))


def test_a_big_run_holds_few_rows_and_answers_a_click_while_it_runs(
    make_server, tmp_path: Path, page: Page
) -> None:
    assert FILES * PER_FILE > LAZY_ROWS
    server = make_server(big_suite(tmp_path / "big"))
    page.goto(server.page_url)
    page.click("#run-all")
    expect(page.locator("#run-head .status")).to_have_text("running")
    expect(page.locator("details.g.lazy")).to_have_count(FILES, timeout=60_000)
    assert rows_in_page(page) == 0  # the files are closed and hold no rows yet
    group = page.locator("details.g.lazy").nth(3)
    with page.expect_request(lambda r: "/group/" in r.url) as opening:
        group.locator("summary").click()
    assert opening.value.headers.get("x-tab")  # so the stream sends this tab the group's rows
    expect(group.locator("li.t")).to_have_count(PER_FILE)
    group.locator("li.t .name").nth(50).click()
    expect(page.locator("#detail h2")).to_have_text("test_case[50]")
    assert rows_in_page(page) <= GROUP_ROWS
    expect(page.locator("#run-head .status")).to_have_text("finished", timeout=120_000)
    run = server.api("GET", "/api/runs").json()["runs"][0]
    outcomes = {
        t["nodeid"]: t["outcome"]
        for t in server.api("GET", f"/api/runs/{run['id']}").json()["tests"]
    }
    shown = group.locator("li.t").evaluate_all(
        """rows => rows.map(r => [r.querySelector('.name').title,
            [...r.querySelector('.st').classList].find(c => c.startsWith('o-')).slice(2)])"""
    )
    assert shown and all(outcomes[nodeid] == outcome for nodeid, outcome in shown)


def test_the_failed_chip_opens_on_the_failures_of_a_big_run(
    make_server, tmp_path: Path, page: Page
) -> None:
    server = make_server(big_suite(tmp_path / "big"))
    server.wait_run(server.start_run(workers=2), timeout=300)
    page.goto(server.page_url)
    expect(page.locator("#n-failed")).to_have_text(str(FILES))
    page.click("label.chip:has(#show-failed)")
    failures = page.locator("li.t:visible")
    expect(failures).to_have_count(FILES)  # every failure in view, no group to open
    expect(page.locator(".lazy-note")).to_have_count(0)
    assert rows_in_page(page) == FILES
    expect(failures.first.locator(".st")).to_have_class("st o-failed f-failed")
    page.click("label.chip:has(#show-all)")
    expect(page.locator("details.g.lazy")).to_have_count(FILES)
    assert rows_in_page(page) == 0
