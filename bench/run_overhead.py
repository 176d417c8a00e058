"""How much slower is a run through pytest-web than plain pytest? Prints ratios, asserts nothing.

    python bench/run_overhead.py [--tests 10000] [--repeat 3] [--workers 0 2]

1. End to end, for each worker count: plain `python -m pytest -q [-n N]` as a user types it
   (no plugin, the user's environment) against the same run started with `POST /api/runs` and
   timed until `GET /api/runs` says it is no longer running (polled every 50 ms; the run list
   carries no tests, so polling is cheap).
2. Where the time goes: pytest with the plugin reporting to a do-nothing HTTP sink (the
   plugin's own cost), then the recorded batches replayed in-process through the ingest route
   (JSON, auth, fold), through `Hub.publish` alone, and through `Renderer.delta` as one page's
   stream would render them, plus the final snapshot.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import (
    cpu_seconds,
    fmt,
    launch_server,
    plugin_env,
    print_table,
    pytest_args,
    run_plain,
    server_worker,
    stop_server,
    suite,
    wait_finished,
)


def end_to_end(repo: Path, workers_list: list[int], repeat: int) -> list[tuple]:
    """Plain and served runs, interleaved so that noise from other processes hits both."""
    rows = []
    server = launch_server(repo)
    worker = server_worker(server)
    try:
        for workers in workers_list:
            command = [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                *(["-n", str(workers)] * bool(workers)),
            ]
            plain, served, plain_cpu, served_cpu, own_cpu = [], [], [], [], []
            for _ in range(repeat):
                wall, cpu = run_plain(repo, command, dict(os.environ))
                plain.append(wall)
                plain_cpu.append(cpu)
                cpu_before = cpu_seconds(worker)
                start = time.perf_counter()
                run_id = server.start_run(workers=workers)
                run = wait_finished(server, run_id)
                served.append(time.perf_counter() - start)
                time.sleep(0.5)  # let the worker reap pytest so its CPU time is counted
                cpu_after = cpu_seconds(worker)
                own_cpu.append(cpu_after[0] - cpu_before[0])
                served_cpu.append(sum(cpu_after) - sum(cpu_before))
                if run["status"] != "finished":
                    raise RuntimeError(f"run ended {run['status']}: {run}")
            print(f"  -n {workers}: plain {fmt(plain)}   served {fmt(served)}   {run['counts']}")
            print(f"        cpu:   plain {fmt(plain_cpu)}   served {fmt(served_cpu)}")
            print(f"        of which the server's own: {fmt(own_cpu)}")
            rows.append((f"run -n {workers} (wall)", plain, served))
            rows.append((f"run -n {workers} (cpu)", plain_cpu, served_cpu))
    finally:
        stop_server(server)
    return rows


class Sink(BaseHTTPRequestHandler):
    """Accepts the plugin's batches like the ingest route does, and keeps them."""

    batches: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Sink.batches.append(body)
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def plugin_cost(repo: Path, repeat: int) -> tuple[list[tuple], list[bytes]]:
    """pytest -n 0 with the plugin posting to a sink, against plain; and the recorded batches."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/internal/event"
    env = plugin_env({"PYTEST_WEB_URL": url, "PYTEST_WEB_RUN": "bench", "PYTEST_WEB_SECRET": "s"})
    command = pytest_args(0)
    plain, reporting, plain_cpu, reporting_cpu = [], [], [], []
    try:
        for _ in range(repeat):
            wall, cpu = run_plain(repo, command)
            plain.append(wall)
            plain_cpu.append(cpu)
            Sink.batches = []
            wall, cpu = run_plain(repo, command, env)
            reporting.append(wall)
            reporting_cpu.append(cpu)
    finally:
        httpd.shutdown()
    print(f"  plugin -> sink: plain {fmt(plain)}   reporting {fmt(reporting)}")
    print(f"            cpu:  plain {fmt(plain_cpu)}   reporting {fmt(reporting_cpu)}")
    rows = [
        ("plugin -> sink (wall)", plain, reporting),
        ("plugin -> sink (cpu)", plain_cpu, reporting_cpu),
    ]
    return rows, Sink.batches


def replay(batches: list[bytes]) -> None:
    """Feed the recorded batches to an in-process app and time each server-side step."""
    from pytest_web.core.hub import Hub
    from pytest_web.pytest_run.runner import Active
    from pytest_web.web import create_app
    from pytest_web.web.services import services

    app = create_app({"repo": Path("."), "token": "bench-token-0123456789", "data_dir": None})
    shared = services(app)
    hub, renderer, runner = shared.hub, shared.renderer, shared.runner
    events = sum(len(json.loads(b)) for b in batches)
    size = sum(len(b) for b in batches)
    print(f"  {len(batches)} batches, {events} events, {size / 1e6:.1f} MB of JSON")

    run = hub.create_run({"workers": 0}, ["python", "-m", "pytest"])
    runner.active = Active(run, None, "")
    bodies = [b.replace(b'"run":"bench"', f'"run":"{run.id}"'.encode()) for b in batches]
    client = app.test_client()
    start = time.perf_counter()
    for body in bodies:
        response = client.post(
            "/internal/event",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Pytest-Web-Run": run.id,
                "X-Pytest-Web-Secret": run.secret,
            },
        )
        assert response.status_code == 202, response.text
    ingest = time.perf_counter() - start
    runner.active = None
    hub.publish(run, [{"type": "run_exit", "returncode": 0, "time": time.time()}])

    hub2 = Hub()
    run2 = hub2.create_run({}, [])
    decoded = [json.loads(b) for b in batches]
    decoded.append([{"type": "run_exit", "returncode": 0, "time": time.time()}])
    publish = deltas = 0.0
    sizes = []
    messages = 0
    with app.app_context():
        for batch in decoded:
            cursor = run2.state.seq
            start = time.perf_counter()
            hub2.publish(run2, batch)
            publish += time.perf_counter() - start
            start = time.perf_counter()
            parts = renderer.delta_parts(run2, cursor)
            deltas += time.perf_counter() - start
            sizes.append(max(len(part) for part in parts))
            messages += len(parts)
        start = time.perf_counter()
        snapshot = renderer.snapshot(run2)
        snap = time.perf_counter() - start
    print(f"  ingest route (JSON + auth + fold), all batches: {ingest:6.2f} s")
    print(f"  Hub.publish alone (fold):                       {publish:6.2f} s")
    print(
        f"  Renderer.delta_parts, once per batch ({len(sizes)}):   {deltas:6.2f} s, "
        f"{messages} messages, largest {max(sizes) / 1e3:.0f} kB"
    )
    megabytes = len(snapshot) / 1e6
    print(f"  Renderer.snapshot at the end:                   {snap:6.2f} s, {megabytes:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument(
        "--breakdown", action="store_true", help="where the time goes, instead of end to end"
    )
    args = parser.parse_args()
    repo = suite(args.tests)
    rows = []
    if args.breakdown:
        print(f"where the time goes, {args.tests} tests")
        cost, batches = plugin_cost(repo, args.repeat)
        rows += cost
        replay(batches)
    else:
        print(f"end to end, {args.tests} tests, {args.repeat} runs each")
        rows += end_to_end(repo, args.workers, args.repeat)
    print()
    print_table(rows, "<= 1.05x (wall)")


if __name__ == "__main__":
    main()
