"""The `pytest-web` command: serve a repository (the default), view or export result files."""

from __future__ import annotations

import click

from pytest_web import __version__
from pytest_web.cli.dashboard import dashboard
from pytest_web.cli.options import HELP
from pytest_web.cli.results import export, view
from pytest_web.cli.serve import serve_repo
from pytest_web.cli.upload import upload


class DefaultGroup(click.Group):
    """A group whose first argument, when it is no command, belongs to `serve`: so
    `pytest-web`, `pytest-web REPO` and `pytest-web --port 0 REPO` work as they always did."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        top_level = ("-h", "--help", "--version")
        if not args or (args[0] not in self.commands and args[0] not in top_level):
            args = ["serve", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup, context_settings=HELP)
@click.version_option(__version__, prog_name="pytest-web")
def main() -> None:
    """A browser UI for pytest. `pytest-web [REPO]` serves REPO's suite (the `serve` command);
    `view` and `export` show CI result files; `dashboard` serves CI runs streamed live from
    their shards, and `upload` sends a shard's recording to it later."""


main.add_command(serve_repo)
main.add_command(view)
main.add_command(export)
main.add_command(upload)
main.add_command(dashboard)
