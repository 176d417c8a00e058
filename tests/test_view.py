"""`pytest-web view FILE...`: the normal UI over result files, read-only, and the CLI group."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from test_results_formats import run_pytest, write_suite

from pytest_web.core.tree import FOLDER_ROOTS
from pytest_web.web.tree_view import GROUP_ROWS, LAZY_ROWS
from support import DEMO, Server, stop_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The suite run once as a recording and once as JUnit (two attempts per test), a file that
    is no result, and a JUnit file too big to render eagerly."""
    root = tmp_path_factory.mktemp("view")
    repo = write_suite(root / "repo")
    record, junit = root / "run.jsonl.gz", root / "run.xml"
    run = run_pytest(repo, "--continue-on-collection-errors", f"--web-record={record}")
    run_pytest(repo, "--continue-on-collection-errors", f"--junitxml={junit}")
    junk = root / "notes.txt"
    junk.write_text("hello\n")
    big = root / "big.xml"
    size = LAZY_ROWS + GROUP_ROWS
    cases = "".join(
        f'<testcase classname="tests.test_big" name="test_{n}" time="0.001"/>' for n in range(size)
    )
    big.write_text(f"<testsuite>{cases}</testsuite>")
    return {"record": record, "junit": junit, "junk": junk, "big": big, "run": run, "size": size}


@pytest.fixture
def viewer(make_server, files: dict) -> Server:
    return make_server(Path("view"), str(files["record"]), str(files["junit"]), str(files["junk"]))


def test_the_loaded_run_is_in_the_api_with_pytests_counts(viewer: Server, files: dict) -> None:
    runs = viewer.api("GET", "/api/runs").json()["runs"]
    assert [(r["id"], r["status"]) for r in runs] == [("results", "finished")]
    data = viewer.api("GET", "/api/runs/results").json()
    expected = dict(files["run"]["counts"])  # the JUnit attempt came last: its xpass is a pass
    expected["passed"] += expected["xpassed"]
    expected["xpassed"] = 0
    assert data["counts"] == expected
    fail = next(t for t in data["tests"] if t["nodeid"] == "tests/test_basic.py::test_fail")
    assert fail["attempts"] == 2 and fail["source"] == str(files["junit"])


def test_nothing_can_be_run_or_changed(viewer: Server) -> None:
    htmx = {"HX-Request": "true"}
    for method, path, kwargs in [
        ("POST", "/api/runs", {"json": {}}),
        ("POST", "/api/runs/results/cancel", {}),
        ("GET", "/api/tests", {}),
        ("GET", "/tests", {"headers": htmx}),
        ("POST", "/runs", {"headers": htmx, "data": {"scope": "all"}}),
        ("POST", "/runs/results/cancel", {"headers": htmx}),
        ("POST", "/internal/event", {"json": [{"type": "session_start"}]}),
        ("GET", "/results", {}),
        ("POST", "/api/results", {"files": {"file": ("a.xml", b"<testsuite/>")}}),
    ]:
        response = viewer.api(method, path, **kwargs)
        assert response.status_code == 403, (method, path, response.text)
        assert "read-only" in response.text


def test_the_page_has_no_run_controls_and_names_the_refused_file(
    viewer: Server, files: dict
) -> None:
    html = viewer.api("GET", "/").text
    for control in ('id="run-form"', 'id="fetch-form"', 'id="cancel"', "hx-sse:connect"):
        assert control not in html
    assert "read-only" in html and str(files["record"]) in html
    assert f"refused {files['junk']}: not a result file" in html
    assert any(f"refused {files['junk']}" in line for line in viewer.output)


@pytest.mark.browser
def test_browser_shows_a_failure_with_its_attempts(viewer: Server, page, files: dict) -> None:
    from playwright.sync_api import expect

    page.goto(viewer.page_url)
    expect(page.locator("#run-head .status")).to_have_text("finished")
    expect(page.locator("#run-head [data-count=failed] b")).to_have_text(
        str(files["run"]["counts"]["failed"])
    )
    expect(page.locator("#run-all")).to_have_count(0)
    page.locator("#tree").get_by_role("link", name="test_fail", exact=True).click()
    detail = page.locator("#detail")
    expect(detail.locator(".longrepr").last).to_contain_text("assert 1 == 2")
    expect(detail).to_contain_text("2 attempts")
    expect(detail).to_contain_text(str(files["junit"]))


