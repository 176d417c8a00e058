"""Posting events to the server from a background thread, so the run never waits on the network.

One HTTP connection is kept alive for the whole run (a new one per batch cost more than the
events themselves), and it never goes through a proxy: `http.client` reads no `$http_proxy`,
so test names, output and the run's secret only ever reach the server we were given. A test
that ends within the batch that starts it is sent as its end alone: the page would never have
shown it running, and the server does half the work.

The thread must not show in the run it reports on (some suites assert on it): it is a bare
`_thread`, so `threading.active_count()` and `threading.enumerate()` do not see it, and the
events are encoded to bytes in pytest's own thread, so the thread allocates nothing large while
a test traces its memory with `tracemalloc` (a test's 2 MB of output is sent as it is, never
copied into a batch).
"""

from __future__ import annotations

import _thread
import contextlib
import encodings.idna  # noqa: F401 (the threads' first connection would import it: 1 MB)
import http.client
import queue
import threading
import time
import urllib.parse
from typing import Any

from pytest_web_plugin.names import RUN_HEADER, SECRET_HEADER
from pytest_web_plugin.text import say

BATCH_SECONDS = 0.2
BATCH_MAX = 500
BATCH_BYTES = 1024 * 1024
JOINED_BYTES = 32 * 1024
"""Small events are sent joined in pieces of at most this size; a bigger one is sent alone."""
POST_TIMEOUT = 5.0
FLUSH_TIMEOUT = 10.0
START, END, OTHER = 1, 2, 0
"""What a queued event is, for coalescing a test's start with its end."""

Item = tuple[int, str, bytes]
"""(START/END/OTHER, node id, the event as JSON)."""


class Refused(Exception):
    """The server answered, and said no (a 4xx or 5xx): asking again would not help."""


class Sender:
    """Posts queued events in batches from a daemon thread; never blocks the run."""

    def __init__(self, url: str, run: str, secret: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.url, self.run, self.secret = url, run, secret
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port
        self.path = parts.path or "/"
        self.connection: http.client.HTTPConnection | None = None
        self.queue: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
        self.failed = False
        self.error = ""
        self.warned = False
        self.cpu = 0.0
        """The sender thread's CPU time, once it has stopped (for the benchmarks)."""
        self.closing = threading.Event()
        self.running = _thread.allocate_lock()
        """Held by the thread while it runs: `close` waits on it, as `join` would."""
        self.running.acquire()
        _thread.start_new_thread(self._run, ())

    def put(self, kind: int, nodeid: str, line: str) -> None:
        """Queue one event, already encoded as JSON."""
        if not self.failed:
            self.queue.put((kind, nodeid, line.encode("utf-8", "surrogatepass")))

    def close(self) -> None:
        self.closing.set()
        self.queue.put(None)
        if self.running.acquire(timeout=FLUSH_TIMEOUT):
            self.running.release()

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            self.running.release()

    def _loop(self) -> None:
        """Wait for an event, let more gather for `BATCH_SECONDS`, post them all, repeat.

        The thread sleeps while a batch gathers instead of waiting on the queue, so pytest's
        `put` never wakes it: one thread switch per batch rather than per event.
        """
        done = False
        while not done:
            items = [self.queue.get()]
            if items[0] is not None:
                self.closing.wait(BATCH_SECONDS)
                with contextlib.suppress(queue.Empty):
                    while items[-1] is not None:
                        items.append(self.queue.get_nowait())
            if items[-1] is None:
                done = True
                items.pop()
            self._send_all([item for item in items if item is not None])
        self._disconnect()
        self.cpu = time.thread_time()

    def _send_all(self, items: list[Item]) -> None:
        ended = {nodeid for kind, nodeid, _ in items if kind == END}
        batch: list[bytes] = []
        size = 0
        for kind, nodeid, line in items:
            if kind == START and nodeid in ended:
                continue
            batch.append(line)
            size += len(line)
            if len(batch) >= BATCH_MAX or size >= BATCH_BYTES:
                self._post(batch)
                batch, size = [], 0
        self._post(batch)

    def _post(self, batch: list[bytes]) -> None:
        if not batch or self.failed:
            return
        body = pieces(batch)
        headers = {
            "Content-Type": "application/json",
            "Content-Length": str(sum(map(len, body))),
            RUN_HEADER: self.run,
            SECRET_HEADER: self.secret,
        }
        while True:
            reused = self.connection is not None
            try:
                connection = self.connection or self._connect()
                connection.request("POST", self.path, body, headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    raise Refused(f"HTTP {response.status} {response.reason}")
                return
            except (OSError, http.client.HTTPException, Refused) as error:
                self._disconnect()
                if not reused or isinstance(error, Refused):  # else: kept alive, since closed
                    self.error = f"cannot report to {self.url} ({error})"
                    self.failed = True
                    return

    def _connect(self) -> http.client.HTTPConnection:
        self.connection = connection_to(self.https, self.host, self.port, POST_TIMEOUT)
        return self.connection

    def _disconnect(self) -> None:
        close_quietly(self.connection)
        self.connection = None

    def warn(self, config: Any) -> None:
        """Say once on stderr that reporting stopped. Called from pytest's own thread with
        capturing suspended: written by the sender thread, the message would mostly land in the
        captured output of whichever test was running, and never be seen."""
        if not self.failed or self.warned:
            return
        self.warned = True
        capman = config.pluginmanager.get_plugin("capturemanager")
        with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
            say(f"\npytest-web: {self.error}; the test run goes on without live results\n")


def connection_to(
    https: bool, host: str, port: int | None, timeout: float
) -> http.client.HTTPConnection:
    """A connection to the server we were given: `http.client` reads no `$http_proxy`."""
    kind = http.client.HTTPSConnection if https else http.client.HTTPConnection
    return kind(host, port, timeout=timeout)


def close_quietly(connection: http.client.HTTPConnection | None) -> None:
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.close()


def pieces(batch: list[bytes]) -> list[bytes]:
    """The JSON array of `batch` as pieces to send one after another: small events joined up
    to `JOINED_BYTES`, a big one alone (never copied). An empty batch is `[]` (a heartbeat)."""
    if not batch:
        return [b"[]"]
    out: list[bytes] = []
    small: list[bytes] = []
    size = 0
    for index, line in enumerate(batch):
        mark = b"[" if index == 0 else b","
        if len(line) > JOINED_BYTES:
            out.append(b"".join(small) + mark)
            out.append(line)
            small, size = [], 0
            continue
        small += (mark, line)
        size += len(line) + 1
        if size >= JOINED_BYTES:
            out.append(b"".join(small))
            small, size = [], 0
    small.append(b"]")
    out.append(b"".join(small))
    return out
