"""The layers hold: import-linter's contracts, mypy, the plugin's independence, no Flask in a
test run that loads the plugin."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "plugin" / "pytest_web_plugin"
WEB_STACK = ("flask", "werkzeug", "jinja2", "gevent", "gunicorn", "click")


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_import_linter_contracts_are_kept() -> None:
    lint = shutil.which("lint-imports")
    assert lint, "import-linter is a test dependency: pip install -e '.[test]'"
    done = run([lint, "--no-cache"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.slow
def test_mypy_finds_no_error() -> None:
    done = run([sys.executable, "-m", "mypy"])
    assert done.returncode == 0, done.stdout + done.stderr


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_plugin_imports_only_the_standard_library_and_pytest() -> None:
    imported = set()
    for path in PLUGIN.glob("*.py"):
        imported |= {name.split(".")[0] for name in imported_modules(path)}
    allowed = {"pytest", "__future__", "pytest_web_plugin"}
    assert imported - set(sys.stdlib_module_names) - allowed == set()


@pytest.mark.parametrize("module", ["pytest_web.plugin", "pytest_web_plugin"])
def test_loading_the_plugin_loads_no_web_stack(module: str) -> None:
    probe = (
        f"import sys, {module}\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {WEB_STACK!r}))"
    )
    done = run([sys.executable, "-c", probe])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_no_import_hides_inside_a_function() -> None:
    """An import inside a function is how a cycle hides from import-linter."""
    hidden = []
    for path in sorted((ROOT / "pytest_web").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert hidden == []
