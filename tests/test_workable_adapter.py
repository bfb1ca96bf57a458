"""What only Workable does, against its fake over loopback: the bearer token, `paging.next` followed as
given, the 10-requests-per-10-s window read from its headers (and a 429 waited out to its reset time),
status from `disqualified` and the hired stage, detail reads on demand, connect-time checks that name a bad
token, a missing scope or a wrong subdomain, comments as a member, new candidates with the CV as base64, and
webhooks checked with the token (a bad signature gets 401 and nothing is stored)."""

from __future__ import annotations

import base64
import json
import math
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import Capability, ConnectionConfig
from adapters.errors import AuthError, ConfigError
from adapters.http import RetryPolicy
from adapters.models import ApplicationStatus, Candidate, ContactValue, Note
from adapters.sandbox import workable as workable_fake
from adapters.sandbox.workable_dataset import generate
from adapters.webhooks import BadSignature, WebhookSecrets
from adapters.workable import WorkableAdapter, parse_webhook, sign
from adapters.workable.spec import WORKABLE, check_values
from adapters.write_policy import AtsPerson, MeetingFacts
from bot.web import create_web_app
from store.db import transaction
from store.models import Candidate as StoredCandidate
from store.models import WebhookDelivery
from store.sync import refresh_candidates, sync_connection
from tests import factories
from tests.clocks import EpochClock
from tests.rigs.webhook_hub import add_connection, open_runtime

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TOKEN = workable_fake.SANDBOX_TOKEN


@dataclass
class Rig:
    sandbox: workable_fake.WorkableSandbox
    url: str  # the API root
    client: httpx.AsyncClient
    clock: EpochClock

    def adapter(self, token: str = TOKEN, *, subdomain: str = "hirebot-sandbox", **settings: str) -> WorkableAdapter:
        config = ConnectionConfig(base_url=self.url, credentials={"token": token},
                                  settings={"subdomain": subdomain, **settings})
        return WorkableAdapter(config, self.client, sleep=self.clock.sleep, clock=self.clock, rng=random.Random(1),
                               policy=RetryPolicy(max_attempts=4, max_delay=2.0))

    def paths(self, method: str = "GET") -> list[str]:
        return [r.path for r in self.sandbox.requests if r.method == method]


async def serve(candidates: int = 250, *, rate_limit: int = workable_fake.ACCOUNT_RATE,
                tokens: dict[str, frozenset[str]] | None = None) -> tuple[workable_fake.WorkableSandbox, TestServer,
                                                                            EpochClock]:
    clock = EpochClock(NOW + timedelta(days=1))
    sandbox = workable_fake.WorkableSandbox(generate(seed=3, candidates=candidates, now=NOW), clock=clock,
                                            rate_limit=rate_limit, tokens=tokens,
                                            chaos=workable_fake.Chaos(sleep=clock.sleep))
    server = TestServer(sandbox.app, host="127.0.0.1")
    await server.start_server()
    return sandbox, server, clock


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    sandbox, server, clock = await serve()
    async with httpx.AsyncClient() as client:
        yield Rig(sandbox, str(server.make_url(workable_fake.API_PREFIX)), client, clock)
    await server.close()


async def everything(adapter: WorkableAdapter, since: datetime | None = None) -> list[Candidate]:
    found: list[Candidate] = []
    async for batch in adapter.candidate_batches(updated_since=since):
        found.extend(batch.candidates)
    return found


# --- reads ------------------------------------------------------------------------------------------------


async def test_pages_follow_paging_next_with_the_bearer_token_and_no_detail_reads(rig: Rig) -> None:
    found = await everything(rig.adapter())

    assert [c.remote_id for c in found] == sorted(rig.sandbox.state.candidates)
    listed = [r for r in rig.sandbox.requests if r.path == f"{workable_fake.API_PREFIX}/candidates"]
    assert len(listed) == math.ceil(250 / 100)
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in rig.sandbox.requests)
    assert [r.param("since_id") for r in listed] == [None, found[100].remote_id, found[200].remote_id]
    assert all(r.param("limit") == "100" for r in listed)
    assert not any(p.startswith(f"{workable_fake.API_PREFIX}/candidates/") for p in rig.paths())
    first = rig.sandbox.state.candidates[found[0].remote_id]
    assert found[0].url == first["profile_url"] and found[0].emails[0].value == first["email"]


