"""Generate a deterministic suite of trivial passing tests for the benchmarks.

    python bench/make_suite.py bench/out/suite10k --tests 10000 [--failures 200]

Writes `files` test files (default 100) with `tests // files` tests each: plain functions,
methods of a class and parametrized functions, all `assert True`, plus a pytest.ini so the
suite is its own rootdir. With `--failures N`, the first N // files plain tests of each file
fail with an assertion diff instead (a suite with failures spread over every file, as a user's
page meets it). Running it twice writes the same bytes.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

PYTEST_INI = """[pytest]
testpaths = tests
"""


def file_source(number: int, count: int, failing: int = 0) -> str:
    """One test file holding exactly `count` tests: a third plain (the first `failing` of them
    failing), a third in a class, the rest as one parametrized function."""
    plain = count // 3
    methods = count // 3
    params = count - plain - methods
    lines = [f'"""Generated benchmark tests, file {number}."""', "", "import pytest", ""]
    for i in range(plain):
        body = f"    assert {{'n': {i}}} == {{'n': {i + 1}}}" if i < failing else "    assert True"
        lines += ["", f"def test_plain_{i}():", body, ""]
    if methods:
        lines += ["", f"class TestGroup{number}:"]
        for i in range(methods):
            lines += [f"    def test_method_{i}(self):", "        assert True", ""]
    if params:
        lines += [
            "",
            f"@pytest.mark.parametrize('value', range({params}))",
            "def test_param(value):",
            "    assert True",
            "",
        ]
    return "\n".join(lines) + "\n"


def make_suite(target: Path, tests: int = 10_000, files: int = 100, failures: int = 0) -> Path:
    """Write the suite into `target` (replacing what is there); return `target`."""
    if target.exists():
        shutil.rmtree(target)
    (target / "tests").mkdir(parents=True)
    (target / "pytest.ini").write_text(PYTEST_INI)
    per_file, extra = divmod(tests, files)
    for number in range(files):
        count = per_file + (1 if number < extra else 0)
        path = target / "tests" / f"test_gen_{number:03d}.py"
        path.write_text(file_source(number, count, failures // files))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, nargs="?", default=Path("bench/out/suite"))
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--failures", type=int, default=0, help="failing tests, spread evenly")
    args = parser.parse_args()
    make_suite(args.target, args.tests, args.files, args.failures)
    failing = args.failures // args.files * args.files
    print(f"wrote {args.tests} tests ({failing} failing) in {args.files} files to {args.target}")


if __name__ == "__main__":
    main()
