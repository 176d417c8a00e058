"""The run form's options: the allowlist's options (`pytest_run.options`) as a compact control,
its fields turned into a run's `options`, and a run's options turned back into the control's
state (the form starts as the shown run was run, as it does with -k, -m and workers).

Every value still goes through `parse_options`: a field the form did not offer is refused there
with its name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pytest_web.pytest_run.options import ALLOWED, DIST_MODES, TB_STYLES
from pytest_web.pytest_run.process import has_module

FLAGS = (
    ("-x", "stop at the first failure"),
    ("--lf", "run only the tests that failed last time"),
    ("--ff", "run the tests that failed last time first"),
    ("--nf", "run new test files first"),
    ("--sw", "stepwise: stop at a failure, go on from it next time"),
)
VERBOSITY = ("-q", "-v", "-vv")
NUMBERS = (
    ("maxfail", "--maxfail", "stop after N failures"),
    ("reruns", "--reruns", "rerun each failure up to N times (pytest-rerunfailures)"),
    ("durations", "--durations", "list the N slowest in pytest's output"),
)
CHOICES = (
    ("tb", "--tb", TB_STYLES),
    ("dist", "--dist", DIST_MODES),
    ("color", "--color", ("yes", "no", "auto")),
)
NEEDS = {"reruns": "pytest_rerunfailures", "dist": "xdist"}
"""The fields whose option needs a plugin: shown only where the interpreter has it."""
_CANONICAL = {name: option.names[0] for option in ALLOWED for name in option.names}


def options_from(fields: dict[str, list[str]]) -> list[str]:
    """The options of a run from the run form's fields: each ticked `flag`, the `verbosity`,
    `--NAME=N` for each number given, `--NAME=VALUE` for each choice made, `-p no:NAME` for
    each plugin named in `noplugins`."""
    found = [flag for flag in fields.get("flag", []) if flag]
    found += [v for v in fields.get("verbosity", []) if v]
    for name, option, _ in NUMBERS:
        found += [f"{option}={v.strip()}" for v in fields.get(name, []) if v.strip()]
    for name, option, _ in CHOICES:
        found += [f"{option}={v}" for v in fields.get(name, []) if v]
    for text in fields.get("noplugins", []):
        found += [f"-p no:{word.removeprefix('no:')}" for word in text.replace(",", " ").split()]
    return found


@dataclass
class FormState:
    """The control as a run's options set it."""

    flags: set[str] = field(default_factory=set)
    verbosity: str = ""
    numbers: dict[str, str] = field(default_factory=dict)
    choices: dict[str, str] = field(default_factory=dict)
    noplugins: list[str] = field(default_factory=list)
    count: int = 0
    """How many options are set (the control's summary says it)."""


def form_state(options: Iterable[object]) -> FormState:
    """The control's state for a run's options (`--maxfail=3`, `-pno:x`, `--exitfirst`)."""
    state = FormState()
    numbers = {option: name for name, option, _ in NUMBERS}
    choices = {option: name for name, option, _ in CHOICES}
    for item in options:
        text = str(item)
        name, _, value = text.partition("=")
        if text.startswith("-p") and text != "-p":
            state.noplugins.append(text[2:].strip().removeprefix("no:"))
            state.count += 1
            continue
        name = _CANONICAL.get(name, name)
        if name in VERBOSITY:
            state.verbosity = name
        elif name in numbers and value:
            state.numbers[numbers[name]] = value
        elif name in choices and value:
            state.choices[choices[name]] = value
        elif not value:
            state.flags.add(name)
        else:
            continue
        state.count += 1
    return state


def unavailable(python: str) -> set[str]:
    """The fields whose plugin `python` cannot import (pytest would refuse their option)."""
    return {name for name, module in NEEDS.items() if not has_module(python, module)}
