"""JSON lines, one bounded line at a time: shared by recordings and pytest-reportlog files.

Lines are parsed a batch at a time, as one JSON array (a call per line cost a third of reading
a million-test recording); a batch that does not parse is read again line by line, to name the
line at fault.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pytest_web.results.source import MAX_LINE_BYTES, ResultFile, ResultFileError

BATCH_LINES = 1000
BATCH_BYTES = 4 * 1024 * 1024


def json_lines(stream: Any, result: ResultFile) -> Iterator[dict[str, Any]]:
    """Each line's object. A cut-off last line (a run killed mid-write) is dropped with a
    warning; any other bad line refuses the file."""
    number = 0  # the file's line number of the last line read
    count = result.tally.event
    batch: list[bytes] = []
    size = 0
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line or line.startswith(b"\0"):  # the end, or a spool's unwritten end
            yield from _parsed(batch, number, stream, result, last=True)
            return
        number += 1
        count()
        if len(line) > MAX_LINE_BYTES:
            limit = MAX_LINE_BYTES // 2**20
            raise ResultFileError(result.path, f"line {number} is longer than {limit} MB")
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if line.isspace():
            line = b"null"  # kept in the batch, so the batch's line numbers stay the file's
        batch.append(line)
        size += len(line)
        if len(batch) >= BATCH_LINES or size >= BATCH_BYTES:
            yield from _parsed(batch, number, stream, result, last=False)
            batch, size = [], 0


def _parsed(
    batch: list[bytes], number: int, stream: Any, result: ResultFile, last: bool
) -> Iterator[dict[str, Any]]:
    """The objects of `batch`, whose last line is the file's line `number`."""
    if not batch:
        return
    try:
        values = json.loads(b"[" + b",".join(batch) + b"]")
    except (ValueError, RecursionError):
        values = None
    if values is None or len(values) != len(batch):  # a line with two values, or a bad one
        values = [
            _one(line, number - len(batch) + 1 + k, result, last) for k, line in enumerate(batch)
        ]
    first = number - len(batch) + 1
    for k, value in enumerate(values):
        if value is _CUT:
            return
        if value is None and batch[k] == b"null":
            continue  # a blank line
        if not isinstance(value, dict):
            raise ResultFileError(result.path, f"line {first + k} is not a JSON object")
        yield value


_CUT = object()
"""The last line, cut off by a run killed mid-write."""


def _one(line: bytes, number: int, result: ResultFile, last: bool) -> Any:
    try:
        return json.loads(line)
    except RecursionError:
        raise ResultFileError(result.path, f"line {number} is nested too deeply") from None
    except ValueError as error:
        if last and not line.endswith(b"\n"):
            result.warnings.append(f"line {number}, the last, is cut off and was skipped")
            return _CUT
        reason = str(error)[:200]
        raise ResultFileError(result.path, f"line {number} is not JSON ({reason})") from None
