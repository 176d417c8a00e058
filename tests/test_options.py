"""The pytest options a run may take: the allowlist, each option one argument, and refusals
that name the option; nothing that can load code reaches pytest."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_web.pytest_run.options import OptionError, parse_options, plugins_needed
from pytest_web.pytest_run.selection import SelectionError, parse_selection
from support import Server, summary_counts


@pytest.mark.parametrize(
    ("given", "argument"),
    [
        ("-x", "-x"),
        ("--exitfirst", "--exitfirst"),
        ("--maxfail=3", "--maxfail=3"),
        ("--maxfail 3", "--maxfail=3"),
        ("--lf", "--lf"),
        ("--ff", "--ff"),
        ("--nf", "--nf"),
        ("--sw", "--sw"),
        ("-p no:randomly", "-pno:randomly"),
        ("-pno:cacheprovider", "-pno:cacheprovider"),
        ("--reruns 2", "--reruns=2"),
        ("--dist=loadscope", "--dist=loadscope"),
        ("--dist worksteal", "--dist=worksteal"),
        ("--durations=10", "--durations=10"),
        ("-v", "-v"),
        ("-vv", "-vv"),
        ("-q", "-q"),
        ("--tb=short", "--tb=short"),
        ("  --tb native ", "--tb=native"),
        ("--color=no", "--color=no"),
    ],
)
def test_allowed_options_become_one_argument_each(given: str, argument: str) -> None:
    assert parse_options([given]) == [argument]


@pytest.mark.parametrize(
    "refused",
    [
        "-p evil",
        "-pevil",
        "-p no:",
        "-p no:a b",
        "--pyargs",
        "-c x.ini",
        "--rootdir=/",
        "-o addopts=-pevil",
        "--confcutdir=/",
        "--import-mode=append",
        "--maxfail=-1",
        "--maxfail=x",
        "--maxfail",
        "-x=1",
        "--dist=each",
        "--tb=evil",
        "--color=maybe",
        "--junitxml=/etc/passwd",
        "@args.txt",
        "--pdb",
        "",
    ],
)
def test_anything_else_is_refused_and_named(refused: str) -> None:
    with pytest.raises(OptionError) as error:
        parse_options([refused])
    assert repr(refused[:100]) in str(error.value) or refused.split(" ")[0].split("=")[0] in str(
        error.value
    )


@pytest.mark.parametrize("bad", ["-x", {"-x": 1}, [1], [["-x"]], ["-x"] * 21])
def test_options_must_be_a_short_list_of_strings(bad: object) -> None:
    with pytest.raises(OptionError):
        parse_options(bad)


def test_plugin_options_say_which_plugin_they_need() -> None:
    arguments = parse_options(["--reruns 2", "--dist=load", "-x"])
    assert plugins_needed(arguments) == {"pytest_rerunfailures", "xdist"}


def test_a_run_request_takes_options_and_workers_auto(tmp_path: Path) -> None:
    selection = parse_selection({"options": ["-x", "--tb short"], "workers": "auto"}, tmp_path)
    assert selection.options == ["-x", "--tb=short"]
    assert selection.workers == "auto"
    with pytest.raises(SelectionError, match="option not allowed: '--pyargs'"):
        parse_selection({"options": ["--pyargs"]}, tmp_path)


@pytest.mark.slow
def test_a_run_with_options_counts_as_pytest_with_them(demo_server: Server) -> None:
    refused = demo_server.api("POST", "/api/runs", json={"options": ["-p evil"]})
    assert refused.status_code == 400 and "'-p evil'" in refused.json()["error"]
    run_id = demo_server.start_run(options=["-x", "--tb=line"])
    run = demo_server.wait_run(run_id)
    assert run["selection"]["options"] == ["-x", "--tb=line"]
    assert run["counts"] == summary_counts(demo_server.repo, "-x", "--tb=line")
    assert run["counts"]["failed"] + run["counts"]["error"] == 1  # -x stopped at the first
