"""The pytest options a run may take from a request: an allowlist, each option rewritten as one
argument so no value can become an option of its own.

Nothing that can load code gets through: `-p NAME` (only `-p no:NAME`, which blocks a plugin),
`--pyargs`, `-c`, `--rootdir`, `-o`, `--confcutdir`, `--import-mode` and anything not listed here
are refused with a message that names the option.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_OPTIONS = 20
DIST_MODES = ("load", "loadscope", "loadfile", "loadgroup", "worksteal")
TB_STYLES = ("auto", "long", "short", "line", "native", "no")
PLUGIN_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,100}")
NUMBER = re.compile(r"[0-9]{1,6}")


class OptionError(ValueError):
    """An option a run may not take; the message names it."""


@dataclass(frozen=True)
class Option:
    """One allowed option: its names, and how its value is checked (None: it takes none)."""

    names: tuple[str, ...]
    value: Callable[[str], bool] | None = None
    needs: str = ""
    """A plugin the option belongs to (pytest refuses it without)."""


def _choice(choices: tuple[str, ...]) -> Callable[[str], bool]:
    return lambda value: value in choices


def _number(value: str) -> bool:
    return NUMBER.fullmatch(value) is not None


ALLOWED = (
    Option(("-x", "--exitfirst")),
    Option(("--maxfail",), _number),
    Option(("--lf", "--last-failed")),
    Option(("--ff", "--failed-first")),
    Option(("--nf", "--new-first")),
    Option(("--sw", "--stepwise")),
    Option(
        ("-p",), lambda value: value.startswith("no:") and bool(PLUGIN_NAME.fullmatch(value[3:]))
    ),
    Option(("--reruns",), _number, needs="pytest_rerunfailures"),
    Option(("--dist",), _choice(DIST_MODES), needs="xdist"),
    Option(("--durations",), _number),
    Option(("-v", "--verbose")),
    Option(("-vv",)),
    Option(("-q", "--quiet")),
    Option(("--tb",), _choice(TB_STYLES)),
    Option(("--color",), _choice(("yes", "no", "auto"))),  # runs are in colour unless told
)
"""What a run may take, besides `-k`, `-m`, `-n` and node ids (asked for separately)."""

_BY_NAME = {name: option for option in ALLOWED for name in option.names}


def parse_options(values: object) -> list[str]:
    """The options of a run request, each as one pytest argument (`--maxfail=3`, `-pno:foo`).

    Each item is one option, its value after `=` or a space: "--maxfail=3", "--tb short",
    "-p no:randomly".
    """
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise OptionError("options must be a list of strings")
    if len(values) > MAX_OPTIONS:
        raise OptionError(f"at most {MAX_OPTIONS} options")
    return [_one(value.strip()) for value in values]


def _one(item: str) -> str:
    name, value = _split(item)
    option = _BY_NAME.get(name)
    if option is None:
        raise OptionError(f"option not allowed: {item[:100]!r}")
    if option.value is None:
        if value is not None:
            raise OptionError(f"{name} takes no value")
        return name
    if value is None or not option.value(value):
        raise OptionError(f"bad value for {name}: {item[:100]!r}")
    return f"-p{value}" if name == "-p" else f"{name}={value}"


def _split(item: str) -> tuple[str, str | None]:
    """'--tb=short', '--tb short' -> ('--tb', 'short'); '-pno:x' -> ('-p', 'no:x')."""
    if item.startswith("-p") and not item.startswith("-p ") and len(item) > 2:
        return "-p", item[2:]
    for separator in ("=", " "):
        if separator in item:
            name, _, value = item.partition(separator)
            return name, value.strip()
    return item, None


def plugins_needed(options: list[str]) -> set[str]:
    """The plugins the interpreter must have for `options` (checked before pytest starts)."""
    needed = set()
    for argument in options:
        option = _BY_NAME.get(_split(argument)[0])
        if option is not None and option.needs:
            needed.add(option.needs)
    return needed
