"""The plugin's defaults for a CI run and shard, from each CI's variables or the git remote."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_web_plugin.ci import CiDefaults, detect, repository_path


def test_github_actions() -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_RUN_ID": "9876",
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_JOB": "test",
        "GITHUB_SHA": "abc123",
        "GITHUB_REF_NAME": "42/merge",
        "GITHUB_HEAD_REF": "feature",
        "GITHUB_SERVER_URL": "https://github.com",
    }
    url = "https://github.com/acme/shop/actions/runs/9876/attempts/2"
    assert detect(env) == CiDefaults(
        project="acme/shop",
        run_key="9876-2",
        shard="test",
        branch="feature",
        commit="abc123",
        url=url,
        job_url=url,
    )


def test_gitlab_ci_parallel_job() -> None:
    env = {
        "GITLAB_CI": "true",
        "CI_PROJECT_PATH": "group/sub/shop",
        "CI_PIPELINE_ID": "555",
        "CI_JOB_NAME": "test 2/4",
        "CI_NODE_TOTAL": "4",
        "CI_COMMIT_SHA": "def456",
        "CI_COMMIT_BRANCH": "main",
        "CI_PIPELINE_URL": "https://gitlab.example/group/sub/shop/-/pipelines/555",
        "CI_JOB_URL": "https://gitlab.example/group/sub/shop/-/jobs/7",
    }
    found = detect(env)
    assert (found.project, found.run_key, found.shard, found.shards) == (
        "group/sub/shop",
        "555",
        "test 2/4",
        4,
    )
    assert found.branch == "main" and found.job_url.endswith("/jobs/7")


def test_gitlab_merge_request_branch() -> None:
    env = {
        "GITLAB_CI": "true",
        "CI_PROJECT_PATH": "g/p",
        "CI_PIPELINE_ID": "1",
        "CI_JOB_NAME": "t",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "fix",
        "CI_COMMIT_REF_NAME": "refs/merge-requests/3/head",
    }
    assert detect(env).branch == "fix"


def test_buildkite_parallel_job() -> None:
    env = {
        "BUILDKITE": "true",
        "BUILDKITE_REPO": "git@github.com:acme/shop.git",
        "BUILDKITE_BUILD_ID": "0190-uuid",
        "BUILDKITE_LABEL": ":pytest: tests",
        "BUILDKITE_PARALLEL_JOB": "0",
        "BUILDKITE_PARALLEL_JOB_COUNT": "3",
        "BUILDKITE_BRANCH": "main",
        "BUILDKITE_COMMIT": "aaa",
        "BUILDKITE_BUILD_URL": "https://buildkite.com/acme/shop/builds/12",
        "BUILDKITE_JOB_ID": "job-1",
    }
    found = detect(env)
    assert (found.project, found.run_key, found.shard, found.shards) == (
        "acme/shop",
        "0190-uuid",
        ":pytest: tests 1/3",
        3,
    )
    assert found.job_url == "https://buildkite.com/acme/shop/builds/12#job-1"


def test_circleci_parallelism() -> None:
    env = {
        "CIRCLECI": "true",
        "CIRCLE_PROJECT_USERNAME": "acme",
        "CIRCLE_PROJECT_REPONAME": "shop",
        "CIRCLE_WORKFLOW_ID": "wf-1",
        "CIRCLE_JOB": "test",
        "CIRCLE_NODE_INDEX": "3",
        "CIRCLE_NODE_TOTAL": "4",
        "CIRCLE_SHA1": "bbb",
        "CIRCLE_BRANCH": "main",
        "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/shop/77",
    }
    found = detect(env)
    assert (found.project, found.run_key, found.shard, found.shards) == (
        "acme/shop",
        "wf-1",
        "test 4/4",
        4,
    )


def test_jenkins_parallel_stage() -> None:
    env = {
        "JENKINS_URL": "https://jenkins.example/",
        "GIT_URL": "https://github.com/acme/shop.git",
        "BUILD_TAG": "jenkins-shop-main-31",
        "STAGE_NAME": "tests linux",
        "GIT_BRANCH": "origin/main",
        "GIT_COMMIT": "ccc",
        "BUILD_URL": "https://jenkins.example/job/shop/31/",
    }
    found = detect(env)
    assert (found.project, found.run_key, found.shard, found.branch) == (
        "acme/shop",
        "jenkins-shop-main-31",
        "tests linux",
        "main",
    )


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("git@github.com:acme/shop.git", "acme/shop"),
        ("https://user:secret@github.com/acme/shop.git", "acme/shop"),
        ("https://gitlab.com/group/sub/shop", "group/sub/shop"),
        ("ssh://git@host:2222/acme/shop.git/", "acme/shop"),
        ("/srv/git/shop.git", "srv/git/shop"),
    ],
)
def test_repository_path(url: str, path: str) -> None:
    assert repository_path(url) == path


def test_outside_ci_the_git_remote_names_the_project(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "remote", "add", "origin", "git@example.com:acme/shop.git"],
        check=True,
    )
    found = detect({}, str(tmp_path))
    assert found.project == "acme/shop"
    assert found.run_key.startswith("local-") and found.shard
    assert detect({}, str(tmp_path)).run_key != found.run_key  # each session a run


def test_without_a_remote_the_folder_names_the_project(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    folder.mkdir()
    assert detect({}, str(folder)).project == "shop"
