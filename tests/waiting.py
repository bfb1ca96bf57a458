"""Waiting on a condition, never on a fixed delay: for background tasks and for child processes, which
cannot share an injected clock. Each wait has a deadline and fails with what it was waiting for."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

import httpx

T = TypeVar("T")


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> float:
    """Seconds until `condition()` held, checked between event-loop turns; fails after `timeout`."""
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
    return time.monotonic() - started


def wait_until(probe: Callable[[], T], *, timeout: float, what: str, every: float = 0.1) -> T:
    """The first truthy `probe()` result, polled until `timeout` seconds (for other processes' effects)."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def wait_healthy(base_url: str, timeout: float = 30.0) -> None:
    """Until `hirebot run` answers /healthz."""

    def healthy() -> bool:
        try:
            return httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(healthy, timeout=timeout, what=f"{base_url}/healthz")
