"""`pytest_run.selection`: a run request becomes pytest arguments that cannot be options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_web.pytest_run.selection import (
    ARGV_LIMIT,
    MAX_EXPRESSION_LENGTH,
    MAX_NODEID_LENGTH,
    MAX_WORKERS,
    Selection,
    SelectionError,
    expression_args,
    nodeid_args,
    parse_selection,
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """`tmp/repo` with a test file, next to `tmp/repo2` (same prefix) and `tmp/outside`."""
    root = tmp_path / "repo"
    (root / "tests" / "sub").mkdir(parents=True)
    (root / "tests" / "test_a.py").write_text("def test_x(): pass\n")
    (root / "tests" / "sub" / "test_b.py").write_text("def test_y(): pass\n")
    (root / "test_top.py").write_text("def test_t(): pass\n")
    sibling = tmp_path / "repo2"
    sibling.mkdir()
    (sibling / "test_s.py").write_text("def test_s(): pass\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "test_o.py").write_text("def test_o(): pass\n")
    return root


def rejected(data: Any, root: Path) -> str:
    with pytest.raises(SelectionError) as caught:
        parse_selection(data, root)
    return str(caught.value)


# --- accepted requests ------------------------------------------------------------------------


def test_empty_request_runs_everything(repo: Path) -> None:
    assert parse_selection({}, repo) == Selection()
    assert parse_selection({"nodeids": None, "k": None, "m": None}, repo) == Selection()


def test_valid_request(repo: Path) -> None:
    selection = parse_selection(
        {
            "nodeids": [
                "tests/test_a.py::test_x",
                "tests/sub",
                "test_top.py",
                "tests/test_a.py::TestC::test_m[a::b/c]",
            ],
            "k": "  x and not y  ",
            "m": "slow",
            "workers": 4,
        },
        repo,
    )
    assert selection.nodeids == [
        "tests/test_a.py::test_x",
        "tests/sub",
        "test_top.py",
        "tests/test_a.py::TestC::test_m[a::b/c]",
    ]
    assert (selection.k, selection.m, selection.workers) == ("x and not y", "slow", 4)
    assert selection.as_dict() == {
        "nodeids": selection.nodeids,
        "k": "x and not y",
        "m": "slow",
        "workers": 4,
        "options": [],
    }


def test_leading_dot_slash_is_stripped_and_duplicates_dropped(repo: Path) -> None:
    selection = parse_selection(
        {"nodeids": ["./tests/test_a.py::test_x", "tests/test_a.py::test_x", "./test_top.py"]},
        repo,
    )
    assert selection.nodeids == ["tests/test_a.py::test_x", "test_top.py"]


def test_dot_dot_that_stays_inside_the_repo_is_accepted(repo: Path) -> None:
    selection = parse_selection({"nodeids": ["tests/sub/../test_a.py::test_x"]}, repo)
    assert selection.nodeids == ["tests/sub/../test_a.py::test_x"]


def test_symlink_inside_the_repo_is_accepted(repo: Path) -> None:
    (repo / "link.py").symlink_to(repo / "tests" / "test_a.py")
    assert parse_selection({"nodeids": ["link.py::test_x"]}, repo).nodeids == ["link.py::test_x"]


@pytest.mark.parametrize("workers", [0, 1, MAX_WORKERS, "2", " 3 "])
def test_workers_accepted(repo: Path, workers: Any) -> None:
    assert parse_selection({"workers": workers}, repo).workers == int(workers)


# --- rejected requests ------------------------------------------------------------------------


@pytest.mark.parametrize("data", [[], "nodeids", None, 3, ["tests/test_a.py"]])
def test_request_must_be_an_object(repo: Path, data: Any) -> None:
    assert "JSON object" in rejected(data, repo)


def test_unknown_fields_are_rejected_and_named(repo: Path) -> None:
    message = rejected({"nodeids": [], "args": ["-p", "evil"], "rootdir": "/"}, repo)
    assert "unknown fields" in message
    assert "args" in message and "rootdir" in message


def test_nodeids_must_be_a_list(repo: Path) -> None:
    assert "list" in rejected({"nodeids": "tests/test_a.py"}, repo)
    assert "list" in rejected({"nodeids": {"tests/test_a.py": 1}}, repo)


@pytest.mark.parametrize(
    "nodeid",
    ["-pfoo", "-p", "--rootdir=/", "--help", "-", "@args.txt", "@/etc/passwd", "-k=x"],
)
def test_option_like_nodeids_are_rejected(repo: Path, nodeid: str) -> None:
    (repo / "args.txt").write_text("-p evil\n")
    assert "cannot start with '-' or '@'" in rejected({"nodeids": [nodeid]}, repo)


@pytest.mark.parametrize("nodeid", ["/etc/passwd", "/tmp", "//server/share"])
def test_absolute_paths_are_rejected(repo: Path, nodeid: str) -> None:
    assert "relative to the repository" in rejected({"nodeids": [nodeid]}, repo)


def test_absolute_path_into_the_repo_is_rejected_too(repo: Path) -> None:
    nodeid = str(repo / "tests" / "test_a.py") + "::test_x"
    assert "relative to the repository" in rejected({"nodeids": [nodeid]}, repo)


@pytest.mark.parametrize(
    "nodeid",
    [
        "../outside/test_o.py",
        "../x/test.py",
        "tests/../../outside/test_o.py::test_o",
        "..",
        "../repo2/test_s.py",  # a sibling whose name starts with the repo's name
        "./../repo2/test_s.py::test_s",
    ],
)
def test_paths_leaving_the_repo_are_rejected(repo: Path, nodeid: str) -> None:
    assert "outside the repository" in rejected({"nodeids": [nodeid]}, repo)


def test_symlink_pointing_out_of_the_repo_is_rejected(repo: Path) -> None:
    outside = repo.parent / "outside"
    (repo / "tests" / "escape.py").symlink_to(outside / "test_o.py")
    (repo / "escape_dir").symlink_to(outside, target_is_directory=True)
    assert "outside the repository" in rejected({"nodeids": ["tests/escape.py::test_o"]}, repo)
    assert "outside the repository" in rejected({"nodeids": ["escape_dir/test_o.py"]}, repo)
    assert "outside the repository" in rejected({"nodeids": ["escape_dir"]}, repo)


def test_sibling_with_the_same_prefix_through_a_symlink_is_rejected(repo: Path) -> None:
    (repo / "twin").symlink_to(repo.parent / "repo2", target_is_directory=True)
    assert "outside the repository" in rejected({"nodeids": ["twin/test_s.py"]}, repo)


def test_missing_files_are_rejected(repo: Path) -> None:
    assert "no such file" in rejected({"nodeids": ["tests/test_missing.py::test_x"]}, repo)


@pytest.mark.parametrize(
    "nodeid",
    [
        "tests/test_a.py::test_x\n-p evil",
        "tests/test_a.py\x00",
        "tests/test_a.py::test_x\r",
        "tests/test_a.py::test_\x1b[31mx",
        "tests/test_a.py\t",
        "tests/test_a.py::test_x\x7f",
    ],
)
def test_control_characters_in_nodeids_are_rejected(repo: Path, nodeid: str) -> None:
    assert "not a node id" in rejected({"nodeids": [nodeid]}, repo)


def test_overlong_nodeid_is_rejected(repo: Path) -> None:
    nodeid = "tests/test_a.py::test_" + "x" * MAX_NODEID_LENGTH
    assert "not a node id" in rejected({"nodeids": [nodeid]}, repo)


@pytest.mark.parametrize("nodeid", [None, 3, 1.5, True, ["tests/test_a.py"], {"a": 1}, "", "   "])
def test_non_string_or_empty_nodeids_are_rejected(repo: Path, nodeid: Any) -> None:
    assert "non-empty strings" in rejected({"nodeids": ["tests/test_a.py", nodeid]}, repo)


def test_one_bad_nodeid_rejects_the_whole_request(repo: Path) -> None:
    message = rejected({"nodeids": ["tests/test_a.py::test_x", "../outside/test_o.py"]}, repo)
    assert "outside the repository" in message and "../outside/test_o.py" in message


@pytest.mark.parametrize(
    "workers",
    [
        -1,
        MAX_WORKERS + 1,
        10**9,
        True,
        False,
        1.0,
        2.5,
        None,
        "",
        "two",
        "-1",
        "1e3",
        [2],
        {"n": 2},
    ],
)
def test_workers_out_of_range_or_not_a_whole_number(repo: Path, workers: Any) -> None:
    assert "workers must be a whole number" in rejected({"workers": workers}, repo)


@pytest.mark.parametrize("workers", ["\u00b2", "\u2460", "9" * 5000, "\u0663\u0663\u0663"])
def test_odd_digit_strings_for_workers_are_a_selection_error(repo: Path, workers: str) -> None:
    """str.isdigit() accepts '²' and '①', which int() refuses; the route only catches
    SelectionError, so anything else would be an internal error instead of a 400."""
    assert "workers must be a whole number" in rejected({"workers": workers}, repo)


@pytest.mark.parametrize("field", ["k", "m"])
@pytest.mark.parametrize("value", [3, ["x"], {"x": 1}, True])
def test_expressions_must_be_strings(repo: Path, field: str, value: Any) -> None:
    assert "must be a string" in rejected({field: value}, repo)


@pytest.mark.parametrize("field", ["k", "m"])
def test_expressions_reject_control_characters_and_excess_length(repo: Path, field: str) -> None:
    assert "control characters" in rejected({field: "x\nor y"}, repo)
    assert "control characters" in rejected({field: "x\x00"}, repo)
    assert "longer than" in rejected({field: "x" * (MAX_EXPRESSION_LENGTH + 1)}, repo)
    long_ok = parse_selection({field: "x" * MAX_EXPRESSION_LENGTH}, repo)
    assert getattr(long_ok, field) == "x" * MAX_EXPRESSION_LENGTH


# --- arguments --------------------------------------------------------------------------------


def test_expression_args_are_single_arguments() -> None:
    assert expression_args("", "") == []
    assert expression_args("a or b", "") == ["-k=a or b"]
    assert expression_args("", "slow") == ["-m=slow"]
    assert expression_args("-p evil", "--rootdir=/") == ["-k=-p evil", "-m=--rootdir=/"]


@pytest.fixture
def quiet_pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """In-process pytest without the interpreter's other plugins (seconds of start-up)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


