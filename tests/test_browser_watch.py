"""Watch mode from the page: the toggle and its scope, "watching" shown, a real save in a
temporary repository starting a run that says which file started it, and `w` switching it
off."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from support import Server

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_watch_from_the_page_reruns_on_a_save(make_server, tmp_path: Path, page: Page) -> None:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    test_file = repo / "tests" / "test_math.py"
    test_file.write_text("def test_add():\n    assert 1 + 1 == 2\n\ndef test_ok():\n    pass\n")
    server: Server = make_server(repo)
    server.wait_run(server.start_run())
    page.goto(server.page_url)
    expect(page.locator("#run-head .status")).to_have_text("finished")
    toggle = page.locator("#watch-toggle")
    expect(toggle).not_to_be_checked()
    page.select_option("#watch-scope", "all")
    page.locator("#watch-form label").click()
    expect(page.locator("#watch-form")).to_contain_text("Watching")
    expect(page.locator("#watch-toggle")).to_be_checked()
    state = server.api("GET", "/api/watch").json()
    assert state["enabled"] is True and state["scope"] == "all"
    trigger = page.locator("#run-head .trigger")
    broken = "def test_add():\n    assert 1 + 1 == 3\n\ndef test_ok():\n    pass\n"
    deadline = time.monotonic() + 60
    while True:  # saved again until the watcher, started in its own process, has seen one
        test_file.write_text(broken)
        try:
            expect(trigger).to_contain_text("tests/test_math.py", timeout=3_000)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
    expect(page.locator("#run-head .status")).to_have_text("finished", timeout=60_000)
    expect(page.locator("#run-head [data-count=failed] b")).to_have_text("1")
    expect(page.locator("#detail h2")).to_have_text("test_add")  # the new failure, opened
    expect(page.locator("#watch-form")).to_contain_text("Watching")  # morphed with the run
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("w")
    expect(page.locator("#watch-form")).not_to_contain_text("Watching")
    assert server.api("GET", "/api/watch").json()["enabled"] is False
