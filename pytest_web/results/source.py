"""Open a result file: refuse what is not a plain, bounded file, detect the format by content.

Every limit is a constant here. A refusal is a `ResultFileError` that names the file and the
reason; nothing here reads more than `MAX_FILE_BYTES` (after decompression) or holds more than
one `MAX_LINE_BYTES` line at a time.
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pytest_web.core.events import Event

MAX_FILE_BYTES = 640 * 1024 * 1024
"""Per file, on disk and again once decompressed: a recording of a million tests is about
530 MB (its JUnit XML about 90 MB)."""
MAX_LINE_BYTES = 128 * 1024 * 1024
"""Per JSON line (a recording's collection of 1,000,000 tests is one 55 MB line)."""
MAX_XML_DEPTH = 32
"""JUnit nests testsuites > testsuite > testcase > failure: anything deeper is refused."""
CHUNK = 64 * 1024
MAX_TESTS_PER_FILE = 1_000_000
"""Test results (attempts included) per file: a 2 MB `.xz` can expand to 5.5 million. A million
JUnit tests read and fold in about 7 s of CPU and 520 MB at most (a recording of them: 16 s and
640 MB), on a 2-core machine shared with other jobs."""
MAX_EVENTS_PER_FILE = 10_000_000
"""Records read per file: JSON lines, or XML elements."""
MAX_TESTS_PER_REQUEST = 1_000_000
MAX_EVENTS_PER_REQUEST = 10_000_000
"""The same over every file of one upload (or one `view`/`export` command)."""

MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz"}


class ResultFileError(Exception):
    """A file that cannot be shown, and why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class CapError(ResultFileError):
    """A file over a cap: of its own (`per_request` False) or of all the files read with it."""

    def __init__(self, path: str, reason: str, per_request: bool) -> None:
        super().__init__(path, reason)
        self.per_request = per_request


@dataclass
class Budget:
    """What one request (or command) may still read, over all its files."""

    tests: int = field(default_factory=lambda: MAX_TESTS_PER_REQUEST)
    events: int = field(default_factory=lambda: MAX_EVENTS_PER_REQUEST)


class Tally:
    """One file's tests and events, counted against its caps and its request's budget as they
    are read, so a file over a cap stops being read at the cap."""

    def __init__(self, path: str, budget: Budget) -> None:
        self.path, self.budget = path, budget
        self.tests_left = min(MAX_TESTS_PER_FILE, budget.tests)
        self.events_left = min(MAX_EVENTS_PER_FILE, budget.events)
        self.tests = self.events = 0

    def test(self) -> None:
        self.tests += 1
        if self.tests > self.tests_left:
            self._over("tests", MAX_TESTS_PER_FILE, MAX_TESTS_PER_REQUEST)

    def event(self) -> None:
        self.events += 1
        if self.events > self.events_left:
            self._over(
                "events (JSON lines or XML elements)", MAX_EVENTS_PER_FILE, MAX_EVENTS_PER_REQUEST
            )

    def _over(self, what: str, per_file: int, per_request: int) -> None:
        count = self.tests if what == "tests" else self.events
        if count > per_file:
            raise CapError(self.path, f"more than {per_file:,} {what} in one file", False)
        raise CapError(
            self.path, f"more than {per_request:,} {what} in all the files together", True
        )

    def close(self) -> None:
        """What the file used is taken from its request's budget."""
        self.budget.tests -= min(self.tests, self.budget.tests)
        self.budget.events -= min(self.events, self.budget.events)


@dataclass
class ResultFile:
    """One file read into events (each `test_end` carries `source`), and what was odd about it."""

    path: str
    format: str
    events: list[Event]
    warnings: list[str] = field(default_factory=list)
    tally: Tally = field(default_factory=lambda: Tally("", Budget()), repr=False)
    """Counts what is read against the caps (readers call `test()` and `event()`)."""


class Source(io.RawIOBase):
    """A file's bytes, decompressed when it starts with gzip/bzip2/xz magic, at most `limit`.

    A compressed stream that stops early is not an error here: `truncated` tells, and the
    reader decides (a recording flushed per line is readable up to its last whole line).
    """

    def __init__(self, path: str, handle: Any, limit: int = MAX_FILE_BYTES) -> None:
        self.path, self.handle, self.limit = path, handle, limit
        self.kind = next((kind for magic, kind in MAGIC.items() if _peek(handle, magic)), "plain")
        self.total = 0
        self.truncated = False
        self.pending = b""
        self.chunks = self._chunks()

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self.handle.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            chunk = next(self.chunks, None)
            if chunk is None:
                return 0
            self.pending = chunk
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size

    def _chunks(self) -> Iterator[bytes]:
        for chunk in self._decompressed():
            self.total += len(chunk)
            if self.total > self.limit:
                what = "once decompressed" if self.kind != "plain" else ""
                raise ResultFileError(
                    self.path, f"larger than {self.limit // 2**20} MB {what}".rstrip()
                )
            if chunk:
                yield chunk

    def _decompressed(self) -> Iterator[bytes]:
        if self.kind == "plain":
            yield from iter(lambda: self.handle.read(CHUNK), b"")
            return
        decompressor = _decompressor(self.kind)
        data = b""
        while True:
            if not data and getattr(decompressor, "needs_input", True):
                data = self.handle.read(CHUNK)
                if not data:
                    self.truncated = not decompressor.eof
                    return
            try:
                out = decompressor.decompress(data, CHUNK)
            except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as error:
                raise ResultFileError(self.path, f"broken {self.kind} data ({error})") from None
            data = getattr(decompressor, "unconsumed_tail", b"")
            yield out
            if decompressor.eof:
                rest = decompressor.unused_data + data + self.handle.read(CHUNK)
                if not rest.strip(b"\0"):
                    return
                decompressor, data = _decompressor(self.kind), rest  # another member


def _decompressor(kind: str) -> Any:
    if kind == "gzip":
        return zlib.decompressobj(wbits=31)
    return bz2.BZ2Decompressor() if kind == "bz2" else lzma.LZMADecompressor()


def _peek(handle: Any, magic: bytes) -> bool:
    start: bytes = handle.read(len(magic))
    handle.seek(0)
    return start == magic


def open_result(path: str) -> tuple[io.BufferedReader, Source]:
    """A buffered reader over the file's (decompressed) bytes; refuses anything but a file."""
    try:
        info = os.stat(path)
    except (OSError, ValueError) as error:
        raise ResultFileError(path, f"cannot open it ({_reason(error)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ResultFileError(path, "a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise ResultFileError(path, "not a regular file (a device, pipe or socket)")
    if info.st_size == 0:
        raise ResultFileError(path, "the file is empty")
    if info.st_size > MAX_FILE_BYTES:
        raise ResultFileError(path, f"larger than {MAX_FILE_BYTES // 2**20} MB")
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed with the reader)
    except OSError as error:
        raise ResultFileError(path, f"cannot open it ({_reason(error)})") from None
    source = Source(path, handle)
    return io.BufferedReader(source, CHUNK), source


def _reason(error: BaseException) -> str:
    return getattr(error, "strerror", None) or str(error)


def detect(path: str, head: bytes) -> str:
    """'junit', 'reportlog' or 'record' from the first bytes; refuse anything else."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
        utf16 = head.decode("utf-16", errors="ignore").lstrip("\ufeff \r\n\t")
        if utf16.startswith("<"):
            return "junit"  # expat reads UTF-16 with its byte order mark
        raise ResultFileError(path, "not UTF-8 text (UTF-16 JSON lines? re-encode as UTF-8)")
    if text.startswith(b"<"):
        return "junit"
    if text.startswith(b"{"):
        first = text.split(b"\n", 1)[0]
        if b'"$report_type"' in first:
            return "reportlog"
        if b'"type"' in first:
            return "record"
        raise ResultFileError(path, "JSON lines, but neither pytest-reportlog nor a recording")
    if head.startswith(b"PK\x03\x04") or head[257:262] == b"ustar":
        raise ResultFileError(path, "an archive: unpack it and open the files inside")
    raise ResultFileError(
        path, "not a result file (expected JUnit XML, pytest-reportlog or a pytest-web recording)"
    )
