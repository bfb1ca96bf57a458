"""Keeping under Freshteam's per-minute rate limit before it is reached.

Freshteam meters requests per account per minute (10 on Trial, at least 50 on Growth and Pro, at least
100 on Enterprise) and says where a client stands in `x-ratelimit-total` and `x-ratelimit-remaining`, but
sends no reset time, and does not say whether its minute is fixed or rolling. So the pacer keeps its own
rolling log: never more than `x-ratelimit-total` requests in any WINDOW seconds (a little over a minute,
for clock and network skew), which stays inside the limit however Freshteam counts its minute. When
`x-ratelimit-remaining` says the budget is spent (someone else using the same account, say), the next
request waits until the oldest request in the log has aged out of the window, or a whole window.
Until the first answer tells the limit, requests go unpaced; a 429 is still honoured (adapters/http.py).
"""

from __future__ import annotations

from collections import deque

import httpx

from adapters.http import Clock, Sleep

WINDOW = 61.0  # seconds: Freshteam's minute plus a second of margin
TOTAL_HEADER = "x-ratelimit-total"
REMAINING_HEADER = "x-ratelimit-remaining"


class MinutePacer:
    """At most `limit` requests in any WINDOW seconds, the limit learnt from Freshteam's headers.

    Each caller reserves its slot before awaiting, so concurrent tasks on one loop never overlap.
    """

    def __init__(self, *, clock: Clock, sleep: Sleep, limit: int | None = None) -> None:
        self._clock = clock
        self._sleep = sleep
        self.limit = limit
        self.spent = False
        self._sent: deque[float] = deque()
        self.waited = 0.0

    async def wait(self) -> None:
        now = self._clock()
        start = now
        limit = self.limit
        sent = self._sent
        while sent and sent[0] <= now - WINDOW:
            sent.popleft()
        if limit is not None:
            while len(sent) > limit:
                sent.popleft()
            if len(sent) >= limit:
                start = max(start, sent[-limit] + WINDOW)
        if self.spent:
            start = max(start, sent[0] + WINDOW if sent else now + WINDOW)
            self.spent = False
        if sent:
            start = max(start, sent[-1])  # first come, first served
        sent.append(start)
        if start > now:
            self.waited += start - now
            await self._sleep(start - now)

    def observe(self, headers: httpx.Headers) -> None:
        """Learn the limit, and whether the budget is spent, from one answer's headers."""
        total = _count(headers.get(TOTAL_HEADER))
        if total is not None and total > 0:
            self.limit = total
        remaining = _count(headers.get(REMAINING_HEADER))
        self.spent = remaining is not None and remaining <= 0


def _count(raw: str | None) -> int | None:
    try:
        return int(float(raw.strip())) if raw is not None else None
    except ValueError:
        return None
