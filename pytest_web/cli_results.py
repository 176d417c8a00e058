"""`pytest-web view FILE...` and `pytest-web export FILE... -o report.html`."""

from __future__ import annotations

import gc
import os
import secrets
import tempfile
from pathlib import Path

import click

from pytest_web.results import Results, open_results

HELP = {"help_option_names": ["-h", "--help"]}
FILES = click.argument("files", nargs=-1, required=True, metavar="FILE...")


def _open(files: tuple[str, ...]) -> Results:
    """Read and merge the files; say on stderr what was refused; fail when nothing is left."""
    results = open_results(files)
    for line in results.problems:
        click.secho(line, fg="yellow", err=True)
    if results.state is None:
        raise click.ClickException("none of the files could be read")
    state = results.state
    counts = ", ".join(f"{n} {name}" for name, n in state.summary().items() if n) or "no results"
    flaky = f", {state.flaky_count} flaky" if state.flaky_count else ""
    click.echo(f"{len(results.files)} file(s), {len(state.tests)} tests: {counts}{flaky}")
    return results


@click.command(context_settings=HELP)
@FILES
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--allow-host",
    multiple=True,
    help="Extra Host header name to accept (for a reverse proxy or a LAN name). Repeatable.",
)
def view(files: tuple[str, ...], host: str, port: int, allow_host: tuple[str, ...]) -> None:
    """Show CI result files in the browser, read-only: pytest-web recordings (--web-record),
    pytest-reportlog (--report-log) and JUnit XML (--junitxml), in any mix. Several files are
    shards of one run: they merge by node id, and a test reported more than once keeps every
    attempt. A file that cannot be read is refused with the reason; the others still open."""
    from pytest_web import viewer
    from pytest_web.cli import _is_loopback
    from pytest_web.server import serve

    results = _open(files)
    viewer.LOADED = results
    gc.freeze()  # the results live as long as the server: the collector need never scan them
    token = os.environ.get("PYTEST_WEB_TOKEN") or secrets.token_urlsafe(24)
    if not _is_loopback(host):
        click.secho(
            f"warning: listening on {host}: anyone who can reach this address and has the token "
            "can read these results.",
            fg="yellow",
            err=True,
        )
    os.environ.update(
        {
            "PYTEST_WEB_REPO": os.getcwd(),
            "PYTEST_WEB_TOKEN": token,
            "PYTEST_WEB_ALLOW_HOSTS": ",".join(allow_host),
            "PYTEST_WEB_READ_ONLY": "1",
        }
    )
    serve(host, port, token)


@click.command(context_settings=HELP)
@FILES
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write.",
)
def export(files: tuple[str, ...], output: Path) -> None:
    """Write one self-contained HTML report of result files (the same formats as `view`):
    no network references, readable with JavaScript off, for a CI job to upload."""
    from pytest_web.export import render_report

    results = _open(files)
    html = render_report(results)
    temporary = None
    try:  # written next to it, then renamed: a reader never sees half a report
        fd, temporary = tempfile.mkstemp(dir=output.resolve().parent, prefix=".report-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
        os.chmod(temporary, 0o644)
        os.replace(temporary, output)
    except OSError as error:
        if temporary and os.path.exists(temporary):
            os.unlink(temporary)
        raise click.ClickException(f"cannot write {output}: {error}") from None
    click.echo(f"wrote {output} ({len(html.encode()) / 1024:,.0f} KiB)")
