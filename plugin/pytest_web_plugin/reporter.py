"""pytest's hooks turned into pytest-web events (on the xdist controller only)."""

from __future__ import annotations

import contextlib
import io
import json
import time
from typing import Any, Protocol

import pytest

from pytest_web_plugin.sender import END, OTHER, START, Sender
from pytest_web_plugin.text import cap

_string = json.encoder.encode_basestring_ascii
"""A string as JSON."""
_ITERENCODE = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, str, _string, None, ":", ",", False, False, True
)
"""The C encoder behind `json.dumps`, made once: `JSONEncoder.encode` makes a new one per call,
which was half of what reporting a test cost. Compact separators; `default=str`."""


def _encode(value: Any) -> str:
    return "".join(_ITERENCODE(value, 0))


class Writer(Protocol):
    def write(self, line: str) -> None: ...

    def close(self) -> None: ...


def longrepr_text(report: Any, terminal: Any = None) -> str:
    """`report.longreprtext`, coloured as pytest colours it on `terminal` (its terminal writer)
    when that has colour (`--color=yes`): the diff and the source as the user would see them."""
    if terminal is None or not getattr(terminal, "hasmarkup", False):
        return str(report.longreprtext)
    out = io.StringIO()
    coloured = type(terminal)(file=out)
    coloured.hasmarkup = True
    coloured.code_highlight = terminal.code_highlight
    coloured.fullwidth = terminal.fullwidth
    report.toterminal(coloured)
    return out.getvalue().strip()


def phase_of(report: Any, config: Any = None, terminal: Any = None) -> dict[str, Any]:
    """The compact form of one setup/call/teardown report that the server folds."""
    phase: dict[str, Any] = {
        "when": report.when,
        "outcome": report.outcome,
        "duration": report.duration,
    }
    if report.outcome != "passed" or getattr(report, "wasxfail", None) is not None:
        text = longrepr_text(report, terminal)
        if text:
            phase["longrepr"] = cap(text)
    if hasattr(report, "wasxfail"):
        phase["wasxfail"] = str(report.wasxfail)
    if report.sections:
        sections = [[title, cap(text)] for title, text in report.sections if text]
        if sections:
            phase["sections"] = sections
    context = getattr(report, "context", None)
    if context is not None and config is not None:
        _subtest(phase, report, context, config)
    return phase


def _subtest(phase: dict[str, Any], report: Any, context: Any, config: Any) -> None:
    """A subtest's report (pytest 9's `subtests`, unittest's `subTest`, pytest-subtests): which
    subtest, and the category pytest itself gives it, which depends on its verbosity."""
    params = getattr(context, "kwargs", None) or {}
    msg = getattr(context, "msg", None)
    phase["subtest"] = {
        "msg": "" if msg is None else str(msg),
        "params": {str(k): cap(_shown(v)) for k, v in list(params.items())[:100]},
    }
    status = config.hook.pytest_report_teststatus(report=report, config=config)
    phase["category"] = str(status[0]) if status else str(report.outcome)


def _shown(value: Any) -> str:
    """A subtest parameter as pytest shows it: pytest 9.2 keeps them as their reprs already."""
    return value if isinstance(value, str) else repr(value)


class Reporter:
    """Turns pytest's hooks into pytest-web events (controller only).

    Every event gets `i`, its number in this session, so a reader can drop repeats and tell
    what it missed; with a run id (live runs) it also carries `run`.
    """

    def __init__(
        self, config: pytest.Config, sender: Sender | None, writers: list[Writer], run: str
    ) -> None:
        self.config = config
        self.sender = sender
        self.writers = writers
        self.run = run
        self.count = 0
        self.phases: dict[str, list[dict[str, Any]]] = {}
        self.locations: dict[str, Any] = {}
        self.collection_sent = False
        self.terminal: Any = None
        """pytest's terminal writer, once known: tracebacks are coloured as it colours them."""

    def emit(self, event: dict[str, Any], kind: int = OTHER, nodeid: str = "") -> None:
        try:
            self.count += 1
            event["i"] = self.count
            if self.run:
                event["run"] = self.run
            self._out(kind, nodeid, _encode(event))
        except Exception:  # never let reporting change the run
            pass

    def _out(self, kind: int, nodeid: str, line: str) -> None:
        for writer in self.writers:
            writer.write(line)
        if self.sender is not None:
            self.sender.put(kind, nodeid, line)
            self.sender.warn(self.config)

    def close(self) -> None:
        for writer in self.writers:
            writer.close()
        if self.sender is not None:
            self.sender.close()
            self.sender.warn(self.config)  # the last batches failed

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        with contextlib.suppress(Exception):  # no terminal reporter (-p no:terminal)
            self.terminal = self.config.get_terminal_writer()
        self.emit(
            {
                "type": "session_start",
                "pytest_version": pytest.__version__,
                "rootdir": str(self.config.rootpath),
                "time": time.time(),
            }
        )

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if session.items or not self.config.pluginmanager.has_plugin("dsession"):
            self._send_collection([item.nodeid for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self._send_collection(list(ids))

    def _send_collection(self, nodeids: list[str]) -> None:
        if not self.collection_sent:
            self.collection_sent = True
            self.emit({"type": "collection", "nodeids": nodeids})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.emit(
                {
                    "type": "collect_error",
                    "nodeid": report.nodeid,
                    "longrepr": cap(report.longreprtext),
                }
            )
        elif report.skipped:  # a module-level skip: pytest's summary counts it as skipped
            phase = {"when": "collect", "outcome": "skipped", "duration": 0.0}
            phase["longrepr"] = cap(report.longreprtext)
            event = {"type": "test_end", "nodeid": report.nodeid, "phases": [phase]}
            self.emit(event, END, report.nodeid)

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.locations[nodeid] = location
        self.phases.setdefault(nodeid, [])
        event = {"type": "test_start", "nodeid": nodeid, "location": location}
        self.emit(event, START, nodeid)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Last, so the report is as pytest's terminal left it (a test whose subtests failed is
        failed by then)."""
        try:
            phase = phase_of(report, self.config, self.terminal)
        except Exception:
            return
        if "subtest" in phase:  # its own event: a test may have thousands
            self.emit({"type": "subtest_end", "nodeid": report.nodeid, "phase": phase})
            return
        self.phases.setdefault(report.nodeid, []).append(phase)
        if report.when in ("teardown", "???"):
            self._end(report.nodeid, getattr(report, "node", None), report.location)

    def _end(self, nodeid: str, node: Any, location: Any) -> None:
        worker = getattr(getattr(node, "gateway", None), "id", None)
        where = location or self.locations.get(nodeid) or ()
        phases = self.phases.pop(nodeid, [])
        self.locations.pop(nodeid, None)
        event = {
            "type": "test_end",
            "nodeid": nodeid,
            "location": where,
            "worker": worker,
            "phases": phases,
        }
        self.emit(event, END, nodeid)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        for nodeid in list(self.phases):  # interrupted before teardown (-x, Ctrl-C)
            if self.phases[nodeid]:
                self._end(nodeid, None, None)
        self.emit({"type": "session_end", "exitstatus": int(exitstatus), "time": time.time()})
