"""The parts of `ci_fanin.py` that stand in for CI and for a person: a shard replayed through
the plugin's own stream, and the open page waiting for the run to end."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import requests

import common  # noqa: F401 (puts the tests' support and the plugin on the path)
from dashboard_support import UPLOAD
from pytest_web_plugin.sender import END, OTHER, START
from pytest_web_plugin.stream import Stream
from support import Server

PROJECT = "bench/fanin"
FINISHED = ('class="head s-finished', 'class="head s-crashed')
"""What the run's head says once the run has ended, in the event stream."""


class Replay(threading.Thread):
    """One shard's recording sent through the plugin's Stream, at `seconds` pace (0: at once)."""

    def __init__(
        self,
        url: str,
        run_key: str,
        name: str,
        events: list[dict[str, Any]],
        seconds: float,
        shards: int,
    ) -> None:
        super().__init__(daemon=True)
        info = {
            "project": PROJECT,
            "run_key": run_key,
            "shard": name,
            "session": name,
            "shards": shards,
        }
        self.stream = Stream(url, UPLOAD, info, timeout=300)
        prefix = f'"{name}/tests/'
        self.items = []
        for event in events:
            line = json.dumps(event, separators=(",", ":")).replace('"tests/', prefix)
            kind = {"test_start": START, "test_end": END}.get(event["type"], OTHER)
            self.items.append((event["i"], kind, event.get("nodeid", ""), line))
        self.seconds = seconds
        self.ended = 0.0
        self.delivered = False

    def run(self) -> None:
        start = time.perf_counter()
        count = len(self.items)
        for index, (number, kind, nodeid, line) in enumerate(self.items):
            due = start + self.seconds * index / count
            delay = due - time.perf_counter()
            if delay > 0.002:
                time.sleep(delay)
            self.stream.put(number, kind, nodeid, line)
        self.ended = time.perf_counter()  # this "pytest" ends here
        self.delivered = self.stream.close()


class Watcher(threading.Thread):
    """The open page: follows the run's event stream, notes when it says the run ended."""

    def __init__(self, server: Server, run_key: str, browser: Any = None) -> None:
        super().__init__(daemon=True)
        self.server, self.run_key, self.browser = server, run_key, browser
        self.final = 0.0
        self.error = ""

    def run_id(self) -> str:
        while True:
            runs = self.server.api("GET", f"/api/runs?project={PROJECT}").json()["runs"]
            found = [r["id"] for r in runs if r.get("run_key") == self.run_key]
            if found:
                return str(found[0])
            time.sleep(0.05)

    def run(self) -> None:
        try:
            run_id = self.run_id()
            if self.browser is not None:
                self._watch_in_chromium(run_id)
                return
            url = f"{self.server.url}/events?run={run_id}"
            headers = {"Authorization": f"Bearer {self.server.token}"}
            with requests.get(url, headers=headers, stream=True, timeout=600) as response:
                buffer = ""
                for chunk in response.iter_content(chunk_size=None, decode_unicode=True):
                    buffer += chunk
                    if any(mark in buffer for mark in FINISHED):
                        self.final = time.perf_counter()
                        return
                    buffer = buffer[-200:]
        except Exception as error:  # said in the figures, not raised in a thread
            self.error = repr(error)

    def _watch_in_chromium(self, run_id: str) -> None:
        page = self.browser.new_page()
        page.goto(f"{self.server.url}/runs/{run_id}?token={self.server.token}")
        page.wait_for_selector("#run-head.s-finished, #run-head.s-crashed", timeout=600_000)
        self.final = time.perf_counter()
        page.close()
