"""Text the plugin sends or says."""

from __future__ import annotations

import sys

from pytest_web_plugin.names import TEXT_CAP


def cap(text: str) -> str:
    """At most `TEXT_CAP` characters, with a note of how many were left out."""
    if len(text) <= TEXT_CAP:
        return text
    cut = len(text) - TEXT_CAP
    return text[:TEXT_CAP] + f"\n[pytest-web: {cut} more characters not kept]"


def say(message: str) -> None:
    """Write to the real stderr (past pytest's capture), if there is one."""
    stream = sys.__stderr__
    if stream is not None:
        stream.write(message)
        stream.flush()
