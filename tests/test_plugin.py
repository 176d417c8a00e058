"""`plugin/pytest_web_plugin/` in real pytest subprocesses, reporting to a stdlib HTTP server.

The subprocesses run with plugin autoloading off (`-p xdist` where needed): the interpreter's other
plugins cost seconds of start-up and are no part of what is tested here.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pytest_web.core.fold import RunState
from pytest_web.results.record import read_record

pytestmark = pytest.mark.slow

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "plugin"
ENV_NAMES = (
    "PYTEST_WEB_URL",
    "PYTEST_WEB_RUN",
    "PYTEST_WEB_SECRET",
    "PYTEST_WEB_COLLECT",
    "PYTEST_WEB_RECORD",
    "PYTEST_WEB_SPOOL",
)
RUN_ID = "run-under-test"
SECRET = "s3cret-for-tests"
TIMEOUT = 120  # a hang fails the test instead of blocking the suite


class Ingest:
    """A tiny ingest server: records every POSTed JSON batch and its headers."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], Any]] = []
        self.lock = threading.Lock()
        self.status_for: Callable[[Any], int] = lambda batch: 202
        ingest = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                batch = json.loads(body)
                with ingest.lock:
                    ingest.posts.append((dict(self.headers), batch))
                self.send_response(ingest.status_for(batch))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/internal/event"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [event for _, batch in self.posts for event in batch]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def ingest() -> Iterator[Ingest]:
    server = Ingest()
    yield server
    server.close()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The plugin importable, nothing of an outer pytest-web run leaking in, fast start-up."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHONPATH", str(PLUGIN_DIR))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return monkeypatch


@pytest.fixture
def reporting(clean_env: pytest.MonkeyPatch, ingest: Ingest) -> Ingest:
    clean_env.setenv("PYTEST_WEB_URL", ingest.url)
    clean_env.setenv("PYTEST_WEB_RUN", RUN_ID)
    clean_env.setenv("PYTEST_WEB_SECRET", SECRET)
    return ingest


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/internal/event"


def summary_line(stdout: str) -> str:
    """The final `== 1 failed, 2 passed in 0.12s ==` line without its time."""
    last = [line for line in stdout.splitlines() if line.strip()][-1]
    return re.sub(r" in [0-9.]+s( \([^)]*\))?", "", last)


# A conftest that records, from the controller, which threads exist and whether the plugin is on.
PROBE_CONFTEST = """
import json, threading

def pytest_sessionfinish(session):
    if hasattr(session.config, "workerinput"):
        return
    with open("probe.json", "w") as handle:
        json.dump({
            "threads": [t.name for t in threading.enumerate()],
            "reporter": session.config.pluginmanager.has_plugin("pytest-web-reporter"),
            "plugin": session.config.pluginmanager.has_plugin("pytest_web_plugin"),
        }, handle)
"""

OUTCOMES_SUITE = """
import pytest

@pytest.fixture
def broken_setup():
    raise RuntimeError("setup boom")

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown boom")

def test_pass():
    pass

def test_fail():
    assert 1 == 2, "fail boom"

def test_print():
    print("hello from test_print")

def test_setup_error(broken_setup):
    pass

def test_teardown_error(broken_teardown):
    pass

def test_skip():
    pytest.skip("skip why")

@pytest.mark.xfail(reason="xfail why")
def test_xfail():
    assert False

@pytest.mark.xfail(reason="xpass why")
def test_xpass():
    pass

@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    pass
"""

