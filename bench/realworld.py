"""Does pytest-web count exactly as pytest does, on real suites nobody here wrote?

    python bench/realworld.py [--only NAME ...] [--repeat N] [--cache DIR]

For each project of `realworld_setup.PROJECTS` (its PyPI sdist, in a virtualenv of its own, made
once and cached in bench/out/realworld/), pytest's own summary line against pytest-web's counts:

- discovery: `pytest --collect-only -q` against `GET /api/tests` (tests and collection errors);
- `-n 0` and `-n 2`: plain `pytest -q [-n 2]` against `POST /api/runs` with the same workers and
  `options: ["-q"]`, comparing every count of the summary line (reruns and subtests included)
  and the exit status, with wall times and the ratio served/plain.

Plain pytest and the server run in the same folder with the same venv and environment; the
server is `python -m pytest_web TREE --python VENV/bin/python`. Runs are sequential (a shared
2-core machine). Prints a table, writes it with every line to CACHE/results.json, and exits 1
when any count differs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from realworld_setup import (
    OUT,
    ROOT,
    Prepared,
    Server,
    prepare,
    select,
    serve,
    stop_server,
    wait_finished,
)

SHOWN = ("failed", "passed", "skipped", "xfailed", "xpassed", "error", "rerun")
SUBTESTS = ("passed", "skipped", "failed")
"""The counts compared, in the order pytest's summary line names them."""
BAD = ("failed", "error", "xpassed", "notrun")
RUN_TIMEOUT = 900


@dataclass
class Row:
    project: str
    version: str
    step: str
    """"discovery", "-n 0" or "-n 2"."""
    pytest: str
    """pytest's own summary (counts only, as parsed)."""
    ours: str
    """pytest-web's counts, written the same way."""
    plain_s: float
    ours_s: float
    same: bool
    pytest_line: str = ""
    """pytest's last line, as it printed it."""
    failing: list[str] = field(default_factory=list)
    """The served run's failed and errored tests, `outcome nodeid` (for a row that differs)."""

    @property
    def ratio(self) -> float:
        return self.ours_s / self.plain_s if self.plain_s else 0.0


def summary_counts(line: str) -> dict[str, int]:
    """The counts of a pytest summary line: `765 passed, 21194 subtests passed, 2 errors`."""
    counts: dict[str, int] = {}
    for number, sub, word in re.findall(r"(\d+) (subtests )?([a-z]+)", line.split(" in ")[0]):
        word = {"errors": "error"}.get(word, word)
        if word in SHOWN:
            counts[("subtests " if sub else "") + word] = int(number)
    return counts


def written(counts: dict[str, int]) -> str:
    """Counts in pytest's words and order, zeros left out ("no tests ran" when none)."""
    order = [*SHOWN, *(f"subtests {name}" for name in SUBTESTS)]
    parts = [f"{counts[name]} {_plural(name, counts[name])}" for name in order if counts.get(name)]
    return ", ".join(parts) or "no tests ran"


def _plural(name: str, count: int) -> str:
    return name + "s" if name == "error" and count != 1 else name


def last_line(output: str) -> str:
    lines = [line.strip("= ") for line in output.strip().splitlines()]
    return lines[-1] if lines else ""


def plain_env(prepared: Prepared) -> dict[str, str]:
    """The bench's environment (minus pytest-web's variables) and the project's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_WEB_")}
    return {**env, **prepared.project.env}


def run_plain(prepared: Prepared, args: list[str]) -> tuple[str, int, float]:
    """pytest's last line, its exit status and the wall time of `pytest ARGS` in the tree."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(prepared.python), "-m", "pytest", *args],
        cwd=prepared.tree,
        env=plain_env(prepared),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    return last_line(done.stdout), done.returncode, time.perf_counter() - start


def discovery(prepared: Prepared, server: Server) -> Row:
    line, _, plain_s = run_plain(prepared, ["--collect-only", "-q"])
    tests = re.search(r"(\d+)(?:/\d+)? tests? collected", line)
    errors = re.search(r"(\d+) errors?", line)
    theirs = (int(tests.group(1)) if tests else 0, int(errors.group(1)) if errors else 0)
    start = time.perf_counter()
    response = server.api("GET", "/api/tests", timeout=RUN_TIMEOUT)
    ours_s = time.perf_counter() - start
    found = response.json()
    if response.status_code != 200:
        mine = (0, 0)
        shown = f"HTTP {response.status_code}: {found.get('error', '')[:200]}"
    else:
        mine = (len(found["tests"]), len(found["errors"]))
        shown = f"{mine[0]} tests, {mine[1]} {_plural('error', mine[1])}"
    project = prepared.project
    pytest_shown = f"{theirs[0]} tests, {theirs[1]} {_plural('error', theirs[1])}"
    return Row(
        project.name, project.version, "discovery", pytest_shown, shown, plain_s, ours_s,
        theirs == mine, line,
    )  # fmt: skip