async def test_status_stage_and_job_come_from_the_list(rig: Rig) -> None:
    state = rig.sandbox.state
    apps = {}
    async for batch in rig.adapter().candidate_batches():
        apps.update({a.remote_id: a for a in batch.applications})
    rejected = next(c for c in state.candidates.values() if c["disqualified"])
    hired = next(c for c in state.candidates.values() if c["stage_kind"] == "hired")
    pooled = next(c for c in state.candidates.values() if c["job"] is None)
    assert apps[rejected["id"]].status is ApplicationStatus.REJECTED
    assert apps[hired["id"]].status is ApplicationStatus.HIRED
    assert apps[hired["id"]].hired_at == datetime.fromisoformat(hired["hired_at"].replace("Z", "+00:00"))
    assert apps[hired["id"]].stage_name == "Hired" and apps[hired["id"]].job_remote_id == hired["job"]["shortcode"]
    assert apps[pooled["id"]].prospect and apps[pooled["id"]].job_remote_id is None


async def test_detail_reads_add_tags_links_and_the_rejection_date(rig: Rig) -> None:
    state = rig.sandbox.state
    rejected = next(c for c in state.candidates.values() if c["disqualified"] and c["social_profiles"] and c["tags"])
    batch = await rig.adapter().fetch_candidates([rejected["id"], "fffffff"])
    (candidate,) = batch.candidates
    assert candidate.tags == tuple(rejected["tags"])
    assert [link.value for link in candidate.links] == [p["url"] for p in rejected["social_profiles"]]
    rejected_at = datetime.fromisoformat(rejected["disqualified_at"].replace("Z", "+00:00"))
    assert batch.applications[0].rejected_at == rejected_at
    assert batch.requests == 2  # one detail read per id; the unknown one is simply absent
    assert rig.adapter().candidate_url(rejected["id"]).startswith("https://hirebot-sandbox.workable.com/backend")


