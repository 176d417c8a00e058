"""Load: a 2,000-test run with `-n 2` while 20 event streams are connected.

The 10,000-test version is `bench/load_streams.py` (too slow for CI on 2 cores).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import requests

from support import shown, summary_counts

pytestmark = pytest.mark.slow

COUNT = re.compile(r'data-count="(\w+)"><b>(\d+)</b>')


def make_suite(folder: Path, files: int = 50, per_file: int = 40) -> None:
    for index in range(files):
        body = "".join(f"def test_{n}():\n    pass\n\n" for n in range(per_file))
        (folder / f"test_gen_{index:03}.py").write_text(body)


def watch(url: str, token: str, finals: list[dict[str, int]], ready: threading.Barrier) -> None:
    """Read the stream until the run shows as finished; keep the counts it showed last."""
    headers = {"Authorization": f"Bearer {token}"}
    with requests.get(url + "/events", headers=headers, stream=True, timeout=300) as stream:
        ready.wait()
        message: list[str] = []
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("data: "):
                message.append(line[6:])
                continue
            if line or not message:
                continue
            text, message = "\n".join(message), []
            head = text.find('id="run-head"')
            if head >= 0 and "s-finished" in text[head : head + 200]:
                finals.append({name: int(n) for name, n in COUNT.findall(text[head:])})
                return


def test_twenty_streams_all_end_with_pytests_counts(make_server, tmp_path: Path) -> None:
    make_suite(tmp_path)
    server = make_server(tmp_path)
    finals: list[dict[str, int]] = []
    ready = threading.Barrier(21)
    watchers = [
        threading.Thread(target=watch, args=(server.url, server.token, finals, ready))
        for _ in range(20)
    ]
    for watcher in watchers:
        watcher.start()
    ready.wait(timeout=60)
    run = server.wait_run(server.start_run(workers=2), timeout=600)
    for watcher in watchers:
        watcher.join(timeout=120)
    expected = summary_counts(tmp_path, "-n", "2")
    assert expected["passed"] == 2_000
    assert run["counts"] == expected
    assert len(finals) == 20
    assert all(final == shown(expected) for final in finals)
