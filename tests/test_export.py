"""`pytest-web export`: one self-contained HTML file, readable offline with JavaScript off."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_results_formats import run_pytest, write_suite

from pytest_web.results import open_results
from pytest_web.web.report import OPEN_ROWS
from support import shown, summary_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A CI run recorded and written as JUnit, exported with a refused file next to them."""
    root = tmp_path_factory.mktemp("export")
    repo = write_suite(root / "repo")
    record, junit, junk = root / "run.jsonl.gz", root / "run.xml", root / "junk.txt"
    junk.write_text("not results\n")
    run = run_pytest(
        repo,
        "--continue-on-collection-errors",
        f"--web-record={record}",
        f"--junitxml={junit}",
    )
    output = root / "report.html"
    done = export(record, junk, output=output)
    assert done.returncode == 0, done.stderr
    return {"html": output, "text": output.read_text(), "run": run, "export": done, "junk": junk}


def export(*files: Path, output: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest_web", "export", *map(str, files), "-o", str(output)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


class Refs(HTMLParser):
    """Every tag and every attribute that could load something."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "data", "poster", "srcset", "background"):
                self.refs.append((tag, name, value or ""))


def test_the_report_is_self_contained(report: dict) -> None:
    parser = Refs()
    parser.feed(report["text"])
    assert parser.refs == []
    assert not parser.tags & {"script", "link", "iframe", "img", "object", "embed", "base"}
    assert "url(" not in report["text"] and "@import" not in report["text"]
    assert "Content-Security-Policy" in report["text"] and "default-src 'none'" in report["text"]


def test_every_test_with_outcome_duration_traceback_and_output(report: dict) -> None:
    text = report["text"]
    state = open_results([str(report["html"].with_name("run.jsonl.gz"))]).state
    assert text.count('<li class="t ') == len(state.tests)
    counts = shown(summary_of(report["run"]["stdout"]))
    for name, number in counts.items():
        zero = "" if number else " zero"
        assert f'<span class="count o-{name}{zero}"><b>{number}</b>' in text
    assert "assert 1 == 2" in text and "teardown broke" in text and "to stderr" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>" not in text
    assert f"refused {report['junk']}: not a result file" in text


def test_export_says_what_it_refused_and_fails_when_nothing_is_left(
    report: dict, tmp_path: Path
) -> None:
    assert f"refused {report['junk']}" in report["export"].stderr
    done = export(report["junk"], output=tmp_path / "none.html")
    assert done.returncode == 1 and "none of the files could be read" in done.stderr
    assert not (tmp_path / "none.html").exists()


@pytest.mark.browser
def test_in_chromium_without_javascript_a_failure_shows_its_traceback(
    report: dict, browser
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report["html"].as_uri())
    failure = page.locator("#failures details", has_text="test_basic.py::test_fail ").first
    expect(failure.locator("pre")).to_contain_text("assert 1 == 2")
    expect(page.locator("#tests li.t.o-passed").first).to_be_visible()

    page.locator("label[for=show-failed]").click()  # a CSS-only filter
    expect(page.locator("#tests li.t.o-passed").first).to_be_hidden()
    expect(page.locator("#tests li.t.o-failed").first).to_be_visible()

    row = page.locator("#tests li.t.o-error", has_text="test_fail_and_teardown_error")
    row.locator("summary").click()
    expect(row.locator("pre").first).to_contain_text("teardown broke")
    assert page.locator("script").count() == 0
    assert requests == [report["html"].as_uri()]
    context.close()


def test_a_big_run_is_grouped_by_file_and_closed(tmp_path: Path) -> None:
    cases = "".join(
        f'<testcase classname="tests.test_m{n // 100}" name="test_{n}" time="0.01">'
        + ("<failure message='no'>boom</failure>" if n == 4321 else "")
        + "</testcase>"
        for n in range(OPEN_ROWS * 3)
    )
    junit = tmp_path / "big.xml"
    junit.write_text(f"<testsuite>{cases}</testsuite>")
    done = export(junit, output=tmp_path / "big.html")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "big.html").read_text()
    assert text.count('<details class="file"') == OPEN_ROWS * 3 // 100
    assert text.count('<details class="file" open>') == 1  # only the file with the failure
    assert "<code>tests/test_m43.py</code>" in text.split('<details class="file" open>')[1][:200]
