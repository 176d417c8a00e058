"""Opening result files in the live server: uploads, and files of an artifacts folder.

Uploaded files are saved under a private temporary name (the client's name is only shown,
never used as a path) and read with the same caps as `pytest-web view`. An artifact is named
relative to the artifacts folder; a name that could leave it (`..`, an absolute path, a symlink
out, percent escapes) or that is a device name on some systems (`NUL`, `CON`) is refused.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from pytest_web.core import clean
from pytest_web.results.merge import Results
from pytest_web.results.read import read_file
from pytest_web.results.source import Budget, CapError, ResultFile, ResultFileError

MAX_ARTIFACTS_LISTED = 500
MAX_NAME = 1024
RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(10)), *(f"LPT{n}" for n in range(10))}
)
"""Names that are devices on Windows (and so on some shared mounts): refused everywhere."""
RESULT_SUFFIXES = (".xml", ".json", ".jsonl", ".log", ".gz", ".bz2", ".xz")
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ArtifactError(ValueError):
    """An artifact name that is refused, and why."""


def artifact_path(root: Path, name: str) -> Path:
    """The file `name` (relative, '/'-separated) inside `root`; `ArtifactError` otherwise."""
    if not name or len(name) > MAX_NAME:
        raise ArtifactError("an artifact name must be 1 to 1024 characters")
    if _CONTROL.search(name):
        raise ArtifactError("control characters (NUL, newline…) are not allowed in a name")
    if clean.repair(name) != name:
        raise ArtifactError("the name is not UTF-8")
    if _ESCAPE.search(name):
        raise ArtifactError("percent escapes (%2e, %2f…) are not allowed in a name")
    if name.startswith("/") or "\\" in name or re.match(r"^[A-Za-z]:", name):
        raise ArtifactError("give a path relative to the artifacts folder, with '/'")
    for part in PurePosixPath(name).parts:
        if part == "..":
            raise ArtifactError("'..' is not allowed in a name")
        if part.split(".")[0].upper() in RESERVED:
            raise ArtifactError(f"{part!r} is a reserved device name")
    base = root.resolve()
    target = (base / name).resolve()  # follows every symlink on the way
    if base not in target.parents:
        raise ArtifactError("that name leads outside the artifacts folder (a symlink?)")
    try:
        info = target.stat()
    except OSError:
        raise ArtifactError("no such file in the artifacts folder") from None
    if not stat.S_ISREG(info.st_mode):
        raise ArtifactError("not a regular file")
    return target


def list_artifacts(root: Path | None) -> list[str]:
    """Result-like files inside `root` (relative names, sorted), symlinks out left out, and
    names that are not UTF-8 too: a page cannot show them, nor a form name them back."""
    if root is None or not root.is_dir():
        return []
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for file in sorted(files):
            name = os.path.relpath(os.path.join(folder, file), root).replace(os.sep, "/")
            if not file.lower().endswith(RESULT_SUFFIXES):
                continue
            try:
                artifact_path(root, name)
            except ArtifactError:
                continue
            found.append(name)
            if len(found) >= MAX_ARTIFACTS_LISTED:
                return found
    return found


def display_name(filename: str | None, number: int) -> str:
    """An upload's name as shown: its last path part, no control characters, at most 200."""
    name = _CONTROL.sub("", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])[:200]
    return name or f"upload {number}"


def read_as(path: str, shown: str, budget: Budget | None = None) -> ResultFile:
    """Read `path` but name it `shown`, in the file and in each test's `source`."""
    try:
        result = read_file(path, budget)
    except CapError as error:
        raise CapError(shown, error.reason, error.per_request) from None
    except ResultFileError as error:
        raise ResultFileError(shown, error.reason) from None
    result.path = shown
    for event in result.events:
        if event["type"] == "test_end" and "source" in event:
            event["source"] = shown
    return result


def read_uploads(uploads: Iterable[Any], artifacts: Iterable[tuple[str, Path]]) -> Results:
    """Uploaded files (werkzeug `FileStorage`) and artifacts, each read or refused, all within
    one request's caps (`Budget`)."""
    results = Results(None)
    budget = Budget()
    folder = tempfile.mkdtemp(prefix="pytest-web-upload-")
    try:
        for number, upload in enumerate(uploads, start=1):
            path = os.path.join(folder, f"upload-{number}")
            upload.save(path)
            _read_into(results, path, display_name(upload.filename, number), budget)
        for name, artifact in artifacts:
            _read_into(results, str(artifact), name, budget)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def _read_into(results: Results, path: str, shown: str, budget: Budget) -> None:
    try:
        results.files.append(read_as(path, shown, budget))
    except ResultFileError as error:
        results.errors.append(error)
