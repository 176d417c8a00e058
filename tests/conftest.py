"""Shared fixtures: a real pytest-web server (gunicorn + gevent) on a free port, and Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support import DEMO, Server, launch_server, stop_server


@pytest.fixture
def make_server() -> Iterator[Callable[..., Server]]:
    """Start servers on demand; all are stopped after the test."""
    started: list[Server] = []

    def make(repo: Path, *args: str, env: dict[str, str] | None = None) -> Server:
        server = launch_server(repo, *args, env=env)
        started.append(server)
        return server

    yield make
    for server in started:
        stop_server(server)
        print(f"--- server {server.url} output ---\n" + "".join(server.output))


@pytest.fixture
def demo_repo(tmp_path: Path) -> Path:
    """A private copy of the demo suite (runs write caches into it)."""
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return target


@pytest.fixture
def demo_server(make_server: Callable[..., Server], demo_repo: Path) -> Server:
    return make_server(demo_repo)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import expect, sync_playwright

    from support import CHROMIUM, CHROMIUM_ARGS

    expect.set_options(timeout=30_000)  # a loaded 2-core CI machine collects slowly
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def slow_repo(tmp_path: Path) -> Path:
    """A suite slow enough to watch: 12 tests of 0.25 s, two of them failing."""
    repo = tmp_path / "slow"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_slow.py").write_text(
        "import time, pytest\n\n"
        "@pytest.mark.parametrize('n', range(12))\n"
        "def test_step(n):\n"
        "    time.sleep(0.25)\n"
        "    print(f'step {n}')\n"
        "    assert n not in (3, 7)\n"
    )
    return repo
