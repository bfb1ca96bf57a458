"""Client-side pacing for Lever, which documents 10 requests/s per key and sends no rate-limit headers."""

from __future__ import annotations

from adapters.http import Clock, Sleep

DEFAULT_RATE = 9.5  # requests/s: just under Lever's 10/s, so our pacing and theirs never disagree
DEFAULT_BURST = 10


class RequestPacer:
    """Client-side rate limit (GCRA): `rate` requests/s with bursts of `burst`, without a lock.

    Each caller reserves its slot before awaiting, so concurrent tasks on one loop never overlap, and
    an injected sleep that does not advance the clock cannot make it spin.
    """

    def __init__(self, rate: float, burst: int, *, clock: Clock, sleep: Sleep) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self.waited = 0.0

    async def wait(self) -> None:
        now = self._clock()
        arrival = max(self._next, now)
        start = arrival - self.tolerance
        self._next = arrival + self.interval
        if start > now:
            self.waited += start - now
            await self._sleep(start - now)
