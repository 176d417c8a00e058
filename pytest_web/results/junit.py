"""JUnit XML (`--junitxml`), read with expat guarded by defusedxml's handlers: no DTD, no
entities, no external references, bounded depth, and text kept only up to `clean.TEXT_CAP` per
element.

A testcase becomes a `test_end` whose phases make pytest's summary counts come out right:
`failure` is a failed call, `error` a setup or teardown error (pytest writes a call failure plus a
teardown error as two testcases: they are one attempt here), `skipped type="pytest.xfail"` an
xfail, any other `skipped` a skip, and "collection failure" a collection error. JUnit cannot
tell an xpass from a pass: non-strict xpasses count as passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from pytest_web.core import clean
from pytest_web.core.events import CollectError, Event, Phase, TestEnd
from pytest_web.results.source import (
    CHUNK,
    MAX_XML_DEPTH,
    ResultFile,
    ResultFileError,
)

RESULTS = ("failure", "error", "skipped")
KEPT = frozenset({*RESULTS, "system-out", "system-err"})
MAX_CHILDREN = 100
"""Result and output elements read per testcase; more are skipped."""
KNOWN = 10_000
"""Classnames and times whose reading is kept, per file."""


class Child:
    """A result or output element of the testcase being read: its attributes and capped text."""

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs = tag, attrs
        self.parts: list[str] = []
        self.size = 0

    def add(self, text: str) -> None:
        if self.size <= clean.TEXT_CAP:
            self.parts.append(text)
            self.size += len(text)

    @property
    def text(self) -> str:
        return clean.cap_text("".join(self.parts))


def guarded_parser() -> Any:
    """A pyexpat parser with defusedxml's refusals installed: any DTD (so no entity can be
    declared), entity declarations and external references raise a `DefusedXmlException`.

    expat is driven directly, not through SAX: SAX wraps every element's attributes in an object
    and calls through two layers of Python per event, a third of the reading time.
    """
    guard = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = guard.defused_start_doctype_decl
    parser.EntityDeclHandler = guard.defused_entity_decl
    parser.UnparsedEntityDeclHandler = guard.defused_unparsed_entity_decl
    parser.ExternalEntityRefHandler = guard.defused_external_entity_ref_handler
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    return parser


class Handler:
    """Turns expat's events into testcases (attributes + kept children), one at a time.

    Character data reaches Python only inside a kept child: the handler is set when one opens
    and removed when it closes, so the whitespace between 100,000 testcases costs nothing.
    """

    def __init__(self, result: ResultFile, parser: Any) -> None:
        self.path, self.parser = result.path, parser
        self.count_element = result.tally.event
        self.count_test = result.tally.test
        self.depth = 0
        self.case: dict[str, str] | None = None
        self.case_depth = 0
        self.children: list[Child] = []
        self.child: Child | None = None
        self.tests: dict[str, TestEnd | float] = {}
        """Each test's first testcase (most tests have no other); a pass as its duration only,
        made an event when it is folded: a million events held whole took 500 MB."""
        self.more: dict[str, list[TestEnd | float]] = {}
        """The testcases after the first, of tests read more than once."""
        self.collect_errors: list[CollectError] = []
        self.times: list[float] = []
        self.prefixes: dict[str, str] = {}
        """`node_prefix` of each classname seen (a file's tests share theirs)."""
        self.durations: dict[str | None, float] = {}
        """`clean.duration` of each `time` seen: pytest writes them to the millisecond, so a
        million tests have a few thousand."""
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end

    def add(self, nodeid: str, event: TestEnd | float) -> None:
        if nodeid in self.tests:
            self.more.setdefault(nodeid, []).append(event)
        else:
            self.tests[nodeid] = event

    def last(self, nodeid: str) -> TestEnd | None:
        """The test's latest testcase so far (a pass made an event, to be added to)."""
        more = self.more.get(nodeid)
        found = more[-1] if more else self.tests.get(nodeid)
        if isinstance(found, float):
            found = self.event(nodeid, found)
            if more:
                more[-1] = found
            else:
                self.tests[nodeid] = found
        return found

    def event(self, nodeid: str, kept: TestEnd | float) -> TestEnd:
        """The testcase's event (a pass is kept as its duration)."""
        if not isinstance(kept, float):
            return kept
        phase: Phase = {"when": "call", "outcome": "passed", "duration": kept}
        return {"type": "test_end", "nodeid": nodeid, "phases": [phase], "source": self.path}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.count_element()
        depth = self.depth = self.depth + 1
        if depth > MAX_XML_DEPTH:
            raise ResultFileError(self.path, f"XML nested deeper than {MAX_XML_DEPTH} levels")
        if depth == 1 and name not in ("testsuites", "testsuite"):
            raise ResultFileError(self.path, f"XML, but not JUnit (root element <{name}>)")
        if name == "testcase" and self.case is None:
            self.case, self.case_depth, self.children = attrs, depth, []
        elif self.case is not None:
            if depth == self.case_depth + 1 and name in KEPT:
                if len(self.children) < MAX_CHILDREN:
                    self.child = Child(name, attrs)
                    self.parser.CharacterDataHandler = self.child.add
        elif name == "testsuite":
            self.times.extend(suite_times(attrs))

    def end(self, name: str) -> None:
        depth = self.depth
        self.depth = depth - 1
        if self.case is None:
            return
        if depth == self.case_depth:
            self.count_test()
            testcase(self, self.case, self.children)
            self.case = None
        elif self.child is not None and depth == self.case_depth + 1:
            self.parser.CharacterDataHandler = None
            self.children.append(self.child)
            self.child = None


def read(stream: Any, result: ResultFile) -> Iterator[Event]:
    parser = guarded_parser()
    handler = Handler(result, parser)
    try:
        parser.ParseFile(stream)
    except expat.ExpatError as error:
        where = f"line {error.lineno}, column {error.offset}"
        reason = f"not well-formed XML ({expat.ErrorString(error.code)}: {where})"
        raise ResultFileError(result.path, reason) from None
    except DefusedXmlException as error:
        raise ResultFileError(result.path, f"refused XML: {type(error).__name__}") from None
    finally:
        handler.parser = parser.StartElementHandler = parser.EndElementHandler = None
    times = handler.times
    yield {"type": "session_start", "time": min(times) if times else None}
    yield from handler.collect_errors
    more = handler.more
    nodeids, firsts = list(handler.tests), list(handler.tests.values())
    handler.tests = {}  # each test let go once folded: the file and the run not both held whole
    firsts.reverse()
    event = handler.event
    for nodeid in nodeids:
        yield event(nodeid, firsts.pop())
        if nodeid in more:
            yield from (event(nodeid, kept) for kept in more.pop(nodeid))
    yield {"type": "session_end", "exitstatus": None, "time": max(times) if times else None}


def suite_times(attrs: Any) -> list[float]:
    try:
        start = datetime.fromisoformat(attrs.get("timestamp", "")).timestamp()
    except (ValueError, OverflowError, OSError):
        return []
    return [start, start + clean.duration(attrs.get("time"))] if clean.timestamp(start) else []


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
    name, file, classname = case.get("name"), case.get("file"), case.get("classname")
    if not name:
        return
    if classname and not file:
        prefix = handler.prefixes.get(classname)
        if prefix is None:
            prefix = node_prefix(classname, None)
            if len(handler.prefixes) < KNOWN:
                handler.prefixes[classname] = prefix
        nodeid = prefix + "::" + name
    else:
        nodeid = nodeid_of(classname or "", name, file)
    time = case.get("time")
    duration = handler.durations.get(time)
    if duration is None:
        duration = clean.duration(time)
        if len(handler.durations) < KNOWN:
            handler.durations[time] = duration
    if not children and not file:  # the common case: a pass, kept as its duration
        handler.add(nodeid, duration)
        return
    found = next((child for child in children if child.tag in RESULTS), None)
    kind = found.tag if found else "passed"
    message = found.attrs.get("message", "") if found else ""
    body = (found.text.strip() or message) if found else ""
    last = handler.last(nodeid)
    if kind == "error" and message == "collection failure":
        handler.collect_errors.append({"type": "collect_error", "nodeid": nodeid, "longrepr": body})
        return
    phases: list[Phase] = []
    if kind == "failure":
        phases = [{"when": "call", "outcome": "failed", "duration": duration, "longrepr": body}]
    elif kind == "error" and message.startswith("failed on teardown"):
        teardown: Phase = {
            "when": "teardown",
            "outcome": "failed",
            "duration": duration,
            "longrepr": body,
        }
        if last and all(p["when"] != "teardown" for p in last["phases"]):
            last["phases"].append(teardown)
            return  # the second testcase of a failed call plus a teardown error
        phases = [{"when": "call", "outcome": "passed", "duration": 0.0}, teardown]
    elif kind == "error":
        phases = [{"when": "setup", "outcome": "failed", "duration": duration, "longrepr": body}]
    elif kind == "skipped" and found and found.attrs.get("type") == "pytest.xfail":
        phases = [
            {
                "when": "call",
                "outcome": "skipped",
                "duration": duration,
                "longrepr": body,
                "wasxfail": message,
            }
        ]
    elif kind == "skipped":
        phases = [{"when": "setup", "outcome": "skipped", "duration": duration, "longrepr": body}]
    else:
        phases = [{"when": "call", "outcome": "passed", "duration": duration}]
    sections = [[c.tag, c.text] for c in children if c.tag in ("system-out", "system-err")]
    sections = [s for s in sections if s[1].strip()]
    if sections:
        phases[-1]["sections"] = sections
    event: TestEnd = {
        "type": "test_end",
        "nodeid": nodeid,
        "phases": phases,
        "source": handler.path,
    }
    if file:
        line = clean.line_number(case.get("line"))
        event["location"] = [file, line]  # pytest writes its 0-based line
    handler.add(nodeid, event)
