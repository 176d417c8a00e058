"""What a test's detail shows, decided here so templates only print it: why it was skipped or
expected to fail, in words; its traceback as pytest coloured it (ANSI turned into escaped HTML by
ansi2html), each line marked for what it is (the failing source line, the error lines), and a
long traceback folded to the test's own frames with the others one click away."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ansi2html import Ansi2HTMLConverter
from markupsafe import Markup, escape

from pytest_web.core.output import ESCAPE, joined_styles, plain
from pytest_web.core.test_record import TestResult
from pytest_web.web.editor import rerun_command

SPAN = re.compile(r'<span class="[^"]*">|</span>')
SEPARATOR = re.compile(r"^_( _)+ ?$")
WORKER_LINE = re.compile(r"^\[gw\d+\] .* -- Python \S+")
LOCATION = re.compile(r"^(\S.*?):(\d+):( |$)")
NATIVE_LOCATION = re.compile(r'^\s*File "([^"]+)", line (\d+)')
"""A frame of Python's own traceback (`--tb=native`)."""
CHAINED = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)


def to_html(text: str) -> Markup:
    """Terminal text as escaped HTML, its colours as `ansiNN` classes (see app.css)."""
    if ESCAPE not in text:
        return escape(text)
    converter = Ansi2HTMLConverter(inline=False, escaped=True, linkify=False)
    html = converter.convert(joined_styles(text), full=False)
    return Markup(html)  # noqa: S704 - ansi2html escapes the text itself (escaped=True)


def html_lines(text: str) -> list[Markup]:
    """`to_html(text)` a line at a time, each line's spans closed at its end and opened again on
    the next, so every line can be wrapped in an element of its own."""
    lines = []
    carried: list[str] = []
    for line in str(to_html(text)).split("\n"):
        start = "".join(carried)
        for tag in SPAN.findall(line):
            if tag == "</span>":
                if carried:
                    carried.pop()
            else:
                carried.append(tag)
        lines.append(Markup(start + line + "</span>" * len(carried)))  # noqa: S704 - escaped
    return lines


def line_kind(line: str) -> str:
    """What a traceback line is, by pytest's marks: the failing source line (`>`), an error
    line (`E`), a frame's location (`path:line:`), a separator between frames, or plain."""
    if line.startswith(">"):
        return "fail-line"
    if line.startswith("E ") or line == "E":
        return "err"
    if SEPARATOR.match(line):
        return "sep"
    if LOCATION.match(line) or NATIVE_LOCATION.match(line):
        return "loc"
    if line in CHAINED:
        return "chain"
    return ""


Line = tuple[str, Markup, tuple[str, str] | None]
"""A traceback line: its kind (`line_kind`), its HTML, and the file and line it names."""


def location(line: str) -> tuple[str, str] | None:
    """The file and line a frame's location line names (`path:12: in f`, `File "path", line
    12`), for an "open in editor" link."""
    found = LOCATION.match(line) or NATIVE_LOCATION.match(line)
    return (found.group(1), found.group(2)) if found else None


@dataclass
class Block:
    """Consecutive traceback lines, shown (`folded` false) or one click away."""

    lines: list[Line] = field(default_factory=list)
    folded: bool = False
    frames: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        plural = "" if self.frames == 1 else "s"
        return f"{self.frames} more frame{plural} in {', '.join(self.files)}"


@dataclass
class Frame:
    """Lines of a traceback between two separators: one long-style entry, a run of short-style
    ones (pytest prints frames outside the test's own files so), or the words between two
    chained exceptions; with the files its locations name."""

    lines: list[Line] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    chain: bool = False
    shown: bool = False


def is_own(path: str, test_file: str) -> bool:
    """Whether a frame's file is the test's own (paths may be relative to another folder)."""
    if not path or not test_file:
        return False
    return path == test_file or path.endswith("/" + test_file) or test_file.endswith("/" + path)


def traceback(text: str, test_file: str) -> list[Block]:
    """A traceback in blocks: the test's own frames, the frame that raised (the last of each
    chained exception) and the lines between exceptions shown; runs of other frames folded."""
    frames = [Frame()]
    for raw, html in zip(plain(text).split("\n"), html_lines(text), strict=True):
        kind = line_kind(raw)
        if kind == "chain":
            frames += [Frame([(kind, html, None)], chain=True), Frame()]
            continue
        frame = frames[-1]
        where = location(raw) if kind == "loc" else None
        frame.lines.append((kind, html, where))
        if where is not None:
            frame.files.append(where[0])
        if kind == "sep":
            frames.append(Frame())
    frames = [f for f in frames if f.lines]
    for index, frame in enumerate(frames):
        raised = index + 1 == len(frames) or frames[index + 1].chain
        own = any(is_own(path, test_file) for path in frame.files)
        frame.shown = frame.chain or raised or own or not frame.files
    return blocks_of(frames)


def blocks_of(frames: list[Frame]) -> list[Block]:
    blocks: list[Block] = []
    for frame in frames:
        if not blocks or blocks[-1].folded != (not frame.shown):
            blocks.append(Block(folded=not frame.shown))
        block = blocks[-1]
        block.lines += frame.lines
        if block.folded:
            block.frames += len(frame.files)
            block.files += [f for f in dict.fromkeys(frame.files) if f not in block.files]
    return blocks


def reason(test: TestResult) -> str:
    """Why the test was skipped, or expected to fail, in words ('' when neither)."""
    for phase in test.phases:
        if "wasxfail" in phase:
            why = str(phase["wasxfail"]).removeprefix("reason: ").strip()
            if test.outcome == "xpassed":
                return "Expected to fail, but passed" + (f": {why}" if why else "")
            return "Expected to fail" + (f": {why}" if why else "")
    if test.outcome != "skipped":
        return ""
    for phase in test.phases:
        if phase.get("outcome") == "skipped" and phase.get("longrepr"):
            return skip_words(str(phase["longrepr"]))
    return "Skipped"


def skip_words(longrepr: str) -> str:
    """pytest's skip report is a tuple, `('path', line, 'Skipped: why')`: its words."""
    text = plain(longrepr).strip()
    if text.startswith("(") and text.endswith(")"):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        if isinstance(value, tuple) and len(value) == 3 and isinstance(value[2], str):
            return value[2]
    return text


def trace_text(test: TestResult) -> str:
    """The traceback to show: none for a skip (its report is only where and why, said in
    words by `reason`), and without the line xdist puts first (the worker is in the facts)."""
    if test.outcome == "skipped":
        return ""
    return without_worker_line(test.longrepr)


def without_worker_line(text: str) -> str:
    """`text` without xdist's first line (`[gw0] linux -- Python 3.12.1 /usr/bin/python`)."""
    first, _, rest = text.partition("\n")
    return rest.lstrip("\n") if WORKER_LINE.match(plain(first)) else text


def rerun_line(nodeid: str, selection: Mapping[str, Any]) -> str:
    """The command that reruns one test in a terminal, with the options its run had."""
    options = selection.get("options") or []
    return rerun_command(nodeid, [str(option) for option in options])


def waiting(test: TestResult) -> str:
    """What the detail of a test without a result says."""
    if test.outcome == "running":
        return "Running…"
    if test.outcome == "queued":
        return "Queued."
    if test.index < 0:
        return "Not in this run: the tests that ran are marked in the tree."
    return "Not run yet." if test.outcome == "" else "Not run."
