"""Open-in-editor links and the rerun command: named editors, templates, refused schemes, the
container's path mapped to the host's, and shell-safe commands."""

from __future__ import annotations

import shlex

import pytest

from pytest_web.web.editor import EditorError, editor_template, editor_url, rerun_command


@pytest.mark.parametrize(
    ("setting", "url"),
    [
        ("vscode", "vscode://file/repo/tests/test_a.py:12"),
        ("vscode-insiders", "vscode-insiders://file/repo/tests/test_a.py:12"),
        ("cursor", "cursor://file/repo/tests/test_a.py:12"),
        ("pycharm", "pycharm://open?file=/repo/tests/test_a.py&line=12"),
        (
            "subl://open?url=file://{path}&line={line}",
            "subl://open?url=file:///repo/tests/test_a.py&line=12",
        ),
    ],
)
def test_named_editors_and_templates_link_to_the_file_and_line(setting: str, url: str) -> None:
    assert editor_url(editor_template(setting), "tests/test_a.py", 12, "/repo", "") == url


@pytest.mark.parametrize(
    "setting",
    [
        "javascript:alert(1)//{path}",
        "JavaScript:alert({path})",
        "data:text/html,{path}",
        "https://evil.example/{path}",
        "http://x/{path}",
        "file:///{path}",
        "no-scheme-here {path}",
        "vscode://file/{line}",
        "x" * 600,
    ],
)
def test_settings_that_could_not_make_a_safe_editor_link_are_refused(setting: str) -> None:
    with pytest.raises(EditorError):
        editor_template(setting)


def test_no_editor_no_link() -> None:
    assert editor_template("  ") == ""
    assert editor_url("", "tests/test_a.py", 3, "/repo", "") == ""


def test_the_containers_repository_maps_to_the_hosts_and_odd_names_are_escaped() -> None:
    template = editor_template("vscode")
    mapped = editor_url(template, "/repo/tests/test a#1.py", None, "/repo", "/home/me/proj")
    assert mapped == "vscode://file/home/me/proj/tests/test%20a%231.py:1"
    outside = editor_url(template, "/usr/lib/python3/x.py", 5, "/repo", "/home/me/proj")
    assert outside == "vscode://file/usr/lib/python3/x.py:5"


def test_the_rerun_command_is_one_shell_word_per_argument() -> None:
    command = rerun_command("tests/test_a.py::test_x[a b; rm -rf]", ["-x", "--tb=short"])
    assert shlex.split(command) == [
        "pytest",
        "-x",
        "--tb=short",
        "tests/test_a.py::test_x[a b; rm -rf]",
    ]
