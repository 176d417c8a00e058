"""pytest-web's pytest plugin: reports a run's events to the pytest-web server.

Standard library only, so it loads in any interpreter that has pytest, even one where
pytest-web itself is not installed (put this folder's parent on PYTHONPATH and use
``-p pytest_web_plugin``). It is a no-op unless ``--web-record`` or its environment variables
are set:

- ``--web-record=PATH`` (or ``PYTEST_WEB_RECORD``): write the run's events to PATH as JSON
  lines (gzip-compressed when PATH ends in ``.gz``), flushed per line, with no server at all: a
  CI job keeps the file as an artifact and ``pytest-web view PATH`` shows it later.
- ``PYTEST_WEB_URL``, ``PYTEST_WEB_RUN``, ``PYTEST_WEB_SECRET``: POST the run's events in
  batches to the server's ingest route.
- ``PYTEST_WEB_SPOOL``: the server's own write-through copy of every event, read back only when
  pytest died before the sender posted everything.
- ``PYTEST_WEB_COLLECT``: write the collected tests of ``--collect-only`` as JSON to that path.
- ``--web-stream=URL`` (or ``PYTEST_WEB_STREAM``), with ``PYTEST_WEB_UPLOAD_TOKEN``: stream the
  session to a pytest-web dashboard as one shard of a CI run (``--web-project``,
  ``--web-run-key``, ``--web-shard``; by default from the CI's variables, see ``ci.py``), with
  nothing lost or sent twice (``stream.py``). Works beside ``--web-record``.

Under xdist only the controller reports (workers' reports are re-fired there), so every test is
counted once. Events are queued and sent by a background thread: the run never waits on the
network, and if the server is unreachable the plugin says so once on stderr and goes quiet.
"""

from __future__ import annotations

import os
import urllib.parse
import weakref
from typing import Any

import pytest

from pytest_web_plugin.ci import detect
from pytest_web_plugin.collect import Collector
from pytest_web_plugin.names import (
    ENV_COLLECT,
    ENV_PROJECT,
    ENV_RECORD,
    ENV_RUN,
    ENV_RUN_KEY,
    ENV_SECRET,
    ENV_SHARD,
    ENV_SHARDS,
    ENV_SPOOL,
    ENV_STREAM,
    ENV_UPLOAD_TOKEN,
    ENV_URL,
    RUN_HEADER,
    SECRET_HEADER,
    TEXT_CAP,
)
from pytest_web_plugin.record import MappedRecorder, Recorder
from pytest_web_plugin.reporter import Reporter, Writer, phase_of
from pytest_web_plugin.sender import Sender
from pytest_web_plugin.stream import Stream
from pytest_web_plugin.text import say

__all__ = [
    "ENV_COLLECT",
    "ENV_RECORD",
    "ENV_RUN",
    "ENV_SECRET",
    "ENV_SPOOL",
    "ENV_URL",
    "RUN_HEADER",
    "SECRET_HEADER",
    "TEXT_CAP",
    "MappedRecorder",
    "Recorder",
    "Reporter",
    "Sender",
    "Stream",
    "phase_of",
    "pytest_addoption",
    "pytest_configure",
    "pytest_unconfigure",
]

_REPORTER_NAME = "pytest-web-reporter"
_PARSERS: weakref.WeakSet[Any] = weakref.WeakSet()
"""Parsers that already have our options: the module may be registered under two names."""


def pytest_addoption(parser: pytest.Parser) -> None:
    if parser in _PARSERS:  # registered as both pytest_web.plugin and pytest_web_plugin
        return
    _PARSERS.add(parser)
    group = parser.getgroup("pytest-web")
    group.addoption(
        "--web-record",
        dest="web_record",
        metavar="PATH",
        default=None,
        help="Write this run's events to PATH as JSON lines (.gz: compressed), flushed per line, "
        "for `pytest-web view PATH` (also PYTEST_WEB_RECORD).",
    )
    group.addoption(
        "--web-stream",
        dest="web_stream",
        metavar="URL",
        default=None,
        help="Stream this session to the pytest-web dashboard at URL as one shard of a CI run "
        "(also PYTEST_WEB_STREAM); the upload token comes from PYTEST_WEB_UPLOAD_TOKEN only.",
    )
    for name, env, what in (
        ("project", ENV_PROJECT, "the project (default: the repository, from CI or git)"),
        ("run-key", ENV_RUN_KEY, "the CI run and attempt every shard shares (default: CI's)"),
        ("shard", ENV_SHARD, "this shard's name (default: the CI job's)"),
        ("shards", ENV_SHARDS, "how many shards the run has (default: CI's, when it says)"),
    ):
        group.addoption(
            f"--web-{name}",
            dest="web_" + name.replace("-", "_"),
            default=None,
            help=f"With --web-stream: {what} (also {env}).",
        )
    group.addoption(
        "--web-stream-timeout",
        dest="web_stream_timeout",
        metavar="SECONDS",
        type=float,
        default=30.0,
        help="With --web-stream: how long pytest waits at its end for the dashboard to take "
        "the rest (default 30); what it does not take stays in the --web-record file.",
    )


