"""The README's screenshots, as a new user sees the demo suite: a finished run with failures
(its first failure opened beside the tree) and a failure's detail.

    python docs/screenshots.py [--all]

Starts pytest-web on a copy of examples/demo, runs it once (so the next run has a history to
compare with) and again, and photographs the page in Chromium at 1400 px (light). `--all` also
writes every page at 1400 and 800 px, light and dark, to docs/out/ for review.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent / "tests"))

from support import CHROMIUM, CHROMIUM_ARGS, DEMO, launch_server, stop_server  # noqa: E402


def finished(page: Page, url: str, width: int, scheme: str) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)
    page.goto(url)
    expect(page.locator("#run-head .status")).to_have_text("finished")
    expect(page.locator("#detail h2")).to_have_text("test_fails")
    page.wait_for_timeout(300)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="every page, 1400/800, light/dark")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pytest-web-shots-"))
    repo = folder / "demo"
    shutil.copytree(DEMO, repo, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    server = launch_server(repo)
    try:
        server.wait_run(server.start_run())
        server.wait_run(server.start_run(workers=2))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            finished(page, server.page_url, 1400, "light")
            page.screenshot(path=DOCS / "run-with-failures.png")
            page.locator("#detail").screenshot(path=DOCS / "failure-detail.png")
            if args.all:
                out = DOCS / "out"
                out.mkdir(exist_ok=True)
                for width in (1400, 800):
                    for scheme in ("light", "dark"):
                        name = f"{width}-{scheme}"
                        finished(page, server.page_url, width, scheme)
                        page.screenshot(path=out / f"{name}-finished.png")
                        page.click("label.chip:has(#show-failed)")
                        expect(page.locator("#tree")).to_have_attribute("data-show", "failed")
                        page.click("#failures-link")
                        expect(page.locator("#detail.failures")).to_be_visible()
                        page.screenshot(path=out / f"{name}-failed.png", full_page=True)
                        page.goto(f"{server.url}/runs")
                        page.screenshot(path=out / f"{name}-runs.png")
            browser.close()
    finally:
        stop_server(server)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
