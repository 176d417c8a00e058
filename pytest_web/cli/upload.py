"""`pytest-web upload FILE... --url URL`: send recordings to a dashboard, later.

What a shard could not stream (the dashboard was down, the job's network cut) is in its
`--web-record` file, or in the `pytest-web-unsent-*.jsonl` file the plugin wrote. Sending it is
the same stream the plugin uses: the dashboard answers what it holds of that session and takes
only the rest, so uploading a file twice, or one the dashboard half holds, counts nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import click

from pytest_web.cli.options import HELP
from pytest_web.core.events import ENV_STREAM, ENV_UPLOAD_TOKEN
from pytest_web.results.record import recorded_sessions
from pytest_web.results.source import ResultFileError
from pytest_web_plugin.sender import END, OTHER, START
from pytest_web_plugin.stream import Stream

KINDS = {"test_start": START, "test_end": END}


def session_info(events: list[dict[str, Any]], given: dict[str, str]) -> dict[str, Any]:
    """Which run and shard a recorded session is: what its start says, what the options say
    instead; a session that never named itself gets a name from its start, the same at every
    upload (so a second upload is the same session to the dashboard)."""
    start = events[0] if events and events[0].get("type") == "session_start" else {}
    said = start.get("ci")
    said = said if isinstance(said, dict) else {}
    info: dict[str, Any] = {**said, **{k: v for k, v in given.items() if v}}
    if not info.get("session"):
        first = json.dumps(events[0], sort_keys=True) if events else ""
        info["session"] = hashlib.sha256(first.encode()).hexdigest()[:16]
    return info


def _send(
    url: str,
    token: str,
    path: str,
    events: list[dict[str, Any]],
    info: dict[str, Any],
    timeout: float,
) -> bool:
    stream = Stream(url, token, info, timeout=timeout, keep_path=path)
    for event in events:
        kind = KINDS.get(str(event.get("type")), OTHER)
        line = json.dumps(event, separators=(",", ":"))
        stream.put(int(event["i"]), kind, str(event.get("nodeid", "")), line)
    return stream.close()


@click.command(context_settings=HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--url", required=True, envvar=ENV_STREAM, help="The dashboard (env PYTEST_WEB_STREAM)."
)
@click.option("--project", envvar="PYTEST_WEB_PROJECT", help="Instead of what the file says.")
@click.option("--run-key", envvar="PYTEST_WEB_RUN_KEY", help="Instead of what the file says.")
@click.option("--shard", envvar="PYTEST_WEB_SHARD", help="Instead of what the file says.")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait per session.")
def upload(
    files: tuple[Path, ...],
    url: str,
    project: str | None,
    run_key: str | None,
    shard: str | None,
    timeout: float,
) -> None:
    """Send pytest-web recordings (--web-record files, or the pytest-web-unsent-*.jsonl files
    the plugin leaves when a dashboard could not be reached) to the dashboard at URL, with the
    upload token in PYTEST_WEB_UPLOAD_TOKEN. Each session joins its CI run as the shard it was;
    what the dashboard already holds is not counted again."""
    token = os.environ.get(ENV_UPLOAD_TOKEN, "")
    if not token:
        raise click.UsageError(f"set {ENV_UPLOAD_TOKEN} (the dashboard's upload token)")
    given = {"project": project or "", "run_key": run_key or "", "shard": shard or ""}
    failed = 0
    for path in files:
        try:
            sessions, warnings = recorded_sessions(str(path))
        except ResultFileError as error:
            click.secho(f"refused {path}: {error.reason}", fg="yellow", err=True)
            failed += 1
            continue
        for warning in warnings:
            click.secho(f"{path}: {warning}", fg="yellow", err=True)
        for events in sessions:
            info = session_info(events, given)
            missing = [name for name in ("project", "run_key", "shard") if not info.get(name)]
            if missing:
                names = ", ".join("--" + m.replace("_", "-") for m in missing)
                click.secho(f"{path}: the file does not say its {names}: give them", err=True)
                failed += 1
                continue
            if _send(url, token, str(path), events, info, timeout):
                click.echo(
                    f"{path}: shard {info['shard']} of {info['project']} {info['run_key']}: "
                    f"{len(events)} events, all held by the dashboard"
                )
            else:
                failed += 1
    if failed:
        raise SystemExit(1)
