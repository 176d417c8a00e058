"""How fast a 100,000-test JUnit XML file becomes a usable page in `pytest-web view`.

Generates the file (1,000 modules in 10 folders, 100 tests each, 1% failing with a traceback, 2%
skipped), then times each step: read and fold the file, prepare the tree (done before gunicorn
forks), render the page the browser first gets, open a folder and a file in it, and (with
`--browser`) the whole `pytest-web view FILE` start in Chromium: the address printed, the page
answered (the worker started), the counts on screen. Prints figures only; the goal is under 3 s
to a usable page.

    python bench/open_junit.py [--tests 100000] [--browser]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

ROW = b'class="t"'
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


def machine_speed() -> float:
    """Microseconds for `sum(range(1000))`: about 8 on a recent laptop; scale the figures."""
    return min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6


def time_in_process(path: Path, repeat: int = 3) -> None:
    from pytest_web.results import open_results
    from pytest_web.web import create_app
    from pytest_web.web import read_only as viewer

    auth = {"Authorization": "Bearer bench"}
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
        app = create_app({"read_only": True, "token": "bench"})
        client = app.test_client()
        wall, cpu = time.perf_counter(), time.process_time()
        page = client.get("/", headers=auth)
        took = (time.perf_counter() - wall, time.process_time() - cpu)
        best["first page"] = min(best.get("first page", took), took)
        opened = page
        for name in ("open a folder", "open a file"):  # the first group, then one inside it
            group = re.search(rb'hx-get="(/runs/[^"]+/group/[^"]+)"', opened.data)
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


def time_in_browser(path: Path) -> None:
    """From `pytest-web view FILE` to the counts on screen in Chromium (started beforehand)."""
    from playwright.sync_api import sync_playwright

    from support import CHROMIUM, CHROMIUM_ARGS

    token = "bench-token"
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
        finally:
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=100_000)
    parser.add_argument("--browser", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "junit.xml"
        make_junit(path, args.tests)
        print(f"{args.tests} tests, {path.stat().st_size / 1e6:.1f} MB of JUnit XML")
        print(f"machine: sum(range(1000)) takes {machine_speed():.1f} us (about 8 on a laptop)")
        print("in process:")
        time_in_process(path)
        if args.browser:
            print("pytest-web view in Chromium, from the command's start:")
            time_in_browser(path)


if __name__ == "__main__":
    main()
