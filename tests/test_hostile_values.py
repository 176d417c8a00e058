"""Values in result files that once broke pages for good: lone surrogates (which any JSON writer
may emit, and a test logging `os.fsdecode(b"report-\\xff.txt")` produces), a timestamp of 1e300,
durations that add up to infinity, a JUnit `line="²"`, a reportlog `longrepr` of
`{"sections": 1}`.

Each file is opened every way there is: `pytest-web view` (its loaded run), the live server's
Open results (kept in history), the same history after a restart, and `export` of the file and
of the kept run. Every page answers, the API's JSON is strict JSON (no `Infinity`/`NaN`), the
export is written, and a good file given beside the hostile one is never lost.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import close_history
from flask import Flask
from flask.testing import FlaskClient

from pytest_web.cli import main
from pytest_web.core.fold import RunState
from pytest_web.history import History
from pytest_web.results.merge import open_results
from pytest_web.results.record import read_record
from pytest_web.web import create_app, read_only
from support import JUNIT, TOKEN, app_config

SURROGATE_RECORD = [
    {"type": "session_start", "i": 1, "time": 1_700_000_000, "rootdir": "/r\udcff"},
    {"type": "collection", "i": 2, "nodeids": ["t.py::test_a[\ud800]"]},
    {
        "type": "test_end",
        "i": 3,
        "nodeid": "t.py::test_a[\ud800]",
        "location": ["t.py\udcff", 3, "test_a"],
        "phases": [
            {
                "when": "call",
                "outcome": "failed",
                "duration": 0.1,
                "longrepr": "E  assert 'report-\udcff.txt'",
                "sections": [["Captured log call", "wrote report-\udcff.txt"]],
            }
        ],
    },
    {"type": "session_end", "i": 4, "exitstatus": 1, "time": 1_700_000_001},
]
SURROGATE_REPORTLOG = [
    {"$report_type": "SessionStart", "pytest_version": "9.2\ud800"},
    {
        "$report_type": "TestReport",
        "nodeid": "r.py::test_b[\udcff]",
        "location": ["r.py\ud800", 1, "test_b"],
        "when": "call",
        "outcome": "failed",
        "duration": 0.1,
        "longrepr": {
            "reprcrash": {"path": "r.py\udcff", "lineno": 2, "message": "boom\ud800"},
            "reprtraceback": {"reprentries": [{"data": {"lines": ["E   \udcff"]}}]},
            "sections": [["Captured stdout", "out\udcff"]],
        },
        "sections": [["Captured log call", "report-\udcff.txt"]],
    },
    {
        "$report_type": "TestReport",
        "nodeid": "r.py::test_b[\udcff]",
        "when": "teardown",
        "outcome": "passed",
        "duration": 0.0,
    },
    {"$report_type": "SessionFinish", "exitstatus": 1},
]
HUGE_TIMES_RECORD = [
    {"type": "session_start", "i": 1, "time": 1e300},
    {
        "type": "test_end",
        "i": 2,
        "nodeid": "t.py::test_c",
        "time": -1e300,
        "phases": [{"when": "call", "outcome": "passed", "duration": 0.1}],
    },
    {"type": "session_end", "i": 3, "exitstatus": 0, "time": -1e300},
]
HUGE_TIMES_REPORTLOG = [
    {
        "$report_type": "TestReport",
        "nodeid": "r.py::test_d",
        "when": "call",
        "outcome": "passed",
        "duration": 0.1,
        "start": 1e300,
        "stop": -1e300,
    },
    {
        "$report_type": "TestReport",
        "nodeid": "r.py::test_d",
        "when": "teardown",
        "outcome": "passed",
        "duration": 0.0,
        "start": 1e300,
        "stop": 1e300,
    },
    {"$report_type": "SessionFinish", "exitstatus": 0},
]
HUGE_DURATIONS_RECORD = [
    {"type": "session_start", "i": 1, "time": 1_700_000_000},
    {
        "type": "test_end",
        "i": 2,
        "nodeid": "t.py::test_e",
        "phases": [
            {"when": "setup", "outcome": "passed", "duration": 1e308},
            {"when": "call", "outcome": "passed", "duration": 1e308},
        ],
    },
    {
        "type": "test_end",
        "i": 3,
        "nodeid": "t.py::test_f",
        "phases": [
            {"when": "call", "outcome": "passed", "duration": 1e308},
        ],
    },
    {"type": "session_end", "i": 4, "exitstatus": 0, "time": 1_700_000_002},
]
HUGE_DURATIONS_REPORTLOG = [
    {
        "$report_type": "TestReport",
        "nodeid": "r.py::test_g",
        "when": when,
        "outcome": "passed",
        "duration": 1e308,
    }
    for when in ("setup", "call", "teardown")
] + [{"$report_type": "SessionFinish", "exitstatus": 0}]
HUGE_DURATIONS_JUNIT = (
    '<testsuites><testsuite name="p" time="1e308" timestamp="9999-12-31T23:59:59">'
    '<testcase classname="x.test_h" name="test_one" time="1e308"/>'
    '<testcase classname="x.test_h" name="test_two" time="1e308"/>'
    "</testsuite></testsuites>"
)
SUPERSCRIPT_LINE_JUNIT = (
    '<testsuites><testsuite name="p"><testcase classname="x.test_i" name="test_sq"'
    ' file="x/test_i.py" line="\u00b2" time="0.1"><failure message="m">tb</failure></testcase>'
    '<testcase classname="x.test_i" name="test_big" file="x/test_i.py" line="99999999999999999999"'
    ' time="0.1"/></testsuite></testsuites>'
)
ODD_LONGREPR_REPORTLOG = [
    {
        "$report_type": "TestReport",
        "nodeid": "s.py::test_j",
        "when": "call",
        "outcome": "failed",
        "duration": 0.1,
        "longrepr": {"sections": 1, "reprcrash": {"path": "s.py", "lineno": 1, "message": "m"}},
    },
    {
        "$report_type": "TestReport",
        "nodeid": "s.py::test_j",
        "when": "teardown",
        "outcome": "failed",
        "duration": 0.1,
        "longrepr": {
            "chain": 1,
            "sections": [1, [2], ["a"]],
            "reprtraceback": {"reprentries": [{"data": {"lines": 1, "reprfileloc": 2}}]},
        },
    },
    {
        "$report_type": "TestReport",
        "nodeid": "s.py::test_k",
        "when": "call",
        "outcome": "failed",
        "duration": 0.1,
        "longrepr": {"chain": [[{"reprentries": 5}, None, {"x": 1}]]},
    },
    {"$report_type": "SessionFinish", "exitstatus": 1},
]


def lines(events: list[dict[str, Any]]) -> str:
    """JSON lines as a JSON writer emits them: lone surrogates as `\\udXXX` escapes."""
    return "".join(json.dumps(event) + "\n" for event in events)


HOSTILE = {
    "surrogates.jsonl": lines(SURROGATE_RECORD),
    "surrogates-reportlog.jsonl": lines(SURROGATE_REPORTLOG),
    "huge-times.jsonl": lines(HUGE_TIMES_RECORD),
    "huge-times-reportlog.jsonl": lines(HUGE_TIMES_REPORTLOG),
    "huge-durations.jsonl": lines(HUGE_DURATIONS_RECORD),
    "huge-durations-reportlog.jsonl": lines(HUGE_DURATIONS_REPORTLOG),
    "huge-durations.xml": HUGE_DURATIONS_JUNIT,
    "superscript-line.xml": SUPERSCRIPT_LINE_JUNIT,
    "odd-longrepr-reportlog.jsonl": lines(ODD_LONGREPR_REPORTLOG),
}
GOOD_TEST = "tests/test_shop.py::test_refunds"
"""A test of `support.JUNIT`, the good file given beside each hostile one."""


@pytest.fixture(params=sorted(HOSTILE))
def hostile(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / request.param
    path.write_text(HOSTILE[request.param], encoding="utf-8")
    return path


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.xml"
    path.write_text(JUNIT)
    return path


def no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def strict_json(body: bytes) -> Any:
    """The body as JSON, refusing `Infinity`, `-Infinity` and `NaN` (which are not JSON)."""
    return json.loads(body, parse_constant=no_constant)


def authorized(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


def every_view_answers(client: FlaskClient, run_id: str, pages: tuple[str, ...]) -> dict:
    """Each page 200 and encodable; the run's JSON strict and its numbers finite. Returns it."""
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data()[:500])
        text = response.get_data(as_text=True)
        assert " nan " not in text and "nan min" not in text and "inf s" not in text, path
    assert strict_json(client.get("/api/runs").get_data())["runs"]
    data = strict_json(client.get(f"/api/runs/{run_id}").get_data())
    assert data["id"] == run_id
    return data


