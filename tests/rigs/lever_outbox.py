"""The Lever outbox rig: the Lever sandbox on loopback, a store filled by the real sync, one clock for
sandbox, adapter and worker, and the real outbox worker. The `lever_outbox_rig` fixture (a plugin in
tests/conftest.py) serves the Lever outbox and intake tests; `start_rig` builds one with other options.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiohttp import web
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import ConnectionConfig
from adapters.http import RetryPolicy
from adapters.lever import LeverAdapter, RequestPacer
from adapters.sandbox.lever import API_PREFIX, SANDBOX_API_KEY, Chaos, LeverSandbox, RecordedRequest
from adapters.sandbox.lever_dataset import generate
from adapters.sandbox.server import start_site
from scheduler.outbox import OutboxSettings, OutboxWorker
from store.crypto import SecretBox
from store.db import transaction
from store.models import AtsConnection, AtsUser, Workspace
from store.sync import sync_connection
from tests.clocks import EpochClock

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # the roster is stamped up to here; the clock starts here
BOX = SecretBox(Fernet.generate_key())


@dataclass
class Rig:
    sandbox: LeverSandbox
    client: httpx.AsyncClient
    clock: EpochClock
    sessions: sessionmaker[Session]
    workspace_id: int
    connection_id: int
    timeout: float = 5.0

    def adapter(self, connection: AtsConnection) -> LeverAdapter:
        config = ConnectionConfig(base_url=connection.base_url, credentials=BOX.open(connection.credentials),
                                  settings=dict(connection.settings))
        # Lever's 10 requests/s pacing would move the shared clock under the worker's due times; the
        # adapter's own tests cover pacing.
        pacer = RequestPacer(1000.0, 100_000, clock=self.clock, sleep=self.clock.sleep)
        return LeverAdapter(config, self.client, sleep=self.clock.sleep, clock=self.clock, rng=random.Random(3),
                            policy=RetryPolicy(max_attempts=1, timeout=self.timeout), pacer=pacer)

    def moment(self) -> datetime:
        return self.clock.moment()

    def worker(self, **settings: Any) -> OutboxWorker:
        return OutboxWorker(self.sessions, self.adapter, settings=OutboxSettings(**settings),
                            clock=self.clock.moment)

    def calls(self, method: str | None, path: str) -> list[RecordedRequest]:
        """Requests for exactly `path` (under the API root), with `method` or any."""
        return [r for r in self.sandbox.requests
                if r.path == f"{API_PREFIX}{path}" and method in (None, r.method)]

    def writes(self) -> list[RecordedRequest]:
        return [r for r in self.sandbox.requests if r.method != "GET"]


async def start_rig(sessions: sessionmaker[Session], *,
                    chaos_sleep: Callable[[float], Awaitable[Any]] | None = None) -> tuple[Rig, web.AppRunner]:
    clock = EpochClock(NOW)

    async def no_wait(seconds: float) -> None:
        return None

    sandbox = LeverSandbox(generate(seed=11, candidates=30, now=NOW), clock=clock, rate_limit=10_000.0,
                           burst=10_000, chaos=Chaos(sleep=chaos_sleep or no_wait))
    # A real aiohttp runner (unlike TestServer) lets a handler finish after its client gave up.
    server, url = await start_site(sandbox.app)
    with transaction(sessions) as session:
        workspace = Workspace(name="Acme", platform="test", external_id=uuid.uuid4().hex)
        session.add(workspace)
        session.flush()
        connection = AtsConnection(workspace_id=workspace.id, provider="lever", name="Lever",
                                   base_url=f"{url.rstrip('/')}{API_PREFIX}", settings={},
                                   credentials=BOX.seal({"api_key": SANDBOX_API_KEY}))
        session.add(connection)
        session.flush()
        ids = workspace.id, connection.id
    rig = Rig(sandbox, httpx.AsyncClient(), clock, sessions, *ids)
    with sessions() as session:
        stored = session.get(AtsConnection, rig.connection_id)
        assert stored is not None
        await sync_connection(sessions, rig.connection_id, rig.adapter(stored), now=clock.moment)
    sandbox.requests.clear()
    return rig, server


@pytest.fixture
async def lever_outbox_rig(sessions: sessionmaker[Session]) -> AsyncIterator[Rig]:
    """The Lever outbox rig on the test's database (SQLite and PostgreSQL), synced and ready."""
    running, server = await start_rig(sessions)
    yield running
    await running.client.aclose()
    await server.cleanup()


def lever_users(rig: Rig) -> list[AtsUser]:
    with rig.sessions() as session:
        return list(session.scalars(select(AtsUser).where(
            AtsUser.connection_id == rig.connection_id, AtsUser.deactivated.is_(False),
            AtsUser.email.is_not(None)).order_by(AtsUser.id)))
