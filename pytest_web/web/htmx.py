"""What a request from the page itself looks like."""

from __future__ import annotations

from flask import request


def is_htmx() -> bool:
    """htmx sent the request: the page wants a fragment. A cross-site form or link cannot set
    this header, so it also tells the page's own requests from forged ones."""
    return request.headers.get("HX-Request") == "true"


TAB_HEADER = "X-Tab"
"""Every htmx request of a page names its tab (`hx-headers` on its body): see `tabs`."""


def tab() -> str | None:
    """The tab a request comes from, if it says."""
    return request.headers.get(TAB_HEADER, "")[:100] or None
