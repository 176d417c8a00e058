"""What a request from the page itself looks like."""

from __future__ import annotations

from flask import request


def is_htmx() -> bool:
    """htmx sent the request: the page wants a fragment. A cross-site form or link cannot set
    this header, so it also tells the page's own requests from forged ones."""
    return request.headers.get("HX-Request") == "true"
