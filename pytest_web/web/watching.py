"""Watch mode for one server: a save reruns the tests by scope; a save during a run restarts it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_web.core.fold import RunState
from pytest_web.pytest_run.runner import CANCEL_GRACE, RunBusy, Runner, RunRefused
from pytest_web.pytest_run.selection import Selection, SelectionError, parse_selection
from pytest_web.pytest_run.watch import SCOPES, FileWatch, plan

RESTART_WAIT = CANCEL_GRACE + 10.0
"""How long a save waits for the run it cancelled to end before it starts the next."""


class Watching:
    """Whether the server watches, what a save reruns, and what the last save was."""

    def __init__(
        self,
        repo: Path,
        runner: Runner,
        last_run: Callable[[], RunState | None],
        poll: bool = False,
    ) -> None:
        self.repo, self.runner, self.last_run, self.poll = repo, runner, last_run, poll
        self.enabled = False
        self.scope = "affected"
        self.last_change: list[str] = []
        self.last_time: float | None = None
        self.problem = ""
        self._files: FileWatch | None = None
        self._lock = threading.Lock()

    def set(self, enabled: bool, scope: str | None = None) -> None:
        """Switch watching on or off, and choose what a save reruns."""
        if scope is not None:
            if scope not in SCOPES:
                raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
            self.scope = scope
        with self._lock:
            if enabled and self._files is None:
                self._files = FileWatch(self.repo, self.changed, self.poll)
                self._files.start()
            elif not enabled and self._files is not None:
                self._files.stop()
                self._files = None
            self.enabled = enabled

    def as_json(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "scope": self.scope,
            "poll": self.poll,
            "last_change": {"files": self.last_change, "time": self.last_time},
            "problem": self.problem,
        }

    def changed(self, paths: list[str]) -> None:
        """Files were saved: rerun by scope, cancelling a run that is going."""
        if not self.enabled:
            return
        self.last_change, self.last_time = paths, time.time()
        request = plan(self.scope, self.last_run(), paths)
        if request is None:
            return
        request["nodeids"] = [n for n in request["nodeids"] if self._exists(n)]
        try:
            selection = parse_selection(request, self.repo)
        except SelectionError as error:
            self.problem = f"cannot rerun after saving {', '.join(paths)}: {error}"
            return
        selection.trigger = paths
        self._restart(selection)

    def _exists(self, nodeid: str) -> bool:
        return (self.repo / nodeid.split("::", 1)[0]).exists()

    def _restart(self, selection: Selection) -> None:
        active = self.runner.active
        if active is not None:
            self.runner.cancel(active.run.id)
            deadline = time.monotonic() + RESTART_WAIT
            while self.runner.active is not None and time.monotonic() < deadline:
                time.sleep(0.05)
        try:
            self.runner.start(selection)
            self.problem = ""
        except (RunBusy, RunRefused, OSError) as error:
            self.problem = f"cannot rerun: {error}"

    def stop(self) -> None:
        self.set(False)