def run(prepared: Prepared, server: Server, workers: int | str) -> Row:
    args = ["-q", *(["-n", str(workers)] if workers else [])]
    line, returncode, plain_s = run_plain(prepared, args)
    theirs = summary_counts(line)
    start = time.perf_counter()
    run_id = server.start_run(workers=workers, options=["-q"])
    wait_finished(server, run_id, RUN_TIMEOUT)
    ours_s = time.perf_counter() - start
    data = server.api("GET", f"/api/runs/{run_id}", timeout=RUN_TIMEOUT).json()
    mine = {name: count for name, count in data["counts"].items() if name in SHOWN}
    mine.update({f"subtests {k}": v for k, v in data.get("subtests", {}).items() if k in SUBTESTS})
    if "subtests failed" not in theirs:  # pytest counts failed subtests among "failed" only
        mine.pop("subtests failed", None)
    same = written(mine) == written(theirs) and data["exitstatus"] == returncode
    shown = written(mine) + (f" [exit {data['exitstatus']}]" if not same else "")
    pytest_shown = written(theirs) + (f" [exit {returncode}]" if not same else "")
    if data["status"] != "finished":
        shown += f" [run {data['status']}]"
    failing = [f"{t['outcome']} {t['nodeid']}" for t in data["tests"] if t["outcome"] in BAD]
    project = prepared.project
    return Row(
        project.name, project.version, f"-n {workers}", pytest_shown, shown, plain_s, ours_s,
        same and data["status"] == "finished", line, failing[:20],
    )  # fmt: skip


def check(prepared: Prepared, repeat: int) -> list[Row]:
    """Discovery, `-n 0` and `-n 2`, each `repeat` times (plain, then ours)."""
    server = serve(prepared)
    try:
        rows = []
        for step in ("discovery", 0, 2):
            tries = [
                discovery(prepared, server) if step == "discovery" else run(prepared, server, step)
                for _ in range(repeat)
            ]
            rows.append(combined(tries))
            print_row(rows[-1])
        return rows
    finally:
        stop_server(server)


def combined(rows: list[Row]) -> Row:
    """Repeats of one step: the best time of each side; every summary seen, ` | ` between."""
    return replace(
        rows[0],
        pytest=" | ".join(dict.fromkeys(r.pytest for r in rows)),
        ours=" | ".join(dict.fromkeys(r.ours for r in rows)),
        plain_s=min(r.plain_s for r in rows),
        ours_s=min(r.ours_s for r in rows),
        same=all(r.same for r in rows),
        failing=[f for r in rows for f in r.failing],
    )


WIDTHS = (46, 46)
"""The summary columns while rows arrive; the final table fits its longest."""


def head(widths: tuple[int, int]) -> str:
    return (
        f"{'project':22} {'step':9} {'pytest':{widths[0]}} {'pytest-web':{widths[1]}} "
        f"{'plain':>7} {'ours':>7} ratio"
    )


def print_row(row: Row, widths: tuple[int, int] = WIDTHS) -> None:
    mark = "" if row.same else "   <-- DIFFERS"
    print(
        f"{row.project + ' ' + row.version:22} {row.step:9} {row.pytest:{widths[0]}} "
        f"{row.ours:{widths[1]}} {row.plain_s:6.1f}s {row.ours_s:6.1f}s {row.ratio:4.2f}x{mark}",
        flush=True,
    )
    if not row.same:
        for test in dict.fromkeys(row.failing):
            print(f"{'':32} served: {test}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="NAME", help="one project (repeat)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each step (best time)")
    parser.add_argument("--cache", type=Path, default=OUT / "realworld", help="where to set up")
    options = parser.parse_args()
    projects = select(options.only)
    cache: Path = options.cache
    prepared = [prepare(project, cache) for project in projects]
    rows: list[Row] = []
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    ).stdout.strip()
    print(f"\npytest-web: {ROOT} at {commit}\n{head(WIDTHS)}", flush=True)
    for each in prepared:
        rows += check(each, options.repeat)
    widths = (max(len(r.pytest) for r in rows), max(len(r.ours) for r in rows))
    print("\n" + head(widths))
    for row in rows:
        print_row(row, widths)
    print("\nwhat each suite exercises:")
    for each in prepared:
        project = each.project
        print(f"  {project.name} {project.version}: {project.exercises}")
    results: dict[str, Any] = {"rows": [{**asdict(r), "ratio": r.ratio} for r in rows]}
    (cache / "results.json").write_text(json.dumps(results, indent=1))
    differ = [f"{r.project} {r.step}" for r in rows if not r.same]
    print(f"\ndiffering: {', '.join(differ)}" if differ else "\nevery count the same as pytest's")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
