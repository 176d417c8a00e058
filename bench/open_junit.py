"""How fast a 100,000-test JUnit XML file becomes a usable page in `pytest-web view`.

Generates the file (1,000 modules of 100 tests, 1% failing with a traceback, 2% skipped), then
times each step: read and fold the file, render the page the browser first gets, and (with
`--browser`) the whole `pytest-web view FILE` start in Chromium until the counts show.
Prints figures only; the goal is under 3 s to a usable page.

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
    from pytest_web import create_app
    from pytest_web.results import open_results
    from pytest_web.viewer import install

    auth = {"Authorization": "Bearer bench"}
    best: dict[str, tuple[float, float]] = {}
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        results = open_results([str(path)])
        took = (time.perf_counter() - wall, time.process_time() - cpu)
        best["read + fold"] = min(best.get("read + fold", took), took)
        app = create_app({"read_only": True, "token": "bench"})
        install(app, results)
        client = app.test_client()
        wall, cpu = time.perf_counter(), time.process_time()
        page = client.get("/", headers=auth)
        took = (time.perf_counter() - wall, time.process_time() - cpu)
        best["first page"] = min(best.get("first page", took), took)
        group = re.search(rb'hx-get="(/runs/[^"]+/group/[^"]+)"', page.data)
        wall, cpu = time.perf_counter(), time.process_time()
        part = client.get(group.group(1).decode(), headers=auth)
        took = (time.perf_counter() - wall, time.process_time() - cpu)
        best["open a file"] = min(best.get("open a file", took), took)
    rows, parts = page.data.count(ROW), part.data.count(ROW)
    print(f"  {len(results.state.tests)} tests; first page {len(page.data) / 1e6:.2f} MB with")
    print(f"  {rows} rows; a file opens with {parts} rows")
    for name, (wall, cpu) in best.items():
        print(f"  {name:12} {wall:6.2f} s wall {cpu:6.2f} s CPU (best of {repeat})")


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
            page.locator("#run-head .counts").wait_for()
            usable = time.perf_counter() - start
            page.wait_for_load_state("load")
            loaded = time.perf_counter() - start
            paint = page.evaluate(
                "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1"
            )
        finally:
            os.killpg(process.pid, 15)
            process.wait(10)
            browser.close()
    print(f"  address printed (files read)  {printed:6.2f} s")
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
