"""Hostile result files: CI artifacts are written by the code under test, so a pull request
controls what its junit.xml, report log or recording holds. Entity bombs and external entities
or DTDs, deep nesting, huge or endless text, odd encodings, files cut off mid-way, absurd
numbers, structures where text belongs, archives, decompression bombs, devices, pipes and odd
file names: each is refused with a message that names the file and the reason, or read safely;
never a hang, never unbounded memory, and the other files still open.

Artifact-folder paths and chunked uploads, which concern the live server, are in
tests/test_open_results.py.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import tarfile
import threading
import zipfile
import zlib
from pathlib import Path

import pytest

from pytest_web.core.clean import TEXT_CAP
from pytest_web.results import ResultFileError, open_results, read_file
from pytest_web.results.source import MAX_FILE_BYTES, MAX_LINE_BYTES

HANG = 60  # seconds: far above any honest refusal; a hang fails instead of blocking the suite

CASE = '<testcase classname="tests.test_a" name="test_{n}" time="0.1"/>'
GOOD_XML = f'<testsuites><testsuite name="pytest">{CASE.format(n=1)}</testsuite></testsuites>'


def within_time(function, *args):
    """Call `function` in a thread; fail if it takes longer than HANG seconds."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = function(*args)
        except BaseException as error:  # noqa: BLE001 (handed back to the test)
            box["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG)
    assert not thread.is_alive(), f"{function.__name__}{args} still running after {HANG} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def refused(path: Path, *words: str) -> str:
    with pytest.raises(ResultFileError) as caught:
        within_time(read_file, str(path))
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    for word in words:
        assert word.lower() in message.lower(), message
    return message


def xml(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    + "]><testsuites><testsuite>&lol9;</testsuite></testsuites>"
).replace("&lol0;", "&lol;")


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    refused(xml(tmp_path, "laughs.xml", LAUGHS), "refused XML", "DTD")


def test_quadratic_blowup_is_refused(tmp_path: Path) -> None:
    big = "x" * 100_000
    text = f'<!DOCTYPE t [<!ENTITY a "{big}">]><testsuite>{"&a;" * 10_000}</testsuite>'
    refused(xml(tmp_path, "quadratic.xml", text), "refused XML")


def test_external_entity_is_refused_unread(tmp_path: Path) -> None:
    text = '<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><testsuite>&x;</testsuite>'
    message = refused(xml(tmp_path, "xxe.xml", text), "refused XML")
    assert "root:" not in message


def test_external_dtd_is_refused(tmp_path: Path) -> None:
    text = '<!DOCTYPE testsuite SYSTEM "http://127.0.0.1:9/junit.dtd"><testsuite/>'
    refused(xml(tmp_path, "dtd.xml", text), "refused XML", "DTD")


def test_nested_100000_deep_is_refused(tmp_path: Path) -> None:
    text = "<testsuites>" + "<testsuite>" * 100_000 + "</testsuite>" * 100_000 + "</testsuites>"
    refused(xml(tmp_path, "deep.xml", text), "nested deeper than")


def test_one_gigabyte_system_out_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with open(path, "wb") as handle:  # sparse: costs no disk and is never read
        handle.write(b'<testsuite><testcase classname="a" name="t"><system-out>')
        handle.seek(1024**3)
        handle.write(b"</system-out></testcase></testsuite>")
    refused(path, f"larger than {MAX_FILE_BYTES // 2**20} MB")


def test_big_system_out_within_the_cap_is_cut(tmp_path: Path) -> None:
    out = "y" * (TEXT_CAP * 3)
    text = f'<testsuite><testcase classname="a" name="t"><system-out>{out}</system-out></testcase></testsuite>'  # noqa: E501
    state = within_time(open_results, [str(xml(tmp_path, "big.xml", text))]).state
    ((title, kept),) = state.tests["a.py::t"].sections
    assert title == "system-out" and TEXT_CAP <= len(kept) < TEXT_CAP + 200
    assert "more characters not shown" in kept


def test_invalid_xml_characters_are_refused_with_the_line(tmp_path: Path) -> None:
    text = '<testsuite><testcase classname="a" name="t\x01"/></testsuite>'
    refused(xml(tmp_path, "control.xml", text), "not well-formed XML", "line 1")


def test_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = xml(tmp_path, "bom.xml", b"\xef\xbb\xbf" + GOOD_XML.encode())
    assert within_time(open_results, [str(path)]).state.summary()["passed"] == 1


def test_utf16_is_read(tmp_path: Path) -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?>' + GOOD_XML
    path = xml(tmp_path, "utf16.xml", text.encode("utf-16"))
    assert within_time(open_results, [str(path)]).state.summary()["passed"] == 1


def test_file_cut_off_mid_way_is_refused(tmp_path: Path) -> None:
    text = GOOD_XML.replace("</testsuite></testsuites>", CASE.format(n=2)[:30])
    refused(xml(tmp_path, "cut.xml", text), "not well-formed XML")


def test_nan_time_negative_counts_nested_suites_several_results_are_read_safely(
    tmp_path: Path,
) -> None:
    text = (
        '<testsuites tests="-1"><testsuite name="outer" tests="-1" time="NaN">'
        '<testsuite name="inner"><testcase classname="tests.test_a" name="test_nan" time="NaN"/>'
        "</testsuite>"
        '<testcase classname="tests.test_a" name="test_two" time="inf">'
        '<failure message="first">one</failure><skipped message="second"/></testcase>'
        '<testcase classname="tests.test_a" name="test_again" time="-5"/>'
        '<testcase classname="tests.test_a" name="test_again" time="1e999"><failure/></testcase>'
        "</testsuite></testsuites>"
    )
    state = within_time(open_results, [str(xml(tmp_path, "odd.xml", text))]).state
    tests = state.tests
    assert tests["tests/test_a.py::test_nan"].outcome == "passed"
    assert tests["tests/test_a.py::test_nan"].duration == 0.0
    assert tests["tests/test_a.py::test_two"].outcome == "failed"  # the first result counts
    again = tests["tests/test_a.py::test_again"]
    assert [a.outcome for a in again.attempts] == ["passed", "failed"] and again.flaky
    assert all(math.isfinite(t.duration) for t in tests.values())


def test_one_test_repeated_100000_times_is_read_without_hanging(tmp_path: Path) -> None:
    case = '<testcase classname="tests.test_a" name="test_same" time="0.1"/>'
    fail = '<testcase classname="tests.test_a" name="test_same"><failure/></testcase>'
    text = f"<testsuite>{case * 100_000}{fail}{case}</testsuite>"
    state = within_time(open_results, [str(xml(tmp_path, "repeated.xml", text))]).state
    same = state.tests["tests/test_a.py::test_same"]
    assert len(same.attempts) == 100_002 and same.outcome == "passed"
    assert same.flaky and state.flaky_count == 1 and state.summary()["passed"] == 1


def jsonl(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return path


START = '{"type": "session_start", "i": 1}'


def test_nan_infinity_and_duplicate_keys_are_read_safely(tmp_path: Path) -> None:
    end = (
        '{"type": "test_end", "nodeid": "t.py::a", "nodeid": "t.py::b", "i": 2,'
        ' "phases": [{"when": "call", "outcome": "passed", "duration": NaN},'
        ' {"when": "teardown", "outcome": "passed", "duration": -Infinity}]}'
    )
    state = within_time(open_results, [str(jsonl(tmp_path, "nan.jsonl", START, end))]).state
    assert list(state.tests) == ["t.py::b"] and state.tests["t.py::b"].duration == 0.0


def test_five_thousand_digit_integer_is_refused(tmp_path: Path) -> None:
    end = '{"type": "test_end", "nodeid": "t.py::a", "i": ' + "9" * 5000 + "}"
    refused(jsonl(tmp_path, "digits.jsonl", START, end, START), "line 2", "not JSON")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    deep = '{"type": "test_end", "nodeid": ' + "[" * 100_000 + "]" * 100_000 + "}"
    refused(jsonl(tmp_path, "deep.jsonl", START, deep, START), "line 2", "nested too deeply")


def test_a_line_over_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    with open(path, "wb") as handle:  # sparse, and only the cap and a byte are ever read
        handle.write(START.encode() + b'\n{"type": "output", "text": "')
        handle.seek(MAX_LINE_BYTES + 2**20)
        handle.write(b'"}\n')
    refused(path, "line 2", f"longer than {MAX_LINE_BYTES // 2**20} MB")


def test_structures_where_text_belongs_are_dropped(tmp_path: Path) -> None:
    lines = (
        START,
        '{"type": "test_end", "nodeid": {"a": [1, 2]}, "i": 2}',
        '{"type": "test_end", "nodeid": "t.py::x", "i": 3, "worker": [1], "location": {},'
        ' "phases": [{"when": ["call"], "outcome": "failed", "longrepr": {"deep": [[[]]]},'
        ' "sections": [[1, 2], "x", ["t", {"no": 1}], ["Captured", "ok"]]}, 5, null]}',
    )
    state = within_time(open_results, [str(jsonl(tmp_path, "shapes.jsonl", *lines))]).state
    test = state.tests["t.py::x"]
    assert list(state.tests) == ["t.py::x"] and test.worker is None
    assert test.phases == [
        {
            "when": "",
            "outcome": "failed",
            "duration": 0.0,
            "sections": [["1", "2"], ["Captured", "ok"]],
        }
    ]


def test_json_lines_with_a_bom_are_read_and_utf16_is_refused(tmp_path: Path) -> None:
    end = '{"type": "test_end", "nodeid": "t.py::a", "i": 2, "phases": []}'
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + f"{START}\n{end}\n".encode())
    assert list(within_time(open_results, [str(path)]).state.tests) == ["t.py::a"]
    utf16 = tmp_path / "utf16.jsonl"
    utf16.write_bytes(f"{START}\n{end}\n".encode("utf-16"))
    refused(utf16, "UTF-16")


def test_cut_off_last_line_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = jsonl(tmp_path, "crash.jsonl", START, '{"type": "test_start", "nodeid": "t.py::a"}')
    path.write_text(path.read_text() + '{"type": "test_end", "nodeid": "t.py::a", "pha')
    results = within_time(open_results, [str(path)])
    assert results.state.status == "crashed"
    assert results.state.tests["t.py::a"].outcome == "failed"  # it was running when pytest died
    assert any("cut off" in line and str(path) in line for line in results.problems)


def test_zip_and_tar_archives_are_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "results.zip", "w") as archive:
        archive.writestr("../../etc/junit.xml", GOOD_XML)
    refused(tmp_path / "results.zip", "an archive")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("/abs/junit.xml")
        info.size = len(GOOD_XML)
        archive.addfile(info, io.BytesIO(GOOD_XML.encode()))
    (tmp_path / "results.tar.gz").write_bytes(gzip.compress(buffer.getvalue()))
    refused(tmp_path / "results.tar.gz", "an archive")


