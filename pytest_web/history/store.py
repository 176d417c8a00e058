"""The SQLite file behind run history: where it lives, its schema, and one connection.

A run is kept as its events (zlib-compressed JSON lists, one row per written batch), so opening
it later is the same fold as watching it live. Each finished run also leaves one outcome per
test that ran, which is what the per-test history and "what changed" read. A CI run (the
dashboard) also has a `ci_runs` row (its project, run key, branch, commit, link and shards) and
a `ci_flaky` row per test that failed and passed within it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from pytest_web.core import clean
from pytest_web.core.events import PLUGIN_EVENTS, Event
from pytest_web.history.private import UnsafeFolder, private_file, private_folder

DB_NAME = "history.sqlite3"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL,
    finished REAL,
    exitstatus INTEGER,
    selection TEXT NOT NULL DEFAULT '{}',
    command TEXT NOT NULL DEFAULT '[]',
    counts TEXT NOT NULL DEFAULT '{}',
    tests INTEGER NOT NULL DEFAULT 0,
    flaky INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS batches (
    run_n INTEGER NOT NULL,
    k INTEGER NOT NULL,
    events BLOB NOT NULL,
    PRIMARY KEY (run_n, k)
);
CREATE TABLE IF NOT EXISTS tests (id INTEGER PRIMARY KEY, nodeid TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS outcomes (
    test INTEGER NOT NULL,
    run_n INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    duration REAL NOT NULL,
    PRIMARY KEY (test, run_n)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outcomes_of_run ON outcomes (run_n);
CREATE TABLE IF NOT EXISTS ci_runs (
    run_n INTEGER PRIMARY KEY,
    project TEXT NOT NULL,
    run_key TEXT NOT NULL,
    branch TEXT NOT NULL DEFAULT '',
    sha TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    shards TEXT NOT NULL DEFAULT '[]',
    UNIQUE (project, run_key)
);
CREATE INDEX IF NOT EXISTS ci_runs_of_branch ON ci_runs (project, branch);
CREATE INDEX IF NOT EXISTS ci_runs_of_commit ON ci_runs (project, sha);
CREATE TABLE IF NOT EXISTS ci_flaky (
    test INTEGER NOT NULL,
    run_n INTEGER NOT NULL,
    PRIMARY KEY (test, run_n)
) WITHOUT ROWID;
"""
RUN_TABLES = {"batches": "run_n", "outcomes": "run_n", "ci_runs": "run_n", "ci_flaky": "run_n"}
"""Tables holding rows of a run, and the column that names it (`runs` itself: `n`)."""


class HistoryError(Exception):
    """The history file cannot be opened or is not ours."""


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/pytest-web` (`~/.local/share/pytest-web`): outside any repository."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local/share")
    return Path(base) / "pytest-web"


def database_path(data_dir: Path, repo: Path) -> Path:
    """One history per repository: `DATA/<repo name>-<hash of its path>/history.sqlite3`."""
    resolved = str(repo.resolve())
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", repo.resolve().name or "root")[:40]
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return data_dir / f"{name}-{digest}" / DB_NAME


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating when needed) a history file, in a folder only we can use, with it and its
    -wal and -shm files 0600; `HistoryError` when that is impossible or the folder unsafe."""
    try:
        private_folder(path.parent, path.parent.parent)
        for name in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))):
            if name == path or name.exists():
                private_file(name)
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise HistoryError(f"{path}: written by a newer pytest-web (schema {version})")
        db.executescript(SCHEMA)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except UnsafeFolder as error:
        raise HistoryError(str(error)) from None
    except (OSError, sqlite3.Error) as error:
        raise HistoryError(f"cannot use {path}: {error}") from None
    return db


def pack(events: list[Event]) -> bytes:
    """A batch of events as stored: zlib (fast level) of a JSON list."""
    return zlib.compress(json.dumps(events, separators=(",", ":")).encode(), 1)


_SUSPECT = re.compile(rb"\\ud[89a-f]|Infinity|NaN|[0-9]e\+?[0-9]{2}")
"""What only a batch kept before every value passed the door holds: a lone surrogate's escape,
a number that is not finite or absurdly large (json.dumps writes 1e300 as `1e+300`)."""


def unpack(blob: bytes) -> list[Event]:
    """A stored batch. Its events passed the door before they were kept, so they are trusted;
    a batch an older pytest-web kept with values that break pages is cleaned again."""
    raw = zlib.decompress(blob)
    events = json.loads(raw)
    if not isinstance(events, list):
        return []
    kept = [e for e in events if isinstance(e, dict)]
    if _SUSPECT.search(raw):
        kept = [e for e in map(_cleaned_again, kept) if e is not None]
    return cast(list[Event], kept)


def _cleaned_again(event: dict[str, Any]) -> Any:
    """A plugin event through the door again; the server's own with its text repaired and its
    time checked."""
    if event.get("type") in PLUGIN_EVENTS:
        return clean.event(event)
    return {k: clean.timestamp(v) if k == "time" else _repaired(v) for k, v in event.items()}


def _repaired(value: Any) -> Any:
    if isinstance(value, str):
        return clean.repair(value)
    if isinstance(value, list):
        return [_repaired(v) for v in value]
    if isinstance(value, dict):
        return {_repaired(k): _repaired(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def load_events(db: sqlite3.Connection, run_n: int) -> Iterator[Event]:
    """A kept run's events, in the order they were folded."""
    rows = db.execute("SELECT events FROM batches WHERE run_n = ? ORDER BY k", (run_n,))
    for (blob,) in rows.fetchall():
        yield from unpack(blob)
