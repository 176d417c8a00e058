"""Load: a 10,000-test run with `-n 2` while 20 event streams read along.

Prints whether every stream's final counts equal pytest's own summary, and the run's time
against plain pytest in the same run. `python bench/load_streams.py [--tests N] [--clients N]`
"""

from __future__ import annotations

import argparse
import threading
import time

from common import launch_server, stop_server, suite
from support import summary_counts
from test_load import watch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    folder = suite(args.tests)
    started = time.perf_counter()
    expected = summary_counts(folder, "-n", "2")
    plain = time.perf_counter() - started
    server = launch_server(folder)
    try:
        finals: list[dict[str, int]] = []
        ready = threading.Barrier(args.clients + 1)
        watchers = [
            threading.Thread(target=watch, args=(server.url, server.token, finals, ready))
            for _ in range(args.clients)
        ]
        for watcher in watchers:
            watcher.start()
        ready.wait(timeout=60)
        started = time.perf_counter()
        run = server.wait_run(server.start_run(workers=2), timeout=1200)
        served = time.perf_counter() - started
        for watcher in watchers:
            watcher.join(timeout=300)
    finally:
        stop_server(server)
    agree = sum(final == expected for final in finals)
    print(f"pytest summary: {expected}")
    print(f"server counts equal pytest: {run['counts'] == expected}")
    print(f"streams whose final counts equal pytest: {agree}/{args.clients}")
    print(
        f"plain pytest -n 2: {plain:.1f} s; through the server with {args.clients} streams: "
        f"{served:.1f} s ({served / plain:.2f}x)"
    )


if __name__ == "__main__":
    main()
