"""Memory with run history: ten 10,000-test runs through one server, its RSS after each.

Also prints each run's wall time against plain pytest measured in the same pass (history
writes must not cost the run), the size of the history file, and how long opening the oldest
run again takes (folded from its stored events). Goal: the server under 100 MB after ten runs.

    python bench/history_memory.py [--tests 10000] [--runs 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import launch_server, pytest_args, run_plain, server_worker, stop_server, suite
from common import wait_finished as wait_listed


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    folder = suite(args.tests)
    plain = run_plain(folder, pytest_args(args.workers))[0]
    data = Path(tempfile.mkdtemp(prefix="pytest-web-bench-data-"))
    server = launch_server(folder, env={"PYTEST_WEB_DATA": str(data)})
    try:
        worker = server_worker(server)
        print(f"{args.tests} tests, -n {args.workers}; plain pytest {plain:.2f} s")
        print(f"server at start: {rss_mb(worker):.1f} MB")
        print(f"{'run':>4} {'wall (s)':>9} {'vs plain':>9} {'RSS (MB)':>9} {'history (MB)':>13}")
        ids = []
        for number in range(1, args.runs + 1):
            started = time.perf_counter()
            run_id = server.start_run(workers=args.workers)
            run = wait_listed(server, run_id, interval=0.2)
            wall = time.perf_counter() - started
            ids.append(run_id)
            assert run["status"] == "finished", run
            print(
                f"{number:4} {wall:9.2f} {wall / plain:8.3f}x {rss_mb(worker):9.1f} "
                f"{folder_mb(data):13.1f}"
            )
        started = time.perf_counter()
        opened = server.api("GET", f"/runs/{ids[0]}")
        took = time.perf_counter() - started
        assert opened.status_code == 200
        print(f"open the oldest run again (re-folded from history): {took:.2f} s")
        server.api("GET", "/runs")
        print(
            f"server after ten runs and that page: {rss_mb(worker):.1f} MB "
            "(goals: under 100 MB at 10,000 tests, 500 MB at 100,000)"
        )
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