def test_gzip_bomb_stops_at_the_cap(tmp_path: Path) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"<testsuite>" + b" " * (1024**2 - 11)
    parts = [compressor.compress(block)]
    zeros = b" " * 1024**2
    parts += [compressor.compress(zeros) for _ in range(MAX_FILE_BYTES // 1024**2 + 10)]
    parts.append(compressor.flush())
    path = tmp_path / "bomb.xml.gz"
    path.write_bytes(b"".join(parts))
    assert path.stat().st_size < 2 * 1024**2
    refused(path, "once decompressed")


def test_devices_pipes_and_symlinks_to_them_are_refused(tmp_path: Path) -> None:
    refused(Path("/dev/zero"), "not a regular file")
    (tmp_path / "link.xml").symlink_to("/dev/urandom")
    refused(tmp_path / "link.xml", "not a regular file")
    os.mkfifo(tmp_path / "pipe.xml")  # opening it would block for ever
    refused(tmp_path / "pipe.xml", "not a regular file")
    refused(tmp_path, "a folder")


def test_odd_file_names_are_taken_literally(tmp_path: Path) -> None:
    refused(Path("nul\0.xml"), "cannot open")
    refused(tmp_path / "%2e%2e" / "junit.xml", "cannot open", "no such file")
    xml(tmp_path, "CON", GOOD_XML)
    assert within_time(open_results, [str(tmp_path / "CON")]).state.summary()["passed"] == 1


def test_other_files_still_open_next_to_every_hostile_one(tmp_path: Path) -> None:
    good = xml(tmp_path, "good.xml", GOOD_XML)
    bad = [
        xml(tmp_path, "laughs.xml", LAUGHS),
        xml(tmp_path, "empty.xml", ""),
        xml(tmp_path, "text.txt", "hello\n"),
        jsonl(tmp_path, "other.jsonl", '{"some": "json"}'),
        xml(tmp_path, "html.xml", "<html><body/></html>"),
        Path("/dev/zero"),
        tmp_path / "missing.xml",
    ]
    results = within_time(open_results, [str(p) for p in [bad[0], good, *bad[1:]]])
    assert list(results.state.tests) == ["tests/test_a.py::test_1"]
    assert [e.path for e in results.errors] == [str(p) for p in bad]
    reasons = [e.reason for e in results.errors]
    assert reasons[1] == "the file is empty"
    assert reasons[2].startswith("not a result file")
    assert reasons[3] == "JSON lines, but neither pytest-reportlog nor a recording"
    assert reasons[4] == "XML, but not JUnit (root element <html>)"
    assert all(line.startswith("refused ") for line in results.problems)
