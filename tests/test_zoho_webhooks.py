"""Zoho Recruit webhooks through hirebot's real receiver over loopback: the Zoho fake posts the form its admin
configured to the URL `hirebot webhooks` prints (secret included), the receiver checks the secret and re-reads
the named candidate from the fake into SQLite; a wrong or missing secret is a 401 with nothing stored."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import aiohttp
import httpx
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from adapters.base import AtsAdapter, ConnectionConfig
from adapters.http import RetryPolicy
from adapters.sandbox import zoho as zoho_fake
from adapters.sandbox.zoho_dataset import generate
from adapters.zoho import ZohoAdapter, forget_all_tokens, forget_org_caches
from bot.runtime import Runtime
from bot.web import create_web_app
from bot.webhook_setup import webhook_instructions
from bot.webhooks import WebhookReceiver
from scheduler.log_redaction import redact_booking_links
from scheduler.sync_jobs import ConnectionSyncer
from store.models import AtsConnection, Candidate, WebhookDelivery
from tests.clocks import EpochClock
from tests.rigs.webhook_hub import NOW, add_connection, open_runtime


@dataclass
class ZohoHub:
    runtime: Runtime
    sandbox: zoho_fake.ZohoSandbox
    server: TestServer
    http: aiohttp.ClientSession
    connection_id: int

    def url(self, query: str = "") -> str:
        return str(self.server.make_url(f"/webhooks/zoho/{self.connection_id}")) + (f"?{query}" if query else "")

    def secret_url(self) -> str:
        """The URL as `hirebot webhooks` prints it, moved onto this test server."""
        (printed,) = webhook_instructions(self.runtime)
        return self.url(printed.url.split("?", 1)[1])

    def stored(self) -> set[str]:
        with self.runtime.sessions() as session:
            return set(session.scalars(select(Candidate.remote_id).where(
                Candidate.connection_id == self.connection_id)))

    def deliveries(self) -> list[WebhookDelivery]:
        with self.runtime.sessions() as session:
            return list(session.scalars(select(WebhookDelivery)))


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[ZohoHub]:
    forget_all_tokens()
    forget_org_caches()
    clock = EpochClock(NOW)
    sandbox = zoho_fake.ZohoSandbox(generate(seed=4, candidates=12, now=NOW), clock=clock,
                                    chaos=zoho_fake.Chaos(sleep=clock.sleep))
    runtime = open_runtime(tmp_path, f"sqlite:///{tmp_path / 'zoho.sqlite3'}")

    def build(connection: AtsConnection, client: httpx.AsyncClient) -> AtsAdapter:
        config = ConnectionConfig(base_url=connection.base_url, credentials=runtime.box.open(connection.credentials),
                                  settings=dict(connection.settings))
        return ZohoAdapter(config, client, sleep=clock.sleep, clock=clock, rng=random.Random(3),
                           policy=RetryPolicy(max_attempts=2, base_delay=0.1, max_delay=0.2))

    async with TestServer(sandbox.app, host="127.0.0.1") as zoho_server:
        root = str(zoho_server.make_url("")).rstrip("/")
        connection_id = add_connection(runtime, "zoho", f"{root}/recruit/v2",
                                       {"client_id": zoho_fake.SANDBOX_CLIENT_ID,
                                        "client_secret": zoho_fake.SANDBOX_CLIENT_SECRET,
                                        "refresh_token": zoho_fake.SANDBOX_REFRESH_TOKEN},
                                       settings={"accounts_url": root, "data_center": "us"})
        syncer = ConnectionSyncer(runtime.sessions, build, now=clock.moment)
        receiver = WebhookReceiver(runtime.sessions, runtime.box, syncer, adapter_factory=build, now=clock.moment)
        app = create_web_app(runtime, receiver=receiver, now=clock.moment)
        async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as http:
            yield ZohoHub(runtime, sandbox, server, http, connection_id)
    runtime.close()


async def post_form(hub: ZohoHub, url: str, form: dict[str, str]) -> int:
    async with hub.http.post(url, data=urlencode(form),
                             headers={"Content-Type": "application/x-www-form-urlencoded"}) as response:
        return response.status


async def test_a_delivery_to_the_printed_url_re_reads_the_candidate(hub: ZohoHub) -> None:
    url = hub.secret_url()
    assert "key=" in url and hub.sandbox.state.org_id  # the secret is in the URL, nowhere else
    row = hub.sandbox.state.add_candidate("Ngozi", "Okonkwo-Brandt", email="ngozi@example.org", now=NOW)
    hub.sandbox.add_webhook(url)
    await hub.sandbox.emit(row["id"])

    assert [d.status for d in hub.sandbox.deliveries] == [200]
    assert hub.stored() == {row["id"]}  # only the named candidate was read
    (delivery,) = hub.deliveries()
    assert (delivery.provider, delivery.outcome) == ("zoho", "processed")


async def test_a_wrong_or_missing_secret_is_401_and_nothing_is_stored(hub: ZohoHub) -> None:
    candidate_id = hub.sandbox.state.listing()[0]["id"]
    good = hub.secret_url().split("key=", 1)[1]
    for url, form in ((hub.url(), {"id": candidate_id}), (hub.url("key=not-the-secret"), {"id": candidate_id}),
                      (hub.url(), {"id": candidate_id, "key": good[:-1]}),
                      (hub.url(f"key={good}"), {"id": candidate_id, "key": "other"})):
        assert await post_form(hub, url, form) == 401
    assert hub.stored() == set() and hub.deliveries() == []
    assert not any("/Candidates/" in r.path for r in hub.sandbox.requests)  # nothing was even read


async def test_the_secret_as_a_custom_parameter_works_too(hub: ZohoHub) -> None:
    candidate_id = hub.sandbox.state.listing()[3]["id"]
    good = hub.secret_url().split("key=", 1)[1]
    assert await post_form(hub, hub.url(), {"id": candidate_id, "key": good, "modified": "x"}) == 200
    assert hub.stored() == {candidate_id}


async def test_the_access_log_never_shows_the_secret(hub: ZohoHub) -> None:
    url = hub.secret_url()
    secret = url.split("key=", 1)[1]
    parts = urlsplit(url)
    line = f'127.0.0.1 "POST {parts.path}?{parts.query} HTTP/1.1" 200'
    assert secret not in redact_booking_links(line) and secret not in redact_booking_links(url)
    assert "/webhooks/zoho/" in redact_booking_links(line)
