"""Seven tabs on one origin: browsers give HTTP/1.1 six connections per origin.

htmx's SSE extension closes a tab's stream while the tab is in the background and resumes it
(with Last-Event-ID) when the tab comes back. Headless Chromium shows every page as visible, so
the test puts six tabs in the background the way the browser does: `document.hidden` becomes
true and a `visibilitychange` event fires.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from support import Server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SET_HIDDEN = """hidden => {
    Object.defineProperty(document, 'hidden', {configurable: true, get: () => hidden});
    Object.defineProperty(document, 'visibilityState', {configurable: true,
        get: () => hidden ? 'hidden' : 'visible'});
    document.dispatchEvent(new Event('visibilitychange'));
}"""


def status(page: Page):
    return expect(page.locator("#run-head .status"))


def test_seven_tabs_all_show_live_results(make_server, slow_repo, browser) -> None:
    server: Server = make_server(slow_repo)
    context = browser.new_context()
    background = []
    for _ in range(6):
        tab = context.new_page()
        tab.goto(server.page_url)
        tab.evaluate(SET_HIDDEN, True)
        background.append(tab)
    front = context.new_page()
    front.goto(server.page_url)
    front.click("#run-all")
    status(front).to_have_text("running")
    front.wait_for_function("() => document.querySelectorAll('.st.o-passed').length >= 1")
    status(front).to_have_text("finished", timeout=60_000)
    expected = front.inner_text("#run-head .counts")
    for tab in background[:3]:  # coming back, a tab catches up from where it left
        tab.evaluate(SET_HIDDEN, False)
        status(tab).to_have_text("finished")
        assert tab.inner_text("#run-head .counts") == expected
    context.close()
