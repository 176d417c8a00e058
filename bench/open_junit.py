"""How fast a 100,000-test JUnit XML file becomes a usable page in `pytest-web view`.

Generates the file (1,000 modules in 10 folders, 100 tests each, 1% failing with a traceback, 2%
skipped), then times each step: read and fold the file, prepare the tree (done before gunicorn
forks), render the page the browser first gets, open a folder and a file in it, and (with
`--browser`) the whole `pytest-web view FILE` start in Chromium: the address printed, the page
answered (the worker started), the counts on screen, and the server's memory (the most its
processes held at once, sampled). Prints figures only; the goals: under 3 s to a usable page at
100,000 tests, under 10 s and 1.5 GB at 1,000,000.

    python bench/open_junit.py [--tests 100000] [--browser [--passes 3]] [--recording] [--repeat 3]

`--recording`: the same tests as a `.jsonl.gz` recording of the plugin's events instead.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

ROW = b'class="t"'
TOKEN = "bench-token-0123456789"
TRACEBACK = """    def test_case():
>       assert value == expected
E       AssertionError: assert 1 == 2

tests/pkg/test_mod.py:12: AssertionError"""


def make_junit(path: Path, tests: int, per_module: int = 100) -> None:
    failures = skipped = 0
    cases = []
    for n in range(tests):
        module, index = divmod(n, per_module)
        classname = f"tests.pkg{module % 10}.test_mod{module}" + (".TestGroup" if n % 3 else "")
        head = f'<testcase classname="{classname}" name="test_case[{index}]" time="0.001"'
        if n % 100 == 7:
            failures += 1
            body = f'<failure message="AssertionError: assert 1 == 2">{escape(TRACEBACK)}</failure>'
            cases.append(f"{head}>{body}</testcase>")
        elif n % 50 == 3:
            skipped += 1
            cases.append(
                f'{head}><skipped type="pytest.skip" message="not here">x</skipped></testcase>'
            )
        else:
            cases.append(head + "/>")
    suite = (
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="pytest" errors="0" failures="{failures}" skipped="{skipped}" '
        f'tests="{tests}" time="123.4" timestamp="2025-01-01T00:00:00+00:00" '
        f"hostname={quoteattr('ci')}>"
    )
    path.write_text(suite + "\n".join(cases) + "</testsuite></testsuites>\n")


def make_recording(path: Path, tests: int, per_module: int = 100) -> None:
    """The tests of `make_junit` as the plugin records them (`--web-record`), gzipped."""
    ids = [node_id(n, per_module) for n in range(tests)]
    with gzip.open(path, "wt", compresslevel=1) as out:
        number = 0

        def write(event: dict[str, object]) -> None:
            nonlocal number
            number += 1
            out.write(json.dumps({**event, "i": number}) + "\n")

        write({"type": "session_start", "time": 1.7e9, "rootdir": "/repo", "args": []})
        write({"type": "collection", "nodeids": ids})
        for n, nodeid in enumerate(ids):
            call: dict[str, object] = {"when": "call", "outcome": "passed", "duration": 0.001}
            if n % 100 == 7:
                call = {**call, "outcome": "failed", "longrepr": TRACEBACK}
            elif n % 50 == 3:
                call = {**call, "outcome": "skipped", "longrepr": "('x.py', 1, 'Skipped: no')"}
            setup = {"when": "setup", "outcome": "passed", "duration": 0.0}
            teardown = {"when": "teardown", "outcome": "passed", "duration": 0.0}
            location = [nodeid.partition("::")[0], 11, nodeid.rpartition("::")[2]]
            write(
                {
                    "type": "test_end",
                    "nodeid": nodeid,
                    "location": location,
                    "phases": [setup, call, teardown],
                }
            )
        write({"type": "session_end", "time": 1.7e9 + 123.4, "exitstatus": 1})


def node_id(n: int, per_module: int) -> str:
    module, index = divmod(n, per_module)
    group = "::TestGroup" if n % 3 else ""
    return f"tests/pkg{module % 10}/test_mod{module}.py{group}::test_case[{index}]"


def server_memory(pid: int) -> int:
    """Bytes the server's processes (gunicorn's master and its forked worker) hold now: their
    proportional set sizes, so a page the worker shares with the master counts once."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(entry.name) != pid and int(stat[2]) != pid:  # the leader or its child
                continue
            rollup = (entry / "smaps_rollup").read_text()
        except (OSError, IndexError, ValueError):
            continue
        found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
        total += int(found.group(1)) * 1024 if found else 0
    return total


def machine_speed() -> float:
    """Microseconds for `sum(range(1000))`: about 8 on a recent laptop; scale the figures."""
    return min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6


