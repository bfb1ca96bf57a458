"""What only BreezyHR does, against its fake over loopback: the raw token header, page-number paging,
pacing under 100 requests a minute and the 429's reset, the plan-without-API 403, the company pick,
team notes that never reach the candidate-facing conversation, and webhooks through hirebot's receiver
(signature, deduplication, re-read)."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from adapters.base import AtsAdapter, ConnectionConfig
from adapters.breezyhr import PAGE_SIZE, BreezyAdapter, verify_webhook_signature
from adapters.breezyhr.spec import BREEZYHR
from adapters.errors import AuthError, ConfigError
from adapters.http import RetryPolicy
from adapters.models import Candidate as NewCandidate
from adapters.models import ContactValue, Note
from adapters.sandbox.breezyhr import API_PREFIX, BreezySandbox, Chaos
from adapters.sandbox.breezyhr_dataset import COMPANY_ID, POOL_ID, SANDBOX_TOKEN, generate
from adapters.webhooks import BadSignature, WebhookSecrets
from bot.web import create_web_app
from bot.webhooks import WebhookReceiver
from scheduler.sync_jobs import ConnectionSyncer
from store.models import AtsConnection, Candidate, WebhookDelivery
from store.webhook_secrets import add_issued_token
from tests.clocks import EpochClock
from tests.rigs.webhook_hub import NOW, add_connection, open_runtime

SECRET = "whsec_test_5f2a9c0d1e"


@dataclass
class Rig:
    sandbox: BreezySandbox
    clock: EpochClock
    url: str
    client: httpx.AsyncClient

    def adapter(self, token: str = SANDBOX_TOKEN, **settings: Any) -> BreezyAdapter:
        return BreezyAdapter(ConnectionConfig(base_url=self.url, credentials={"token": token}, settings=settings),
                             self.client, sleep=self.clock.sleep, clock=self.clock, rng=random.Random(2),
                             policy=RetryPolicy(max_attempts=3, max_delay=2.0))

    def sent(self, method: str | None = None) -> list[Any]:
        return [r for r in self.sandbox.requests if method is None or r.method == method]


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    clock = EpochClock(NOW)
    sandbox = BreezySandbox(generate(seed=3, candidates=130, now=NOW, positions=3), clock=clock,
                            chaos=Chaos(sleep=clock.sleep))
    async with TestServer(sandbox.app, host="127.0.0.1") as server, httpx.AsyncClient() as client:
        yield Rig(sandbox, clock, str(server.make_url(API_PREFIX)), client)


async def test_the_raw_token_goes_in_authorization_and_pages_follow_page_size(rig: Rig) -> None:
    adapter = rig.adapter()
    batches = [batch async for batch in adapter.candidate_batches()]

    assert sum(len(b.candidates) for b in batches) == len(rig.sandbox.state.candidates)
    assert {r.headers["Authorization"] for r in rig.sent()} == {SANDBOX_TOKEN}  # no "Bearer"
    listed = [r for r in rig.sent() if r.path.endswith("/candidates")]
    assert {r.param("page_size") for r in listed} == {str(PAGE_SIZE)}
    for position_id in rig.sandbox.state.positions:
        count = len(rig.sandbox.state.on_position(position_id))
        pages = [r.param("page") for r in listed if f"/position/{position_id}/" in r.path]
        assert pages == [str(n) for n in range(1, count // PAGE_SIZE + 2)]  # until a short page
    assert all(len(b.candidates) <= PAGE_SIZE for b in batches)
    assert not any("/candidate/" in r.path for r in rig.sent())  # the list carries the cards: no detail reads


async def test_status_stage_job_and_link_come_from_the_pipeline(rig: Rig) -> None:
    state = rig.sandbox.state
    job = next(pid for pid, p in state.positions.items() if p["org_type"] == "position")
    hired = state.add_candidate("Ana Hired", position_id=job, email="ana@example.org", stage_id="hired")
    gone = state.add_candidate("Bo Gone", position_id=job, email="bo@example.org", stage_id="disqualified")
    batch = await rig.adapter().fetch_candidates([hired["_id"], gone["_id"]])
    statuses = {a.candidate_remote_id: (a.status.value, a.stage_name, a.job_remote_id) for a in batch.applications}
    assert statuses == {hired["_id"]: ("hired", "Hired", job), gone["_id"]: ("rejected", "Disqualified", job)}
    assert all(a.hired_at or a.rejected_at for a in batch.applications)
    (ana,) = [c for c in batch.candidates if c.remote_id == hired["_id"]]
    assert ana.url == f"https://app.breezy.hr/app/c/example-corp/p/{job}/pipeline"


async def test_requests_are_paced_under_100_a_minute_and_a_429_waits_for_the_reset(rig: Rig) -> None:
    adapter = rig.adapter()
    for _ in range(45):
        _ = [batch async for batch in adapter.candidate_batches()]
    sent = rig.sent()
    assert len(sent) > 150 and rig.sandbox.rate_limited == 0  # slowed down before the limit
    per_window = Counter(int(r.at // 60) for r in sent)
    assert max(per_window.values()) <= 100 and len(per_window) >= 2

    rig.clock.advance(60 - rig.clock() % 60)
    for _ in range(100):  # someone else spends this token's window
        await rig.client.get(f"{rig.url}/user", headers={"Authorization": SANDBOX_TOKEN})
    rig.clock.sleeps.clear()
    jobs = await rig.adapter().list_jobs()  # a fresh adapter knows nothing of the window: BreezyHR says 429
    assert jobs and rig.sandbox.rate_limited == 1
    assert [r.status for r in rig.sent()][-3:] == [429, 200, 200]
    assert any(wait >= 59 for wait in rig.clock.sleeps)  # waited until X-RateLimit-Reset


async def test_a_plan_without_api_access_is_named_at_connect(rig: Rig) -> None:
    rig.sandbox.api_access = False
    with pytest.raises(AuthError) as caught:
        await rig.adapter().validate()
    assert caught.value.status == 403 and "plan may not include API access" in str(caught.value)


async def test_a_bad_token_is_refused_with_advice_and_never_echoed(rig: Rig) -> None:
    with pytest.raises(AuthError) as caught:
        await rig.adapter(token="breezy_pat_nope_123").validate()
    assert str(caught.value).startswith("BreezyHR refused the token") and "breezy_pat_nope" not in str(caught.value)


async def test_the_company_is_picked_when_there_is_one_and_named_otherwise(rig: Rig) -> None:
    adapter = rig.adapter()
    await adapter.validate()
    assert adapter.stored_config().settings["company"] == COMPANY_ID
    with pytest.raises(ConfigError, match=r"has no company 'nope'\. Its companies: Example Corp \(id 5c0ffee0a1b2\)"):
        await rig.adapter(company="nope").validate()


def test_two_companies_are_listed_by_name_and_id() -> None:
    from adapters.breezyhr.account import pick_company
    from adapters.breezyhr.mapping import Company

    companies = [Company("a1", "Acme"), Company("b2", "Beta", "beta")]
    with pytest.raises(ConfigError, match=r"several companies.*--company ID.*Acme \(id a1\); Beta \(id b2\)"):
        pick_company(companies, None)
    assert pick_company(companies, "beta").remote_id == "b2"  # a friendly id works too


async def test_notes_go_to_the_team_stream_and_nothing_ever_to_the_conversation(rig: Rig) -> None:
    state = rig.sandbox.state
    row = next(iter(state.candidates.values()))
    adapter = rig.adapter()
    note = await adapter.create_note(Note(candidate_remote_id=row["_id"], body="hirebot: booked.\n\n[hirebot:evt-1]"))
    found = await rig.adapter().find_note(row["_id"], "[hirebot:evt-1]")  # a fresh adapter looks the position up
    assert found is not None and found.remote_id == note.remote_id

    posted = [r.path for r in rig.sent("POST")]
    assert posted and all(path.endswith("/stream") for path in posted)
    assert not any("/conversation" in r.path for r in rig.sent())
    assert state.conversations == {}
    assert [item["object"]["body"] for item in state.streams[row["_id"]] if item["type"] == "companyNotePosted"] \
        == ["hirebot: booked.\n\n[hirebot:evt-1]"]


async def test_a_new_candidate_goes_to_the_job_sourced_with_the_tag_then_the_cv(rig: Rig) -> None:
    state = rig.sandbox.state
    job = next(pid for pid, p in state.positions.items() if p["org_type"] == "position")
    person = NewCandidate(remote_id="", first_name="Siobhán", last_name="Ní Bhriain",
                          emails=(ContactValue("siobhan@example.ie"),),
                          links=(ContactValue("https://www.linkedin.com/in/siobhan", "linkedin"),))
    made = await rig.adapter().create_candidate(person, job_remote_id=job, source_tag="hirebot",
                                                resume=("cv.pdf", b"%PDF-1.4 cv", "application/pdf"))
    create, upload = rig.sent("POST")
    assert create.path == f"{API_PREFIX}/company/{COMPANY_ID}/position/{job}/candidates"
    assert create.json["origin"] == "sourced" and create.json["source"] == "hirebot"
    assert create.json["tags"] == ["hirebot"]
    assert create.json["social_profiles"] == {"linkedin": "https://www.linkedin.com/in/siobhan"}
    assert upload.path.endswith(f"/candidate/{made.remote_id}/resume") and upload.multipart
    assert state.resumes[made.remote_id] == ("cv.pdf", b"%PDF-1.4 cv")
    assert state.placed[made.remote_id] == job
    found = await rig.adapter().find_candidate_by_email("siobhan@example.ie")
    assert found is not None and found.remote_id == made.remote_id
    # Without a job, the person waits in the talent pool.
    pooled = await rig.adapter().create_candidate(
        NewCandidate(remote_id="", first_name="Kai", last_name="Pool", emails=(ContactValue("kai@example.org"),)))
    assert state.placed[pooled.remote_id] == POOL_ID


# -- webhooks through hirebot's receiver --------------------------------------------------------------------


def test_the_signature_is_checked_on_the_raw_body_then_its_compact_form() -> None:
    from adapters.sandbox.webhooks import hmac_sha256_hex

    body = {"_id": "evt1", "type": "candidateAdded", "object": {"candidate": {"_id": "c1", "name": "Zoë"}}}
    compact = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    spaced = json.dumps(body, indent=2).encode()  # re-serialised in transit: the compact form still verifies
    assert verify_webhook_signature(compact, hmac_sha256_hex(SECRET, compact), SECRET)
    assert verify_webhook_signature(spaced, hmac_sha256_hex(SECRET, compact), SECRET)
    assert not verify_webhook_signature(compact, hmac_sha256_hex("whsec_other", compact), SECRET)
    assert not verify_webhook_signature(compact, "sha256=" + hmac_sha256_hex(SECRET, compact), SECRET)
    with pytest.raises(BadSignature):
        BREEZYHR.webhooks.verify(compact, {"x-hook-signature": "0" * 64}, WebhookSecrets(tokens=(SECRET,)),
                                 NOW)


async def test_webhooks_reach_the_store_once_and_forgeries_store_nothing(rig: Rig, tmp_path: Path) -> None:
    runtime = open_runtime(tmp_path, f"sqlite:///{tmp_path / 'hooks.sqlite3'}")
    connection_id = add_connection(runtime, "breezyhr", rig.url, {"token": SANDBOX_TOKEN},
                                   settings={"company": COMPANY_ID, "company_friendly_id": "example-corp"})
    add_issued_token(runtime.sessions, runtime.box, connection_id, SECRET)

    def factory(connection: AtsConnection, client: httpx.AsyncClient) -> AtsAdapter:
        return BreezyAdapter(ConnectionConfig(base_url=connection.base_url,
                                              credentials=runtime.box.open(connection.credentials),
                                              settings=dict(connection.settings)), client,
                             sleep=rig.clock.sleep, clock=rig.clock, rng=random.Random(3))

    syncer = ConnectionSyncer(runtime.sessions, factory, now=rig.clock.moment)
    receiver = WebhookReceiver(runtime.sessions, runtime.box, syncer, adapter_factory=factory, now=rig.clock.moment)
    try:
        async with TestServer(create_web_app(runtime, receiver=receiver, now=rig.clock.moment),
                              host="127.0.0.1") as server, aiohttp.ClientSession() as http:
            hook_url = str(server.make_url(f"/webhooks/breezyhr/{connection_id}"))
            state = rig.sandbox.state
            job = next(pid for pid, p in state.positions.items() if p["org_type"] == "position")
            row = state.add_candidate("Ngozi Okonkwo-Brandt", position_id=job, email="ngozi@example.org")

            forged = rig.sandbox.add_webhook(hook_url, events=[], secret="whsec_not_ours")
            assert [d.status for d in await rig.sandbox.emit("candidateAdded", row["_id"])] == [401]
            del state.webhooks[forged["id"]]
            assert _stored(runtime) == set()

            rig.sandbox.add_webhook(hook_url, events=[], secret=SECRET)
            (delivery,) = await rig.sandbox.emit("candidateAdded", row["_id"])
            assert delivery.status == 200 and _stored(runtime) == {row["_id"]}
            async with http.post(hook_url, data=delivery.body, headers=delivery.headers) as again:
                assert again.status == 200 and (await again.json())["status"] == "duplicate"
            with runtime.sessions() as session:
                outcomes = [d.outcome for d in session.scalars(select(WebhookDelivery))]
            assert outcomes == ["processed"]

            state.delete_candidate(row["_id"])
            (deleted,) = await rig.sandbox.emit("candidateDeleted", row["_id"])
            assert deleted.status == 200 and _stored(runtime) == set()
    finally:
        runtime.close()


def _stored(runtime: Any) -> set[str]:
    with runtime.sessions() as session:
        return set(session.scalars(select(Candidate.remote_id)))


# -- the fake as the kit uses it ------------------------------------------------------------------------------


async def test_the_fake_shares_people_and_its_connect_values_connect(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    from adapters.sandbox.fake import FakeOptions
    from adapters.sandbox.people import PeopleGenerator
    from bot.connections import ConnectionService
    from bot.directory import Directory
    from store.crypto import SecretBox
    from store.db import make_engine, session_factory, upgrade

    shared = tuple(PeopleGenerator(99, without_email=0.0).people(3))
    sandbox = BreezySandbox.build(FakeOptions(candidates=25, seed=4, shared_people=shared))
    records = list(sandbox.state.candidates.values())
    assert len(records) == 25
    assert [(r["name"], r["email_address"]) for r in records[:3]] == [(p.name, p.emails[0].value) for p in shared]

    engine = make_engine(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    upgrade(engine)
    service = ConnectionService(session_factory(engine), SecretBox(Fernet.generate_key()))
    async with TestServer(sandbox.app, host="127.0.0.1") as server:
        values = sandbox.connect_values(str(server.make_url("")).rstrip("/"))
        info = await service.connect(Directory(service.sessions).local_admin(), "breezyhr", values)
        summary = await service.sync(info.id)
    assert summary.created == 25
    engine.dispose()


async def test_a_400_invalid_access_token_is_refused_credentials_too() -> None:
    """BreezyHR's docs say 401 for a bad token, the live API answers 400: the error type decides."""
    async def refuse(request: aiohttp.web.Request) -> aiohttp.web.Response:
        return aiohttp.web.json_response({"error": {"type": "invalidAccessToken", "message": "Invalid token"}},
                                         status=400)

    app = aiohttp.web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    async with TestServer(app, host="127.0.0.1") as server, httpx.AsyncClient() as client:
        adapter = BreezyAdapter(ConnectionConfig(base_url=str(server.make_url("/v3")),
                                                 credentials={"token": "breezy_pat_live_400"}), client)
        with pytest.raises(AuthError) as caught:
            await adapter.list_jobs()
    assert caught.value.status == 401 and str(caught.value).startswith("BreezyHR refused the token")


async def test_a_candidate_on_a_position_made_after_the_list_was_read_is_still_found(rig: Rig) -> None:
    from adapters.sandbox.breezyhr_dataset import POSITION_NAMES

    adapter = rig.adapter()
    await adapter.list_jobs()  # the position list is read and kept
    state = rig.sandbox.state
    template = next(p for p in state.positions.values() if p["org_type"] == "position")
    state.positions["0c0ffee00042"] = {**template, "_id": "0c0ffee00042", "name": POSITION_NAMES[-1]}
    row = state.add_candidate("Lena Neu", position_id="0c0ffee00042", email="lena@example.org")
    rig.clock.advance(10)

    batch = await adapter.fetch_candidates([row["_id"]])
    assert [c.remote_id for c in batch.candidates] == [row["_id"]]
    assert batch.applications[0].job_remote_id == "0c0ffee00042"
    gone = await adapter.fetch_candidates(["ffffffffffff"])
    assert gone.candidates == ()
