"""'Open results' in the live server: uploads and artifacts, hostile names, oversized bodies."""

from __future__ import annotations

import select
import socket
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from test_results_formats import run_pytest, write_suite

from pytest_web.results.artifacts import ArtifactError, artifact_path, display_name, list_artifacts
from pytest_web.web.uploads import UPLOAD_LIMIT
from support import Server, shown


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A CI run with -n 2: its recording and JUnit XML in an artifacts folder, and a file
    outside it that a symlink inside points to."""
    root = tmp_path_factory.mktemp("open")
    repo = write_suite(root / "repo")
    folder = root / "artifacts"
    (folder / "shard").mkdir(parents=True)
    run = run_pytest(
        repo,
        "-n",
        "2",
        f"--web-record={folder / 'shard' / 'run.jsonl.gz'}",
        f"--junitxml={folder / 'junit.xml'}",
    )
    (root / "secret.xml").write_text("<testsuite/>")
    (folder / "escape.xml").symlink_to(root / "secret.xml")
    (folder / "notes.txt").write_text("not listed")
    return {"folder": folder, "counts": run["counts"], "repo": repo}


@pytest.fixture
def server(make_server, artifacts: dict) -> Server:
    return make_server(artifacts["repo"], "--artifacts", str(artifacts["folder"]))


HOSTILE_NAMES = {
    "NUL": "reserved device name",
    "CON": "reserved device name",
    "shard/con.xml": "reserved device name",
    "%2e%2e/secret.xml": "percent escapes",
    "shard%2f..%2f..%2fsecret.xml": "percent escapes",
    "../secret.xml": "'..' is not allowed",
    "shard/../../secret.xml": "'..' is not allowed",
    "escape.xml": "outside the artifacts folder",
    "/etc/passwd": "relative to the artifacts folder",
    "C:secret.xml": "relative to the artifacts folder",
    "shard\\run.jsonl.gz": "relative to the artifacts folder",
    "a\0b": "control characters",
    "missing.xml": "no such file",
    "shard": "not a regular file",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HOSTILE_NAMES))
def test_artifact_names_that_could_escape_are_refused(artifacts: dict, name: str) -> None:
    with pytest.raises(ArtifactError, match=HOSTILE_NAMES[name]):
        artifact_path(artifacts["folder"], name)


@pytest.mark.slow
def test_the_artifacts_listing_holds_result_files_inside_only(artifacts: dict) -> None:
    assert list_artifacts(artifacts["folder"]) == ["junit.xml", "shard/run.jsonl.gz"]
    assert artifact_path(artifacts["folder"], "shard/run.jsonl.gz").is_file()


def test_an_uploads_name_is_only_shown() -> None:
    assert display_name("../../etc/passwd", 1) == "passwd"
    assert display_name("C:\\ci\\junit\x00.xml", 1) == "junit.xml"
    assert display_name("", 3) == "upload 3"


@pytest.mark.slow
def test_upload_a_recording_gives_pytests_counts(server: Server, artifacts: dict) -> None:
    data = (artifacts["folder"] / "shard" / "run.jsonl.gz").read_bytes()
    response = server.api("POST", "/api/results", files={"file": ("ci/run.jsonl.gz", data)})
    assert response.status_code == 201, response.text
    opened = response.json()
    assert opened["counts"] == artifacts["counts"] and opened["problems"] == []
    run = server.api("GET", f"/api/runs/{opened['id']}").json()
    assert {t["source"] for t in run["tests"]} == {"run.jsonl.gz"}
    listed = server.api("GET", "/api/runs").json()["runs"]
    assert [(r["id"], r["kind"], r["counts"]) for r in listed] == [
        (opened["id"], "results", artifacts["counts"])
    ]


@pytest.mark.slow
def test_artifacts_open_as_one_run_with_a_refused_upload_named(
    server: Server, artifacts: dict
) -> None:
    response = server.api(
        "POST",
        "/api/results",
        data={"artifact": ["shard/run.jsonl.gz", "junit.xml"]},
        files={"file": ("notes.txt", b"hello")},
    )
    assert response.status_code == 201, response.text
    opened = response.json()
    assert opened["problems"] == [
        "refused notes.txt: not a result file (expected JUnit XML, pytest-reportlog or a "
        "pytest-web recording)"
    ]
    run = server.api("GET", f"/api/runs/{opened['id']}").json()
    attempts = {t["attempts"] for t in run["tests"]}
    assert attempts == {2}  # every test twice: once from each file


@pytest.mark.slow
@pytest.mark.parametrize("name", ["NUL", "CON", "%2e%2e/secret.xml", "escape.xml", "a\0b"])
def test_artifact_paths_that_escape_are_refused_and_open_nothing(server: Server, name: str) -> None:
    response = server.api("POST", "/api/results", data={"artifact": name})
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"refused artifact {name!r}: ")
    assert HOSTILE_NAMES[name] in response.json()["error"]
    assert server.api("GET", "/api/runs").json()["runs"] == []
    assert server.api("GET", "/healthz").status_code == 200


@pytest.mark.slow
def test_a_chunked_upload_without_length_is_capped(server: Server) -> None:
    """No Content-Length: the cap still holds (413), and the server goes on."""
    address = urlsplit(server.url)
    boundary = "pytestwebboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.xml"\r\n'
        "Content-Type: application/xml\r\n\r\n<testsuite>"
    ).encode()
    chunk = b"<!-- " + b"x" * (1024 * 1024) + b" -->"
    with socket.create_connection((address.hostname, address.port), timeout=60) as sock:
        sock.sendall(
            b"POST /api/results HTTP/1.1\r\n"
            + f"Host: {address.netloc}\r\nAuthorization: Bearer {server.token}\r\n".encode()
            + f"Content-Type: multipart/form-data; boundary={boundary}\r\n".encode()
            + b"Transfer-Encoding: chunked\r\n\r\n"
        )
        answer = b""
        for part in [head] + [chunk] * (UPLOAD_LIMIT // len(chunk) + 8):
            if select.select([sock], [], [], 0)[0]:
                break  # the server answered before the body ended
            try:
                sock.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.settimeout(30)
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert server.api("GET", "/api/runs").json()["runs"] == []
    assert server.api("GET", "/healthz").status_code == 200


@pytest.mark.slow
@pytest.mark.browser
def test_open_results_in_chromium(server: Server, artifacts: dict, page: Page) -> None:
    page.goto(server.page_url)
    page.locator("#results-link").click()
    expect(page.locator("#open-form input[name=artifact]")).to_have_count(2)
    page.set_input_files("#result-files", str(artifacts["folder"] / "junit.xml"))
    page.locator("input[value='shard/run.jsonl.gz']").check()
    page.locator("#open-files").click()
    expect(page.locator("#past")).to_contain_text("junit.xml")
    expect(page.locator("#past")).to_contain_text("shard/run.jsonl.gz")
    for name, count in shown(artifacts["counts"]).items():  # the recording, read last, stands
        expect(page.locator(f"#run-head [data-count={name}] b")).to_have_text(str(count))

    page.goto(f"{server.url}/results")
    checkbox = page.locator("input[value='junit.xml']")
    checkbox.check()
    checkbox.evaluate("box => { box.value = '../secret.xml' }")
    page.locator("#open-files").click()
    expect(page.locator("#notice")).to_contain_text("'..' is not allowed in a name")
    assert len(server.api("GET", "/api/runs").json()["runs"]) == 1  # only the first opened
