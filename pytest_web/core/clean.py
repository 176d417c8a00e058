"""The door: values and events from outside, rebuilt with the fields and types the fold relies on.

Everything that comes from the plugin (its POSTs, its record read back after a crash) or from a
result file passes through here once. Text is repaired (a lone surrogate, which any JSON writer
may emit, cannot be encoded into a page) and capped; numbers are finite and in range (a
timestamp of 1e300 breaks every clock function, two durations of 1e308 add up to infinity);
structures where a scalar belongs are dropped. After this, a stored run can never break a page.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from typing import Any

from pytest_web.core.events import (
    CollectError,
    Collection,
    Location,
    Phase,
    PluginEvent,
    SessionEnd,
    SessionStart,
    Subtest,
    SubtestEnd,
    TestEnd,
    TestStart,
)

TEXT_CAP = 1024 * 1024
"""Characters kept per traceback, captured section or message; the rest is cut with a note.
The plugin caps what it sends at the same size (its `TEXT_CAP`)."""
MAX_DURATION = 30 * 24 * 3600.0
"""Longer than this (a month) is no duration pytest measured: read as unknown (0)."""
MAX_TIME = 253402300799.0
"""The last second of the year 9999: later (or negative) is no time a clock gave."""
MAX_INT = 2**31 - 1
"""Exit statuses and line numbers beyond this are nonsense (and overflow SQLite)."""
MAX_PHASES = 20
MAX_SECTIONS = 100
MAX_NODEIDS = 10_000_000

_SURROGATE = re.compile("[\ud800-\udfff]")
_WHOLE = re.compile(r"[0-9]{1,9}")
"""A whole number as text. Not str.isdigit(), which takes '²' (and int() then refuses it)."""


def repair(value: str) -> str:
    """`value` with lone surrogates replaced by U+FFFD, so it can always be encoded."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)
    return value


NOTE_ROOM = 100
"""Room over the cap for the note the plugin adds to text it cut: cut once, not twice."""


def cap_text(value: str) -> str:
    """At most `TEXT_CAP` characters, with a note of how many were left out."""
    if len(value) <= TEXT_CAP + NOTE_ROOM:
        return value
    return value[:TEXT_CAP] + f"\n[pytest-web: {len(value) - TEXT_CAP} more characters not shown]"


def text(value: Any) -> str:
    """A string field: strings (repaired, capped) and plain scalars; never a structure's repr."""
    if value.__class__ is str:
        if value.isascii() and len(value) <= TEXT_CAP:
            return value  # the usual case, checked at once
        return cap_text(repair(value))
    if isinstance(value, str):
        return cap_text(repair(str(value)))
    if value is None:
        return ""
    if isinstance(value, (bool, int)):
        return str(value) if -MAX_INT <= value <= MAX_INT else ""
    if isinstance(value, float):
        return str(value) if math.isfinite(value) else ""
    return ""


def number(value: Any, low: float, high: float) -> float | None:
    """A number (or numeric text) from `low` to `high`; None for anything else."""
    if value.__class__ is not float:
        if isinstance(value, bool):
            return None
        if isinstance(value, str):
            if len(value) > 40:
                return None
        elif not isinstance(value, int):
            return None
        try:
            value = float(value)
        except (ValueError, OverflowError):  # "abc", a 4,000-digit integer
            return None
    return value if low <= value <= high else None  # NaN compares false


def duration(value: Any) -> float:
    """Seconds a phase took: 0 when unknown, negative, not finite or absurdly long."""
    return number(value, 0.0, MAX_DURATION) or 0.0


def timestamp(value: Any) -> float | None:
    """Seconds since the epoch, or None when it is no time a clock gave."""
    return number(value, 0.0, MAX_TIME)


def integer(value: Any) -> int | None:
    """A whole number in a 32-bit range (exit statuses, line numbers), or None."""
    if isinstance(value, int) and not isinstance(value, bool) and -MAX_INT <= value <= MAX_INT:
        return value
    return None


def line_number(value: Any) -> int | None:
    """A line number given as text (JUnit's `line="12"`), or None."""
    if isinstance(value, str) and _WHOLE.fullmatch(value):
        return int(value)
    return integer(value)


def sections(value: Any) -> list[list[str]]:
    """`[[title, text], ...]` with text members only, empty texts left out."""
    if not isinstance(value, list):
        return []
    found = []
    for item in value[:MAX_SECTIONS]:
        if isinstance(item, (list, tuple)) and len(item) >= 2:
            body = text(item[1])
            if body:
                found.append([text(item[0]), body])
    return found


_USUAL = {
    (when, outcome): (sys.intern(when), sys.intern(outcome))
    for when in ("setup", "call", "teardown")
    for outcome in ("passed", "failed", "skipped")
}
"""The reports most tests are made of, as interned strings: 100,000 tests hold 300,000 copies
of "passed", and a report that is only these three fields needs no other check."""


