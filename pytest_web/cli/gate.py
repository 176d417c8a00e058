"""Slow clients cannot hold the server: connections that have not sent a whole request are
bounded per client address and in all, the oldest dropped first.

A slowloris client opens connections and sends each request a byte at a time. gunicorn drops a
connection whose request has not arrived within its keep-alive timeout (5 s), but until then each
one holds one of the worker's 1,000 connections: 3,500 of them, reopened as they were dropped,
timed out every real request. Here a connection is *waiting* from its accept (and, kept alive,
after each response) until the headers of its next request are read. Past
a share of the worker's connections held by waiting connections from one address (every
loopback address counts as one: any local user can send from 127.0.0.2), or by all, the oldest
waiting one is shut down. A real request sends its headers at once, so it is never the oldest
for long; an idle keep-alive connection that is dropped is simply opened again by the browser.

Waiting connections cost little (a greenlet and a file descriptor), so the worker takes many
(`cli.server`: up to 10,000, the file limit raised to allow them) and the caps sit high:
dropping a slow client early only makes it reconnect at once, which costs more than letting it
wait out its 5 s. Measured with `bench/slowloris.py`.
"""

from __future__ import annotations

import socket
from collections import Counter, OrderedDict
from typing import Any

from pytest_web.web.throttle import client_key

PER_ADDRESS_SHARE = 0.6
IN_ALL_SHARE = 0.75
"""Of the worker's connections, what waiting ones may hold from one address and in all: the rest
stay free for requests being served (event streams among them)."""


def address_of(addr: Any) -> str:
    """The client's IP address from gunicorn's `addr` (a tuple; '' for a Unix socket)."""
    return str(addr[0]) if isinstance(addr, tuple) and addr else ""


class Gate:
    """The waiting connections, oldest first, and how many each client address holds."""

    def __init__(self, connections: int) -> None:
        self.per_address = max(1, int(connections * PER_ADDRESS_SHARE))
        self.in_all = max(1, int(connections * IN_ALL_SHARE))
        self.waiting: OrderedDict[Any, str] = OrderedDict()
        self.counts: Counter[str] = Counter()
        self.dropped = 0

    def wait(self, sock: Any, addr: Any) -> None:
        """`sock` waits for a request: drop the oldest waiting connection of its address, or of
        all, when either is full."""
        key = client_key(address_of(addr))
        self.done(sock)
        if self.counts[key] >= self.per_address:
            self._drop(next(s for s, k in self.waiting.items() if k == key))
        if len(self.waiting) >= self.in_all:
            self._drop(next(iter(self.waiting)))
        self.waiting[sock] = key
        self.counts[key] += 1

    def done(self, sock: Any) -> None:
        """`sock`'s request has arrived, or it is closed."""
        key = self.waiting.pop(sock, None)
        if key is not None:
            self.counts[key] -= 1
            if not self.counts[key]:
                del self.counts[key]

    def _drop(self, sock: Any) -> None:
        self.done(sock)
        self.dropped += 1
        try:  # its reader sees the end of the stream and closes it
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
