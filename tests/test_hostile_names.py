"""File names that are not UTF-8 (`r\\xff.xml`, as a CI job on another system may name them):
in the artifacts folder they are left out of Open results' list (a page cannot show them, a form
cannot name them back); given to `view` or `export`, the file opens and is shown by its name
repaired. Never a 500 for everyone while such a file is there.
"""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient

from pytest_web.cli import main
from pytest_web.results.artifacts import ArtifactError, artifact_path, list_artifacts
from pytest_web.results.merge import open_results
from pytest_web.web import create_app, read_only
from support import JUNIT, TOKEN, app_config

BAD_NAME = b"report-\xff.xml"


def bad_file(folder: Path) -> str:
    """A JUnit file named with a byte that is not UTF-8; its name as Python sees it (with a lone
    surrogate, as `sys.argv` and `os.listdir` give it)."""
    path = os.path.join(os.fsencode(folder), BAD_NAME)
    with open(path, "wb") as handle:
        handle.write(JUNIT.encode())
    return os.fsdecode(path)


def authorized(app) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


def test_open_results_lists_the_others_and_leaves_such_a_name_out(
    demo_repo: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "artifacts"
    folder.mkdir()
    bad = bad_file(folder)
    (folder / "good.xml").write_text(JUNIT)
    assert list_artifacts(folder) == ["good.xml"]
    client = authorized(create_app(app_config(demo_repo, artifacts=folder)))
    page = client.get("/results")
    assert page.status_code == 200 and "good.xml" in page.text
    refused = client.post("/api/results", data={"artifact": "report-\ufffd.xml"})
    assert refused.status_code == 400 and "no such file" in refused.json["error"]
    try:
        artifact_path(folder, os.path.basename(bad))
    except ArtifactError as error:
        assert "not UTF-8" in str(error)
    else:
        raise AssertionError("a name with a lone surrogate was taken")


def test_view_shows_such_a_file_by_its_name_repaired(tmp_path: Path) -> None:
    bad = bad_file(tmp_path)
    results = open_results([bad])
    assert results.errors == [] and [f.path for f in results.files] == [
        str(tmp_path / "report-\ufffd.xml")
    ]
    app = create_app(app_config(tmp_path, read_only=True))
    read_only.install(app, results)
    client = authorized(app)
    page = client.get("/")
    assert page.status_code == 200 and "report-\ufffd.xml" in page.text
    assert client.get("/api/runs/results").json["counts"]["failed"] == 1


def test_a_refused_file_with_such_a_name_is_named_repaired(tmp_path: Path) -> None:
    missing = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"gone-\xff.xml"))
    results = open_results([missing, bad_file(tmp_path)])
    assert results.problems == [
        f"refused {tmp_path}/gone-\ufffd.xml: cannot open it (No such file or directory)"
    ]


def test_export_writes_such_a_file(tmp_path: Path) -> None:
    output = tmp_path / "report.html"
    done = CliRunner().invoke(main, ["export", bad_file(tmp_path), "-o", str(output)])
    assert done.exit_code == 0, (done.output, done.exception)
    assert "report-\ufffd.xml" in output.read_text(encoding="utf-8")
