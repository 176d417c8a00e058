"""`pytest-web dashboard`: the server CI shards stream into; it runs no pytest and has no
repository. People sign in with the token (PYTEST_WEB_TOKEN, or one printed at start); CI sends
with an upload token (PYTEST_WEB_UPLOAD_TOKEN), which can only add events to CI runs."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click

from pytest_web.cli.options import HELP, token_from_env, warn_if_public
from pytest_web.cli.server import serve
from pytest_web.core.events import ENV_UPLOAD_TOKEN
from pytest_web.history import HistoryError, dashboard_history
from pytest_web.web.settings import MIN_TOKEN_LENGTH, data_dir_from_env
from pytest_web.web.upload_tokens import UploadTokenError, parse_upload_tokens


@click.command(context_settings=HELP)
@click.option(
    "--host",
    default="127.0.0.1",
    envvar="PYTEST_WEB_HOST",
    show_default=True,
    help="Address to listen on (env PYTEST_WEB_HOST). CI must reach it: put a reverse proxy "
    "with TLS in front (see the README).",
)
@click.option(
    "--port",
    default=8000,
    envvar="PYTEST_WEB_PORT",
    show_default=True,
    type=click.IntRange(0, 65535),
)
@click.option(
    "--allow-host",
    multiple=True,
    help="Host header name to accept besides loopback ones: the name CI and people use to "
    "reach the dashboard (the reverse proxy's). Repeatable.",
)
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the dashboard's history (env PYTEST_WEB_DATA; default "
    "~/.local/share/pytest-web): a SQLite file in DATA/dashboard/.",
)
@click.option(
    "--shard-timeout",
    default=120.0,
    show_default=True,
    type=click.FloatRange(1, 24 * 3600),
    help="Seconds without a word from a shard (events or heartbeats) before it is marked lost.",
)
def dashboard(
    host: str, port: int, allow_host: tuple[str, ...], data: Path | None, shard_timeout: float
) -> None:
    """A live CI dashboard: every shard of a CI run that streams here (`pytest
    --web-stream=URL`) joins one run, shown live; runs are kept per project, with flaky tests
    and new failures. Runs no pytest and needs no repository."""
    token = token_from_env()
    uploads = os.environ.get(ENV_UPLOAD_TOKEN, "")
    generated = not uploads
    uploads = uploads or secrets.token_urlsafe(24)
    try:
        parse_upload_tokens(uploads, MIN_TOKEN_LENGTH, token)
    except UploadTokenError as error:
        raise click.ClickException(f"{ENV_UPLOAD_TOKEN}: {error}") from None
    folder = data.resolve() if data else data_dir_from_env(os.environ.get("PYTEST_WEB_DATA"))
    if folder is None:
        raise click.UsageError("a dashboard keeps its runs: give --data DIR (not '-')")
    try:
        history = dashboard_history(folder)
        history.db.close()
    except HistoryError as error:
        raise click.ClickException(f"cannot keep the dashboard's runs: {error}") from None
    warn_if_public(host, "can read every CI run sent here")
    os.environ.update(
        {
            "PYTEST_WEB_DASHBOARD": "1",
            "PYTEST_WEB_REPO": os.getcwd(),
            "PYTEST_WEB_TOKEN": token,
            ENV_UPLOAD_TOKEN: uploads,
            "PYTEST_WEB_DATA": str(folder),
            "PYTEST_WEB_SHARD_TIMEOUT": str(shard_timeout),
            "PYTEST_WEB_ALLOW_HOSTS": ",".join(allow_host),
        }
    )
    if generated:
        click.echo(
            f"no {ENV_UPLOAD_TOKEN} given: CI's upload token for this start is {uploads} "
            f"(set {ENV_UPLOAD_TOKEN} to keep one)"
        )
    serve(host, port, token, title=f"pytest-web dashboard, runs kept in {folder / 'dashboard'}")
