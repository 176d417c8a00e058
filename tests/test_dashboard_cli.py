"""`pytest-web dashboard` on the command line: the image's variables (so `docker run ...
pytest-web dashboard` listens on the container's interface and keeps its runs in /data), its
upload tokens checked at start, and a generated one said once."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pytest_web.cli import main

dashboard_module = importlib.import_module("pytest_web.cli.dashboard")
"""The module, where `serve` is looked up (`pytest_web.cli.dashboard` is the command)."""

SIGN_IN = "sign-in-token-0123456789"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What `serve` was asked to do (nothing is served)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        dashboard_module,
        "serve",
        lambda host, port, token, title="": calls.append(
            {"host": host, "port": port, "token": token, "title": title}
        ),
    )
    for name in (  # what the command reads, and what it sets for the server it would start
        "PYTEST_WEB_HOST",
        "PYTEST_WEB_PORT",
        "PYTEST_WEB_DATA",
        "PYTEST_WEB_DASHBOARD",
        "PYTEST_WEB_REPO",
        "PYTEST_WEB_UPLOAD_TOKEN",
        "PYTEST_WEB_SHARD_TIMEOUT",
        "PYTEST_WEB_ALLOW_HOSTS",
    ):
        monkeypatch.setenv(name, "")  # so that monkeypatch puts back what was there before
        monkeypatch.delenv(name)
    monkeypatch.setenv("PYTEST_WEB_TOKEN", SIGN_IN)
    return calls


def test_the_images_variables_are_the_dashboards_defaults(
    served: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_WEB_HOST", "0.0.0.0")
    monkeypatch.setenv("PYTEST_WEB_PORT", "8123")
    monkeypatch.setenv("PYTEST_WEB_DATA", str(tmp_path))
    monkeypatch.setenv("PYTEST_WEB_UPLOAD_TOKEN", "upload-token-0123456789")
    done = CliRunner().invoke(main, ["dashboard", "--allow-host", "dash.example.com"])
    assert done.exit_code == 0, done.output
    assert served == [
        {
            "host": "0.0.0.0",
            "port": 8123,
            "token": SIGN_IN,
            "title": f"pytest-web dashboard, runs kept in {tmp_path / 'dashboard'}",
        }
    ]
    assert (tmp_path / "dashboard" / "history.sqlite3").is_file()
    assert "listening on 0.0.0.0" in done.output  # the warning a public address earns
    assert "upload token for this start" not in done.output


def test_an_upload_token_is_made_and_said_when_none_is_given(
    served: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_WEB_UPLOAD_TOKEN", raising=False)
    done = CliRunner().invoke(main, ["dashboard", "--data", str(tmp_path), "--port", "0"])
    assert done.exit_code == 0, done.output
    assert "CI's upload token for this start is" in done.output
    assert served[0]["host"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("tokens", "said"),
    [("short", "at least 16"), (SIGN_IN, "must differ from PYTEST_WEB_TOKEN")],
)
def test_bad_upload_tokens_stop_it_at_start(
    served: list[dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tokens: str,
    said: str,
) -> None:
    monkeypatch.setenv("PYTEST_WEB_UPLOAD_TOKEN", tokens)
    done = CliRunner().invoke(main, ["dashboard", "--data", str(tmp_path)])
    assert done.exit_code == 1 and said in done.output and served == []


def test_a_dashboard_needs_somewhere_to_keep_its_runs(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_WEB_DATA", "-")
    done = CliRunner().invoke(main, ["dashboard"])
    assert done.exit_code == 2 and "--data" in done.output and served == []
