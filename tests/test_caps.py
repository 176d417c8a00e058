"""Caps on what result files may hold: a 2 MB `.xz` expanded to 5.5 million tests (199 MB, under
the size cap), which took `export` 2.5 minutes and 10 GB, and held the server's one worker until
gunicorn killed it. Tests and events (JSON lines, XML elements) are capped per file and per
request (one upload, or one `view`/`export` command): a file over a cap stops being read at the
cap and is refused by name, the others still open; an upload over a cap is a 413 that says which.
"""

from __future__ import annotations

import io
import json
import lzma
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from pytest_web.cli import main
from pytest_web.results import source
from pytest_web.results.merge import open_results
from pytest_web.results.read import read_file
from pytest_web.results.source import CapError

CASE = '<testcase classname="tests.test_{f}" name="test_{n}" time="0.001"/>'


def junit(tests: int, prefix: str = "a", extra: str = "") -> str:
    cases = "".join(CASE.format(f=prefix, n=n) for n in range(tests))
    return f'<testsuites><testsuite name="p">{extra}{cases}</testsuite></testsuites>'


def record(tests: int) -> str:
    lines = [{"type": "session_start", "i": 1}]
    lines += [
        {"type": "test_end", "i": n + 2, "nodeid": f"t.py::test_{n}", "phases": []}
        for n in range(tests)
    ]
    return "".join(json.dumps(line) + "\n" for line in lines)


def reportlog(tests: int) -> str:
    lines = [
        {
            "$report_type": "TestReport",
            "nodeid": f"r.py::test_{n}",
            "when": when,
            "outcome": "passed",
            "duration": 0.0,
        }
        for n in range(tests)
        for when in ("setup", "call", "teardown")
    ]
    return "".join(json.dumps(line) + "\n" for line in lines)


@pytest.fixture
def small_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Caps of 100 tests and 1,000 events per file, 150 and 1,500 per request."""
    monkeypatch.setattr(source, "MAX_TESTS_PER_FILE", 100)
    monkeypatch.setattr(source, "MAX_EVENTS_PER_FILE", 1000)
    monkeypatch.setattr(source, "MAX_TESTS_PER_REQUEST", 150)
    monkeypatch.setattr(source, "MAX_EVENTS_PER_REQUEST", 1500)


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("make", "name"), [(junit, "junit.xml"), (record, "run.jsonl"), (reportlog, "log.jsonl")]
)
def test_a_file_over_the_tests_cap_is_refused_at_the_cap(
    tmp_path: Path, small_caps: None, make, name: str
) -> None:
    assert len(read_file(write(tmp_path / "ok", make(100))).events) >= 100
    path = write(tmp_path / name, make(101))
    with pytest.raises(CapError) as caught:
        read_file(path)
    assert caught.value.reason == "more than 100 tests in one file"
    assert caught.value.path == path and not caught.value.per_request


def test_a_file_over_the_events_cap_is_refused(tmp_path: Path, small_caps: None) -> None:
    properties = "<properties>" + '<property name="x" value="y"/>' * 1000 + "</properties>"
    path = write(tmp_path / "props.xml", junit(1, extra=properties))
    with pytest.raises(CapError, match="more than 1,000 events"):
        read_file(path)


def test_files_past_the_request_cap_are_refused_and_those_before_open(
    tmp_path: Path, small_caps: None
) -> None:
    """What a refused file read counts too: the cap bounds the work, not only what is kept."""
    first = write(tmp_path / "a.xml", junit(90, "a"))
    second = write(tmp_path / "b.xml", junit(90, "b"))
    small = write(tmp_path / "c.xml", junit(10, "c"))
    results = open_results([first, second, small])
    assert [f.path for f in results.files] == [first]
    assert results.problems == [
        f"refused {path}: more than 150 tests in all the files together" for path in (second, small)
    ]
    assert len(results.state.tests) == 90


def test_export_refuses_the_file_over_a_cap_and_writes_the_others(
    tmp_path: Path, small_caps: None
) -> None:
    big = write(tmp_path / "big.xml", junit(500, "big"))
    good = write(tmp_path / "good.xml", junit(3, "good"))
    output = tmp_path / "report.html"
    done = CliRunner().invoke(main, ["export", big, good, "-o", str(output)])
    assert done.exit_code == 0, done.output
    assert f"refused {big}: more than 100 tests in one file" in done.output
    assert "test_2" in output.read_text()


def upload(client: FlaskClient, *files: tuple[str, str]):
    data = {"file": [(io.BytesIO(text.encode()), name) for name, text in files]}
    return client.post("/api/results", data=data)


def test_an_upload_over_a_files_cap_is_413_naming_the_cap(
    client: FlaskClient, small_caps: None
) -> None:
    response = upload(client, ("big.xml", junit(101)))
    assert response.status_code == 413
    assert response.json["error"] == (
        "over what one request may open:\nrefused big.xml: more than 100 tests in one file"
    )


def test_an_upload_over_the_requests_cap_is_413_and_opens_nothing(
    client: FlaskClient, small_caps: None
) -> None:
    response = upload(client, ("a.xml", junit(90, "a")), ("b.xml", junit(90, "b")))
    assert response.status_code == 413
    assert "refused b.xml: more than 150 tests in all the files together" in response.json["error"]
    assert client.get("/api/runs").json["runs"] == []


def test_a_file_over_its_cap_beside_good_ones_is_named_and_the_rest_open(
    client: FlaskClient, small_caps: None
) -> None:
    response = upload(client, ("big.xml", junit(101, "big")), ("good.xml", junit(2, "good")))
    assert response.status_code == 201
    assert response.json["problems"] == ["refused big.xml: more than 100 tests in one file"]
    assert sum(response.json["counts"].values()) == 2


@pytest.mark.slow
def test_a_small_xz_of_millions_of_tests_stops_at_the_cap_in_seconds(tmp_path: Path) -> None:
    """The issue's file, for real: a 2 MB `.xz` of 5.5 million tests."""
    path = tmp_path / "bomb.xml.xz"
    chunk = lzma.compress("".join(CASE.format(f="a", n=n) for n in range(10_000)).encode())
    with open(path, "wb") as handle:  # xz streams, one after the other, are one file
        handle.write(lzma.compress(b'<testsuites><testsuite name="p">'))
        handle.write(chunk * 550)
        handle.write(lzma.compress(b"</testsuite></testsuites>"))
    assert path.stat().st_size < 3 * 1024**2
    probe = (
        "import resource, sys, time\n"
        "from pytest_web.results.read import read_file\n"
        "from pytest_web.results.source import CapError\n"
        "start = time.perf_counter()\n"
        "try:\n    read_file(sys.argv[1])\nexcept CapError as error:\n    print(error.reason)\n"
        "print(time.perf_counter() - start)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=300
    )
    reason, took, peak = done.stdout.splitlines()
    assert reason == "more than 1,000,000 tests in one file", done.stderr
    assert float(took) < 60, f"{float(took):.1f} s"
    assert int(peak) < 2 * 1024**3, f"{int(peak) / 2**20:.0f} MB"
