"""Client-side pacing for BreezyHR, which allows 100 requests per 60-second window per token.

The `X-RateLimit-*` headers BreezyHR sends are honoured by adapters.http (it waits for the reset when a
window is spent), but only the reset header's name is confirmed, so hirebot also paces itself just under
the documented rate: a sync then never meets a 429, whichever headers a server sends.
"""

from __future__ import annotations

from adapters.http import Clock, Sleep

DOCUMENTED_PER_MINUTE = 100
DEFAULT_PER_MINUTE = 97.0  # a little under the limit, so our clock and theirs never disagree at a window's edge
DEFAULT_BURST = 8


class RequestPacer:
    """A GCRA limiter: `per_minute` requests a minute with bursts of `burst`, reserving each slot before
    awaiting so concurrent tasks on one loop never overlap."""

    def __init__(self, per_minute: float, burst: int, *, clock: Clock, sleep: Sleep) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("the rate must be positive and the burst at least 1")
        self.interval = 60.0 / per_minute
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
