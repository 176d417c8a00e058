"""JUnit XML (`--junitxml`), parsed with defusedxml: no DTD, no entities, bounded depth.

A testcase becomes a `test_end` whose phases make pytest's summary counts come out right:
`failure` is a failed call, `error` a setup or teardown error (pytest writes a call failure plus a
teardown error as two testcases: they are one attempt here), `skipped type="pytest.xfail"` an
xfail, any other `skipped` a skip, and "collection failure" a collection error. JUnit cannot
tell an xpass from a pass: non-strict xpasses count as passed.

Memory stays bounded: each testcase is dropped once read, and elements outside a testcase's own
children are dropped as soon as they close.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from pytest_web.results.load import MAX_XML_DEPTH, ResultFile, ResultFileError, cap_text

RESULTS = ("failure", "error", "skipped")
KEPT = frozenset({*RESULTS, "system-out", "system-err"})
MAX_CHILDREN = 1000


def read(stream: Any, result: ResultFile) -> Iterator[dict[str, Any]]:
    path = result.path
    tests: dict[str, list[dict[str, Any]]] = {}
    times: list[float] = []
    stack: list[Element] = []
    try:
        for event, elem in iterparse(stream, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                if len(stack) >= MAX_XML_DEPTH:
                    raise ResultFileError(path, f"XML nested deeper than {MAX_XML_DEPTH} levels")
                if not stack and elem.tag not in ("testsuites", "testsuite"):
                    raise ResultFileError(path, f"XML, but not JUnit (root element <{elem.tag}>)")
                if elem.tag == "testsuite":
                    times.extend(_suite_times(elem))
                stack.append(elem)
                continue
            stack.pop()
            parent = stack[-1] if stack else None
            if elem.tag == "testcase":
                yield from _testcase(elem, tests, path)
            elif parent is not None and parent.tag == "testcase" and elem.tag in KEPT:
                if len(parent) <= MAX_CHILDREN:
                    continue  # read when its testcase closes
            if parent is not None:
                del parent[-1]  # the element that just closed is its parent's last child
    except ParseError as error:
        raise ResultFileError(path, f"not well-formed XML ({error})") from None
    except DefusedXmlException as error:
        raise ResultFileError(path, f"refused XML: {type(error).__name__} ({error})") from None
    yield {"type": "session_start", "time": min(times) if times else None}
    for attempts in tests.values():
        yield from attempts
    yield {"type": "session_end", "exitstatus": None, "time": max(times) if times else None}


def _suite_times(elem: Element) -> list[float]:
    try:
        start = datetime.fromisoformat(elem.get("timestamp", "")).timestamp()
    except (ValueError, OverflowError, OSError):
        return []
    return [start, start + _seconds(elem.get("time"))]


def _seconds(value: str | None) -> float:
    try:
        number = float(value or 0)
    except ValueError:
        return 0.0
    return number if math.isfinite(number) and number >= 0 else 0.0


def nodeid_of(classname: str, name: str, file: str | None = None) -> str:
    """pytest's node id from JUnit's dotted `classname` (module path, then classes) and `name`.

    Classes are the trailing parts that start with a capital letter (pytest's `Test...`); with
    `file` (junit_family=xunit1) the module path is known exactly.
    """
    parts = [p for p in classname.split(".") if p]
    if file:
        module = file.removesuffix(".py").replace("/", ".").split(".")
        classes = parts[len(module) :] if parts[: len(module)] == module else []
        return "::".join([file, *classes, name])
    if not parts:
        return module_path(name) if name else ""
    split = next((i for i in range(1, len(parts)) if parts[i][:1].isupper()), len(parts))
    return "::".join(["/".join(parts[:split]) + ".py", *parts[split:], name])


def module_path(dotted: str) -> str:
    """`tests.test_a` -> `tests/test_a.py` (a collection report's name is its dotted path)."""
    return dotted.replace(".", "/") + ".py" if "/" not in dotted else dotted


def _testcase(
    elem: Element, tests: dict[str, list[dict[str, Any]]], source: str
) -> Iterator[dict[str, Any]]:
    name, classname, file = elem.get("name"), elem.get("classname") or "", elem.get("file")
    if not name:
        return
    nodeid = nodeid_of(classname, name, file)
    duration = _seconds(elem.get("time"))
    found = next((child for child in elem if child.tag in RESULTS), None)
    kind = found.tag if found is not None else "passed"
    message = found.get("message", "") if found is not None else ""
    body = cap_text((found.text or "").strip() or message) if found is not None else ""
    if kind == "error" and message == "collection failure":
        yield {"type": "collect_error", "nodeid": nodeid, "longrepr": body}
        return
    if kind == "failure":
        phase = {"when": "call", "outcome": "failed", "longrepr": body}
    elif kind == "error" and message.startswith("failed on teardown"):
        phase = {"when": "teardown", "outcome": "failed", "longrepr": body}
        earlier = tests.get(nodeid)
        if earlier and not any(p["when"] == "teardown" for p in earlier[-1]["phases"]):
            earlier[-1]["phases"].append({**phase, "duration": duration})
            return  # the second testcase of a failed call plus a teardown error
        passed = {"when": "call", "outcome": "passed", "duration": 0.0}
        tests.setdefault(nodeid, []).append(_end(nodeid, file, elem, source, [passed]))
    elif kind == "error":
        phase = {"when": "setup", "outcome": "failed", "longrepr": body}
    elif kind == "skipped" and found is not None and found.get("type") == "pytest.xfail":
        phase = {"when": "call", "outcome": "skipped", "longrepr": body, "wasxfail": message}
    elif kind == "skipped":
        phase = {"when": "setup", "outcome": "skipped", "longrepr": body}
    else:
        phase = {"when": "call", "outcome": "passed"}
    phase["duration"] = duration
    sections = [
        [child.tag, cap_text(child.text)]
        for child in elem
        if child.tag in ("system-out", "system-err") and child.text and child.text.strip()
    ]
    if sections:
        phase["sections"] = sections
    if kind == "error" and message.startswith("failed on teardown"):
        tests[nodeid][-1]["phases"].append(phase)
    else:
        tests.setdefault(nodeid, []).append(_end(nodeid, file, elem, source, [phase]))


def _end(
    nodeid: str, file: str | None, elem: Element, source: str, phases: list[dict[str, Any]]
) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "test_end", "nodeid": nodeid, "phases": phases}
    event["source"] = source
    line = elem.get("line")
    if file:
        event["location"] = [file, int(line) if line and line.isdigit() else None]
    return event
