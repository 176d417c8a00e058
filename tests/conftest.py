"""Shared fixtures: the app in-process (`app`, `client`, `viewer`, flaskr style), a real
pytest-web server (gunicorn + gevent) on a free port, and Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from events import make_active, start_run
from flask import Flask
from flask.testing import FlaskClient

from pytest_web.core.hub import Hub, Run
from pytest_web.results.merge import open_results
from pytest_web.web import create_app, read_only
from pytest_web.web.render import Renderer
from pytest_web.web.services import services
from support import DEMO, JUNIT, TOKEN, Server, app_config, launch_server, stop_server

SLOW_FIXTURES = {"make_server", "demo_server", "browser", "page"}
"""Fixtures that start a server or Chromium: a test that uses one (even through another
fixture) must be marked `slow`, and `browser` for Chromium, or the quick loop slows down."""
BROWSER_FIXTURES = {"browser", "page"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse to run a test whose marks hide what it starts (see SLOW_FIXTURES)."""
    unmarked = []
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        marks = {mark.name for mark in item.iter_markers()}
        missing = {"slow"} if used & SLOW_FIXTURES else set()
        missing |= {"browser"} if used & BROWSER_FIXTURES else set()
        if missing - marks:
            unmarked.append(f"{item.nodeid}: mark it {' and '.join(sorted(missing - marks))}")
    if unmarked:
        raise pytest.UsageError("tests that start a server or Chromium:\n" + "\n".join(unmarked))


def close_history(app: Flask) -> None:
    """Write what waits and close the SQLite file (its writer thread sleeps on, harmlessly)."""
    history = services(app).history
    if history is not None:
        history.flush()
        history.db.close()


@pytest.fixture
def app(demo_repo: Path, tmp_path: Path) -> Iterator[Flask]:
    """The app on a private copy of the demo, with history in tmp and a known token."""
    app = create_app(app_config(demo_repo, data_dir=tmp_path / "data"))
    app.testing = True
    yield app
    close_history(app)


@pytest.fixture
def app_without_history(demo_repo: Path) -> Flask:
    """As `pytest-web --no-history`."""
    app = create_app(app_config(demo_repo))
    app.testing = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Sends the token as a Bearer header; its Host is `localhost` (the test client's base URL,
    which `headers={"Host": ...}` overrides)."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    """A client without the token (`Host: localhost`)."""
    return app.test_client()


@pytest.fixture
def active_run(app: Flask, tmp_path: Path) -> Iterator[Run]:
    """A run the runner takes as active (a `sleep` stands in for its pytest): the API answers
    409 to another run, and the ingest route accepts events with this run's secret."""
    shared = services(app)
    run = start_run(shared.hub)
    process = make_active(shared.runner, run, tmp_path)
    yield run
    shared.runner.active = None
    process.kill()
    process.wait()


@pytest.fixture
def junit_file(tmp_path: Path) -> Path:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    return path


@pytest.fixture
def viewer_app(tmp_path: Path, junit_file: Path) -> Flask:
    """`pytest-web view junit.xml`: read-only, no history, the file's run shown."""
    repo = tmp_path / "repo"
    repo.mkdir()
    app = create_app(app_config(repo, read_only=True))
    app.testing = True
    read_only.install(app, open_results([str(junit_file)]))
    return app


@pytest.fixture
def viewer(viewer_app: Flask) -> FlaskClient:
    client = viewer_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


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


@pytest.fixture
def hub(app: Flask) -> Hub:
    """The app's pub/sub, to publish events into by hand."""
    return services(app).hub


@pytest.fixture
def renderer(app: Flask) -> Iterator[Renderer]:
    """The app's renderer, inside its app context (templates need it)."""
    with app.app_context():
        yield services(app).renderer
