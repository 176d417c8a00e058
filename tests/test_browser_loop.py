"""The edit-run loop in Chromium: the keys, a deep link in a fresh tab (and without script), back
and forward, ▶ on a row, the copy buttons (read back from the clipboard), the editor links and
the theme toggle."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from support import Server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FAILS = "tests/test_outcomes.py::test_fails"


def finished_demo(server: Server, page: Page) -> str:
    """A finished run of the demo, open in `page` (its first failure opened): the run's id."""
    run_id = server.wait_run(server.start_run())["id"]
    page.goto(server.page_url)
    expect(page.locator("#detail h2")).to_have_text("test_fails")
    return run_id


def focused_row(page: Page) -> str:
    """The node id of the row whose name has the focus ('' for none)."""
    script = "document.activeElement.closest('li.t')?.querySelector('a.name').title || ''"
    return page.evaluate(script)


def address(page: Page) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(page.url)
    return parts.path, parse_qs(parts.query)


def test_the_keys_walk_the_tests_and_never_fire_while_typing(demo_server: Server, page: Page):
    finished_demo(demo_server, page)
    page.keyboard.press("j")  # from the open test (the first failure) to the next row
    assert focused_row(page) == "tests/test_outcomes.py::test_logs_and_fails"
    expect(page.locator("li.t:focus-within .go")).to_be_visible()  # ▶ on the focused row
    in_view = page.evaluate(
        "(() => { const r = document.activeElement.getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= innerHeight; })()"
    )
    assert in_view
    page.keyboard.press("ArrowDown")
    assert focused_row(page) == "tests/test_outcomes.py::test_setup_error"
    page.keyboard.press("k")
    page.keyboard.press("ArrowUp")
    assert focused_row(page) == FAILS
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.locator("#detail h2")).to_have_text("test_logs_and_fails")
    page.keyboard.press("n")  # next failure: opened, the error after it
    expect(page.locator("#detail h2")).to_have_text("test_setup_error")
    page.keyboard.press("p")
    page.keyboard.press("p")
    expect(page.locator("#detail h2")).to_have_text("test_fails")
    page.keyboard.press("p")  # from the first failure back round to the last
    expect(page.locator("#detail h2")).to_have_text("test_split")
    page.keyboard.press("/")
    expect(page.locator("#search")).to_be_focused()
    page.keyboard.type("jkfnr")  # typed into the search, none of them a key
    expect(page.locator("#search")).to_have_value("jkfnr")
    expect(page.locator("#tree")).to_have_attribute("data-show", "all")
    expect(page.locator("#detail h2")).to_have_text("test_split")
    page.keyboard.press("Escape")
    expect(page.locator("#search")).not_to_be_focused()
    page.fill("#search", "")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("f")
    expect(page.locator("#tree")).to_have_attribute("data-show", "failed")
    expect(page.locator("li.t")).to_have_count(6)
    assert address(page)[1]["show"] == ["failed"]
    page.keyboard.press("f")
    expect(page.locator("#tree")).to_have_attribute("data-show", "all")
    page.keyboard.press("?")
    expect(page.locator("#keys")).to_be_visible()
    expect(page.locator("#keys")).to_contain_text("next failure")
    page.keyboard.press("j")  # the dialog holds the keys
    page.keyboard.press("Escape")
    expect(page.locator("#keys")).to_be_hidden()
    page.keyboard.press("Escape")  # closes the detail
    expect(page.locator("#detail.idle")).to_be_attached()


def test_n_turns_on_the_failures_when_none_is_in_view(demo_server: Server, page: Page):
    finished_demo(demo_server, page)
    page.click("label.chip:has(#show-passed)")
    expect(page.locator("#tree")).to_have_attribute("data-show", "passed")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("n")
    expect(page.locator("#tree")).to_have_attribute("data-show", "failed")
    expect(page.locator("#detail h2")).to_have_text("test_fails")


