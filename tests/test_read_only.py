"""`pytest-web view FILE`: the loaded run is served with the normal pages, and nothing that would
run pytest or change what is shown is answered (403), whoever asks."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from events import row_outcomes
from flask import Flask
from flask.testing import FlaskClient

from pytest_web.results.merge import open_results
from pytest_web.web import create_app, read_only, view_cache
from pytest_web.web.services import services
from support import JUNIT, TOKEN, app_config

REFUSED = "read-only: this server shows result files and runs nothing"
NODEIDS = [
    "tests/test_shop.py::test_pays",
    "tests/test_shop.py::test_refunds",
    "tests/test_shop.py::TestCart::test_empty",
]


def test_the_page_shows_the_loaded_run_read_only(viewer: FlaskClient, junit_file: Path) -> None:
    html = viewer.get("/").text
    assert '<section id="run-view" data-run="results" data-status="finished">' in html
    assert row_outcomes(html) == {0: "passed", 1: "failed", 2: "passed"}
    assert '<span class="read-only">read-only</span>' in html
    assert f"1 result file: {junit_file}" in html
    for control in ('id="run-form"', 'id="fetch-form"', 'type="checkbox"', "hx-sse:connect"):
        assert control not in html, control


def test_the_loaded_run_is_served_by_every_reading_route(viewer: FlaskClient) -> None:
    data = viewer.get("/api/runs/results").get_json()
    assert data["status"] == "finished" and [t["nodeid"] for t in data["tests"]] == NODEIDS
    assert [r["id"] for r in viewer.get("/api/runs").get_json()["runs"]] == ["results"]
    assert viewer.get("/runs/results").status_code == 200
    tree = viewer.get("/runs/results/tree", query_string={"q": "refunds"}).text
    assert list(row_outcomes(tree).values()) == ["failed"]
    detail = viewer.get("/detail", query_string={"run": "results", "nodeid": NODEIDS[1]}).text
    assert '<span class="ln err">E       assert 2 == 3</span>' in detail
    assert viewer.get("/healthz").get_json() == {"status": "ok"}


def test_there_is_no_history_to_show(viewer: FlaskClient, viewer_app: Flask) -> None:
    assert services(viewer_app).history is None
    assert viewer.get("/runs").status_code == 404
    assert viewer.get("/api/history", query_string={"nodeid": NODEIDS[0]}).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/runs",
        "/runs/results/cancel",
        "/api/runs",
        "/api/runs/results/cancel",
        "/results",
        "/api/results",
        "/internal/event",
    ],
)
def test_every_post_is_refused(viewer: FlaskClient, viewer_app: Flask, path: str) -> None:
    response = viewer.post(
        path,
        data={"file": (io.BytesIO(JUNIT.encode()), "more.xml"), "scope": "all"},
        headers={"HX-Request": "true", "Accept": "application/json"},
    )
    assert response.status_code == 403
    assert REFUSED in response.text
    shared = services(viewer_app)
    assert list(shared.hub.runs) == ["results"] and shared.runner.active is None


@pytest.mark.parametrize("path", ["/tests", "/api/tests", "/results"])
def test_reads_that_would_run_pytest_or_open_files_are_refused(
    viewer: FlaskClient, viewer_app: Flask, path: str
) -> None:
    response = viewer.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json() == {"error": REFUSED}
    assert services(viewer_app).collection is None


def test_the_token_is_still_needed(viewer_app: Flask) -> None:
    assert viewer_app.test_client().get("/api/runs/results").status_code == 401


def test_refused_files_are_named_on_the_page(
    viewer: FlaskClient, viewer_app: Flask, junit_file: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<testsuite><testcase")
    read_only.install(viewer_app, open_results([str(junit_file), str(broken)]))
    html = viewer.get("/").text
    assert '<ul id="problems" class="problems" role="alert">' in html
    assert f"<li>refused {broken}:" in html


def test_watch_mode_cannot_be_switched_on(viewer: FlaskClient) -> None:
    response = viewer.put("/api/watch", json={"enabled": True}, headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response.get_json() == {"error": REFUSED}
    assert viewer.get("/api/watch").get_json()["enabled"] is False


def test_the_first_page_uses_the_groups_prepared_before_the_fork(
    tmp_path: Path, junit_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts and total durations of the first groups are made before gunicorn forks: in the
    worker they cost a million-test file's first page a second, and copies of its memory."""
    repo = tmp_path / "repo"
    repo.mkdir()
    app = create_app(app_config(repo, read_only=True))
    results = open_results([str(junit_file)])
    monkeypatch.setattr(read_only, "LOADED", results)
    read_only.prepare(results)
    assert read_only.PREPARED is not None
    top = {group.id for group in read_only.PREPARED.tree.top}
    computed: list[str] = []
    for name in ("group_counts", "group_total"):
        monkeypatch.setattr(view_cache, name, noting(getattr(view_cache, name), computed))
    read_only.install(app, results)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    page = client.get("/")
    assert page.status_code == 200 and len(row_outcomes(page.text)) == 3
    assert top and not top & set(computed)


def noting(compute: Any, computed: list[str]) -> Any:
    """`compute(tests, group)` that notes the group's id."""

    def noted(tests: Any, group: Any) -> Any:
        computed.append(group.id)
        return compute(tests, group)

    return noted
