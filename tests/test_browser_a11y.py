"""Accessible: axe-core (from the axe-playwright-python wheel, nothing downloaded) finds no
serious or critical violation on the live page, a past run, the runs page and the viewer, in
light and dark; a test's status reads without colour; one tab stop per row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from support import Server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SCHEMES = ("light", "dark")


def serious(page: Page) -> list[str]:
    """axe's serious and critical violations on the page as it is now, one line each."""
    found = Axe().run(page).response["violations"]
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def check_schemes(page: Page, ready: Callable[[], None]) -> list[str]:
    problems = []
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        ready()
        problems += [f"{scheme}: {line}" for line in serious(page)]
    return problems


def loop_views(page: Page) -> list[str]:
    """The edit-run loop's parts: the slowest view, the options menu, the keys dialog, and the
    theme toggle forced against the system's scheme, each way."""
    problems = []
    page.click("#slowest-link")
    problems += check_schemes(page, lambda: expect(page.locator("#detail.slowest")).to_be_visible())
    page.locator("#options summary").click()
    problems += check_schemes(
        page, lambda: expect(page.locator("#options .menu-body")).to_be_visible()
    )
    page.locator("#options summary").click()
    page.locator("#keys-button").click()
    problems += check_schemes(page, lambda: expect(page.locator("#keys")).to_be_visible())
    page.keyboard.press("Escape")
    page.locator("li.t .name").first.click()  # a failure's traceback, in the forced themes
    toggle = page.locator("#theme-toggle")
    for system, forced in (("dark", "Light"), ("light", "Dark")):
        page.emulate_media(color_scheme=system)
        while forced not in toggle.inner_text():
            toggle.click()
        problems += [f"{forced} on a {system} system: {line}" for line in serious(page)]
    while "Auto" not in toggle.inner_text():
        toggle.click()
    return problems


def test_the_live_page_a_past_run_and_the_runs_page(demo_server: Server, page: Page) -> None:
    past = demo_server.wait_run(demo_server.start_run())["id"]
    problems = []
    page.goto(demo_server.page_url)
    page.click("#run-all")
    expect(page.locator("#run-head .status")).to_have_text("running")
    problems += [f"running: {p}" for p in serious(page)]  # the live page mid-run
    expect(page.locator("#run-head .status")).to_have_text("finished", timeout=60_000)
    expect(page.locator("#detail h2")).to_be_visible()  # the first failure, opened

    def changes_shown() -> None:
        page.locator("#changes-bar a").click()
        expect(page.locator("#detail.changes")).to_be_visible()

    problems += check_schemes(page, lambda: None)  # finished, the failure's traceback beside it
    problems += check_schemes(page, changes_shown)
    page.click("#failures-link")
    problems += check_schemes(
        page, lambda: expect(page.locator("#detail.failures")).to_be_visible()
    )
    page.click("label.chip:has(#show-failed)")
    problems += check_schemes(page, lambda: expect(page.locator("li.t")).to_have_count(6))
    problems += loop_views(page)
    page.goto(f"{demo_server.url}/runs/{past}")
    problems += check_schemes(page, lambda: expect(page.locator("#past")).to_be_visible())
    page.goto(f"{demo_server.url}/runs")
    problems += check_schemes(page, lambda: expect(page.locator("#runs tbody tr")).to_have_count(2))
    page.goto(f"{demo_server.url}/results")
    problems += check_schemes(page, lambda: expect(page.locator("#open-results")).to_be_visible())
    assert problems == []


def test_the_viewer(make_server, junit_file: Path, page: Page) -> None:
    """`pytest-web view FILE`: read-only, its failure opened beside the tree."""
    viewer: Server = make_server(Path("view"), str(junit_file))
    page.goto(viewer.page_url)
    expect(page.locator("#detail h2")).to_have_text("test_refunds")
    problems = check_schemes(page, lambda: None)
    page.click("label.chip:has(#show-failed)")
    problems += check_schemes(page, lambda: expect(page.locator("li.t")).to_have_count(1))
    assert problems == []


def test_a_status_reads_without_colour_and_a_row_is_one_tab_stop(
    demo_server: Server, page: Page
) -> None:
    demo_server.wait_run(demo_server.start_run())
    page.goto(demo_server.page_url)
    row = page.locator("li.t", has_text="test_teardown_error")
    expect(row.locator(".st")).to_contain_text("error")  # a word, not a colour alone
    passed = page.locator("li.t", has_text="test_passes").locator(".st .w")
    expect(passed).to_have_text("passed")  # said to a screen reader, not shown
    stops = page.evaluate(
        """() => [...document.querySelectorAll('li.t')].map(row =>
            [...row.querySelectorAll('a, button, input, [tabindex]')]
                .filter(e => e.tabIndex >= 0).length)"""
    )
    assert set(stops) == {1}
    page.locator("li.t .name").first.focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("li.t .name").nth(1)).to_be_focused()
    page.keyboard.press(" ")
    expect(page.locator("li.t").nth(1).locator("input")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page.locator("#detail h2")).to_have_text("test_fails")
    assert page.locator("summary button").count() == 0
    assert page.locator("ul > form, ol > form").count() == 0
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("#run-head [role=status]")).to_have_text("finished")
