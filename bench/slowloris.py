"""Slow clients against a real server: many connections that send half a request and trickle
the rest, reopened as the server drops them, while real requests are timed.

Starts `pytest-web` on the demo suite, opens N half-sent connections from loopback (reopening
each one the server closes, as an attacker would), and meanwhile times `GET /healthz` and
`GET /api/runs` with the token. Prints the median and worst answer time and how many real
requests failed, for each N.

    python bench/slowloris.py [--clients 1100 3500] [--seconds 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import requests
from slow_clients import Attack

from common import ROOT, launch_server, stop_server


def timed_requests(server, seconds: float) -> tuple[list[float], int]:
    times, failed = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path, headers in (
            ("/healthz", {}),
            ("/api/runs", {"Authorization": f"Bearer {server.token}"}),
        ):
            start = time.perf_counter()
            try:
                ok = requests.get(server.url + path, headers=headers, timeout=30).ok
            except requests.RequestException:
                ok = False
            times.append(time.perf_counter() - start)
            failed += not ok
        time.sleep(0.2)
    return times, failed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, nargs="+", default=[1100, 3500])
    parser.add_argument("--seconds", type=float, default=20)
    options = parser.parse_args()
    server = launch_server(ROOT / "examples" / "demo")
    port = int(server.url.rsplit(":", 1)[1])
    try:
        times, failed = timed_requests(server, 3)
        print(f"no attack: median {statistics.median(times) * 1000:.0f} ms")
        for count in options.clients:
            attack = Attack(port, count)
            attack.start()
            time.sleep(3)  # let the connections build up
            times, failed = timed_requests(server, options.seconds)
            print(
                f"{count} slow clients ({attack.opened} connections opened in all): "
                f"median {statistics.median(times) * 1000:.0f} ms, "
                f"worst {max(times) * 1000:.0f} ms, {failed} of {len(times)} requests failed"
            )
            attack.stop()
            time.sleep(2)
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
