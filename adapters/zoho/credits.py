"""Zoho Recruit's API credits, counted on our side so a sync stops before the org's budget runs dry.

Zoho meters each org by credits per rolling 24 hours (Free 5,000; Standard 5,000 + 250 per user; ...), most
calls costing one, and sends no rate-limit headers. Running out means 429 for every integration of the
org until old calls age out, so hirebot keeps to its own share (`daily_credits`, default 4,000: most of a
Free org's budget, leaving room for other integrations) and, when that is spent, raises RateLimited with
the wait instead of sending the call. One meter is kept per org (base URL + client id) in the process, so
every adapter instance of a connection draws on the same budget.
"""

from __future__ import annotations

import math
from collections import deque

from adapters.errors import RateLimited
from adapters.http import Clock

DEFAULT_DAILY_CREDITS = 4000
WINDOW_SECONDS = 86_400.0
SLOTS = 1440  # the window is counted in minutes (a deque of at most this many counters): memory stays flat


class CreditMeter:
    """A rolling window of `budget` credits per `window` seconds, counted in 1/SLOTS slices."""

    def __init__(self, budget: int, window: float, clock: Clock) -> None:
        if budget < 1 or window <= 0:
            raise ValueError("budget must be at least 1 and window positive")
        self.budget = budget
        self.window = window
        self.slot = window / SLOTS
        self._clock = clock
        self._slots: deque[list[float]] = deque()  # [slot start, credits spent in it], oldest first
        self.spent = 0

    def spend(self, credits: int = 1) -> None:
        """Count `credits` now, or raise RateLimited (with how long until enough age out) when they would
        take this org past its budget."""
        now = self._clock()
        self._expire(now)
        if self.spent + credits > self.budget:
            wait = self._wait_for(credits, now)
            raise RateLimited(f"hirebot has used its share of this Zoho Recruit org's API credits "
                              f"({self.budget} per {self.window / 3600:g} h); it goes on in {math.ceil(wait)} "
                              "seconds.", retry_after=wait, provider="zoho")
        self.record(credits)

    def record(self, credits: int) -> None:
        """Count credits already spent (retries Zoho answered), without refusing anything."""
        if credits <= 0:
            return
        now = self._clock()
        self._expire(now)
        start = math.floor(now / self.slot) * self.slot
        if self._slots and self._slots[-1][0] == start:
            self._slots[-1][1] += credits
        else:
            self._slots.append([start, float(credits)])
        self.spent += credits

    def _expire(self, now: float) -> None:
        while self._slots and self._slots[0][0] + self.window <= now:
            self.spent -= int(self._slots.popleft()[1])

    def _wait_for(self, credits: int, now: float) -> float:
        freed = 0.0
        for start, used in self._slots:
            freed += used
            if self.spent - freed + credits <= self.budget:
                return max(start + self.window - now, 0.0) + 1.0
        return self.window


_METERS: dict[tuple[str, str, int, float, int], CreditMeter] = {}


def meter_for(org_key: str, client_id: str, budget: int, window: float, clock: Clock) -> CreditMeter:
    """The process-wide meter of one org (and budget): adapters of one connection share it."""
    key = (org_key, client_id, budget, window, id(clock))  # a test's own clock gets its own meter
    meter = _METERS.get(key)
    if meter is None or meter._clock is not clock:
        meter = _METERS[key] = CreditMeter(budget, window, clock)
    return meter
