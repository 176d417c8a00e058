"""Server-Sent Events: one message type whose text is the wire format."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FIELD_UNSAFE = re.compile(r"[\r\n\x00]")
_SEQ = re.compile(r"[0-9]{1,12}")
PING = ": ping\n\n"


@dataclass(frozen=True)
class ServerSentEvent:
    """One SSE message. `str(message)` is exactly what goes on the wire."""

    data: str | None = None
    event: str | None = None
    id: str | None = None
    retry: int | None = None

    def __str__(self) -> str:
        lines = []
        if self.event:
            lines.append("event: " + _FIELD_UNSAFE.sub("", self.event))
        if self.id is not None:
            lines.append("id: " + _FIELD_UNSAFE.sub("", self.id))
        if self.retry is not None:
            lines.append(f"retry: {int(self.retry)}")
        if self.data is not None:
            lines.extend("data: " + line for line in _LINE_BREAK.split(self.data))
        return "\n".join(lines) + "\n\n"


def parse_event_id(value: str | None) -> tuple[str, int] | None:
    """Read our `RUN:SEQ` event ids; anything else (stale, huge, garbage) is None."""
    if not value or len(value) > 100 or ":" not in value:
        return None
    run_id, _, seq = value.rpartition(":")
    if not _SEQ.fullmatch(seq) or not run_id.isprintable():
        return None
    return run_id, int(seq)
