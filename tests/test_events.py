"""The event schema (`core.events`) is what the plugin really sends, and the door
(`core.clean.event`) keeps all of it: the plugin's copies of the names, and its output on a suite
with every outcome, checked against the TypedDicts."""

from __future__ import annotations

import json
from typing import Any

import pytest

import pytest_web_plugin as plugin
from pytest_web.core import clean, events

SUITE = """
import pytest

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke")

def test_pass():
    print("out")

def test_fail():
    assert 1 == 2

def test_teardown_error(broken_teardown):
    pass

def test_skip():
    pytest.skip("no")

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False

@pytest.mark.xfail(reason="known")
def test_xpass():
    pass

def test_subtests(subtests):
    for i in range(2):
        with subtests.test(msg="case", i=i):
            assert i == 0
"""

SCHEMA: dict[str, Any] = {
    "session_start": events.SessionStart,
    "collection": events.Collection,
    "collect_error": events.CollectError,
    "test_start": events.TestStart,
    "test_end": events.TestEnd,
    "subtest_end": events.SubtestEnd,
    "session_end": events.SessionEnd,
}


def fields(typed_dict: Any) -> set[str]:
    return set(typed_dict.__required_keys__ | typed_dict.__optional_keys__)


def test_the_plugins_copies_of_the_names_are_the_servers() -> None:
    assert plugin.ENV_URL == events.ENV_URL
    assert plugin.ENV_RUN == events.ENV_RUN
    assert plugin.ENV_SECRET == events.ENV_SECRET
    assert plugin.ENV_RECORD == events.ENV_RECORD
    assert plugin.ENV_SPOOL == events.ENV_SPOOL
    assert plugin.ENV_COLLECT == events.ENV_COLLECT
    assert plugin.SECRET_HEADER == events.SECRET_HEADER
    assert plugin.RUN_HEADER == events.RUN_HEADER
    assert plugin.TEXT_CAP == clean.TEXT_CAP


def test_every_plugin_event_type_has_a_typed_dict() -> None:
    assert set(SCHEMA) == events.PLUGIN_EVENTS


@pytest.fixture
def recorded(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    for name in (events.ENV_URL, events.ENV_RUN, events.ENV_SECRET, events.ENV_RECORD):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_suite=SUITE)
    pytester.makepyfile(test_broken="import nowhere_to_be_found\n")
    path = pytester.path / "events.jsonl"
    pytester.runpytest(
        "-p",
        "pytest_web_plugin",
        f"--web-record={path}",
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
    )
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_plugin_sends_only_typed_fields(recorded: list[dict[str, Any]]) -> None:
    kinds = {event["type"] for event in recorded}
    assert kinds == events.PLUGIN_EVENTS
    for event in recorded:
        assert set(event) <= fields(SCHEMA[event["type"]]), event
        for phase in event.get("phases", []) + ([event["phase"]] if "phase" in event else []):
            assert set(phase) <= fields(events.Phase), phase
            assert fields(events.Phase) & set(phase) >= events.Phase.__required_keys__


def test_the_door_keeps_everything_the_plugin_sends(recorded: list[dict[str, Any]]) -> None:
    for event in recorded:
        assert clean.event(event) == event