def test_expression_args_are_read_by_pytest_as_the_expression(
    quiet_pytester: pytest.Pytester,
) -> None:
    pytester = quiet_pytester
    pytester.makepyfile(
        """
        import pytest
        def test_alpha(): pass
        def test_beta(): pass
        @pytest.mark.slow
        def test_gamma(): pass
        """
    )
    pytester.makeini("[pytest]\nmarkers = slow\n")
    args = expression_args("alpha or gamma", "slow")
    result = pytester.runpytest("-p", "no:cacheprovider", "-v", *args)
    result.assert_outcomes(passed=1, deselected=2)
    result.stdout.fnmatch_lines(["*::test_gamma PASSED*"])
    # As an option "-pevil" would load a plugin "evil" and fail; as an expression it matches none
    result = pytester.runpytest("-p", "no:cacheprovider", *expression_args("-pevil", ""))
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["*3 deselected*"])
    assert "evil" not in result.stderr.str()


def test_nodeid_args_prefix_every_id_so_none_is_an_option(tmp_path: Path) -> None:
    argfile = tmp_path / "args.txt"
    args = nodeid_args(["tests/test_a.py::test_x", "-odd.py", "@file"], argfile)
    assert args == ["./tests/test_a.py::test_x", "./-odd.py", "./@file"]
    assert not argfile.exists()
    assert nodeid_args([], argfile) == []


