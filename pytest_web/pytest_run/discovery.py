"""Discover tests with `pytest --collect-only` in a subprocess; the plugin writes them as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_web.core import clean
from pytest_web.core.events import ENV_COLLECT, Event
from pytest_web.pytest_run.process import child_env, pytest_command, spawn, stop_group
from pytest_web.pytest_run.selection import expression_args

COLLECT_TIMEOUT = 600
USAGE_ERROR = 4
OUTPUT_TAIL = 4000


class DiscoveryError(Exception):
    """pytest refused the request (a usage error) or failed before collecting anything."""


@dataclass
class Collection:
    """The tests a `--collect-only` found, and the files that failed to collect."""

    tests: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    rootdir: str = ""
    k: str = ""
    m: str = ""

    @property
    def nodeids(self) -> list[str]:
        return [t["nodeid"] for t in self.tests]

    def as_json(self) -> dict[str, Any]:
        return {"tests": self.tests, "errors": self.errors}

    def events(self) -> Iterator[Event]:
        """The discovery as a run's events: its tests, where each is, the files that failed to
        collect, and an end that says the run only collected."""
        yield {"type": "run_created", "kind": "collection", "selection": {"k": self.k, "m": self.m}}
        yield {
            "type": "collection",
            "nodeids": self.nodeids,
            "locations": [[t.get("file", ""), _zero_based(t.get("line"))] for t in self.tests],
        }
        for error in self.errors:
            nodeid, message = error.get("nodeid", ""), error.get("message", "")
            yield {"type": "collect_error", "nodeid": nodeid, "longrepr": message}
        yield {"type": "run_exit", "collected": True}


def _zero_based(line: Any) -> int | None:
    """pytest's locations count lines from 0; the discovery file gives them from 1."""
    return line - 1 if isinstance(line, int) and not isinstance(line, bool) and line > 0 else None


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= OUTPUT_TAIL else "..." + text[-OUTPUT_TAIL:]


def usage_message(output: str) -> str:
    """pytest's own `ERROR: ...` lines, or the end of its output."""
    lines = [line for line in output.splitlines() if line.startswith("ERROR:")]
    return "\n".join(lines) if lines else _tail(output)


def discover(repo: Path, python: str, k: str = "", m: str = "") -> Collection:
    """Run pytest's collection with the given `-k`/`-m` and read what the plugin wrote."""
    with tempfile.TemporaryDirectory(prefix="pytest-web-collect-") as folder:
        target = os.path.join(folder, "collected.json")
        env = child_env({ENV_COLLECT: target})
        command = pytest_command(python, ["--collect-only", "-q", *expression_args(k, m)])
        try:
            process = spawn(command, repo, env)
        except OSError as error:
            raise DiscoveryError(f"cannot start {python}: {error}") from error
        try:
            stdout, _ = process.communicate(timeout=COLLECT_TIMEOUT)
        except subprocess.TimeoutExpired as error:
            raise DiscoveryError(f"collection took longer than {COLLECT_TIMEOUT} s") from error
        finally:
            stop_group(process)  # what the collection left behind (a daemon, a stuck worker)
        output = stdout.decode("utf-8", "replace")
        if process.returncode == USAGE_ERROR:
            raise DiscoveryError(usage_message(output))
        try:
            with open(target, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError) as error:
            raise DiscoveryError(
                f"pytest exited with code {process.returncode} before collecting:\n{_tail(output)}"
            ) from error
    return collection_of(data, k, m)


def collection_of(data: Any, k: str, m: str) -> Collection:
    """What the plugin wrote, through the same door as every event's text (`core.clean`)."""
    data = data if isinstance(data, dict) else {}
    tests = [
        {
            "nodeid": clean.text(t["nodeid"]),
            "file": clean.text(t.get("file")),
            "line": clean.integer(t.get("line")),
        }
        for t in data.get("tests") or []
        if isinstance(t, dict) and isinstance(t.get("nodeid"), str)
    ]
    errors = [
        {"nodeid": clean.text(e.get("nodeid")), "message": clean.text(e.get("message"))}
        for e in data.get("errors") or []
        if isinstance(e, dict)
    ]
    return Collection(tests, errors, clean.text(data.get("rootdir")), k, m)
