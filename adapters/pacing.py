"""Client-side pacing for ATSs that document a rate but send no usable rate-limit headers (Lever, Teamtailor,
Recruitee, BreezyHR): each adapter spaces its own requests just under the documented rate."""

from __future__ import annotations

from adapters.http import Clock, Sleep


class RequestPacer:
    """At most `rate` requests a second with bursts of `burst` (a GCRA schedule, no lock needed).

    Each caller books its slot before sleeping, so concurrent tasks on one loop never share a slot, and a
    test clock that only moves when slept through never makes it spin. `waited` adds up the seconds slept.
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
