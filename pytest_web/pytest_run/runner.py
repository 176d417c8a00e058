"""One pytest run at a time: start it, pump its output, notice its end, cancel it."""

from __future__ import annotations

import codecs
import os
import secrets
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_web.core.events import ENV_RUN, ENV_SECRET, ENV_SPOOL, ENV_URL, RunExit
from pytest_web.core.hub import Hub, Run
from pytest_web.core.output import whole_sequences
from pytest_web.core.test_record import TestResult
from pytest_web.pytest_run.options import plugins_needed
from pytest_web.pytest_run.process import (
    child_env,
    has_module,
    pytest_command,
    signal_group,
    spawn,
    workers_args,
)
from pytest_web.pytest_run.selection import Selection, expression_args, nodeid_args
from pytest_web.results.record import read_record

CANCEL_GRACE = 3.0
"""Seconds between SIGINT and SIGKILL when a run is cancelled."""
RECORD_NAME = "events.jsonl"
"""The plugin also writes every event here; read back only when pytest died mid-run."""
PIPE_DRAIN = 1.0
OUTPUT_LIMIT = 8 * 1024 * 1024
"""Bytes of pytest's terminal output shown per run; the rest is read and dropped."""
OUTPUT_NOTE = "\n[pytest-web: output past 8 MB is not shown]\n"
"""Seconds to wait for the last output once pytest has exited (a daemon may hold the pipe)."""


COLOR = "--color=yes"
"""pytest's output and tracebacks in colour, as in a terminal: the page turns the colours into
HTML (pytest's assertion diffs are much easier to read that way); counts are not affected."""


class RunBusy(Exception):
    """A run is active; only one runs at a time."""


class RunRefused(Exception):
    """The run asks for what the interpreter cannot do (an option whose plugin it lacks)."""


@dataclass
class Active:
    run: Run
    process: Any
    workdir: str
    cancelled: bool = False


class Runner:
    """Starts pytest runs for one repository and reports everything into the hub."""

    def __init__(self, hub: Hub, repo: Path, python: str, ingest_url: str) -> None:
        self.hub, self.repo, self.python, self.ingest_url = hub, repo, python, ingest_url
        self.active: Active | None = None
        self._lock = threading.Lock()

    def start(self, selection: Selection, suite: dict[str, TestResult] | None = None) -> Run:
        """Start pytest on `selection`; `suite`, for a partial run, is the suite it was started
        from (its view keeps showing it)."""
        with self._lock:
            if self.active is not None:
                raise RunBusy(f"run {self.active.run.id} is still running")
            needed = plugins_needed(selection.options)
            missing = sorted(p for p in needed if not has_module(self.python, p))
            if missing:
                raise RunRefused(f"{self.python} cannot import {', '.join(missing)}")
            workdir = tempfile.mkdtemp(prefix="pytest-web-run-")
            args = [
                COLOR,
                *expression_args(selection.k, selection.m),
                *workers_args(self.python, selection.workers),
                *selection.options,
                *nodeid_args(selection.nodeids, Path(workdir) / "nodeids.txt"),
            ]
            command = pytest_command(self.python, args)
            run = self.hub.create_run(selection.as_dict(), command, suite)
            env = child_env(
                {
                    ENV_URL: self.ingest_url,
                    ENV_RUN: run.id,
                    ENV_SECRET: run.secret,
                    ENV_SPOOL: os.path.join(workdir, RECORD_NAME),
                }
            )
            try:
                process = spawn(command, self.repo, env)
            except OSError as error:
                self.hub.publish(
                    run, [{"type": "output", "text": f"cannot start pytest: {error}\n"}]
                )
                self.hub.publish(
                    run, [{"type": "run_exit", "returncode": None, "time": time.time()}]
                )
                raise
            self.active = Active(run, process, workdir)
            threading.Thread(target=self._watch, args=(self.active,), daemon=True).start()
            return run

    def cancel(self, run_id: str) -> bool:
        """SIGINT to pytest's whole process group, SIGKILL after a grace period."""
        active = self.active
        if active is None or active.run.id != run_id:
            return False
        if not active.cancelled:
            active.cancelled = True
            signal_group(active.process.pid, signal.SIGINT)
            threading.Thread(target=self._escalate, args=(active,), daemon=True).start()
        return True

    def _escalate(self, active: Active) -> None:
        deadline = time.monotonic() + CANCEL_GRACE
        while active.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        signal_group(active.process.pid, signal.SIGKILL)

    def _watch(self, active: Active) -> None:
        pump = threading.Thread(target=self._pump, args=(active,), daemon=True)
        pump.start()
        returncode = active.process.wait()
        pump.join(PIPE_DRAIN)
        signal_group(active.process.pid, signal.SIGKILL)  # leftovers: workers, daemons
        pump.join(PIPE_DRAIN)
        if not active.run.state.session_ended:  # a crash: recover what was never posted
            self.hub.publish(active.run, read_record(os.path.join(active.workdir, RECORD_NAME)))
        event: RunExit = {
            "type": "run_exit",
            "returncode": returncode,
            "cancelled": active.cancelled,
            "time": time.time(),
        }
        _remove_tree(active.workdir)
        with self._lock:  # free before the end shows: a page that sees it may start the next
            if self.active is active:
                self.active = None
        self.hub.publish(active.run, [event])

    def _pump(self, active: Active) -> None:
        """Publish pytest's terminal output; past OUTPUT_LIMIT keep draining, publish no more."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        stream = active.process.stdout
        published = 0
        held = ""  # the start of a colour code cut by the chunk's end
        try:
            while True:
                chunk = stream.read1(65536)
                if not chunk:
                    break
                if published < OUTPUT_LIMIT:
                    published += len(chunk)
                    text, held = whole_sequences(held + decoder.decode(chunk))
                    if published >= OUTPUT_LIMIT:
                        text += held + OUTPUT_NOTE
                        held = ""
                    if text:
                        self.hub.publish(active.run, [{"type": "output", "text": text}])
        except (OSError, ValueError):
            pass
        finally:
            tail = held + decoder.decode(b"", final=True)
            if tail and published < OUTPUT_LIMIT:
                self.hub.publish(active.run, [{"type": "output", "text": tail}])

    def shutdown(self) -> None:
        """The server is stopping: stop the active run's whole process group now."""
        active = self.active
        if active is not None and active.process.poll() is None:
            active.cancelled = True
            signal_group(active.process.pid, signal.SIGKILL)

    def accepts(self, run_id: str, secret: str) -> Run | None:
        """The active run, if `run_id` and `secret` are its own (constant-time compare)."""
        active = self.active
        if active is None or active.run.id != run_id:
            return None
        return active.run if secrets.compare_digest(active.run.secret, secret) else None


def _remove_tree(folder: str) -> None:
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
    os.rmdir(folder)
