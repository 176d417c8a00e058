"""How much slower is `GET /api/tests` than `pytest --collect-only -q`? Prints, asserts nothing.

    python bench/discovery.py [--tests 10000] [--repeat 3] [--browser]

Both collect the same generated suite; the server runs pytest with its plugin writing the
tests as JSON, folds them into a "collected" run for the page, and answers with JSON.
Runs are interleaved (plain, served, plain, ...) so that noise hits both.

`--browser`: each pass also clicks "Fetch tests" in Chromium, and times the click to the first
frame that shows the tree (the page's own clock), against plain `pytest --collect-only -q` in
the same pass: the goal is the tree on screen within 1 s of that.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from playwright.sync_api import Page, sync_playwright

from common import fmt, launch_server, print_table, run_plain, stop_server, suite
from support import CHROMIUM, CHROMIUM_ARGS

TREE_SHOWN = """() => new Promise((done) => {
  const before = document.querySelector("#tree");  // the page may show an earlier collection
  const click = performance.now();
  const loop = () => {
    const tree = document.querySelector("#tree");
    const group = tree && tree !== before && tree.querySelector("details.g > summary");
    if (group && group.checkVisibility()) done(performance.now() - click);
    else requestAnimationFrame(loop);
  };
  document.querySelector("#fetch").click();
  requestAnimationFrame(loop);
})"""


def fetch_in_page(page: Page, url: str) -> float:
    """Seconds from a click on Fetch tests to the first frame with the tree on screen."""
    page.goto(url, wait_until="load")
    page.wait_for_selector("#fetch")
    return float(page.evaluate(TREE_SHOWN)) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also time the tree on screen")
    args = parser.parse_args()
    repo = suite(args.tests)
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q"]
    server = launch_server(repo)
    plain, served, shown = [], [], []
    playwright = sync_playwright().start() if args.browser else None
    try:
        if playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
        run_plain(repo, command)  # warm the file cache
        for _ in range(args.repeat):
            plain.append(run_plain(repo, command)[0])
            start = time.perf_counter()
            response = server.api("GET", "/api/tests", timeout=600)
            served.append(time.perf_counter() - start)
            response.raise_for_status()
            found = len(response.json()["tests"])
            if found != args.tests:
                raise RuntimeError(f"the server found {found} tests, not {args.tests}")
            if playwright:  # after the API's collection: one collection at a time (429)
                page.set_default_timeout(600_000)
                shown.append(fetch_in_page(page, server.page_url))
        start = time.perf_counter()
        page = server.api("GET", "/tests", headers={"HX-Request": "true"}, timeout=600)
        fragment = time.perf_counter() - start
    finally:
        stop_server(server)
        if playwright:
            playwright.stop()
    print(f"discovery, {args.tests} tests, {args.repeat} runs each")
    print(f"  pytest --collect-only -q: {fmt(plain)}")
    print(f"  GET /api/tests:           {fmt(served)}")
    print(f"  GET /tests (page fragment, once): {fragment:.2f} s, {len(page.content) / 1e6:.1f} MB")
    if shown:
        after = [s - p for s, p in zip(shown, plain, strict=True)]
        print(f"  Fetch tests, click to the tree on screen: {fmt(shown)}")
        print(
            f"  ... after plain collect-only's time: {fmt(after)}"
            f" (median {statistics.median(after):.2f} s; goal <= 1 s)"
        )
    print()
    print_table([("discovery", plain, served)], "<= 1.10x")


if __name__ == "__main__":
    main()
