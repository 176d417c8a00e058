"""Server settings, read from the environment that the CLI (or the container) sets."""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_web.history.store import default_data_dir
from pytest_web.web.editor import EditorError, editor_template
from pytest_web.web.upload_tokens import UploadToken, parse_upload_tokens

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
MIN_TOKEN_LENGTH = 16
"""Shorter tokens are refused everywhere: guessing one must stay hopeless even unthrottled."""


class TokenError(ValueError):
    """The access token is too short to protect a server that runs code."""


def check_token(token: str) -> str:
    """`token`, or `TokenError` when it is shorter than `MIN_TOKEN_LENGTH`."""
    if len(token) < MIN_TOKEN_LENGTH:
        raise TokenError(
            f"PYTEST_WEB_TOKEN must be at least {MIN_TOKEN_LENGTH} characters "
            f"(it has {len(token)}); leave it unset for a random one"
        )
    return token


@dataclass
class Settings:
    """What one pytest-web server serves and how it guards it."""

    repo: Path
    python: str = sys.executable
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    session: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    """What the login cookie holds: random per server start, never the token (cookies ignore
    ports, so another server on this host may be sent the cookie)."""
    ingest_url: str = ""
    allowed_hosts: frozenset[str] = LOOPBACK_HOSTS
    read_only: bool = False
    """`pytest-web view`: result files only; nothing runs pytest or changes state."""
    data_dir: Path | None = None
    """Where run history is kept (None: no history)."""
    artifacts: Path | None = None
    """A folder of CI result files the page can open (`--artifacts`)."""
    watch: bool = False
    """Start watching for saves (`--watch`)."""
    watch_poll: bool = False
    """Watch by polling, for mounts where file events do not arrive (Docker Desktop)."""
    editor: str = ""
    """The URL template of "open in editor" links (`editor.editor_template`; '' for none)."""
    editor_root: str = ""
    """The repository's path on the editor's machine, when it differs (a container's /repo)."""
    dashboard: bool = False
    """`pytest-web dashboard`: CI runs streamed by their shards; no repository, runs nothing."""
    upload_tokens: tuple[UploadToken, ...] = ()
    """What CI sends with (`PYTEST_WEB_UPLOAD_TOKEN`): it may only add events to CI runs."""
    shard_timeout: float = 120.0
    """Seconds without a word from a shard (events or heartbeats) before it is lost."""

    def __post_init__(self) -> None:
        check_token(self.token)

    @classmethod
    def from_env(cls, overrides: dict[str, Any] | None = None) -> Settings:
        env = os.environ
        values: dict[str, Any] = {
            "repo": Path(env.get("PYTEST_WEB_REPO") or os.getcwd()).resolve(),
            "python": env.get("PYTEST_WEB_PYTHON") or sys.executable,
            "ingest_url": env.get("PYTEST_WEB_INGEST_URL", ""),
            "read_only": env.get("PYTEST_WEB_READ_ONLY") == "1",
            "data_dir": data_dir_from_env(env.get("PYTEST_WEB_DATA")),
            "artifacts": Path(env["PYTEST_WEB_ARTIFACTS"]).resolve()
            if env.get("PYTEST_WEB_ARTIFACTS")
            else None,
            "watch": env.get("PYTEST_WEB_WATCH") == "1",
            "editor": editor_from_env(env.get("PYTEST_WEB_EDITOR", "")),
            "editor_root": env.get("PYTEST_WEB_EDITOR_ROOT", "").rstrip("/"),
            "watch_poll": env.get("PYTEST_WEB_WATCH_POLL") == "1",
            "allowed_hosts": LOOPBACK_HOSTS
            | {
                h.strip().lower()
                for h in env.get("PYTEST_WEB_ALLOW_HOSTS", "").split(",")
                if h.strip()
            },
        }
        if env.get("PYTEST_WEB_TOKEN"):
            values["token"] = env["PYTEST_WEB_TOKEN"]
        if env.get("PYTEST_WEB_SESSION"):  # set by the CLI: one per start, kept by new workers
            values["session"] = env["PYTEST_WEB_SESSION"]
        if env.get("PYTEST_WEB_DASHBOARD") == "1":
            values["dashboard"] = True
            values["upload_tokens"] = parse_upload_tokens(
                env.get("PYTEST_WEB_UPLOAD_TOKEN", ""), MIN_TOKEN_LENGTH, values.get("token", "")
            )
            values["shard_timeout"] = float(env.get("PYTEST_WEB_SHARD_TIMEOUT") or 120.0)
        values.update(overrides or {})
        return cls(**values)


def editor_from_env(value: str) -> str:
    """PYTEST_WEB_EDITOR as a URL template; a bad one is said on stderr and left out."""
    try:
        return editor_template(value)
    except EditorError as error:
        print(f"pytest-web: warning: PYTEST_WEB_EDITOR ignored: {error}", file=sys.stderr)
        return ""


def data_dir_from_env(value: str | None) -> Path | None:
    """PYTEST_WEB_DATA: a folder, or "-" for no history; unset means the default folder."""
    if value == "-":
        return None
    return Path(value).resolve() if value else default_data_dir()
