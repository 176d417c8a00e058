"""How much slower is `GET /api/tests` than `pytest --collect-only -q`? Prints, asserts nothing.

    python bench/discovery.py [--tests 10000] [--repeat 3]

Both collect the same generated suite; the server runs pytest with its plugin writing the
tests as JSON, folds them into a "collected" run for the page, and answers with JSON.
Runs are interleaved (plain, served, plain, ...) so that noise hits both.
"""

from __future__ import annotations

import argparse
import sys
import time

from common import fmt, launch_server, print_table, run_plain, stop_server, suite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    repo = suite(args.tests)
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q"]
    server = launch_server(repo)
    plain, served = [], []
    try:
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
        start = time.perf_counter()
        page = server.api("GET", "/tests", headers={"HX-Request": "true"}, timeout=600)
        fragment = time.perf_counter() - start
    finally:
        stop_server(server)
    print(f"discovery, {args.tests} tests, {args.repeat} runs each")
    print(f"  pytest --collect-only -q: {fmt(plain)}")
    print(f"  GET /api/tests:           {fmt(served)}")
    print(f"  GET /tests (page fragment, once): {fragment:.2f} s, {len(page.content) / 1e6:.1f} MB")
    print()
    print_table([("discovery", plain, served)], "<= 1.10x")


if __name__ == "__main__":
    main()
