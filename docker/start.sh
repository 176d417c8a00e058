#!/bin/sh
# pytest-web's start script: the image's CMD (tini is PID 1 and runs it; it execs the server).
#
# It serves the repository in PYTEST_WEB_REPO (default /repo, which may be mounted read-only)
# on PYTEST_WEB_HOST:PYTEST_WEB_PORT (default 0.0.0.0:8000, inside the container), and sends
# everything that would be written (pytest's cache, bytecode, temporary files, HOME, pip's
# cache, the optional venv) to PYTEST_WEB_DATA (default /data, a writable volume).
#
# A token is always required. Give one with PYTEST_WEB_TOKEN (16 characters or more), or let
# pytest-web generate one: it prints `open http://127.0.0.1:PORT/?token=...` in the logs.
#
# Optional:
#   PYTEST_WEB_INSTALL      requirement files (relative to the repo, space separated) that are
#                           pip-installed at start into a venv in $PYTEST_WEB_DATA/venv; pytest
#                           runs use that venv, which also sees pytest-web's own packages.
#                           It is reused while the files (and the Python) are unchanged.
#   PYTEST_WEB_PYTHON       an interpreter of your own to run pytest with (instead of the above).
#   PYTEST_WEB_ALLOW_HOSTS  comma-separated Host names to accept besides loopback ones.
#   PYTEST_WEB_ARTIFACTS    a folder of CI result files for 'Open results' (default /artifacts,
#                           when it exists: mount one there, read-only is fine).
#   PYTEST_ADDOPTS          your options are kept, after the cache_dir this script adds.
set -eu
set -f # no globbing: variables below are split on purpose, never expanded as patterns

say() { printf 'pytest-web: %s\n' "$*"; }
die() {
	printf 'pytest-web: error: %s\n' "$*" >&2
	exit 2
}

repo=${PYTEST_WEB_REPO:-/repo}
data=${PYTEST_WEB_DATA:-/data}
host=${PYTEST_WEB_HOST:-0.0.0.0}
port=${PYTEST_WEB_PORT:-8000}

[ -d "$repo" ] || die "no repository at $repo: mount one, e.g. -v \"\$PWD:/repo:ro\""
{ [ -r "$repo" ] && [ -x "$repo" ]; } || die "$repo is not readable by uid $(id -u)"
mkdir -p "$data" 2>/dev/null || true
{ [ -d "$data" ] && [ -w "$data" ]; } ||
	die "$data is not writable by uid $(id -u): mount a volume there (-v pytest-web-data:/data)"

# --- everything written goes to $data, never into the repository -----------------------------
mkdir -p "$data/home" "$data/tmp" "$data/cache"
chmod 700 "$data/home" "$data/tmp" "$data/cache" 2>/dev/null || true
export HOME="$data/home"
export TMPDIR="$data/tmp"
export XDG_CACHE_HOME="$data/cache"
export PYTHONDONTWRITEBYTECODE="${PYTHONDONTWRITEBYTECODE-1}"
export HYPOTHESIS_STORAGE_DIRECTORY="${HYPOTHESIS_STORAGE_DIRECTORY:-$data/hypothesis}"
export COVERAGE_FILE="${COVERAGE_FILE:-$data/.coverage}"
export PYTEST_ADDOPTS="-o \"cache_dir=$data/pytest-cache\"${PYTEST_ADDOPTS:+ $PYTEST_ADDOPTS}"
cd "$data"

# --- the token -------------------------------------------------------------------------------
if [ -n "${PYTEST_WEB_TOKEN:-}" ]; then
	[ "${#PYTEST_WEB_TOKEN}" -ge 16 ] || die "PYTEST_WEB_TOKEN is too short (16 characters or more)"
	say "using the token from PYTEST_WEB_TOKEN"
else
	unset PYTEST_WEB_TOKEN
	say "no PYTEST_WEB_TOKEN given: a token is generated; open the address printed below"
	say "(with the host port you published, if it is not $port)"
fi

# --- the repository's own test dependencies, installed at start --------------------------------
install_requirements() {
	venv="$data/venv"
	base_site=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
	args=""
	stamp_input=$(python3 -c 'import sys; print(sys.version)')"
$base_site"
	for file in $PYTEST_WEB_INSTALL; do
		case $file in
		/*) path=$file ;;
		*) path=$repo/$file ;;
		esac
		[ -f "$path" ] || die "PYTEST_WEB_INSTALL: no file $path"
		args="$args -r $path"
		stamp_input="$stamp_input
$path
$(cat "$path")"
	done
	stamp=$(printf '%s' "$stamp_input" | sha256sum | cut -d ' ' -f 1)
	if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.pytest-web-stamp" 2>/dev/null)" = "$stamp" ]; then
		say "reusing $venv (PYTEST_WEB_INSTALL unchanged)"
		return
	fi
	say "installing$args into $venv"
	rm -rf "$venv"
	python3 -m venv --without-pip "$venv"
	site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
	# The venv sees pytest-web's packages (pytest, pytest-xdist, pip) after its own ones, so a
	# requirement file may pin another pytest; the server itself never sees the venv.
	printf '%s\n' "$base_site" >"$site/_pytest_web_base.pth"
	# shellcheck disable=SC2086 # $args is a list of "-r FILE" words on purpose
	(cd "$repo" && "$venv/bin/python" -m pip install --no-input $args) ||
		die "installing PYTEST_WEB_INSTALL failed (see pip's output above)"
	printf '%s\n' "$stamp" >"$venv/.pytest-web-stamp"
}

set -- "$repo" --host "$host" --port "$port" --data "$data/history"
artifacts=${PYTEST_WEB_ARTIFACTS:-/artifacts}
[ ! -d "$artifacts" ] || set -- "$@" --artifacts "$artifacts"
if [ -n "${PYTEST_WEB_INSTALL:-}" ]; then
	[ -z "${PYTEST_WEB_PYTHON:-}" ] || die "set PYTEST_WEB_INSTALL or PYTEST_WEB_PYTHON, not both"
	install_requirements
	set -- "$@" --python "$data/venv/bin/python"
elif [ -n "${PYTEST_WEB_PYTHON:-}" ]; then
	set -- "$@" --python "$PYTEST_WEB_PYTHON"
fi

old_ifs=$IFS
IFS=,
for name in ${PYTEST_WEB_ALLOW_HOSTS:-}; do
	[ -z "$name" ] || set -- "$@" --allow-host "$name"
done
IFS=$old_ifs

exec pytest-web "$@"
