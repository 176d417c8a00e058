"""The plugin's own CPU per test, in-process, with real TestReports fed to its hooks: pytest's
thread and the sender thread measured apart (thread CPU time, steady on a busy machine).
Prints microseconds per test; asserts nothing.

    python bench/plugin_cost.py [--tests 10000] [--repeat 5]

Modes: the reporter alone (encoding), with the spool (the server's write-through copy), with
the sender posting to a do-nothing HTTP sink, and with both (what a live run does); and a CI
shard's: the stream to a dashboard (a sink that holds every batch), with `--web-record` beside.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugin"))

from _pytest.reports import TestReport  # noqa: E402

from pytest_web_plugin import MappedRecorder, Recorder, Reporter, Sender, Stream  # noqa: E402


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        answer = b"{}"
        if self.path.endswith("/api/ci/events"):  # a dashboard: holds every batch
            numbers = [e["i"] for e in json.loads(body)]
            held = max(numbers, default=int(self.headers.get("X-Pytest-Web-After", "0")))
            answer = json.dumps({"held": held, "heartbeat": 30}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def reports(i: int) -> tuple[str, tuple[str, int, str], list[TestReport]]:
    nodeid = f"tests/test_gen_{i // 100:03d}.py::test_n_{i}"
    where = (f"tests/test_gen_{i // 100:03d}.py", i % 100 * 3, f"test_n_{i}")
    phases = [
        TestReport(nodeid, where, {}, "passed", None, when, [], 0.0000123)  # type: ignore[arg-type]
        for when in ("setup", "call", "teardown")
    ]
    return nodeid, where, phases


def measure(mode: str, tests: int, url: str, folder: str) -> tuple[float, float]:
    config: Any = SimpleNamespace(
        pluginmanager=SimpleNamespace(get_plugin=lambda name: None), rootpath=folder
    )
    sender = Sender(url, "bench", "secret") if "send" in mode else None
    spool = os.path.join(folder, "spool.jsonl")
    writers: Any = [MappedRecorder(spool)] if "spool" in mode else []
    if "record" in mode:
        writers.append(Recorder(os.path.join(folder, "record.jsonl"), fresh=True))
    info = {"project": "bench", "run_key": "1", "shard": "1", "session": "s"}
    stream = Stream(url.rsplit("/internal", 1)[0], "token", info) if "stream" in mode else None
    reporter = Reporter(config, sender, writers, "run-1" if sender else "", stream, info)
    data = [reports(i) for i in range(tests)]
    start = time.thread_time()
    for nodeid, where, phases in data:
        reporter.pytest_runtest_logstart(nodeid, where)
        for report in phases:
            reporter.pytest_runtest_logreport(report)
    main = time.thread_time() - start
    reporter.close()
    if os.path.exists(spool):
        os.unlink(spool)
    thread = sender.cpu if sender else stream.cpu if stream else 0.0
    return main / tests * 1e6, thread / tests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tests", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{sink.server_address[1]}/internal/event"
    with tempfile.TemporaryDirectory() as folder:
        for mode in ("reporter", "spool", "send", "spool+send", "stream", "record+stream"):
            runs = [measure(mode, args.tests, url, folder) for _ in range(args.repeat)]
            own = statistics.median(r[0] for r in runs)
            sender = statistics.median(r[1] for r in runs)
            print(f"{mode:13} pytest's thread {own:6.1f} us/test   sending thread {sender:5.1f}")


if __name__ == "__main__":
    main()
