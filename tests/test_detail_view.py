"""A test's detail as plain functions: reasons in words, tracebacks as pytest coloured them (ANSI
to escaped HTML by ansi2html), marked line by line, and folded to the test's own frames."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from pytest_web.core.output import joined_styles, plain
from pytest_web.core.test_record import TestResult as Result
from pytest_web.web.detail_view import (
    html_lines,
    line_kind,
    reason,
    skip_words,
    to_html,
    trace_text,
    traceback,
    waiting,
)

SEP = "_ " * 30  # pytest ends a separator with a space
DEEP = "\n".join(
    [
        "def test_load():",
        '>       load("{")',
        "",
        "tests/test_cfg.py:5: ",  # pytest ends a frame's location with a space
        SEP,
        "",
        "    def load(text):",
        ">       return json.loads(text)",
        "",
        "src/cfg.py:9: ",
        SEP,
        "",
        "s = '{'",
        ">   return _default_decoder.decode(s)",
        "",
        "/usr/lib/python3.11/json/__init__.py:346: ",
        SEP,
        "",
        '>   raise JSONDecodeError("Expecting value", s, 0)',
        "E   json.decoder.JSONDecodeError: Expecting value",
        "",
        "/usr/lib/python3.11/json/decoder.py:355: JSONDecodeError",
    ]
)


def test_colours_become_escaped_html() -> None:
    html = to_html("\x1b[31m<b>red</b>\x1b[0m & plain")
    assert isinstance(html, Markup)
    assert html == '<span class="ansi31">&lt;b&gt;red&lt;/b&gt;</span> &amp; plain'
    assert to_html("<no colour>") == "&lt;no colour&gt;"


def test_each_line_closes_the_colours_it_opened() -> None:
    lines = html_lines("\x1b[1m\x1b[31mone\ntwo\x1b[0m three")
    assert len(lines) == 2
    assert lines[0].endswith("one</span></span>") or lines[0].endswith("one</span>")
    assert lines[1].startswith('<span class="ansi1 ansi31">two</span>')
    assert all(line.count("<span") == line.count("</span>") for line in lines)


def test_lines_are_marked_as_pytest_marks_them() -> None:
    assert line_kind(">       assert x == 1") == "fail-line"
    assert line_kind("E       assert 2 == 1") == line_kind("E") == "err"
    assert line_kind(SEP) == "sep"
    assert line_kind("tests/test_a.py:12: AssertionError") == line_kind("src/x.py:9: ") == "loc"
    assert line_kind("    x = 1") == ""


def test_a_long_traceback_folds_to_the_tests_own_frames_and_the_one_that_raised() -> None:
    blocks = traceback(DEEP, "tests/test_cfg.py")
    assert [(b.folded, b.frames) for b in blocks] == [(False, 0), (True, 2), (False, 0)]
    assert blocks[1].files == ["src/cfg.py", "/usr/lib/python3.11/json/__init__.py"]
    assert blocks[1].summary.startswith("2 more frames in src/cfg.py")
    shown = [kind for block in blocks if not block.folded for kind, _, _ in block.lines]
    assert "fail-line" in shown and "err" in shown  # the test's line and the error stay in view
    assert "".join(str(h) for b in blocks for _, h, _ in b.lines).count("\n") == 0


def test_a_short_traceback_is_not_folded() -> None:
    text = "def test_x():\n>   assert 1 == 2\nE   assert 1 == 2\n\ntests/t.py:2: AssertionError"
    assert [b.folded for b in traceback(text, "tests/t.py")] == [False]


def test_chained_exceptions_keep_each_raising_frame() -> None:
    text = (
        f"def test_x():\n>   f()\n\ntests/t.py:3:\n{SEP}\n\n>   raise KeyError\nE   KeyError\n\n"
        "lib.py:1: KeyError\n\nThe above exception was the direct cause of the following exception:"
        f"\n\n>   g()\n\nother.py:4:\n{SEP}\n\n>   raise ValueError\nE   ValueError\n\n"
        "more.py:2: ValueError"
    )
    blocks = traceback(text, "tests/t.py")
    assert [b.folded for b in blocks] == [False, True, False]
    assert blocks[1].files == ["other.py"]


def phase(outcome: str, **extra: object) -> dict[str, object]:
    return {"when": "call", "outcome": outcome, "duration": 0.0, **extra}


def test_reasons_in_words() -> None:
    tuple_text = "('/repo/tests/test_outcomes.py', 43, 'Skipped: not on this platform')"
    skipped = Result("t", 0, "skipped", phases=[phase("skipped", longrepr=tuple_text)])
    assert reason(skipped) == "Skipped: not on this platform"
    assert trace_text(skipped) == ""  # the tuple is not shown as a traceback
    xfailed = Result("t", 0, "xfailed", phases=[phase("skipped", wasxfail="known bug #12")])
    assert reason(xfailed) == "Expected to fail: known bug #12"
    xpassed = Result("t", 0, "xpassed", phases=[phase("passed", wasxfail="reason: maybe")])
    assert reason(xpassed) == "Expected to fail, but passed: maybe"
    assert reason(Result("t", 0, "xfailed", phases=[phase("skipped", wasxfail="")])) == (
        "Expected to fail"
    )
    assert reason(Result("t", 0, "passed", phases=[phase("passed")])) == ""
    assert skip_words("Skipped: plain words") == "Skipped: plain words"
    assert skip_words("('broken', ") == "('broken',"


def test_a_test_without_a_result_says_why() -> None:
    assert waiting(Result("t", 0, "running")) == "Running…"
    assert waiting(Result("t", 0, "queued")) == "Queued."
    assert waiting(Result("t", -3, "")).startswith("Not in this run")
    assert waiting(Result("t", 2, "")) == "Not run yet."
    assert waiting(Result("t", 2, "notrun")) == "Not run."


def test_xdists_worker_line_is_left_to_the_facts() -> None:
    text = "[gw1] linux -- Python 3.11.7 /venv/bin/python\n\ndef test_x():\n>   assert 0"
    failed = Result("t", 0, "failed", phases=[phase("failed", longrepr=text)])
    assert trace_text(failed) == "def test_x():\n>   assert 0"
    only = Result("t", 0, "xpassed", phases=[phase("passed", longrepr=text.split("\n")[0])])
    assert trace_text(only) == ""


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("\x1b[32m.\x1b[0m\x1b[32m.\x1b[0m\x1b[32m. [ 9%]\x1b[0m\n", "\x1b[32m... [ 9%]\x1b[0m\n"),
        ("\x1b[32m\x1b[1mA\x1b[0m\x1b[32m\x1b[1mB\x1b[0m", "\x1b[32m\x1b[1mAB\x1b[0m"),
        ("\x1b[32m\x1b[1m.\x1b[0m\x1b[32m.\x1b[0m", "\x1b[32m\x1b[1m.\x1b[0m\x1b[32m.\x1b[0m"),
        ("\x1b[31mF\x1b[0m\x1b[32m.\x1b[m\x1b[32m.\x1b[0m", "\x1b[31mF\x1b[0m\x1b[32m..\x1b[0m"),
        ("\x1b[32m.\x1b[0m x\x1b[32m.\x1b[0m", "\x1b[32m.\x1b[0m x\x1b[32m.\x1b[0m"),
        ("no colour", "no colour"),
    ],
)
def test_a_style_started_again_at_once_is_joined(text: str, joined: str) -> None:
    """pytest colours each progress dot alone: a 100,000-test run's output was 100,000 spans."""
    assert joined_styles(text) == joined and plain(joined) == plain(text)


def test_a_line_of_dots_is_one_element() -> None:
    dots = "\x1b[32m.\x1b[0m" * 1000 + "\x1b[32m [ 1%]\x1b[0m\n"
    assert to_html(dots) == f'<span class="ansi32">{"." * 1000} [ 1%]</span>\n'
