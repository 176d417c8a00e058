"""Our own recordings (`--web-record`, PYTEST_WEB_RECORD): the plugin's events, one per line.

Each event is rebuilt from the fields the fold reads, with their types checked, so nothing odd in
a file (structures where text belongs, huge numbers, deep nesting) reaches the views. The events'
numbers `i` drop repeats within a session; a file appended to by a second session starts again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pytest_web.results.lines import integer, json_lines, number, sections, text
from pytest_web.results.source import ResultFile

MAX_PHASES = 20


def read(stream: Any, result: ResultFile) -> Iterator[dict[str, Any]]:
    last = 0
    ended = False
    for raw in json_lines(stream, result):
        kind = raw.get("type")
        builder = BUILDERS.get(kind) if isinstance(kind, str) else None
        if builder is None:
            continue
        i = integer(raw.get("i"))
        if i is not None:
            if kind == "session_start" and i <= last:
                last = 0  # the file holds another session after this one
            if i <= last:
                continue
            last = i
        event = builder(raw)
        if event is not None:
            event["type"] = kind
            if kind == "test_end":
                event["source"] = result.path
            ended = ended or kind == "session_end"
            yield event
    if not ended:
        result.warnings.append("no session end: pytest stopped before finishing (a crash?)")


def _location(value: Any) -> list[Any] | None:
    if not isinstance(value, list) or len(value) < 2 or not isinstance(value[0], str):
        return None
    return [text(value[0]), integer(value[1]), text(value[2]) if len(value) > 2 else ""]


def phase(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    clean: dict[str, Any] = {
        "when": text(raw.get("when")),
        "outcome": text(raw.get("outcome")),
        "duration": number(raw.get("duration")) or 0.0,
    }
    if text(raw.get("longrepr")):
        clean["longrepr"] = text(raw.get("longrepr"))
    if "wasxfail" in raw:
        clean["wasxfail"] = text(raw.get("wasxfail"))
    found = sections(raw.get("sections"))
    if found:
        clean["sections"] = found
    return clean


def _test(raw: dict[str, Any]) -> dict[str, Any] | None:
    nodeid = raw.get("nodeid")
    if not isinstance(nodeid, str):
        return None
    event: dict[str, Any] = {"nodeid": text(nodeid)}
    location = _location(raw.get("location"))
    if location:
        event["location"] = location
    return event


def _test_end(raw: dict[str, Any]) -> dict[str, Any] | None:
    event = _test(raw)
    if event is not None:
        phases = raw.get("phases") if isinstance(raw.get("phases"), list) else []
        event["phases"] = [p for p in map(phase, phases[:MAX_PHASES]) if p]
        worker = raw.get("worker")
        event["worker"] = text(worker) if isinstance(worker, str) else None
    return event


def _collection(raw: dict[str, Any]) -> dict[str, Any]:
    nodeids = raw.get("nodeids") if isinstance(raw.get("nodeids"), list) else []
    return {"nodeids": [text(n) for n in nodeids if isinstance(n, str)]}


def _collect_error(raw: dict[str, Any]) -> dict[str, Any]:
    return {"nodeid": text(raw.get("nodeid")), "longrepr": text(raw.get("longrepr"))}


def _session_start(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "pytest_version": text(raw.get("pytest_version")),
        "rootdir": text(raw.get("rootdir")),
        "time": number(raw.get("time")),
    }


def _session_end(raw: dict[str, Any]) -> dict[str, Any]:
    return {"exitstatus": integer(raw.get("exitstatus")), "time": number(raw.get("time"))}


BUILDERS = {
    "session_start": _session_start,
    "collection": _collection,
    "collect_error": _collect_error,
    "test_start": _test,
    "test_end": _test_end,
    "session_end": _session_end,
}