def test_a_deep_link_opens_the_same_view_in_a_fresh_tab_and_without_script(
    demo_server: Server, page: Page, browser: Browser
):
    run_id = finished_demo(demo_server, page)
    page.click("label.chip:has(#show-failed)")
    expect(page.locator("li.t")).to_have_count(6)
    page.fill("#search", "logs")
    expect(page.locator("li.t")).to_have_count(1)
    page.locator("li.t .name").first.click()
    expect(page.locator("#detail h2")).to_have_text("test_logs_and_fails")
    path, args = address(page)
    assert path == f"/runs/{run_id}"
    assert args == {
        "test": ["tests/test_outcomes.py::test_logs_and_fails"],
        "q": ["logs"],
        "show": ["failed"],
    }
    link = page.url
    tab = page.context.new_page()  # the same browser: its login cookie
    tab.goto(link)
    expect(tab.locator("#detail h2")).to_have_text("test_logs_and_fails")
    expect(tab.locator("#show-failed")).to_be_checked()
    expect(tab.locator("#search")).to_have_value("logs")
    expect(tab.locator("li.t")).to_have_count(1)
    assert tab.url == link
    # Back and forward: the test opened before, then the filter, in place.
    page.go_back()
    expect(page.locator("#detail h2")).to_have_text("test_fails")
    expect(page.locator("li.t")).to_have_count(1)
    page.go_back()
    expect(page.locator("#tree")).to_have_attribute("data-show", "all")
    expect(page.locator("#show-all")).to_be_checked()
    page.go_forward()
    expect(page.locator("#tree")).to_have_attribute("data-show", "failed")
    # Without script, the server renders the same view for the link.
    plain = browser.new_context(java_script_enabled=False)
    try:
        static = plain.new_page()
        static.goto(demo_server.page_url)
        static.goto(link)
        expect(static.locator("#detail h2")).to_have_text("test_logs_and_fails")
        expect(static.locator("#show-failed")).to_be_checked()
        expect(static.locator("li.t")).to_have_count(1)
    finally:
        plain.close()


def test_run_one_test_from_its_row_and_with_r(demo_server: Server, page: Page):
    finished_demo(demo_server, page)
    row = page.locator("li.t", has_text="test_square[3]")
    row.hover()
    expect(row.locator(".go")).to_be_visible()
    row.locator(".go").click()
    expect(page.locator("#run-head .done")).to_have_text("1/1", timeout=60_000)
    expect(page.locator("#run-head .status")).to_have_text("finished", timeout=60_000)
    runs = demo_server.api("GET", "/api/runs").json()["runs"]
    assert runs[0]["selection"]["nodeids"] == ["tests/test_params.py::test_square[3]"]
    page.locator("li.t .name", has_text="test_square[5]").focus()
    page.keyboard.press("r")
    expect(page.locator("#run-head .status")).to_have_text("finished", timeout=60_000)
    runs = demo_server.api("GET", "/api/runs").json()["runs"]
    assert runs[0]["selection"]["nodeids"] == ["tests/test_params.py::test_square[5]"]
    assert len(runs) == 3


def test_the_copy_buttons_put_the_node_id_and_the_commands_on_the_clipboard(
    demo_server: Server, browser: Browser
):
    demo_server.wait_run(demo_server.start_run(options=["-x"]))
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=demo_server.url)
    page = context.new_page()
    try:
        page.goto(demo_server.page_url)
        expect(page.locator("#detail h2")).to_have_text("test_fails")
        clipboard = "navigator.clipboard.readText()"
        page.click("#detail button:text-is('Copy node id')")
        expect(page.locator("#detail button.copy").first).to_have_text("Copied ✓")
        assert page.evaluate(clipboard) == FAILS
        page.click("#detail button:text-is('Copy command')")
        assert page.evaluate(clipboard) == f"pytest -x {FAILS}"
        page.click(".copy-command")
        command = page.evaluate(clipboard)
        assert command.startswith("pytest ") and " -x" in command
        assert "pytest_web_plugin" not in command and "--color=yes" not in command
        expect(page.locator("#output-panel .cmd")).to_have_text(command)
    finally:
        context.close()


def test_open_in_editor_links_from_the_server_and_from_the_page(make_server, demo_repo, page):
    server: Server = make_server(demo_repo, "--editor", "vscode")
    finished_demo(server, page)
    repo = str(demo_repo.resolve()).lstrip("/")
    link = page.locator("#detail a.edit-test")
    expect(link).to_have_attribute("href", f"vscode://file/{repo}/tests/test_outcomes.py:14")
    frame = page.locator("#detail .longrepr a.edit").last
    expect(frame).to_have_attribute("href", f"vscode://file/{repo}/tests/test_outcomes.py:17")
    page.locator("#settings summary").click()
    page.select_option("#editor-choice", "pycharm")
    page.click("#settings button[type=submit]")
    expect(page.locator("#settings [role=status]")).to_contain_text("pycharm")
    pycharm = f"pycharm://open?file=/{repo}/tests/test_outcomes.py&line=14"
    expect(link).to_have_attribute("href", pycharm)  # the open test, shown again
    page.reload()
    expect(page.locator("#detail a.edit-test")).to_have_attribute("href", pycharm)
    page.locator("#settings summary").click()
    page.select_option("#editor-choice", "custom")
    page.fill("#editor-template", "javascript:alert(1)//{path}")
    page.click("#settings button[type=submit]")
    expect(page.locator("#settings [role=alert]")).to_contain_text("URL template")
    page.reload()
    expect(page.locator("#detail a.edit-test")).to_have_attribute("href", pycharm)
    page.locator("#settings summary").click()
    page.select_option("#editor-choice", "none")
    page.click("#settings button[type=submit]")
    expect(page.locator("#detail a.edit-test")).to_have_count(0)
    expect(page.locator("#detail .longrepr a")).to_have_count(0)


