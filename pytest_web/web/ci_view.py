"""What the dashboard's pages show, decided here so templates only print it: a CI run's row in
a project's list, and its shards' progress on the run's page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from pytest_web.core.fold import RunState
from pytest_web.core.outcomes import COUNTED, RERUN, summary_shown
from pytest_web.core.shards import Shard

SHARD_ORDER = {"running": 0, "lost": 1, "finished": 2}
"""Shards listed as they need looking at: the ones still going, the lost, the finished."""


@dataclass(frozen=True)
class ShardView:
    name: str
    status: str
    done: int
    """Tests it reported (every attempt)."""
    counts: list[tuple[str, int]]
    """Its non-zero summary counts, pytest's order."""
    exit: str
    url: str


def shard_view(shard: Shard) -> ShardView:
    counts = [(name, n) for name, n in summary_shown(shard.counts) if n]
    done = sum(shard.counts.get(name, 0) for name in COUNTED)
    exit_text = f"exit {shard.exitstatus}" if shard.exitstatus is not None else ""
    return ShardView(shard.name, shard.status, done, counts, exit_text, shard.url)


def shard_views(state: RunState) -> list[ShardView]:
    """A CI run's shards, the running first, then the lost, then the finished, each by name."""
    shards = sorted(state.ci.shards.values(), key=lambda s: (SHARD_ORDER.get(s.status, 3), s.name))
    return [shard_view(s) for s in shards]


def shards_summary(shards: list[dict[str, Any]]) -> str:
    """ "4 shards: 3 finished, 1 lost" from a run row's shards."""
    if not shards:
        return "no shard yet"
    states = Counter(str(s.get("status", "")) for s in shards)
    parts = [f"{states[name]} {name}" for name in ("running", "finished", "lost") if states[name]]
    noun = "shard" if len(shards) == 1 else "shards"
    return f"{len(shards)} {noun}: " + ", ".join(parts)


def short_commit(sha: str) -> str:
    return sha[:10]


@dataclass(frozen=True)
class RunRow:
    """One CI run in a project's list."""

    id: str
    status: str
    created: float | None
    branch: str
    commit: str
    ci_url: str
    counts: list[tuple[str, int]]
    flaky: int
    tests: int
    duration: float | None
    shards: str


def run_row(row: dict[str, Any]) -> RunRow:
    counts = row.get("counts") or {}
    shown = [(n, counts.get(n, 0)) for n in (*COUNTED, RERUN) if counts.get(n, 0)]
    return RunRow(
        id=row["id"],
        status=row.get("status", ""),
        created=row.get("created"),
        branch=row.get("branch", ""),
        commit=short_commit(row.get("commit", "")),
        ci_url=row.get("ci_url", ""),
        counts=shown,
        flaky=int(row.get("flaky") or 0),
        tests=int(row.get("test_count") or 0),
        duration=row.get("duration"),
        shards=shards_summary(row.get("shards") or []),
    )
