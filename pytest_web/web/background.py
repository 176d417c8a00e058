"""Heavy work off the event loop.

The server is one gevent worker: a request that computes for seconds stalls every page, event
stream and live run's ingest meanwhile (and past gunicorn's timeout, the worker is killed with
the run). Such work runs in gevent's thread pool; the loop keeps serving, and the request's
greenlet waits for the result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gevent import get_hub, monkey

T = TypeVar("T")


def off_the_loop(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in gevent's thread pool when serving under gevent; called directly
    otherwise (in-process tests, another WSGI server). `function` must use no gevent object:
    plain Python, files and data only."""
    if not monkey.is_module_patched("threading"):
        return function(*args)
    result: T = get_hub().threadpool.spawn(function, *args).get()
    return result
