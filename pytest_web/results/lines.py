"""JSON lines, one bounded line at a time: shared by recordings and pytest-reportlog files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pytest_web.results.source import MAX_LINE_BYTES, ResultFile, ResultFileError


def json_lines(stream: Any, result: ResultFile) -> Iterator[dict[str, Any]]:
    """Each line's object. A cut-off last line (a run killed mid-write) is dropped with a
    warning; any other bad line refuses the file."""
    number = 0
    count = result.tally.event
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        count()
        if len(line) > MAX_LINE_BYTES:
            limit = MAX_LINE_BYTES // 2**20
            raise ResultFileError(result.path, f"line {number} is longer than {limit} MB")
        if line.startswith(b"\0"):
            return  # a spool's unwritten end: the run died before closing it
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except RecursionError:
            raise ResultFileError(result.path, f"line {number} is nested too deeply") from None
        except ValueError as error:
            if not line.endswith(b"\n") and not stream.peek(1):
                result.warnings.append(f"line {number}, the last, is cut off and was skipped")
                return
            reason = str(error)[:200]
            raise ResultFileError(result.path, f"line {number} is not JSON ({reason})") from None
        if not isinstance(value, dict):
            raise ResultFileError(result.path, f"line {number} is not a JSON object")
        yield value
