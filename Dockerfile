# pytest-web in a container: serves the repository mounted at /repo (read-only is fine),
# writes only to the /data volume, runs as an unprivileged user under tini.
#
#   docker build -t pytest-web .
#   docker run --rm -p 127.0.0.1:8000:8000 -v "$PWD:/repo:ro" -v pytest-web-data:/data pytest-web
#
# The same image runs the CI dashboard (no repository; its runs in /data/dashboard):
#
#   docker run -d -p 127.0.0.1:8000:8000 -e PYTEST_WEB_TOKEN -e PYTEST_WEB_UPLOAD_TOKEN \
#     -v pytest-web-dashboard:/data pytest-web pytest-web dashboard --allow-host NAME
#
# See docs/docker.md. Needs BuildKit (the default builder since Docker 23) for RUN --mount.

# ---- stage 1: build the wheel of this source tree, and collect the pinned dependency wheels ----
FROM python:3.11-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /src
# The build backend, pinned (pyproject.toml asks for setuptools>=69).
RUN pip install --no-cache-dir setuptools==80.9.0

# Only what the wheel is made of reaches this stage (.dockerignore allows a short list).
COPY . /src
# /wheels: pytest_web-<version>-py3-none-any.whl and every dependency, at the versions pinned in
# docker/constraints.txt. Binary wheels only for the dependencies: nothing compiles here.
RUN pip wheel --no-cache-dir --no-build-isolation --no-deps --wheel-dir /wheels . \
 && pip wheel --no-cache-dir --only-binary=:all: --constraint docker/constraints.txt \
        --wheel-dir /wheels /wheels/pytest_web-*.whl

# ---- stage 2: the runtime image (no compiler, no build stage files) ----
FROM python:3.11-slim-bookworm

LABEL org.opencontainers.image.title="pytest-web" \
      org.opencontainers.image.description="A browser UI for pytest: discover, run in parallel, watch results arrive live." \
      org.opencontainers.image.licenses="MIT"

# tini as PID 1: reaps the zombies pytest and xdist leave behind and forwards signals.
# Pinned to Debian bookworm's upstream version 0.19.0-1; the trailing * accepts the binNMU suffix
# (+b3 today), which differs between architectures and rebuilds. Debian stable keeps 0.19.0-1.
RUN apt-get update \
 && apt-get install -y --no-install-recommends 'tini=0.19.0-1*' \
 && rm -rf /var/lib/apt/lists/*

# From the build stage's wheels only: no index, so exactly the pinned versions are installed.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels /wheels/pytest_web-*.whl \
 && pytest-web --version

COPY --chmod=0755 docker/start.sh /usr/local/bin/pytest-web-start
COPY --chmod=0644 docker/healthcheck.py /usr/local/lib/pytest-web/healthcheck.py

# An unprivileged user (numeric, so `runAsNonRoot` checks can verify it) owning only /data.
RUN groupadd --system --gid 10001 pytest-web \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin pytest-web \
 && mkdir -p /repo /data \
 && chown 10001:10001 /data \
 && chmod 0750 /data

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTEST_WEB_REPO=/repo \
    PYTEST_WEB_DATA=/data \
    PYTEST_WEB_HOST=0.0.0.0 \
    PYTEST_WEB_PORT=8000

VOLUME ["/data"]
WORKDIR /repo
USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-I", "/usr/local/lib/pytest-web/healthcheck.py"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["pytest-web-start"]
