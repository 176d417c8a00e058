"""Run the app under gunicorn with one gevent worker (the pub/sub lives in that one process)."""

from __future__ import annotations

import os
import resource
import secrets
import signal
import socket
import sys
from types import FrameType
from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter as GunicornArbiter

from pytest_web.cli.worker import HEADER_TIMEOUT
from pytest_web.web import create_app
from pytest_web.web.services import services


class Arbiter(GunicornArbiter):  # type: ignore[misc]  # gunicorn has no types
    """gunicorn's arbiter, except that SIGHUP (a closed terminal, a supervisor's "reload") does
    not reload: a reload replaces the worker, and the active run with it."""

    def handle_hup(self) -> None:
        self.log.warning("SIGHUP ignored: reloading would stop the active run")


class PytestWebServer(BaseApplication):  # type: ignore[misc]  # gunicorn has no types
    """gunicorn, configured in code: `-k gevent -w 1` (`worker.Worker`), short graceful timeout,
    no control socket, no reload on SIGHUP."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def run(self) -> None:
        try:
            Arbiter(self).run()
        except RuntimeError as error:
            print(f"\nError: {error}\n", file=sys.stderr)
            sys.exit(1)

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("post_worker_init", _in_the_worker)

    def load(self) -> Flask:
        return create_app()


def _in_the_worker(worker: Any) -> None:
    """Once the worker runs: stop cleanly on SIGTERM; a dashboard watches for silent shards."""
    _stop_cleanly_on_sigterm(worker)
    ci = services(worker.wsgi).ci
    if ci is not None:
        ci.start_sweeping()


def _stop_cleanly_on_sigterm(worker: Any) -> None:
    """Chain our shutdown before gunicorn's SIGTERM handler: stop pytest, end the streams.

    Without it, open event streams hold the worker until the arbiter kills it, and a running
    pytest (in its own session) would outlive the server.
    """
    previous = signal.getsignal(signal.SIGTERM)
    app = worker.wsgi

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        shared = services(app)
        shared.runner.shutdown()
        shared.hub.close()
        if shared.history is not None:
            shared.history.flush()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)


MAX_CONNECTIONS = 10_000
"""Connections the worker serves at once: slow clients waiting for their headers are cheap,
and many of them must not leave the page without one (`gate`)."""
SPARE_FILES = 256
"""File descriptors kept for everything else: pytest's pipes, history, uploads."""


def connections() -> int:
    """As many connections as the file limit allows, up to `MAX_CONNECTIONS`: the soft limit is
    raised to the hard one first (often 1,024 of 524,288)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_CONNECTIONS + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(100, min(MAX_CONNECTIONS, soft - SPARE_FILES))


def display_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def serve(host: str, port: int, token: str, title: str = "") -> None:
    """Bind first (so port 0 and busy ports are handled here), then hand the socket to gunicorn.
    `title` is the first line said (by default, the repository served)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from error
    sock.listen(2048)
    port = sock.getsockname()[1]
    os.set_inheritable(sock.fileno(), True)
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else display_host(host)
    os.environ.setdefault("PYTEST_WEB_INGEST_URL", f"http://{local}:{port}/internal/event")
    os.environ["PYTEST_WEB_SESSION"] = secrets.token_urlsafe(32)  # a new worker keeps it
    click.echo(title or f"pytest-web serving {os.environ.get('PYTEST_WEB_REPO')}")
    click.echo(f"open http://{display_host(host)}:{port}/?token={token}", err=False)
    sys.stdout.flush()
    PytestWebServer(
        {
            "bind": [f"fd://{sock.fileno()}"],
            "worker_class": "pytest_web.cli.worker.Worker",
            "workers": 1,
            "graceful_timeout": 2,
            "timeout": 60,
            "keepalive": HEADER_TIMEOUT,
            "worker_connections": connections(),
            "control_socket_disable": True,
            "accesslog": None,
            "loglevel": "warning",
        }
    ).run()