def exported(output: Path, *args: str) -> str:
    """`pytest-web export ARGS -o OUTPUT` in-process: it must succeed; the report's text."""
    done = CliRunner().invoke(main, ["export", *args, "-o", str(output)])
    assert done.exit_code == 0, (done.output, done.exception)
    return output.read_text(encoding="utf-8")


def test_view_shows_a_hostile_file_and_the_good_one_beside_it(
    hostile: Path, good: Path, tmp_path: Path
) -> None:
    app = create_app(app_config(tmp_path, read_only=True))
    results = open_results([str(hostile), str(good)])
    assert results.errors == [], results.problems
    read_only.install(app, results)
    data = every_view_answers(authorized(app), "results", ("/", "/runs/results"))
    nodeids = [test["nodeid"] for test in data["tests"]]
    assert GOOD_TEST in nodeids and len(nodeids) > 3
    assert all(0 <= test["duration"] < 1e10 for test in data["tests"])
    assert data["duration"] is None or 0 <= data["duration"] < 1e12


def test_export_writes_a_hostile_file_and_the_good_one_beside_it(
    hostile: Path, good: Path, tmp_path: Path
) -> None:
    html = exported(tmp_path / "report.html", str(hostile), str(good))
    assert "test_refunds" in html and "\ud800" not in html and "\udcff" not in html


