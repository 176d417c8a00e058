"""Many CI shards streaming into one dashboard: what each shard pays, how far the open page lags
behind, what the dashboard holds in memory, and how many events per second one dashboard
process takes. Prints figures, asserts nothing.

    python bench/ci_fanin.py [--shards 20] [--tests 2000] [--real 1] [--repeat 3]
                             [--ceiling-shards 20 40] [--browser]

A real `pytest-web dashboard` (gunicorn, one gevent worker, SQLite history) on this machine.
Each round streams `--shards` shards of `--tests` tests into one CI run (the run announces
`--shards`, so it ends when the last one does):

- `--real` of them are real pytest processes (`--web-stream`), the generated suite of trivial
  tests: the worst case for a shard's overhead, every test costs the plugin and nothing else;
- the others are one real shard's recording replayed at that shard's own pace (its events
  spread over the wall time of the plain run), through the plugin's own `Stream` (the same
  acknowledgements, resends and batching), their node ids renamed per shard. They stand for
  CI machines: on 2 cores the replays share the machine with the dashboard, which a real CI
  fleet would not.

Per shard overhead: in each round the real shard runs once streaming and once not (the same
command without `--web-stream`, the plugin idle), each time with the same replayed shards
streaming beside it, interleaved; the ratio of the medians of wall time and of CPU time.

The page: a Server-Sent Events client (or Chromium with `--browser`) follows the run's page;
its lag is when the message saying the run finished arrives, after the last shard's pytest
ended.

The ceiling: `--ceiling-shards` replays with no pacing (as fast as they can send) into a fresh
run; events per second taken, from the first batch to the last acknowledgement, with the page's
stream open.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fanin_parts import PROJECT, Replay, Watcher  # noqa: E402

from common import cpu_seconds, fmt, median, server_worker, suite
from dashboard_support import UPLOAD, launch_dashboard, pytest_command  # noqa: E402
from support import Server, stop_server  # noqa: E402

PACE = """import time

import pytest


@pytest.fixture(autouse=True)
def _pace():
    time.sleep({seconds})
