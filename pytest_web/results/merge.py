"""Several result files (shards of one run, or reruns) folded into one run.

Each file's events go through the same fold as a live run, in the order the files were given;
tests merge by node id, and every attempt keeps the file it came from (see `fold.Attempt`). The
run is finished when every file reached its session end, crashed otherwise. A file's collection
adds its tests after the ones already known, so shards keep the order of the files. JUnit has no
exit status: a file with failures or errors counts as 1, one with tests as 0, an empty one as 5.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pytest_web.core.events import Event
from pytest_web.core.fold import RunState
from pytest_web.core.shards import exit_status
from pytest_web.results.read import read_file
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
        return _open(paths, run_id)
    finally:
        if enabled:
            gc.enable()


def _open(paths: Iterable[str], run_id: str) -> Results:
    results = Results(None)
    budget = Budget()  # every file of one command together
    seen: set[str] = set()
    for path in paths:
        key = os.path.realpath(path) if "\0" not in str(path) else str(path)
        if key in seen:
            continue
        seen.add(key)
        try:
            results.files.append(read_file(str(path), budget))
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
    """The events that fold `files` into one run, each to be applied to `state` before the next
    is asked for (a file's collection adds its tests after those `state` already knows)."""
    times = [t for f in files for t in _times(f.events)]
    yield {
        "type": "run_created",
        "kind": "results",
        "selection": {"files": [f.path for f in files]},
        "command": ["pytest-web", "view", *(f.path for f in files)],
        "time": min(times) if times else None,
    }
    ended = 0
    statuses: list[int] = []
    for result in files:
        fallback = inferred_status(result) if result.format == "junit" else 1
        events, result.events = result.events, []  # each event is let go once folded: the
        events.reverse()  # file and the run are not both held whole (1,000,000 tests)
        while events:
            event = events.pop()
            if event["type"] == "session_end":
                ended += 1
                status = event.get("exitstatus")
                statuses.append(status if isinstance(status, int) else fallback)
                continue
            if event["type"] == "collect_error":  # its file: the fold counts a module once
                event["source"] = result.path  # over sources, every report within one
            if event["type"] == "collection":
                nodeids = dict.fromkeys([*state.tests, *event.get("nodeids", ())])
                yield {**event, "nodeids": list(nodeids)}
                continue
            yield event
    if ended >= len(files):
        yield {"type": "session_end", "exitstatus": exit_status(statuses)}
    yield {"type": "run_exit", "returncode": None, "time": max(times) if times else None}


def inferred_status(result: ResultFile) -> int:
    """The exit status pytest would have had, for a file that does not say (JUnit)."""
    if any(e["type"] == "collect_error" for e in result.events):
        return 1
    ends = 0
    for event in result.events:
        if event["type"] == "test_end":
            ends += 1
            if any(phase["outcome"] == "failed" for phase in event.get("phases", ())):
                return 1
    return 0 if ends else 5


def _times(events: list[Event]) -> Iterable[float]:
    for event in events:
        value = event.get("time")
        if isinstance(value, (int, float)) and value == value:
            yield float(value)
