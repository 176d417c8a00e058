"""pytest-reportlog files (`--report-log=FILE`): each TestReport is one phase of a test.

A test's phases end at its teardown (or xdist's `???` crash report), which makes one `test_end`;
a rerun (pytest-rerunfailures) starts again with a setup and becomes another attempt. Failed
collection reports are collection errors; a skipped one (a module-level skip) counts as skipped,
as in pytest's summary.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pytest_web.core import clean
from pytest_web.core.clean import integer, text
from pytest_web.core.events import Event, Phase, TestEnd
from pytest_web.results.lines import json_lines
from pytest_web.results.source import ResultFile

MAX_ENTRIES = 200
SEPARATOR = "\n" + "_ " * 40 + "\n\n"


def read(stream: Any, result: ResultFile) -> Iterator[Event]:
    open_tests: dict[str, TestEnd] = {}
    ended = False
    for raw in json_lines(stream, result):
        kind = raw.get("$report_type")
        if kind == "SessionStart":
            version = text(raw.get("pytest_version"))
            yield {"type": "session_start", "pytest_version": version}
        elif kind == "TestReport":
            yield from _test_report(raw, open_tests, result)
        elif kind == "CollectReport":
            yield from _collect_report(raw, result)
        elif kind == "SessionFinish":
            ended = True
            yield from _close_all(open_tests)
            yield {"type": "session_end", "exitstatus": integer(raw.get("exitstatus"))}
    yield from _close_all(open_tests)
    if not ended:
        result.warnings.append("no SessionFinish: pytest stopped before finishing (a crash?)")


def _test_report(
    raw: dict[str, Any], open_tests: dict[str, TestEnd], result: ResultFile
) -> Iterator[Event]:
    if not isinstance(raw.get("nodeid"), str):
        return
    nodeid = text(raw["nodeid"])
    when = text(raw.get("when"))
    test = open_tests.get(nodeid)
    if test is not None and when == "setup":  # a rerun: the earlier attempt is over
        yield open_tests.pop(nodeid)
        test = None
    if test is None:
        result.tally.test()
        test = open_tests[nodeid] = {
            "type": "test_end",
            "nodeid": nodeid,
            "phases": [],
            "source": result.path,
            "worker": text(raw["worker_id"]) if isinstance(raw.get("worker_id"), str) else None,
        }
        location = clean.location(raw.get("location"))
        if location is not None:
            test["location"] = location
    report = {**raw, "longrepr": longrepr_text(raw.get("longrepr"))}
    phase = clean.phase(report)
    if phase is not None:
        test["phases"].append(phase)
    start, stop = clean.timestamp(raw.get("start")), clean.timestamp(raw.get("stop"))
    test["time"] = stop or start
    if when in ("teardown", "???"):
        yield open_tests.pop(nodeid)


def _collect_report(raw: dict[str, Any], result: ResultFile) -> Iterator[Event]:
    nodeid, outcome = text(raw.get("nodeid")), raw.get("outcome")
    if outcome == "failed":
        longrepr = longrepr_text(raw.get("longrepr"))
        yield {"type": "collect_error", "nodeid": nodeid, "longrepr": longrepr}
    elif outcome == "skipped" and nodeid:
        longrepr = longrepr_text(raw.get("longrepr"))
        phase: Phase = {
            "when": "setup",
            "outcome": "skipped",
            "duration": 0.0,
            "longrepr": longrepr,
        }
        result.tally.test()
        yield {"type": "test_end", "nodeid": nodeid, "phases": [phase], "source": result.path}


def _close_all(open_tests: dict[str, TestEnd]) -> Iterator[Event]:
    yield from open_tests.values()  # interrupted before their teardown
    open_tests.clear()


def longrepr_text(value: Any) -> str:
    """Readable text of a serialized longrepr: a string, a skip's `[path, lineno, message]`,
    or a traceback (`reprtraceback` / `chain`) with its crash line and sections."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, list) and len(value) == 3:
        return text(value[2])
    if not isinstance(value, dict):
        return ""
    parts: list[str] = []
    chain = value.get("chain")
    if isinstance(chain, list) and chain:
        for link in chain[:MAX_ENTRIES]:
            if isinstance(link, list) and len(link) == 3:
                parts.append(_traceback(link[0], link[1]))
                if isinstance(link[2], str) and link[2]:
                    parts.append(link[2])
    else:
        parts.append(_traceback(value.get("reprtraceback"), value.get("reprcrash")))
    sections = value.get("sections")
    for section in sections[:MAX_ENTRIES] if isinstance(sections, list) else []:
        if isinstance(section, list) and len(section) >= 2:
            parts.append(f"{'-' * 20} {text(section[0])} {'-' * 20}\n{text(section[1])}")
    return text("\n\n".join(p for p in parts if p))


def _traceback(traceback: Any, crash: Any) -> str:
    entries = traceback.get("reprentries") if isinstance(traceback, dict) else None
    rendered = []
    for entry in entries[:MAX_ENTRIES] if isinstance(entries, list) else []:
        data = entry.get("data") if isinstance(entry, dict) else None
        if not isinstance(data, dict):
            continue
        lines = data.get("lines")
        body = "\n".join(text(line) for line in lines) if isinstance(lines, list) else ""
        where = data.get("reprfileloc")
        if isinstance(where, dict):
            path, line, message = (text(where.get(k)) for k in ("path", "lineno", "message"))
            body += f"\n\n{path}:{line}: {message}"
        rendered.append(body)
    if rendered:
        return SEPARATOR.join(rendered)
    if isinstance(crash, dict):
        path, line, message = (text(crash.get(k)) for k in ("path", "lineno", "message"))
        return f"{path}:{line}: {message}"
    return ""
