"""Several result files (shards of one run, or reruns) folded into one run.

Each file's events go through the same fold as a live run, in the order the files were given;
tests merge by node id, and every attempt keeps the file it came from (see `fold.Attempt`). The
run is finished when every file reached its session end, crashed otherwise. A file's collection
adds its tests after the ones already known, so shards keep the order of the files. JUnit has no
exit status: a file with failures or errors counts as 1, one with tests as 0, an empty one as 5.

`open_results` folds each file as it is read: a million tests' events are never all held. The
run's start, the earliest time in any file, is known once they are all read: a last
`run_created` says it (with the files read), as the first one could not.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from pytest_web.core.events import Event, RunCreated
from pytest_web.core.fold import RunState
from pytest_web.core.shards import exit_status
from pytest_web.results.read import open_file, read_file
from pytest_web.results.source import Budget, ResultFile, ResultFileError

RUN_ID = "results"


@dataclass
class Results:
    """What `pytest-web view`/`export` opened: the merged run, the files read and the refused."""

    state: RunState | None
    files: list[ResultFile] = field(default_factory=list)
    errors: list[ResultFileError] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """One line per refused file or oddity, naming the file."""
        lines = [f"refused {e.path}: {e.reason}" for e in self.errors]
        lines += [f"{f.path}: {warning}" for f in self.files for warning in f.warnings]
        return lines


def open_results(paths: Iterable[str], run_id: str = RUN_ID) -> Results:
    """Read every file (a refused one does not stop the others) and merge what was read.

    The garbage collector waits meanwhile: only new, live objects are made, and its passes over
    them cost a third of the time on 100,000 tests.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        unique = _unique(paths)
        try:
            return _streamed(unique, run_id)
        except ResultFileError as error:  # refused partway, some of its events folded:
            if len(unique) == 1:  # the others are read again, each whole before it is merged
                return Results(None, errors=[error])
            return _whole(unique, run_id)
    finally:
        if enabled:
            gc.enable()


def _unique(paths: Iterable[str]) -> list[str]:
    """Each file once, however it is named."""
    seen: dict[str, str] = {}
    for path in paths:
        key = os.path.realpath(path) if "\0" not in str(path) else str(path)
        seen.setdefault(key, str(path))
    return list(seen.values())


def _streamed(paths: list[str], run_id: str) -> Results:
    """Each file folded as it is read; `ResultFileError` when one is refused partway."""
    results = Results(None)
    budget = Budget()  # every file of one command together

    def opened() -> Iterator[tuple[ResultFile, Iterator[Event]]]:
        for path in paths:
            try:
                result, events = open_file(path, budget)
            except ResultFileError as error:  # refused before any of its events
                results.errors.append(error)
                continue
            results.files.append(result)
            yield result, events

    state = RunState(run_id)
    for event in _merged(opened(), state):
        state.apply(event)
    results.state = state if results.files else None
    return results


def _whole(paths: list[str], run_id: str) -> Results:
    results = Results(None)
    budget = Budget()
    for path in paths:
        try:
            results.files.append(read_file(path, budget))
        except ResultFileError as error:
            results.errors.append(error)
    if results.files:
        results.state = merge(results.files, run_id)
    return results


def merge(files: list[ResultFile], run_id: str = RUN_ID) -> RunState:
    state = RunState(run_id)
    for event in merged_events(files, state):
        state.apply(event)
    return state


def merged_events(files: list[ResultFile], state: RunState) -> Iterator[Event]:
    """The events that fold `files` (read whole) into one run, each to be applied to `state`
    before the next is asked for; each file's events are let go as they are folded."""
    return _merged(((f, _drained(f)) for f in files), state)


def _drained(result: ResultFile) -> Iterator[Event]:
    events, result.events = result.events, []  # the file and the run are not both held whole
    events.reverse()
    while events:
        yield events.pop()


def _merged(
    files: Iterable[tuple[ResultFile, Iterator[Event]]], state: RunState
) -> Iterator[Event]:
    """The events that fold `files` into one run, each to be applied to `state` before the next
    is asked for (a file's collection adds its tests after those `state` already knows)."""
    yield {"type": "run_created", "kind": "results"}
    times: list[float] = []  # the earliest and the latest so far
    ended = 0
    statuses: list[int] = []
    read: list[ResultFile] = []
    for result, events in files:
        read.append(result)
        failed = tests = 0  # what a JUnit file's exit status would have been
        for event in events:
            time = cast(Any, event).get("time")
            if time is not None and _is_time(time):
                times = [min(times[0], time), max(times[1], time)] if times else [time, time]
            if event["type"] == "test_end":
                tests += 1
                if not failed and any(p["outcome"] == "failed" for p in event["phases"]):
                    failed = 1
            elif event["type"] == "session_end":
                ended += 1
                status = event.get("exitstatus")
                fallback = (failed or (0 if tests else 5)) if result.format == "junit" else 1
                statuses.append(status if isinstance(status, int) else fallback)
                continue
            elif event["type"] == "collect_error":  # its file: the fold counts a module once
                failed = 1  # over sources, every report within one
                event["source"] = result.path
            elif event["type"] == "collection" and state.tests:  # after the tests known
                nodeids = dict.fromkeys([*state.tests, *event.get("nodeids", ())])
                yield {**event, "nodeids": list(nodeids)}
                continue
            yield event
    yield _created(read, times[0] if times else None)
    if ended >= len(read):
        yield {"type": "session_end", "exitstatus": exit_status(statuses)}
    yield {"type": "run_exit", "returncode": None, "time": times[1] if times else None}


def _is_time(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _created(files: list[ResultFile], start: float | None) -> RunCreated:
    """The run as known once its files are read: which they are, and its start."""
    return {
        "type": "run_created",
        "kind": "results",
        "selection": {"files": [f.path for f in files]},
        "command": ["pytest-web", "view", *(f.path for f in files)],
        "time": start,
    }
