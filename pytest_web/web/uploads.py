"""Open results in the live server: uploaded and artifact files read, capped and folded off the
event loop, then kept.

Reading, merging and packing a request's files for history run in gevent's thread pool
(`background.off_the_loop`): a million tests are seconds of CPU, which on the loop would stall
every page, stream and live run (a 2 MB `.xz` of 5.5 million tests once held the one worker
until gunicorn killed it, and the live run with it). Files over a cap (`results.source`) stop
being read at the cap; a request over its caps is a 413 that names them.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import abort, request

from pytest_web.core.events import Event
from pytest_web.core.fold import RunState
from pytest_web.core.hub import Run, results_id
from pytest_web.history.store import pack
from pytest_web.results.artifacts import ArtifactError, artifact_path, read_uploads
from pytest_web.results.merge import Results, merged_events
from pytest_web.results.source import MAX_FILE_BYTES, CapError
from pytest_web.web.background import off_the_loop
from pytest_web.web.services import services

UPLOAD_LIMIT = MAX_FILE_BYTES + 1024 * 1024
"""Bytes per request (chunked uploads included): one file at its cap, or several smaller."""
SLICE = 5000
"""Events per batch kept in history."""


@dataclass
class Opened:
    """What the thread pool hands back: the files read, their run, its batches for history."""

    results: Results
    state: RunState | None = None
    batches: list[bytes] = field(default_factory=list)


def read_and_fold(uploads: list[Any], artifacts: list[tuple[str, Path]], keep: bool) -> Opened:
    """Read the files (each within its caps and the request's), merge them into one run, and
    pack its events for history when `keep`. Plain Python: it runs in a thread.

    The garbage collector waits meanwhile, and what was made is then frozen (`gc.freeze`): a
    full pass over the hundreds of thousands of new objects would hold the interpreter, the
    event loop's thread included, for most of a second (and find nothing to free; frozen objects
    are still freed when no longer referenced). With both, `/healthz` answered within 0.17 s
    during a 200,000-test upload; without them, 0.9 s.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        results = read_uploads(uploads, artifacts)
        opened = Opened(results)
        if results.files and not any(_per_request(e) for e in results.errors):
            opened.state, opened.batches = fold(results, keep)
        gc.freeze()
        return opened
    finally:
        if enabled:
            gc.enable()


def fold(results: Results, keep: bool) -> tuple[RunState, list[bytes]]:
    """The files' run, and its events packed for history in slices as they are folded (when
    `keep`): each file's events are let go as they go, never all held at once."""
    state = results.state = RunState(results_id())
    batches: list[bytes] = []
    batch: list[Event] = []
    for event in merged_events(results.files, state):
        state.apply(event)
        if keep:
            batch.append(event)
            if len(batch) >= SLICE:
                batches.append(pack(batch))
                batch = []
    if batch:
        batches.append(pack(batch))
    return state, batches


def _per_request(error: Exception) -> bool:
    return isinstance(error, CapError) and error.per_request


def open_files() -> tuple[Run, Results]:
    """Read what the request names, merge it into one run kept beside live runs; 400 if none
    can be read, 413 when the request is over a cap."""
    request.max_content_length = UPLOAD_LIMIT  # also caps chunked bodies
    uploads = [f for f in request.files.getlist("file") if f.filename or f.content_length]
    names = [n for n in request.form.getlist("artifact") if n]
    if not uploads and not names:
        abort(400, "choose result files to upload, or artifacts to open")
    artifacts = []
    root = services().settings.artifacts
    for name in names:
        if root is None:
            abort(400, "this server has no artifacts folder (start it with --artifacts DIR)")
        try:
            artifacts.append((name, artifact_path(root, name)))
        except ArtifactError as error:
            abort(400, f"refused artifact {name!r}: {error}")
    history = services().history
    opened = off_the_loop(read_and_fold, uploads, artifacts, history is not None)
    results = opened.results
    capped = [e for e in results.errors if isinstance(e, CapError)]
    if any(e.per_request for e in capped) or (capped and not results.files):
        abort(413, "over what one request may open:\n" + "\n".join(results.problems))
    if opened.state is None:
        abort(400, "none of the files could be read:\n" + "\n".join(results.problems))
    run = services().hub.add_results(opened.state)
    if history is not None:
        history.keep_packed(opened.state, opened.batches)
    return run, results
