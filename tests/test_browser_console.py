"""Nothing on the console: no CSP violation (htmx once applied inline styles that the page's own
policy blocks, at the start of some runs after a Fetch), no error, no htmx warning, across the
main flows of the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from support import Server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

RECORD = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
"""


@pytest.fixture
def console(page: Page) -> list[str]:
    """Console errors and warnings, and CSP violations, as the page meets them."""
    found: list[str] = []
    page.on(
        "console",
        lambda m: found.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
    )
    page.on(
        "response",
        lambda r: (
            found.append(f"HTTP {r.status}: {r.request.method} {r.url}")
            if r.status >= 400
            else None
        ),
    )
    page.add_init_script(RECORD)
    return found


WAITS = """
import time

def test_square_waits_for_cancel():
    time.sleep(300)
"""


def violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__violations || []"))


def status(page: Page, text: str) -> None:
    expect(page.locator("#run-head .status")).to_have_text(text, timeout=60_000)


def test_the_main_flows_leave_the_console_clean(
    demo_server: Server, demo_repo: Path, page: Page, console: list[str]
) -> None:
    seen: list[str] = []
    page.goto(demo_server.page_url)
    for attempt in range(4):  # a run right after a Fetch: where the violations showed
        page.fill("input[name=k]", "square or outcomes" if attempt % 2 else "")
        page.click("#fetch")
        expect(page.locator("#run-head .status")).to_have_text("collected")
        page.click("#run-all")
        status(page, "running")
        status(page, "finished")
        seen += violations(page)
    page.locator("#tree .name", has_text="test_logs_and_fails").click()
    expect(page.locator("#detail h2")).to_have_text("test_logs_and_fails")
    for chip in ("failed", "skipped", "passed", "running", "all"):
        page.click(f"label.chip:has(#show-{chip})")
        expect(page.locator("#tree")).to_have_attribute("data-show", chip)
    page.fill("#search", "square")
    expect(page.locator("li.t")).to_have_count(8)
    page.fill("#search", "")
    page.click("#failures-link")
    expect(page.locator("#detail.failures")).to_be_visible()
    page.click("#detail .close")
    expect(page.locator("#detail.idle")).to_be_attached()
    page.locator("li.t", has_text="test_square[1]").locator("input").check()
    page.click("#run-selected")
    expect(page.locator("#run-head .done")).to_have_text("1/1", timeout=60_000)
    status(page, "finished")
    # A run still running when Cancel is clicked, however loaded the machine: the demo's
    # selected tests can end before the click lands (then a 409 on the console).
    (demo_repo / "tests" / "test_square_waits.py").write_text(WAITS)
    page.click("#run-all")
    status(page, "running")
    page.click("#cancel")
    status(page, "cancelled")
    seen += violations(page)
    page.click("#runs-link")
    page.locator("#runs tbody tr").nth(1).get_by_role("link").first.click()
    expect(page.locator("#past")).to_be_visible()
    page.locator("#tree .name").first.click()
    expect(page.locator("#detail h2")).to_be_visible()
    seen += violations(page)
    page.click("#results-link")
    expect(page.locator("#open-results")).to_be_visible()
    seen += violations(page)
    assert seen == [], f"blocked by the page's CSP: {seen}"
    assert console == [], f"the console: {console}"
