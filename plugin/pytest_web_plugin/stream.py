"""Streaming a session's events to a dashboard: nothing lost, nothing twice, and the run never
waits.

Every event the reporter emits is kept here until the dashboard says it holds it. A background
thread POSTs them in batches on one kept-alive connection (never through a proxy), each batch
saying, in headers, which run and shard it is of and the number of the event it follows; the
answer is the highest number the dashboard holds (written to its history first), and what is
held is let go. After a network error, a refusal to wait (429) or a dashboard restart, the
thread tries again with backoff and sends on from what the dashboard holds. Kept events beyond
what memory should hold go to a temporary file and are read back in order. While a long test
runs, an empty batch every few seconds (a heartbeat) tells the dashboard this shard is alive.

As the live sender (`sender.py`), the thread must not show in the run it streams: it is a bare
`_thread` (not in `threading.enumerate()`), events are encoded to bytes in pytest's thread, a
big one is sent as it is (never joined into a batch's copy), and what spilled to the file is
read back in pytest's thread while tests run, so the thread allocates nothing large while a
test traces its memory.

When pytest ends, the plugin waits at most `--web-stream-timeout` for the rest, then says once
what was not sent and where it is: the `--web-record` file (which holds every event), or a file
of its own; `pytest-web upload FILE --url URL` sends it later, and the dashboard takes only what
it does not hold. pytest's output and exit status are never changed.
"""

from __future__ import annotations

import _thread
import collections
import http.client
import json
import threading
import time
import urllib.parse
from typing import Any

from pytest_web_plugin.names import (
    AFTER_HEADER,
    CI_EVENTS_PATH,
    PROJECT_HEADER,
    RUN_KEY_HEADER,
    SESSION_HEADER,
    SHARD_HEADER,
)
from pytest_web_plugin.sender import (
    BATCH_BYTES,
    BATCH_MAX,
    END,
    START,
    close_quietly,
    connection_to,
    pieces,
)
from pytest_web_plugin.spill import Item, Spill, write_rest
from pytest_web_plugin.text import say

BATCH_SECONDS = 0.2
"""Events gather this long before a batch goes: a dashboard takes twenty shards at once, and a
request costs it more than the events in it (its page shows changes every half second)."""
MEMORY_EVENTS = 20_000
MEMORY_BYTES = 32 * 1024 * 1024
"""Kept in memory until the dashboard holds them; more waits in a temporary file."""
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 10.0
RETRY_AFTER_MAX = 30.0
HEARTBEAT = 15.0
"""Seconds between heartbeats while nothing else is sent (the dashboard may ask for another)."""
POST_TIMEOUT = 20.0
REFUSED = {400, 401, 403, 404, 405, 413, 415}
"""Answers that asking again would not change: the stream stops and says why at the end."""


def quoted(value: object) -> str:
    """A header value: any name, percent-encoded UTF-8 (HTTP headers are Latin-1)."""
    return urllib.parse.quote(str(value), safe="")


