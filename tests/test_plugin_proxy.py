"""The plugin talks to the server it was given, never through a proxy: with `$http_proxy` set and
no `no_proxy` for 127.0.0.1, every event (node ids, tracebacks, captured output) and the run's
secret once went to the proxy, and the page got nothing live. (The plugin now posts with
`http.client`, which reads no proxy variable; these tests keep it that way.)
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest
from test_plugin import PLUGIN_DIR, RUN_ID, SECRET, TIMEOUT, Ingest

from pytest_web_plugin.sender import OTHER, Sender

PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "https_proxy")


class RecordingProxy:
    """A proxy that keeps whatever it is sent and answers 502."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            with client:
                client.settimeout(5)
                try:
                    self.received.append(client.recv(65536))
                    client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    found = RecordingProxy()
    yield found
    found.sock.close()


def dead_proxy_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def ingest() -> Iterator[Ingest]:
    server = Ingest()
    yield server
    server.close()


def proxied(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, url)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("kind", ["recording", "dead"])
def test_the_sender_posts_straight_to_the_server(
    monkeypatch: pytest.MonkeyPatch, ingest: Ingest, proxy: RecordingProxy, kind: str
) -> None:
    proxied(monkeypatch, proxy.url if kind == "recording" else dead_proxy_url())
    sender = Sender(ingest.url, RUN_ID, SECRET)
    sender.put(OTHER, "", json.dumps({"type": "session_start", "run": RUN_ID, "i": 1}))
    sender.close()
    assert not sender.failed, sender.error
    assert proxy.received == []
    [(headers, batch)] = ingest.posts
    assert batch == [{"type": "session_start", "run": RUN_ID, "i": 1}]
    assert headers["X-Pytest-Web-Run"] == RUN_ID and headers["X-Pytest-Web-Secret"] == SECRET


@pytest.mark.slow
def test_a_run_with_proxies_set_reports_everything_and_leaks_nothing(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    ingest: Ingest,
    proxy: RecordingProxy,
) -> None:
    proxied(monkeypatch, proxy.url)
    monkeypatch.setenv("PYTHONPATH", str(PLUGIN_DIR))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_WEB_URL", ingest.url)
    monkeypatch.setenv("PYTEST_WEB_RUN", RUN_ID)
    monkeypatch.setenv("PYTEST_WEB_SECRET", SECRET)
    pytester.makepyfile(test_suite="def test_a():\n    print('secret output')\n    assert 0\n")
    result = pytester.runpytest_subprocess("-p", "pytest_web_plugin", timeout=TIMEOUT)
    result.assert_outcomes(failed=1)
    assert "pytest-web" not in result.stderr.str()
    assert [e["type"] for e in ingest.events][-1] == "session_end"
    assert proxy.received == []
