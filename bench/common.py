"""Shared helpers for the benchmarks: the generated suite, plain pytest, a pytest-web server."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "plugin"), str(BENCH)]

from make_suite import make_suite  # noqa: E402
from pytest_web.pytest_run import process  # noqa: E402
from support import Server, launch_server, stop_server  # noqa: E402


def suite(tests: int, failures: int = 0) -> Path:
    """The generated suite of `tests` tests (`failures` of them failing) under bench/out, made
    once per size."""
    target = OUT / (f"suite{tests}" + (f"-f{failures}" if failures else ""))
    marker = target / ".complete"
    if not marker.exists():
        make_suite(target, tests, failures=failures)
        marker.write_text("")
    return target


def pytest_args(workers: int) -> list[str]:
    """The command line the server uses for a run with `workers` (as the runner builds it)."""
    return process.pytest_command(sys.executable, process.workers_args(sys.executable, workers))


def plugin_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the server gives pytest: the plugin importable, nothing reported."""
    return process.child_env(extra or {})


def run_plain(
    repo: Path, command: list[str], env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Wall and CPU time (user + system, all processes) of one pytest run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=repo,
        env=env or plugin_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"pytest exited {done.returncode}:\n{done.stdout[-2000:]!r}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def server_worker(server: Server) -> int:
    """The pid of the gunicorn worker (the one child of the server process)."""
    pid = server.process.pid
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            children = handle.read().split()
        if children:
            return int(children[0])
    raise RuntimeError("the server has no worker process")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time of a process itself, and of the children it has waited for (pytest runs)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rpartition(")")[2].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    tick = os.sysconf("SC_CLK_TCK")
    return (utime + stime) / tick, (cutime + cstime) / tick


def wait_finished(server: Server, run_id: str, interval: float = 0.05) -> dict[str, Any]:
    """Poll the cheap run list (no tests in it) until the run leaves `running`."""
    while True:
        runs = server.api("GET", "/api/runs").json()["runs"]
        run = next(r for r in runs if r["id"] == run_id)
        if run["status"] != "running":
            return run
        time.sleep(interval)


def median(values: list[float]) -> float:
    return statistics.median(values)


def print_table(rows: list[tuple[str, list[float], list[float]]], goal: str) -> None:
    """One line per measurement: medians, the ratio of the medians and of the best runs."""
    head = ("plain (s)", "pytest-web (s)", "ratio (median)", "ratio (best)")
    print(f"{'':24} {head[0]:>10} {head[1]:>15} {head[2]:>15} {head[3]:>13}")
    for name, plain, served in rows:
        print(
            f"{name:24} {median(plain):10.2f} {median(served):15.2f} "
            f"{median(served) / median(plain):14.3f}x {min(served) / min(plain):12.3f}x"
        )
    print(f"goal: {goal}")


def fmt(values: list[float]) -> str:
    return " ".join(f"{v:6.2f}" for v in values)


__all__ = [
    "OUT",
    "ROOT",
    "Server",
    "cpu_seconds",
    "fmt",
    "launch_server",
    "median",
    "plugin_env",
    "print_table",
    "pytest_args",
    "run_plain",
    "server_worker",
    "stop_server",
    "suite",
    "wait_finished",
]
