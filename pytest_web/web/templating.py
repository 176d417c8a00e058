"""The one Jinja setup, for the app's pages and for `pytest-web export`: where the templates are,
and the filters and names every template may use. Templates only loop and print; what they show
is decided here or in the core."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from pytest_web.core import clean
from pytest_web.core.outcomes import (
    COUNTED,
    has_result,
    outcome_class,
    outcome_word,
    status_class,
)
from pytest_web.core.tree import in_file, test_label
from pytest_web.pytest_run.watch import SCOPES
from pytest_web.web.detail_view import (
    reason,
    rerun_line,
    to_html,
    trace_text,
    traceback,
    waiting,
)
from pytest_web.web.prefs import THEMES, Editor
from pytest_web.web.run_form import CHOICES, FLAGS, NUMBERS, VERBOSITY
from pytest_web.web.run_view import shown_command, terminal_command
from pytest_web.web.subtests_view import subtests_heading, subtests_of
from pytest_web.web.tree_view import SHOW_CHOICES
from pytest_web.web.url_state import UrlState, query_string

_PACKAGE = Path(__file__).resolve().parent.parent
MAX_SHOWN = 1e9
"""Seconds: longer (or not finite) is shown as nothing rather than as `nan min nan s`."""


def asset_folder(name: str) -> str:
    """Templates and static files: inside the package when installed, at the top in a checkout."""
    inside = _PACKAGE / name
    return str(inside if inside.is_dir() else _PACKAGE.parent / name)


def format_duration(seconds: float | None) -> str:
    """A duration with the precision that tells tests apart: "0.04 ms", "0.4 ms", "3.2 ms",
    "12 ms", "1.25 s", "2 min 5 s" (trivial tests take a fraction of a millisecond); nothing for
    what is no duration (none, not finite)."""
    if seconds is None or not 0 <= seconds < MAX_SHOWN:
        return ""
    ms = seconds * 1000
    if ms <= 0:
        return "0 ms"
    if ms < 0.01:
        return "<0.01 ms"
    if ms < 0.1:
        return f"{ms:.2f} ms"
    if ms < 10:
        return f"{ms:.1f} ms"
    if seconds < 1:
        return f"{ms:.0f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"


def view_args(query: str, show: str, offset: int = 0, sort: str = "") -> str:
    """The query string of a tree or group request that keeps a view's search, filter and
    order."""
    return query_string(UrlState(show=show, query=query, sort=sort).args(offset))


KEYS = (
    (("↓", "j"), "next test"),
    (("↑", "k"), "previous test"),
    (("Enter",), "open the test's detail"),
    (("Space",), "tick the test (for Run selected)"),
    (("n",), "next failure"),
    (("p",), "previous failure"),
    (("/",), "search"),
    (("f",), "failures only, or all again"),
    (("r",), "run the focused test or group (or the open test)"),
    (("R",), "rerun the failures"),
    (("w",), "watch on or off"),
    (("Esc",), "close the detail, leave the search"),
    (("?",), "these keys"),
)
"""The page's keys, as the keys dialog lists them (static/keys.js handles them)."""


def when(timestamp: float | None) -> str:
    """A run's time as the server's local date and minute."""
    checked = clean.timestamp(timestamp)  # 1e300 breaks localtime: a page never fails on it
    return "" if checked is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(checked))


def what(run: dict[str, Any]) -> str:
    """What a run ran, in a few words: "all tests", "-k expr", "3 tests", or its files."""
    selection = run.get("selection") or {}
    if run.get("kind") == "results":
        files = [str(f) for f in selection.get("files") or ()]
        return "results: " + ", ".join(files) if files else "result files"
    nodeids = selection.get("nodeids") or []
    if not nodeids:
        words = ["all tests"]
    else:
        words = [nodeids[0] if len(nodeids) == 1 else f"{len(nodeids)} tests"]
    words += [f"-{flag} {selection[flag]}" for flag in ("k", "m") if selection.get(flag)]
    if selection.get("workers"):
        words.append(f"-n {selection['workers']}")
    return " ".join(words)


def configure(env: Environment) -> Environment:
    """Add the shared filters and names to `env`."""
    env.filters.update(
        duration=format_duration,
        when=when,
        what=what,
        command=shown_command,
        terminal=terminal_command,
        in_file=in_file,
        status_class=status_class,
        outcome_class=outcome_class,
        outcome_word=outcome_word,
        ansi=to_html,
        traceback=traceback,
        trace_text=trace_text,
        reason=reason,
        waiting=waiting,
    )
    env.globals.update(
        label=test_label,
        has_result=has_result,
        COUNTED=COUNTED,
        SHOW_CHOICES=SHOW_CHOICES,
        view_args=view_args,
        rerun_line=rerun_line,
        subtests_of=subtests_of,
        subtests_heading=subtests_heading,
        editor=Editor(),
        theme="",
        THEMES=THEMES,
        SCOPES=SCOPES,
        KEYS=KEYS,
        FORM_FLAGS=FLAGS,
        FORM_NUMBERS=NUMBERS,
        FORM_CHOICES=CHOICES,
        FORM_VERBOSITY=VERBOSITY,
    )
    return env


def standalone_environment() -> Environment:
    """The same setup outside Flask (`pytest-web export`)."""
    env = Environment(
        loader=FileSystemLoader(asset_folder("templates")),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return configure(env)
