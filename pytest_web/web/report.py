"""`pytest-web export`: one self-contained HTML report of result files.

No script and no network reference (a Content-Security-Policy in the page forbids both): inline
CSS, `<details>` for each test's traceback and output, status filters made of radio buttons and
`:has()`. Test output is escaped by Jinja. For a big run, tests are grouped by file in closed
`<details>`; files with failures open first, within a budget of rows.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pytest_web import __version__
from pytest_web.core.outcomes import UNEXPECTED, shown_counts, summary_shown
from pytest_web.core.test_record import TestResult
from pytest_web.core.tree import file_of
from pytest_web.results.merge import Results
from pytest_web.web.templating import standalone_environment

OPEN_ROWS = 2000
"""Files with failures start open while their rows add up to no more than this."""
TEXT_BUDGET = 64 * 1024 * 1024
"""Characters of tracebacks and output in one report; failing tests' come first."""


@dataclass
class File:
    path: str
    tests: list[TestResult] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    open: bool = False

    @property
    def shown(self) -> list[tuple[str, int]]:
        return shown_counts(self.counts)


def files_of(tests: list[TestResult]) -> list[File]:
    files: dict[str, File] = {}
    for test in tests:
        path = file_of(test.nodeid)
        file = files.get(path) or files.setdefault(path, File(path))
        file.tests.append(test)
        file.counts[test.outcome] += 1
    rows = 0
    for file in files.values():
        failing = sum(file.counts[name] for name in UNEXPECTED)
        if failing and rows + len(file.tests) <= OPEN_ROWS:
            file.open = True
            rows += len(file.tests)
    return list(files.values())


def omitted_text(tests: list[TestResult]) -> set[str]:
    """Node ids whose tracebacks and output do not fit in `TEXT_BUDGET`."""
    left = TEXT_BUDGET
    omitted = set()
    ordered = sorted(tests, key=lambda t: t.outcome not in UNEXPECTED)
    for test in ordered:
        size = len(test.longrepr) + sum(len(text) for _, text in test.sections)
        if size > left:
            omitted.add(test.nodeid)
        else:
            left -= size
    return omitted


def render_report(results: Results, now: float | None = None, origin: str = "") -> str:
    """The report of `results`; `origin` says where a run without files came from."""
    state = results.state
    if state is None:
        raise ValueError("no results to export")
    tests = list(state.tests.values())
    context: dict[str, Any] = {
        "run": state,
        "summary": summary_shown(state.counts),
        "files": files_of(tests),
        "failing": [t for t in tests if t.outcome in UNEXPECTED],
        "omitted": omitted_text(tests),
        "sources": [f.path for f in results.files],
        "problems": results.problems,
        "elapsed": state.elapsed(now or time.time()) if state.finished else None,
        "generated": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(now)),
        "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(state.created))
        if state.created
        else "",
        "version": __version__,
        "budget_mb": TEXT_BUDGET // 2**20,
        "origin": origin,
    }
    return standalone_environment().get_template("report.html").render(**context)