def phase(raw: Any) -> Phase | None:
    """One report of a test, rebuilt; None when it is not an object."""
    if raw.__class__ is not dict:
        return None
    get = raw.get
    when, outcome, seconds = get("when"), get("outcome"), get("duration")
    if len(raw) == 3 and when.__class__ is str and outcome.__class__ is str:
        usual = _USUAL.get((when, outcome))
        if usual is not None and seconds.__class__ is float and 0.0 <= seconds <= MAX_DURATION:
            return {"when": usual[0], "outcome": usual[1], "duration": seconds}
    clean: Phase = {  # interned: 10,000 tests hold 30,000 copies of "passed"
        "when": sys.intern(text(get("when"))),
        "outcome": sys.intern(text(get("outcome"))),
        "duration": duration(get("duration")),
    }
    longrepr = text(get("longrepr"))
    if longrepr:
        clean["longrepr"] = longrepr
    if "wasxfail" in raw:
        clean["wasxfail"] = text(raw["wasxfail"])
    found = sections(get("sections"))
    if found:
        clean["sections"] = found
    if "subtest" in raw:
        clean["subtest"] = subtest(raw["subtest"])
    if "category" in raw:
        clean["category"] = sys.intern(text(raw["category"]))
    return clean


def subtest(value: Any) -> Subtest:
    """A subtest's message and parameters, text only."""
    value = value if isinstance(value, dict) else {}
    params = value.get("params")
    pairs = list(params.items())[:MAX_SECTIONS] if isinstance(params, dict) else []
    return {"msg": text(value.get("msg")), "params": {text(k): text(v) for k, v in pairs}}


def phases(value: Any) -> list[Phase]:
    if not isinstance(value, list):
        return []
    return [p for p in map(phase, value[:MAX_PHASES]) if p is not None]


def location(value: Any) -> Location | None:
    """pytest's `[file, 0-based line, domain]`; None unless the file is text."""
    if not isinstance(value, (list, tuple)) or len(value) < 2 or not isinstance(value[0], str):
        return None
    line = value[1]
    if line.__class__ is not int or not -MAX_INT <= line <= MAX_INT:
        line = integer(line)
    return [text(value[0]), line, text(value[2]) if len(value) > 2 else ""]


def nodeids(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [text(n) for n in value[:MAX_NODEIDS] if isinstance(n, str)]


def event(raw: Any) -> PluginEvent | None:
    """A plugin event (or one read from a recording) rebuilt field by field; None when it is
    not one, or names no test where it must."""
    if not isinstance(raw, dict):
        return None
    kind = raw.get("type")
    build = _BUILDERS.get(kind) if isinstance(kind, str) else None
    if build is None:
        return None
    found = build(raw)
    if found is None:
        return None
    number_ = integer(raw.get("i"))
    if number_ is not None:
        found["i"] = number_
    if isinstance(raw.get("run"), str):
        found["run"] = text(raw["run"])
    return found


def _session_start(raw: dict[str, Any]) -> SessionStart:
    return {
        "type": "session_start",
        "pytest_version": text(raw.get("pytest_version")),
        "rootdir": text(raw.get("rootdir")),
        "time": timestamp(raw.get("time")),
    }


def _collection(raw: dict[str, Any]) -> Collection:
    return {"type": "collection", "nodeids": nodeids(raw.get("nodeids"))}


def _collect_error(raw: dict[str, Any]) -> CollectError:
    return {
        "type": "collect_error",
        "nodeid": text(raw.get("nodeid")),
        "longrepr": text(raw.get("longrepr")),
    }


def _test_start(raw: dict[str, Any]) -> TestStart | None:
    nodeid = raw.get("nodeid")
    if not isinstance(nodeid, str):
        return None
    found: TestStart = {"type": "test_start", "nodeid": text(nodeid)}
    where = location(raw.get("location"))
    if where is not None:
        found["location"] = where
    return found


def _test_end(raw: dict[str, Any]) -> TestEnd | None:
    nodeid = raw.get("nodeid")
    if not isinstance(nodeid, str):
        return None
    worker = raw.get("worker")
    found: TestEnd = {
        "type": "test_end",
        "nodeid": text(nodeid),
        "phases": phases(raw.get("phases")),
        "worker": text(worker) if isinstance(worker, str) else None,
    }
    where = location(raw.get("location"))
    if where is not None:
        found["location"] = where
    if "source" in raw:
        found["source"] = text(raw["source"])
    if "time" in raw:
        found["time"] = timestamp(raw["time"])
    return found


def _subtest_end(raw: dict[str, Any]) -> SubtestEnd | None:
    nodeid, found = raw.get("nodeid"), phase(raw.get("phase"))
    if not isinstance(nodeid, str) or found is None:
        return None
    return {"type": "subtest_end", "nodeid": text(nodeid), "phase": found}


def _session_end(raw: dict[str, Any]) -> SessionEnd:
    return {
        "type": "session_end",
        "exitstatus": integer(raw.get("exitstatus")),
        "time": timestamp(raw.get("time")),
    }


_BUILDERS: dict[str, Callable[[dict[str, Any]], PluginEvent | None]] = {
    "session_start": _session_start,
    "collection": _collection,
    "collect_error": _collect_error,
    "test_start": _test_start,
    "test_end": _test_end,
    "subtest_end": _subtest_end,
    "session_end": _session_end,
}
