"""The webhook hub: hirebot's web server with the real webhook receiver, a Lever sandbox and a Greenhouse
sandbox on loopback, all on one fake clock. The `hub` (every database) and `sqlite_hub` fixtures (a plugin
in tests/conftest.py) serve the webhook and web tests; `open_runtime` opens a bare runtime.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp.test_utils import BaseTestServer, TestServer
from sqlalchemy import select

from adapters.base import AtsAdapter, ConnectionConfig
from adapters.greenhouse import GreenhouseAdapter
from adapters.http import RetryPolicy
from adapters.lever import LeverAdapter
from adapters.sandbox.greenhouse import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    GreenhouseSandbox,
    webhook_signature,
)
from adapters.sandbox.greenhouse import Chaos as GreenhouseChaos
from adapters.sandbox.greenhouse_dataset import generate as generate_greenhouse
from adapters.sandbox.lever import SANDBOX_API_KEY, Chaos, LeverSandbox
from adapters.sandbox.lever_dataset import generate as generate_lever
from bot.runtime import Runtime
from bot.web import create_web_app
from bot.webhooks import WebhookReceiver
from scheduler.sync_jobs import ConnectionSyncer
from store.db import transaction
from store.models import AtsConnection, Candidate, WebhookDelivery, Workspace
from store.settings import Settings
from store.sync import sync_connection
from store.webhook_secrets import add_issued_token as add_lever_token
from tests.clocks import EpochClock

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
GREENHOUSE_SECRET = "greenhouse-secret-key"  # what add_connection seals for a Greenhouse connection


def open_runtime(tmp_path: Path, database_url: str, public_url: str = "https://hirebot.example") -> Runtime:
    settings = Settings(data_dir=tmp_path, database_url=database_url, secret_key="webhook-tests",
                        public_url=public_url)
    return Runtime.open(settings, database_url=database_url)


ADAPTERS: dict[str, type[GreenhouseAdapter] | type[LeverAdapter]] = {"greenhouse": GreenhouseAdapter,
                                                                      "lever": LeverAdapter}


AdapterFactory = Callable[[AtsConnection, httpx.AsyncClient], AtsAdapter]


def adapter_factory(runtime: Runtime, clock: EpochClock) -> AdapterFactory:
    """Real adapters on the fake clock, giving up after two attempts so "ATS down" shows at once."""
    def build(connection: AtsConnection, client: httpx.AsyncClient) -> AtsAdapter:
        config = ConnectionConfig(base_url=connection.base_url,
                                  credentials=runtime.box.open(connection.credentials),
                                  settings=dict(connection.settings))
        policy = RetryPolicy(max_attempts=2, base_delay=0.1, max_delay=0.2)
        return ADAPTERS[connection.provider](config, client, sleep=clock.sleep, clock=clock,
                                             rng=random.Random(3), policy=policy)
    return build


def add_connection(runtime: Runtime, provider: str, base_url: str, credentials: dict[str, Any], *,
                   settings: dict[str, Any] | None = None, active: bool = True) -> int:
    with transaction(runtime.sessions) as session:
        workspace = Workspace(name="Acme", platform="test", external_id=f"T-{provider}-{base_url}")
        session.add(workspace)
        session.flush()
        row = AtsConnection(workspace_id=workspace.id, provider=provider, name=provider.title(),
                            base_url=base_url, settings=settings or {},
                            credentials=runtime.box.seal(credentials), is_active=active,
                            webhook_secret=runtime.box.seal({"secret": f"{provider}-secret-key"}))
        session.add(row)
        session.flush()
        return row.id


@dataclass
class Hub:
    """hirebot's web server, a Lever sandbox and a Greenhouse sandbox on loopback, on one fake clock."""

    runtime: Runtime
    receiver: WebhookReceiver
    server: BaseTestServer
    http: aiohttp.ClientSession
    sandbox: LeverSandbox
    greenhouse: GreenhouseSandbox
    clock: EpochClock
    connection_id: int
    greenhouse_id: int
    signature_token: str = ""

    def url(self, provider: str = "lever", connection_id: int | str | None = None) -> str:
        if connection_id is None:
            connection_id = self.connection_id if provider == "lever" else self.greenhouse_id
        return str(self.server.make_url(f"/webhooks/{provider}/{connection_id}"))

    async def post(self, url: str, body: bytes,
                   headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        sent = {"Content-Type": "application/json", **(headers or {})}
        async with self.http.post(url, data=body, headers=sent) as response:
            return response.status, await response.json()

    def lever_payload(self, event: str, opportunity_id: str, *, token: str | None = None,
                      signature_token: str | None = None, triggered_at: int | None = None) -> bytes:
        at = int(self.clock() * 1000) if triggered_at is None else triggered_at
        nonce = token or f"tok-{random.getrandbits(64):x}"
        key = signature_token or self.signature_token
        return json.dumps({"triggeredAt": at, "event": event, "token": nonce,
                           "signature": self.sandbox.sign(nonce, at, key),
                           "data": self.sandbox.event_data(event, opportunity_id)}).encode()

    async def post_greenhouse(self, action: str, payload: dict[str, Any], *, event_id: str | None = None,
                              secret: str = GREENHOUSE_SECRET) -> tuple[int, dict[str, Any]]:
        body = json.dumps({"action": action, "payload": payload}).encode()
        headers = {"Signature": webhook_signature(secret, body),
                   "Greenhouse-Event-ID": event_id or f"evt-{random.getrandbits(64):x}"}
        return await self.post(self.url("greenhouse"), body, headers)

    def stored(self, connection_id: int | None = None) -> dict[str, Candidate]:
        with self.runtime.sessions() as session:
            rows = session.scalars(select(Candidate).where(
                Candidate.connection_id == (connection_id or self.connection_id)))
            return {row.remote_id: row for row in rows}

    def deliveries(self) -> list[WebhookDelivery]:
        with self.runtime.sessions() as session:
            return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))

    def reads(self, opportunity_id: str) -> int:
        path = f"/v1/opportunities/{opportunity_id}"
        return sum(1 for r in self.sandbox.requests if r.method == "GET" and r.path == path)

    def greenhouse_reads(self) -> int:
        return sum(1 for r in self.greenhouse.requests if r.path == "/v3/candidates")

    async def full_sync(self, connection_id: int) -> None:
        async with httpx.AsyncClient() as client:
            with self.runtime.sessions() as session:
                connection = session.get(AtsConnection, connection_id)
                assert connection is not None
            adapter = adapter_factory(self.runtime, self.clock)(connection, client)
            await sync_connection(self.runtime.sessions, connection_id, adapter, full=True,
                                  now=self.clock.moment)



