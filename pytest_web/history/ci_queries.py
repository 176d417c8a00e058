"""Reading CI runs back (the dashboard): runs by project and branch, the projects, what changed
in a run against the same branch's previous run, and which tests are flaky.

A test is **flaky** when it failed and passed on the same commit (within one run, its attempts
on several shards or retries, or across runs of that commit), or when its outcomes on a branch
flip between failing and passing at least twice over the branch's last runs (`is_flaky`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from pytest_web.core.outcomes import FAILED, PASSING
from pytest_web.core.run_data import elapsed
from pytest_web.history.queries import RECENT, Changes, is_flaky
from pytest_web.history.writer import History

_COLUMNS = (
    "r.id, r.status, r.created, r.finished, r.exitstatus, r.counts, r.tests, r.flaky,"
    " c.project, c.run_key, c.branch, c.sha, c.url, c.shards"
)
_FAILED = "(" + ",".join(f"'{o}'" for o in sorted(FAILED)) + ")"
_PASSING = "(" + ",".join(f"'{o}'" for o in sorted(PASSING)) + ")"


def _row(row: tuple[Any, ...]) -> dict[str, Any]:
    run_id, status, created, finished, exitstatus, counts, tests, flaky = row[:8]
    project, run_key, branch, sha, url, shards = row[8:]
    return {
        "id": run_id,
        "kind": "ci",
        "status": status,
        "exitstatus": exitstatus,
        "counts": json.loads(counts),
        "created": created,
        "finished": finished,
        "duration": elapsed(created, finished, None),
        "selection": {},
        "command": [],
        "test_count": tests,
        "flaky": flaky,
        "project": project,
        "run_key": run_key,
        "branch": branch,
        "commit": sha,
        "ci_url": url,
        "shards": json.loads(shards),
    }


def ci_run_rows(
    history: History, project: str | None = None, branch: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """CI runs, newest first, of one project (and branch) or of all."""
    with history.lock:
        rows = history.db.execute(
            f"SELECT {_COLUMNS} FROM runs r JOIN ci_runs c ON c.run_n = r.n"
            " WHERE (?1 IS NULL OR c.project = ?1) AND (?2 IS NULL OR c.branch = ?2)"
            " ORDER BY r.n DESC LIMIT ?3",
            (project, branch, limit),
        ).fetchall()
    return [_row(row) for row in rows]


def find_ci_run(history: History, project: str, run_key: str) -> str | None:
    """The id of the kept run of `project` with `run_key`, if there is one."""
    with history.lock:
        row = history.db.execute(
            "SELECT r.id FROM ci_runs c JOIN runs r ON r.n = c.run_n"
            " WHERE c.project = ? AND c.run_key = ?",
            (project, run_key),
        ).fetchone()
    return str(row[0]) if row else None


def running_ci_runs(history: History) -> list[str]:
    """The CI runs left running (by a server that stopped): their shards may still come."""
    with history.lock:
        rows = history.db.execute(
            "SELECT id FROM runs WHERE kind = 'ci' AND status = 'running' ORDER BY n"
        ).fetchall()
    return [str(row[0]) for row in rows]


def projects(history: History) -> list[str]:
    """The projects with kept runs, the most recently active first."""
    with history.lock:
        rows = history.db.execute(
            "SELECT project FROM ci_runs GROUP BY project ORDER BY MAX(run_n) DESC"
        ).fetchall()
    return [str(row[0]) for row in rows]


def _run_of(history: History, run_id: str) -> tuple[int, str, str, str, str] | None:
    row = history.db.execute(
        "SELECT r.n, r.status, c.project, c.branch, c.sha FROM runs r"
        " JOIN ci_runs c ON c.run_n = r.n WHERE r.id = ?",
        (run_id,),
    ).fetchone()
    return (int(row[0]), *row[1:]) if row else None


def _outcomes(history: History, run_n: int) -> dict[str, str]:
    rows = history.db.execute(
        "SELECT t.nodeid, o.outcome FROM outcomes o JOIN tests t ON t.id = o.test"
        " WHERE o.run_n = ?",
        (run_n,),
    )
    return dict(rows.fetchall())


def _branch_runs(history: History, project: str, branch: str, upto: int, limit: int) -> list[int]:
    """The last `limit` ended runs of a branch, up to run `upto`, newest first."""
    rows = history.db.execute(
        "SELECT c.run_n FROM ci_runs c JOIN runs r ON r.n = c.run_n"
        " WHERE c.project = ? AND c.branch = ? AND c.run_n <= ? AND r.status != 'running'"
        " ORDER BY c.run_n DESC LIMIT ?",
        (project, branch, upto, limit),
    )
    return [int(n) for (n,) in rows.fetchall()]


def _flaky(history: History, project: str, branch: str, sha: str, upto: int) -> set[str]:
    """Tests flaky as of run `upto`: failed and passed on its commit, or flipping on its
    branch over its last `RECENT` runs."""
    found: set[str] = set()
    same_commit = [
        int(n)
        for (n,) in history.db.execute(
            "SELECT run_n FROM ci_runs WHERE project = ? AND sha = ? AND sha != '' AND run_n <= ?",
            (project, sha, upto),
        ).fetchall()
    ]
    if same_commit:
        marks = ",".join("?" * len(same_commit))
        rows = history.db.execute(
            f"SELECT t.nodeid FROM outcomes o JOIN tests t ON t.id = o.test"
            f" WHERE o.run_n IN ({marks}) GROUP BY o.test"
            f" HAVING SUM(o.outcome IN {_FAILED}) > 0 AND SUM(o.outcome IN {_PASSING}) > 0"
            f" UNION SELECT t.nodeid FROM ci_flaky f JOIN tests t ON t.id = f.test"
            f" WHERE f.run_n IN ({marks})",
            (*same_commit, *same_commit),
        )
        found.update(nodeid for (nodeid,) in rows.fetchall())
    runs = _branch_runs(history, project, branch, upto, RECENT)
    if len(runs) > 2:  # two flips need three runs
        marks = ",".join("?" * len(runs))
        rows = history.db.execute(
            f"SELECT t.nodeid, o.run_n, o.outcome FROM outcomes o JOIN tests t ON t.id = o.test"
            f" WHERE o.run_n IN ({marks}) AND o.test IN (SELECT test FROM outcomes"
            f"  WHERE run_n IN ({marks}) AND outcome IN {_FAILED})",
            (*runs, *runs),
        )
        seen: dict[str, dict[int, str]] = defaultdict(dict)
        for nodeid, run_n, outcome in rows.fetchall():
            seen[nodeid][run_n] = outcome
        for nodeid, by_run in seen.items():
            if is_flaky([by_run[n] for n in runs if n in by_run]):
                found.add(nodeid)
    return found


def ci_changes(history: History, run_id: str) -> Changes | None:
    """An ended CI run against the same branch's previous ended run: new failures, fixed,
    still failing; flaky tests (see the module) are listed apart, never as news."""
    key = ("ci-changes", run_id)
    if key in history.answers:
        known: Changes = history.answers[key]
        return known
    history.flush()
    with history.lock:
        found_run = _run_of(history, run_id)
        if found_run is None or found_run[1] == "running":
            return None
        run_n, _, project, branch, sha = found_run
        now = _outcomes(history, run_n)
        earlier = _branch_runs(history, project, branch, run_n - 1, 1)
        before = _outcomes(history, earlier[0]) if earlier else {}
        flaky = _flaky(history, project, branch, sha, run_n)
    found = Changes()
    for nodeid in sorted(now):
        outcome, previous = now[nodeid], before.get(nodeid)
        if previous is None:
            found.new_tests += 1
        else:
            found.compared += 1
        if nodeid in flaky:
            found.flaky.append(nodeid)
        elif outcome in FAILED:
            failed_before = previous in FAILED
            (found.still_failing if failed_before else found.new_failures).append(nodeid)
        elif outcome in PASSING and previous in FAILED:
            found.fixed.append(nodeid)
    if len(history.answers) > 100:
        history.answers.clear()
    history.answers[key] = found
    return found


def flaky_tests(history: History, project: str, runs: int = 50) -> list[dict[str, Any]]:
    """The project's flaky tests over its last `runs` ended runs: each with the newest run in
    which it was found flaky, that run's branch and commit. Kept until a run ends (the
    project's page asks every few seconds)."""
    history.flush()
    found: dict[str, dict[str, Any]] = {}
    with history.lock:
        rows = history.db.execute(
            "SELECT c.run_n, r.id, c.branch, c.sha, r.finished FROM ci_runs c"
            " JOIN runs r ON r.n = c.run_n WHERE c.project = ? AND r.status != 'running'"
            " ORDER BY c.run_n DESC LIMIT ?",
            (project, runs),
        ).fetchall()
        key = ("flaky " + project, repr([(row[0], row[4]) for row in rows]))
        if key in history.answers:
            known: list[dict[str, Any]] = history.answers[key]
            return known
        for run_n, run_id, branch, sha, _ in rows:
            for nodeid in sorted(_flaky(history, project, branch, sha, run_n)):
                found.setdefault(
                    nodeid, {"nodeid": nodeid, "run": run_id, "branch": branch, "commit": sha}
                )
    flaky = list(found.values())
    if len(history.answers) > 100:
        history.answers.clear()
    history.answers[key] = flaky
    return flaky


def outcomes_of_ci_test(
    history: History, project: str, nodeid: str, limit: int = RECENT
) -> list[dict[str, Any]]:
    """A test's last outcomes in a project's CI runs, newest first, with branch and commit."""
    with history.lock:
        rows = history.db.execute(
            "SELECT r.id, r.created, o.outcome, o.duration, c.branch, c.sha,"
            " EXISTS(SELECT 1 FROM ci_flaky f WHERE f.test = o.test AND f.run_n = o.run_n)"
            " FROM outcomes o JOIN tests t ON t.id = o.test JOIN runs r ON r.n = o.run_n"
            " JOIN ci_runs c ON c.run_n = o.run_n"
            " WHERE t.nodeid = ? AND c.project = ? ORDER BY o.run_n DESC LIMIT ?",
            (nodeid, project, limit),
        ).fetchall()
    return [
        {
            "run": r[0],
            "created": r[1],
            "outcome": r[2],
            "duration": r[3],
            "branch": r[4],
            "commit": r[5],
            "flaky": bool(r[6]),
        }
        for r in rows
    ]
