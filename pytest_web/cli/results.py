"""`pytest-web view FILE...` and `pytest-web export FILE... -o report.html`."""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import threading
from pathlib import Path

import click

from pytest_web.cli.options import DATA_OPTION, HELP, listening, token_from_env, warn_if_public
from pytest_web.cli.server import serve
from pytest_web.history import History, HistoryError, database_path
from pytest_web.history.queries import load_run, run_rows
from pytest_web.results.merge import Results, open_results
from pytest_web.web import read_only
from pytest_web.web.report import render_report
from pytest_web.web.run_form import unavailable
from pytest_web.web.settings import data_dir_from_env

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
@listening
def view(files: tuple[str, ...], host: str, port: int, allow_host: tuple[str, ...]) -> None:
    """Show CI result files in the browser, read-only: pytest-web recordings (--web-record),
    pytest-reportlog (--report-log) and JUnit XML (--junitxml), in any mix. Several files are
    shards of one run: they merge by node id, and a test reported more than once keeps every
    attempt. A file that cannot be read is refused with the reason; the others still open."""
    token = token_from_env()  # a bad token fails before the files are read
    asking = _ask_for_plugins()
    gc.disable()  # what is read now lives as long as the server: the collector need never scan
    results = _open(files)  # it (a first pass over 100,000 tests' objects alone takes 0.1 s)
    read_only.LOADED = results
    read_only.prepare(results)
    asking.join()
    gc.freeze()
    gc.enable()
    warn_if_public(host, "can read these results")
    os.environ.update(
        {
            "PYTEST_WEB_REPO": os.getcwd(),
            "PYTEST_WEB_TOKEN": token,
            "PYTEST_WEB_ALLOW_HOSTS": ",".join(allow_host),
            "PYTEST_WEB_READ_ONLY": "1",
        }
    )
    serve(host, port, token)


def _ask_for_plugins() -> threading.Thread:
    """The page asks which plugins the tests' Python has (`run_form.unavailable`: an
    interpreter started per plugin, 0.3 s), and keeps the answer: asked here, on another core
    while the files are read, the forked worker inherits it instead of asking on its first page."""
    python = os.environ.get("PYTEST_WEB_PYTHON") or sys.executable
    asking = threading.Thread(target=unavailable, args=(python,), daemon=True)
    asking.start()
    return asking


@click.command(context_settings=HELP)
@click.argument("files", nargs=-1, metavar="[FILE...]")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write.",
)
@click.option(
    "--run",
    "run_id",
    metavar="ID",
    help="Export a run kept in the history of `pytest-web serve` instead of files "
    "(its id from the runs page or /api/runs; 'last' for the newest).",
)
@click.option(
    "--repo",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="With --run: the repository whose history to read.",
)
@DATA_OPTION
def export(
    files: tuple[str, ...], output: Path, run_id: str | None, repo: Path, data: Path | None
) -> None:
    """Write one self-contained HTML report of result files (the same formats as `view`), or of
    a run kept in history (--run): no network references, readable with JavaScript off, for a
    CI job to upload."""
    if bool(files) == bool(run_id):
        raise click.UsageError("give result FILEs or --run ID (one of the two)")
    if run_id:
        results = _kept_run(run_id, repo, data)
        origin = f"run {results.state.id if results.state else run_id} of {repo.resolve()}"
    else:
        results, origin = _open(files), ""
    html = render_report(results, origin=origin)
    _write(output, html)
    click.echo(f"wrote {output} ({len(html.encode()) / 1024:,.0f} KiB)")


def _kept_run(run_id: str, repo: Path, data: Path | None) -> Results:
    """A run from the repository's history, folded from its events like the server does."""
    folder = data or data_dir_from_env(os.environ.get("PYTEST_WEB_DATA"))
    if folder is None:
        raise click.UsageError("PYTEST_WEB_DATA is '-' (no history): give --data")
    path = database_path(folder, repo)
    if not path.is_file():
        raise click.ClickException(f"no run history for {repo.resolve()} (looked for {path})")
    try:
        history = History(path)
    except HistoryError as error:
        raise click.ClickException(str(error)) from None
    if run_id == "last":
        rows = run_rows(history, limit=1)
        run_id = rows[0]["id"] if rows else run_id
    state = load_run(history, run_id)
    if state is None:
        raise click.ClickException(f"no run {run_id!r} in {path}")
    return Results(state)


def _write(output: Path, html: str) -> None:
    """Written next to it, then renamed: a reader never sees half a report."""
    temporary = None
    try:
        fd, temporary = tempfile.mkstemp(dir=output.resolve().parent, prefix=".report-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
        os.chmod(temporary, 0o644)
        os.replace(temporary, output)
    except OSError as error:
        if temporary and os.path.exists(temporary):
            os.unlink(temporary)
        raise click.ClickException(f"cannot write {output}: {error}") from None
