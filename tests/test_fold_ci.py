"""A CI run folded from its shards' events: numbers per shard, every attempt kept, each shard's
state, and the run's status following them (late shards open it again)."""

from __future__ import annotations

from typing import Any

from pytest_web.core import clean
from pytest_web.core.fold import RunState
from pytest_web.core.shards import CiRun


def created(expected: int = 0) -> dict[str, Any]:
    return {
        "type": "run_created",
        "kind": "ci",
        "time": 100.0,
        "ci": {"project": "acme/shop", "run_key": "42-1"},
    }


def shard_events(
    shard: str, results: dict[str, str], session: str = "", shards: int = 0, end: bool = True
) -> list[dict[str, Any]]:
    """What one shard's plugin sends: numbered from 1, tagged with the shard as the server
    tags them."""
    info = {"project": "acme/shop", "run_key": "42-1", "shard": shard, "session": session}
    if shards:
        info.update(shards=shards, branch="main", commit="abc123")
    events: list[dict[str, Any]] = [
        {"type": "session_start", "time": 101.0, "ci": info},
        {"type": "collection", "nodeids": list(results)},
    ]
    for nodeid, outcome in results.items():
        events.append({"type": "test_start", "nodeid": nodeid})
        phase = {"when": "call", "outcome": outcome, "duration": 0.5}
        events.append({"type": "test_end", "nodeid": nodeid, "phases": [phase]})
    if end:
        status = 1 if "failed" in results.values() else 0
        events.append({"type": "session_end", "exitstatus": status, "time": 110.0})
    return [{**e, "i": n, "source": shard} for n, e in enumerate(events, 1)]


def ci_run(*batches: list[dict[str, Any]]) -> RunState:
    state = RunState("ci-1")
    state.apply(created())  # type: ignore[arg-type]
    for batch in batches:
        for event in batch:
            state.apply(event)  # type: ignore[arg-type]
    return state


def test_two_shards_numbered_alike_both_count() -> None:
    one = shard_events("1", {"t/a.py::x": "passed", "t/a.py::y": "failed"})
    two = shard_events("2", {"t/b.py::z": "passed"})
    state = ci_run(one, two)
    assert state.kind == "ci"
    assert state.summary()["passed"] == 2 and state.summary()["failed"] == 1
    assert state.numbers == {"1": len(one), "2": len(two)}
    assert [t.source for t in state.tests.values()] == ["1", "1", "2"]


def test_a_shards_repeats_are_dropped_whatever_the_other_shards_sent() -> None:
    one = shard_events("1", {"t/a.py::x": "failed"})
    two = shard_events("2", {"t/b.py::z": "passed"})
    state = ci_run(one, two, one, two[:3])
    assert state.summary()["failed"] == 1 and state.summary()["passed"] == 1
    assert [len(t.attempts) for t in state.tests.values()] == [0, 0]  # each its own attempt


def test_the_merged_counts_are_the_shards_summaries_added_up() -> None:
    one = shard_events("1", {"t/a.py::x": "passed", "t/a.py::y": "failed"})
    two = shard_events("2", {"t/b.py::z": "skipped", "t/b.py::w": "passed"})
    state = ci_run(one, two)
    added = {name: 0 for name in state.summary()}
    for shard in state.ci.shards.values():
        for name, n in shard.as_json()["counts"].items():
            added[name] += n
    assert added == state.summary()
    assert state.ci.shards["1"].as_json()["counts"]["failed"] == 1


