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
import errno
import selectors
import socket
import statistics
import threading
import time

import requests

from common import ROOT, launch_server, stop_server

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
