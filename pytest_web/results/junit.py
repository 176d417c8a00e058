"""JUnit XML (`--junitxml`), read with defusedxml's SAX parser: no DTD, no entities, no external
references, bounded depth, and text kept only up to `TEXT_CAP` per element.

A testcase becomes a `test_end` whose phases make pytest's summary counts come out right:
`failure` is a failed call, `error` a setup or teardown error (pytest writes a call failure plus a
teardown error as two testcases: they are one attempt here), `skipped type="pytest.xfail"` an
xfail, any other `skipped` a skip, and "collection failure" a collection error. JUnit cannot
tell an xpass from a pass: non-strict xpasses count as passed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any
from xml.sax import SAXException, SAXParseException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import InputSource

from defusedxml import DefusedXmlException
from defusedxml.expatreader import create_parser

from pytest_web.results.load import MAX_XML_DEPTH, TEXT_CAP, ResultFile, ResultFileError, cap_text

RESULTS = ("failure", "error", "skipped")
KEPT = frozenset({*RESULTS, "system-out", "system-err"})
MAX_CHILDREN = 100
"""Result and output elements read per testcase; more are skipped."""


class Child:
    """A result or output element of the testcase being read: its attributes and capped text."""

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs = tag, attrs
        self.parts: list[str] = []
        self.size = 0

    def add(self, text: str) -> None:
        if self.size <= TEXT_CAP:
            self.parts.append(text)
            self.size += len(text)

    @property
    def text(self) -> str:
        return cap_text("".join(self.parts))


class Handler(ContentHandler):
    """Turns SAX events into testcases (attributes + kept children), one at a time."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.depth = 0
        self.case: dict[str, str] | None = None
        self.children: list[Child] = []
        self.child: Child | None = None
        self.tests: dict[str, list[dict[str, Any]]] = {}
        self.collect_errors: list[dict[str, Any]] = []
        self.times: list[float] = []

    def startElement(self, name: str, attrs: Any) -> None:  # noqa: N802 (SAX's name)
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise ResultFileError(self.path, f"XML nested deeper than {MAX_XML_DEPTH} levels")
        if self.depth == 1 and name not in ("testsuites", "testsuite"):
            raise ResultFileError(self.path, f"XML, but not JUnit (root element <{name}>)")
        if name == "testsuite":
            self.times.extend(suite_times(attrs))
        elif name == "testcase" and self.case is None:
            self.case, self.case_depth, self.children = dict(attrs.items()), self.depth, []
        elif self.case is not None and self.depth == self.case_depth + 1 and name in KEPT:
            if len(self.children) < MAX_CHILDREN:
                self.child = Child(name, dict(attrs.items()))

    def characters(self, content: str) -> None:
        if self.child is not None:
            self.child.add(content)

    def endElement(self, name: str) -> None:  # noqa: N802 (SAX's name)
        if self.child is not None and self.depth == self.case_depth + 1:
            self.children.append(self.child)
            self.child = None
        elif self.case is not None and self.depth == self.case_depth:
            testcase(self, self.case, self.children)
            self.case = None
        self.depth -= 1


def read(stream: Any, result: ResultFile) -> Iterator[dict[str, Any]]:
    handler = Handler(result.path)
    parser = create_parser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(handler)
    source = InputSource(result.path)
    source.setByteStream(stream)
    try:
        parser.parse(source)
    except SAXParseException as error:
        where = f"line {error.getLineNumber()}, column {error.getColumnNumber()}"
        reason = f"not well-formed XML ({error.getMessage()}: {where})"
        raise ResultFileError(result.path, reason) from None
    except DefusedXmlException as error:
        raise ResultFileError(result.path, f"refused XML: {type(error).__name__}") from None
    except SAXException as error:
        raise ResultFileError(result.path, f"unreadable XML ({error.getMessage()})") from None
    times = handler.times
    yield {"type": "session_start", "time": min(times) if times else None}
    yield from handler.collect_errors
    for attempts in handler.tests.values():
        yield from attempts
    yield {"type": "session_end", "exitstatus": None, "time": max(times) if times else None}


