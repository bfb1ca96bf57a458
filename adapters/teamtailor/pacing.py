"""Client-side pacing for Teamtailor: its numeric limit is undocumented (the rate-limit headers were once
static placeholders), so requests are also spaced to about 2 per second per key, as the reference advises."""

from __future__ import annotations

from adapters.http import Clock, Sleep

DEFAULT_RATE = 2.0  # requests/s per key
DEFAULT_BURST = 2


class RequestPacer:
    """`rate` requests/s with bursts of `burst` (GCRA). Each caller reserves its slot before awaiting, so
    concurrent tasks on one loop never overlap, and a sleep that does not advance the clock cannot spin."""

    def __init__(self, rate: float, burst: int, *, clock: Clock, sleep: Sleep) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0

    async def wait(self) -> None:
        now = self._clock()
        arrival = max(self._next, now)
        start = arrival - self.tolerance
        self._next = arrival + self.interval
        if start > now:
            await self._sleep(start - now)