def test_open_results_keeps_a_hostile_file_through_a_restart(
    hostile: Path, demo_repo: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    app = create_app(app_config(demo_repo, data_dir=data))
    client = authorized(app)
    with open(hostile, "rb") as handle:
        answer = client.post("/api/results", data={"file": (handle, hostile.name)})
    assert answer.status_code == 201, answer.get_data()
    run_id = strict_json(answer.get_data())["id"]
    pages = ("/", "/runs", f"/runs/{run_id}")
    before = every_view_answers(client, run_id, pages)
    close_history(app)

    restarted = create_app(app_config(demo_repo, data_dir=data))  # `/` opens on the newest run
    after = every_view_answers(authorized(restarted), run_id, pages)
    assert after["counts"] == before["counts"] and after["tests"] == before["tests"]
    close_history(restarted)
    html = exported(
        tmp_path / "report.html", "--run", "last", "--repo", str(demo_repo), "--data", str(data)
    )
    assert run_id in html


def test_the_runners_read_back_of_its_record_is_repaired(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(lines(SURROGATE_RECORD + HUGE_TIMES_RECORD + HUGE_DURATIONS_RECORD))
    events = read_record(str(path))
    text = json.dumps(events, allow_nan=False)  # finite numbers only
    assert "\\ud800" not in text and "\\udcff" not in text and "\\ufffd" in text
    assert all(e.get("time") is None or 0 <= e["time"] < 1e12 for e in events)


def test_a_history_kept_before_the_door_still_opens(demo_repo: Path, tmp_path: Path) -> None:
    """Runs an older pytest-web kept with these values unrepaired: `/` opens on the newest."""
    data = tmp_path / "data"
    history = History.for_repo(data, demo_repo)
    events: list[Any] = [
        {
            "type": "run_created",
            "kind": "results",
            "selection": {"files": ["r\udcff.xml"]},
            "command": ["pytest-web", "view", "r\udcff.xml"],
            "time": 1e300,
        },
        *SURROGATE_RECORD[:-1],
        *({**event, "i": event["i"] + 4} for event in HUGE_DURATIONS_RECORD[1:3]),
        {"type": "session_end", "i": 9, "exitstatus": 1, "time": 1e300},
        {"type": "output", "text": "out\ud800"},
        {"type": "run_exit", "returncode": None, "time": float("inf")},
    ]
    state = RunState("results-old")
    for event in events:
        state.apply(event)
    history.record(state, events)  # straight in, as before the door
    history.db.close()
    app = create_app(app_config(demo_repo, data_dir=data))
    data_ = every_view_answers(authorized(app), "results-old", ("/", "/runs", "/runs/results-old"))
    assert {t["nodeid"] for t in data_["tests"]} >= {"t.py::test_a[\ufffd]", "t.py::test_e"}
    close_history(app)