@pytest.mark.browser
def test_a_big_run_loads_rows_only_for_the_opened_group(make_server, page, files: dict) -> None:
    from playwright.sync_api import expect

    server = make_server(Path("view"), str(files["big"]))
    html = server.api("GET", "/").text
    assert html.count('class="t"') == 0 and 'class="g lazy"' in html
    page.goto(server.page_url)
    expect(page.locator("#run-head [data-count=passed] b")).to_have_text(str(files["size"]))
    page.locator("details.g.lazy > summary").first.click()
    expect(page.locator("li.t")).to_have_count(GROUP_ROWS)
    more = page.locator("li.more button")
    expect(more).to_contain_text(f"{files['size'] - GROUP_ROWS} left")
    more.click()  # a page of rows at a time
    expect(page.locator("li.t")).to_have_count(2 * GROUP_ROWS)
    scroll_to_the_end(page)  # the next pages come as the list scrolls by, with no click
    expect(page.locator("li.t")).to_have_count(files["size"])
    expect(page.locator("li.more")).to_have_count(0)
    page.locator("#tree").get_by_role("link", name="test_7", exact=True).click()
    expect(page.locator("#detail")).to_contain_text("tests/test_big.py::test_7")


@pytest.mark.browser
def test_a_run_of_many_files_opens_folder_by_folder(make_server, page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    files = FOLDER_ROOTS + 1  # per folder; 20 tests each makes a lazy tree
    cases = [
        f'<testcase classname="tests.{d}.test_m{n}" name="test_{i}" time="0.001"'
        + (
            "><failure message='boom'>trace</failure></testcase>"
            if (d, n, i) == ("b", 3, 7)
            else "/>"
        )
        for d in ("a", "b")
        for n in range(files)
        for i in range(20)
    ]
    junit = tmp_path / "many.xml"
    junit.write_text(f"<testsuite>{''.join(cases)}</testsuite>")
    server = make_server(Path("view"), str(junit))
    html = server.api("GET", "/").text
    assert html.count('class="g lazy"') == 2 and "tests/a/test_m0.py" not in html
    page.goto(server.page_url)
    folder_b = page.locator("details.g.lazy", has_text="tests/b/").first
    expect(folder_b.locator("summary")).to_contain_text("1 failed")
    page.click("label.chip:has(#show-failed)")  # a folder without failures is hidden
    expect(page.locator("summary", has_text="tests/a/")).to_be_hidden()
    page.click("label.chip:has(#show-all)")
    folder_b.locator("summary").click()
    expect(folder_b.locator("li.more button")).to_be_attached()
    scroll_to_the_end(page)  # a page of files at a time, the next as the list scrolls by
    expect(folder_b.locator("details.g.lazy")).to_have_count(files)  # closed, rows not loaded
    expect(page.locator("li.t")).to_have_count(0)
    folder_b.locator("summary", has_text="tests/b/test_m3.py").click()
    expect(page.locator("li.t")).to_have_count(20)
    page.locator("#tree").get_by_role("link", name="test_7", exact=True).click()
    expect(page.locator("#detail")).to_contain_text("tests/b/test_m3.py::test_7")


def test_view_with_no_readable_file_fails_at_once(files: dict) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_web", "view", str(files["junk"]), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert f"refused {files['junk']}" in done.stderr
    assert "none of the files could be read" in done.stderr


def test_options_before_the_repository_still_serve_it(tmp_path: Path) -> None:
    """`pytest-web --port 0 REPO`: the group passes anything that is no command to `serve`."""
    token = "test-token-" + os.urandom(4).hex()
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_web", "--port", "0", str(DEMO)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTEST_WEB_TOKEN": token},
        start_new_session=True,
    )
    server = None
    try:
        for line in process.stdout:
            found = re.search(r"open (http://\S+?)/\?token=", line)
            if found:
                server = Server(found.group(1), token, DEMO, process)
                break
        assert server is not None
        response = requests.get(server.url + "/healthz", timeout=30)
        assert response.json() == {"status": "ok"}
    finally:
        if server is not None:
            stop_server(server)
        else:
            process.kill()
            process.wait()


def test_help_lists_the_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_web", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert all(word in done.stdout for word in ("serve", "view", "export"))


def scroll_to_the_end(page) -> None:
    """Scroll each 'Show more' into view until none is left: it loads the next page itself."""
    for _ in range(100):
        if not page.locator("li.more button").count():
            return
        page.locator("li.more button").last.scroll_into_view_if_needed()
        page.wait_for_timeout(100)
    raise AssertionError("'Show more' still there after 100 pages")
