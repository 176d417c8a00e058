"""Chromium watching a CI run arrive on a real dashboard from two real shards: the second shard
joins the open page live, each shard's progress moves, and the page ends with pytest's counts
added up."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from test_browser import page_counts

from dashboard_support import PROJECT, launch_dashboard, start_shard
from support import Server, shown, stop_server, summary_of

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SLOW = """
import time
import pytest

@pytest.mark.parametrize("n", range({count}))
def test_{name}(n):
    time.sleep(0.2)
    assert n != 4
"""


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[Server]:
    server = launch_dashboard(tmp_path / "data")
    yield server
    stop_server(server)


def test_a_run_arrives_live_from_two_shards(dashboard: Server, tmp_path: Path, page: Page) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_one.py").write_text(SLOW.format(count=12, name="one"))
    (suite / "test_two.py").write_text(SLOW.format(count=10, name="two"))
    page.goto(dashboard.page_url)
    expect(page.locator("#projects")).to_contain_text("No CI run yet")
    one = start_shard(suite, dashboard.url, "linux", "--web-shards=2", "test_one.py")
    expect(page.locator("#projects h2")).to_have_text(PROJECT, timeout=30_000)  # polled
    page.locator("#projects a.status").first.click()
    expect(page.locator("#shards .shard")).to_have_count(1)
    expect(page.locator("#run-head .status")).to_have_text("running")
    two = start_shard(suite, dashboard.url, "macos", "--web-shards=2", "test_two.py")
    expect(page.locator("#shards .shard")).to_have_count(2, timeout=30_000)  # live, no reload
    expect(page.locator("#shards .sh-running")).not_to_have_count(0)
    outputs = [shard.communicate(timeout=120)[0] for shard in (one, two)]
    expect(page.locator("#run-head .status")).to_have_text("finished", timeout=30_000)
    expect(page.locator("#shards .sh-finished")).to_have_count(2)
    total: Counter[str] = Counter()
    for out in outputs:
        total.update(summary_of(out))
    assert page_counts(page) == shown(dict(total))
    expect(page.locator("li.t")).to_have_count(22)
    expect(page.locator("li.t .shard-of", has_text="macos")).to_have_count(10)
    time.sleep(0.5)  # nothing more arrives: the page stays as it ended
    assert page_counts(page) == shown(dict(total))
