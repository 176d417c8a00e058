"""The wheel, installed in a fresh venv, is a working pytest-web: page, assets, CLI, plugins.

The wheel is built from a copy of exactly what `.dockerignore` lets into the image's build
context, so this also proves the Docker build context is enough. The venv is made once per test
session (it downloads the pinned dependencies of docker/constraints.txt, or takes them from pip's
cache) and is world-readable, so tests/test_docker_start.py can run it as an unprivileged user.
"""

from __future__ import annotations

import atexit
import fnmatch
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from support import DEMO, ROOT

pytestmark = pytest.mark.slow

CONSTRAINTS = ROOT / "docker" / "constraints.txt"
UNPRIVILEGED = 65534  # nobody / nogroup
OPEN_LINE = re.compile(r"open (http://\S+?)/\?token=(\S+)")


# ---- building and installing ----------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without anything that would make a child see the checkout or our venv."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTEST_ADDOPTS")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in dropped and not k.startswith(("PYTEST_WEB_", "PYTEST_XDIST", "PYTEST_CURRENT"))
    }
    env.update(extra)
    return env


def private_dir(prefix: str) -> Path:
    """A temporary folder anyone may read (an unprivileged user runs from it); removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    atexit.register(_force_remove, folder)
    return folder


def _force_remove(folder: Path) -> None:
    if folder.exists():
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def docker_context(target: Path) -> Path:
    """Copy what `.dockerignore` (an allowlist: `*`, then `!path` lines) admits into `target`."""
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules[0] == "*", ".dockerignore is meant to be an allowlist starting with `*`"
    allowed = [rule[1:].rstrip("/") for rule in rules[1:] if rule.startswith("!")]
    excluded = [rule.removeprefix("**/") for rule in rules[1:] if not rule.startswith("!")]
    ignore = shutil.ignore_patterns(*excluded)
    for name in allowed:
        source = ROOT / name
        if not source.exists():
            continue  # e.g. README.md or LICENSE before they are written
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, ignore=ignore)
        elif not any(fnmatch.fnmatch(source.name, pattern) for pattern in excluded):
            shutil.copy2(source, destination)
    return target


@functools.cache
def built_wheel() -> Path:
    """`pip wheel --no-deps` of the Docker build context; the one .whl it made."""
    work = private_dir("pytest-web-wheel-")
    context = docker_context(work / "context")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(work / "dist"), str(context)],
        capture_output=True,
        text=True,
        timeout=600,
        env=clean_env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (work / "dist").glob("pytest_web-*.whl")
    return wheel


def _runs_unprivileged(python: str) -> bool:
    """Whether `nobody` can run `python` as itself (same prefix: it reaches its own stdlib)."""
    probe = (
        "import sys, venv, ensurepip; assert sys.version_info >= (3, 10); print(sys.base_prefix)"
    )
    as_nobody = ["setpriv", f"--reuid={UNPRIVILEGED}", f"--regid={UNPRIVILEGED}", "--clear-groups"]
    try:
        mine, theirs = (
            subprocess.run(
                [*prefix, "sh", "-c", 'exec "$0" -c "$1"', python, probe],
                capture_output=True,
                text=True,
                timeout=60,
                cwd="/",
            )
            for prefix in ([], as_nobody)
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return mine.returncode == theirs.returncode == 0 and mine.stdout == theirs.stdout


def venv_base_python() -> str:
    """The interpreter to make the venv with: ours, unless we are root and `nobody` can't run it.

    (A pyenv Python under /root, say: then a system Python is used, so that the same venv can
    serve the unprivileged start-script test.)
    """
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return sys.executable
    candidates = [sys.executable, "/usr/local/bin/python3", "/usr/bin/python3"]
    for candidate in candidates:
        if os.path.exists(candidate) and _runs_unprivileged(candidate):
            return candidate
    return sys.executable


@functools.cache
def installed_venv() -> Path:
    """A fresh venv with the wheel and its pinned dependencies (from PyPI or pip's cache)."""
    venv = private_dir("pytest-web-venv-") / "venv"
    base = venv_base_python()
    subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300, env=clean_env())
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-input"]
        + ["--constraint", str(CONSTRAINTS), str(built_wheel())],
        capture_output=True,
        text=True,
        timeout=900,
        env=clean_env(),
        cwd="/",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for path in [venv, *venv.rglob("*")]:  # pip keeps the umask, but make sure `nobody` can read
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o444 | (0o111 if path.is_dir() else 0))
    return venv


# ---- a started server -----------------------------------------------------------------------


