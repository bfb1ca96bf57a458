"""What only Teamtailor does, against its fake over loopback: the headers every request carries, paging by
`links.next`, a key tried in the other region, permission levels named at connect time, pacing from the
rate-limit headers, status from job applications (and a stage move found by an incremental sync), signed
file links never stored, notes by the organizer's user, new candidates with a CV Teamtailor downloads, and
`TT-Signature` webhooks through hirebot's real receiver (a bad signature is a 401 and stores nothing)."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp.test_utils import TestServer
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import ConnectionConfig
from adapters.errors import AuthError, ConfigError
from adapters.http import RetryPolicy
from adapters.models import ApplicationStatus, AttachmentType, Candidate, ContactValue, Note
from adapters.sandbox.teamtailor import SANDBOX_API_KEY, ApiKey, Chaos, TeamtailorSandbox
from adapters.sandbox.teamtailor_dataset import TeamtailorState, generate
from adapters.teamtailor import API_VERSION, REGION_URLS, TeamtailorAdapter, signature_v1, signature_v2
from adapters.teamtailor.spec import TEAMTAILOR
from adapters.webhooks import BadSignature, WebhookSecrets
from bot.connections import ConnectionService
from bot.directory import Directory
from bot.web import create_web_app
from bot.webhooks import WebhookReceiver
from scheduler.sync_jobs import ConnectionSyncer
from store.crypto import SecretBox
from store.db import make_engine, session_factory, transaction, upgrade
from store.models import AtsConnection, Workspace
from store.models import Candidate as StoredCandidate
from store.sync import sync_connection
from store.webhook_secrets import add_issued_token
from tests import factories
from tests.clocks import EpochClock
from tests.resume_links import ResumeLinks
from tests.rigs.webhook_hub import open_runtime

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
RETRY = RetryPolicy(max_attempts=3, max_delay=4.0)
SIGNING_KEY = "tt-signature-key-0042"


@dataclass
class Rig:
    sandbox: TeamtailorSandbox
    url: str  # the API root
    client: httpx.AsyncClient
    clock: EpochClock

    def adapter(self, key: str = SANDBOX_API_KEY, **settings: Any) -> TeamtailorAdapter:
        config = ConnectionConfig(base_url=self.url, credentials={"api_key": key}, settings=settings)
        return TeamtailorAdapter(config, self.client, policy=RETRY, sleep=self.clock.sleep, clock=self.clock,
                                 rng=random.Random(2))

    @property
    def state(self) -> TeamtailorState:
        return self.sandbox.state


async def serve(sandbox: TeamtailorSandbox, clock: EpochClock) -> AsyncIterator[Rig]:
    async with TestServer(sandbox.app, host="127.0.0.1") as server, httpx.AsyncClient() as client:
        yield Rig(sandbox, str(server.make_url("/v1")), client, clock)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    clock = EpochClock(NOW + timedelta(days=1))
    keys = {SANDBOX_API_KEY: ApiKey(), "internal-key": ApiKey(level="internal"),
            "read-only-key": ApiKey(scope="read")}
    sandbox = TeamtailorSandbox(generate(seed=3, candidates=75, now=NOW), keys=keys, clock=clock,
                                chaos=Chaos(sleep=clock.sleep), rate_limit=1000)
    async for started in serve(sandbox, clock):
        yield started


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'tt.sqlite3'}")
    upgrade(engine)
    return session_factory(engine)


# --- the wire -----------------------------------------------------------------------------------------------


async def test_every_request_carries_the_token_the_pinned_version_and_json_api(rig: Rig) -> None:
    adapter = rig.adapter()
    batches = [batch async for batch in adapter.candidate_batches()]

    assert sum(len(b.candidates) for b in batches) == len(rig.state.candidates)
    assert [len(b.candidates) for b in batches] == [30, 30, 15]  # page size 30, the documented maximum
    for request in rig.sandbox.requests:
        assert request.headers["Authorization"] == f"Token token={SANDBOX_API_KEY}"
        assert request.headers["X-Api-Version"] == API_VERSION
        assert request.headers["Accept"] == "application/vnd.api+json"
    listing = [r for r in rig.sandbox.requests if r.path == "/v1/candidates"]
    assert len(listing) == 3 and ("page[size]", "30") in listing[0].pairs and \
        ("include", "job-applications") in listing[0].pairs
    assert ("page[number]", "3") in listing[2].pairs  # the pages after the first are links.next, as given
    per_candidate = [r for r in rig.sandbox.requests if r.path.startswith("/v1/candidates/")]
    assert per_candidate == []  # no request per candidate during a sync


async def test_the_fake_refuses_a_missing_or_unknown_version_with_406(rig: Rig) -> None:
    auth = {"Authorization": f"Token token={SANDBOX_API_KEY}"}
    for headers in (auth, {**auth, "X-Api-Version": "20991231"}):
        answer = await rig.client.get(f"{rig.url}/company", headers=headers)
        assert answer.status_code == 406 and answer.json()["errors"][0]["status"] == "406"


async def test_status_stage_job_and_dates_come_from_job_applications(rig: Rig) -> None:
    state = rig.state
    batches = [batch async for batch in rig.adapter().candidate_batches()]
    applications = {a.remote_id: a for b in batches for a in b.applications}
    assert set(applications) == set(state.applications)
    for app_id, row in state.applications.items():
        got = applications[app_id]
        stage = state.stages[row["stage_id"]]
        assert (got.stage_name, got.job_remote_id, got.candidate_remote_id) == (
            stage["name"], row["job_id"], row["candidate_id"])
        if row["rejected_at"] is not None:
            assert got.status is ApplicationStatus.REJECTED and got.rejected_at == row["rejected_at"]
        elif stage["stage_type"] == "Hired":
            assert got.status is ApplicationStatus.HIRED and got.hired_at == row["changed_stage_at"]
        else:
            assert got.status is ApplicationStatus.ACTIVE
    assert {a.status for a in applications.values()} == set(ApplicationStatus)
    # Signed file links expire in ~30 s: files link to the candidate's page in Teamtailor instead.
    for attachment in (item for b in batches for item in b.attachments):
        assert attachment.url == f"https://app.teamtailor.com/companies/{state.company_id}/candidates/" \
                                 f"{attachment.candidate_remote_id}"
    assert any(a.type is AttachmentType.RESUME for b in batches for a in b.attachments)
    candidate = next(c for b in batches for c in b.candidates)
    assert candidate.url == f"https://app.teamtailor.com/companies/{state.company_id}/candidates/{candidate.remote_id}"


async def test_a_server_that_ignores_include_still_gives_every_application(rig: Rig) -> None:
    rig.sandbox.ignore_include = True
    batches = [batch async for batch in rig.adapter().candidate_batches()]
    got = {a.remote_id: (a.candidate_remote_id, a.stage_name) for b in batches for a in b.applications}
    assert got == {aid: (a["candidate_id"], rig.state.stages[a["stage_id"]]["name"])
                   for aid, a in rig.state.applications.items()}


async def test_an_unknown_stage_type_is_tolerated_as_active(rig: Rig) -> None:
    row = next(a for a in rig.state.applications.values() if a["rejected_at"] is None)
    rig.state.stages[row["stage_id"]]["stage_type"] = "Some future type"
    batch = await rig.adapter().fetch_candidates([row["candidate_id"], "999999"])
    (got,) = [a for a in batch.applications if a.remote_id == row["id"]]
    assert got.status is ApplicationStatus.ACTIVE and got.stage_name == rig.state.stages[row["stage_id"]]["name"]
    assert [c.remote_id for c in batch.candidates] == [row["candidate_id"]]  # the unknown id is simply absent


async def test_an_incremental_sync_finds_a_stage_move_that_left_the_candidate_untouched(
        rig: Rig, sessions: sessionmaker[Session]) -> None:
    workspace = factories.workspace(sessions)
    connection_id = factories.connection(sessions, workspace, provider="teamtailor").id
    await sync_connection(sessions, connection_id, rig.adapter(), now=rig.clock.moment)
    row = next(a for a in rig.state.applications.values()
               if a["rejected_at"] is None and rig.state.stages[a["stage_id"]]["stage_type"] != "Hired")
    rig.clock.advance(600)
    hired = rig.state.job_stages(row["job_id"])[-1]
    rig.state.move_application(row["id"], hired["id"], now=rig.clock.moment())
    rig.sandbox.requests.clear()
    summary = await sync_connection(sessions, connection_id, rig.adapter(), now=rig.clock.moment)

    assert not summary.full and summary.updated == 1
    filters = [r for r in rig.sandbox.requests if r.path == "/v1/job-applications"]
    assert filters and any(k == "filter[updated-at][from]" for k, _ in filters[0].pairs)
    batch = await rig.adapter().fetch_candidates([row["candidate_id"]])
    assert next(a for a in batch.applications if a.remote_id == row["id"]).status is ApplicationStatus.HIRED


# --- connect: key, region, permission level -----------------------------------------------------------------


class Regions(httpx.AsyncBaseTransport):
    """Sends Teamtailor's two public API hosts to two fakes on loopback (real HTTP, other addresses)."""

    def __init__(self, routes: dict[str, str]) -> None:
        self.routes = routes
        self.inner = httpx.AsyncHTTPTransport()
        self.hosts: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        target = httpx.URL(self.routes[request.url.host])
        request.url = request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port)
        request.headers["Host"] = f"{target.host}:{target.port}"
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def regions() -> AsyncIterator[tuple[TeamtailorSandbox, TeamtailorSandbox, dict[str, str]]]:
    eu = TeamtailorSandbox(generate(seed=8, candidates=4, now=NOW), keys={"eu-key": ApiKey()})
    na = TeamtailorSandbox(generate(seed=9, candidates=4, now=NOW), keys={"na-key": ApiKey()})
    async with TestServer(eu.app, host="127.0.0.1") as eu_server, TestServer(na.app, host="127.0.0.1") as na_server:
        routes = {httpx.URL(REGION_URLS["eu"]).host: str(eu_server.make_url("")),
                  httpx.URL(REGION_URLS["na"]).host: str(na_server.make_url(""))}
        yield eu, na, routes