SUITE_IDS = [
    "test_suite.py::test_pass",
    "test_suite.py::test_fail",
    "test_suite.py::test_print",
    "test_suite.py::test_setup_error",
    "test_suite.py::test_teardown_error",
    "test_suite.py::test_skip",
    "test_suite.py::test_xfail",
    "test_suite.py::test_xpass",
    "test_suite.py::test_param[1]",
    "test_suite.py::test_param[2]",
]
SUITE_COUNTS = {"passed": 5, "failed": 1, "errors": 2, "skipped": 1, "xfailed": 1, "xpassed": 1}


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def ends_by_id(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    ends = of_type(events, "test_end")
    by_id = {e["nodeid"]: e for e in ends}
    assert len(by_id) == len(ends), Counter(e["nodeid"] for e in ends).most_common(3)
    return by_id


def folded(events: list[dict[str, Any]]) -> dict[str, int]:
    """The server's counts for these events, named as pytest's summary line names them."""
    state = RunState("r")
    for event in events:
        state.apply(event)
    return {("errors" if k == "error" else k): v for k, v in state.summary().items() if v}


def check_stream_shape(events: list[dict[str, Any]], nodeids: list[str], exitstatus: int) -> None:
    """What every run must look like, whatever its tests do."""
    assert events, "nothing was posted"
    assert all(e.get("run") == RUN_ID for e in events)
    assert events[0]["type"] == "session_start"
    assert events[-1] == {**events[-1], "type": "session_end", "exitstatus": exitstatus}
    assert len(of_type(events, "session_start")) == len(of_type(events, "session_end")) == 1
    [collection] = of_type(events, "collection")
    assert sorted(collection["nodeids"]) == sorted(nodeids)
    assert events.index(collection) < min(
        i for i, e in enumerate(events) if e["type"] in ("test_start", "test_end")
    )
    starts = [e["nodeid"] for e in of_type(events, "test_start")]
    assert len(starts) == len(set(starts)) and set(starts) <= set(nodeids)  # once at most:
    # a test that ends within the batch that starts it is posted as its end alone
    ends = ends_by_id(events)  # each test ends exactly once
    assert sorted(ends) == sorted(nodeids)
    position = {id(e): i for i, e in enumerate(events)}
    for event in of_type(events, "test_start"):
        assert position[id(event)] < position[id(ends[event["nodeid"]])], event["nodeid"]
    for end in ends.values():
        for phase in end["phases"]:
            assert phase["when"] in ("setup", "call", "teardown", "???")
            assert phase["outcome"] in ("passed", "failed", "skipped")
            duration = phase["duration"]
            assert isinstance(duration, (int, float)) and not isinstance(duration, bool)
            assert duration >= 0


# --- no-op ------------------------------------------------------------------------------------


def test_without_env_the_plugin_changes_nothing(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch, ingest: Ingest
) -> None:
    pytester.makepyfile(test_suite=OUTCOMES_SUITE)
    pytester.makeconftest(PROBE_CONFTEST)
    without = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=TIMEOUT)
    with_plugin = pytester.runpytest_subprocess(
        "-p", "pytest_web_plugin", "-p", "no:cacheprovider", timeout=TIMEOUT
    )
    assert with_plugin.ret == without.ret == pytest.ExitCode.TESTS_FAILED
    assert with_plugin.parseoutcomes() == without.parseoutcomes() == SUITE_COUNTS
    assert summary_line(with_plugin.stdout.str()) == summary_line(without.stdout.str())
    assert "pytest-web" not in with_plugin.stderr.str() + with_plugin.stdout.str()
    probe = json.loads((pytester.path / "probe.json").read_text())
    assert probe["plugin"] is True  # it was loaded...
    assert probe["reporter"] is False  # ...and stayed idle
    assert ingest.posts == []


@pytest.mark.parametrize("missing", ["PYTEST_WEB_URL", "PYTEST_WEB_RUN", "PYTEST_WEB_SECRET"])
def test_partial_env_is_a_no_op(
    pytester: pytest.Pytester, reporting: Ingest, clean_env: pytest.MonkeyPatch, missing: str
) -> None:
    clean_env.setenv(missing, "")
    pytester.makepyfile(test_suite="def test_a(): pass\n")
    pytester.makeconftest(PROBE_CONFTEST)
    result = pytester.runpytest_subprocess("-p", "pytest_web_plugin", timeout=TIMEOUT)
    result.assert_outcomes(passed=1)
    probe = json.loads((pytester.path / "probe.json").read_text())
    assert (probe["plugin"], probe["reporter"]) == (True, False)
    assert reporting.posts == []


