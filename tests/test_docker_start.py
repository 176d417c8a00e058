"""docker/start.sh, run outside Docker the way the image runs it.

The installed wheel (the venv of tests/test_packaging.py) serves a read-only copy of the demo
suite, started by the script as an unprivileged user (uid 65534 via setpriv or runuser when the
tests run as root), with only the repo, data and port paths overridden. Nothing may be written
into the repository: the cache, bytecode and temporary files must all land in the data folder.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from test_packaging import UNPRIVILEGED, Started, clean_env, installed_venv, private_dir, start

from support import DEMO, ROOT, app_config, summary_counts

START = ROOT / "docker" / "start.sh"
HEALTHCHECK = ROOT / "docker" / "healthcheck.py"


# ---- as whom, and where ---------------------------------------------------------------------


def _works(prefix: list[str], python: Path) -> bool:
    try:
        done = subprocess.run(
            [*prefix, "sh", "-c", 'exec "$0" -c "import flask, pytest"', str(python)],
            capture_output=True,
            timeout=60,
            cwd="/",
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@pytest.fixture(scope="module")
def venv() -> Path:
    return installed_venv()


@pytest.fixture(scope="module")
def as_user(venv: Path) -> list[str]:
    """The command prefix that runs the script unprivileged (nothing when we are not root)."""
    if os.geteuid() != 0:
        return []
    python = venv / "bin" / "python"
    ids = [f"--reuid={UNPRIVILEGED}", f"--regid={UNPRIVILEGED}", "--clear-groups"]
    candidates = []
    if shutil.which("setpriv"):
        candidates.append(["setpriv", *ids])
    if shutil.which("runuser"):
        candidates.append(["runuser", "-u", "nobody", "--"])
    for prefix in candidates:
        if _works(prefix, python):
            return prefix
    pytest.skip(
        "running as root, and neither `setpriv` nor `runuser` could run the venv's Python as "
        f"uid {UNPRIVILEGED}: root ignores write bits, so a read-only repository can't be proven"
    )


def _chmod_tree(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        if writable:
            path.chmod(mode | stat.S_IWUSR)
        else:
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.fixture
def workspace() -> Iterator[Path]:
    """A world-readable folder (pytest's own tmp_path is private to its user)."""
    folder = private_dir("pytest-web-start-")
    yield folder
    _chmod_tree(folder, writable=True)
    shutil.rmtree(folder, ignore_errors=True)


def read_only_copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    _chmod_tree(target, writable=False)
    return target


def data_dir(workspace: Path) -> Path:
    data = workspace / "data"
    data.mkdir()
    if os.geteuid() == 0:
        os.chown(data, UNPRIVILEGED, UNPRIVILEGED)
    return data


def listing(root: Path) -> list[tuple[str, int, int]]:
    return sorted(
        (p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
        for p in [root, *root.rglob("*")]
    )


def run_script(
    as_user: list[str], venv: Path, workspace: Path, repo: Path, data: Path, **env: str
) -> Started:
    """docker/start.sh with the repo, data and port overridden (port 0: any free one)."""
    script = workspace / "start.sh"  # a copy: the checkout may sit where `nobody` can't read
    shutil.copy(START, script)
    script.chmod(0o755)
    full_env = clean_env(
        PATH=f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        PYTEST_WEB_REPO=str(repo),
        PYTEST_WEB_DATA=str(data),
        PYTEST_WEB_PORT="0",
        **env,
    )
    for name in ("HOME", "TMPDIR", "PYTHONDONTWRITEBYTECODE", "XDG_CACHE_HOME", "COVERAGE_FILE"):
        full_env.pop(name, None)  # the script must set them itself
    return start([*as_user, str(script)], full_env, cwd=workspace)


def uid_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])


# ---- the tests ------------------------------------------------------------------------------


@pytest.mark.slow
def test_serves_a_read_only_repo_and_writes_only_to_data(
    as_user: list[str], venv: Path, workspace: Path, demo_repo: Path
) -> None:
    with ThreadPoolExecutor(1) as pool:  # plain pytest on a writable copy, meanwhile
        expected = pool.submit(summary_counts, demo_repo)
        _serve_read_only_demo(as_user, venv, workspace, expected)


