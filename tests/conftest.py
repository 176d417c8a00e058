"""Shared fixtures: a real pytest-web server (gunicorn + gevent) on a free port, and Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable, Iterator

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


@pytest.fixture
def demo_repo(tmp_path: Path) -> Path:
    """A private copy of the demo suite (runs write caches into it)."""
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return target


@pytest.fixture
def demo_server(make_server: Callable[..., Server], demo_repo: Path) -> Server:
    return make_server(demo_repo)


