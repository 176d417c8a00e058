"""Writing events to a file as JSON lines, each written through so that a crash loses nothing.

The server's own record of a live run (`PYTEST_WEB_RECORD`, read back only when pytest died)
is a shared memory mapping of the file: a line is written with a memory copy, no system call,
and still survives the process dying (the kernel holds the pages). Its unwritten end is zeros,
cut off when the run ends; a reader stops at the first zero byte. `--web-record` files are for
people and other tools: plain appends (gzip with a sync flush per line for `.gz`).
"""

from __future__ import annotations

import gzip
import mmap
import os
import zlib

GROW = 16 * 1024 * 1024
"""The mapped record grows by this much at a time."""


class Recorder:
    """Appends each event as a JSON line (`.gz`: compressed, flushed per line). `fresh` starts
    the file anew (`--web-record`)."""

    def __init__(self, path: str, fresh: bool = False) -> None:
        self.path = os.path.abspath(path)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if fresh else os.O_APPEND)
        self.fd: int | None = os.open(path, flags, 0o644 if fresh else 0o600)
        self.zip: gzip.GzipFile | None = None
        if path.endswith(".gz"):
            raw = os.fdopen(self.fd, "wb", buffering=0, closefd=False)
            self.zip = gzip.GzipFile(filename="", mode="wb", fileobj=raw)

    def write(self, line: str) -> None:
        if self.fd is not None:
            try:
                if self.zip is not None:
                    self.zip.write((line + "\n").encode())
                    self.zip.flush(zlib.Z_SYNC_FLUSH)
                else:
                    os.write(self.fd, (line + "\n").encode())
            except (OSError, ValueError, zlib.error):
                self.close()

    def close(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            try:
                if self.zip is not None:
                    self.zip.close()
            except (OSError, ValueError, zlib.error):
                pass
            finally:
                os.close(fd)


class MappedRecorder:
    """The server's crash record: lines copied into a shared mapping of the file."""

    def __init__(self, path: str) -> None:
        self.fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        self.size = 0
        self.map: mmap.mmap | None = None
        self._grow(GROW)

    def _grow(self, length: int) -> None:
        assert self.fd is not None
        if self.map is not None:
            self.map.close()
        os.ftruncate(self.fd, length)
        self.map = mmap.mmap(self.fd, length, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)

    def write(self, line: str) -> None:
        if self.map is None:
            return
        data = (line + "\n").encode()
        end = self.size + len(data)
        try:
            if end > len(self.map):
                self._grow(max(end, len(self.map) + GROW))
            self.map[self.size : end] = data
            self.size = end
        except (OSError, ValueError):
            self.close()

    def close(self) -> None:
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        try:
            if self.map is not None:
                self.map.close()
            os.ftruncate(fd, self.size)
        except OSError:
            pass
        finally:
            self.map = None
            os.close(fd)