def _serve_read_only_demo(
    as_user: list[str], venv: Path, workspace: Path, expected: Future[dict[str, int]]
) -> None:
    repo = read_only_copy(DEMO, workspace / "repo")
    data = data_dir(workspace)
    before = listing(repo)

    allow = "pytest-web.test, Other.Test"
    server = run_script(as_user, venv, workspace, repo, data, PYTEST_WEB_ALLOW_HOSTS=allow)
    try:
        out = server.output
        assert "no PYTEST_WEB_TOKEN given" in out
        assert f"/?token={server.token}" in out and len(server.token) >= 16
        assert "warning: listening on 0.0.0.0" in out  # bound on all interfaces, as in Docker
        if os.geteuid() == 0:
            assert uid_of(server.process.pid) == UNPRIVILEGED

        assert server.get("/api/runs", token=None).status_code == 401
        assert server.get("/api/runs", token="wrong-token-0123456789").status_code == 401
        assert server.get("/api/runs").status_code == 200
        for host, status in (("pytest-web.test", 200), ("other.test:80", 200), ("evil.test", 403)):
            assert server.get("/api/runs", headers={"Host": host}).status_code == status, host

        response = server.post("/api/runs", json={"workers": 0})
        assert response.status_code == 202, response.text
        run = server.wait_run(response.json()["id"])
        assert run["status"] == "finished", server.output
        assert run["counts"] == expected.result(), server.output

        health = subprocess.run(
            [sys.executable, "-I", str(HEALTHCHECK)],
            env={**clean_env(), "PYTEST_WEB_PORT": server.url.rsplit(":", 1)[1]},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert health.returncode == 0, health.stderr
    finally:
        server.stop()

    assert listing(repo) == before, "something was written into the read-only repository"
    assert not [p for p in repo.rglob("*") if p.name in ("__pycache__", ".pytest_cache")]
    assert (data / "pytest-cache").is_dir(), "pytest's cache should be in the data folder"
    assert (data / "tmp").is_dir() and (data / "home").is_dir()
    assert list(data.glob("history/*/history.sqlite3")), "run history should be in the data folder"


@pytest.mark.slow
def test_refuses_a_short_token(as_user: list[str], venv: Path, workspace: Path) -> None:
    repo = read_only_copy(DEMO, workspace / "repo")
    data = data_dir(workspace)
    shutil.copy(START, workspace / "start.sh")
    env = {**clean_env(), "PYTEST_WEB_REPO": str(repo), "PYTEST_WEB_DATA": str(data)}
    env.update(PATH=f"{venv / 'bin'}:/usr/bin:/bin", PYTEST_WEB_TOKEN="short", PYTEST_WEB_PORT="0")
    done = subprocess.run(
        [*as_user, str(workspace / "start.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "PYTEST_WEB_TOKEN is too short" in done.stderr


@pytest.mark.slow
def test_refuses_a_data_folder_it_cannot_write(
    as_user: list[str], venv: Path, workspace: Path
) -> None:
    repo = read_only_copy(DEMO, workspace / "repo")
    data = workspace / "data"
    data.mkdir(mode=0o555)
    data.chmod(0o555)
    shutil.copy(START, workspace / "start.sh")
    env = {**clean_env(), "PATH": f"{venv / 'bin'}:/usr/bin:/bin"}
    env.update(PYTEST_WEB_REPO=str(repo), PYTEST_WEB_DATA=str(data), PYTEST_WEB_PORT="0")
    done = subprocess.run(
        [*as_user, str(workspace / "start.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "is not writable" in done.stderr


def tiny_wheel(folder: Path) -> Path:
    """A real wheel of a one-module package `tinydep`, so installing it needs no network."""
    files = {
        "tinydep.py": b"VALUE = 42\n",
        "tinydep-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tinydep\nVersion: 1.0\n",
        "tinydep-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: pytest-web-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = []
    for name, content in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(content)}")
    record.append("tinydep-1.0.dist-info/RECORD,,")
    path = folder / "tinydep-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, content in files.items():
            wheel.writestr(name, content)
        wheel.writestr("tinydep-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    path.chmod(0o644)
    return path


def repo_needing_tinydep(workspace: Path) -> Path:
    """A read-only repository whose one test imports `tinydep`, listed in requirements-test.txt."""
    source = workspace / "source"
    (source / "tests").mkdir(parents=True)
    (source / "tests" / "test_dep.py").write_text(
        "import tinydep\n\n\ndef test_dependency_is_installed():\n    assert tinydep.VALUE == 42\n"
    )
    (source / "requirements-test.txt").write_text(f"{tiny_wheel(workspace)}\n")
    return read_only_copy(source, workspace / "repo")


@pytest.mark.slow
def test_installs_the_repos_requirements_at_start_into_data(
    as_user: list[str], venv: Path, workspace: Path
) -> None:
    repo = repo_needing_tinydep(workspace)
    data = data_dir(workspace)
    before = listing(repo)
    env = {"PYTEST_WEB_INSTALL": "requirements-test.txt", "PIP_NO_INDEX": "1"}
    token = "given-token-" + os.urandom(8).hex()

    server = run_script(as_user, venv, workspace, repo, data, PYTEST_WEB_TOKEN=token, **env)
    try:
        assert server.token == token
        assert "using the token from PYTEST_WEB_TOKEN" in server.output
        assert server.get("/api/runs", token=None).status_code == 401
        assert f"installing -r {repo}/requirements-test.txt into {data}/venv" in server.output
        run = server.wait_run(server.post("/api/runs", json={"workers": 0}).json()["id"])
        assert run["counts"]["passed"] == 1, server.output
        assert sum(run["counts"].values()) == 1, run["counts"]
    finally:
        server.stop()
    installed = list((data / "venv").glob("lib/python*/site-packages/tinydep.py"))
    assert installed, "tinydep should be in the venv under the data folder"
    assert not list(venv.glob("lib/python*/site-packages/tinydep.py")), "not in the server's env"

    again = run_script(as_user, venv, workspace, repo, data, **env)  # unchanged: no reinstall
    try:
        assert "reusing" in again.output and "installing" not in again.output
        argv = Path(f"/proc/{again.process.pid}/cmdline").read_bytes().split(b"\0")
        assert str(data / "venv" / "bin" / "python").encode() in argv, argv
    finally:
        again.stop()
    assert listing(repo) == before


@pytest.mark.slow
def test_the_derived_image_recipe_runs_tests_in_its_own_venv(workspace: Path) -> None:
    """docker/Dockerfile.test-deps' RUN line, as written, with this Python as the image's one."""
    from test_dockerfile import DERIVED, instructions

    if sys.prefix != sys.base_prefix:
        pytest.skip("the recipe needs a system (non-venv) Python, as the image has")
    (run,) = [ins.args for ins in instructions(DERIVED) if ins.keyword == "RUN"]
    command = run.split(None, 1)[1].strip()  # without its --mount flag
    assert run.startswith("--mount=type=bind,") and command.startswith("python -m venv ")
    repo = repo_needing_tinydep(workspace)
    tests_venv = workspace / "opt-tests"
    command = command.replace("/opt/tests", str(tests_venv))
    command = command.replace("/tmp/requirements.txt", str(repo / "requirements-test.txt"))
    bin_dir = str(Path(sys.executable).parent)
    env = clean_env(PATH=f"{bin_dir}:/usr/bin:/bin", PIP_NO_INDEX="1")
    done = subprocess.run(
        ["sh", "-c", command], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr

    data = workspace / "data"
    data.mkdir()
    server = run_script(
        [],
        Path(bin_dir).parent,
        workspace,
        repo,
        data,
        PYTEST_WEB_PYTHON=f"{tests_venv}/bin/python",
    )
    try:
        run = server.wait_run(server.post("/api/runs", json={"workers": 0}).json()["id"])
        assert run["counts"]["passed"] == 1 and sum(run["counts"].values()) == 1, server.output
    finally:
        server.stop()


def test_healthz_answers_ok_without_a_token_and_503_without_the_repo(tmp_path: Path) -> None:
    """The image's HEALTHCHECK calls /healthz without the token: create_app must register it,
    and auth must let it through (a 401 would mark every container unhealthy)."""
    from pytest_web.web import create_app

    repo = tmp_path / "repo"
    repo.mkdir()
    client = create_app(app_config(repo)).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    repo.rmdir()
    gone = client.get("/healthz")
    assert gone.status_code == 503
    assert gone.get_json() == {"status": "unhealthy", "reason": "the repository is not readable"}


def test_healthcheck_fails_when_nothing_listens() -> None:
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-I", str(HEALTHCHECK)],
        env={**clean_env(), "PYTEST_WEB_PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert "not answering" in done.stderr
