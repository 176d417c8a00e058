"""gunicorn's gevent worker, started faster, and guarded against slow clients.

Slow clients: a connection's request headers must arrive within gunicorn's keep-alive timeout
(`HEADER_TIMEOUT`, 5 s), connections still waiting for theirs are bounded per address and in all
(`gate.Gate`), and a request body that stalls for `IDLE_TIMEOUT` ends its request (a 408).

gevent's `monkey.patch_all()` tells its plugins about each module it patches, and looks them up
every time with `importlib.metadata.entry_points`, which reads the entry points of every
installed package: 25 scans, most of the worker's start (0.15 of 0.18 s of CPU). The scan is
done once for the patch here; what it finds cannot change in between.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any

import gevent
from gunicorn.workers.ggevent import GeventWorker

from pytest_web.cli.gate import Gate

HEADER_TIMEOUT = 5
"""Seconds for a request's headers to arrive (gunicorn's keep-alive timeout bounds its wait for
each request, the first included)."""
IDLE_TIMEOUT = float(os.environ.get("PYTEST_WEB_IDLE_TIMEOUT", "30"))
"""Seconds a request body may stall while the app reads it."""


class StallGuard:
    """A request body whose every read must finish within `IDLE_TIMEOUT` (else TimeoutError,
    which the app answers with a 408). Only the app's reads: gunicorn's own draining of an
    unread body is bounded by its keep-alive timeout."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def _within(self, method: Callable[..., Any], *args: Any) -> Any:
        with gevent.Timeout(IDLE_TIMEOUT, TimeoutError("the request body stalled")):
            return method(*args)

    def read(self, size: int | None = None) -> bytes:
        result: bytes = self._within(self.stream.read, size)
        return result

    def readline(self, size: int | None = None) -> bytes:
        result: bytes = self._within(self.stream.readline, size)
        return result

    def readlines(self, size: int | None = None) -> list[bytes]:
        result: list[bytes] = self._within(self.stream.readlines, size)
        return result

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


def guard_bodies(app: Callable[..., Any]) -> Callable[..., Any]:
    """WSGI middleware: the request body behind a `StallGuard`."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["wsgi.input"] = StallGuard(environ["wsgi.input"])
        return app(environ, start_response)

    return guarded


@contextmanager
def entry_points_read_once() -> Iterator[None]:
    """`importlib.metadata.entry_points` answered from one scan while the block runs."""
    original: Callable[..., Any] = metadata.entry_points
    everything: list[Any] = []

    def entry_points(**params: Any) -> Any:
        if not everything:
            everything.append(original())
        found = everything[0]
        return found.select(**params) if params else found

    metadata.entry_points = entry_points
    try:
        yield
    finally:
        metadata.entry_points = original


class Worker(GeventWorker):  # type: ignore[misc]  # gunicorn has no types
    """`-k gevent`, with the monkey-patching done on one entry point scan, and SIGHUP ignored
    (gunicorn leaves it to kill the worker, and the active run with it, when a closed terminal
    sends it to the whole process group)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = Gate(self.worker_connections)

    def patch(self) -> None:
        with entry_points_read_once():
            super().patch()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi.wsgi_app = guard_bodies(self.wsgi.wsgi_app)  # the Flask app stays the app

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        """One connection, waiting at the gate until each request's headers are read."""
        self.gate.wait(client, addr)
        try:
            super().handle(listener, client, addr)
        finally:
            self.gate.done(client)

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> Any:
        self.gate.done(sock)  # its headers are read
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            self.gate.wait(sock, addr)  # kept alive: waits for its next request

    def init_signals(self) -> None:
        super().init_signals()
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
