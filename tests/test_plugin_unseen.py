"""The plugin does not show in the run it reports on. With `-n 0` its sender thread lives in
the test process, and real suites look at that process: more-itertools asserts a peak of traced
memory while a test runs (`tracemalloc`), others count threads. Before, the sender joined a
test's 2 MB of output into a batch while the next test traced its memory, and
`threading.active_count()` said 2."""

from __future__ import annotations

import pytest
from test_plugin import TIMEOUT, Ingest, clean_env, ingest, reporting  # noqa: F401 (fixtures)

SUITE = """
import threading, time, tracemalloc

def test_a_prints_a_lot():
    print("x" * 2_000_000)  # sent with this test's end

def test_b_allocates_little():
    tracemalloc.start()
    try:
        deadline = time.monotonic() + 0.5  # the sender posts test_a's end meanwhile
        while time.monotonic() < deadline:
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024, f"peak {peak} bytes traced while this test allocated nothing"

def test_c_no_extra_threads():
    assert threading.active_count() == 1, [t.name for t in threading.enumerate()]
"""


def test_the_sender_is_not_seen_by_the_tests(
    pytester: pytest.Pytester,
    reporting: Ingest,  # noqa: F811 (the fixture)
) -> None:
    pytester.makepyfile(test_memory=SUITE)
    result = pytester.runpytest_subprocess("-p", "pytest_web_plugin", "-q", timeout=TIMEOUT)
    result.assert_outcomes(passed=3)
    ends = [e for e in reporting.events if e["type"] == "test_end"]
    assert len(ends) == 3  # and everything was still sent, the big output with it
    [printed] = [e for e in ends if e["nodeid"].endswith("test_a_prints_a_lot")]
    sections = [text for p in printed["phases"] for _, text in p.get("sections", [])]
    assert any(len(text) > 100_000 for text in sections)
