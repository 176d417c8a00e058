"""`pytest-web [serve] [REPO]`: the live UI for one repository's suite."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from pytest_web.cli.options import DATA_OPTION, HELP, listening, token_from_env, warn_if_public
from pytest_web.cli.server import serve
from pytest_web.web.editor import EditorError, editor_template


def _editor(value: str) -> str:
    try:
        return editor_template(value)
    except EditorError as error:
        raise click.BadParameter(str(error)) from None


@click.command("serve", context_settings=HELP)
@click.argument("repo", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@listening
@click.option(
    "--python",
    "python",
    default=sys.executable,
    show_default="this interpreter",
    help="Interpreter that runs pytest (it needs pytest; pytest-web itself is not needed there).",
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
@click.option(
    "--editor",
    envvar="PYTEST_WEB_EDITOR",
    default="",
    callback=lambda ctx, param, value: _editor(value),
    help="Open files in an editor from the page: vscode, vscode-insiders, cursor, pycharm, or a "
    "URL template with {path} and {line} (env PYTEST_WEB_EDITOR). Off unless set.",
)
@click.option(
    "--editor-root",
    envvar="PYTEST_WEB_EDITOR_ROOT",
    default="",
    help="The repository's path where the editor runs, when it differs (a container's /repo "
    "on the host; env PYTEST_WEB_EDITOR_ROOT).",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Rerun tests when a .py file of the repository is saved (the page can switch it too).",
)
@click.option(
    "--watch-poll",
    is_flag=True,
    envvar="PYTEST_WEB_WATCH_POLL",
    help="Watch by polling the files, where change events do not arrive (a Docker Desktop bind "
    "mount; env PYTEST_WEB_WATCH_POLL=1).",
)
def serve_repo(
    repo: Path,
    host: str,
    port: int,
    allow_host: tuple[str, ...],
    python: str,
    data: Path | None,
    no_history: bool,
    artifacts: Path | None,
    editor: str,
    editor_root: str,
    watch: bool,
    watch_poll: bool,
) -> None:
    """Serve a browser UI for the pytest suite in REPO (default: the current folder).

    Open the printed address: it carries the access token once, then a cookie keeps it.
    Set PYTEST_WEB_TOKEN to choose the token yourself. Every run is kept in a SQLite
    history in the data folder (see --data), so past runs survive a restart.
    """
    token = token_from_env()
    warn_if_public(host, "can run code on this machine as this user")
    os.environ.update(
        {
            "PYTEST_WEB_REPO": str(repo.resolve()),
            "PYTEST_WEB_PYTHON": python,
            "PYTEST_WEB_TOKEN": token,
            "PYTEST_WEB_ALLOW_HOSTS": ",".join(allow_host),
        }
    )
    os.environ.update({"PYTEST_WEB_EDITOR": editor, "PYTEST_WEB_EDITOR_ROOT": editor_root})
    if watch:
        os.environ["PYTEST_WEB_WATCH"] = "1"
    if watch_poll:
        os.environ["PYTEST_WEB_WATCH_POLL"] = "1"
    if artifacts is not None:
        os.environ["PYTEST_WEB_ARTIFACTS"] = str(artifacts.resolve())
    if no_history:
        os.environ["PYTEST_WEB_DATA"] = "-"
    elif data is not None:
        os.environ["PYTEST_WEB_DATA"] = str(data.resolve())
    serve(host, port, token)