def background(page: Page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_the_theme_toggle_is_remembered(demo_server: Server, page: Page):
    page.emulate_media(color_scheme="light")
    page.goto(demo_server.page_url)
    toggle = page.locator("#theme-toggle")
    expect(toggle).to_have_text(re.compile("Auto"))
    light = background(page)
    toggle.click()
    expect(toggle).to_have_text(re.compile("Light"))
    assert background(page) == light
    toggle.click()
    expect(toggle).to_have_text(re.compile("Dark"))
    dark = background(page)
    assert dark != light
    page.reload()  # the server reads the cookie: dark from the first paint
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == dark
    page.locator("#theme-toggle").click()
    expect(page.locator("#theme-toggle")).to_have_text(re.compile("Auto"))
    assert background(page) == light
    page.emulate_media(color_scheme="dark")
    assert background(page) == dark  # Auto follows the system
    page.reload()
    expect(page.locator("html")).not_to_have_attribute("data-theme", re.compile("."))


def row_titles(page: Page) -> list[str]:
    return page.locator("#tree li.t > a.name").evaluate_all("names => names.map(a => a.title)")


def test_slowest_first_with_group_totals_the_slowest_view_then_R_and_the_options_menu(
    demo_server: Server, page: Page
):
    run_id = finished_demo(demo_server, page)
    expect(page.locator("#tree summary .gd").first).to_be_visible()  # each group's total
    before = row_titles(page)
    page.select_option("#sort", "duration")
    expect(page.locator("#tree")).to_have_attribute("data-sort", "duration")
    path, args = address(page)
    assert path == f"/runs/{run_id}" and args["sort"] == ["duration"]
    slow = [f"tests/test_params.py::test_slow[{d}]" for d in ("0.9", "0.6", "0.3")]
    after = row_titles(page)
    assert sorted(after) == sorted(before) and after != before
    assert [after.index(n) for n in slow] == sorted(after.index(n) for n in slow)
    assert after.index(slow[0]) < after.index("tests/test_params.py::test_square[0]")
    page.reload()  # the order is in the address
    expect(page.locator("#sort")).to_have_value("duration")
    assert row_titles(page) == after
    page.click("#slowest-link")
    first = page.locator("#detail.slowest tbody tr").first
    expect(first).to_contain_text("test_slow[0.9]")
    expect(first.locator("td").nth(1)).to_have_text("call")
    expect(page.locator("#detail.slowest")).to_contain_text("setup")  # phases apart
    # R reruns the failures: the 5 failed and errored tests (an xpass is not rerun).
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("R")
    expect(page.locator("#run-head .done")).to_have_text("5/5", timeout=60_000)
    expect(page.locator("#run-head .status")).to_have_text("finished", timeout=60_000)
    # The options menu: -x is a run's option, shown in the command and kept by the form.
    page.locator("#options summary").click()
    page.locator("#options label", has_text="stop at the first failure").click()
    page.click("#run-all")
    expect(page.locator("#run-head .status")).to_have_text("finished", timeout=60_000)
    runs = demo_server.api("GET", "/api/runs").json()["runs"]
    assert runs[0]["selection"]["options"] == ["-x"]
    rerun = runs[1]["selection"]["nodeids"]
    assert len(rerun) == 5 and FAILS in rerun
    expect(page.locator("#run-head [data-count=failed] b")).to_have_text("1")  # -x stopped it
    page.goto(demo_server.page_url)  # a new page's form starts as its run was run
    expect(page.locator("#options-count")).to_have_text("1")
    expect(page.locator("#options input[value='-x']")).to_be_checked()
