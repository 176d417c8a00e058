"""Secrets against a page of another local port, in Chromium: cookies ignore ports, so a page
served on 127.0.0.1:OTHER that the user opens is sent the login cookie of 127.0.0.1:PORT with
every `<img>` it points there. The cookie holds no token, and such a request is same-site, never
same-origin, so it cannot start a collection.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from support import Server

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def watched_repo(tmp_path: Path) -> Path:
    """A suite whose every pytest start (a collection too) appends a line to STARTED."""
    repo = tmp_path / "repo"
    repo.mkdir()
    started = tmp_path / "STARTED"
    (repo / "conftest.py").write_text(
        f"with open({str(started)!r}, 'a') as f:\n    f.write('pytest started\\n')\n"
    )
    (repo / "test_a.py").write_text("def test_a():\n    pass\n")
    return repo


@pytest.fixture
def other_site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A plain web server on another port of 127.0.0.1, serving a folder."""
    folder = tmp_path / "site"
    folder.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_page_on_another_port_cannot_collect_or_take_the_token(
    make_server, watched_repo: Path, other_site: tuple[Path, str], page: Page
) -> None:
    server: Server = make_server(watched_repo)
    started = watched_repo.parent / "STARTED"
    page.goto(server.page_url)  # the user logs in: the cookie is set
    expect(page.locator("#fetch")).to_be_visible()
    cookies = page.context.cookies(server.url)
    assert cookies and all(server.token not in c["value"] for c in cookies)

    folder, site = other_site
    images = "".join(
        f'<img src="{server.url}{path}">' for path in ("/tests?k=a", "/api/tests?k=a", "/tests")
    )
    (folder / "index.html").write_text(f"<!doctype html><title>elsewhere</title>{images}")
    page.goto(site + "/index.html")
    page.wait_for_function("[...document.images].every(i => i.complete)")
    time.sleep(1)  # a collection would have started pytest by now
    assert not started.exists()

    page.goto(server.url + "/")  # the page itself still can
    page.click("#fetch")
    expect(page.locator("#run-head .status")).to_have_text("collected")
    assert started.read_text() == "pytest started\n"
