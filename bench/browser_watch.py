"""Watch a big run in Chromium: how late is the final count, how long does the page freeze?

    python bench/browser_watch.py [--tests 10000] [--workers 0 2]

For each worker count the page is loaded fresh, then a run of the generated suite is started
through the API while Playwright watches the page. Scripts installed with `add_init_script`
(the page's CSP does not apply to them) record:

- every change of `#run-head .status` (with `Date.now()` and the counts shown then), through a
  MutationObserver, so the moment the page first says "finished" is known to the millisecond;
- every main-thread long task (PerformanceObserver, 'longtask', buffered), and long animation
  frames where Chromium has them (they include style and layout work).

Printed: the delay from the run's end (the `finished` time the API reports, and the moment
polling the API first saw it) to the page showing "finished" with the API's counts; the
longest task and how many tasks exceeded 50 ms while the run went. Goals: <= 1 s, <= 200 ms.
A screenshot of the page at the end of each run goes to bench/out/. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import time

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from common import OUT, launch_server, server_worker, stop_server, suite
from support import CHROMIUM, CHROMIUM_ARGS

INIT_SCRIPT = """
(() => {
  const bench = (window.__bench = {longtasks: [], frames: [], status: []});
  const observe = (type, keep) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach((e) => bench[keep].push(e)))
        .observe({type, buffered: true});
    } catch (error) { /* not supported here */ }
  };
  observe("longtask", "longtasks");
  observe("long-animation-frame", "frames");
  let last = null;
  const check = () => {
    const status = document.querySelector("#run-head .status");
    const view = document.querySelector("#run-view");
    const text = status ? status.textContent.trim() : null;
    const run = view ? view.dataset.run : null;
    if (run + " " + text === last) return;
    last = run + " " + text;
    const counts = {};
    document.querySelectorAll("#run-head .count[data-count]").forEach((c) => {
      counts[c.dataset.count] = Number(c.querySelector("b").textContent);
    });
    bench.status.push({t: Date.now(), perf: performance.now(), run, text, counts});
  };
  const start = () => {
    new MutationObserver(check).observe(document.body, {childList: true, subtree: true});
    check();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
"""

SWAP_TIMING_SCRIPT = """
(() => {
  const swaps = (window.__swaps = []);
  let started = null;
  document.addEventListener("htmx:before:swap", (e) => {
    const text = e.detail?.ctx?.text || "";
    started = [performance.now(), text.length, text.split("hx-swap-oob").length - 1];
  });
  document.addEventListener("htmx:after:swap", () => {
    if (started) swaps.push([started[0], performance.now() - started[0], started[1], started[2]]);
    started = null;
  });
})();
"""

COUNTS_SHOWN = """
([runId, counts]) => {
  const view = document.querySelector("#run-view");
  const status = document.querySelector("#run-head .status");
  if (!view || view.dataset.run !== runId || !status || status.textContent.trim() !== "finished")
    return false;
  return Object.entries(counts).every(([name, n]) => {
    const b = document.querySelector(`#run-head .count[data-count="${name}"] b`);
    return b ? Number(b.textContent) === n : n === 0;  // the head shows no "0 rerun"
  });
}
"""


PAGE_HEAD = """() => {
  const status = document.querySelector("#run-head .status");
  const counts = {};
  document.querySelectorAll("#run-head .count[data-count]").forEach((c) => {
    counts[c.dataset.count] = Number(c.querySelector("b").textContent);
  });
  return {status: status && status.textContent.trim(), counts,
          run: document.querySelector("#run-view")?.dataset.run};
}"""
WAIT_MS = 120_000
"""How long after the run's end the page may take to show its counts before the bench gives up."""


def print_profile(profile: dict, top: int = 25) -> None:
    """The functions where the page's main thread spent its time (self time), from a CDP
    CPU profile (also saved to bench/out/*.cpuprofile: open it in Chrome's DevTools)."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    deltas = profile["timeDeltas"]
    self_time: dict[str, float] = {}
    for sample, delta in zip(profile["samples"], deltas[1:] + [0], strict=True):
        frame = nodes[sample]["callFrame"]
        url = frame["url"].rsplit("/", 1)[-1]
        name = f"{frame['functionName'] or '(anonymous)'} {url}:{frame['lineNumber'] + 1}"
        self_time[name] = self_time.get(name, 0.0) + delta / 1000
    total = sum(self_time.values())
    print(f"     page CPU profile, {total / 1000:.1f} s sampled, top by self time:")
    for name, ms in sorted(self_time.items(), key=lambda item: -item[1])[:top]:
        print(f"     {ms:9.0f} ms {100 * ms / total:5.1f}%  {name[:110]}")


def strip_filter_rules(route) -> None:
    """Serve app.css without the block of status-filter rules (from its comment to the next
    blank line), to see what those selectors cost while rows change."""
    css = route.fetch().text()
    start = css.find("/* Status filters")
    end = css.find("\n\n", start)
    if start >= 0 and end > start:
        css = css[:start] + css[end:]
    route.fulfill(body=css, content_type="text/css")


def rss_mb(pid: int) -> float:
    """The resident memory of the server's worker, in MB."""
    with open(f"/proc/{pid}/status") as handle:
        found = next(line for line in handle if line.startswith("VmRSS:"))
    return int(found.split()[1]) / 1024


def watch(page, server, workers: int, tests: int, profile: bool = False) -> dict:
    """Load the page, start a run through the API, and read what the page recorded."""
    load_start = time.perf_counter()
    page.goto(server.page_url, wait_until="load")
    page.wait_for_selector("#live", state="attached")
    page.wait_for_timeout(1500)  # let the stream connect and the first snapshot settle
    load = time.perf_counter() - load_start
    loaded_at = page.evaluate("performance.now()")
    load_tasks = page.evaluate("window.__bench.longtasks.map((e) => e.duration)")
    if profile:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
        cdp.send("Profiler.start")
    run_id = server.start_run(workers=workers)
    worker = server_worker(server)
    peak = rss_mb(worker)
    while True:  # as `wait_finished` polls, with the server's memory each time
        run = next(r for r in server.api("GET", "/api/runs").json()["runs"] if r["id"] == run_id)
        peak = max(peak, rss_mb(worker))
        if run["status"] != "running":
            break
        time.sleep(0.05)
    api_seen = time.time()
    try:
        page.wait_for_function(COUNTS_SHOWN, arg=[run_id, run["counts"]], timeout=WAIT_MS)
    except PlaywrightTimeout:
        shown = page.evaluate(PAGE_HEAD)
        page.screenshot(path=str(OUT / f"browser_n{workers}_stuck.png"))
        raise SystemExit(
            f"-n {workers}: {WAIT_MS / 1000:.0f} s after the run ended the page still shows "
            f"{shown}; the API says {run['status']} {run['counts']}"
        ) from None
    page.wait_for_timeout(1000)  # long tasks are reported a little after they end
    if profile:
        swaps = page.evaluate("window.__swaps")
        swaps = [s for s in swaps if s[0] >= loaded_at]
        print(f"     {len(swaps)} swaps; the slowest (ms, kB, OOB elements):")
        for _, ms, size, oob in sorted(swaps, key=lambda s: -s[1])[:8]:
            print(f"     {ms:7.0f} ms {size / 1000:7.0f} kB {oob:5d} OOB")
        cpu_profile = cdp.send("Profiler.stop")["profile"]
        (OUT / f"page_n{workers}.cpuprofile").write_text(json.dumps(cpu_profile))
        print_profile(cpu_profile)
        cdp.detach()
    bench = page.evaluate(
        """() => ({
          status: window.__bench.status,
          longtasks: window.__bench.longtasks.map((e) => [e.startTime, e.duration]),
          frames: window.__bench.frames.map((e) => [e.startTime, e.duration, e.blockingDuration]),
        })"""
    )
    rows = page.evaluate(
        """() => {
          const seen = {};
          document.querySelectorAll("#tree li.t .st").forEach((s) => {
            const outcome = [...s.classList].find((c) => c.startsWith("o-")).slice(2);
            seen[outcome] = (seen[outcome] || 0) + 1;
          });
          return seen;
        }"""
    )
    shot = OUT / f"browser_n{workers}.png"
    page.screenshot(path=str(shot))
    shown = next(s for s in bench["status"] if s["run"] == run_id and s["text"] == "finished")
    end_perf = shown["perf"]
    during = [d for start, d in bench["longtasks"] if loaded_at <= start <= end_perf]
    frames = [d for start, d, _ in bench["frames"] if loaded_at <= start <= end_perf]
    return {
        "workers": workers,
        "status": run["status"],
        "counts_api": run["counts"],
        "counts_page": shown["counts"],
        "rows": rows,
        "run_seconds": run["finished"] - run["created"],
        "delay_finished": shown["t"] / 1000 - run["finished"],
        "delay_polled": shown["t"] / 1000 - api_seen,
        "load": load,
        "load_max": max(load_tasks, default=0.0),
        "tasks": during,
        "top": sorted(
            ((d, start - loaded_at) for start, d in bench["longtasks"] if start >= loaded_at),
            reverse=True,
        )[:5],
        "frames": frames,
        "shot": shot,
        "memory": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--profile", action="store_true", help="print where the page's CPU went")
    parser.add_argument(
        "--without-filter-css",
        action="store_true",
        help="diagnostic: serve app.css without its status-filter rules (the :has() selectors)",
    )
    args = parser.parse_args()
    repo = suite(args.tests)
    OUT.mkdir(exist_ok=True)
    server = launch_server(repo)
    results = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.add_init_script(INIT_SCRIPT)
            if args.profile:
                page.add_init_script(SWAP_TIMING_SCRIPT)
            if args.without_filter_css:
                page.route("**/static/app.css", strip_filter_rules)
            for workers in args.workers:
                result = watch(page, server, workers, args.tests, args.profile)
                results.append(result)
                tasks, frames = result["tasks"], result["frames"]
                print(
                    f"  -n {workers}: run {result['run_seconds']:.1f} s, "
                    f"page load {result['load']:.1f} s (longest task {result['load_max']:.0f} ms), "
                    f"{len(tasks)} long tasks {sum(tasks) / 1000:.1f} s in all, "
                    f"long frames {len(frames)} max {max(frames, default=0):.0f} ms, "
                    f"screenshot {result['shot'].relative_to(OUT.parent.parent)}"
                )
                longest = ", ".join(f"{d:.0f} ms at {t / 1000:.1f} s" for d, t in result["top"])
                print(f"     longest tasks (time after the run started): {longest}")
                shown_rows = {k: v for k, v in result["rows"].items() if v}
                expected_rows = {k: v for k, v in result["counts_api"].items() if v}
                if shown_rows != expected_rows:
                    print(f"     rows in the page {shown_rows}, outcomes {expected_rows}")
                api_shown = {k: v for k, v in result["counts_api"].items() if v}
                if {k: v for k, v in result["counts_page"].items() if v} != api_shown:
                    page_counts, api_counts = result["counts_page"], result["counts_api"]
                    print(f"     counts differ: page {page_counts} api {api_counts}")
            browser.close()
    finally:
        stop_server(server)
    print()
    head = ("final count delay (s)", "after poll (s)", "max long task (ms)", "long tasks")
    print(f"{'':10} {head[0]:>22} {head[1]:>15} {head[2]:>19} {head[3]:>11} {'server MB':>10}")
    for r in results:
        print(
            f"{'-n ' + str(r['workers']):10} {r['delay_finished']:22.2f} {r['delay_polled']:15.2f} "
            f"{max(r['tasks'], default=0.0):19.0f} {len(r['tasks']):11d} {r['memory']:10.0f}"
        )
    print("goals: final count delay <= 1 s; no long task > 200 ms; the server under 300 MB")


if __name__ == "__main__":
    main()
