"""What each open tab holds of a run's rows, so that its live updates carry only those.

A big run's tree is closed groups that load their rows when opened: a tab with no group open
holds no row, and an update naming 100 rows it does not hold costs the page a swap that looks
for each of them, and the server their rendering. So each page load names its tab (`X-Tab` on
every htmx request, `tab=` on its stream), every route that renders rows says which here, and
a tab's updates are rendered with only the rows it holds.

Knowing too much only costs time, knowing too little loses updates: a tab that is not known here
(a restarted server, an old page, one of too many tabs) or that holds rows of another run gets
every row, as before this existed.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Iterable

MAX_TABS = 256
"""Tabs remembered, the least recently used forgotten first (it then gets every row)."""
TAB_LENGTH = 16


class Tabs:
    """Per tab (an id made here, for a page load): the run it shows and the node ids of the
    rows of that run it holds."""

    def __init__(self) -> None:
        self._held: OrderedDict[str, tuple[str, set[str]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._held)

    def new(self) -> str:
        """A new tab's id, holding no row yet."""
        tab = secrets.token_hex(TAB_LENGTH // 2)
        self._held[tab] = ("", set())
        while len(self._held) > MAX_TABS:
            self._held.popitem(last=False)
        return tab

    def shown(self, tab: str | None, run_id: str, rows: Iterable[str]) -> None:
        """The tab's view of `run_id` was replaced: it now holds exactly `rows`."""
        if tab and tab in self._held:
            self._held[tab] = (run_id, set(rows))
            self._held.move_to_end(tab)

    def added(self, tab: str | None, run_id: str, rows: Iterable[str]) -> None:
        """The tab appended `rows` of `run_id` to its view (a group opened, a page more)."""
        if not tab or tab not in self._held:
            return
        shown, held = self._held[tab]
        if shown == run_id:
            held.update(rows)
        else:  # a view this tab never said it showed: what else it holds is not known
            self._held[tab] = ("", set())
        self._held.move_to_end(tab)

    def held(self, tab: str | None, run_id: str) -> set[str] | None:
        """The rows of `run_id` the tab holds; None (every row) when that is not known."""
        found = self._held.get(tab) if tab else None
        if found is None or found[0] != run_id:
            return None
        return found[1]
