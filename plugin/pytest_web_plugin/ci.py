"""Which CI run and shard this session is, from the CI's own variables (GitHub Actions, GitLab CI,
Buildkite, CircleCI, Jenkins) or, outside CI, the git remote: the defaults of `--web-project`,
`--web-run-key` and `--web-shard` when streaming to a dashboard.

A run key names a CI run and its attempt, so every shard of it joins one run on the dashboard
and a re-run (a new attempt) is a run of its own. A shard's name is what the CI calls the job;
where the CI gives no name that tells matrix jobs apart (GitHub Actions), set PYTEST_WEB_SHARD
(the dashboard still keeps two sessions of one name apart: `test`, `test#2`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

Env = Mapping[str, str]


@dataclass
class CiDefaults:
    project: str = ""
    run_key: str = ""
    shard: str = ""
    shards: int = 0
    """How many shards the run has, when the CI says."""
    branch: str = ""
    commit: str = ""
    url: str = ""
    """The CI run's page."""
    job_url: str = ""

    def as_info(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if v}


def repository_path(url: str) -> str:
    """`owner/repo` (or `group/sub/project`) from a git remote's URL, scp-like or not;
    credentials and `.git` left out."""
    url = url.strip()
    if "://" in url:
        path = urllib.parse.urlsplit(url).path
    elif ":" in url:
        path = url.split(":", 1)[1]
    else:
        path = url
    path = path.strip("/")
    return path[:-4] if path.endswith(".git") else path


def _number(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def _part(index: str | None, total: str | None) -> str:
    """ " 2/4" for the second of four parallel copies of a job (0-based index given)."""
    count = _number(total)
    return f" {_number(index) + 1}/{count}" if count > 1 else ""


def github(env: Env) -> CiDefaults:
    repo, run = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_RUN_ID", "")
    attempt = env.get("GITHUB_RUN_ATTEMPT") or "1"
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    url = f"{server}/{repo}/actions/runs/{run}/attempts/{attempt}" if repo and run else ""
    return CiDefaults(
        project=repo,
        run_key=f"{run}-{attempt}" if run else "",
        shard=env.get("GITHUB_JOB", ""),
        branch=env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME", ""),
        commit=env.get("GITHUB_SHA", ""),
        url=url,
        job_url=url,
    )


def gitlab(env: Env) -> CiDefaults:
    return CiDefaults(
        project=env.get("CI_PROJECT_PATH", ""),
        run_key=env.get("CI_PIPELINE_ID", ""),
        shard=env.get("CI_JOB_NAME", ""),
        shards=_number(env.get("CI_NODE_TOTAL")),
        branch=env.get("CI_COMMIT_BRANCH")
        or env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
        or env.get("CI_COMMIT_REF_NAME", ""),
        commit=env.get("CI_COMMIT_SHA", ""),
        url=env.get("CI_PIPELINE_URL", ""),
        job_url=env.get("CI_JOB_URL", ""),
    )


def buildkite(env: Env) -> CiDefaults:
    repo = repository_path(env.get("BUILDKITE_REPO", ""))
    slugs = (env.get("BUILDKITE_ORGANIZATION_SLUG", ""), env.get("BUILDKITE_PIPELINE_SLUG", ""))
    name = env.get("BUILDKITE_LABEL") or env.get("BUILDKITE_STEP_KEY", "")
    build_url, job = env.get("BUILDKITE_BUILD_URL", ""), env.get("BUILDKITE_JOB_ID", "")
    return CiDefaults(
        project=repo or "/".join(s for s in slugs if s),
        run_key=env.get("BUILDKITE_BUILD_ID", ""),
        shard=name
        + _part(env.get("BUILDKITE_PARALLEL_JOB"), env.get("BUILDKITE_PARALLEL_JOB_COUNT")),
        shards=_number(env.get("BUILDKITE_PARALLEL_JOB_COUNT")),
        branch=env.get("BUILDKITE_BRANCH", ""),
        commit=env.get("BUILDKITE_COMMIT", ""),
        url=build_url,
        job_url=f"{build_url}#{job}" if build_url and job else build_url,
    )


def circleci(env: Env) -> CiDefaults:
    owner, name = env.get("CIRCLE_PROJECT_USERNAME", ""), env.get("CIRCLE_PROJECT_REPONAME", "")
    repo = f"{owner}/{name}" if owner and name else ""
    return CiDefaults(
        project=repo or repository_path(env.get("CIRCLE_REPOSITORY_URL", "")),
        run_key=env.get("CIRCLE_WORKFLOW_ID", ""),
        shard=env.get("CIRCLE_JOB", "")
        + _part(env.get("CIRCLE_NODE_INDEX"), env.get("CIRCLE_NODE_TOTAL")),
        shards=_number(env.get("CIRCLE_NODE_TOTAL")),
        branch=env.get("CIRCLE_BRANCH", ""),
        commit=env.get("CIRCLE_SHA1", ""),
        url=env.get("CIRCLE_BUILD_URL", ""),
        job_url=env.get("CIRCLE_BUILD_URL", ""),
    )


def jenkins(env: Env) -> CiDefaults:
    branch = env.get("BRANCH_NAME") or env.get("GIT_BRANCH", "")
    return CiDefaults(
        project=repository_path(env.get("GIT_URL", "")) or env.get("JOB_NAME", ""),
        run_key=env.get("BUILD_TAG", ""),
        shard=env.get("STAGE_NAME") or env.get("NODE_NAME", ""),
        branch=branch.removeprefix("origin/"),
        commit=env.get("GIT_COMMIT", ""),
        url=env.get("BUILD_URL", ""),
        job_url=env.get("BUILD_URL", ""),
    )


SYSTEMS: list[tuple[Callable[[Env], bool], Callable[[Env], CiDefaults]]] = [
    (lambda env: env.get("GITHUB_ACTIONS") == "true", github),
    (lambda env: env.get("GITLAB_CI") == "true", gitlab),
    (lambda env: env.get("BUILDKITE") == "true", buildkite),
    (lambda env: env.get("CIRCLECI") == "true", circleci),
    (lambda env: bool(env.get("JENKINS_URL")), jenkins),
]


def git_remote(folder: str) -> str:
    """The `origin` remote's URL of the repository around `folder`, or ''."""
    try:
        done = subprocess.run(
            ["git", "config", "--get", "remote.origin.url"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def detect(env: Env | None = None, folder: str = ".", project: str = "") -> CiDefaults:
    """What this CI says; outside CI, the git remote's repository (unless `project` is given:
    git is not asked), a run key of its own (each local session is a run) and this machine's
    name as the shard."""
    env = os.environ if env is None else env
    for present, read in SYSTEMS:
        if present(env):
            found = read(env)
            break
    else:
        found = CiDefaults()
    found.project = project or found.project
    if not found.project:
        found.project = repository_path(git_remote(folder)) or os.path.basename(
            os.path.abspath(folder)
        )
    if not found.run_key:
        found.run_key = "local-" + time.strftime("%Y%m%d-%H%M%S-") + os.urandom(3).hex()
    if not found.shard:
        found.shard = socket.gethostname() or "local"
    return found
