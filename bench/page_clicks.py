"""What a user feels on a big run: a click on a test during the run, and a chip switch after it.

    python bench/page_clicks.py [--tests 10000] [--failures 200] [--workers 0] [--rounds 3]

Each round loads the page fresh, starts a run of the generated suite (with `--failures` failing
tests spread over its files) through the API and, at 5%, 30% and 50% done, opens a file's group
and its class's group and clicks one of the class's tests, with real mouse clicks (a click that
lands after the run ended counts apart: a busy page is slow to be driven). Scripts installed
with `add_init_script` (the page's CSP does not apply to them) record, in the page's own clock
(from the click's `timeStamp`, which includes the time the input waited for the main thread):

- click to detail: to the first frame in which `#detail` shows that test's name;
- open a group: to the first frame that shows what the group holds;
- every main-thread long task (PerformanceObserver, 'longtask').

After the run: the Failed chip, then All, each followed by 2 s of quiet: the longest task that
started after the click, and the time to the first frame showing a failed (a passed) row; then a
search typed a key every 100 ms: the longest task from its first key, and the time from its
last key to the first frame showing a match.

Printed: medians over the rounds (and every value). Goals: the detail within ~300 ms of a click
during a run; no task over 200 ms on a chip switch. Asserts nothing. The machine is shared: read
the ratios between versions measured the same way, not the seconds alone.
"""

from __future__ import annotations

import argparse
import statistics
import time

from playwright.sync_api import Page, sync_playwright

from common import launch_server, stop_server, suite, wait_finished
from support import CHROMIUM, CHROMIUM_ARGS

INIT_SCRIPT = """
(() => {
  const bench = (window.__bench = {longtasks: [], click: null, done: null});
  new PerformanceObserver((list) => list.getEntries().forEach((e) =>
    bench.longtasks.push([e.startTime, e.duration]))).observe({type: "longtask", buffered: true});
  document.addEventListener("click", (e) => { bench.click = e.timeStamp; }, true);
  window.__watch = (shown) => {
    bench.click = null;
    bench.done = null;
    const loop = () => {
      if (bench.click !== null && shown()) bench.done = performance.now();
      else requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  };
})();
"""
"""`__watch(shown)` before a click: `__bench.done` becomes the first frame after the click in
which `shown()` holds (the page's own clock, as the click's `timeStamp`)."""

DONE = """() => {
  const d = document.querySelector('#run-head .done');
  return d ? Number(d.textContent.split('/')[0]) : 0;
}"""


def api_done(server, run_id: str) -> int | None:
    """Tests with a result so far, from the run list (cheap: no tests in it); None once the run
    has ended."""
    run = next(r for r in server.api("GET", "/api/runs").json()["runs"] if r["id"] == run_id)
    return sum(run["counts"].values()) if run["status"] == "running" else None


def done_count(page: Page) -> int:
    return int(page.evaluate(DONE))


