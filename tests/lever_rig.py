"""The Lever sandbox served on loopback for tests, with one client and the fake clock it shares with the adapter.

The sandbox tests speak to it with `rig.client` (its base URL is the API root, authenticated with the key
the rig was opened with); the adapter tests build adapters on it with `rig.adapter()`. The adapter sends
absolute URLs and its own key, so both use the same client.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from aiohttp.test_utils import TestServer

from adapters.base import ConnectionConfig
from adapters.lever import LeverAdapter
from adapters.sandbox.lever import API_PREFIX, SANDBOX_API_KEY, Chaos, LeverSandbox, RecordedRequest
from adapters.sandbox.lever_dataset import LeverState
from tests.clocks import EpochClock

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@dataclass
class LeverRig:
    """A running Lever sandbox, a client for it, and the clock both sides read."""

    sandbox: LeverSandbox
    client: httpx.AsyncClient
    base_url: str
    clock: EpochClock

    @property
    def state(self) -> LeverState:
        return self.sandbox.state

    def adapter(self, key: str = SANDBOX_API_KEY, **settings: Any) -> LeverAdapter:
        """A Lever adapter on this sandbox whose pacing and retries sleep on the shared clock."""
        config = ConnectionConfig(base_url=self.base_url, credentials={"api_key": key}, settings=settings)
        return LeverAdapter(config, self.client, sleep=self.clock.sleep, clock=self.clock, rng=random.Random(1))

    def calls(self, method: str, path: str) -> list[RecordedRequest]:
        """Requests the sandbox got for exactly `path` (under the API root)."""
        return [r for r in self.sandbox.requests if r.method == method and r.path == f"{API_PREFIX}{path}"]

    def touched(self, fragment: str) -> list[RecordedRequest]:
        return [r for r in self.sandbox.requests if fragment in r.path]


def lever_sandbox(state: LeverState, clock: EpochClock, **options: Any) -> LeverSandbox:
    """A sandbox on `clock` whose injected delays sleep on it too."""
    return LeverSandbox(state, clock=clock, chaos=Chaos(sleep=clock.sleep), **options)


@asynccontextmanager
async def serve_lever(sandbox: LeverSandbox, clock: EpochClock, *, key: str = SANDBOX_API_KEY
                      ) -> AsyncIterator[LeverRig]:
    """Serve `sandbox` on a loopback port for the length of the block."""
    async with TestServer(sandbox.app, host="127.0.0.1") as server:
        base_url = str(server.make_url(API_PREFIX))
        async with httpx.AsyncClient(base_url=base_url, auth=(key, "")) as client:
            yield LeverRig(sandbox, client, base_url, clock)
