"""Read one result file into events, by its format (detected from its first bytes)."""

from __future__ import annotations

from pytest_web.core import clean
from pytest_web.results import junit, record, reportlog
from pytest_web.results.source import (
    CHUNK,
    Budget,
    CapError,
    ResultFile,
    ResultFileError,
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
    opened, path = str(path), clean.repair(str(path))
    tally = Tally(path, budget or Budget())
    try:
        return _read(opened, path, tally)
    except CapError:
        raise
    except ResultFileError as error:
        raise ResultFileError(path, error.reason) from None
    finally:
        tally.close()


def _read(opened: str, path: str, tally: Tally) -> ResultFile:
    stream, source = open_result(opened)
    with stream:
        try:
            head = stream.peek(CHUNK)[:CHUNK]
            if not head:
                raise ResultFileError(path, "the file is empty once decompressed")
            kind = detect(path, head)
            result = ResultFile(path, kind, [], tally=tally)
            result.events = list(READERS[kind](stream, result))
        except MemoryError:
            raise ResultFileError(path, "too large to read into memory") from None
        except RecursionError:
            raise ResultFileError(path, "nested too deeply") from None
    if source.truncated:
        result.warnings.append(f"the {source.kind} data is cut off: read up to the cut")
    return result
