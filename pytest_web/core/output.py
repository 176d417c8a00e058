"""pytest's terminal output of a run: its tail, in bounded memory."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OUTPUT_CAP = 2 * 1024 * 1024
"""Raw terminal output kept per run (the tail is kept, older text is dropped)."""
ESCAPE = "\x1b"
WHOLE_ESCAPE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")
"""A complete terminal escape sequence (a colour code is `ESC [ 31 m`)."""
LONGEST_ESCAPE = 32


def plain(text: str) -> str:
    """`text` without its terminal escape sequences (its colours)."""
    return WHOLE_ESCAPE.sub("", text) if ESCAPE in text else text


def whole_sequences(text: str) -> tuple[str, str]:
    """`text` cut before an escape sequence that its end cuts off (pytest's output arrives in
    chunks of bytes): (what can be shown now, what to put before the next chunk). No message
    then carries half a colour code, which would show as text."""
    start = text.rfind(ESCAPE, max(0, len(text) - LONGEST_ESCAPE))
    if start < 0 or WHOLE_ESCAPE.match(text, start):
        return text, ""
    return text[:start], text[start:]


@dataclass
class OutputTail:
    """The last `OUTPUT_CAP` characters of a stream of text, and how many came before them.

    Parts are joined only when read: appending to one string copied it all each time (seconds
    for a verbose 10,000-test run).
    """

    parts: list[str] = field(default_factory=list)
    size: int = 0
    cut: int = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size > 2 * OUTPUT_CAP:  # keep memory bounded
            self._compact()

    @property
    def text(self) -> str:
        self._compact()
        return self.parts[0] if self.parts else ""

    @property
    def dropped(self) -> int:
        """How many older characters were not kept."""
        return self.cut + max(0, self.size - OUTPUT_CAP)

    def _compact(self) -> None:
        """Join the parts into one, without what is over the cap."""
        if len(self.parts) > 1 or self.size > OUTPUT_CAP:
            text = "".join(self.parts)
            cut = max(0, len(text) - OUTPUT_CAP)
            self.cut += cut
            self.size -= cut
            self.parts[:] = [text[cut:]]