# --- events -----------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [0, 2])
def test_events_of_a_run(pytester: pytest.Pytester, reporting: Ingest, workers: int) -> None:
    pytester.makepyfile(test_suite=OUTCOMES_SUITE)
    pytester.makeconftest(PROBE_CONFTEST)
    result = pytester.runpytest_subprocess(
        "-p", "pytest_web_plugin", "-p", "xdist", "-n", str(workers), timeout=TIMEOUT
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.parseoutcomes() == SUITE_COUNTS
    assert "pytest-web" not in result.stderr.str()

    probe = json.loads((pytester.path / "probe.json").read_text())
    assert probe["reporter"] is True

    for headers, batch in reporting.posts:
        assert headers["X-Pytest-Web-Secret"] == SECRET
        assert headers["X-Pytest-Web-Run"] == RUN_ID
        assert headers["Content-Type"] == "application/json"
        assert isinstance(batch, list) and batch
    events = reporting.events
    check_stream_shape(events, SUITE_IDS, exitstatus=1)
    assert folded(events) == SUITE_COUNTS  # the server counts what pytest's summary says

    start = events[0]
    assert start["pytest_version"] == pytest.__version__
    assert Path(start["rootdir"]) == pytester.path
    assert isinstance(start["time"], float)

    ends = ends_by_id(events)
    workers_seen = {e["worker"] for e in ends.values()}
    if workers:
        assert workers_seen <= {"gw0", "gw1"} and workers_seen
    else:
        assert workers_seen == {None}

    def phases(name: str) -> list[dict[str, Any]]:
        return ends[f"test_suite.py::{name}"]["phases"]

    def shape(name: str) -> list[tuple[str, str]]:
        return [(p["when"], p["outcome"]) for p in phases(name)]

    assert shape("test_pass") == [("setup", "passed"), ("call", "passed"), ("teardown", "passed")]
    assert all("longrepr" not in p for p in phases("test_pass"))
    source = (pytester.path / "test_suite.py").read_text().splitlines()
    line = source.index("def test_pass():")  # 0-based, as pytest's locations are
    assert ends["test_suite.py::test_pass"]["location"] == ["test_suite.py", line, "test_pass"]

    assert shape("test_fail") == [("setup", "passed"), ("call", "failed"), ("teardown", "passed")]
    assert "fail boom" in phases("test_fail")[1]["longrepr"]
    assert "assert 1 == 2" in phases("test_fail")[1]["longrepr"]

    [call] = [p for p in phases("test_print") if p["when"] == "call"]
    assert ["Captured stdout call", "hello from test_print\n"] in call["sections"]

    assert shape("test_setup_error") == [("setup", "failed"), ("teardown", "passed")]
    assert "setup boom" in phases("test_setup_error")[0]["longrepr"]

    assert shape("test_teardown_error") == [
        ("setup", "passed"),
        ("call", "passed"),
        ("teardown", "failed"),
    ]
    assert "teardown boom" in phases("test_teardown_error")[2]["longrepr"]

    assert shape("test_skip") == [("setup", "passed"), ("call", "skipped"), ("teardown", "passed")]
    assert "skip why" in phases("test_skip")[1]["longrepr"]

    xfail = phases("test_xfail")[1]
    assert (xfail["when"], xfail["outcome"], xfail["wasxfail"]) == ("call", "skipped", "xfail why")
    xpass = phases("test_xpass")[1]
    assert (xpass["when"], xpass["outcome"], xpass["wasxfail"]) == ("call", "passed", "xpass why")


def test_crashed_worker_is_reported_and_the_others_complete(
    pytester: pytest.Pytester, reporting: Ingest
) -> None:
    pytester.makepyfile(
        test_crash="""
        import os

        def test_a():
            pass

        def test_crash():
            os._exit(1)

        def test_b():
            pass

        def test_c():
            pass
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "pytest_web_plugin", "-p", "xdist", "-n", "2", timeout=TIMEOUT
    )
    result.assert_outcomes(passed=3, failed=1)
    nodeids = [f"test_crash.py::test_{name}" for name in ("a", "crash", "b", "c")]
    events = reporting.events
    check_stream_shape(events, nodeids, exitstatus=1)
    ends = ends_by_id(events)
    crash = ends["test_crash.py::test_crash"]
    [lost] = [p for p in crash["phases"] if p["when"] == "???"]
    assert lost["outcome"] == "failed"
    assert "crashed" in lost["longrepr"] and "test_crash.py::test_crash" in lost["longrepr"]
    assert crash["worker"] in ("gw0", "gw1")
    for name in ("a", "b", "c"):
        assert [p["outcome"] for p in ends[f"test_crash.py::test_{name}"]["phases"]] == [
            "passed"
        ] * 3
    assert folded(events) == {"passed": 3, "failed": 1}


def test_loading_both_module_names_reports_once(
    pytester: pytest.Pytester, reporting: Ingest
) -> None:
    pytester.makepyfile(test_suite="def test_a(): pass\ndef test_b(): assert 0\n")
    result = pytester.runpytest_subprocess(
        "-p", "pytest_web.plugin", "-p", "pytest_web_plugin", timeout=TIMEOUT
    )
    result.assert_outcomes(passed=1, failed=1)
    events = reporting.events
    check_stream_shape(events, ["test_suite.py::test_a", "test_suite.py::test_b"], exitstatus=1)
    kinds = Counter(e["type"] for e in events)
    assert kinds["test_start"] <= 2
    del kinds["test_start"]
    assert kinds == {"session_start": 1, "collection": 1, "test_end": 2, "session_end": 1}


def test_collect_error_is_reported(pytester: pytest.Pytester, reporting: Ingest) -> None:
    pytester.makepyfile(test_ok="def test_a(): pass\n", test_broken="def test_x(:\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "pytest_web_plugin", timeout=TIMEOUT)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    events = reporting.events
    [error] = of_type(events, "collect_error")
    assert error["nodeid"] == "test_broken.py"
    assert "SyntaxError" in error["longrepr"]
    assert events[-1]["type"] == "session_end"
    assert events[-1]["exitstatus"] == int(pytest.ExitCode.INTERRUPTED)
    assert folded(events) == {"errors": 1}


# --- an unreachable server --------------------------------------------------------------------


SLOW_SUITE = """
import time
import pytest

@pytest.mark.parametrize("n", range(6))
def test_slow(n):
    # Longer than a batch: every test would be its own POST. The first POST fails while
    # test_slow[0] runs, with its output captured.
    time.sleep(0.5 if n == 0 else 0.1)
    assert n != 3
"""


def test_unreachable_server_changes_nothing_and_is_reported_once(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_suite=SLOW_SUITE)
    without = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=TIMEOUT)
    url = closed_port_url()
    clean_env.setenv("PYTEST_WEB_URL", url)
    clean_env.setenv("PYTEST_WEB_RUN", RUN_ID)
    clean_env.setenv("PYTEST_WEB_SECRET", SECRET)
    unreachable = pytester.runpytest_subprocess(
        "-p", "pytest_web_plugin", "-p", "no:cacheprovider", timeout=TIMEOUT
    )
    assert unreachable.ret == without.ret == pytest.ExitCode.TESTS_FAILED
    assert unreachable.parseoutcomes() == without.parseoutcomes() == {"passed": 5, "failed": 1}
    assert summary_line(unreachable.stdout.str()) == summary_line(without.stdout.str())
    stderr = unreachable.stderr.str()
    assert stderr.count("pytest-web") == 1, stderr
    assert url in stderr
    assert "pytest-web" not in unreachable.stdout.str()


def test_server_failing_during_a_test_is_reported_on_the_terminal(
    pytester: pytest.Pytester, reporting: Ingest
) -> None:
    """The first POST that fails happens while a test runs with its output captured: the
    message must still reach the terminal's stderr, not the test's captured output."""
    reporting.status_for = lambda batch: (
        503 if any(e["type"] == "test_start" for e in batch) else 202
    )
    pytester.makepyfile(
        test_suite="""
        import time

        def test_long():
            time.sleep(0.5)  # the batch with this test's test_start is posted meanwhile

        def test_fails():
            assert 0
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "pytest_web_plugin", "-p", "no:cacheprovider", "-rA", timeout=TIMEOUT
    )
    result.assert_outcomes(passed=1, failed=1)
    stderr = result.stderr.str()
    assert stderr.count("pytest-web") == 1, stderr
    assert "503" in stderr
    assert "pytest-web" not in result.stdout.str()  # not in any test's captured output
    assert any(e["type"] == "test_start" for e in reporting.events)  # it did reach the server
    assert not any(e["type"] == "session_end" for e in reporting.events)  # then went quiet


class GarbageServer:
    """Accepts connections and answers anything with a line that is not HTTP."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.1)
        self.stop = threading.Event()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/internal/event"
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:  # a timeout: look at the stop flag again
                continue
            with conn:
                self.connections += 1
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                    conn.sendall(b"SSH-2.0-not-http\r\n\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        self.sock.close()


def test_non_http_answer_is_reported_once_and_does_not_change_the_run(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch
) -> None:
    garbage = GarbageServer()
    try:
        pytester.makepyfile(test_suite="def test_a(): pass\ndef test_b(): pass\n")
        clean_env.setenv("PYTEST_WEB_URL", garbage.url)
        clean_env.setenv("PYTEST_WEB_RUN", RUN_ID)
        clean_env.setenv("PYTEST_WEB_SECRET", SECRET)
        # -W error: an exception escaping the sender thread would become an error of the run
        result = pytester.runpytest_subprocess(
            "-p", "pytest_web_plugin", "-W", "error", "-p", "no:cacheprovider", timeout=TIMEOUT
        )
    finally:
        garbage.close()
    assert garbage.connections == 1  # tried once, then quiet
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=2)
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output and "Warning" not in output
    assert result.stderr.str().count("pytest-web") == 1
    assert "SSH-2.0-not-http" in result.stderr.str()


# --- --collect-only discovery -----------------------------------------------------------------


def test_collect_file_lists_tests_and_errors(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_one="""
        import pytest


        def test_first():
            pass


        class TestGroup:
            def test_method(self):
                pass


        @pytest.mark.parametrize("n", [1, 2])
        def test_param(n):
            pass
        """,
        test_broken="def test_x(:\n    pass\n",
    )
    (pytester.path / "sub").mkdir()
    (pytester.path / "sub" / "test_two.py").write_text("def test_deep():\n    pass\n")
    out = pytester.path / "collected.json"
    clean_env.setenv("PYTEST_WEB_COLLECT", str(out))
    result = pytester.runpytest_subprocess(
        "-p", "pytest_web_plugin", "--collect-only", "-q", timeout=TIMEOUT
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED  # the syntax error stops the session
    data = json.loads(out.read_text(encoding="utf-8"))
    assert Path(data["rootdir"]) == pytester.path
    source = (pytester.path / "test_one.py").read_text().splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(source, start=1) if line.startswith(text))

    assert line_of("def test_first") == 4  # the file really starts as written above
    assert data["tests"] == [
        {"nodeid": "sub/test_two.py::test_deep", "file": "sub/test_two.py", "line": 1},
        {"nodeid": "test_one.py::test_first", "file": "test_one.py", "line": 4},
        {
            "nodeid": "test_one.py::TestGroup::test_method",
            "file": "test_one.py",
            "line": line_of("    def test_method"),
        },
        {
            "nodeid": "test_one.py::test_param[1]",
            "file": "test_one.py",
            "line": line_of("@pytest.mark.parametrize"),  # pytest's own line: the decorator
        },
        {
            "nodeid": "test_one.py::test_param[2]",
            "file": "test_one.py",
            "line": line_of("@pytest.mark.parametrize"),
        },
    ]
    [error] = data["errors"]
    assert error["nodeid"] == "test_broken.py"
    assert "SyntaxError" in error["message"]


def test_collect_file_without_errors(
    pytester: pytest.Pytester, clean_env: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_one="def test_a():\n    pass\n\n\ndef test_b():\n    pass\n")
    out = pytester.path / "collected.json"
    clean_env.setenv("PYTEST_WEB_COLLECT", str(out))
    result = pytester.runpytest_subprocess(
        "-p", "pytest_web_plugin", "--collect-only", "-q", timeout=TIMEOUT
    )
    assert result.ret == pytest.ExitCode.OK
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["errors"] == []
    assert [(t["nodeid"], t["line"]) for t in data["tests"]] == [
        ("test_one.py::test_a", 1),
        ("test_one.py::test_b", 5),
    ]


@pytest.mark.parametrize("workers", [0, 2])
def test_record_file_holds_the_same_events_as_the_stream(
    pytester: pytest.Pytester, reporting: Ingest, workers: int
) -> None:
    record = pytester.path / "events.jsonl"
    reporting_env = pytest.MonkeyPatch()
    reporting_env.setenv("PYTEST_WEB_RECORD", str(record))
    try:
        pytester.makepyfile(test_suite=OUTCOMES_SUITE)
        pytester.runpytest_subprocess(
            "-p", "pytest_web_plugin", "-p", "xdist", "-n", str(workers), timeout=TIMEOUT
        )
    finally:
        reporting_env.undo()
    recorded = [json.loads(line) for line in record.read_text().splitlines()]
    starts = [e for e in reporting.events if e["type"] == "test_start"]
    assert all(start in recorded for start in starts)  # a test that ended in the same batch
    assert [e for e in recorded if e["type"] != "test_start"] == [  # is posted as its end
        e for e in reporting.events if e["type"] != "test_start"
    ]
    assert [e["i"] for e in recorded] == list(range(1, len(recorded) + 1))
    assert folded(recorded) == SUITE_COUNTS


def test_record_alone_needs_no_server(pytester: pytest.Pytester, clean_env) -> None:
    record = pytester.path / "alone.jsonl"
    clean_env.setenv("PYTEST_WEB_RECORD", str(record))
    pytester.makepyfile(test_suite=OUTCOMES_SUITE)
    result = pytester.runpytest_subprocess("-p", "pytest_web_plugin", timeout=TIMEOUT)
    assert result.parseoutcomes() == SUITE_COUNTS
    recorded = [json.loads(line) for line in record.read_text().splitlines()]
    assert "run" not in recorded[0]
    assert folded(recorded) == SUITE_COUNTS


def test_the_spool_survives_a_hard_crash_and_reads_back_whole(
    pytester: pytest.Pytester, clean_env
) -> None:
    """The server's spool is a memory mapping: a process that dies leaves every line written,
    then zeros, which the reader takes as the end."""
    spool = pytester.path / "spool.jsonl"
    clean_env.setenv("PYTEST_WEB_SPOOL", str(spool))
    pytester.makepyfile(
        test_die="import os\n\ndef test_a():\n    pass\n\ndef test_die():\n    os._exit(3)\n"
    )
    result = pytester.runpytest_subprocess("-p", "pytest_web_plugin", timeout=TIMEOUT)
    assert result.ret == 3
    assert spool.read_bytes().endswith(b"\0")  # never closed: the mapping's unwritten end
    assert [(e["type"], e.get("nodeid")) for e in read_record(str(spool))] == [
        ("session_start", None),
        ("collection", None),
        ("test_start", "test_die.py::test_a"),
        ("test_end", "test_die.py::test_a"),
        ("test_start", "test_die.py::test_die"),
    ]


def test_record_survives_a_hard_crash(pytester: pytest.Pytester, clean_env) -> None:
    record = pytester.path / "crash.jsonl"
    clean_env.setenv("PYTEST_WEB_RECORD", str(record))
    pytester.makepyfile(
        test_die="import os\n\ndef test_a():\n    pass\n\ndef test_die():\n    os._exit(3)\n"
    )
    result = pytester.runpytest_subprocess("-p", "pytest_web_plugin", timeout=TIMEOUT)
    assert result.ret == 3
    recorded = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(e["type"], e.get("nodeid")) for e in recorded] == [
        ("session_start", None),
        ("collection", None),
        ("test_start", "test_die.py::test_a"),
        ("test_end", "test_die.py::test_a"),
        ("test_start", "test_die.py::test_die"),
    ]
