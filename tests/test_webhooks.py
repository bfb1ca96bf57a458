"""ATS webhooks over real HTTP: the sandboxes sign and deliver to hirebot's server on loopback, which
re-reads the named records from the same sandboxes into a real SQLite or PostgreSQL store.

One fake clock drives the sandboxes, the adapters' pacing and the receiver's idea of "now", so staleness
and retries are tested without waiting on the wall clock.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp.test_utils import BaseTestServer, TestServer, unused_port
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
from bot.webhooks import (
    LEVER_MAX_AGE,
    Claim,
    WebhookReceiver,
    claim_delivery,
    finish_delivery,
    handle_greenhouse,
    handle_lever,
)
from scheduler.sync_jobs import ConnectionSyncer
from store.db import make_engine, session_factory, transaction
from store.models import AtsConnection, Candidate, WebhookDelivery, Workspace
from store.settings import Settings
from store.sync import sync_connection
from store.webhook_secrets import add_lever_token, greenhouse_secret, lever_tokens
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
    async for running in start_hub(tmp_path, database_url):
        yield running


@pytest.fixture
async def sqlite_hub(tmp_path: Path) -> AsyncIterator[Hub]:
    async for running in start_hub(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}"):
        yield running


# -- Lever -------------------------------------------------------------------------------------------------


async def test_lever_delivery_from_the_sandbox_stores_the_new_candidate(hub: Hub) -> None:
    posting = next(iter(hub.sandbox.state.postings))
    opp = hub.sandbox.state.add_opportunity("Ngozi Okonkwo-Brandt", email="ngozi@example.org",
                                            posting_id=posting, origin="applied")
    assert await hub.sandbox.emit("applicationCreated", opp.id) == [200]

    stored = hub.stored()
    assert set(stored) == {opp.id}  # only the named opportunity was read, not the whole account
    assert stored[opp.id].full_name == "Ngozi Okonkwo-Brandt"
    assert stored[opp.id].primary_email == "ngozi@example.org"
    [delivery] = hub.deliveries()
    assert (delivery.provider, delivery.event) == ("lever", "applicationCreated")
    assert delivery.outcome == "processed"
    assert delivery.delivery_id == hub.sandbox.deliveries[-1].payload["token"]
    assert hub.receiver.deliveries[("lever", "processed")] == 1


async def test_lever_bad_or_missing_signature_is_refused_and_nothing_is_stored(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    forged = hub.lever_payload("candidateStageChange", opp.id, signature_token="not-the-token")
    unsigned = json.loads(hub.lever_payload("candidateStageChange", opp.id))
    del unsigned["signature"]
    for body in (forged, json.dumps(unsigned).encode(), b"not json at all", b""):
        status, answer = await hub.post(hub.url(), body)
        assert status == 401 and answer == {"error": "unauthorized"}
    assert hub.stored() == {} and hub.deliveries() == [] and hub.reads(opp.id) == 0
    assert hub.receiver.deliveries[("lever", "unauthorized")] == 4


async def test_lever_any_stored_signature_token_verifies(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    hired = hub.sandbox.add_webhook("candidateHired", hub.url())["configuration"]["signatureToken"]
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    body = hub.lever_payload("candidateHired", opp.id, signature_token=hired)
    assert (await hub.post(hub.url(), body))[0] == 401  # not pasted into hirebot yet
    assert add_lever_token(hub.runtime.sessions, hub.runtime.box, hub.connection_id, hired) == 2
    assert add_lever_token(hub.runtime.sessions, hub.runtime.box, hub.connection_id, f"  {hired} ") == 2
    body = hub.lever_payload("candidateHired", opp.id, signature_token=hired)
    status, answer = await hub.post(hub.url(), body)
    assert status == 200 and answer == {"status": "processed", "refreshed": 1, "deleted": 0}
    assert opp.id in hub.stored()


async def test_lever_stale_and_future_deliveries_are_refused(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    now_ms = int(hub.clock() * 1000)
    too_old = now_ms - int(LEVER_MAX_AGE.total_seconds() * 1000) - 1000
    for at in (too_old, now_ms + 10 * 60 * 1000):
        body = hub.lever_payload("candidateStageChange", opp.id, triggered_at=at)
        status, answer = await hub.post(hub.url(), body)
        assert status == 401 and answer == {"error": "stale"}
    assert hub.deliveries() == [] and hub.reads(opp.id) == 0
    almost_old = now_ms - int(LEVER_MAX_AGE.total_seconds() * 1000) + 1000
    body = hub.lever_payload("candidateStageChange", opp.id, triggered_at=almost_old)
    status, _ = await hub.post(hub.url(), body)
    assert status == 200 and opp.id in hub.stored()


async def test_lever_replayed_token_does_no_work(hub: Hub) -> None:
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    body = hub.lever_payload("candidateStageChange", opp.id, token="once-only")
    first = await hub.post(hub.url(), body)
    reads = hub.reads(opp.id)
    second = await hub.post(hub.url(), body)
    assert first == (200, {"status": "processed", "refreshed": 1, "deleted": 0})
    assert second == (200, {"status": "duplicate"})
    assert reads == 1 and hub.reads(opp.id) == 1  # the replay read nothing
    assert [d.outcome for d in hub.deliveries()] == ["processed"]


async def test_control_characters_in_a_signed_delivery_are_stored_safely(hub: Hub) -> None:
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    at, token = int(hub.clock() * 1000), "tok\x00\n-1"
    body = json.dumps({"triggeredAt": at, "event": "candidateStageChange\x00\r\nforged log line",
                       "token": token, "signature": hub.sandbox.sign(token, at, hub.signature_token),
                       "data": hub.sandbox.event_data("candidateStageChange", opp.id)}).encode()
    assert (await hub.post(hub.url(), body))[0] == 200
    assert await hub.post(hub.url(), body) == (200, {"status": "duplicate"})
    [delivery] = hub.deliveries()
    assert delivery.event == "candidateStageChangeforged log line"
    assert delivery.delivery_id.startswith("sha256:")


async def test_lever_deletion_is_confirmed_by_the_api_then_applied(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    await hub.full_sync(hub.connection_id)
    state = hub.sandbox.state
    gone, kept = [opp.id for opp in state.opportunities.values() if not opp.confidential][:2]
    assert {gone, kept} <= set(hub.stored())

    # Lever's deletion claim is unsigned data: while the API still has the opportunity, it stays.
    status, answer = await hub.post(hub.url(), hub.lever_payload("candidateDeleted", kept))
    assert status == 200 and answer["deleted"] == 0 and kept in hub.stored()

    data = hub.sandbox.event_data("candidateDeleted", gone)
    state.delete_opportunity(gone)
    at = int(hub.clock() * 1000)
    body = json.dumps({"triggeredAt": at, "event": "candidateDeleted", "token": "del-1",
                       "signature": hub.sandbox.sign("del-1", at, hub.signature_token),
                       "data": data}).encode()
    status, answer = await hub.post(hub.url(), body)
    assert status == 200 and answer == {"status": "processed", "refreshed": 0, "deleted": 1}
    assert gone not in hub.stored() and kept in hub.stored()


async def test_lever_ats_down_answers_500_then_the_retry_succeeds(hub: Hub) -> None:
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    body = hub.lever_payload("candidateStageChange", opp.id, token="retry-me")
    hub.sandbox.chaos.fail_next(503, times=2, path=f"/opportunities/{opp.id}")
    status, answer = await hub.post(hub.url(), body)
    assert status == 500 and answer == {"error": "failed"}
    assert [d.outcome for d in hub.deliveries()] == ["failed"] and hub.stored() == {}

    status, answer = await hub.post(hub.url(), body)  # the same delivery again, once Lever is back
    assert status == 200 and answer["status"] == "processed"
    assert [d.outcome for d in hub.deliveries()] == ["processed"] and opp.id in hub.stored()


async def test_unknown_inactive_or_wrong_provider_connections_are_404(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    body = hub.lever_payload("candidateStageChange", opp.id)
    inactive = add_connection(hub.runtime, "lever", "http://127.0.0.1:9/v1", {"api_key": "k"}, active=False)
    for url in (hub.url(connection_id=9999), hub.url(connection_id="abc"), hub.url(connection_id=inactive),
                hub.url("greenhouse", hub.connection_id)):
        status, answer = await hub.post(url, body, {"Signature": "sha256 00"})
        assert status == 404 and answer == {"error": "not found"}
    assert hub.deliveries() == []


async def test_a_lever_connection_without_tokens_refuses_everything(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    bare = add_connection(hub.runtime, "lever", "http://127.0.0.1:9/v1", {"api_key": "k"})
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    status, _ = await hub.post(hub.url(connection_id=bare), hub.lever_payload("candidateStageChange", opp.id))
    assert status == 401


async def test_events_without_a_candidate_are_acknowledged_and_ignored(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    at = int(hub.clock() * 1000)
    body = json.dumps({"triggeredAt": at, "event": "contactUpdated", "token": "c-1",
                       "signature": hub.sandbox.sign("c-1", at, hub.signature_token),
                       "data": {"contactId": "c"}}).encode()
    assert await hub.post(hub.url(), body) == (200, {"status": "ignored"})
    assert hub.stored() == {}


# -- Greenhouse --------------------------------------------------------------------------------------------


def open_job_id(hub: Hub) -> int:
    return next(job_id for job_id, job in hub.greenhouse.state.jobs.items() if job["status"] == "open")


async def test_greenhouse_delivery_from_the_sandbox_stores_the_new_candidate(hub: Hub) -> None:
    row = hub.greenhouse.state.add_candidate("Zoë", "Achterberg-Nwosu", email="zoe@example.nl",
                                             job_id=open_job_id(hub))
    await hub.greenhouse.drain_webhooks()  # the sandbox delivers in the background, as Greenhouse does

    [delivery] = hub.greenhouse.deliveries
    assert (delivery.action, delivery.status) == ("new_candidate_application", 200)
    stored = hub.stored(hub.greenhouse_id)
    assert set(stored) == {str(row["id"])}
    assert stored[str(row["id"])].full_name == "Zoë Achterberg-Nwosu"
    [ledger] = hub.deliveries()
    assert (ledger.provider, ledger.delivery_id) == ("greenhouse", delivery.event_id)
    assert ledger.outcome == "processed"
    assert hub.receiver.deliveries[("greenhouse", "processed")] == 1


async def test_greenhouse_bad_or_missing_signature_is_401_and_nothing_is_stored(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    candidate_id = next(iter(hub.greenhouse.state.candidates))
    payload = {"candidate": {"id": candidate_id}}
    forged = await hub.post_greenhouse("update_candidate", payload, secret="wrong")
    assert forged == (401, {"error": "unauthorized"})
    body = json.dumps({"action": "update_candidate", "payload": payload}).encode()
    good = webhook_signature(GREENHOUSE_SECRET, body)
    for headers in ({}, {"Signature": good.replace("sha256 ", "sha1 ")}, {"Signature": good[:-2]},
                    {"Signature": webhook_signature(GREENHOUSE_SECRET, body + b" ")}):
        sent = {"Greenhouse-Event-ID": "e-1", **headers}
        status, answer = await hub.post(hub.url("greenhouse"), body, sent)
        assert (status, answer) == (401, {"error": "unauthorized"})
    assert hub.deliveries() == [] and hub.stored(hub.greenhouse_id) == {} and hub.greenhouse_reads() == 0


async def test_greenhouse_duplicate_event_id_is_not_read_twice(hub: Hub) -> None:
    candidate_id = next(iter(hub.greenhouse.state.candidates))
    payload = {"candidate": {"id": candidate_id}}
    first = await hub.post_greenhouse("update_candidate", payload, event_id="evt-42")
    reads = hub.greenhouse_reads()
    second = await hub.post_greenhouse("update_candidate", payload, event_id="evt-42")
    assert first == (200, {"status": "processed", "refreshed": 1, "deleted": 0})
    assert second == (200, {"status": "duplicate"})
    assert reads >= 1 and hub.greenhouse_reads() == reads
    assert [d.outcome for d in hub.deliveries()] == ["processed"]


async def test_greenhouse_delete_and_merge_remove_the_local_records(hub: Hub) -> None:
    await hub.full_sync(hub.greenhouse_id)
    state = hub.greenhouse.state
    deleted, merged, survivor = sorted(state.candidates)[:3]
    survivor_apps = {a for a, row in state.applications.items() if row["candidate_id"] in (merged, survivor)}

    state.delete_candidate(deleted)
    state.merge_candidates(merged, survivor)
    await hub.greenhouse.drain_webhooks()

    assert [d.status for d in hub.greenhouse.deliveries] == [200, 200]
    stored = hub.stored(hub.greenhouse_id)
    assert str(deleted) not in stored and str(merged) not in stored and str(survivor) in stored
    with hub.runtime.sessions() as session:
        from store.models import Application
        moved = set(session.scalars(select(Application.remote_id)
                                    .where(Application.candidate_id == stored[str(survivor)].id)))
    assert {str(a) for a in survivor_apps if state.applications[a]["status"] != "converted"} <= moved


async def test_greenhouse_anonymisation_is_read_back(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    await hub.full_sync(hub.greenhouse_id)
    candidate_id = sorted(hub.greenhouse.state.candidates)[0]
    hub.greenhouse.state.anonymize_candidate(candidate_id, ("full_name", "email_addresses"))
    await hub.greenhouse.drain_webhooks()
    row = hub.stored(hub.greenhouse_id)[str(candidate_id)]
    assert (row.first_name, row.last_name, row.primary_email) == ("Anonymized", "Candidate", None)


async def test_greenhouse_ats_down_answers_500_and_the_retry_succeeds(hub: Hub) -> None:
    hub.greenhouse.chaos.fail_next(503, times=2, path="/v3/candidates")  # both of the adapter's attempts
    row = hub.greenhouse.state.add_candidate("Mateus", "Quispe", email="mq@example.pe",
                                             job_id=open_job_id(hub))
    await hub.greenhouse.drain_webhooks()

    first, retry = hub.greenhouse.deliveries
    assert (first.status, retry.status) == (500, 200) and first.event_id == retry.event_id
    assert hub.clock.sleeps.count(60.0) == 1  # Greenhouse waited a minute before retrying
    assert str(row["id"]) in hub.stored(hub.greenhouse_id)
    assert [d.outcome for d in hub.deliveries()] == ["processed"]
    assert hub.receiver.deliveries == {("greenhouse", "failed"): 1, ("greenhouse", "processed"): 1}


async def test_greenhouse_ping_and_unknown_actions_are_acknowledged(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    assert await hub.post_greenhouse("ping", {}) == (200, {"status": "ignored"})
    assert await hub.post_greenhouse("offer_created", {"offer": {"id": 1}}) == (200, {"status": "ignored"})
    body = b'{"not": "an action"'
    signed = {"Signature": webhook_signature(GREENHOUSE_SECRET, body)}
    status, answer = await hub.post(hub.url("greenhouse"), body, signed)
    assert (status, answer) == (400, {"error": "malformed"})
    assert hub.greenhouse_reads() == 0


async def test_greenhouse_job_events_run_a_sync_under_the_lease(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    from scheduler.sync_jobs import release_lease, take_lease
    assert take_lease(hub.runtime.sessions, hub.greenhouse_id, "other-process", now=hub.clock.moment(),
                      seconds=60)
    status, answer = await hub.post_greenhouse("job_created", {"job": {"id": 1}}, event_id="job-1")
    assert (status, answer) == (503, {"error": "busy"})  # Greenhouse retries later
    release_lease(hub.runtime.sessions, hub.greenhouse_id, "other-process")

    status, answer = await hub.post_greenhouse("job_created", {"job": {"id": 1}}, event_id="job-1")
    assert (status, answer) == (200, {"status": "processed"})
    with hub.runtime.sessions() as session:
        from store.models import Job
        jobs = set(session.scalars(select(Job.remote_id).where(Job.connection_id == hub.greenhouse_id)))
        connection = session.get(AtsConnection, hub.greenhouse_id)
    assert jobs == {str(job_id) for job_id in hub.greenhouse.state.jobs}
    assert connection is not None and connection.last_sync_at == hub.clock.moment()
    assert hub.receiver.syncer.outcomes == {("webhook", "busy"): 1, ("webhook", "ok"): 1}


async def test_a_store_that_does_not_answer_gives_a_plain_500(tmp_path: Path) -> None:
    runtime = open_runtime(tmp_path, f"sqlite:///{tmp_path / 'ok.sqlite3'}")
    down = make_engine(f"postgresql://hirebot@127.0.0.1:{unused_port()}/hirebot",
                       connect_args={"connect_timeout": 2})
    try:
        sessions = session_factory(down)
        receiver = WebhookReceiver(sessions, runtime.box,
                                   ConnectionSyncer(sessions, runtime.connections.adapter),
                                   adapter_factory=runtime.connections.adapter)
        assert await handle_lever(receiver, "1", b"{}") == (500, {"error": "failed"})
        answer = await handle_greenhouse(receiver, "1", b"{}", signature=None, event_id=None)
        assert answer == (500, {"error": "failed"})  # no detail of the failure reaches the sender
        await receiver.close()
    finally:
        down.dispose()
        runtime.close()


# -- the delivery ledger -----------------------------------------------------------------------------------


def test_a_delivery_is_claimed_once_and_a_failed_or_abandoned_one_can_be_claimed_again(
        tmp_path: Path, database_url: str) -> None:
    runtime = open_runtime(tmp_path, database_url)
    try:
        connection_id = add_connection(runtime, "greenhouse", "http://127.0.0.1:9", {"client_id": "x"})
        with runtime.sessions() as session:
            connection = session.get(AtsConnection, connection_id)
        assert connection is not None

        def claim(at: datetime) -> Claim:
            return claim_delivery(runtime.sessions, connection, "evt-1", "update_candidate", now=at)

        assert claim(NOW) is Claim.CLAIMED
        assert claim(NOW + timedelta(seconds=1)) is Claim.IN_PROGRESS  # a retry while the first still runs
        finish_delivery(runtime.sessions, connection_id, "evt-1", "failed")
        assert claim(NOW + timedelta(seconds=2)) is Claim.CLAIMED  # the sender's retry after our 500
        assert claim(NOW + timedelta(minutes=6)) is Claim.CLAIMED  # that process died: reclaimed
        finish_delivery(runtime.sessions, connection_id, "evt-1", "processed")
        assert claim(NOW + timedelta(minutes=7)) is Claim.DUPLICATE
        with runtime.sessions() as session:
            assert session.scalar(select(WebhookDelivery.outcome)) == "processed"
    finally:
        runtime.close()


def test_webhook_secrets_are_sealed_and_validated(tmp_path: Path) -> None:
    runtime = open_runtime(tmp_path, f"sqlite:///{tmp_path / 's.sqlite3'}")
    try:
        lever_id = add_connection(runtime, "lever", "http://127.0.0.1:9/v1", {"api_key": "k"})
        greenhouse_id = add_connection(runtime, "greenhouse", "http://127.0.0.1:9", {"client_id": "x"})
        assert add_lever_token(runtime.sessions, runtime.box, lever_id, "tok_A-1") == 1
        with runtime.sessions() as session:
            lever_row = session.get(AtsConnection, lever_id)
            greenhouse_row = session.get(AtsConnection, greenhouse_id)
        assert lever_row is not None and greenhouse_row is not None
        assert b"tok_A-1" not in (lever_row.webhook_secret or b"")  # encrypted at rest
        assert lever_tokens(runtime.box, lever_row) == ["tok_A-1"]
        assert greenhouse_secret(runtime.box, greenhouse_row) == "greenhouse-secret-key"
        from adapters.errors import ConfigError
        for bad in ("", "   ", "two words", "x" * 201, "<script>"):
            with pytest.raises(ConfigError):
                add_lever_token(runtime.sessions, runtime.box, lever_id, bad)
        with pytest.raises(ConfigError, match="no Lever connection"):
            add_lever_token(runtime.sessions, runtime.box, greenhouse_id, "tok")
    finally:
        runtime.close()
