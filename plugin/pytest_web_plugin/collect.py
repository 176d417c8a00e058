"""Discovery: the collected tests of `--collect-only`, with their places, written as JSON."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_web_plugin.text import cap, say

_WRAPPER_ATTRIBUTES = ("__wrapped__", "__pytest_wrapped__", "place_as")


def _plain_code(item: Any) -> Any:
    """The code object of a test that is a plain function or method (no wrapper, no
    `place_as`), for which `item.location` is its file and first line; else None."""
    obj = getattr(item, "obj", None) if isinstance(item, pytest.Function) else None
    if obj is None or any(hasattr(obj, name) for name in _WRAPPER_ATTRIBUTES):
        return None
    return getattr(obj, "__code__", None)


def _locations(items: list[pytest.Item]) -> Iterator[tuple[pytest.Item, str, int | None]]:
    """Each item with its file and 1-based line, as `item.location` gives them.

    `item.location` turns the source path into a relative one for every test, which is most of
    what collecting the plugin's JSON costs; for plain functions the path is worked out once per
    source file (checked against pytest's answer) and the line read from the code object.
    """
    files: dict[str, str] = {}
    for item in items:
        code = _plain_code(item)
        if code is not None and code.co_filename in files:
            yield item, files[code.co_filename], code.co_firstlineno
            continue
        file, line, _ = item.location
        if code is not None and line == code.co_firstlineno - 1:
            files[code.co_filename] = file
        yield item, file, None if line is None else line + 1


def _write_collection(config: pytest.Config, session: pytest.Session, path: str) -> None:
    tests = [
        {"nodeid": item.nodeid, "file": file, "line": line}
        for item, file, line in _locations(session.items)
    ]
    data = {"rootdir": str(config.rootpath), "tests": tests, "errors": _collect_errors(session)}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle)


def _collect_errors(session: pytest.Session) -> list[dict[str, str]]:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    failed = reporter.stats.get("error", []) if reporter else []
    return [
        {"nodeid": report.nodeid, "message": cap(report.longreprtext)}
        for report in failed
        if isinstance(report, pytest.CollectReport)
    ]


class Collector:
    """Writes the collected tests to a JSON file (``--collect-only`` discovery)."""

    def __init__(self, path: str) -> None:
        self.path = path

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._write(session)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not os.path.exists(self.path):  # collection errors stop before collection_finish
            self._write(session)

    def _write(self, session: pytest.Session) -> None:
        try:
            _write_collection(session.config, session, self.path)
        except Exception as error:
            say(f"pytest-web: cannot write {self.path}: {error}\n")
