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


SGR = re.compile(r"\x1b\[[0-9;]*m")
"""A colour or style code."""
RESETS = frozenset({"\x1b[0m", "\x1b[m"})


def joined_styles(text: str) -> str:
    """`text` without the resets that the style they end starts again at once: pytest colours
    each progress dot alone (`ESC[32m.ESC[0mESC[32m.ESC[0m`), and each would be an element of
    the page (100,000 of them in a 100,000-test run's output); joined, a line of dots is one."""
    if ESCAPE not in text:
        return text
    codes = SGR.findall(text)
    between = SGR.split(text)  # between[i] comes before codes[i]; between[i + 1] after it
    out = [between[0]]
    active: list[str] = []  # the codes since the last reset
    i = 0
    while i < len(codes):
        code = codes[i]
        n = len(active)
        again = codes[i + 1 : i + 1 + n]
        if (
            code in RESETS
            and n
            and again == active
            and not any(between[i + 1 : i + 1 + n])  # nothing printed in between
        ):
            out.append(between[i + 1 + n])  # the text after the restarted style
            i += 1 + n
            continue
        active = [] if code in RESETS else [*active, code]
        out += (code, between[i + 1])
        i += 1
    return "".join(out)


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
