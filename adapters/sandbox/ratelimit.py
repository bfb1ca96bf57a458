"""Rate-limit styles the fakes copy from their providers: a fixed window, a token bucket, and the
headers a provider documents for them (names differ per provider, so they are configurable).

Both limiters read time from an injected clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimitHeaders:
    """The names a provider uses for its rate-limit headers; a None name is not sent."""

    limit: str | None = "X-RateLimit-Limit"
    remaining: str | None = "X-RateLimit-Remaining"
    reset: str | None = "X-RateLimit-Reset"
    retry_after: str = "Retry-After"

    def render(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        """The headers for a state of the limit; `reset` is when it is full again (epoch seconds)."""
        values = {self.limit: str(limit), self.remaining: str(max(0, remaining)), self.reset: str(math.ceil(reset))}
        return {name: value for name, value in values.items() if name is not None}

    def wait(self, seconds: float) -> dict[str, str]:
        """The header telling a refused client how long to wait, in whole seconds (at least one)."""
        return {self.retry_after: str(max(1, math.ceil(seconds)))}


class FixedWindow:
    """A fixed rate-limit window aligned to multiples of `seconds`, read from an injected clock."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float],
                 names: RateLimitHeaders | None = None) -> None:
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self.names = names or RateLimitHeaders()
        self.window_start = -math.inf
        self.used = 0

    def hit(self) -> tuple[bool, dict[str, str]]:
        """Count one request; returns whether it is allowed and the headers that describe the window."""
        now = self.clock()
        start = math.floor(now / self.seconds) * self.seconds
        if start != self.window_start:
            self.window_start, self.used = start, 0
        allowed = self.used < self.limit
        if allowed:
            self.used += 1
        reset = start + self.seconds
        headers = self.names.render(self.limit, self.limit - self.used, reset)
        if not allowed:
            headers.update(self.names.wait(reset - now))
        return allowed, headers


@dataclass
class TokenBucket:
    """`rate` requests per second steady, bursts up to `burst`."""

    rate: float
    burst: int
    tokens: float = -1.0
    last: float = 0.0

    def take(self, now: float) -> float:
        """Spend one token; return 0 when allowed, else the seconds until one is available."""
        if self.tokens < 0:
            self.tokens, self.last = float(self.burst), now
        self.tokens = min(float(self.burst), self.tokens + max(now - self.last, 0.0) * self.rate)
        self.last = now
        if self.tokens >= 1.0 - 1e-6:  # epoch-second floats drift: 0.1 s at 10/s is one whole token
            self.tokens = max(self.tokens - 1.0, 0.0)
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def headers(self, now: float, names: RateLimitHeaders) -> dict[str, str]:
        """The documented headers for the bucket as it is: its size, whole tokens left, when it is full."""
        full_in = (self.burst - self.tokens) / self.rate
        return names.render(self.burst, int(self.tokens), now + full_in)
