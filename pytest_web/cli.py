"""The `pytest-web` command: serve a repository (the default), view or export result files."""

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


class DefaultGroup(click.Group):
    """A group whose first argument, when it is no command, belongs to `serve`: so
    `pytest-web`, `pytest-web REPO` and `pytest-web --port 0 REPO` work as they always did."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        top_level = ("-h", "--help", "--version")
        if not args or (args[0] not in self.commands and args[0] not in top_level):
            args = ["serve", *args]
        return super().parse_args(ctx, args)


HELP = {"help_option_names": ["-h", "--help"]}
DATA_OPTION = click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for run history (env PYTEST_WEB_DATA; default ~/.local/share/pytest-web). "
    "Each repository gets its own SQLite file inside it.",
)


@click.group(cls=DefaultGroup, context_settings=HELP)
@click.version_option(__version__, prog_name="pytest-web")
def main() -> None:
    """A browser UI for pytest. `pytest-web [REPO]` serves REPO's suite (the `serve` command);
    `view` and `export` show CI result files."""


def _warn_if_public(host: str) -> None:
    if not _is_loopback(host):
        click.secho(
            f"warning: listening on {host}: anyone who can reach this address and has the token "
            "can run code on this machine as this user.",
            fg="yellow",
            err=True,
        )


@main.command("serve", context_settings=HELP)
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
@DATA_OPTION
@click.option("--no-history", is_flag=True, help="Keep no run history (nothing is written).")
@click.option(
    "--artifacts",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A folder of CI result files that the page's 'Open results' lists (env "
    "PYTEST_WEB_ARTIFACTS). Uploads work without it.",
)
def serve_repo(
    repo: Path,
    host: str,
    port: int,
    python: str,
    allow_host: tuple[str, ...],
    data: Path | None,
    no_history: bool,
    artifacts: Path | None,
) -> None:
    """Serve a browser UI for the pytest suite in REPO (default: the current folder).

    Open the printed address: it carries the access token once, then a cookie keeps it.
    Set PYTEST_WEB_TOKEN to choose the token yourself. Every run is kept in a SQLite
    history in the data folder (see --data), so past runs survive a restart.
    """
    token = os.environ.get("PYTEST_WEB_TOKEN") or secrets.token_urlsafe(24)
    _warn_if_public(host)
    os.environ.update(
        {
            "PYTEST_WEB_REPO": str(repo.resolve()),
            "PYTEST_WEB_PYTHON": python,
            "PYTEST_WEB_TOKEN": token,
            "PYTEST_WEB_ALLOW_HOSTS": ",".join(allow_host),
        }
    )
    if artifacts is not None:
        os.environ["PYTEST_WEB_ARTIFACTS"] = str(artifacts.resolve())
    if no_history:
        os.environ["PYTEST_WEB_DATA"] = "-"
    elif data is not None:
        os.environ["PYTEST_WEB_DATA"] = str(data.resolve())
    serve(host, port, token)


def _add_result_commands() -> None:
    from pytest_web.cli_results import export, view

    main.add_command(view)
    main.add_command(export)


_add_result_commands()