"""


def paced_suite(tests: int, ms: float) -> Path:
    """The generated suite, each test taking `ms` milliseconds more (0: the suite itself)."""
    if not ms:
        return suite(tests)
    target = suite(tests).parent / f"suite{tests}-{ms:g}ms"
    if not (target / "conftest.py").exists():
        shutil.copytree(suite(tests), target, dirs_exist_ok=True)
        (target / "conftest.py").write_text(PACE.format(seconds=ms / 1000))
    return target


def shard_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_WEB_", "GITHUB_"))}
    plugin = str(Path(__file__).resolve().parent.parent / "plugin")
    env.update(PYTHONPATH=plugin, PYTEST_WEB_UPLOAD_TOKEN=UPLOAD)
    return env


def record_shard(repo: Path, folder: Path) -> tuple[list[dict[str, Any]], float]:
    """One real run recorded (`--web-record`): its events, and the wall time of a plain run
    (the pace replays keep)."""
    path = folder / "shard.jsonl"
    subprocess.run(
        pytest_command(f"--web-record={path}"),
        cwd=repo,
        env=shard_env(),
        capture_output=True,
        check=False,
    )
    start = time.perf_counter()
    subprocess.run(pytest_command(), cwd=repo, env=shard_env(), capture_output=True, check=False)
    wall = time.perf_counter() - start
    return [json.loads(line) for line in path.read_text().splitlines()], wall


def rss(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of a process, in MB."""
    fields = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def round_(
    server: Server,
    repo: Path,
    events: list[dict[str, Any]],
    pace: float,
    shards: int,
    real: int,
    streamed: bool,
    browser: Any,
) -> dict[str, Any]:
    """One round: the replays at pace, and `real` real shards, streamed or plain."""
    run_key = f"{'s' if streamed else 'p'}-{time.time():.3f}"
    total = shards if streamed else shards - real
    replays = [
        Replay(server.url, run_key, f"r{n:02d}", events, pace, total) for n in range(shards - real)
    ]
    watcher = Watcher(server, run_key, browser)
    watcher.start()
    started = time.perf_counter()
    for replay in replays:
        replay.start()
    procs = []
    for n in range(real):
        extra = [
            f"--web-stream={server.url}",
            f"--web-project={PROJECT}",
            f"--web-run-key={run_key}",
            f"--web-shard=real{n}",
            f"--web-shards={total}",
        ]
        before = time.perf_counter()
        procs.append(
            (
                subprocess.Popen(
                    pytest_command(*(extra if streamed else [])),
                    cwd=repo,
                    env=shard_env(),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
                before,
            )
        )
    walls, cpus, ends = [], [], []
    for proc, before in procs:
        _, usage = os.wait4(proc.pid, 0)[1:]
        ends.append(time.perf_counter())
        walls.append(ends[-1] - before)
        cpus.append(usage.ru_utime + usage.ru_stime)
        proc.returncode = 0
    for replay in replays:
        replay.join()
        ends.append(replay.ended)
    watcher.join(60)
    last_end = max(ends)
    held = sum(len(r.items) for r in replays) + (real * len(events) if streamed else 0)
    return {
        "walls": walls,
        "cpus": cpus,
        "lag": watcher.final - last_end if watcher.final else float("nan"),
        "watch_error": watcher.error,
        "replayed_events": held,
        "events_per_s": held / (last_end - started),
        "delivered": all(r.delivered for r in replays),
    }


def ceiling(
    server: Server, worker: int, events: list[dict[str, Any]], shards: int
) -> tuple[float, int, float]:
    """Replays at full speed: events per second the dashboard took, how many, and the
    dashboard's own CPU seconds per event (its ceiling on a core of its own)."""
    run_key = f"c{shards}-{time.time():.3f}"
    replays = [Replay(server.url, run_key, f"c{n:03d}", events, 0.0, shards) for n in range(shards)]
    watcher = Watcher(server, run_key)
    watcher.start()
    cpu = cpu_seconds(worker)[0]
    started = time.perf_counter()
    for replay in replays:
        replay.start()
    for replay in replays:
        replay.join()
    took = time.perf_counter() - started
    count = sum(len(r.items) for r in replays)
    watcher.join(60)
    return count / took, count, (cpu_seconds(worker)[0] - cpu) / count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shards", type=int, default=20)
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--real", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ceiling-shards", type=int, nargs="*", default=[20, 40])
    parser.add_argument("--browser", action="store_true", help="watch in Chromium, not SSE")
    parser.add_argument(
        "--test-ms", type=float, default=0.0, help="each test takes this long (0: trivial tests)"
    )
    args = parser.parse_args()
    repo = paced_suite(args.tests, args.test_ms)
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} (shared)")
    with tempfile.TemporaryDirectory() as folder:
        events, pace = record_shard(repo, Path(folder))
        print(
            f"a shard: {args.tests} tests of {args.test_ms:g} ms more each, {len(events)} "
            f"events, plain pytest {pace:.2f} s "
            f"(the replays' pace)"
        )
        server = launch_dashboard(Path(folder) / "data")
        worker = server_worker(server)
        browser_cm: Callable[[], Any] | None = None
        browser = None
        if args.browser:
            from playwright.sync_api import sync_playwright

            from support import CHROMIUM, CHROMIUM_ARGS

            browser_cm = sync_playwright().start
            playwright = browser_cm()
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            plain_w, plain_c, served_w, served_c, lags, rates = [], [], [], [], [], []
            for repeat in range(args.repeat):
                for streamed in (False, True):
                    found = round_(
                        server, repo, events, pace, args.shards, args.real, streamed, browser
                    )
                    if streamed:
                        served_w += found["walls"]
                        served_c += found["cpus"]
                        lags.append(found["lag"])
                        rates.append(found["events_per_s"])
                    else:
                        plain_w += found["walls"]
                        plain_c += found["cpus"]
                    if not found["delivered"] or found["watch_error"]:
                        print("  problem:", found)
                print(
                    f"  round {repeat + 1}: plain {fmt(plain_w[-args.real :])} s, streamed "
                    f"{fmt(served_w[-args.real :])} s, page final {lags[-1]:+.2f} s after "
                    f"the last shard, {rates[-1]:,.0f} events/s held"
                )
            now, peak = rss(worker)
            print(
                f"\n{args.shards} shards x {args.tests} tests ({args.real} real, "
                f"{args.shards - args.real} replayed at pace), medians of {args.repeat}:"
            )
            print(
                f"  real shard wall: plain {median(plain_w):.2f} s, streamed "
                f"{median(served_w):.2f} s: {median(served_w) / median(plain_w):.3f}x"
            )
            print(
                f"  real shard CPU:  plain {median(plain_c):.2f} s, streamed "
                f"{median(served_c):.2f} s: {median(served_c) / median(plain_c):.3f}x"
            )
            print(
                f"  page final after the last shard's end: {median(lags):+.2f} s "
                f"(worst {max(lags):+.2f} s)"
            )
            print(f"  events/s held: {median(rates):,.0f}")
            print(f"  dashboard memory: {now:.0f} MB resident, {peak:.0f} MB peak")
            kept = sum(
                f.stat().st_size for f in (Path(folder) / "data" / "dashboard").glob("history*")
            )
            tests = 2 * args.repeat * args.shards * args.tests
            print(f"  history: {kept / 2**20:.0f} MB for {tests:,} test results")
            print("goal: every shard's overhead <= 1.05x, the page final within 1 s")
            for shards in args.ceiling_shards:
                rate, count, per_event = ceiling(server, worker, events, shards)
                print(
                    f"ceiling, {shards} shards at full speed: {rate:,.0f} events/s taken "
                    f"({count:,} events); the dashboard's own CPU: {per_event * 1e6:.0f} us "
                    f"per event, {1 / per_event:,.0f} events/s on a core of its own"
                )
            now, peak = rss(worker)
            print(f"  dashboard memory after: {now:.0f} MB resident, {peak:.0f} MB peak")
        finally:
            if browser is not None:
                browser.close()
            stop_server(server)


if __name__ == "__main__":
    main()
