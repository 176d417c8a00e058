"""Read one result file into events, by its format (detected from its first bytes).

`open_file` opens it and knows its format at once; its events are then read as they are asked
for, so a million tests can be folded as they are read instead of all held first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pytest_web.core import clean
from pytest_web.core.events import Event
from pytest_web.results import junit, record, reportlog
from pytest_web.results.source import (
    CHUNK,
    Budget,
    CapError,
    ResultFile,
    ResultFileError,
    Source,
    Tally,
    detect,
    open_result,
)

READERS = {"junit": junit.read, "reportlog": reportlog.read, "record": record.read}


def read_file(path: str, budget: Budget | None = None) -> ResultFile:
    """Read one file into events, within its caps and `budget` (what its request may still
    read); `ResultFileError` when it cannot be shown (`CapError` when over a cap).

    The file is opened by its own name; it is shown (in its tests, problems and pages) by that
    name repaired: a name that is not UTF-8 (`r\\xff.xml`) cannot be written into a page.
    """
    result, events = open_file(path, budget)
    result.events = list(events)
    return result


def open_file(path: str, budget: Budget | None = None) -> tuple[ResultFile, Iterator[Event]]:
    """The file opened and its format detected (or `ResultFileError`), and its events, read as
    they are asked for: reading may still refuse the file partway. Its caps count against
    `budget` from now on."""
    opened, path = str(path), clean.repair(str(path))
    tally = Tally(path, budget or Budget())
    try:
        stream, source = open_result(opened)
    except ResultFileError as error:
        tally.close()
        raise ResultFileError(path, error.reason) from None
    try:
        head = stream.peek(CHUNK)[:CHUNK]
        if not head:
            raise ResultFileError(path, "the file is empty once decompressed")
        kind = detect(path, head)
    except BaseException:
        stream.close()
        tally.close()
        raise
    result = ResultFile(path, kind, [], tally=tally)
    return result, _events(result, stream, source)


def _events(result: ResultFile, stream: Any, source: Source) -> Iterator[Event]:
    path = result.path
    try:
        with stream:
            yield from READERS[result.format](stream, result)
    except CapError:
        raise
    except ResultFileError as error:
        raise ResultFileError(path, error.reason) from None
    except MemoryError:
        raise ResultFileError(path, "too large to read into memory") from None
    except RecursionError:
        raise ResultFileError(path, "nested too deeply") from None
    finally:
        result.tally.close()
    if source.truncated:
        result.warnings.append(f"the {source.kind} data is cut off: read up to the cut")