async def test_incremental_sync_asks_with_updated_after(rig: Rig) -> None:
    changed = sorted(rig.sandbox.state.candidates)[7]
    rig.sandbox.state.update_candidate(changed, firstname="Zoë", now=rig.clock.moment())
    found = await everything(rig.adapter(), since=rig.clock.moment() - timedelta(minutes=5))
    assert [c.remote_id for c in found] == [changed] and found[0].first_name == "Zoë"
    listed = [r for r in rig.sandbox.requests if r.path.endswith("/candidates")]
    assert listed[-1].param("updated_after") == (rig.clock.moment() - timedelta(minutes=5)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


async def test_a_full_sync_stays_under_ten_requests_per_ten_seconds_without_a_429() -> None:
    sandbox, server, clock = await serve(candidates=1400)
    try:
        async with httpx.AsyncClient() as client:
            rig = Rig(sandbox, str(server.make_url(workable_fake.API_PREFIX)), client, clock)
            adapter = rig.adapter()
            await adapter.list_users()
            await adapter.list_jobs()
            await adapter.list_stages()
            assert len(await everything(adapter)) == 1400
    finally:
        await server.close()
    assert sandbox.rate_limited == 0 and all(r.status != 429 for r in sandbox.requests)
    sent = [r.at for r in sandbox.requests]
    for start in sent:  # in any 10 s, at most 10 requests
        assert sum(1 for at in sent if start <= at < start + 10) <= 10
    assert any(wait > 0 for wait in clock.sleeps)  # it slowed down before the limit


async def test_a_429_is_waited_out_until_its_reset_header() -> None:
    sandbox, server, clock = await serve()
    try:
        async with httpx.AsyncClient() as client:
            rig = Rig(sandbox, str(server.make_url(workable_fake.API_PREFIX)), client, clock)
            for _ in range(10):  # another client of the same account spends the window
                await client.get(f"{rig.url}/stages", headers={"Authorization": f"Bearer {TOKEN}"})
            stages = await rig.adapter().list_stages()
    finally:
        await server.close()
    assert [s.name for s in stages][:2] == ["Sourced", "Applied"]
    statuses = [r.status for r in sandbox.requests]
    assert statuses[10:] == [429, 200]
    reset = math.floor(clock.now / 10) * 10  # the window the retry landed in started at the reset
    assert clock.sleeps and sandbox.requests[-1].at >= reset


# --- connect-time checks ------------------------------------------------------------------------------------


async def scoped(scopes: set[str]) -> tuple[workable_fake.WorkableSandbox, TestServer, EpochClock]:
    return await serve(candidates=20, tokens={TOKEN: frozenset(scopes)})


@pytest.mark.parametrize(("scopes", "named"), [
    ({"r_jobs", "w_candidates", "w_comments"}, "r_candidates"),
    ({"r_candidates", "w_candidates", "w_comments"}, "r_jobs"),
    ({"r_jobs", "r_candidates"}, "w_comments"),
])
async def test_validate_names_a_missing_scope_and_changes_nothing(scopes: set[str], named: str) -> None:
    sandbox, server, clock = await scoped(scopes)
    try:
        async with httpx.AsyncClient() as client:
            rig = Rig(sandbox, str(server.make_url(workable_fake.API_PREFIX)), client, clock)
            before = json.dumps(sandbox.state.activities, sort_keys=True), len(sandbox.state.candidates)
            with pytest.raises(AuthError) as caught:
                await rig.adapter().validate()
    finally:
        await server.close()
    assert f"lacks the {named} scope" in str(caught.value) and TOKEN not in str(caught.value)
    assert (json.dumps(sandbox.state.activities, sort_keys=True), len(sandbox.state.candidates)) == before


async def test_validate_passes_a_full_token_and_warns_without_w_candidates() -> None:
    sandbox, server, clock = await scoped({"r_jobs", "r_candidates", "w_comments"})
    try:
        async with httpx.AsyncClient() as client:
            rig = Rig(sandbox, str(server.make_url(workable_fake.API_PREFIX)), client, clock)
            adapter = rig.adapter()
            await adapter.validate()
            full = Rig(sandbox, rig.url, client, clock)
            sandbox.tokens["full-token"] = workable_fake.ALL_SCOPES
            await full.adapter("full-token").validate()
    finally:
        await server.close()
    assert adapter.permission_warnings and "w_candidates" in adapter.permission_warnings[0]
    assert not adapter.supports(Capability.CREATE_CANDIDATES)


async def test_validate_names_a_bad_token_and_a_wrong_subdomain(rig: Rig) -> None:
    with pytest.raises(AuthError) as refused:
        await rig.adapter("not-the-token-123").validate()
    assert str(refused.value).startswith("Workable refused the access token") and refused.value.status == 401
    with pytest.raises(ConfigError, match="belongs to hirebot-sandbox, not acme"):
        await rig.adapter(subdomain="acme").validate()
    with pytest.raises(ConfigError, match="subdomain"):
        check_values("https://x.workable.com/spi/v3", {"subdomain": "acme.workable.com"})
    assert WORKABLE.default_base_url({"subdomain": "acme"}) == "https://acme.workable.com/spi/v3"


# --- writes ---------------------------------------------------------------------------------------------------


async def test_a_comment_is_posted_as_the_member_and_refused_without_one(rig: Rig) -> None:
    state = rig.sandbox.state
    candidate = sorted(state.candidates)[3]
    member = state.active_member_ids()[2]
    note = await rig.adapter().create_note(Note(candidate, "hirebot: booked Tue 10:00 with Harper. Location: Room 4."
                                                           "\n\n[hirebot:evt-9]"), acting_user_id=member)
    (sent,) = [r for r in rig.sandbox.requests if r.method == "POST"]
    assert sent.json == {"member_id": member, "comment": {"body": note.body}}
    assert note.remote_id == f"{candidate}:[hirebot:evt-9]"
    found = await rig.adapter().find_note(candidate, "[hirebot:evt-9]")
    assert found is not None and found.remote_id == note.remote_id and found.author_remote_id == member
    with pytest.raises(ConfigError, match="member"):
        await rig.adapter().create_note(Note(candidate, "x"))
    assert len([r for r in rig.sandbox.requests if r.method == "POST"]) == 1


async def test_a_new_candidate_goes_on_the_job_sourced_with_tag_cv_and_linkedin(rig: Rig) -> None:
    person = Candidate(remote_id="", first_name="Siobhán", last_name="Ní Bhriain",
                       emails=(ContactValue("siobhan@example.ie", "personal"),),
                       links=(ContactValue("https://www.linkedin.com/in/siobhan", "linkedin"),))
    created = await rig.adapter().create_candidate(person, job_remote_id="HBOT002", source_tag="hirebot",
                                                   stage_id="interview",
                                                   resume=("cv.pdf", b"%PDF-1.4 cv", "application/pdf"),
                                                   resume_url="https://hirebot.example/files/t")
    (sent,) = [r for r in rig.sandbox.requests if r.method == "POST"]
    assert sent.path == f"{workable_fake.API_PREFIX}/jobs/HBOT002/candidates" and sent.param("stage") == "interview"
    body = sent.json
    assert body["sourced"] is True
    assert body["candidate"]["tags"] == ["hirebot"] and body["candidate"]["domain"] == "hirebot"
    assert body["candidate"]["social_profiles"] == [{"type": "linkedin", "url": "https://www.linkedin.com/in/siobhan"}]
    assert base64.b64decode(body["candidate"]["resume"]["data"]) == b"%PDF-1.4 cv"
    assert "resume_url" not in body["candidate"]  # the bytes went; the link is for ATSs that download
    record = rig.sandbox.state.candidates[created.remote_id]
    assert record["job"]["shortcode"] == "HBOT002" and record["stage"] == "Interview"
    assert created.url == record["profile_url"]
    found = await rig.adapter().find_candidate_by_email("SIOBHAN@example.ie")
    assert found is not None and found.remote_id == created.remote_id


def test_the_policy_comments_as_the_first_invited_member_or_says_why_not() -> None:
    policy = WORKABLE.write_policy
    harper = AtsPerson("m2", "Harper", frozenset({"harper@x.example"}))
    facts = MeetingFacts(candidate_name="Jane", meeting_title="Screen", meeting_created_at=NOW,
                         invited_email="jane@x.example", invited_emails=frozenset({"harper@x.example"}),
                         invited_ats_users=(harper,), hiring_managers=(), candidate_remote_id="abc1234")
    assert policy.decide(facts).acting_user_id == "m2" and policy.decide(facts).problem is None
    alone = policy.decide(MeetingFacts(**{**facts.__dict__, "invited_ats_users": ()}))
    assert alone.problem and "member" in alone.problem
    text = policy.notice(candidate_name="Jane", meeting_title="Screen", where="Workable", problem=alone.problem)
    assert "Workable member" in text and "*" not in text


# --- webhooks -------------------------------------------------------------------------------------------------


def test_the_signature_is_the_hex_hmac_of_the_body_under_the_token() -> None:
    body = json.dumps({"id": "d1", "resource_type": "candidate", "event_type": "candidate_moved",
                       "fired_at": "2026-03-02T10:00:00Z", "data": {"id": "1a00010"}}).encode()
    verify = WORKABLE.webhooks.verify
    good = {"x-workable-signature": sign(TOKEN, body)}
    trigger = verify(body, good, WebhookSecrets(tokens=(TOKEN,)), NOW)
    assert trigger.candidate_ids == ("1a00010",) and trigger.delivery_id == "d1"
    for headers, secrets in (({"x-workable-signature": sign("other", body)}, WebhookSecrets(tokens=(TOKEN,))),
                             ({}, WebhookSecrets(tokens=(TOKEN,))), (good, WebhookSecrets())):
        with pytest.raises(BadSignature):
            verify(body, headers, secrets, NOW)
    deleted = parse_webhook(body.replace(b"candidate_moved", b"candidate_deleted"))
    assert deleted.deleted_candidate_ids == ("1a00010",) and not deleted.candidate_ids
    assert not parse_webhook(body.replace(b'"candidate"', b'"employee"', 1)).has_work


async def test_deliveries_reach_hirebot_checked_with_the_token(tmp_path: Path) -> None:
    sandbox, server, _ = await serve(candidates=40, rate_limit=workable_fake.OAUTH_RATE)
    runtime = open_runtime(tmp_path, f"sqlite:///{tmp_path / 'hirebot.sqlite3'}")
    api = str(server.make_url(workable_fake.API_PREFIX))
    try:
        connection_id = add_connection(runtime, "workable", api, {"token": TOKEN},
                                       settings={"subdomain": "hirebot-sandbox"})
        async with TestServer(create_web_app(runtime), host="127.0.0.1") as web, httpx.AsyncClient() as client:
            hook = str(web.make_url(f"/webhooks/workable/{connection_id}"))
            subject = sorted(sandbox.state.candidates)[5]
            body = json.dumps({"id": "del-1", "resource_type": "candidate", "event_type": "candidate_moved",
                               "fired_at": "2026-03-02T10:00:00Z", "data": {"id": subject}}).encode()
            forged = await client.post(hook, content=body, headers={"X-Workable-Signature": sign("guess", body)})
            assert forged.status_code == 401
            with runtime.sessions() as session:
                assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
                assert session.scalar(select(func.count()).select_from(StoredCandidate)) == 0
            # Subscribed the way `hirebot webhooks` says: one URL per event, signed with the token.
            sandbox.add_subscription(f"{hook}?event=candidate_moved", "candidate_moved", token=TOKEN)
            assert await sandbox.emit("candidate_moved", subject) == [200]
            replay = sandbox.deliveries[-1]
            again = await client.post(hook, content=replay.body, headers=replay.headers)
            assert again.status_code == 200 and again.json()["status"] == "duplicate"
    finally:
        runtime.close()
        await server.close()
    with runtime.sessions() as session:
        names = list(session.scalars(select(StoredCandidate.remote_id)))
    assert names == [subject]


async def test_a_synced_store_follows_a_refresh(sessions: sessionmaker[Session]) -> None:
    sandbox, server, clock = await serve(candidates=30, rate_limit=workable_fake.OAUTH_RATE)
    try:
        async with httpx.AsyncClient() as client:
            rig = Rig(sandbox, str(server.make_url(workable_fake.API_PREFIX)), client, clock)
            workspace = factories.workspace(sessions)
            connection_id = factories.connection(sessions, workspace, provider="workable").id
            summary = await sync_connection(sessions, connection_id, rig.adapter(), now=clock.moment)
            assert summary.created == 30 and summary.jobs == 7 and summary.users == 5
            gone = sorted(sandbox.state.candidates)[0]
            sandbox.state.delete_candidate(gone)
            refreshed = await refresh_candidates(sessions, connection_id, rig.adapter(), [gone], now=clock.moment)
            assert refreshed.deleted == 1
            with transaction(sessions) as session:
                assert session.scalar(select(func.count()).select_from(StoredCandidate)) == 29
    finally:
        await server.close()


async def test_an_address_with_no_workable_api_is_named(rig: Rig) -> None:
    config = ConnectionConfig(base_url=rig.url.replace("/spi/v3", "/nothing-here"), credentials={"token": TOKEN},
                              settings={"subdomain": "hirebot-sandbox"})
    adapter = WorkableAdapter(config, rig.client, sleep=rig.clock.sleep, clock=rig.clock)
    with pytest.raises(ConfigError, match=r"no API at .*check the subdomain"):
        await adapter.validate()
