"""Turn what a request asks for into pytest arguments that cannot be read as options."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_web.pytest_run.options import OptionError, parse_options

MAX_NODEIDS = 100_000
MAX_NODEID_LENGTH = 4096
MAX_EXPRESSION_LENGTH = 10_000
MAX_WORKERS = 64
ARGV_LIMIT = 50_000
"""Above this many characters of node ids, pass them through an `@file`."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WHOLE = re.compile(r"[0-9]{1,6}")
"""A whole number as a string. Not str.isdigit(): it accepts '²', which int() refuses."""
RUN_FIELDS = {"nodeids", "k", "m", "workers", "options"}


class SelectionError(ValueError):
    """The request asked for something we will not pass to pytest; the message says why."""


@dataclass
class Selection:
    """A validated run request."""

    nodeids: list[str] = field(default_factory=list)
    k: str = ""
    m: str = ""
    workers: int | str = 0
    """xdist's `-n`: a number, or "auto"."""
    options: list[str] = field(default_factory=list)
    """Allowed pytest options, one argument each (`options.parse_options`)."""
    trigger: list[str] = field(default_factory=list)
    """The saved files that started the run (watch mode)."""

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "nodeids": self.nodeids,
            "k": self.k,
            "m": self.m,
            "workers": self.workers,
            "options": self.options,
        }
        if self.trigger:
            found["trigger"] = self.trigger
        return found


def check_expression(value: Any, flag: str) -> str:
    """A `-k`/`-m` expression: a string without control characters (pytest parses the rest)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SelectionError(f"{flag} must be a string")
    if len(value) > MAX_EXPRESSION_LENGTH:
        raise SelectionError(f"{flag} is longer than {MAX_EXPRESSION_LENGTH} characters")
    if _CONTROL.search(value):
        raise SelectionError(f"{flag} contains control characters")
    return value.strip()


def check_nodeid(nodeid: Any, root: Path) -> str:
    """A node id whose path stays inside `root` and exists there, as pytest writes it."""
    if not isinstance(nodeid, str) or not nodeid.strip():
        raise SelectionError("node ids must be non-empty strings")
    if len(nodeid) > MAX_NODEID_LENGTH or _CONTROL.search(nodeid):
        raise SelectionError(f"not a node id: {nodeid[:200]!r}")
    if nodeid.startswith(("-", "@")):
        raise SelectionError(f"node ids cannot start with '-' or '@': {nodeid[:200]!r}")
    path = nodeid.split("::", 1)[0]
    if Path(path).is_absolute():
        raise SelectionError(f"node ids are relative to the repository: {nodeid[:200]!r}")
    resolved = (root / path).resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise SelectionError(f"node id points outside the repository: {nodeid[:200]!r}")
    if not resolved.exists():
        raise SelectionError(f"no such file in the repository: {path[:200]!r}")
    return nodeid.removeprefix("./")


def parse_selection(data: Any, root: Path) -> Selection:
    """Validate a run request (the JSON body of `POST /api/runs`)."""
    if not isinstance(data, dict):
        raise SelectionError("expected a JSON object")
    unknown = set(data) - RUN_FIELDS
    if unknown:
        raise SelectionError(f"unknown fields: {', '.join(sorted(map(str, unknown)))}")
    nodeids = data.get("nodeids") or []
    if not isinstance(nodeids, list):
        raise SelectionError("nodeids must be a list of strings")
    if len(nodeids) > MAX_NODEIDS:
        raise SelectionError(f"at most {MAX_NODEIDS} node ids per run")
    try:
        options = parse_options(data.get("options"))
    except OptionError as error:
        raise SelectionError(str(error)) from None
    return Selection(
        nodeids=list(dict.fromkeys(check_nodeid(n, root) for n in nodeids)),
        k=check_expression(data.get("k"), "-k"),
        m=check_expression(data.get("m"), "-m"),
        workers=check_workers(data.get("workers", 0)),
        options=options,
    )


def check_workers(value: Any) -> int | str:
    """xdist's `-n`: a whole number from 0 to `MAX_WORKERS`, or "auto"."""
    if isinstance(value, str) and value.strip() == "auto":
        return "auto"
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_WORKERS:
        raise SelectionError(f'workers must be a whole number from 0 to {MAX_WORKERS}, or "auto"')
    return value


def expression_args(k: str, m: str) -> list[str]:
    """`-k`/`-m` as one argument each, so an expression can never become an option."""
    return [f"-k={k}"] * bool(k) + [f"-m={m}"] * bool(m)


def nodeid_args(nodeids: list[str], argfile: Path) -> list[str]:
    """Node ids as `./path::test` arguments, through an `@file` when there are many."""
    paths = ["./" + nodeid for nodeid in nodeids]
    if sum(len(p) + 1 for p in paths) <= ARGV_LIMIT:
        return paths
    argfile.write_text("".join(p + "\n" for p in paths), encoding="utf-8")
    return ["@" + str(argfile)]
