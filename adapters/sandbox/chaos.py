"""Injected faults for the fake ATS servers: queued ones for tests (`fail_next`…) and random ones for
their `--chaos` option. Each fake decides which request paths a fault may hit; `FakeAts.with_faults`
applies them the same way in every fake."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

PathMatcher = Callable[[str | None, str], bool]
"""(fault's path or None, request path) → whether the fault applies; None means "any API call"."""


def _any_path(pattern: str | None, path: str) -> bool:
    return pattern is None or path == pattern or path.startswith(pattern.rstrip("/") + "/")


FAIL, MALFORMED, DELAY, LATE = "fail", "malformed", "delay", "late"


@dataclass
class Fault:
    kind: str  # fail | malformed | delay (hold, then handle) | late (handle, then hold the answer)
    remaining: int
    path: str | None = None
    status: int = 500
    retry_after: float | None = None
    body: bytes | None = None
    seconds: float = 0.0


class Chaos:
    """Faults to inject: queued ones fire first, in order, on matching requests; then, at `random_rate`, a
    random 429/500/502/503, a timeout (a delay of `timeout_seconds`) or a malformed body."""

    RANDOM_FAULTS = ("429", "500", "502", "503", "timeout", "malformed")

    def __init__(self, random_rate: float = 0.0, *, seed: int | None = None, timeout_seconds: float = 30.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 matcher: PathMatcher = _any_path) -> None:
        if not 0.0 <= random_rate <= 1.0:
            raise ValueError("random_rate must be between 0 and 1")
        self.random_rate = random_rate
        self.timeout_seconds = timeout_seconds
        self.sleep = sleep
        self.matcher = matcher
        self.injected: list[tuple[str, str]] = []  # (path, what was done), newest last
        self._random = random.Random(seed)
        self._queue: list[Fault] = []

    def fail_next(self, status: int, *, times: int = 1, path: str | None = None,
                  retry_after: float | None = None, body: bytes | None = None) -> None:
        """Answer the next matching request(s) with `status` (429 gets a Retry-After, default 1 s)."""
        self._queue.append(Fault(FAIL, times, path, status=status, retry_after=retry_after, body=body))

    def malformed_next(self, *, times: int = 1, path: str | None = None) -> None:
        """Answer 200 with the real body cut short (not valid JSON)."""
        self._queue.append(Fault(MALFORMED, times, path))

    def delay_next(self, seconds: float, *, times: int = 1, path: str | None = None) -> None:
        """Hold the next matching request(s) for `seconds` (to provoke client timeouts), then answer."""
        self._queue.append(Fault(DELAY, times, path, seconds=seconds))

    def answer_late_next(self, seconds: float, *, times: int = 1, path: str | None = None) -> None:
        """Carry out the next matching request(s) at once, then hold the answer for `seconds` (through
        `sleep`): a write that was applied although the client, timing out, never heard so.

        `delay_next` holds the request before it is handled instead, so what happens depends on whether the
        held request is ever let through."""
        self._queue.append(Fault(LATE, times, path, seconds=seconds))

    def clear(self) -> None:
        self._queue.clear()

    @property
    def pending(self) -> int:
        return sum(fault.remaining for fault in self._queue)

    def take(self, path: str) -> Fault | None:
        for fault in self._queue:
            if self.matcher(fault.path, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._queue.remove(fault)
                self.injected.append((path, f"fail:{fault.status}" if fault.kind == FAIL else fault.kind))
                return fault
        return self._random_fault(path)

    def _random_fault(self, path: str) -> Fault | None:
        if not self.matcher(None, path) or self.random_rate <= 0 or self._random.random() >= self.random_rate:
            return None
        what = self._random.choice(self.RANDOM_FAULTS)
        self.injected.append((path, f"random:{what}"))
        if what == "timeout":
            return Fault(DELAY, 1, path, seconds=self.timeout_seconds)
        if what == "malformed":
            return Fault(MALFORMED, 1, path)
        return Fault(FAIL, 1, path, status=int(what), retry_after=float(self._random.randint(1, 5)))
