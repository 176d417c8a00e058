"""Rerun failed from opened result files runs only tests that pytest collects here.

A result file is written by the code under test, so it can name any `.py` file of the repository
as a failed test: a JUnit failure for `scripts.release::test_x` once made Rerun failed run
`scripts/release.py`'s top-level code. Node ids of opened results are kept only when the current
collection (the last Fetch, or a fresh one) knows them; the notice names what was left out.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from events import finished_run
from flask import Flask
from flask.testing import FlaskClient
from test_routes_forms import HX, notice

from pytest_web.pytest_run.discovery import Collection
from pytest_web.pytest_run.selection import Selection
from pytest_web.web.actions import collection_run
from pytest_web.web.services import services

KNOWN = "tests/test_outcomes.py::test_fails"
CRAFTED = "scripts/release.py::test_x"
FAILURE = '<testcase classname="{}" name="{}"><failure message="m">E</failure></testcase>'
CI_RESULTS = (
    '<testsuites><testsuite name="pytest">'
    + FAILURE.format("tests.test_outcomes", "test_fails")
    + FAILURE.format("scripts.release", "test_x")
    + "</testsuite></testsuites>"
)


@pytest.fixture
def released(demo_repo: Path) -> Path:
    """`scripts/release.py`: not a test; importing it leaves a marker (it would "release")."""
    (demo_repo / "scripts").mkdir()
    marker = demo_repo / "RELEASED"
    (demo_repo / "scripts" / "release.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    return marker


@pytest.fixture
def started(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[Selection]:
    """The selections the runner was asked to start (no pytest is started)."""
    shared = services(app)
    found: list[Selection] = []

    def start(selection: Selection, suite: Any = None) -> Any:
        found.append(selection)
        return shared.hub.create_run(selection.as_dict(), ["pytest"], suite)

    monkeypatch.setattr(shared.runner, "start", start)
    return found


def opened(client: FlaskClient, text: str = CI_RESULTS) -> str:
    files = {"file": (io.BytesIO(text.encode()), "junit.xml")}
    response = client.post("/api/results", data=files)
    assert response.status_code == 201, response.text
    return response.json["id"]


def collected(app: Flask, *nodeids: str) -> None:
    """As if `Fetch tests` had found these tests."""
    tests = [{"nodeid": n, "file": n.split("::")[0], "line": 1} for n in nodeids]
    services(app).collection = collection_run(Collection(tests))


def rerun_failed(client: FlaskClient, run_id: str) -> Any:
    form = {"scope": "failed", "from_run": run_id, "past": "1"}
    return client.post("/runs", data=form, headers=HX)


def test_only_collected_failures_of_opened_results_are_rerun(
    app: Flask, client: FlaskClient, started: list[Selection], released: Path
) -> None:
    run_id = opened(client)
    collected(app, KNOWN, "tests/test_outcomes.py::test_passes")
    response = rerun_failed(client, run_id)
    assert response.status_code == 200, response.text
    assert [s.nodeids for s in started] == [[KNOWN]]
    assert notice(response.text) == (
        "Rerunning 1 failed test(s); left out 1 failed test(s) that the current collection "
        f"does not know: {CRAFTED}"
    )


def test_opened_results_with_no_collected_failure_are_400(
    app: Flask, client: FlaskClient, started: list[Selection]
) -> None:
    run_id = opened(client)
    collected(app, "tests/test_outcomes.py::test_passes")
    response = rerun_failed(client, run_id)
    assert response.status_code == 400 and started == []
    assert notice(response.text) == (
        "nothing to rerun: left out 2 failed test(s) that the current collection does not know: "
        f"{KNOWN}, {CRAFTED} (Fetch tests to collect again)"
    )


def test_a_live_runs_failures_are_rerun_as_they_are(
    app: Flask, client: FlaskClient, started: list[Selection]
) -> None:
    run = finished_run(services(app).hub)  # pytest itself named these tests
    response = rerun_failed(client, run.id)
    assert response.status_code == 200 and notice_text(response.text) == ""
    assert [s.nodeids for s in started] == [[KNOWN]] and services(app).collection is None


def notice_text(html: str) -> str:
    return notice(html) if 'class="msg"' in html else ""


@pytest.mark.slow
def test_without_a_collection_pytest_collects_first_and_the_crafted_file_never_runs(
    app: Flask, client: FlaskClient, released: Path
) -> None:
    run_id = opened(client)
    assert services(app).collection is None
    response = rerun_failed(client, run_id)
    assert response.status_code == 200, response.text
    assert CRAFTED in notice(response.text)
    runner = services(app).runner
    active = runner.active
    assert active is not None and active.run.state.selection["nodeids"] == [KNOWN]
    deadline = time.monotonic() + 60
    while runner.active is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert runner.active is None and not released.exists()
