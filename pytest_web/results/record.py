"""Our own recordings (`--web-record`, PYTEST_WEB_RECORD): the plugin's events, one per line.

Each event passes the same door as a live POST (`core.clean.event`), so nothing odd in a file
(structures where text belongs, huge numbers, lone surrogates, deep nesting) reaches the views.
The events' numbers `i` drop repeats within a session; a file appended to by a second session
starts again. The numbers are dropped once read: a run merged from several files would otherwise
take one file's numbers for repeats of another's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pytest_web.core import clean
from pytest_web.core.events import Event
from pytest_web.results.lines import json_lines
from pytest_web.results.source import ResultFile, ResultFileError, open_result


def read(stream: Any, result: ResultFile) -> Iterator[Event]:
    last = 0
    ended = False
    for raw in json_lines(stream, result):
        event = clean.event(raw)
        if event is None:
            continue
        kind = event["type"]
        i = event.get("i")
        if isinstance(i, int):
            if kind == "session_start" and i <= last:
                last = 0  # the file holds another session after this one
            if i <= last:
                continue
            last = i
        event.pop("i", None)
        event.pop("run", None)
        if event["type"] == "test_end":
            event["source"] = result.path
            result.tally.test()
        ended = ended or kind == "session_end"
        yield event
    if not ended:
        result.warnings.append("no session end: pytest stopped before finishing (a crash?)")


def read_record(path: str) -> list[Event]:
    """The events of the plugin's own record of a live run (read back after pytest died):
    every whole line, the same door as its POSTs, without `source` (they are not attempts)."""
    result = ResultFile(path, "record", [])
    events: list[Event] = []
    try:
        stream, _ = open_result(path)
        with stream:
            for raw in json_lines(stream, result):
                event = clean.event(raw)
                if event is not None:
                    events.append(event)
    except ResultFileError:
        pass  # what was read before the problem is kept
    return events


def recorded_sessions(path: str) -> tuple[list[list[dict[str, Any]]], list[str]]:
    """A recording's sessions as written, for `pytest-web upload` to send on: each a list of
    raw numbered events (the dashboard's door cleans them), starting at a session start; and
    what was odd about the file. `ResultFileError` when it cannot be read at all."""
    result = ResultFile(path, "record", [])
    sessions: list[list[dict[str, Any]]] = []
    stream, _ = open_result(path)
    with stream:
        for raw in json_lines(stream, result):
            if not isinstance(raw.get("i"), int):
                continue
            if raw.get("type") == "session_start" or not sessions:
                sessions.append([])
            sessions[-1].append(raw)
    return sessions, result.warnings