def _writers(config: pytest.Config) -> list[Writer]:
    """The record file (``--web-record``: a bad path stops pytest; PYTEST_WEB_RECORD only
    warns) and the server's spool."""
    writers: list[Writer] = []
    option_path = config.getoption("web_record", None)
    record_path = os.environ.get(ENV_RECORD)
    try:
        if option_path:
            writers.append(Recorder(str(option_path), fresh=True))
        elif record_path:
            writers.append(Recorder(record_path))
    except OSError as error:
        if option_path:
            raise pytest.UsageError(f"--web-record: cannot write {option_path}: {error}") from None
        say(f"pytest-web: cannot record to {record_path}: {error}\n")
    spool_path = os.environ.get(ENV_SPOOL)
    if spool_path:
        try:
            writers.append(MappedRecorder(spool_path))
        except (OSError, ValueError) as error:
            say(f"pytest-web: cannot spool to {spool_path}: {error}\n")
    return writers


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or config.pluginmanager.has_plugin(_REPORTER_NAME):
        return  # an xdist worker: the controller reports its tests
    collect_path = os.environ.get(ENV_COLLECT)
    if collect_path:
        config.pluginmanager.register(Collector(collect_path), _REPORTER_NAME)
        return
    url, run, secret = (os.environ.get(name) for name in (ENV_URL, ENV_RUN, ENV_SECRET))
    writers = _writers(config)
    sender = Sender(url, run, secret) if url and run and secret else None
    stream, ci = _stream(config, writers)
    if sender is not None or writers or stream is not None:
        reporter = Reporter(config, sender, writers, run if sender and run else "", stream, ci)
        config.pluginmanager.register(reporter, _REPORTER_NAME)


def _option(config: pytest.Config, name: str, env: str) -> str:
    value = config.getoption(name, None) or os.environ.get(env) or ""
    return str(value).strip()


def _stream(
    config: pytest.Config, writers: list[Writer]
) -> tuple[Stream | None, dict[str, Any] | None]:
    """The dashboard stream (`--web-stream`) and what the session says it is, or (None, None).
    A bad address given as an option stops pytest; anything else only says why, once."""
    url = _option(config, "web_stream", ENV_STREAM)
    if not url:
        return None, None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        message = f"--web-stream: {url!r} is no http:// or https:// address"
        if config.getoption("web_stream", None):
            raise pytest.UsageError(message)
        say(f"pytest-web: {message} (PYTEST_WEB_STREAM); not streaming\n")
        return None, None
    token = os.environ.get(ENV_UPLOAD_TOKEN, "")
    if not token:
        say(f"pytest-web: {ENV_UPLOAD_TOKEN} is not set: not streaming to {url}\n")
        return None, None
    project = _option(config, "web_project", ENV_PROJECT)
    found = detect(folder=str(config.rootpath), project=project)
    shards = _option(config, "web_shards", ENV_SHARDS)
    info: dict[str, Any] = {
        **found.as_info(),
        "project": found.project,
        "run_key": _option(config, "web_run_key", ENV_RUN_KEY) or found.run_key,
        "shard": _option(config, "web_shard", ENV_SHARD) or found.shard,
        "session": os.urandom(8).hex(),
    }
    if shards.isdigit():
        info["shards"] = int(shards)
    keep = next((w.path for w in writers if isinstance(w, Recorder)), None)
    timeout = config.getoption("web_stream_timeout", 30.0) or 0.0
    return Stream(url, token, info, timeout=float(timeout), keep_path=keep), info


def pytest_unconfigure(config: pytest.Config) -> None:
    plugin = config.pluginmanager.get_plugin(_REPORTER_NAME)
    if isinstance(plugin, Reporter):
        try:
            plugin.close()
        except Exception:
            pass
