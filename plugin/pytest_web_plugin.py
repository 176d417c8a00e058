"""pytest-web's pytest plugin: reports a run's events to the pytest-web server.

Standard library only, so it loads in any interpreter that has pytest, even one where
pytest-web itself is not installed. It is a no-op unless ``--web-record`` or its environment
variables are set:

- ``--web-record=PATH``: write the run's events to PATH as JSON lines (gzip-compressed when PATH
  ends in ``.gz``), flushed per line, with no server at all: a CI job keeps the file as an
  artifact and ``pytest-web view PATH`` shows it later.

- ``PYTEST_WEB_URL``, ``PYTEST_WEB_RUN``, ``PYTEST_WEB_SECRET``: POST the run's events in
  batches to the server's ingest route.
- ``PYTEST_WEB_RECORD``: append every event to that path as a JSON line, written through at
  once (the server reads it after a crash to recover events the sender had not posted yet).
- ``PYTEST_WEB_COLLECT``: write the collected tests of ``--collect-only`` as JSON to that path.

Under xdist only the controller reports (workers' reports are re-fired there), so every test is
counted once. Events are queued and sent by a background thread: the run never waits on the
network, and if the server is unreachable the plugin says so once on stderr and goes quiet.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import queue
import sys
import threading
import time
import urllib.error
import urllib.request
import weakref
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

ENV_URL = "PYTEST_WEB_URL"
ENV_RUN = "PYTEST_WEB_RUN"
ENV_SECRET = "PYTEST_WEB_SECRET"
ENV_COLLECT = "PYTEST_WEB_COLLECT"
ENV_RECORD = "PYTEST_WEB_RECORD"
SECRET_HEADER = "X-Pytest-Web-Secret"

BATCH_SECONDS = 0.05
BATCH_MAX = 500
BATCH_BYTES = 1024 * 1024
POST_TIMEOUT = 5.0
FLUSH_TIMEOUT = 10.0
TEXT_CAP = 1024 * 1024
"""Characters kept per traceback or captured section (the server's `core.clean.TEXT_CAP`)."""

_ENCODER = json.JSONEncoder(default=str)
"""One encoder for every event (`json.dumps(default=...)` builds a new one per call)."""

_REPORTER_NAME = "pytest-web-reporter"
_PARSERS: weakref.WeakSet[Any] = weakref.WeakSet()
"""Parsers that already have our options: the module may be registered under two names."""


def _say(message: str) -> None:
    """Write to the real stderr (past pytest's capture), if there is one."""
    stream = sys.__stderr__
    if stream is not None:
        stream.write(message)
        stream.flush()


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _cap(text: str) -> str:
    if len(text) <= TEXT_CAP:
        return text
    cut = len(text) - TEXT_CAP
    return text[:TEXT_CAP] + f"\n[pytest-web: {cut} more characters not kept]"


def phase_of(report: Any, config: Any = None) -> dict[str, Any]:
    """The compact form of one setup/call/teardown report that the server folds."""
    phase: dict[str, Any] = {
        "when": report.when,
        "outcome": report.outcome,
        "duration": report.duration,
    }
    if report.outcome != "passed" or getattr(report, "wasxfail", None) is not None:
        text = report.longreprtext
        if text:
            phase["longrepr"] = _cap(text)
    if hasattr(report, "wasxfail"):
        phase["wasxfail"] = str(report.wasxfail)
    sections = [[title, _cap(text)] for title, text in report.sections if text]
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
        "params": {str(k): _cap(repr(v)) for k, v in list(params.items())[:100]},
    }
    status = config.hook.pytest_report_teststatus(report=report, config=config)
    phase["category"] = str(status[0]) if status else str(report.outcome)


