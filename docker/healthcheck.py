"""The image's HEALTHCHECK: exit 0 when pytest-web answers on its port inside the container.

`GET /healthz` (public, cheap, 503 when the repository is not readable). A server whose app does
not register that route yet (or whose auth layer still asks a token for it: 401/404) is checked
on `GET /static/app.css` instead, which is always public. Standard library only.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT = 4.0
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def status_of(url: str) -> int:
    try:
        with DIRECT.open(url, timeout=TIMEOUT) as response:
            response.read(1)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def main() -> int:
    port = os.environ.get("PYTEST_WEB_PORT") or "8000"
    base = f"http://127.0.0.1:{port}"
    try:
        status = status_of(base + "/healthz")
        if status in (401, 404):
            status = status_of(base + "/static/app.css")
    except (OSError, ValueError) as error:
        print(f"pytest-web is not answering on {base}: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"pytest-web answered {status} on {base}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
