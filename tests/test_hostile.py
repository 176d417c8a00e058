"""Hostile requests against a real server: forged Host and Origin headers (DNS rebinding, pages
on other sites), cookies of another port, the token leaking through the URL, node ids and
expressions that try to become pytest options or reach outside the repository, floods of node
ids, forged or malformed plugin events, test names and output that try to become HTML or SSE
fields, crashing workers, garbage Last-Event-IDs, clients that vanish or never read, and a
shutdown with streams open.

Each shows a clear 4xx or a safe handling, that nothing ran that should not have, and that the
server still serves afterwards.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from support import Server, launch_server, stop_server

pytestmark = pytest.mark.slow

HOSTILE_SUITE = {
    "test_names.py": (
        "import pytest\n\n"
        "@pytest.mark.parametrize('name', ['<script>alert(1)</script>', 'a\\rb', 'data: x'])\n"
        "def test_named(name):\n"
        "    print('<script>window.__pwned = 1</script>')\n"
        "    print('data: fake\\n\\nid: 99999\\nevent: run\\n\\r\\r')\n"
        "    assert name == 'data: x'\n"
    ),
    "test_quick.py": "def test_quick():\n    pass\n",
    "pytest.ini": "[pytest]\nnorecursedirs = escape\n",
}
MARKER = "PWNED_MARKER"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "repo"
    root.mkdir()
    for name, text in HOSTILE_SUITE.items():
        (root / name).write_text(text)
    sibling = root.parent / "repo2"
    sibling.mkdir()
    (sibling / "conftest.py").write_text(f"open({str(root.parent / MARKER)!r}, 'w').close()\n")
    (sibling / "test_x.py").write_text("def test_x():\n    pass\n")
    (root / "escape").symlink_to(sibling)
    return root


@pytest.fixture(scope="module")
def server(repo: Path) -> Iterator[Server]:
    server = launch_server(repo, env={"PYTEST_WEB_KEEPALIVE": "0.5"})
    yield server
    stop_server(server)


def nothing_ran(server: Server, repo: Path) -> None:
    assert not (repo.parent / MARKER).exists()
    assert server.api("GET", "/api/status").json()["active"] is None
    assert server.api("GET", "/api/runs").status_code == 200


def raw_request(server: Server, request: bytes) -> bytes:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        return sock.recv(65536)


def test_host_headers_are_refused(server: Server, repo: Path) -> None:
    for host in ("evil.com", "localhost.evil.com", "0.0.0.0", "127.0.0.1.nip.io"):
        response = server.api("GET", "/api/runs", headers={"Host": host})
        assert response.status_code == 403, host
        assert "Host" in response.json()["error"]
    # An empty Host names no allowed host: refused by the allowlist, even with the token.
    empty = f"GET /api/runs HTTP/1.1\r\nHost: \r\nAuthorization: Bearer {server.token}\r\n\r\n"
    assert raw_request(server, empty.encode()).split(b" ")[1] == b"403"
    # HTTP/1.0 without Host (no browser sends that) is the server's own name, and needs the token.
    reply = raw_request(server, b"GET /api/runs HTTP/1.0\r\nAuthorization: Bearer x\r\n\r\n")
    assert reply.split(b" ")[1] == b"401"
    assert server.api("GET", "/api/runs", headers={"Host": "localhost"}).status_code == 200
    nothing_ran(server, repo)


def test_foreign_origin_is_refused(server: Server, repo: Path) -> None:
    for method, path in (("POST", "/api/runs"), ("GET", "/events"), ("POST", "/runs")):
        response = server.api(
            method, path, json={}, headers={"Origin": "http://evil.example"}, stream=True
        )
        assert response.status_code == 403, path
        response.close()
    nothing_ran(server, repo)


def test_cross_site_posts_to_ingest_are_refused(server: Server, repo: Path) -> None:
    url = server.url + "/internal/event"
    event = json.dumps({"type": "session_end", "run": "x", "exitstatus": 0})
    assert requests.post(url, data=event, headers={"Content-Type": "text/plain"}).status_code == 415
    form = requests.post(url, data={"type": "session_end"})
    assert form.status_code == 415
    assert requests.post(url, json={"type": "test_end", "run": "x"}).status_code == 403
    nothing_ran(server, repo)


def test_cookie_of_another_port_is_ignored(server: Server, repo: Path) -> None:
    session = requests.Session()
    session.get(server.page_url, timeout=10)
    value = next(iter(session.cookies)).value
    other = {"Cookie": f"pytest-web-session-1={value}"}
    assert requests.get(server.url + "/", headers=other, timeout=10).status_code == 401
    nothing_ran(server, repo)


def test_token_leaves_the_url_and_never_the_page(server: Server) -> None:
    login = requests.get(server.page_url, allow_redirects=False, timeout=10)
    assert login.status_code == 302 and server.token not in login.headers["Location"]
    assert login.headers["Referrer-Policy"] == "no-referrer"
    session = requests.Session()
    page = session.get(server.page_url, timeout=10)
    assert server.token not in page.text
    evil_next = session.get(
        server.url + "//evil.example/?token=" + server.token, timeout=10, allow_redirects=False
    )
    assert not evil_next.headers.get("Location", "/").startswith("//")


@pytest.mark.parametrize(
    "nodeid",
    [
        "-pfoo",
        "-p foo",
        "--rootdir=/",
        "--pyargs os",
        "-c x.ini",
        "-o addopts=-pfoo",
        "@ids.txt",
        "--",
        "-- -pfoo",
    ],
)
def test_option_like_node_ids_are_refused(server: Server, repo: Path, nodeid: str) -> None:
    response = server.api("POST", "/api/runs", json={"nodeids": [nodeid]})
    assert response.status_code == 400
    assert "cannot start with" in response.json()["error"]
    nothing_ran(server, repo)


@pytest.mark.parametrize(
    "nodeid",
    [
        "../repo2/test_x.py",
        "/etc/passwd",
        "escape/test_x.py::test_x",
        "../repo2",
        "test_quick.py/../../repo2/test_x.py",
    ],
)
def test_node_ids_outside_the_repo_are_refused(server: Server, repo: Path, nodeid: str) -> None:
    response = server.api("POST", "/api/runs", json={"nodeids": [nodeid]})
    assert response.status_code == 400, response.text
    nothing_ran(server, repo)


def test_hostile_expressions_are_a_400_and_never_options(server: Server, repo: Path) -> None:
    for expression in ("__import__('os').system('touch x')", "(((", "a and"):
        response = server.api("GET", "/api/tests", params={"k": expression})
        assert response.status_code == 400 and "Wrong expression" in response.json()["error"]
    empty = server.api("GET", "/api/tests", params={"k": ""}).json()
    assert len(empty["tests"]) == 4
    dashed = server.api("GET", "/api/tests", params={"k": "-pfoo", "m": "--co"})
    assert dashed.status_code == 200 and dashed.json()["tests"] == []
    nothing_ran(server, repo)


def test_sixty_thousand_node_ids_go_through_an_argument_file(server: Server, repo: Path) -> None:
    ids = [f"test_quick.py::test_quick[{n}]" for n in range(60_000)]
    run = server.wait_run(server.start_run(nodeids=ids))
    assert run["status"] == "finished"
    assert run["exitstatus"] == 4  # pytest's own "not found", not an argv or a server error
    detail = requests.Session()
    detail.get(server.page_url, timeout=10)
    output = detail.get(f"{server.url}/runs/{run['id']}", timeout=10).text
    assert "not found" in output and "@" in output  # the ids went through an @file
    nothing_ran(server, repo)


def test_hostile_plugin_events_change_nothing(server: Server, repo: Path) -> None:
    """Without the active run's id and secret in its headers, a body is refused unread: 10 MB,
    not events, nested past the parser's limit, or well-formed for no active run (the checks on
    bodies from the run's own plugin are in tests/test_routes_ingest.py)."""
    url = server.url + "/internal/event"
    huge = json.dumps([{"type": "output", "run": "x", "text": "x" * (10 * 1024 * 1024)}])
    cases = [huge, "[1, 2]", "NaN", "[" * 100_000, '{"type": "test_end", "run": 5}']
    for body in cases:
        response = requests.post(url, data=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 403, body[:20]
    forged = {"X-Pytest-Web-Run": "x", "X-Pytest-Web-Secret": "guess"}
    response = requests.post(url, data=huge, headers={"Content-Type": "application/json", **forged})
    assert response.status_code == 403
    nothing_ran(server, repo)


@pytest.mark.browser
def test_names_and_output_are_data(server: Server, repo: Path, browser) -> None:
    run = server.wait_run(server.start_run(nodeids=["test_names.py"]))
    assert run["counts"] == {**dict.fromkeys(run["counts"], 0), "passed": 1, "failed": 2}
    page = browser.new_page()
    try:
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(server.page_url)
        page.wait_for_selector("#run-head.s-finished")
        page.click("li.t .name >> nth=0")
        page.wait_for_selector("#detail .outcome")
        detail = page.inner_text("#detail")
        assert "<script>window.__pwned = 1</script>" in detail
        assert "data: fake" in detail
        assert page.evaluate("window.__pwned") is None and dialogs == []
        assert page.locator("li.t").count() == 3
        assert page.text_content("#run-head .status") == "finished"
    finally:
        page.close()


def test_crash_reports_with_unknown_phase_are_a_failed_test(make_server, tmp_path: Path) -> None:
    (tmp_path / "test_crash.py").write_text("import os\n\ndef test_crash():\n    os._exit(1)\n")
    server = make_server(tmp_path)
    run = server.wait_run(server.start_run(workers=2))
    assert run["tests"] == [
        {
            "nodeid": "test_crash.py::test_crash",
            "outcome": "failed",
            "duration": run["tests"][0]["duration"],
        }
    ]


@pytest.mark.parametrize("last_id", ["stale:1", "9" * 5000, "x:99999999999", "a:b:c", ""])
def test_bad_last_event_ids_get_a_snapshot(server: Server, last_id: str) -> None:
    server.wait_run(server.start_run(nodeids=["test_quick.py"]))
    headers = {"Authorization": f"Bearer {server.token}", "Last-Event-ID": last_id}
    with requests.get(server.url + "/events", headers=headers, stream=True, timeout=10) as stream:
        lines = stream.iter_lines(decode_unicode=True)
        data = next(line for line in lines if line.startswith('data: <div id="main"'))
    assert "hx-swap-oob" in data


def wait_streams(server: Server, count: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.api("GET", "/api/status").json()["streams"] == count:
            return
        time.sleep(0.1)
    raise AssertionError(f"streams never came to {count}")


def test_vanished_and_stalled_clients_hold_no_stream_and_no_run(server: Server, repo: Path) -> None:
    wait_streams(server, 0)
    host, port = server.url.removeprefix("http://").split(":")
    request = (
        f"GET /events HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {server.token}\r\n\r\n"
    ).encode()
    vanished = socket.create_connection((host, int(port)))
    vanished.sendall(request)
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect((host, int(port)))
    stalled.sendall(request)  # and never reads
    wait_streams(server, 2)
    vanished.close()
    wait_streams(server, 1)  # noticed at the next keep-alive
    # A client that never reads does not slow a run or the other clients.
    run = server.wait_run(server.start_run(nodeids=["test_names.py", "test_quick.py"]))
    assert run["counts"]["passed"] == 2 and run["counts"]["failed"] == 2
    stalled.close()
    wait_streams(server, 0)
    nothing_ran(server, repo)


def test_shutdown_with_streams_open_is_quick(make_server, repo: Path) -> None:
    server = make_server(repo)
    headers = {"Authorization": f"Bearer {server.token}"}
    streams = [
        requests.get(server.url + "/events", headers=headers, stream=True, timeout=10)
        for _ in range(5)
    ]
    wait_streams(server, 5)
    os.killpg(server.process.pid, 15)
    # Our SIGTERM handler closes the hub, so the streams end at once; at worst gunicorn's
    # graceful_timeout (2 s, cli/server.py) kills the worker. 5 s leaves a loaded 2-core
    # machine its margin; longer means the graceful stop hung.
    server.process.wait(timeout=5)
    for stream in streams:
        stream.close()
