"""The JSON API and its guards, against the real server."""

from __future__ import annotations

import pytest
import requests

from support import Server

pytestmark = pytest.mark.slow


def test_tests_lists_collected_ids(demo_server: Server) -> None:
    data = demo_server.api("GET", "/api/tests").json()
    assert data["errors"] == []
    ids = {t["nodeid"] for t in data["tests"]}
    assert "tests/test_params.py::TestStrings::test_title[htmx]" in ids
    first = next(t for t in data["tests"] if t["nodeid"].endswith("::test_passes"))
    assert first == {
        "nodeid": "tests/test_outcomes.py::test_passes",
        "file": "tests/test_outcomes.py",
        "line": 9,
    }


def test_tests_with_k_and_m(demo_server: Server) -> None:
    by_k = demo_server.api("GET", "/api/tests", params={"k": "square and not 3"}).json()
    assert len(by_k["tests"]) == 7
    by_m = demo_server.api("GET", "/api/tests", params={"m": "slow"}).json()
    assert [t["nodeid"].split("::")[-1] for t in by_m["tests"]] == [
        "test_slow[0.3]",
        "test_slow[0.6]",
        "test_slow[0.9]",
    ]


def test_bad_k_is_400_with_pytests_message(demo_server: Server) -> None:
    for bad in ("(((", "__import__('os')", "a and"):
        response = demo_server.api("GET", "/api/tests", params={"k": bad})
        assert response.status_code == 400, bad
        assert "-k" in response.json()["error"]
    # A value that looks like an option stays an expression (it matches nothing here).
    as_expression = demo_server.api("GET", "/api/tests", params={"k": "--co"})
    assert as_expression.status_code == 200 and as_expression.json()["tests"] == []


def test_collection_errors_are_reported(make_server, tmp_path) -> None:
    (tmp_path / "test_ok.py").write_text("def test_ok():\n    pass\n")
    (tmp_path / "test_broken.py").write_text("import nosuchmodule_xyz\n")
    server = make_server(tmp_path)
    data = server.api("GET", "/api/tests").json()
    assert [t["nodeid"] for t in data["tests"]] == ["test_ok.py::test_ok"]
    assert data["errors"][0]["nodeid"] == "test_broken.py"
    assert "nosuchmodule_xyz" in data["errors"][0]["message"]


def test_run_request_validation(demo_server: Server) -> None:
    cases = [
        ({"nodeids": ["-pfoo"]}, "cannot start with"),
        ({"nodeids": ["../elsewhere/test_x.py"]}, "outside the repository"),
        ({"nodeids": ["/etc/passwd"]}, "relative"),
        ({"workers": -1}, "workers"),
        ({"workers": "two"}, "workers"),
        ({"env": {"PYTHONPATH": "/tmp"}}, "unknown fields: env"),
        ({"k": 5}, "-k must be a string"),
    ]
    for body, message in cases:
        response = demo_server.api("POST", "/api/runs", json=body)
        assert response.status_code == 400, body
        assert message in response.json()["error"], (body, response.json())
    assert demo_server.api("POST", "/api/runs", data="nodeids=x").status_code == 415
    assert demo_server.api("GET", "/api/runs").json() == {"runs": []}  # nothing started


def test_run_selected_ids_and_second_run_is_refused(demo_server: Server) -> None:
    ids = ["tests/test_params.py::test_slow[0.9]", "tests/test_outcomes.py::test_fails"]
    run_id = demo_server.start_run(nodeids=ids)
    second = demo_server.api("POST", "/api/runs", json={})
    assert second.status_code == 409
    assert "already active" in second.json()["error"]
    run = demo_server.wait_run(run_id)
    assert {t["nodeid"]: t["outcome"] for t in run["tests"]} == {ids[0]: "passed", ids[1]: "failed"}
    assert run["counts"]["passed"] == 1 and run["counts"]["failed"] == 1
    listed = demo_server.api("GET", "/api/runs").json()["runs"]
    assert [r["id"] for r in listed] == [run_id] and "tests" not in listed[0]


def test_run_with_k_and_m(demo_server: Server) -> None:
    run = demo_server.wait_run(demo_server.start_run(k="square", m="not slow"))
    assert run["counts"]["passed"] == 8
    assert len(run["tests"]) == 8


def test_unknown_run_is_404(demo_server: Server) -> None:
    response = demo_server.api("GET", "/api/runs/nope")
    assert response.status_code == 404 and "nope" in response.json()["error"]
    assert demo_server.api("POST", "/api/runs/nope/cancel").status_code == 404


def test_requests_need_the_token(demo_server: Server) -> None:
    url = demo_server.url
    assert requests.get(url + "/api/runs", timeout=10).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert requests.post(url + "/api/runs", json={}, headers=wrong, timeout=10).status_code == 401
    page = requests.get(url + "/", timeout=10)
    assert page.status_code == 401 and "token" in page.text
    assert demo_server.api("GET", "/api/runs").json() == {"runs": []}


def test_token_in_url_becomes_a_cookie_and_disappears(demo_server: Server) -> None:
    session = requests.Session()
    login = session.get(demo_server.page_url, allow_redirects=False, timeout=10)
    assert login.status_code == 302
    assert login.headers["Location"] == "/"
    cookie = login.headers["Set-Cookie"]
    port = demo_server.url.rsplit(":", 1)[1]
    assert cookie.startswith(f"pytest-web-session-{port}=")
    assert demo_server.token not in cookie  # the cookie holds a session value of its own
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = session.get(demo_server.url + "/", timeout=10)
    assert page.status_code == 200 and "Fetch tests" in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    # A cookie alone cannot start anything: htmx's header is needed, and the origin must match.
    assert (
        session.post(demo_server.url + "/runs", data={"scope": "all"}, timeout=10).status_code
        == 403
    )
    foreign = {"HX-Request": "true", "Origin": "http://evil.example"}
    assert (
        session.post(
            demo_server.url + "/runs", data={"scope": "all"}, headers=foreign, timeout=10
        ).status_code
        == 403
    )
    assert demo_server.api("GET", "/api/runs").json() == {"runs": []}


def test_foreign_host_is_refused(demo_server: Server) -> None:
    for host in ("evil.com", "localhost.evil.com", "0.0.0.0"):
        response = demo_server.api("GET", "/api/runs", headers={"Host": host})
        assert response.status_code == 403, host


def test_ingest_needs_json_the_active_run_and_its_secret(demo_server: Server) -> None:
    url = demo_server.url + "/internal/event"
    event = {"type": "test_end", "run": "x", "nodeid": "a", "phases": []}
    assert (
        requests.post(
            url, data="{}", headers={"Content-Type": "text/plain"}, timeout=10
        ).status_code
        == 415
    )
    assert requests.post(url, json=event, timeout=10).status_code == 403
    run_id = demo_server.start_run(nodeids=["tests/test_params.py::test_slow[0.9]"])
    forged = {
        **event,
        "run": run_id,
        "nodeid": "tests/test_params.py::test_slow[0.9]",
        "phases": [{"when": "call", "outcome": "failed", "duration": 0}],
    }
    assert (
        requests.post(
            url, json=forged, headers={"X-Pytest-Web-Secret": "guess"}, timeout=10
        ).status_code
        == 403
    )
    run = demo_server.wait_run(run_id)
    assert run["counts"]["passed"] == 1 and run["counts"]["failed"] == 0
