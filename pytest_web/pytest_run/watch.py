"""Watch mode: which saves count, and what a save runs.

The watching itself (watchfiles, native code that blocks while it waits) runs in a child
process, `python -m pytest_web.pytest_run.watch ROOT [--poll]`, which prints each debounced batch
of changed `.py` files as a JSON line: nothing it does can block the server's event loop, and it
ends when the server does. The server drops what git ignores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from watchfiles import Change, DefaultFilter, watch

from pytest_web.core.fold import RunState
from pytest_web.core.outcomes import FAILED
from pytest_web.core.tree import file_of

SCOPES = ("affected", "failed", "all")
"""What a save reruns: the failures, then the changed files' tests, then the rest of the
selection (affected); only the failures (failed); the whole selection (all)."""
DEBOUNCE_MS = 300
IGNORED_DIRS = ("venv", "env", ".nox", "build", "dist", ".eggs", "site-packages")
"""Ignored besides watchfiles' own (.git, __pycache__, .venv, .tox, caches, node_modules)."""
TEST_FILE = ("test_", "_test.py")


def plan(scope: str, last: RunState | None, changed: Sequence[str]) -> dict[str, Any] | None:
    """The run request a save of `changed` (paths relative to the repository) starts, from the
    last run; None when there is nothing to run (no failures to rerun)."""
    selection = dict(last.selection) if last is not None else {}
    request: dict[str, Any] = {
        key: selection[key] for key in ("k", "m", "workers", "options") if key in selection
    }
    tests = list(last.tests.values()) if last is not None else []
    failures = [t.nodeid for t in tests if t.outcome in FAILED]
    if scope == "failed":
        return {**request, "nodeids": failures} if failures else None
    if scope == "all" or not tests:
        return {**request, "nodeids": list(selection.get("nodeids") or [])}
    files = set(changed)
    in_changed = [t.nodeid for t in tests if file_of(t.nodeid) in files]
    known = {file_of(t.nodeid) for t in tests}
    new_files = [f for f in changed if f not in known and _is_test_file(f)]
    ordered = dict.fromkeys([*failures, *in_changed, *new_files, *(t.nodeid for t in tests)])
    return {**request, "nodeids": list(ordered)}


def _is_test_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith(TEST_FILE[0]) or name.endswith(TEST_FILE[1])


def not_ignored(root: Path, paths: list[str]) -> list[str]:
    """`paths` without those git ignores (all of them outside a git repository)."""
    if not paths:
        return []
    try:
        done = subprocess.run(
            ["git", "check-ignore", "--stdin"],
            cwd=root,
            input="\n".join(paths),
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return paths
    if done.returncode not in (0, 1):  # 128: not a repository
        return paths
    ignored = set(done.stdout.splitlines())
    return [p for p in paths if p not in ignored]


class FileWatch:
    """The child process that watches `root`, and a thread that hands its batches on."""

    def __init__(self, root: Path, on_change: Callable[[list[str]], None], poll: bool) -> None:
        self.root, self.on_change, self.poll = root, on_change, poll
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "pytest_web.pytest_run.watch", str(self.root)]
        self.process = subprocess.Popen(
            [*command, *(["--poll"] if self.poll else [])],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            try:
                paths = [str(p) for p in json.loads(line)]
            except (ValueError, TypeError):
                continue
            found = not_ignored(self.root, paths)
            if found:
                self.on_change(found)


class SourceFilter(DefaultFilter):
    """Python files, outside caches, virtualenvs and build folders."""

    ignore_dirs = (*DefaultFilter.ignore_dirs, *IGNORED_DIRS)

    def __call__(self, change: Change, path: str) -> bool:
        return path.endswith(".py") and super().__call__(change, path)


def main(argv: list[str]) -> None:
    """The child: print each batch of changed Python files until the parent is gone."""
    root = Path(argv[0]).resolve()
    parent = os.getppid()
    for changes in watch(
        root,
        watch_filter=SourceFilter(),
        debounce=DEBOUNCE_MS,
        force_polling="--poll" in argv[1:] or None,
        yield_on_timeout=True,
        rust_timeout=1000,
        raise_interrupt=False,
    ):
        if os.getppid() != parent:
            return
        paths = sorted({os.path.relpath(path, root).replace(os.sep, "/") for _, path in changes})
        if paths:
            print(json.dumps(paths), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
