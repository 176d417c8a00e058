"""How pytest is started: the interpreter, the plugin on its path, no shell, its own session."""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import tempfile
from functools import cache
from pathlib import Path

PLUGIN_MODULE = "pytest_web_plugin"


@cache
def plugin_dir() -> str:
    """A private folder holding only the plugin package, to put on the child's PYTHONPATH.

    Only that one package is added to the child's path, so it works for any interpreter that
    has pytest, whether or not pytest-web is installed there, and shadows nothing of the
    project's.
    """
    folder = tempfile.mkdtemp(prefix="pytest-web-plugin-")
    atexit.register(shutil.rmtree, folder, True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(plugin_package(), os.path.join(folder, PLUGIN_MODULE), ignore=ignore)
    return folder


def plugin_package() -> str:
    """Where the plugin package is, found without importing it (that would import pytest: a
    tenth of the server's start, for a server that only starts pytest in a child)."""
    spec = importlib.util.find_spec(PLUGIN_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{PLUGIN_MODULE} is not importable: is pytest-web installed?")
    return str(next(iter(spec.submodule_search_locations)))


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The server's environment, the plugin on the path, and the plugin's own variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_WEB_")}
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = plugin_dir() + (os.pathsep + path if path else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra)
    return env


def pytest_command(python: str, args: list[str]) -> list[str]:
    return [python, "-m", "pytest", "-p", PLUGIN_MODULE, *args]


def has_xdist(python: str) -> bool:
    """Whether the interpreter that runs the tests can import pytest-xdist."""
    return has_module(python, "xdist")


@cache
def has_module(python: str, module: str) -> bool:
    """Whether the interpreter that runs the tests can import `module` (a plugin's)."""
    try:
        done = subprocess.run(
            [python, "-c", f"import {module}"],
            capture_output=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def workers_args(python: str, workers: int | str) -> list[str]:
    """`-n N` for N > 0 (or `auto`); with 0, `-n 0` only where xdist exists (so `--pdb` keeps
    working)."""
    if workers == "auto" or (isinstance(workers, int) and workers > 0):
        return ["-n", str(workers)]
    return ["-n", "0"] if has_xdist(python) else []


def spawn(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start pytest in a new session (its own process group), output merged into one pipe."""
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def signal_group(pid: int, sig: int) -> None:
    """Send `sig` to the process group `pid` leads (pytest and its xdist workers)."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Kill what is left of `process`'s group and reap it."""
    signal_group(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
