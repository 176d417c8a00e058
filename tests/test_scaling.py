"""No step grows faster than the work it is given: each pure part is timed on 1,000 and on
10,000 tests (or the same batch against runs of both sizes) and the ratio compared, so a
quadratic step fails the test whatever the machine's speed. Times live in bench/."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from events import ended, run_tests, start_run
from flask import Flask

from pytest_web.core.fold import RunState
from pytest_web.core.hub import Hub
from pytest_web.core.tree import build_tree
from pytest_web.results.merge import open_results
from pytest_web.web.render import Renderer
from pytest_web.web.services import services

SMALL, BIG = 1_000, 10_000
LINEAR = 25
"""Ten times the work may take up to this many times as long (quadratic would be ~100)."""


def nodeids(count: int) -> list[str]:
    return [f"tests/test_f{n // 100:03}.py::TestC::test_{n}[{n % 7}]" for n in range(count)]


def best(work: Callable[[], object], repeat: int = 5) -> float:
    """The least CPU time of `repeat` calls: steady however busy the machine is."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return max(min(times), 1e-6)


def ratio(work: Callable[[int], Callable[[], object]], big: int = BIG) -> float:
    return best(work(big)) / best(work(SMALL))


def fold_of(count: int) -> Callable[[], object]:
    events = [
        {
            "type": "test_end",
            "nodeid": nodeid,
            "phases": [{"when": "call", "outcome": "passed", "duration": 0.01}],
        }
        for nodeid in nodeids(count)
    ]

    def fold() -> RunState:
        state = RunState("r")
        state.apply({"type": "collection", "nodeids": nodeids(count)})
        for event in events:
            state.apply(event)  # type: ignore[arg-type]
        return state

    return fold


def test_folding_grows_linearly() -> None:
    assert ratio(fold_of) < LINEAR


def test_one_test_repeated_grows_linearly() -> None:
    def repeated(count: int) -> Callable[[], object]:
        event = {
            "type": "test_end",
            "nodeid": "t.py::a",
            "source": "f.xml",
            "phases": [{"when": "call", "outcome": "failed", "duration": 0.0}],
        }

        def fold() -> RunState:
            state = RunState("r")
            for _ in range(count):
                state.apply(event)  # type: ignore[arg-type]
            return state

        return fold

    assert ratio(repeated) < LINEAR


def test_building_the_tree_grows_linearly() -> None:
    def building(count: int) -> Callable[[], object]:
        ids = nodeids(count)
        return lambda: build_tree(ids)

    assert ratio(building) < LINEAR


def test_reading_a_junit_file_grows_linearly(tmp_path: Path) -> None:
    def reading(count: int) -> Callable[[], object]:
        path = tmp_path / f"junit{count}.xml"
        cases = "".join(
            f'<testcase classname="tests.test_f{n // 100}" name="test_{n}" time="0.01"/>'
            for n in range(count)
        )
        path.write_text(f'<testsuites><testsuite name="p">{cases}</testsuite></testsuites>')
        return lambda: open_results([str(path)])

    assert ratio(reading) < LINEAR


def test_reading_a_recording_grows_linearly(tmp_path: Path) -> None:
    """Folded as it is read: its collection, then each test's end."""

    def reading(count: int) -> Callable[[], object]:
        path = tmp_path / f"run{count}.jsonl"
        ids = nodeids(count)
        plain = [{"when": w, "outcome": "passed", "duration": 0.01} for w in ("setup", "call")]
        events = [{"type": "session_start", "time": 1e9}, {"type": "collection", "nodeids": ids}]
        events += [{"type": "test_end", "nodeid": n, "phases": plain} for n in ids]
        events.append({"type": "session_end", "exitstatus": 0})
        lines = (json.dumps({**event, "i": i}) for i, event in enumerate(events, start=1))
        path.write_text("\n".join(lines) + "\n")
        return lambda: open_results([str(path)])

    assert ratio(reading) < LINEAR


@pytest.fixture
def renderer(app: Flask) -> Iterator[Renderer]:
    with app.app_context():
        yield services(app).renderer


def test_a_live_delta_costs_the_same_in_a_big_run(renderer: Renderer, app: Flask) -> None:
    """The message for 5 finished tests must not grow with the run around them (nothing in it
    may count every test: the head's progress and the chips come from the fold's tallies)."""
    hub: Hub = services(app).hub

    def delta_in(count: int) -> Callable[[], object]:
        ids = nodeids(count)
        run = start_run(hub, ids)
        run_tests(hub, run, dict.fromkeys(ids[: count // 2], "passed"))
        renderer.delta_parts(run, run.state.seq)  # the tree made once, as a stream has it
        seq = run.state.seq
        hub.publish(run, [ended(n, "failed") for n in ids[count // 2 : count // 2 + 5]])
        return lambda: renderer.delta_parts(run, seq)

    assert ratio(delta_in, big=20_000) < 3  # a step over every test would make it ~10
