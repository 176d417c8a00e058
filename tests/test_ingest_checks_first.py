"""The ingest route checks who calls before it reads: the run's id and secret travel in headers,
so a caller without them is refused without a byte of its body read or parsed (it once parsed up
to 8 MB first, a second of the one worker's CPU per request). A body nested 900 deep with a lone
surrogate is a 400 and one short log line, never a 500 with a traceback.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pytest_web.core.events import RUN_HEADER, SECRET_HEADER
from pytest_web.core.hub import Run
from pytest_web.web.routes.ingest import depth_within

URL = "/internal/event"


class Untouchable(io.RawIOBase):
    """A request body that fails the test if anyone reads it."""

    def __init__(self) -> None:
        self.read_from = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.read_from = True
        raise AssertionError("the body was read before the caller was checked")


def headers_of(run: Run, secret: str | None = None) -> dict[str, str]:
    return {RUN_HEADER: run.id, SECRET_HEADER: run.secret if secret is None else secret}


@pytest.mark.parametrize("who", ["nobody", "a wrong secret", "another run", "no run id"])
def test_a_caller_that_is_not_the_active_run_is_refused_unread(
    anonymous: FlaskClient, active_run: Run, who: str
) -> None:
    headers = {
        "nobody": {},
        "a wrong secret": headers_of(active_run, "guessed-secret"),
        "another run": {RUN_HEADER: "20260101-000000-abcdef", SECRET_HEADER: active_run.secret},
        "no run id": {SECRET_HEADER: active_run.secret},
    }[who]
    body = Untouchable()
    response = anonymous.post(
        URL,
        headers=headers,
        content_type="application/json",
        environ_overrides={"wsgi.input": body, "CONTENT_LENGTH": str(8 * 1024 * 1024)},
    )
    assert response.status_code == 403 and not body.read_from
    assert response.json == {"error": "not the active run, or not its secret"}


def nested(depth: int) -> str:
    return "[" * depth + '"\\ud800"' + "]" * depth


@pytest.mark.parametrize("depth", [900, 20])
def test_a_deeply_nested_body_is_a_400_and_one_short_log_line(
    app: Flask,
    anonymous: FlaskClient,
    active_run: Run,
    caplog: pytest.LogCaptureFixture,
    depth: int,
) -> None:
    phases = nested(depth)
    body = f'[{{"type": "test_end", "run": "{active_run.id}", "phases": {phases}}}]'
    assert len(body) < 2100
    seq = active_run.state.seq
    with caplog.at_level(logging.INFO):
        response = anonymous.post(
            URL, data=body, headers=headers_of(active_run), content_type="application/json"
        )
    assert response.status_code == 400 and active_run.state.seq == seq
    assert "nest" in response.json["error"]
    [record] = [r for r in caplog.records if r.name == app.logger.name]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert len(record.getMessage()) < 200 and active_run.id in record.getMessage()


def test_events_within_the_depth_are_taken(anonymous: FlaskClient, active_run: Run) -> None:
    event = {
        "type": "test_end",
        "run": active_run.id,
        "nodeid": "tests/test_outcomes.py::test_fails",
        "phases": [{"when": "call", "outcome": "failed", "sections": [["out", "x"]]}],
    }
    response = anonymous.post(
        URL,
        data=json.dumps([event]),
        headers=headers_of(active_run),
        content_type="application/json",
    )
    assert response.status_code == 202 and response.json == {"accepted": 1}


@pytest.mark.parametrize(
    ("value", "depth"),
    [
        (1, 0),
        ([], 1),
        ([1, "a", None], 1),
        ({"a": [1, {"b": 2}]}, 3),
        ([{"a": 1}, [[[]]], "x"], 4),
        (json.loads(nested(9)), 9),
    ],
)
def test_depth_within_counts_the_deepest_container(value: object, depth: int) -> None:
    assert depth_within(value, depth)
    assert depth == 0 or not depth_within(value, depth - 1)