def test_subtests_and_collect_errors_count_in_their_shard_and_the_run() -> None:
    """A subtest is its own event, and every collect error report of a session counts (under
    xdist, one per worker): each shard's counts add up to the run's, and a repeat is dropped by
    its number."""
    one = shard_events("1", {"t/a.py::x": "passed"}, end=False)
    sub = {"when": "call", "outcome": "failed", "duration": 0.0, "category": "failed"}
    sub["subtest"] = {"msg": "", "params": {"n": "1"}}
    passed = {**sub, "outcome": "passed", "category": "subtests passed"}
    one += [
        {"type": "subtest_end", "nodeid": "t/a.py::x", "phase": sub, "i": 90, "source": "1"},
        {"type": "subtest_end", "nodeid": "t/a.py::x", "phase": passed, "i": 91, "source": "1"},
        {"type": "session_end", "exitstatus": 1, "time": 110.0, "i": 92, "source": "1"},
    ]
    broken = {"type": "collect_error", "nodeid": "t/b.py", "longrepr": "SyntaxError"}
    two = shard_events("2", {"t/c.py::z": "passed"})
    two[2:2] = [{**broken, "i": 2, "source": "2"}, {**broken, "i": 3, "source": "2"}]
    two = [{**e, "i": n} for n, e in enumerate(two, 1)]
    state = ci_run(one, two, one[-3:])
    assert state.summary()["failed"] == 1 and state.summary()["error"] == 2
    assert state.subtests() == {"passed": 1, "skipped": 0, "failed": 1}
    assert [e["nodeid"] for e in state.collect_errors] == ["t/b.py"]
    assert state.tests["t/a.py::x"].subtests_seen == 2
    shards = {name: s.as_json()["counts"] for name, s in state.ci.shards.items()}
    assert (shards["1"]["passed"], shards["1"]["failed"]) == (1, 1)
    assert (shards["2"]["passed"], shards["2"]["error"]) == (1, 2)
    added = {name: shards["1"][name] + shards["2"][name] for name in state.summary()}
    assert added == state.summary()
    assert state.status == "finished" and state.exitstatus == 1


def test_a_module_two_shards_cannot_collect_counts_once_as_a_test_would() -> None:
    """Shards that each collect the whole suite (pytest-split, --shard-id) each report a broken
    module: the run counts it as `pytest-web view` does files, once over them, listed once;
    each shard's counts are its own summary's."""
    broken = {"type": "collect_error", "nodeid": "t/b.py", "longrepr": "SyntaxError"}
    one = shard_events("1", {"t/a.py::x": "passed"})
    two = shard_events("2", {"t/c.py::z": "passed"})
    one[2:2] = [{**broken, "source": "1"}] * 2  # two xdist workers
    two[2:2] = [{**broken, "source": "2"}] * 2
    one, two = ([{**e, "i": n} for n, e in enumerate(s, 1)] for s in (one, two))
    state = ci_run(one, two)
    assert state.summary()["error"] == 2 and len(state.collect_errors) == 1
    assert [s.counts["error"] for s in state.ci.shards.values()] == [2, 2]


def test_a_test_run_by_two_shards_keeps_both_attempts_and_is_flaky() -> None:
    one = shard_events("1", {"t/a.py::x": "failed"})
    two = shard_events("2", {"t/a.py::x": "passed"})
    state = ci_run(one, two)
    test = state.tests["t/a.py::x"]
    assert [(a.source, a.outcome) for a in test.attempts] == [("1", "failed"), ("2", "passed")]
    assert test.flaky and state.flaky_count == 1
    assert test.outcome == "passed" and test.source == "2"


def test_the_run_finishes_when_every_shard_has() -> None:
    one = shard_events("1", {"t/a.py::x": "passed"})
    two = shard_events("2", {"t/b.py::z": "failed"}, end=False)
    state = ci_run(one, two)
    assert state.status == "running"
    assert [s.status for s in state.ci.shards.values()] == ["finished", "running"]
    state.apply({"type": "session_end", "exitstatus": 1, "time": 120.0, "i": 99, "source": "2"})
    assert state.status == "finished" and state.exitstatus == 1 and state.finished == 120.0


def test_announced_shards_are_waited_for_until_the_server_stops_waiting() -> None:
    one = shard_events("1", {"t/a.py::x": "passed"}, shards=3)
    state = ci_run(one)
    assert state.ci.expected == 3 and state.status == "running"
    assert (state.ci.branch, state.ci.commit) == ("main", "abc123")
    state.apply({"type": "run_exit", "returncode": None, "time": 130.0})
    assert state.status == "finished"