async def start_hub(tmp_path: Path, database_url: str, *, candidates: int = 6) -> AsyncIterator[Hub]:
    clock = EpochClock(NOW)
    sandbox = LeverSandbox(generate_lever(candidates=candidates, seed=4, now=NOW), clock=clock,
                           chaos=Chaos(sleep=clock.sleep), rate_limit=1000, burst=1000)
    greenhouse = GreenhouseSandbox(generate_greenhouse(seed=5, candidates=candidates, now=NOW), clock=clock,
                                   chaos=GreenhouseChaos(sleep=clock.sleep), rate_limit=10_000,
                                   webhook_retry_delays=(60.0, 900.0), webhook_sleep=clock.sleep)
    runtime = open_runtime(tmp_path, database_url)
    async with TestServer(sandbox.app, host="127.0.0.1") as lever_server, \
            TestServer(greenhouse.app, host="127.0.0.1") as greenhouse_server:
        lever_id = add_connection(runtime, "lever", str(lever_server.make_url("/v1")),
                                  {"api_key": SANDBOX_API_KEY},
                                  settings={"requests_per_second": 1000, "burst": 1000})
        greenhouse_url = str(greenhouse_server.make_url("")).rstrip("/")
        greenhouse_id = add_connection(runtime, "greenhouse", greenhouse_url,
                                       {"client_id": SANDBOX_CLIENT_ID,
                                        "client_secret": SANDBOX_CLIENT_SECRET},
                                       settings={"auth_url": f"{greenhouse_url}/token"})
        factory = adapter_factory(runtime, clock)
        syncer = ConnectionSyncer(runtime.sessions, factory, now=clock.moment)  # lease kept on the wall clock
        receiver = WebhookReceiver(runtime.sessions, runtime.box, syncer, adapter_factory=factory,
                                   now=clock.moment)
        app = create_web_app(runtime, receiver=receiver, now=clock.moment)
        async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as http:
            hub = Hub(runtime, receiver, server, http, sandbox, greenhouse, clock, lever_id, greenhouse_id)
            webhook = sandbox.add_webhook("applicationCreated", hub.url())
            hub.signature_token = webhook["configuration"]["signatureToken"]
            add_lever_token(runtime.sessions, runtime.box, lever_id, hub.signature_token)
            greenhouse.add_webhook(hub.url("greenhouse"), secret_key=GREENHOUSE_SECRET, auto_webhooks=True)
            yield hub
            await greenhouse.drain_webhooks()
    runtime.close()


@pytest.fixture
async def hub(tmp_path: Path, database_url: str) -> AsyncIterator[Hub]:
    """The hub on the test's database (SQLite and PostgreSQL)."""
    async for running in start_hub(tmp_path, database_url):
        yield running


@pytest.fixture
async def sqlite_hub(tmp_path: Path) -> AsyncIterator[Hub]:
    """The hub on SQLite alone, for tests that need only one backend."""
    async for running in start_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}"):
        yield running
