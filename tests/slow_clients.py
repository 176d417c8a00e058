"""Slow clients (slowloris): connections that send half a request and trickle the rest, kept at
a number by reopening each one the server drops. Used by tests/test_slow_clients.py and
bench/slowloris.py."""

from __future__ import annotations

import errno
import selectors
import socket
import threading
import time

HALF = b"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


class Attack:
    """`count` half-sent connections to `port`, kept at that number until `stop()`."""

    def __init__(self, port: int, count: int) -> None:
        self.port, self.count = port, count
        self.selector = selectors.DefaultSelector()
        self.open = 0
        self.opened = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]

    def _connect(self) -> None:
        sock = socket.socket()
        sock.setblocking(False)
        error = sock.connect_ex(("127.0.0.1", self.port))
        if error not in (0, errno.EINPROGRESS):
            sock.close()
            return
        self.selector.register(sock, selectors.EVENT_WRITE, "connecting")
        self.open += 1
        self.opened += 1

    def _close(self, sock: socket.socket) -> None:
        self.selector.unregister(sock)
        sock.close()
        self.open -= 1

    def _loop(self) -> None:
        trickle = time.monotonic()
        while not self.stopped.is_set():
            for _ in range(200):  # at most 200 new connections per round
                if self.open >= self.count:
                    break
                self._connect()
            for key, _events in self.selector.select(0.05):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    if key.data == "connecting":
                        sock.send(HALF)
                        self.selector.modify(sock, selectors.EVENT_READ, "waiting")
                    elif not sock.recv(4096):  # the server closed it: open another
                        self._close(sock)
                except OSError:
                    self._close(sock)
            if time.monotonic() - trickle > 1:  # one more byte a second on each
                trickle = time.monotonic()
                for key in list(self.selector.get_map().values()):
                    if key.data == "waiting":
                        try:
                            key.fileobj.send(b"a")  # type: ignore[union-attr]
                        except OSError:
                            self._close(key.fileobj)  # type: ignore[arg-type]
