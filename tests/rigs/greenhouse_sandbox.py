"""The Greenhouse sandbox rig: the Harvest v3 sandbox served on loopback, an httpx client, and one clock
for sandbox and adapter that moves only when someone sleeps. The `greenhouse_rig` fixture (a plugin in
tests/conftest.py) serves the adapter and sync tests; `start_rig` builds one on other data or options.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import ConnectionConfig
from adapters.greenhouse import GreenhouseAdapter
from adapters.http import RetryPolicy
from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, Chaos, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate
from adapters.sandbox.greenhouse_state import GreenhouseState
from store.crypto import SecretBox
from store.db import transaction
from store.models import AtsConnection, Workspace

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class FakeTime:
    """One clock for the sandbox and the adapter; it moves only when someone sleeps (or a test says so)."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start.timestamp()
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, by: float | timedelta) -> None:
        """Move on by seconds or a timedelta."""
        self.now += by.total_seconds() if isinstance(by, timedelta) else by


@dataclass
class Rig:
    """A running sandbox, an httpx client, and a way to build adapters pointed at it."""

    sandbox: GreenhouseSandbox
    client: httpx.AsyncClient
    url: str
    time: FakeTime

    @property
    def state(self) -> GreenhouseState:
        return self.sandbox.state

    def adapter(self, *, secret: str = SANDBOX_CLIENT_SECRET, **settings: Any) -> GreenhouseAdapter:
        config = ConnectionConfig(
            base_url=self.url,
            credentials={"client_id": SANDBOX_CLIENT_ID, "client_secret": secret},
            settings={"auth_url": f"{self.url}/token", "app_url": "https://app3.greenhouse.io", **settings})
        return GreenhouseAdapter(config, self.client, sleep=self.time.sleep, clock=self.time.clock,
                                 rng=random.Random(5), policy=RetryPolicy(max_attempts=5, max_delay=8.0))

    def calls(self, path: str) -> list[Any]:
        return [r for r in self.sandbox.requests if r.path == path]


async def start_rig(state: GreenhouseState, **options: Any) -> tuple[Rig, TestServer]:
    time = FakeTime()

    async def no_wait(seconds: float) -> None:
        return None

    options.setdefault("chaos", Chaos(sleep=no_wait))
    sandbox = GreenhouseSandbox(state, clock=time.clock, **options)
    server = TestServer(sandbox.app, host="127.0.0.1")
    await server.start_server()
    client = httpx.AsyncClient()
    return Rig(sandbox, client, str(server.make_url("")).rstrip("/"), time), server


async def stop_rig(rig: Rig, server: TestServer) -> None:
    await rig.client.aclose()
    await server.close()


@pytest.fixture
async def greenhouse_rig() -> AsyncIterator[Rig]:
    """The sandbox with 120 generated candidates and a rate limit that never bites."""
    running, server = await start_rig(generate(seed=7, candidates=120, now=NOW), rate_limit=10_000)
    yield running
    await stop_rig(running, server)


def add_connection(sessions: sessionmaker[Session], rig: Rig, box: SecretBox) -> int:
    """A Greenhouse connection (in a workspace of its own) pointing at the rig's sandbox."""
    with transaction(sessions) as session:
        workspace = Workspace(name="Acme", platform="test", external_id=uuid.uuid4().hex)
        session.add(workspace)
        session.flush()
        connection = AtsConnection(workspace_id=workspace.id, provider="greenhouse", name="Greenhouse",
                                   base_url=rig.url, settings={}, credentials=box.seal({"client_id": "x"}))
        session.add(connection)
        session.flush()
        return connection.id
