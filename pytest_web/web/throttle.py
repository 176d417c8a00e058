"""Slowing down token guesses: failed token checks counted per client address.

After `LIMIT` wrong tokens within `WINDOW` seconds, an address gets 429 (with Retry-After) for any
token until the oldest failure leaves the window; the token is not even compared meanwhile.
Other addresses are never affected, so the right token from a new address always works, and a
browser already logged in (its session cookie) is never throttled.

Every loopback address counts as one: any local user can send from 127.0.0.2, 127.0.0.3, ...
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

LIMIT = 10
WINDOW = 60.0
MAX_ADDRESSES = 10_000
"""Addresses remembered at once; the least recently failed are forgotten first."""
LOOPBACK = "loopback"


def client_key(address: str | None) -> str:
    """Who a connection counts as: "loopback" for any loopback address, an IPv6 address by its
    /64 (one machine's share), anything else as it is."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return address or ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return LOOPBACK
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class Throttle:
    """Failed token checks per address, in a sliding window."""

    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self.failures: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, address: str | None) -> int:
        """Seconds until `address` may try a token again; 0 when it may now."""
        found = self.failures.get(client_key(address))
        if found is None:
            return 0
        now = self.clock()
        while found and found[0] <= now - self.window:
            found.popleft()
        if len(found) < self.limit:
            return 0
        return max(1, math.ceil(found[0] + self.window - now))

    def failed(self, address: str | None) -> None:
        """Note one wrong token from `address`."""
        key = client_key(address)
        found = self.failures.pop(key, None) or deque(maxlen=self.limit)
        found.append(self.clock())
        self.failures[key] = found
        while len(self.failures) > MAX_ADDRESSES:
            self.failures.popitem(last=False)
