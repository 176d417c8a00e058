"""The real-world suites of `realworld.py`: which projects, and how each gets its own virtualenv.

Each project is its PyPI source distribution, unpacked, with a virtualenv that has the project
installed from that sdist, its test requirements, pytest and pytest-xdist. Everything is cached
under one folder (`bench/out/realworld/NAME/`), made once; a folder without its `.ready` marker
is made again from the start.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path[:0] = [str(ROOT / "tests")]

from support import Server, stop_server  # noqa: E402

BOOT = (
    "import runpy, sys; sys.path[:0] = [{root!r}, {plugin!r}]; sys.argv[0] = 'pytest-web'; "
    "runpy.run_module('pytest_web', run_name='__main__', alter_sys=True)"
)
"""`python -m pytest_web` with this checkout's server and plugin first on the server's path
(not on pytest's: the PYTHONPATH pytest gets is unchanged), whatever pytest-web is installed."""

PYTEST = ("pytest==9.2.0", "pytest-xdist==3.8.0")
"""The same pytest for every project, so a difference is never a pytest version's."""


@dataclass(frozen=True)
class Project:
    name: str
    """The PyPI name (also `--only NAME` and the cache folder)."""
    version: str
    exercises: str
    """What of pytest this suite exercises, for the table."""
    requirements: tuple[str, ...] = ()
    """The test requirements, besides pytest and pytest-xdist."""
    env: dict[str, str] = field(default_factory=dict)
    """Environment for plain pytest and the server alike (e.g. `PYTEST_ADDOPTS`)."""


PROJECTS = (
    Project("more-itertools", "11.2.1", "subtests (unittest subTest), unittest classes"),
    Project(
        "boltons",
        "26.2.0",
        "doctests (--doctest-modules, as its tox.ini runs it)",
        env={"PYTEST_ADDOPTS": "--doctest-modules -o 'testpaths=boltons tests'"},
    ),
    Project(
        "attrs",
        "26.1.0",
        "hypothesis, importlib import mode, xfail_strict",
        ("hypothesis", "pympler", "cloudpickle", "psutil"),
    ),
    Project(
        "jsonschema",
        "4.26.0",
        "unittest classes (7,000+ tests generated from the JSON Schema suite)",
        ("jsonpath-ng",),
    ),
    Project(
        "pyparsing",
        "3.3.3",
        "unittest classes with subTest, skips",
        ("railroad-diagrams", "jinja2"),
    ),
    Project(
        "markdown",
        "3.11.3",
        "a collection error (its tests turn warnings into errors at import): exit 2, no run",
        ("pyyaml",),
    ),
    Project(
        "pygments",
        "2.21.0",
        "5,000+ tests, custom pytest.Item collectors",
        ("wcag-contrast-ratio",),
    ),
)


@dataclass(frozen=True)
class Prepared:
    project: Project
    tree: Path
    """The unpacked sdist: pytest runs here."""
    python: Path
    """The virtualenv's interpreter."""


def pip(python: Path | str, *args: str, cwd: Path | None = None) -> None:
    command = [str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def prepare(project: Project, cache: Path, say: bool = True) -> Prepared:
    """The project's tree and virtualenv under `cache`, made when missing."""
    home = cache / project.name
    marker = home / ".ready"
    if marker.exists():
        return _prepared(project, home)
    if say:
        print(f"setting up {project.name} {project.version} in {home} ...", flush=True)
    shutil.rmtree(home, ignore_errors=True)
    (home / "sdist").mkdir(parents=True)
    pip(
        sys.executable,
        "download",
        "--no-binary",
        ":all:",
        "--no-deps",
        "-d",
        str(home / "sdist"),
        f"{project.name}=={project.version}",
    )
    (archive,) = (home / "sdist").glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(home / "tree", filter="data")
    (top,) = (home / "tree").iterdir()
    top.rename(home / "tree" / "src")
    prepared = _prepared(project, home)
    subprocess.run([sys.executable, "-m", "venv", str(home / "venv")], check=True)
    pip(prepared.python, "install", *PYTEST, *project.requirements, str(archive))
    freeze = subprocess.run(
        [str(prepared.python), "-m", "pip", "freeze"], capture_output=True, text=True, check=True
    )
    (home / "requirements.lock").write_text(freeze.stdout)
    marker.write_text("")
    return prepared


def _prepared(project: Project, home: Path) -> Prepared:
    return Prepared(project, home / "tree" / "src", home / "venv" / "bin" / "python")


def select(only: list[str] | None) -> list[Project]:
    if not only:
        return list(PROJECTS)
    known = {p.name: p for p in PROJECTS}
    unknown = [name for name in only if name not in known]
    if unknown:
        raise SystemExit(f"unknown project(s) {unknown}; known: {', '.join(known)}")
    return [known[name] for name in only]


def serve(prepared: Prepared) -> Server:
    """This checkout's pytest-web serving the project's tree with its venv's interpreter."""
    token = "realworld-" + os.urandom(8).hex()
    boot = BOOT.format(root=str(ROOT), plugin=str(ROOT / "plugin"))
    process = subprocess.Popen(
        [sys.executable, "-c", boot, str(prepared.tree), "--port", "0", "--no-history",
         "--python", str(prepared.python)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **prepared.project.env, "PYTEST_WEB_TOKEN": token},
        start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        found = re.search(r"open (http://\S+?)/\?token=", line)
        if found:
            server = Server(found.group(1), token, prepared.tree, process, lines)
            threading.Thread(target=_drain, args=(process, lines), daemon=True).start()
            _wait_ready(server)
            return server
    process.kill()
    raise RuntimeError("pytest-web did not start:\n" + "".join(lines))


def _drain(process: subprocess.Popen[str], lines: list[str]) -> None:
    assert process.stdout is not None
    lines.extend(process.stdout)


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if server.api("GET", "/api/runs", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("pytest-web never answered")


def wait_finished(server: Server, run_id: str, timeout: float) -> None:
    """Poll the cheap run list (no tests in it) until the run leaves `running`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = server.api("GET", "/api/runs").json()["runs"]
        if next(r for r in runs if r["id"] == run_id)["status"] != "running":
            return
        time.sleep(0.1)
    server.api("POST", f"/api/runs/{run_id}/cancel")
    raise RuntimeError(f"run {run_id} still running after {timeout} s: cancelled")


__all__ = [
    "OUT",
    "Prepared",
    "Project",
    "Server",
    "prepare",
    "select",
    "serve",
    "stop_server",
    "wait_finished",
]
