"""The `pytest-web` command."""

from __future__ import annotations

import ipaddress
import os
import secrets
import sys
from pathlib import Path

import click

from pytest_web import __version__
from pytest_web.server import serve


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("repo", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--python",
    "python",
    default=sys.executable,
    show_default="this interpreter",
    help="Interpreter that runs pytest (it needs pytest; pytest-web itself is not needed there).",
)
@click.option(
    "--allow-host",
    multiple=True,
    help="Extra Host header name to accept (for a reverse proxy or a LAN name). Repeatable.",
)
@click.version_option(__version__, prog_name="pytest-web")
def main(repo: Path, host: str, port: int, python: str, allow_host: tuple[str, ...]) -> None:
    """Serve a browser UI for the pytest suite in REPO (default: the current folder).

    Open the printed address: it carries the access token once, then a cookie keeps it.
    Set PYTEST_WEB_TOKEN to choose the token yourself.
    """
    token = os.environ.get("PYTEST_WEB_TOKEN") or secrets.token_urlsafe(24)
    if not _is_loopback(host):
        click.secho(
            f"warning: listening on {host}: anyone who can reach this address and has the token "
            "can run code on this machine as this user.",
            fg="yellow",
            err=True,
        )
    os.environ.update(
        {
            "PYTEST_WEB_REPO": str(repo.resolve()),
            "PYTEST_WEB_PYTHON": python,
            "PYTEST_WEB_TOKEN": token,
            "PYTEST_WEB_ALLOW_HOSTS": ",".join(allow_host),
        }
    )
    serve(host, port, token)
