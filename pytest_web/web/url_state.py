"""What a page's address holds, so that a reload, back and forward, and a pasted link show the
same view: the run (its path, `/runs/<id>`), the open test (`test`), the status filter (`show`),
the search (`q`) and the tree's order (`sort`).

The server renders that state for any address, script or not; static/page.js writes it into the
address bar as the view changes (`history.pushState`) and restores it on back and forward.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from pytest_web.web.tree_view import show_choice

MAX_QUERY = 500
"""Characters of a search kept (a search box holds a name, not a file)."""
SORTS = ("", "duration")
"""The tree's orders: the run's own (''), or the slowest first in each group ('duration')."""


def sort_choice(value: object) -> str:
    """An order from a request ('' for anything unknown)."""
    return value if isinstance(value, str) and value in SORTS else ""


@dataclass(frozen=True)
class UrlState:
    """The view an address asks for; every field already checked."""

    test: str = ""
    show: str = "all"
    query: str = ""
    sort: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> UrlState:
        """From a request's query string: unknown values fall back to the plain view."""
        return cls(
            test=args.get("test", "")[:4096],
            show=show_choice(args.get("show", "all")),
            query=args.get("q", "")[:MAX_QUERY].strip(),
            sort=sort_choice(args.get("sort", "")),
        )

    def args(self, offset: int = 0, test: bool = True) -> dict[str, object]:
        """The query's arguments that differ from the plain view, in the page's order."""
        found: dict[str, object] = {}
        if test and self.test:
            found["test"] = self.test
        if self.query:
            found["q"] = self.query
        if self.show != "all":
            found["show"] = self.show
        if self.sort:
            found["sort"] = self.sort
        if offset:
            found["offset"] = offset
        return found


def query_string(args: Mapping[str, object]) -> str:
    """`?a=1&b=2`, or nothing without arguments."""
    return "?" + urlencode(args) if args else ""


def page_url(run_id: str | None, state: UrlState) -> str:
    """The address of a view: the run's page, or the live page (`run_id` None: a discovery,
    which has no page of its own after a restart), with the state's arguments."""
    path = f"/runs/{quote(run_id, safe='')}" if run_id else "/"
    return path + query_string(state.args())