def test_a_lost_shard_ends_the_run_crashed_with_its_finished_tests_kept() -> None:
    one = shard_events("1", {"t/a.py::x": "passed"})
    two = shard_events("2", {"t/b.py::z": "passed", "t/b.py::w": "passed"}, end=False)[:-1]
    state = ci_run(one, two)  # shard 2 ran z and started w, then went silent
    assert state.tests["t/b.py::w"].outcome == "running"
    touched = state.apply({"type": "shard", "source": "2", "status": "lost", "time": 300.0})
    assert state.status == "crashed" and state.ci.shards["2"].status == "lost"
    assert state.tests["t/b.py::z"].outcome == "passed"
    assert state.tests["t/b.py::w"].outcome == "notrun" and "t/b.py::w" in touched
    assert state.summary()["passed"] == 2


def test_a_lost_shard_that_speaks_again_opens_the_run_and_nothing_counts_twice() -> None:
    two = shard_events("2", {"t/b.py::z": "passed", "t/b.py::w": "failed"})
    state = ci_run(two[:4])
    state.apply({"type": "shard", "source": "2", "status": "lost", "time": 300.0})
    assert state.status == "crashed"
    for event in two:  # the plugin resends from what the server holds: repeats are dropped
        state.apply(event)  # type: ignore[arg-type]
    assert state.status == "finished" and state.ci.shards["2"].status == "finished"
    assert state.summary()["passed"] == 1 and state.summary()["failed"] == 1
    assert not state.tests["t/b.py::z"].attempts  # one attempt: the test itself


def test_a_shard_that_arrives_after_the_end_opens_the_run_again() -> None:
    state = ci_run(shard_events("1", {"t/a.py::x": "passed"}))
    assert state.status == "finished"
    late = shard_events("3", {"t/c.py::q": "failed"})
    state.apply(late[0])  # type: ignore[arg-type]
    assert state.status == "running" and state.finished is None
    for event in late[1:]:
        state.apply(event)  # type: ignore[arg-type]
    assert state.status == "finished" and state.exitstatus == 1


def test_as_json_names_the_ci_run_and_its_shards() -> None:
    state = ci_run(shard_events("1", {"t/a.py::x": "passed"}, session="s1", shards=1))
    data = state.as_json(with_tests=False)
    assert data["kind"] == "ci"
    assert (data["project"], data["run_key"], data["branch"], data["commit"]) == (
        "acme/shop",
        "42-1",
        "main",
        "abc123",
    )
    assert data["shards"] == [
        {
            "name": "1",
            "status": "finished",
            "counts": {
                "passed": 1,
                "failed": 0,
                "error": 0,
                "skipped": 0,
                "xfailed": 0,
                "xpassed": 0,
                "rerun": 0,
            },
            "exitstatus": 0,
            "url": "",
        }
    ]


def test_two_sessions_that_give_one_shard_name_stream_apart() -> None:
    ci = CiRun()
    assert ci.session_for("test", "a") == "test"
    ci.on_event("test", "session_start", {"type": "session_start", "ci": {"session": "a"}})
    assert ci.session_for("test", "a") == "test"
    assert ci.session_for("test", "b") == "test#2"
    ci.on_event("test#2", "session_start", {"type": "session_start", "ci": {"session": "b"}})
    assert ci.session_for("test", "b") == "test#2"
    assert ci.session_for("test", "c") == "test#3"


def test_the_door_keeps_ci_names_short_and_links_plain() -> None:
    raw = {
        "type": "session_start",
        "ci": {
            "project": "acme/shop\x00\n" + "x" * 500,
            "run_key": 42,
            "shards": 10**9,
            "url": "javascript:alert(1)",
            "job_url": "https://ci.example/job/1",
            "branch": ["main"],
        },
    }
    found = clean.event(raw)
    assert found is not None
    info = found["ci"]  # type: ignore[typeddict-item]
    assert info["project"].startswith("acme/shop") and len(info["project"]) <= clean.NAME_CAP
    assert "\x00" not in info["project"] and "\n" not in info["project"]
    assert info["run_key"] == "" and info["branch"] == ""
    assert "shards" not in info and "url" not in info
    assert info["job_url"] == "https://ci.example/job/1"
