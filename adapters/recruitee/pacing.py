"""Client-side pacing for Recruitee, whose rate limits are undocumented and said to be strict.

The reference advises a few requests per second per company and no documented rate-limit headers exist,
so every request waits for its slot here; a 429 is still honoured (adapters/http.py), and if Recruitee
ever sends `X-RateLimit-*` headers the shared layer slows down before the window runs dry as well.
"""

from __future__ import annotations

from adapters.http import Clock, Sleep

DEFAULT_RATE = 4.5  # requests/s: "a few per second", just under the 5/s the fake enforces by default
DEFAULT_BURST = 5


class RequestPacer:
    """At most `rate` requests a second with bursts of `burst` (a GCRA schedule, no lock needed).

    Each caller books its slot before sleeping, so concurrent tasks on one loop never share a slot, and a
    test clock that only moves when slept through never makes it spin.
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
        self._next = arrival + self.interval
        start = arrival - self.tolerance
        if start > now:
            self.waited += start - now
            await self._sleep(start - now)