@dataclass
class Started:
    """A `pytest-web` (or start script) process, the address and token it printed, its output."""

    process: subprocess.Popen
    url: str
    token: str
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def get(self, path: str, token: str | None = "", **kwargs) -> requests.Response:
        token = self.token if token == "" else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kwargs.pop("headers", {}))
        kwargs.setdefault("timeout", 30)
        return requests.get(self.url + path, headers=headers, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        kwargs.setdefault("timeout", 30)
        return requests.post(self.url + path, headers=headers, **kwargs)

    def wait_run(self, run_id: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.get(f"/api/runs/{run_id}").json()
            if data["status"] != "running":
                return data
            time.sleep(0.1)
        raise AssertionError(f"run {run_id} still running after {timeout} s:\n{self.output}")

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL if it lingers."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start(command: list[str], env: dict[str, str], cwd: Path, timeout: float = 180) -> Started:
    """Start `command` in its own session; wait for its `open http://...?token=...` line.

    The output is drained by a thread all along (kept in `lines`), so the pipe never fills.
    Raises with the output so far if the process ends or never prints the line.
    """
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    lines: list[str] = []
    found: list[re.Match] = []
    ready = threading.Event()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            match = OPEN_LINE.search(line)
            if match and not found:
                found.append(match)
                ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    ready.wait(timeout)
    if not found:
        started = Started(process, "", "", lines)
        started.stop()
        raise AssertionError(f"{command[0]} printed no address:\n" + started.output)
    started = Started(process, found[0].group(1), found[0].group(2), lines)
    _wait_ready(started)
    return started


def _wait_ready(started: Started) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if started.get("/api/runs", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    started.stop()
    raise AssertionError("the server never answered:\n" + started.output)


# ---- the tests ------------------------------------------------------------------------------


class AssetLinks(HTMLParser):
    """Every `<script src>` and `<link rel=stylesheet href>` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(values["src"])
        rel = (values.get("rel") or "").lower().split()
        if tag == "link" and "stylesheet" in rel and values.get("href"):
            self.urls.append(values["href"])


def test_wheel_holds_every_module_template_and_asset() -> None:
    with zipfile.ZipFile(built_wheel()) as wheel:
        names = set(wheel.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = wheel.read(entry_points).decode()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    expected = {
        p.relative_to(ROOT / "plugin").as_posix()
        for p in (ROOT / "plugin" / "pytest_web_plugin").glob("*.py")
    }
    expected |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "pytest_web").rglob("*.py")}
    expected |= {f"pytest_web/templates/{p.name}" for p in (ROOT / "templates").glob("*.html")}
    expected |= {
        "pytest_web/" + p.relative_to(ROOT).as_posix()
        for p in (ROOT / "static").rglob("*")
        if p.is_file()
    }
    assert "pytest_web/static/app.css" in expected
    assert any(re.fullmatch(r"pytest_web/static/vendor/.+\.js", n) for n in expected)
    assert sorted(expected - names) == []
    assert "pytest-web = pytest_web.cli:main" in scripts
    from pytest_web import __version__

    assert f"\nVersion: {__version__}\n" in metadata


def test_installed_cli_reports_the_version() -> None:
    from pytest_web import __version__

    venv = installed_venv()
    done = subprocess.run(
        [str(venv / "bin" / "pytest-web"), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
        cwd="/",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"pytest-web, version {__version__}"


def test_installed_server_serves_the_page_and_every_asset(tmp_path: Path) -> None:
    venv = installed_venv()
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import pytest_web; print(pytest_web.__file__)"],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
        cwd=tmp_path,
        check=True,
    )
    assert where.stdout.startswith(str(venv)), "the venv must not see the checkout"
    repo = tmp_path / "demo"
    shutil.copytree(DEMO, repo, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    token = "packaging-token-" + os.urandom(8).hex()
    server = start(
        [str(venv / "bin" / "pytest-web"), str(repo), "--port", "0"],
        clean_env(PYTEST_WEB_TOKEN=token),
        cwd=tmp_path,
    )
    try:
        assert server.token == token
        page = requests.get(f"{server.url}/?token={token}", timeout=30)
        assert page.status_code == 200, page.text
        assert "pytest-web" in page.text
        links = AssetLinks()
        links.feed(page.text)
        assert len(links.urls) >= 3, links.urls  # app.css and the two vendored scripts
        for url in links.urls:
            asset = requests.get(requests.compat.urljoin(page.url, url), timeout=30)
            assert asset.status_code == 200, url
            assert asset.content.strip(), url
    finally:
        server.stop()


def test_installed_plugin_loads_under_both_names(tmp_path: Path) -> None:
    venv = installed_venv()
    (tmp_path / "test_one.py").write_text("def test_one():\n    pass\n")
    for name in ("pytest_web.plugin", "pytest_web_plugin"):
        out = tmp_path / f"{name}.json"
        done = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pytest", "-p", name, "-p", "no:cacheprovider"]
            + ["--collect-only", "-q", "test_one.py"],
            capture_output=True,
            text=True,
            timeout=120,
            env=clean_env(PYTEST_WEB_COLLECT=str(out), PYTHONDONTWRITEBYTECODE="1"),
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "test_one.py::test_one" in out.read_text(), f"-p {name} did not report"
