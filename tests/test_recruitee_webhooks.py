"""Recruitee's webhooks over real HTTP: the fake signs and delivers to hirebot's server on loopback, whose
real receiver checks `X-Recruitee-Signature` against the stored webhook secret and re-reads the named
candidate into a real SQLite store. Also: Recruitee's unsigned `{"test": true}` handshake gets a 200
and does nothing, a bad signature gets 401 and stores nothing, a retried delivery is read once."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
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
from adapters.http import RetryPolicy
from adapters.recruitee import RecruiteeAdapter, sign
from adapters.sandbox.recruitee import Chaos, RecruiteeSandbox
from adapters.sandbox.recruitee_dataset import generate
from adapters.sandbox.webhooks import WebhookSender
from bot.runtime import Runtime
from bot.web import create_web_app
from bot.webhook_setup import webhook_instructions
from bot.webhooks import WebhookReceiver
from scheduler.sync_jobs import ConnectionSyncer
from store.models import AtsConnection, Candidate, WebhookDelivery
from store.webhook_secrets import add_issued_token
from tests.clocks import EpochClock
from tests.rigs.webhook_hub import add_connection, open_runtime

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SECRET = "whsec-recruitee-0001"


@dataclass
class Rig:
    runtime: Runtime
    sandbox: RecruiteeSandbox
    server: BaseTestServer
    http: aiohttp.ClientSession
    connection_id: int

    def url(self, connection_id: int | None = None) -> str:
        return str(self.server.make_url(f"/webhooks/recruitee/{connection_id or self.connection_id}"))

    async def post(self, body: bytes, headers: dict[str, str] | None = None,
                   connection_id: int | None = None) -> tuple[int, dict[str, Any]]:
        sent = {"Content-Type": "application/json", "User-Agent": "Recruitee-Webhooks", **(headers or {})}
        async with self.http.post(self.url(connection_id), data=body, headers=sent) as response:
            return response.status, await response.json()

    def stored(self) -> dict[str, Candidate]:
        with self.runtime.sessions() as session:
            rows = session.scalars(select(Candidate).where(Candidate.connection_id == self.connection_id))
            return {row.remote_id: row for row in rows}

    def deliveries(self) -> list[WebhookDelivery]:
        with self.runtime.sessions() as session:
            return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))

    def reads(self, candidate_id: int) -> int:
        path = f"/c/{self.sandbox.state.company_id}/candidates/{candidate_id}"
        return sum(1 for r in self.sandbox.requests if r.method == "GET" and r.path == path)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    clock = EpochClock(NOW)
    sandbox = RecruiteeSandbox(generate(seed=2, candidates=8, now=NOW), clock=clock, chaos=Chaos(sleep=clock.sleep),
                               webhook_sender=WebhookSender(retry_delays=(60.0,), sleep=clock.sleep))
    runtime = open_runtime(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}")

    def build(connection: AtsConnection, client: httpx.AsyncClient) -> AtsAdapter:
        config = ConnectionConfig(base_url=connection.base_url, credentials=runtime.box.open(connection.credentials),
                                  settings=dict(connection.settings))
        return RecruiteeAdapter(config, client, sleep=clock.sleep, clock=clock, rng=random.Random(3),
                                policy=RetryPolicy(max_attempts=2, base_delay=0.1, max_delay=0.2))

    async with TestServer(sandbox.app, host="127.0.0.1") as api:
        base_url = str(api.make_url(f"/c/{sandbox.state.company_id}"))
        connection_id = add_connection(runtime, "recruitee", base_url, {"token": sandbox.token},
                                       settings={"company_id": str(sandbox.state.company_id)})
        syncer = ConnectionSyncer(runtime.sessions, build, now=clock.moment)
        receiver = WebhookReceiver(runtime.sessions, runtime.box, syncer, adapter_factory=build, now=clock.moment)
        app = create_web_app(runtime, receiver=receiver, now=clock.moment)
        async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as http:
            yield Rig(runtime, sandbox, server, http, connection_id)
    runtime.close()


async def test_the_unsigned_test_handshake_gets_200_before_any_secret_and_syncs_nothing(rig: Rig) -> None:
    assert await rig.sandbox.send_test(rig.url()) == 200  # "Verify and create" needs a 200
    status, _ = await rig.post(json.dumps({"test": True, "event_type": "candidate_moved",
                                           "payload": {"candidate": {"id": 1}}}).encode())  # a "Test payload"
    assert status == 200
    assert rig.stored() == {} and not rig.sandbox.requests  # nothing was read from Recruitee


async def test_a_signed_delivery_rereads_only_the_named_candidate(rig: Rig) -> None:
    add_issued_token(rig.runtime.sessions, rig.runtime.box, rig.connection_id, SECRET)
    rig.sandbox.add_webhook(rig.url(), SECRET)
    row = next(iter(rig.sandbox.state.candidates.values()))

    assert await rig.sandbox.emit("candidate_moved", row["id"], "stage_changed") == [200]

    assert set(rig.stored()) == {str(row["id"])}
    [delivery] = rig.deliveries()
    assert (delivery.provider, delivery.event, delivery.outcome) == ("recruitee", "candidate_moved", "processed")


async def test_a_bad_or_missing_signature_gets_401_and_nothing_is_stored(rig: Rig) -> None:
    add_issued_token(rig.runtime.sessions, rig.runtime.box, rig.connection_id, SECRET)
    row = next(iter(rig.sandbox.state.candidates.values()))
    body = json.dumps(rig.sandbox.event_body("candidate_moved", row["id"], "stage_changed")).encode()
    for headers in ({"X-Recruitee-Signature": sign("another-secret", body)}, {},
                    {"X-Recruitee-Signature": sign(SECRET, body + b" ")}):
        status, answer = await rig.post(body, headers)
        assert (status, answer) == (401, {"error": "unauthorized"})
    assert rig.stored() == {} and rig.deliveries() == [] and not rig.sandbox.requests


async def test_a_retried_delivery_is_read_once_and_a_deletion_removes_the_candidate(rig: Rig) -> None:
    add_issued_token(rig.runtime.sessions, rig.runtime.box, rig.connection_id, SECRET)
    first, second = list(rig.sandbox.state.candidates.values())[:2]
    event = rig.sandbox.event_body("candidate_moved", first["id"], "stage_changed")
    for attempt in (1, 2):  # Recruitee retries a delivery; only its attempt count differs
        body = json.dumps({**event, "attempt_count": attempt}).encode()
        status, _ = await rig.post(body, {"X-Recruitee-Signature": sign(SECRET, body)})
        assert status == 200
    assert rig.reads(first["id"]) == 1
    assert [d.outcome for d in rig.deliveries()] == ["processed"]

    body = json.dumps(rig.sandbox.event_body("candidate_moved", second["id"], "stage_changed")).encode()
    await rig.post(body, {"X-Recruitee-Signature": sign(SECRET, body)})
    rig.sandbox.state.delete_candidate(second["id"])
    body = json.dumps(rig.sandbox.event_body("candidate_deleted", second["id"])).encode()
    status, answer = await rig.post(body, {"X-Recruitee-Signature": sign(SECRET, body)})
    assert status == 200 and answer["deleted"] == 1
    assert set(rig.stored()) == {str(first["id"])}


def test_hirebot_webhooks_gives_the_recruitee_setup_steps(rig: Rig) -> None:
    [instruction] = webhook_instructions(rig.runtime)
    assert instruction.url.endswith(f"/webhooks/recruitee/{rig.connection_id}")
    text = str(instruction)
    assert "Settings > Apps and plugins > Webhooks" in text and "Verify and create" in text
    assert f"hirebot webhooks add-token {rig.connection_id} SECRET (0 stored so far)" in text