def time_in_process(path: Path, repeat: int) -> None:
    from pytest_web.results import open_results
    from pytest_web.web import create_app
    from pytest_web.web import read_only as viewer

    auth = {"Authorization": f"Bearer {TOKEN}"}
    best: dict[str, tuple[float, float]] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        results = open_results([str(path)])
        took = (time.perf_counter() - wall, time.process_time() - cpu)
        best["read + fold"] = min(best.get("read + fold", took), took)
        wall, cpu = time.perf_counter(), time.process_time()
        viewer.LOADED = results  # as `pytest-web view` does before forking its worker
        viewer.prepare(results)
        took = (time.perf_counter() - wall, time.process_time() - cpu)
        best["prepare"] = min(best.get("prepare", took), took)
        app = create_app({"read_only": True, "token": TOKEN})
        client = app.test_client()
        wall, cpu = time.perf_counter(), time.process_time()
        page = client.get("/", headers=auth)
        took = (time.perf_counter() - wall, time.process_time() - cpu)
        best["first page"] = min(best.get("first page", took), took)
        opened = page
        for name in ("open a folder", "open a file"):  # the first group, then one inside it
            group = re.search(rb'hx-get="(/runs/[^"]+/group/[^"]+)"', opened.data)
            if group is None:  # a small run's groups are all on the page
                break
            wall, cpu = time.perf_counter(), time.process_time()
            opened = client.get(group.group(1).decode(), headers=auth)
            took = (time.perf_counter() - wall, time.process_time() - cpu)
            best[name] = min(best.get(name, took), took)
            sizes[name] = (len(opened.data), opened.data.count(ROW))
    rows = page.data.count(ROW)
    print(f"  {len(results.state.tests)} tests; first page {len(page.data) / 1e3:.0f} KB with")
    print(
        f"  {rows} rows; "
        + "; ".join(f"{n}: {k / 1e3:.0f} KB, {r} rows" for n, (k, r) in sizes.items())
    )
    for name, (wall, cpu) in best.items():
        print(f"  {name:13} {wall:6.2f} s wall {cpu:6.2f} s CPU (best of {repeat})")


PAINT = """new Promise((done) => {
  new PerformanceObserver((list) => {
    const entry = list.getEntriesByName("first-contentful-paint")[0];
    if (entry) done(entry.startTime);
  }).observe({ type: "paint", buffered: true });
  setTimeout(() => done(-1000), 5000);
})"""
"""First contentful paint, in ms from the request: the entry can come after the load event."""


def time_in_browser(path: Path) -> tuple[float, int]:
    """From `pytest-web view FILE` to the counts on screen in Chromium (started beforehand)."""
    from playwright.sync_api import sync_playwright

    from support import CHROMIUM, CHROMIUM_ARGS

    token = TOKEN
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest_web", "view", str(path), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTEST_WEB_TOKEN": token},
            start_new_session=True,
        )
        peak = 0
        watching = True

        def sample() -> None:
            nonlocal peak
            while watching:
                peak = max(peak, server_memory(process.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            url = next(
                m.group(1) for line in process.stdout if (m := re.search(r"open (http\S+)", line))
            )
            printed = time.perf_counter() - start
            page.goto(url, wait_until="commit")
            answered = time.perf_counter() - start
            page.locator("#run-head .counts").wait_for()
            usable = time.perf_counter() - start
            page.wait_for_load_state("load")
            loaded = time.perf_counter() - start
            paint = page.evaluate(PAINT)
            closed = page.locator("#tree details.lazy:not([open])").first
            closed.locator("summary").first.click()  # used: a closed group opens
            page.locator("#tree details.lazy[open] ul li").first.wait_for()
            opened = time.perf_counter() - start
            peak = max(peak, server_memory(process.pid))
        finally:
            watching = False
            sampler.join()
            os.killpg(process.pid, 15)
            process.wait(10)
            browser.close()
    print(f"  address printed (files read)  {printed:6.2f} s")
    print(f"  page answered (worker up)     {answered:6.2f} s")
    print(
        f"  counts and tree on screen     {usable:6.2f} s  (first paint {paint / 1000:.2f} s "
        "after the request)"
    )
    print(f"  page load event               {loaded:6.2f} s")
    print(f"  a closed group opened         {opened:6.2f} s")
    print(f"  server memory, most at once   {peak / 1e6:6.0f} MB (its processes' PSS, summed)")
    return usable, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=100_000)
    parser.add_argument("--browser", action="store_true")
    parser.add_argument("--recording", action="store_true", help="a .jsonl.gz, not JUnit XML")
    parser.add_argument("--repeat", type=int, default=3, help="in-process passes (the best)")
    parser.add_argument("--passes", type=int, default=1, help="--browser passes (the median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.recording:
            path = Path(folder) / "run.jsonl.gz"
            make_recording(path, args.tests)
            kind = "a gzipped recording"
        else:
            path = Path(folder) / "junit.xml"
            make_junit(path, args.tests)
            kind = "JUnit XML"
        print(f"{args.tests} tests, {path.stat().st_size / 1e6:.1f} MB of {kind}")
        print(f"machine: sum(range(1000)) takes {machine_speed():.1f} us (about 8 on a laptop)")
        if args.repeat:
            print("in process:")
            time_in_process(path, args.repeat)
        if args.browser:
            passes = [time_in_browser_pass(path, n, args.passes) for n in range(args.passes)]
            if args.passes > 1:
                usable = statistics.median(u for u, _ in passes)
                peak = statistics.median(p for _, p in passes)
                print(
                    f"median of {args.passes}: {usable:.2f} s to a usable page, {peak / 1e6:.0f} MB"
                )


def time_in_browser_pass(path: Path, number: int, passes: int) -> tuple[float, int]:
    print(f"pytest-web view in Chromium, from the command's start (pass {number + 1} of {passes};")
    print(f"  load average {os.getloadavg()[0]:.2f}):")
    return time_in_browser(path)


if __name__ == "__main__":
    main()