def timed_click(page: Page, locator, shown: str, arg: str) -> float:
    """A real mouse click in the element's middle, as a user does (no waiting for the element
    to be 'stable': during a run the page may be too busy for that, which is what is measured);
    ms from the click to the first frame in which `shown(arg)` holds."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page.evaluate(f"(arg) => __watch(() => ({shown})(arg))", arg)
    page.mouse.click(box["x"] + min(40, box["width"] / 2), box["y"] + box["height"] / 2)
    page.wait_for_function("() => __bench.done !== null", timeout=120_000, polling=100)
    return float(page.evaluate("() => __bench.done - __bench.click"))


VISIBLE = "(sel) => { const e = document.querySelector(sel); return !!e && e.checkVisibility(); }"
ROWS_IN = """(label) => [...document.querySelectorAll('summary > .gl')].some((e) =>
    e.textContent === label && e.closest('details').querySelector('li.t')?.checkVisibility())"""
DETAIL = "(name) => document.querySelector('#detail h2')?.textContent.includes(name)"


def open_and_click(page: Page, file_number: int, test: str) -> tuple[list[float], float]:
    """Open a file's group and its class's group, click one of the class's tests: (ms from each
    click on a group to the first frame that shows what it holds, ms from the click on the test
    to its detail)."""
    file_label, class_label = f"tests/test_gen_{file_number:03d}.py", f"TestGroup{file_number}"
    summary = "details.g > summary:has(> .gl:text-is('{}'))"
    button = f"li.t .name[title$='{class_label}::{test}']"
    opens = []
    steps = ((file_label, ROWS_IN, file_label), (class_label, VISIBLE, button))
    for label, shown, inside in steps:
        target = page.locator(summary.format(label)).first
        for _ in range(50):  # past the file's first page of rows, as a user scrolls
            if target.count() or not page.locator("li.more button").count():
                break
            page.locator("li.more button").last.scroll_into_view_if_needed()
            page.wait_for_timeout(200)
        target.wait_for(state="visible", timeout=60_000)
        if target.evaluate("(s) => !s.parentElement.open"):
            opens.append(timed_click(page, target, shown, inside))
    detail = timed_click(page, page.locator(button).first, DETAIL, test)
    return opens, detail


def longest_since(page: Page, since: float) -> float:
    tasks = page.evaluate("() => __bench.longtasks")
    return max((d for start, d in tasks if start >= since), default=0.0)


def chip_switch(page: Page, chip: str) -> tuple[float, float]:
    """Click a status chip; (longest task after the click, ms until the view shows it: a failed
    row for Failed; for All, a passed row, or a tree that says it shows all, its big groups
    closed)."""
    since = float(page.evaluate("performance.now()"))
    outcome = "failed" if chip == "failed" else "passed"
    shown = """(outcome) => [...document.querySelectorAll(`li.t .st.o-${outcome}`)]
        .some((s) => s.checkVisibility())
        || (outcome === "passed" && !!document.querySelector('#tree[data-show="all"]'))"""
    took = timed_click(page, page.locator(f"label.chip:has(#show-{chip})"), shown, outcome)
    page.wait_for_timeout(2000)
    return longest_since(page, since), took


SEARCHED = """(text) => [...document.querySelectorAll('li.t .name')]
    .some((e) => e.title.includes(text) && e.checkVisibility())"""


def search(page: Page, text: str) -> tuple[float, float]:
    """Type `text` into the search box as a person does (a key every 100 ms), then 2 s of
    quiet: (the longest task from the first key, ms from the last key to the first frame that
    shows a matching row)."""
    since = float(page.evaluate("performance.now()"))
    page.evaluate(f"(text) => __watch(() => ({SEARCHED})(text))", text)
    page.locator("#search").click()
    page.keyboard.type(text, delay=100)
    typed = float(page.evaluate("performance.now()"))
    page.wait_for_function("() => __bench.done !== null", timeout=120_000, polling=100)
    took = float(page.evaluate("() => __bench.done")) - typed
    page.wait_for_timeout(2000)
    return longest_since(page, since), took


def one_round(page: Page, server, workers: int, tests: int) -> dict[str, list[float]]:
    page.goto(server.page_url, wait_until="load")
    page.wait_for_selector("#live", state="attached")
    page.wait_for_timeout(1500)
    started = float(page.evaluate("performance.now()"))
    run_id = server.start_run(workers=workers)
    clicks: list[float] = []
    later: list[float] = []
    opens: list[float] = []
    for step, (share, file_number) in enumerate(((0.05, 3), (0.3, 40), (0.5, 77))):
        while (progress := api_done(server, run_id)) is not None and progress < share * tests:
            time.sleep(0.2)
        opened, click = open_and_click(page, file_number, f"test_method_{step + 5}")
        after = done_count(page)
        (clicks if api_done(server, run_id) is not None else later).append(click)
        opens.extend(opened)
        print(
            f"  {after} done: groups opened in {' '.join(f'{o:.0f}' for o in opened)} ms,"
            f" click to detail {click:.0f} ms",
            flush=True,
        )
    run = wait_finished(server, run_id)
    page.wait_for_function(
        "() => !/running/i.test(document.querySelector('#run-head .status')?.textContent)",
        timeout=300_000,
    )
    page.wait_for_timeout(1500)
    during = longest_since(page, started)
    failed_task, failed_shown = chip_switch(page, "failed")
    all_task, all_shown = chip_switch(page, "all")
    search_task, search_shown = search(page, "TestGroup5::test_method_7")
    return {
        "click to detail during the run (ms)": clicks,
        "click to detail after it (ms)": later,
        "open a group during the run (ms)": opens,
        "longest task during the run (ms)": [during],
        "Failed chip: longest task (ms)": [failed_task],
        "Failed chip: first failure visible (ms)": [failed_shown],
        "All chip: longest task (ms)": [all_task],
        "All chip: the whole tree shown (ms)": [all_shown],
        "search typed: longest task (ms)": [search_task],
        "search typed: matches shown after the last key (ms)": [max(0.0, search_shown)],
        "run (s)": [run["duration"] or 0.0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--failures", type=int, default=200)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--width", type=int, default=1400)
    args = parser.parse_args()
    repo = suite(args.tests, args.failures)
    server = launch_server(repo)
    results: dict[str, list[float]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for number in range(args.rounds):
                context = browser.new_context(viewport={"width": args.width, "height": 900})
                page = context.new_page()
                page.add_init_script(INIT_SCRIPT)
                found = one_round(page, server, args.workers, args.tests)
                context.close()
                shown = ", ".join(f"{k} {fmt(v)}" for k, v in found.items())
                print(f"round {number + 1}: {shown}")
                for key, values in found.items():
                    results.setdefault(key, []).extend(values)
            browser.close()
    finally:
        stop_server(server)
    print(f"\n{args.tests} tests, {args.failures} failing, -n {args.workers}, {args.rounds} rounds")
    for key, values in results.items():
        middle = f"{statistics.median(values):8.0f}" if values else "       -"
        print(f"{key:42} median {middle}   all {fmt(values)}")
    print(
        "goals: the detail within ~300 ms of a click; no task over 200 ms when opening a group,"
        " switching a chip or typing a search"
    )


def fmt(values: list[float]) -> str:
    return " ".join(f"{v:.0f}" for v in values)


if __name__ == "__main__":
    main()
