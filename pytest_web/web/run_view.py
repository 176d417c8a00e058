"""What a run's head shows, decided here so templates only print it: its status and how it went
(tone), progress and counts, the first failure with its one-line message, and what the browser
tab says (title and icon) so that the state reads from another tab."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pytest_web.core.fold import RunState
from pytest_web.core.outcomes import FAILED, UNEXPECTED, summary_shown
from pytest_web.core.output import plain
from pytest_web.core.test_record import TestResult
from pytest_web.pytest_run.process import PLUGIN_MODULE
from pytest_web.pytest_run.runner import COLOR
from pytest_web.web.detail_view import WORKER_LINE
from pytest_web.web.subtests_view import summary_parts

BAD_ENDS = frozenset({"crashed", "cancelled", "interrupted"})
MESSAGE_CHARS = 200
"""A failure's one-line message is cut to this length (the detail has all of it)."""


def tone(status: str, counts: Mapping[str, int], exitstatus: int | None) -> str:
    """How a run went, for its colour: running, failed (a failure, an error, an exit status
    that says so, or an end that was not pytest's own), passed (it finished without any), or
    neutral (a discovery)."""
    failed = any(counts.get(name) for name in FAILED) or exitstatus not in (None, 0, 5)
    if status == "running":
        return "running"
    if status in BAD_ENDS or failed:
        return "failed"
    return "passed" if status == "finished" else "neutral"


@dataclass(frozen=True)
class Head:
    """A run's head line."""

    status: str
    """The run's status, as a word: running, finished, crashed, cancelled, interrupted."""
    tone: str
    """How it went, for its colour: running, passed (nothing failed), failed, or neutral."""
    done: int
    """Tests with a result (ran to an end)."""
    total: int
    counts: list[tuple[str, int]]
    """pytest's summary counts (`outcomes.summary_shown`)."""
    flaky: int
    exit: str
    """pytest's exit status, or the process's when pytest never said."""
    collected: bool
    """A discovery: its tests were found, not run."""
    failure: TestResult | None = None
    """The first test that failed, once the run has ended."""
    unexpected: int = 0
    """Tests the Failed filter shows (failed, errors, unexpected passes), once the run ended."""
    message: str = ""
    """What went wrong in it, in one line."""
    subtests: tuple[tuple[str, int, str], ...] = ()
    """The subtest parts of pytest's summary line (`subtests_view.summary_parts`)."""
    trigger: tuple[str, ...] = ()
    """The saved files that started the run (watch mode)."""

    @property
    def progress(self) -> tuple[int, int]:
        """(value, max) of the progress bar."""
        return self.done, max(self.total, 1)

    @property
    def failures(self) -> int:
        """Tests that failed or errored (the run's exit status 1)."""
        return sum(n for name, n in self.counts if name in FAILED)


def head(state: RunState) -> Head:
    counts = summary_shown(state.counts)
    if state.exitstatus is not None:
        exit_text = f"exit {state.exitstatus}"
    elif state.returncode is not None:
        exit_text = f"process exit {state.returncode}"
    else:
        exit_text = ""
    ended = state.status not in ("running", "collected")
    failure = first_failure(state.tests.values()) if ended else None
    return Head(
        status=state.status,
        tone=tone(state.status, state.counts, state.exitstatus),
        done=state.done,
        total=len(state.tests),
        counts=counts,
        flaky=state.flaky_count,
        exit=exit_text,
        collected=state.status == "collected",
        failure=failure,
        unexpected=sum(1 for t in state.tests.values() if t.outcome in UNEXPECTED) if ended else 0,
        message=error_line(failure.longrepr) if failure else "",
        subtests=tuple(summary_parts(state.counts)),
        trigger=tuple(str(path) for path in state.selection.get("trigger") or ()),
    )


def first_failure(tests: Iterable[TestResult]) -> TestResult | None:
    """The first test, in the run's order, that failed or errored."""
    return next((t for t in tests if t.outcome in FAILED), None)


def failing_tests(tests: Mapping[str, TestResult]) -> list[tuple[TestResult, str]]:
    """The tests the Failed filter shows, in the run's order, each with what went wrong in one
    line (an unexpected pass: why it was expected to fail)."""
    return [
        (t, xfail_reason(t) if t.outcome == "xpassed" else error_line(t.longrepr))
        for t in tests.values()
        if t.outcome in UNEXPECTED
    ]


def xfail_reason(test: TestResult) -> str:
    why = next((str(p["wasxfail"]) for p in test.phases if "wasxfail" in p), "")
    why = why.removeprefix("reason: ").strip()
    return f"expected to fail: {why}" if why else "expected to fail"


def error_line(longrepr: str) -> str:
    """What went wrong, in one line: pytest's first `E` line (the exception and its message),
    else the last line of the text (a crash, a collection error's summary)."""
    lines = [line.rstrip() for line in plain(longrepr).splitlines() if line.strip()]
    lines = [line for line in lines if not WORKER_LINE.match(line)]
    found = next((line[1:].strip() for line in lines if line.startswith("E ")), None)
    text = found if found is not None else (lines[-1].strip() if lines else "")
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def tab_title(head: Head | None) -> str:
    """The browser tab's title: the run's state first, so it reads from another tab."""
    if head is None:
        return "pytest-web"
    if head.collected:
        state = f"{head.total} test{'' if head.total == 1 else 's'}"
    elif head.status == "running":
        state = f"Running {head.done}/{head.total}"
    elif head.failures:
        state = f"✕ {head.failures} failed"
    elif head.tone == "passed":
        state = "✓ All passed"
    else:
        state = head.status.capitalize()
    return f"{state} · pytest-web"


def tab_icon(head: Head | None) -> str:
    """The favicon's file under static/icons/: its colour is the run's tone."""
    return f"icons/{head.tone if head else 'neutral'}.svg"


def unchanged_words(status: str, compared: int) -> str:
    """What the changes bar says when nothing changed: a run that did not finish compared only
    the tests that ran, which is not "no change"."""
    if status == "finished":
        return "no change since the previous run"
    if compared == 1:
        return f"{status}: the 1 test that ran is unchanged"
    return f"{status}: the {compared} tests that ran are unchanged"


def shown_command(command: list[str]) -> str:
    """The command a run ran, from `pytest` on (the interpreter and `-m` left out)."""
    return " ".join(command[2:]) if command[1:2] == ["-m"] else " ".join(command)


def terminal_command(command: list[str]) -> str:
    """The command a run ran as a user types it in a terminal, in the repository: `pytest`
    and its arguments, without what pytest-web adds for itself (its plugin, and colour for
    the page), each argument quoted for a shell."""
    args = command[3:] if command[1:3] == ["-m", "pytest"] else command[1:]
    kept: list[str] = []
    skip = False
    for index, arg in enumerate(args):
        if skip:
            skip = False
        elif arg == "-p" and args[index + 1 : index + 2] == [PLUGIN_MODULE]:
            skip = True
        elif arg != COLOR:
            kept.append(arg)
    return shlex.join(["pytest", *kept])