class Stream:
    """Keeps a session's events until a dashboard holds them, sending them from a thread."""

    def __init__(
        self,
        url: str,
        token: str,
        info: dict[str, Any],
        timeout: float = 30.0,
        keep_path: str | None = None,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        self.url = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        """The address as said on stderr: without a user or password it may carry."""
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port
        self.path = parts.path.rstrip("/") + CI_EVENTS_PATH
        self.headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            PROJECT_HEADER: quoted(info.get("project", "")),
            RUN_KEY_HEADER: quoted(info.get("run_key", "")),
            SHARD_HEADER: quoted(info.get("shard", "")),
            SESSION_HEADER: quoted(info.get("session", "")),
        }
        self.info, self.timeout, self.keep_path = info, timeout, keep_path
        self.lock = threading.Lock()
        self.memory: collections.deque[Item] = collections.deque()
        self.memory_bytes = 0
        self.spill: Spill | None = None
        self.first = b""
        """The session's first event (its start), for a file of what was not sent."""
        self.last = 0
        """The number of the last event put."""
        self.acked = 0
        """The highest number the dashboard said it holds."""
        self.stopped = ""
        """Why streaming stopped for good (the dashboard refused), said at the end."""
        self.problem = ""
        """The last failure, said at the end if the events did not all get through."""
        self.heartbeat = HEARTBEAT
        self.connection: http.client.HTTPConnection | None = None
        self.closing = threading.Event()
        self.cpu = 0.0
        """The thread's CPU time, once it has stopped (for the benchmarks)."""
        self.running = _thread.allocate_lock()
        """Held by the thread while it runs: `close` waits on it, as `join` would."""
        self.running.acquire()
        _thread.start_new_thread(self._run, ())

    # --- pytest's thread -----------------------------------------------------------------

    def put(self, number: int, kind: int, nodeid: str, line: str) -> None:
        """Keep one event (already JSON) until the dashboard holds it; never blocks on it."""
        data = line.encode("utf-8", "surrogatepass")
        with self.lock:
            if not self.first:
                self.first = data
            self.last = number
            spill = self.spill
            if spill is None and (
                len(self.memory) < MEMORY_EVENTS and self.memory_bytes < MEMORY_BYTES
            ):
                self.memory.append((number, kind, nodeid, data))
                self.memory_bytes += len(data)
                return
            if spill is None:
                spill = self.spill = Spill()
            spill.append((number, kind, nodeid, data))
            if len(self.memory) < MEMORY_EVENTS // 2:  # read back here, not in the thread
                self._refill(spill)

    def close(self) -> bool:
        """Wait at most `timeout` for the dashboard to hold every event; say once what it does
        not hold and where that is. True when everything got through."""
        self.closing.set()
        if self.running.acquire(timeout=min(max(self.timeout, 0.0), threading.TIMEOUT_MAX)):
            self.running.release()
        with self.lock:
            unsent = self.acked < self.last
            if unsent and not self.stopped:
                self.stopped = "closed"  # the thread gives up at its next step
        if unsent:
            self._say_rest()
        return not unsent

    # --- the sending thread --------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as error:  # a bare thread's error would reach pytest's own hooks
            self.stopped = f"the stream failed: {error!r}"
        finally:
            self._disconnect()
            with self.lock:
                if self.spill is not None and self.acked >= self.last:
                    self.spill.close()
            self.cpu = time.thread_time()
            self.running.release()

    def _loop(self) -> None:
        backoff, contact = 0.0, time.monotonic()
        while not self.stopped:
            if backoff:
                time.sleep(backoff)
            elif not self.closing.is_set():
                self.closing.wait(BATCH_SECONDS)  # let a batch gather
            lines, after = self._batch()
            if not lines:
                if self.closing.is_set() and self.acked >= self.last:
                    return
                if time.monotonic() - contact < self.heartbeat and not backoff:
                    continue
            status, answer, retry_after = self._post(lines, after)
            if status == 200:
                backoff, contact = 0.0, time.monotonic()
                self._held(answer)
            elif status == 409:  # the dashboard holds less than it said before: it lost them
                self._held_less(answer)
            elif status in REFUSED:
                self.stopped = f"HTTP {status}: {answer.get('error', 'refused')}"
            else:  # 429, 5xx, a network error: try again, later
                backoff = retry_after or min(BACKOFF_MAX, max(BACKOFF_FIRST, backoff * 2))

    def _batch(self) -> tuple[list[bytes], int]:
        """The next events to send (a start whose end comes with it left out), and the number
        they follow. What spilled is read back by pytest's `put` while tests run; here only
        once pytest has ended."""
        with self.lock:
            if not self.memory and self.spill is not None and self.closing.is_set():
                self._refill(self.spill)
            items = []
            size = 0
            for item in self.memory:
                items.append(item)
                size += len(item[3])
                if len(items) >= BATCH_MAX or size >= BATCH_BYTES:
                    break
            after = self.acked
        ended = {nodeid for _, kind, nodeid, _ in items if kind == END and nodeid}
        lines = [line for _, kind, nodeid, line in items if not (kind == START and nodeid in ended)]
        return lines, after

    def _refill(self, spill: Spill) -> None:
        for item in spill.take(MEMORY_EVENTS // 2):
            self.memory.append(item)
            self.memory_bytes += len(item[3])
        if spill.empty:
            spill.close()
            self.spill = None

    def _held(self, answer: dict[str, Any]) -> None:
        held = answer.get("held")
        beat = answer.get("heartbeat")
        if isinstance(beat, (int, float)):
            self.heartbeat = min(60.0, max(1.0, float(beat)))
        if not isinstance(held, int):
            return
        with self.lock:
            self.acked = max(self.acked, held)
            memory = self.memory
            while memory and memory[0][0] <= self.acked:
                self.memory_bytes -= len(memory.popleft()[3])

    def _held_less(self, answer: dict[str, Any]) -> None:
        held = answer.get("held")
        with self.lock:
            first = self.memory[0][0] if self.memory else self.last + 1
            if isinstance(held, int) and held + 1 >= first:  # still kept here: send on from there
                self.acked = held
                return
        self.stopped = f"the dashboard holds events up to {held} only, and no longer has the rest"

    def _post(self, lines: list[bytes], after: int) -> tuple[int, dict[str, Any], float]:
        """(status, the answer's JSON, Retry-After seconds); status 0 for a network error."""
        body = pieces(lines)
        headers = {
            **self.headers,
            AFTER_HEADER: str(after),
            "Content-Length": str(sum(map(len, body))),
        }
        for attempt in (1, 2):
            reused = self.connection is not None
            try:
                connection = self.connection or self._connect()
                connection.request("POST", self.path, body, headers)
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as error:
                self._disconnect()
                self.problem = str(error) or type(error).__name__
                if reused and attempt == 1:  # kept alive, and closed by the server meanwhile
                    continue
                return 0, {}, 0.0
            try:
                answer = json.loads(data) if data else {}
            except ValueError:
                answer = {}
            retry = response.getheader("Retry-After") or ""
            wait = min(RETRY_AFTER_MAX, float(retry)) if retry.isdigit() else 0.0
            if response.status != 200:
                self.problem = f"HTTP {response.status} {response.reason}"
            return response.status, answer if isinstance(answer, dict) else {}, wait
        return 0, {}, 0.0

    def _connect(self) -> http.client.HTTPConnection:
        self.connection = connection_to(self.https, self.host, self.port, POST_TIMEOUT)
        return self.connection

    def _disconnect(self) -> None:
        close_quietly(self.connection)
        self.connection = None

    # --- the end -------------------------------------------------------------------------

    def _say_rest(self) -> None:
        """Say once why events were not sent, and where they are."""
        with self.lock:
            unsent = self.last - self.acked
            items = list(self.memory)
            if self.spill is not None:
                items += self.spill.take(self.last)
            path = self.keep_path or write_rest(self.info, self.first, items, self.acked)
        why = self.stopped if self.stopped != "closed" else ""
        why = why or f"not reached in {self.timeout:g} s: {self.problem or 'no answer'}"
        where = (
            f"they are in {path}; send them with `pytest-web upload {path} --url {self.url}`"
            if path
            else "they could not be written to a file either"
        )
        say(
            f"pytest-web: {unsent} events of this shard did not reach the dashboard ({why}): "
            f"{where}\n"
        )
