"""Where a stream keeps what memory should not: events past `MEMORY_EVENTS` wait in a temporary
file, read back in order; and what a dashboard did not take is written, at the end, to a file
`pytest-web upload` sends later."""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import IO, Any

Item = tuple[int, int, str, bytes]
"""(the event's number, START/END/OTHER, node id, the event as JSON, encoded)."""


class Spill:
    """Kept events past what memory holds: appended to a temporary file (deleted when closed,
    never seen by anyone else), read back in order."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile(prefix="pytest-web-stream-")
        self.start = self.end = 0
        self.appending = True
        """The file's position is at its end: appends need no seek (which would flush the
        buffer, a system call per event)."""

    def append(self, item: Item) -> None:
        number, kind, _, line = item
        head = b"%d\t%d\t" % (number, kind)
        if not self.appending:
            self.file.seek(self.end)
            self.appending = True
        self.file.write(head)
        self.file.write(line)  # as it is: a big event is not copied to be written
        self.file.write(b"\n")
        self.end += len(head) + len(line) + 1

    def take(self, count: int) -> list[Item]:
        """Up to `count` items from where the last take stopped."""
        self.appending = False
        self.file.seek(self.start)
        found: list[Item] = []
        while len(found) < count and self.start < self.end:
            raw = self.file.readline()
            if not raw:
                break
            self.start += len(raw)
            number, kind, line = raw[:-1].split(b"\t", 2)
            found.append((int(number), int(kind), "", line))  # read back: never coalesced
        return found

    @property
    def empty(self) -> bool:
        return self.start >= self.end

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.file.close()


def write_rest(info: dict[str, Any], first: bytes, items: list[Item], held: int) -> str:
    """The session's start and every event after `held`, in a file of their own in the current
    folder (`pytest-web-unsent-SHARD-SESSION.jsonl`); its path, or '' when it cannot be
    written."""
    shard = "".join(c if c.isalnum() or c in "-_." else "-" for c in str(info.get("shard", "")))
    name = os.path.abspath(
        f"pytest-web-unsent-{shard[:40]}-{str(info.get('session', ''))[:8]}.jsonl"
    )
    try:
        with open(name, "wb") as handle:
            if first and not (items and items[0][0] == 1):
                handle.write(first + b"\n")
            for number, _, _, line in items:
                if number > held:
                    handle.write(line + b"\n")
    except OSError:
        return ""
    return name