class Sender:
    """Posts queued events in batches from a daemon thread; never blocks the run."""

    def __init__(self, url: str, secret: str) -> None:
        self.url, self.secret = url, secret
        self.queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.failed = False
        self.error = ""
        self.warned = False
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="pytest-web-sender", daemon=True)
        self.thread.start()

    def put(self, line: str) -> None:
        """Queue one event, already encoded as JSON."""
        if not self.failed:
            self.queue.put(line)

    def close(self) -> None:
        self.closing.set()
        self.queue.put(None)
        self.thread.join(FLUSH_TIMEOUT)

    def _loop(self) -> None:
        """Wait for an event, let more gather for `BATCH_SECONDS`, post them all, repeat.

        The thread sleeps while a batch gathers instead of waiting on the queue, so pytest's
        `put` never wakes it: one thread switch per batch rather than per event.
        """
        done = False
        while not done:
            items = [self.queue.get()]
            if items[0] is not None:
                self.closing.wait(BATCH_SECONDS)
                with contextlib.suppress(queue.Empty):
                    while items[-1] is not None:
                        items.append(self.queue.get_nowait())
            if items[-1] is None:
                done = True
                items.pop()
            batch: list[str] = []
            size = 0
            for item in items:
                if item is None:
                    continue
                batch.append(item)
                size += len(item)
                if len(batch) >= BATCH_MAX or size >= BATCH_BYTES:
                    self._send(batch)
                    batch, size = [], 0
            self._send(batch)

    def _send(self, batch: list[str]) -> None:
        if batch and not self.failed:
            self._post(batch)

    def _post(self, batch: list[str]) -> None:
        try:
            body = ("[" + ",".join(batch) + "]").encode()
            request = urllib.request.Request(
                self.url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", SECRET_HEADER: self.secret},
            )
            with urllib.request.urlopen(request, timeout=POST_TIMEOUT) as response:
                response.read()
        except Exception as error:  # URLError, HTTPError, timeouts, a non-HTTP answer...
            self.error = f"cannot report to {self.url} ({error})"
            self.failed = True

    def warn(self, config: pytest.Config) -> None:
        """Say once on stderr that reporting stopped. Called from pytest's own thread with
        capturing suspended: written by the sender thread, the message would mostly land in the
        captured output of whichever test was running, and never be seen."""
        if not self.failed or self.warned:
            return
        self.warned = True
        capman = config.pluginmanager.get_plugin("capturemanager")
        with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
            _say(f"\npytest-web: {self.error}; the test run goes on without live results\n")


