"""The events: what the plugin sends, what the readers of result files make, and what the
server adds. A run is the fold of its events (`fold.RunState.apply`), whatever their source.

Events from outside (the plugin's POSTs, result files, the plugin's record read back after a
crash) pass through `clean.event` first, which rebuilds them with exactly these fields and types.
The plugin (standard library only, `plugin/pytest_web_plugin/`) keeps its own copy of the names
below; `tests/test_events.py` checks the copies against this module.
"""

from __future__ import annotations

from typing import Literal, TypedDict

Location = list[str | int | None]
"""pytest's `[file, 0-based line or None, domain]` (the domain may be missing)."""


class _PhaseRequired(TypedDict):
    when: str
    """"setup", "call", "teardown", "collect" (a module-level skip) or "???" (a crashed worker)."""
    outcome: str
    """"passed", "failed" or "skipped" (pytest's report outcome), or "rerun" (rerunfailures)."""
    duration: float


class Subtest(TypedDict):
    """Which subtest a report is (pytest 9's `subtests`, unittest's `subTest`, pytest-subtests)."""

    msg: str
    params: dict[str, str]
    """The subtest's keyword parameters, each value as its repr."""


class Phase(_PhaseRequired, total=False):
    """One of a test's reports."""

    longrepr: str
    wasxfail: str
    """Present on xfail/xpass reports (the reason, possibly empty)."""
    sections: list[list[str]]
    """Captured output: `[title, text]` pairs."""
    subtest: Subtest
    """Present on a subtest's report."""
    category: str
    """The summary-line category pytest itself gave the report ("failed", "subtests passed",
    or "" when this verbosity does not count it); sent for subtests, whose counting depends
    on pytest's options."""


class _Numbered(TypedDict, total=False):
    i: int
    """The event's number in its pytest session: repeats and replays are dropped by it."""
    run: str
    """The run id the server gave (live runs only)."""
    source: str
    """Where the event came from when a run has several: the shard of a CI run (set by the
    server from the request, never taken from the event), or the result file of a `test_end`
    or a `collect_error`.
    Numbers `i` count per source."""


class CiInfo(TypedDict, total=False):
    """Which CI run and shard a session belongs to, as its plugin found it (options, CI
    variables, the git remote). Sent in a streamed session's `session_start`."""

    project: str
    run_key: str
    """The CI run and its attempt: every shard that sends the same project and run key joins
    the same run."""
    shard: str
    session: str
    """Random per pytest session: two sessions that give the same shard name stay apart."""
    shards: int
    """How many shards the run has, when the CI says (0: not known)."""
    branch: str
    commit: str
    url: str
    """The CI run's page."""
    job_url: str
    """This shard's job page."""


class RunCreated(TypedDict, total=False):
    type: Literal["run_created"]
    kind: str
    """"live", "results", "collection" or "ci"."""
    selection: dict[str, object]
    command: list[str]
    time: float | None
    ci: CiInfo
    """A CI run's project and run key."""


class SessionStart(_Numbered, total=False):
    type: Literal["session_start"]
    pytest_version: str
    rootdir: str
    time: float | None
    ci: CiInfo
    """A shard streaming to a dashboard (or recording beside it) says which run it is of."""


class Collection(_Numbered, total=False):
    type: Literal["collection"]
    nodeids: list[str]
    locations: list[Location]
    """Given by a discovery: each test's place, in the order of `nodeids`."""


class CollectError(_Numbered, total=False):
    type: Literal["collect_error"]
    nodeid: str
    longrepr: str


class TestStart(_Numbered, total=False):
    type: Literal["test_start"]
    nodeid: str
    location: Location


class TestEnd(_Numbered, total=False):
    type: Literal["test_end"]
    nodeid: str
    location: Location
    worker: str | None
    phases: list[Phase]
    time: float | None


class SubtestEnd(_Numbered, total=False):
    """One subtest's report, sent as pytest makes it (a test may have 80,000: they are counted
    one by one, never held in its `test_end`)."""

    type: Literal["subtest_end"]
    nodeid: str
    phase: Phase


class SessionEnd(_Numbered, total=False):
    type: Literal["session_end"]
    exitstatus: int | None
    time: float | None


class ShardStatus(TypedDict, total=False):
    """The server's word on a CI shard: `lost` when it sent nothing (not even a heartbeat) for
    the shard timeout, `running` when it speaks again."""

    type: Literal["shard"]
    source: str
    status: str
    time: float | None


class Output(TypedDict, total=False):
    type: Literal["output"]
    text: str


class RunExit(TypedDict, total=False):
    type: Literal["run_exit"]
    returncode: int | None
    cancelled: bool
    interrupted: bool
    """The server stopped mid-run (written when it starts again)."""
    collected: bool
    """A discovery's end: its tests were found, never meant to run."""
    time: float | None


Event = (
    RunCreated
    | SessionStart
    | Collection
    | CollectError
    | TestStart
    | TestEnd
    | SubtestEnd
    | SessionEnd
    | ShardStatus
    | Output
    | RunExit
)

PluginEvent = (
    SessionStart | Collection | CollectError | TestStart | TestEnd | SubtestEnd | SessionEnd
)
"""What the plugin sends (and a recording holds)."""

PLUGIN_EVENTS = frozenset(
    {
        "session_start",
        "collection",
        "collect_error",
        "test_start",
        "test_end",
        "subtest_end",
        "session_end",
    }
)
"""The event types the plugin sends; the others (run_created, shard, output, run_exit) are the
server's own."""

SECRET_HEADER = "X-Pytest-Web-Secret"
RUN_HEADER = "X-Pytest-Web-Run"
"""The headers carrying a live run's secret and id on the plugin's POSTs: the server checks
both before it reads the body."""

ENV_URL = "PYTEST_WEB_URL"
ENV_RUN = "PYTEST_WEB_RUN"
ENV_SECRET = "PYTEST_WEB_SECRET"
ENV_RECORD = "PYTEST_WEB_RECORD"
ENV_SPOOL = "PYTEST_WEB_SPOOL"
ENV_COLLECT = "PYTEST_WEB_COLLECT"
"""The plugin's environment: where to POST, the run and its secret, a record file (a user's),
the spool (the server's own write-through copy of a live run, read back after a crash; it ends
in zero bytes until the run closes it), and the file a discovery's tests are written to."""

ENV_STREAM = "PYTEST_WEB_STREAM"
ENV_UPLOAD_TOKEN = "PYTEST_WEB_UPLOAD_TOKEN"
ENV_PROJECT = "PYTEST_WEB_PROJECT"
ENV_RUN_KEY = "PYTEST_WEB_RUN_KEY"
ENV_SHARD = "PYTEST_WEB_SHARD"
ENV_SHARDS = "PYTEST_WEB_SHARDS"
"""Streaming to a dashboard: its address, the upload token (only ever from the environment),
and what the CI variables would otherwise say: the project, the run key, this shard's name and
how many shards there are."""

CI_EVENTS_PATH = "/api/ci/events"
"""Where a shard POSTs its events, below the dashboard's address."""
PROJECT_HEADER = "X-Pytest-Web-Project"
RUN_KEY_HEADER = "X-Pytest-Web-Run-Key"
SHARD_HEADER = "X-Pytest-Web-Shard"
SESSION_HEADER = "X-Pytest-Web-Session"
AFTER_HEADER = "X-Pytest-Web-After"
"""A streamed batch says, in headers read before its body: whose it is (project, run key,
shard, session) and the number of the event it follows (`after`): it holds every event of the
session after that one. The server answers with the highest number it holds."""
