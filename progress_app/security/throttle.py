"""Slowing down password guesses: a growing delay per client address, never a lock-out.

The first `FREE_FAILURES` wrong tries cost nothing (typos happen). After that each further failure makes the
client wait before its next try: 1 s, 2 s, 4 s … up to `MAX_DELAY_SECONDS`. A try during the wait is refused
unchecked, so a guesser cannot learn from it; once the wait is over the right password works at once. An address
that stops failing is forgotten after `FORGET_SECONDS`, and at most `MAX_CLIENTS` addresses are remembered.

The address is the connection's, unless the app is told to trust a proxy (`--forwarded-allow-ips`): otherwise
anyone could claim any address in `X-Forwarded-For` and guess without limit, or make the owner wait.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

FREE_FAILURES = 5
FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 60.0
FORGET_SECONDS = 15 * 60.0
MAX_CLIENTS = 10_000


def delay_after(failures: int) -> float:
    """How long a client waits after its `failures`-th failure in a row."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(FIRST_DELAY_SECONDS * 2 ** (failures - FREE_FAILURES), MAX_DELAY_SECONDS)


class Throttle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # client → (count, last), oldest first

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again (0: now)."""
        now = self._clock()
        self._forget(now)
        count, last = self._failures.get(client, (0, now))
        return max(last + delay_after(count) - now, 0.0)

    def failed(self, client: str) -> int:
        """Record a failure; returns how many free tries are left before the client has to wait."""
        now = self._clock()
        count = self._failures.pop(client, (0, now))[0] + 1
        self._failures[client] = (count, now)
        self._forget(now)
        return max(FREE_FAILURES - count, 0)

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)

    def _forget(self, now: float) -> None:
        while self._failures:
            client, (_count, last) = next(iter(self._failures.items()))
            if now - last <= FORGET_SECONDS and len(self._failures) <= MAX_CLIENTS:
                break
            del self._failures[client]