class Recorder:
    """Appends each event as a JSON line, written through at once so a crash loses nothing.

    A path ending in ``.gz`` is gzip-compressed with a sync flush per line: readable up to the
    last whole line even when the run dies. ``fresh`` starts the file anew (``--web-record``).
    """

    def __init__(self, path: str, fresh: bool = False) -> None:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if fresh else os.O_APPEND)
        self.fd: int | None = os.open(path, flags, 0o644 if fresh else 0o600)
        self.zip: gzip.GzipFile | None = None
        if path.endswith(".gz"):
            raw = os.fdopen(self.fd, "wb", buffering=0, closefd=False)
            self.zip = gzip.GzipFile(filename="", mode="wb", fileobj=raw)

    def write(self, line: str) -> None:
        if self.fd is not None:
            try:
                if self.zip is not None:
                    self.zip.write((line + "\n").encode())
                    self.zip.flush(zlib.Z_SYNC_FLUSH)
                else:
                    os.write(self.fd, (line + "\n").encode())
            except (OSError, ValueError, zlib.error):
                self.close()

    def close(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            try:
                if self.zip is not None:
                    self.zip.close()
            except (OSError, ValueError, zlib.error):
                pass
            finally:
                os.close(fd)


class Reporter:
    """Turns pytest's hooks into pytest-web events (controller only).

    Every event gets `i`, its number in this session, so a reader can drop repeats and tell
    what it missed; with a run id (live runs) it also carries `run`.
    """

    def __init__(
        self, config: pytest.Config, sender: Sender | None, recorder: Recorder | None, run: str
    ) -> None:
        self.config = config
        self.sender = sender
        self.recorder = recorder
        self.run = run
        self.count = 0
        self.phases: dict[str, list[dict[str, Any]]] = {}
        self.locations: dict[str, Any] = {}
        self.collection_sent = False

    def emit(self, event: dict[str, Any]) -> None:
        try:
            self.count += 1
            event["i"] = self.count
            if self.run:
                event["run"] = self.run
            line = _ENCODER.encode(event)
            if self.recorder is not None:
                self.recorder.write(line)
            if self.sender is not None:
                self.sender.put(line)
                self.sender.warn(self.config)
        except Exception:  # never let reporting change the run
            pass

    def pytest_sessionstart(self, session: pytest.Session) -> None:
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
                    "longrepr": _cap(report.longreprtext),
                }
            )
        elif report.skipped:  # a module-level skip: pytest's summary counts it as skipped
            phase = {"when": "collect", "outcome": "skipped", "duration": 0.0}
            phase["longrepr"] = _cap(report.longreprtext)
            self.emit({"type": "test_end", "nodeid": report.nodeid, "phases": [phase]})

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.locations[nodeid] = location
        self.phases.setdefault(nodeid, [])
        self.emit({"type": "test_start", "nodeid": nodeid, "location": list(location)})

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Last, so the report is as pytest's terminal left it (a test whose subtests failed is
        failed by then)."""
        try:
            phases = self.phases.setdefault(report.nodeid, [])
            phases.append(phase_of(report, self.config))
        except Exception:
            return
        if report.when in ("teardown", "???"):
            self._end(report.nodeid, getattr(report, "node", None), report.location)

    def _end(self, nodeid: str, node: Any, location: Any) -> None:
        worker = getattr(node, "gateway", None)
        self.emit(
            {
                "type": "test_end",
                "nodeid": nodeid,
                "location": list(location or self.locations.get(nodeid) or ()),
                "worker": getattr(worker, "id", None),
                "phases": self.phases.pop(nodeid, []),
            }
        )
        self.locations.pop(nodeid, None)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        for nodeid in list(self.phases):  # interrupted before teardown (-x, Ctrl-C)
            if self.phases[nodeid]:
                self._end(nodeid, None, None)
        self.emit({"type": "session_end", "exitstatus": int(exitstatus), "time": time.time()})


_WRAPPER_ATTRIBUTES = ("__wrapped__", "__pytest_wrapped__", "place_as")


def _plain_code(item: Any) -> Any:
    """The code object of a test that is a plain function or method (no wrapper, no
    `place_as`), for which `item.location` is its file and first line; else None."""
    obj = getattr(item, "obj", None) if isinstance(item, pytest.Function) else None
    if obj is None or any(hasattr(obj, name) for name in _WRAPPER_ATTRIBUTES):
        return None
    return getattr(obj, "__code__", None)


def _locations(items: list[pytest.Item]) -> Iterator[tuple[pytest.Item, str, int | None]]:
    """Each item with its file and 1-based line, as `item.location` gives them.

    `item.location` turns the source path into a relative one for every test, which is most of
    what collecting the plugin's JSON costs; for plain functions the path is worked out once per
    source file (checked against pytest's answer) and the line read from the code object.
    """
    files: dict[str, str] = {}
    for item in items:
        code = _plain_code(item)
        if code is not None and code.co_filename in files:
            yield item, files[code.co_filename], code.co_firstlineno
            continue
        file, line, _ = item.location
        if code is not None and line == code.co_firstlineno - 1:
            files[code.co_filename] = file
        yield item, file, None if line is None else line + 1


def _write_collection(config: pytest.Config, session: pytest.Session, path: str) -> None:
    tests = [
        {"nodeid": item.nodeid, "file": file, "line": line}
        for item, file, line in _locations(session.items)
    ]
    data = {"rootdir": str(config.rootpath), "tests": tests, "errors": _collect_errors(session)}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle)


def _collect_errors(session: pytest.Session) -> list[dict[str, str]]:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    failed = reporter.stats.get("error", []) if reporter else []
    return [
        {"nodeid": report.nodeid, "message": _cap(report.longreprtext)}
        for report in failed
        if isinstance(report, pytest.CollectReport)
    ]


class Collector:
    """Writes the collected tests to a JSON file (``--collect-only`` discovery)."""

    def __init__(self, path: str) -> None:
        self.path = path

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._write(session)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not os.path.exists(self.path):  # collection errors stop before collection_finish
            self._write(session)

    def _write(self, session: pytest.Session) -> None:
        try:
            _write_collection(session.config, session, self.path)
        except Exception as error:
            _say(f"pytest-web: cannot write {self.path}: {error}\n")


def pytest_addoption(parser: pytest.Parser) -> None:
    if parser in _PARSERS:  # registered as both pytest_web.plugin and pytest_web_plugin
        return
    _PARSERS.add(parser)
    parser.getgroup("pytest-web").addoption(
        "--web-record",
        dest="web_record",
        metavar="PATH",
        default=None,
        help="Write this run's events to PATH as JSON lines (.gz: compressed), flushed per line, "
        "for `pytest-web view PATH` (also PYTEST_WEB_RECORD).",
    )


def _recorder(config: pytest.Config) -> Recorder | None:
    """The record file: ``--web-record`` (a bad path stops pytest) or PYTEST_WEB_RECORD."""
    option_path = config.getoption("web_record", None)
    if option_path:
        try:
            return Recorder(str(option_path), fresh=True)
        except OSError as error:
            raise pytest.UsageError(f"--web-record: cannot write {option_path}: {error}") from None
    record_path = os.environ.get(ENV_RECORD)
    if record_path:
        try:
            return Recorder(record_path)
        except OSError as error:
            _say(f"pytest-web: cannot record to {record_path}: {error}\n")
    return None


def pytest_configure(config: pytest.Config) -> None:
    if _is_worker(config) or config.pluginmanager.has_plugin(_REPORTER_NAME):
        return
    collect_path = os.environ.get(ENV_COLLECT)
    if collect_path:
        config.pluginmanager.register(Collector(collect_path), _REPORTER_NAME)
        return
    url, run, secret = (os.environ.get(name) for name in (ENV_URL, ENV_RUN, ENV_SECRET))
    recorder = _recorder(config)
    sender = Sender(url, secret) if url and run and secret else None
    if sender is not None or recorder is not None:
        reporter = Reporter(config, sender, recorder, run if sender and run else "")
        config.pluginmanager.register(reporter, _REPORTER_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.pluginmanager.get_plugin(_REPORTER_NAME)
    if not isinstance(plugin, Reporter):
        return
    if plugin.recorder is not None:
        plugin.recorder.close()
    if plugin.sender is not None:
        plugin.sender.close()
        try:
            plugin.sender.warn(config)  # the last batches failed
        except Exception:
            pass
