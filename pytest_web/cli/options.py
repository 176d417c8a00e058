"""What the commands share: the listening options, the data folder, the token, and the warning
a public address earns."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from pytest_web.web.settings import TokenError, check_token

F = TypeVar("F", bound=Callable[..., Any])

HELP = {"help_option_names": ["-h", "--help"]}

DATA_OPTION = click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for run history (env PYTEST_WEB_DATA; default ~/.local/share/pytest-web). "
    "Each repository gets its own SQLite file inside it.",
)


def listening(command: F) -> F:
    """`--host`, `--port` and `--allow-host`, the same for every server command."""
    for option in reversed(
        [
            click.option(
                "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
            ),
            click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535)),
            click.option(
                "--allow-host",
                multiple=True,
                help="Extra Host header name to accept (for a reverse proxy or a LAN name). "
                "Repeatable.",
            ),
        ]
    ):
        command = option(command)
    return command


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def warn_if_public(host: str, consequence: str) -> None:
    """Say on stderr what listening on a non-loopback `host` exposes."""
    if not is_loopback(host):
        click.secho(
            f"warning: listening on {host}: anyone who can reach this address and has the token "
            f"{consequence}.",
            fg="yellow",
            err=True,
        )


def token_from_env() -> str:
    """PYTEST_WEB_TOKEN, or a fresh random token; a usage error when it is too short."""
    token = os.environ.get("PYTEST_WEB_TOKEN") or secrets.token_urlsafe(24)
    try:
        return check_token(token)
    except TokenError as error:
        raise click.UsageError(str(error)) from None