async def test_a_key_refused_in_one_region_is_tried_in_the_other_and_that_region_is_stored(
        regions: tuple[TeamtailorSandbox, TeamtailorSandbox, dict[str, str]], tmp_path: Path) -> None:
    _, na, routes = regions
    engine = make_engine(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    upgrade(engine)
    transport = Regions(routes)
    service = ConnectionService(session_factory(engine), SecretBox(Fernet.generate_key()),
                                client_factory=lambda: httpx.AsyncClient(transport=transport))
    admin = Directory(service.sessions).local_admin()
    info = await service.connect(admin, "teamtailor", {"api_key": "na-key", "region": "eu"})

    assert transport.hosts[:2] == ["api.teamtailor.com", "api.na.teamtailor.com"]  # EU first, then NA
    assert len(info.notes) == 1 and "works in the North America (NA) region" in info.notes[0]
    with service.sessions() as session:
        row = session.get(AtsConnection, info.id)
        assert row is not None
        assert row.base_url == REGION_URLS["na"]
        assert row.settings["region"] == "na" and row.settings["company_id"] == na.state.company_id

    eu_info = await service.connect(admin, "teamtailor", {"api_key": "eu-key", "region": "na"})
    assert "works in Teamtailor's EU region" in eu_info.notes[0] or "works in the EU region" in eu_info.notes[0]
    with pytest.raises(AuthError, match="refused the API key in both regions"):
        await service.connect(admin, "teamtailor", {"api_key": "no-such-key"})
    assert "no-such-key" not in str(eu_info)


async def test_a_base_url_means_no_region_fallback(rig: Rig) -> None:
    with pytest.raises(AuthError, match=r"^Teamtailor refused the API key") as caught:
        await rig.adapter(key="wrong-key").validate()
    assert "wrong-key" not in str(caught.value)
    assert [r.status for r in rig.sandbox.requests] == [401]


async def test_permission_level_and_scope_are_named(rig: Rig) -> None:
    with pytest.raises(AuthError, match="permission level is Public or Internal, and hirebot needs Admin"):
        await rig.adapter(key="internal-key").validate()
    read_only = rig.adapter(key="read-only-key")
    await read_only.validate()  # reading is enough to connect; a write names the scope
    subject = next(iter(rig.state.candidates))
    with pytest.raises(AuthError, match="scope must be read/write"):
        await read_only.create_note(Note(candidate_remote_id=subject, body="hello"))
    assert rig.state.notes == {}


async def test_the_spec_has_exactly_the_issue_flags(rig: Rig) -> None:
    assert [f.flag for f in TEAMTAILOR.fields] == ["--api-key", "--region", "--base-url"]
    assert TEAMTAILOR.default_base_url({"region": "eu"}) == "https://api.teamtailor.com/v1"
    assert TEAMTAILOR.default_base_url({"region": "na"}) == "https://api.na.teamtailor.com/v1"
    assert not TEAMTAILOR.org_scope_allowed
    with pytest.raises(ConfigError, match="eu or na"):
        TeamtailorAdapter(ConnectionConfig("", {"api_key": "k"}, {"region": "us"}), rig.client)


# --- rate limits --------------------------------------------------------------------------------------------


async def test_the_adapter_slows_down_before_the_window_runs_out(rig: Rig) -> None:
    rig.sandbox.window.limit = 4  # four requests per 10 s window, announced in X-Rate-Limit-* headers
    adapter = rig.adapter(requests_per_second=1000, burst=1000)  # pacing off: the headers alone must do it
    batches = [batch async for batch in adapter.candidate_batches()]
    users = await adapter.list_users()

    assert sum(len(b.candidates) for b in batches) == len(rig.state.candidates) and users
    assert rig.sandbox.rate_limited == 0  # never hit the limit
    assert any(wait >= 1 for wait in rig.clock.sleeps)  # waited for the window instead


async def test_a_429_waits_the_reset_seconds(rig: Rig) -> None:
    rig.sandbox.chaos.fail_next(429, path="/candidates", retry_after=9)
    batches = [batch async for batch in rig.adapter().candidate_batches()]
    assert sum(len(b.candidates) for b in batches) == len(rig.state.candidates)
    assert 9.0 in rig.clock.sleeps


async def test_requests_are_paced_to_about_two_a_second_by_default(rig: Rig) -> None:
    start = rig.clock()
    [batch async for batch in rig.adapter().candidate_batches()]
    sent = len(rig.sandbox.requests)
    assert rig.clock() - start >= (sent - 2) / 2.0


# --- writes ---------------------------------------------------------------------------------------------------


async def test_notes_name_the_organizers_user_or_fall_back_to_the_key_owner(rig: Rig) -> None:
    adapter = rig.adapter()
    subject = next(iter(rig.state.candidates))
    organizer = next(uid for uid, u in rig.state.users.items() if u["role"] == "recruiter")
    mine = await adapter.create_note(Note(candidate_remote_id=subject, body="Booked\n[hirebot:a]"),
                                     acting_user_id=organizer)
    owners = await adapter.create_note(Note(candidate_remote_id=subject, body="Reminder\n[hirebot:b]"))
    assert rig.state.notes[str(mine.remote_id)]["user_id"] == organizer
    assert rig.state.notes[str(owners.remote_id)]["user_id"] == rig.state.owner_user_id()
    found = await adapter.find_note(subject, "[hirebot:b]")
    assert found is not None and found.remote_id == owners.remote_id and found.body.endswith("[hirebot:b]")
    # Where the candidate's notes route is unknown (404), the newest notes of the company are searched.
    rig.sandbox.chaos.fail_next(404, path=f"/candidates/{subject}/notes")
    again = await adapter.find_note(subject, "[hirebot:a]")
    assert again is not None and again.remote_id == mine.remote_id
    fallback = [r for r in rig.sandbox.requests if r.path == "/v1/notes" and r.method == "GET"]
    assert len(fallback) == 1 and ("sort", "-created-at") in fallback[0].pairs


async def test_a_new_candidate_gets_the_tag_linkedin_job_and_the_cv_from_a_url_teamtailor_downloads(
        rig: Rig) -> None:
    links = ResumeLinks()
    cv = b"%PDF-1.4\n% Amara CV\n%%EOF\n"
    resume_url = links.publish_now(("Amara CV.pdf", cv, "application/pdf"))
    job = next(jid for jid, j in rig.state.jobs.items() if j["status"] == "published")
    person = Candidate(remote_id="", first_name="Amara", last_name="Nwosu",
                       emails=(ContactValue("amara@example.org"),),
                       links=(ContactValue("https://www.linkedin.com/in/amara-nwosu", "linkedin"),))
    created = await rig.adapter().create_candidate(person, job_remote_id=job, source_tag="hirebot",
                                                   resume=("Amara CV.pdf", cv, "application/pdf"),
                                                   resume_url=resume_url)

    row = rig.state.candidates[created.remote_id]
    assert "hirebot" in row["tags"] and row["linkedin_url"] == "https://www.linkedin.com/in/amara-nwosu"
    assert [u["content"] for u in rig.state.uploads.values() if u["candidate_id"] == created.remote_id] == [cv]
    assert [a["job_id"] for a in rig.state.applications_of(created.remote_id)] == [job]
    assert len(links.served) == 1  # the single-use link was fetched once, by Teamtailor
    posted = [r for r in rig.sandbox.requests if r.method == "POST"]
    assert all(r.headers["Content-Type"].startswith("application/vnd.api+json") for r in posted)
    assert (await rig.adapter().find_candidate_by_email("AMARA@example.org")) is not None


async def test_without_a_resume_url_the_candidate_is_added_without_the_cv(rig: Rig) -> None:
    person = Candidate(remote_id="", first_name="Oskar", last_name="Lind", emails=(ContactValue("oskar@example.se"),))
    created = await rig.adapter().create_candidate(person, source_tag="hirebot",
                                                   resume=("cv.pdf", b"%PDF-1.4", "application/pdf"))
    assert created.remote_id in rig.state.candidates
    assert rig.state.uploads == {} and rig.state.applications_of(created.remote_id) == []


# --- webhooks -----------------------------------------------------------------------------------------------


def test_signatures_v2_and_v1_verify_and_anything_else_does_not() -> None:
    body = json.dumps({"payload": {"event_name": "candidate.update", "data": {"id": "42"}}}).encode()
    at = int(NOW.timestamp())
    good = signature_v2(SIGNING_KEY, body, at)
    secrets = WebhookSecrets(tokens=("old-key", SIGNING_KEY))
    trigger = TEAMTAILOR.webhooks.verify(body, {"tt-signature": good}, secrets, NOW + timedelta(seconds=30))
    assert trigger.candidate_ids == ("42",) and trigger.delivery_id and trigger.occurred_at == NOW
    legacy = TEAMTAILOR.webhooks.verify(body, {"tt-signature": signature_v1(SIGNING_KEY, "42")}, secrets, NOW)
    assert legacy.candidate_ids == ("42",)
    tampered = body.replace(b"42", b"43")
    for headers, moment in (({"tt-signature": signature_v2("wrong", body, at)}, NOW),
                            ({"tt-signature": good}, NOW + timedelta(minutes=6)),  # stale
                            ({}, NOW), ({"tt-signature": "not base64!"}, NOW),
                            ({"tt-signature": base64.b64encode(b"t=1,v2=00").decode()}, NOW)):
        with pytest.raises(BadSignature):
            TEAMTAILOR.webhooks.verify(body, headers, secrets, moment)
    with pytest.raises(BadSignature):
        TEAMTAILOR.webhooks.verify(tampered, {"tt-signature": good}, secrets, NOW)
    application = json.dumps({"payload": {"event_name": "job_application.update",
                                          "data": {"id": "634", "attributes": {"stage_name": "Offer"}}}}).encode()
    moved = TEAMTAILOR.webhooks.verify(application, {"tt-signature": signature_v2(SIGNING_KEY, application, at)},
                                       secrets, NOW)
    assert moved.refresh_jobs and moved.candidate_ids == ()  # no candidate id: an incremental sync reads it


@pytest.fixture
async def receiver_rig(tmp_path: Path) -> AsyncIterator[tuple[Rig, Any, str, int]]:
    """hirebot's web server with the real webhook receiver, and a Teamtailor connection to the fake."""
    clock = EpochClock(NOW + timedelta(days=1))
    sandbox = TeamtailorSandbox(generate(seed=4, candidates=6, now=NOW), clock=clock,
                                chaos=Chaos(sleep=clock.sleep), rate_limit=1000)
    runtime = open_runtime(tmp_path, f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    async for rig in serve(sandbox, clock):
        with transaction(runtime.sessions) as session:
            workspace = Workspace(name="Acme", platform="test", external_id="T-tt")
            session.add(workspace)
            session.flush()
            row = AtsConnection(workspace_id=workspace.id, provider="teamtailor", name="Teamtailor",
                                base_url=rig.url, settings={"requests_per_second": 1000, "burst": 1000},
                                credentials=runtime.box.seal({"api_key": SANDBOX_API_KEY}),
                                webhook_secret=runtime.box.seal({"secret": "unused"}))
            session.add(row)
            session.flush()
            connection_id = row.id
        add_issued_token(runtime.sessions, runtime.box, connection_id, SIGNING_KEY)

        def build(connection: AtsConnection, client: httpx.AsyncClient) -> TeamtailorAdapter:
            config = ConnectionConfig(connection.base_url, runtime.box.open(connection.credentials),
                                      dict(connection.settings))
            return TeamtailorAdapter(config, client, sleep=clock.sleep, clock=clock, policy=RETRY)

        syncer = ConnectionSyncer(runtime.sessions, build, now=clock.moment)
        receiver = WebhookReceiver(runtime.sessions, runtime.box, syncer, adapter_factory=build, now=clock.moment)
        app = create_web_app(runtime, receiver=receiver, now=clock.moment)
        async with TestServer(app, host="127.0.0.1") as server:
            url = str(server.make_url(f"/webhooks/teamtailor/{connection_id}"))
            sandbox.add_webhook(url, signature_key=SIGNING_KEY, events={"candidate.update", "candidate.create"})
            yield rig, runtime, url, connection_id
        await receiver.close()
    runtime.close()


async def test_a_signed_delivery_rereads_the_candidate_and_a_bad_one_is_401_and_stores_nothing(
        receiver_rig: tuple[Rig, Any, str, int]) -> None:
    rig, runtime, url, connection_id = receiver_rig

    def stored() -> dict[str, str]:
        with runtime.sessions() as session:
            rows = session.scalars(select(StoredCandidate).where(StoredCandidate.connection_id == connection_id))
            return {row.remote_id: row.first_name for row in rows}

    subject = next(iter(rig.state.candidates))
    body = json.dumps({"payload": {"event_name": "candidate.update", "data": {"id": subject}}}).encode()
    async with aiohttp.ClientSession() as http:
        forged = signature_v2("not-the-key", body, int(rig.clock()))
        async with http.post(url, data=body, headers={"TT-Signature": forged}) as response:
            assert response.status == 401
        async with http.post(url, data=body) as response:
            assert response.status == 401
    assert stored() == {} and not [r for r in rig.sandbox.requests if r.path.startswith("/v1/candidates")]

    rig.state.update_candidate(subject, first_name="Zoë")
    await rig.sandbox.emit("candidate.update", subject)
    assert [d.status for d in rig.sandbox.deliveries] == [200]
    assert stored() == {subject: "Zoë"}  # only the named candidate was read
    await rig.sandbox.emit("candidate.update", subject)  # the same delivery again: a duplicate, no second read
    reads = [r for r in rig.sandbox.requests if r.path == f"/v1/candidates/{subject}"]
    assert len(reads) == 1