def test_nodeid_args_at_the_limit_stay_on_the_command_line(tmp_path: Path) -> None:
    argfile = tmp_path / "args.txt"
    nodeid = "t.py::test_" + "x" * (ARGV_LIMIT - len("./t.py::test_") - 1)
    assert len("./" + nodeid) + 1 == ARGV_LIMIT
    assert nodeid_args([nodeid], argfile) == ["./" + nodeid]
    assert not argfile.exists()


def test_nodeid_args_above_the_limit_use_an_argument_file(tmp_path: Path) -> None:
    argfile = tmp_path / "args.txt"
    nodeids = [f"tests/test_a.py::test_x[{i}-{'p' * 40}]" for i in range(ARGV_LIMIT // 40)]
    args = nodeid_args(nodeids, argfile)
    assert args == ["@" + str(argfile)]
    lines = argfile.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""  # every id ends with a newline
    assert lines[:-1] == ["./" + n for n in nodeids]


def test_nodeid_args_argument_file_keeps_unicode(tmp_path: Path) -> None:
    argfile = tmp_path / "args.txt"
    nodeids = [f"t.py::test_ü[{'é' * 60}{i}]" for i in range(ARGV_LIMIT // 60)]
    assert nodeid_args(nodeids, argfile) == ["@" + str(argfile)]
    assert argfile.read_text(encoding="utf-8").splitlines() == ["./" + n for n in nodeids]


def test_argument_file_is_read_by_pytest(
    quiet_pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester = quiet_pytester
    monkeypatch.setattr("pytest_web.pytest_run.selection.ARGV_LIMIT", 10)
    pytester.makepyfile(
        test_a="def test_one(): pass\ndef test_two(): pass\ndef test_three(): pass\n"
    )
    args = nodeid_args(["test_a.py::test_one", "test_a.py::test_three"], pytester.path / "ids.txt")
    assert args == ["@" + str(pytester.path / "ids.txt")]
    result = pytester.runpytest("-p", "no:cacheprovider", "-v", *args)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_a.py::test_one PASSED*", "*test_a.py::test_three PASSED*"])
    result.stdout.no_fnmatch_line("*test_two*")