def suite_times(attrs: Any) -> list[float]:
    try:
        start = datetime.fromisoformat(attrs.get("timestamp", "")).timestamp()
    except (ValueError, OverflowError, OSError):
        return []
    return [start, start + seconds(attrs.get("time"))]


def seconds(value: str | None) -> float:
    try:
        number = float(value or 0)
    except ValueError:
        return 0.0
    return number if math.isfinite(number) and number >= 0 else 0.0


@lru_cache(maxsize=4096)
def node_prefix(classname: str, file: str | None) -> str:
    """`tests.test_a.TestX` -> `tests/test_a.py::TestX`: the module path, then the classes.

    Classes are the trailing parts that start with a capital letter (pytest's `Test...`); with
    `file` (junit_family=xunit1) the module path is known exactly.
    """
    parts = [p for p in classname.split(".") if p]
    if file:
        module = file.removesuffix(".py").replace("/", ".").split(".")
        classes = parts[len(module) :] if parts[: len(module)] == module else []
        return "::".join([file, *classes])
    split = next((i for i in range(1, len(parts)) if parts[i][:1].isupper()), len(parts))
    return "::".join(["/".join(parts[:split]) + ".py", *parts[split:]])


def nodeid_of(classname: str, name: str, file: str | None = None) -> str:
    """pytest's node id from a testcase's `classname` and `name` (and `file`, if given)."""
    if not classname and not file:  # a collection report: its name is the dotted module path
        return name.replace(".", "/") + ".py" if name and "/" not in name else name
    return node_prefix(classname, file) + "::" + name


def testcase(handler: Handler, case: dict[str, str], children: list[Child]) -> None:
    name, file = case.get("name"), case.get("file")
    if not name:
        return
    nodeid = nodeid_of(case.get("classname") or "", name, file)
    duration = seconds(case.get("time"))
    if not children and not file:  # the common case: a pass
        phase = {"when": "call", "outcome": "passed", "duration": duration}
        event = {"type": "test_end", "nodeid": nodeid, "phases": [phase], "source": handler.path}
        handler.tests.setdefault(nodeid, []).append(event)
        return
    found = next((child for child in children if child.tag in RESULTS), None)
    kind = found.tag if found else "passed"
    message = found.attrs.get("message", "") if found else ""
    body = (found.text.strip() or message) if found else ""
    attempts = handler.tests.get(nodeid)
    if kind == "error" and message == "collection failure":
        handler.collect_errors.append({"type": "collect_error", "nodeid": nodeid, "longrepr": body})
        return
    phases: list[dict[str, Any]] = []
    if kind == "failure":
        phases = [{"when": "call", "outcome": "failed", "longrepr": body}]
    elif kind == "error" and message.startswith("failed on teardown"):
        teardown = {"when": "teardown", "outcome": "failed", "longrepr": body}
        if attempts and all(p["when"] != "teardown" for p in attempts[-1]["phases"]):
            attempts[-1]["phases"].append({**teardown, "duration": duration})
            return  # the second testcase of a failed call plus a teardown error
        phases = [{"when": "call", "outcome": "passed", "duration": 0.0}, teardown]
    elif kind == "error":
        phases = [{"when": "setup", "outcome": "failed", "longrepr": body}]
    elif kind == "skipped" and found and found.attrs.get("type") == "pytest.xfail":
        phases = [{"when": "call", "outcome": "skipped", "longrepr": body, "wasxfail": message}]
    elif kind == "skipped":
        phases = [{"when": "setup", "outcome": "skipped", "longrepr": body}]
    else:
        phases = [{"when": "call", "outcome": "passed"}]
    phases[-1]["duration"] = duration
    sections = [[c.tag, c.text] for c in children if c.tag in ("system-out", "system-err")]
    sections = [s for s in sections if s[1].strip()]
    if sections:
        phases[-1]["sections"] = sections
    event: dict[str, Any] = {"type": "test_end", "nodeid": nodeid, "phases": phases}
    event["source"] = handler.path
    if file:
        line = case.get("line", "")
        event["location"] = [file, int(line) if line.isdigit() and len(line) < 10 else None]
    handler.tests.setdefault(nodeid, []).append(event)
