"""Read one result file into events, by its format (detected from its first bytes)."""

from __future__ import annotations

from pytest_web.core import clean
from pytest_web.results import junit, record, reportlog
from pytest_web.results.source import CHUNK, ResultFile, ResultFileError, detect, open_result

READERS = {"junit": junit.read, "reportlog": reportlog.read, "record": record.read}


def read_file(path: str) -> ResultFile:
    """Read one file into events; `ResultFileError` when it cannot be shown.

    The file is opened by its own name; it is shown (in its tests, problems and pages) by that
    name repaired: a name that is not UTF-8 (`r\\xff.xml`) cannot be written into a page.
    """
    opened, path = str(path), clean.repair(str(path))
    try:
        return _read(opened, path)
    except ResultFileError as error:
        raise ResultFileError(path, error.reason) from None


def _read(opened: str, path: str) -> ResultFile:
    stream, source = open_result(opened)
    with stream:
        try:
            head = stream.peek(CHUNK)[:CHUNK]
            if not head:
                raise ResultFileError(path, "the file is empty once decompressed")
            kind = detect(path, head)
            result = ResultFile(path, kind, [])
            result.events = list(READERS[kind](stream, result))
        except MemoryError:
            raise ResultFileError(path, "too large to read into memory") from None
        except RecursionError:
            raise ResultFileError(path, "nested too deeply") from None
    if source.truncated:
        result.warnings.append(f"the {source.kind} data is cut off: read up to the cut")
    return result
