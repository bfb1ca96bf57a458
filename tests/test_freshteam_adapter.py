"""What only Freshteam does, against its fake over loopback: the bearer key and the reference's paths,
paging with or without the link and total headers, pacing under the per-minute limit learnt from
`x-ratelimit-*`, a 429 without Retry-After, a closed account said plainly and never retried, a key that may
not list employees, stage changes found by an incremental sync whether or not the server honours `sort`,
the mapping (stage and sub-stage, hired and rejected, absolute resume URLs, the job page as the link),
and the read-only write policy and polling-only webhooks.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import ConnectionConfig
from adapters.errors import AuthError, ConfigError, MalformedResponse
from adapters.freshteam import AccountUnavailable, FreshteamAdapter, bare_domain
from adapters.freshteam.client import refusal
from adapters.freshteam.mapping import StageRules, absolute_url, to_application, to_candidate
from adapters.freshteam.pacing import WINDOW, MinutePacer
from adapters.freshteam.policy import READ_ONLY, FreshteamWritePolicy
from adapters.freshteam.spec import FRESHTEAM
from adapters.models import ApplicationStatus
from adapters.sandbox import freshteam as fake_module
from adapters.sandbox.freshteam_dataset import generate
from adapters.sandbox.recorder import RecordedRequest
from adapters.spec import WebhookScheme
from adapters.webhooks import BadSignature, WebhookSecrets
from adapters.write_policy import MeetingFacts
from store.db import session_factory, transaction
from store.meeting_models import Meeting, MeetingAttendee
from store.models import Application, AtsConnection, Attachment, Candidate, User
from store.sync import SyncSummary, sync_connection
from tests import factories
from tests.clocks import EpochClock
from tests.outbox_events import happen, items, notices

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
APP = "https://acme.freshteam.com"


@pytest.fixture
def sessions(sqlite_engine: Engine) -> sessionmaker[Session]:
    return session_factory(sqlite_engine)


@dataclass
class Rig:
    sandbox: fake_module.FreshteamSandbox
    url: str
    client: httpx.AsyncClient
    clock: EpochClock

    def adapter(self, key: str = fake_module.SANDBOX_API_KEY, **settings: str) -> FreshteamAdapter:
        config = ConnectionConfig(base_url=self.url, credentials={"api_key": key},
                                  settings={"domain": "acme", **settings})
        return FreshteamAdapter(config, self.client, sleep=self.clock.sleep, clock=self.clock,
                                rng=random.Random(3))

    def api_requests(self) -> list[RecordedRequest]:
        return [r for r in self.sandbox.requests if r.path.startswith("/api/")]


async def serve(candidates: int = 130, **options: Any) -> AsyncIterator[Rig]:
    clock = EpochClock(NOW + timedelta(days=1))
    sandbox = fake_module.FreshteamSandbox(generate(seed=5, candidates=candidates, now=NOW), clock=clock,
                                           chaos=fake_module.Chaos(sleep=clock.sleep), **options)
    async with TestServer(sandbox.app, host="127.0.0.1") as server, httpx.AsyncClient() as client:
        yield Rig(sandbox, f"{str(server.make_url('')).rstrip('/')}/api", client, clock)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async for started in serve():
        yield started


def connection_id(sessions: sessionmaker[Session]) -> int:
    return factories.connection(sessions, factories.workspace(sessions), provider="freshteam").id


async def sync(sessions: sessionmaker[Session], cid: int, rig: Rig, adapter: FreshteamAdapter | None = None,
               *, full: bool = False) -> SyncSummary:
    return await sync_connection(sessions, cid, adapter or rig.adapter(), full=full, now=rig.clock.moment)


def stored(sessions: sessionmaker[Session], cid: int) -> dict[str, Candidate]:
    with transaction(sessions) as session:
        return {c.remote_id: c for c in session.scalars(select(Candidate).where(Candidate.connection_id == cid))}


def stages(sessions: sessionmaker[Session], cid: int) -> dict[str, tuple[str | None, str]]:
    with transaction(sessions) as session:
        rows = session.scalars(select(Application).where(Application.connection_id == cid))
        return {row.remote_id: (row.stage_name, row.status) for row in rows}


# --- the wire: key, paths, paging ------------------------------------------------------------------------


async def test_requests_send_the_bearer_key_and_ask_for_json_on_the_reference_paths(
        sessions: sessionmaker[Session], rig: Rig) -> None:
    await sync(sessions, connection_id(sessions), rig)

    sent = rig.api_requests()
    assert sent and all(r.headers["Authorization"] == f"Bearer {fake_module.SANDBOX_API_KEY}" for r in sent)
    assert all("application/json" in r.headers["Accept"] for r in sent)
    paths = {r.path for r in sent}
    assert {"/api/employees", "/api/job_postings", "/api/candidates"} <= paths
    assert any(p.startswith("/api/job_postings/") and p.endswith("/applicants") for p in paths)
    listed = [r for r in sent if r.path == "/api/candidates"]
    assert [r.param("page") for r in listed] == ["1", "2", "3"] and {r.param("per_page") for r in listed} == {"50"}
    assert {r.param("status") for r in sent if r.path == "/api/job_postings"} == {
        "published", "draft", "internal", "private", "on_hold", "closed"}


@pytest.mark.parametrize("headers", ["totals", "none"])
async def test_paging_works_without_the_link_header_and_without_any_paging_header(
        sessions: sessionmaker[Session], headers: str) -> None:
    async for rig in serve(candidates=100, paging_headers=headers):  # exactly two full pages
        cid = connection_id(sessions)
        summary = await sync(sessions, cid, rig)
        assert summary.created == 100 and set(stored(sessions, cid)) == {str(i) for i in rig.sandbox.state.candidates}
        pages = [r.param("page") for r in rig.api_requests() if r.path == "/api/candidates"]
        # total-pages says when to stop; without it a short (here: empty) page does.
        assert pages == (["1", "2"] if headers == "totals" else ["1", "2", "3"])


# --- rate limits --------------------------------------------------------------------------------------------


async def test_a_sync_stays_under_the_minute_limit_it_learns_from_the_headers(sessions: sessionmaker[Session]) -> None:
    async for rig in serve(rate_limit=10):
        started = rig.clock()
        summary = await sync(sessions, connection_id(sessions), rig)
        assert summary.created == 130
        assert rig.sandbox.rate_limited == 0  # slowed down before the limit: never a 429
        times = [r.at for r in rig.api_requests()]
        assert len(times) == 20  # employees, 6 job lists, 10 jobs' applicants, 3 candidate pages
        assert max(sum(1 for t in times if start <= t < start + 60) for start in times) <= 10
        assert rig.clock() - started >= 60 * (len(times) // 10 - 1)


async def test_a_429_without_retry_after_waits_about_a_minute(sessions: sessionmaker[Session], rig: Rig) -> None:
    rig.sandbox.chaos.fail_next(429, path="/candidates")
    summary = await sync(sessions, connection_id(sessions), rig)
    assert summary.created == 130
    assert 60.0 in rig.clock.sleeps
    assert [r.status for r in rig.api_requests() if r.path == "/api/candidates"][:2] == [429, 200]


# --- refusals ------------------------------------------------------------------------------------------------


async def test_a_closed_account_is_said_plainly_once_and_not_retried(sessions: sessionmaker[Session],
                                                                     rig: Rig) -> None:
    rig.sandbox.closed = True
    with pytest.raises(AccountUnavailable) as caught:
        await rig.adapter().validate()
    assert str(caught.value).startswith("This Freshteam account is no longer available (HTTP 403)")
    assert len(rig.api_requests()) == 1

    cid = connection_id(sessions)
    with pytest.raises(AuthError, match="no longer available"):
        await sync(sessions, cid, rig)
    assert len(rig.api_requests()) == 2  # the sync stopped at its first request, the users' list
    with transaction(sessions) as session:
        row = session.get(AtsConnection, cid)
        assert row is not None and row.last_error is not None
        assert row.last_error.startswith("Sync failed while reading users: This Freshteam account is no longer")
    assert stored(sessions, cid) == {}


async def test_a_wrong_key_is_told_apart_from_a_closed_account(rig: Rig) -> None:
    with pytest.raises(AuthError) as caught:
        await rig.adapter(key="wrong-key-123456").validate()
    message = str(caught.value)
    assert not isinstance(caught.value, AccountUnavailable) and caught.value.status == 401
    assert message.startswith("Freshteam refused the API key (401 invalid_credentials")
    assert "API Settings" in message and "wrong-key-123456" not in message
    assert len(rig.api_requests()) == 1


def test_refusals_without_the_documented_codes_mean_the_account_is_gone() -> None:
    assert isinstance(refusal(401, ["account_suspended"], "", "/api/candidates"), AccountUnavailable)
    assert isinstance(refusal(402, [], "", "/api/candidates"), AccountUnavailable)
    forbidden = refusal(403, ["forbidden"], "", "/api/employees")
    assert not isinstance(forbidden, AccountUnavailable) and "/api/employees" in str(forbidden)
    assert "admin" in str(forbidden)


async def test_a_key_that_may_not_list_employees_connects_with_a_warning(sessions: sessionmaker[Session],
                                                                         rig: Rig) -> None:
    rig.sandbox.forbidden = {"/employees"}
    adapter = rig.adapter()
    await adapter.validate()
    assert adapter.permission_warnings and "organizers are not matched" in adapter.permission_warnings[0]
    summary = await sync(sessions, connection_id(sessions), rig)
    assert summary.created == 130 and summary.users == 0 and summary.warnings


# --- incremental sync ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("honour_sort", [True, False])
async def test_an_incremental_sync_finds_stage_moves_and_renames(sessions: sessionmaker[Session],
                                                                 honour_sort: bool) -> None:
    async for rig in serve(honour_sort=honour_sort):
        cid = connection_id(sessions)
        await sync(sessions, cid, rig)
        state = rig.sandbox.state
        rig.clock.advance(600)
        moved = next(a for a in state.applicants.values() if a.stage == "New")
        state.move_applicant(moved.id, "Hired", now=rig.clock.moment())
        renamed = next(c for c in state.candidates.values() if c.id != moved.candidate_id)
        state.update_candidate(renamed.id, first_name="Zoë", now=rig.clock.moment())
        rig.clock.advance(60)
        before = len(rig.api_requests())

        summary = await sync(sessions, cid, rig)
        assert not summary.full and (summary.created, summary.updated) == (0, 2)
        assert stages(sessions, cid)[str(moved.id)] == ("Hired", "hired")
        assert stored(sessions, cid)[str(renamed.id)].first_name == "Zoë"
        listed = [r for r in rig.api_requests()[before:] if r.path == "/api/candidates"]
        assert all(r.param("sort") == "updated_at" and r.param("sort_type") == "desc" for r in listed)
        # Sorted, the first page holds both changes and ends the scan; unsorted, every page is read.
        assert len(listed) == (1 if honour_sort else 3)
        # The moved applicant's candidate did not change itself: read by id when the scan stopped early.
        detail = [r.path for r in rig.api_requests()[before:] if r.path.startswith("/api/candidates/")]
        assert detail == ([f"/api/candidates/{moved.candidate_id}"] if honour_sort else [])


# --- mapping --------------------------------------------------------------------------------------------------


def test_the_mapping_follows_the_reference_payloads() -> None:
    rules = StageRules()
    applicant = {"id": 9000999001, "candidate_id": 9000123456, "job_id": 9000000042, "stage": "Interview",
                 "sub_stage": "Technical round", "created_at": "2024-01-10T09:00:00.000Z",
                 "updated_at": "2024-02-01T12:30:00.000Z"}
    application = to_application(applicant, rules)
    assert application is not None
    assert (application.remote_id, application.candidate_remote_id, application.job_remote_id) == (
        "9000999001", "9000123456", "9000000042")
    assert application.stage_name == "Interview: Technical round" and application.status is ApplicationStatus.ACTIVE
    hired = to_application({**applicant, "stage": "hired", "sub_stage": None}, rules)
    assert hired is not None and hired.status is ApplicationStatus.HIRED
    assert hired.hired_at == datetime(2024, 2, 1, 12, 30, tzinfo=UTC)
    custom = StageRules.from_settings({"rejected_stages": "Not now, Declined"})
    declined = to_application({**applicant, "stage": "Declined"}, custom)
    assert declined is not None and declined.status is ApplicationStatus.REJECTED

    candidate = {"id": 9000123456, "first_name": "Jane", "middle_name": None, "last_name": "Doe",
                 "email": "jane@example.com", "mobile": "+4912345", "phone": None,
                 "profile_links": [{"name": "linkedin", "url": "https://www.linkedin.com/in/janedoe"}],
                 "tags": ["python"], "updated_at": "2024-02-01T12:30:00.000Z"}
    mapped = to_candidate(candidate, [application], APP)
    assert mapped is not None and mapped.remote_id == "9000123456" and mapped.linkedin_url
    assert mapped.url == f"{APP}/hire/jobs/9000000042"
    assert [e.value for e in mapped.emails] == ["jane@example.com"] and mapped.tags == ("python",)
    pooled = to_candidate(candidate, [], APP)
    assert pooled is not None and pooled.url == f"{APP}/hire"

    page = f"{APP}/hire/jobs/1"
    assert absolute_url("/resumes/77/jane_cv.pdf", APP, page) == f"{APP}/resumes/77/jane_cv.pdf"
    assert absolute_url("https://cdn.example/cv.pdf", APP, page) == "https://cdn.example/cv.pdf"
    assert absolute_url("https://s3.example/cv.pdf?X-Amz-Signature=abc&X-Amz-Expires=60", APP, page) == page


async def test_synced_resumes_link_the_accounts_own_address(sessions: sessionmaker[Session], rig: Rig) -> None:
    cid = connection_id(sessions)
    await sync(sessions, cid, rig)
    record = next(c for c in rig.sandbox.state.candidates.values() if c.resumes and len(c.applicant_ids) == 1)
    row = stored(sessions, cid)[str(record.id)]
    job = rig.sandbox.state.applicants[record.applicant_ids[-1]].job_id
    assert row.url == f"{APP}/hire/jobs/{job}"
    with transaction(sessions) as session:
        urls = list(session.scalars(select(Attachment.url).where(Attachment.connection_id == cid)))
    assert urls and all(url.startswith(f"{APP}/resumes/") for url in urls)


# --- connect, writes, webhooks ------------------------------------------------------------------------------


def test_the_domain_is_taken_in_any_shape_and_a_wrong_one_is_refused() -> None:
    assert bare_domain("acme") == bare_domain("Acme.freshteam.com") == bare_domain("https://acme.freshteam.com/hire")
    assert FRESHTEAM.default_base_url({"domain": "acme"}) == "https://acme.freshteam.com/api"
    with pytest.raises(ConfigError, match="first part of your Freshteam address"):
        FRESHTEAM.check_values("https://x.freshteam.com/api", {"domain": "not a domain!"})


def test_nothing_is_written_back_and_the_organizer_is_told_why() -> None:
    policy = FreshteamWritePolicy()
    facts = MeetingFacts(candidate_name="Jane Doe", meeting_title="Tech screen", meeting_created_at=NOW,
                         invited_email="jane@example.com", invited_emails=frozenset(), invited_ats_users=(),
                         hiring_managers=(), candidate_remote_id="9000123456", candidate_on_record=True)
    decision = policy.decide(facts)
    assert decision.problem and "closing" in decision.problem
    notice = policy.notice(candidate_name="Jane Doe", meeting_title="Tech screen", where="Freshteam",
                           problem=decision.problem)
    assert notice.startswith("I'm not logging Tech screen with Jane Doe to Freshteam: hirebot only reads")
    assert policy.unlinked_problem("Jane Doe") is None
    assert not any(c.value.startswith(("write", "create")) for c in FreshteamAdapter.capabilities)


def test_freshteam_is_polled_and_any_webhook_delivery_is_refused() -> None:
    assert FRESHTEAM.webhooks.scheme is WebhookScheme.POLLING and not FRESHTEAM.webhooks.events
    assert "polls Freshteam" in FRESHTEAM.webhooks.setup
    with pytest.raises(BadSignature):
        FRESHTEAM.webhooks.verify(b'{"candidate_id": 1}', {}, WebhookSecrets(secret="s"), NOW)


async def test_the_pacer_keeps_the_limit_in_any_window_and_waits_when_the_budget_is_spent() -> None:
    clock = EpochClock(1000.0)
    pacer = MinutePacer(clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    for number in range(25):
        await pacer.wait()
        sent.append(clock())
        pacer.observe(httpx.Headers({"x-ratelimit-total": "10", "x-ratelimit-remaining": str(9 - number % 10)}))
        clock.advance(0.1)
    assert max(sum(1 for t in sent if start <= t < start + WINDOW) for start in sent) <= 10
    assert sent[10] >= sent[0] + WINDOW and sent[20] >= sent[10] + WINDOW

    fresh = MinutePacer(clock=clock, sleep=clock.sleep)
    await fresh.wait()  # the limit is not known yet: no wait
    fresh.observe(httpx.Headers({"x-ratelimit-total": "100", "x-ratelimit-remaining": "0"}))  # others spent it
    before = clock()
    await fresh.wait()
    assert clock() - before >= WINDOW - 0.5


async def test_a_link_to_an_earlier_page_is_refused_as_malformed(sessions: sessionmaker[Session]) -> None:
    class Backwards(fake_module.FreshteamSandbox):
        def paged(self, request: Any, ids: Any, render: Any) -> Any:
            response = super().paged(request, ids, render)
            if request.path == "/api/candidates":
                response.headers["link"] = f'<{request.url.with_query({"page": "1"})}>; rel="next"'
            return response

    clock = EpochClock(NOW + timedelta(days=1))
    sandbox = Backwards(generate(seed=5, candidates=60, now=NOW), clock=clock)
    async with TestServer(sandbox.app, host="127.0.0.1") as server, httpx.AsyncClient() as client:
        rig = Rig(sandbox, f"{str(server.make_url('')).rstrip('/')}/api", client, clock)
        with pytest.raises(MalformedResponse, match="next page"):
            await sync(sessions, connection_id(sessions), rig)


async def test_a_list_that_refuses_sort_and_a_job_gone_since_listing_do_not_stop_a_sync(
        sessions: sessionmaker[Session]) -> None:
    class Stricter(fake_module.FreshteamSandbox):
        gone: int = 0

        def _sorting(self, request: Any) -> tuple[str, str]:
            if "sort" in request.query:
                raise fake_module.FreshteamApiError(400, "invalid_value", "Value is not valid", "sort")
            return super()._sorting(request)

        async def list_job_applicants(self, request: Any) -> Any:
            if int(request.match_info["id"]) == self.gone:
                raise fake_module.FreshteamApiError(404, "not_found", "Job posting not found")
            return await super().list_job_applicants(request)

    clock = EpochClock(NOW + timedelta(days=1))
    sandbox = Stricter(generate(seed=5, candidates=60, now=NOW), clock=clock)
    async with TestServer(sandbox.app, host="127.0.0.1") as server, httpx.AsyncClient() as client:
        rig = Rig(sandbox, f"{str(server.make_url('')).rstrip('/')}/api", client, clock)
        cid = connection_id(sessions)
        await sync(sessions, cid, rig)
        clock.advance(600)
        renamed = next(iter(sandbox.state.candidates.values()))
        sandbox.state.update_candidate(renamed.id, first_name="Zoë", now=clock.moment())
        sandbox.gone = next(a.job_id for a in sandbox.state.applicants.values()
                            if sandbox.state.candidates[a.candidate_id] is not renamed)
        clock.advance(60)
        summary = await sync(sessions, cid, rig)
        assert not summary.full and summary.updated == 1
        assert stored(sessions, cid)[str(renamed.id)].first_name == "Zoë"
        assert any(r.status == 400 for r in rig.api_requests())


@dataclass
class MeetingRig:
    sessions: sessionmaker[Session]
    clock: EpochClock

    def moment(self) -> datetime:
        return self.clock.moment()


async def test_a_meeting_with_a_freshteam_candidate_logs_nothing_and_the_organizer_is_told_once(
        sessions: sessionmaker[Session], rig: Rig) -> None:
    workspace = factories.workspace(sessions)
    cid = factories.connection(sessions, workspace, provider="freshteam").id
    await sync(sessions, cid, rig)
    now = rig.clock.moment()
    with transaction(sessions) as session:
        candidate = session.scalars(select(Candidate).where(Candidate.connection_id == cid,
                                                            Candidate.primary_email.is_not(None))).first()
        assert candidate is not None
        application = session.scalars(select(Application).where(Application.candidate_id == candidate.id)).first()
        user = User(workspace_id=workspace.id, email="sam@example-corp.com", display_name="Sam", settings={})
        session.add(user)
        session.flush()
        meeting = Meeting(
            workspace_id=workspace.id, organizer_user_id=user.id, organizer_email=user.email, organizer_name="Sam",
            state="requested", title="Phone screen", duration_minutes=45, location="Zoom", timezone="Europe/Berlin",
            candidate_id=candidate.id, candidate_name=candidate.full_name, candidate_email=candidate.primary_email,
            connection_id=cid, candidate_remote_id=candidate.remote_id,
            application_remote_id=application.remote_id if application else None, job_name="Engineer",
            window_start=now, window_end=now + timedelta(days=7), slots=[], round=0, round_started_at=now,
            calendar_uid="m-1@hirebot", event_seq=0, created_at=now, updated_at=now,
            attendees=[MeetingAttendee(email=user.email, name="Sam", role="organizer", user_id=user.id)])
        session.add(meeting)
        session.flush()
        meeting_id = meeting.id
    events = MeetingRig(sessions, rig.clock)
    before = len(rig.sandbox.requests)
    happen(events, meeting_id, "request_sent", extra={"to": "x@example.com"})
    happen(events, meeting_id, "booked", actor="candidate", book=now + timedelta(days=2))

    rows = items(events, meeting_id)
    assert rows and all(row.state == "skipped" and row.skip_reason == READ_ONLY for row in rows)
    told = notices(events)
    assert len(told) == 1 and "to Freshteam: hirebot only reads Freshteam" in told[0].payload["text"]
    assert len(rig.sandbox.requests) == before  # nothing was sent to Freshteam


async def test_a_server_that_refuses_the_status_filter_still_gives_every_job(sessions: sessionmaker[Session]) -> None:
    class NoStatus(fake_module.FreshteamSandbox):
        async def list_jobs(self, request: Any) -> Any:
            if "status" in request.query:
                raise fake_module.FreshteamApiError(400, "invalid_value", "Value is not valid", "status")
            return await super().list_jobs(request)

    clock = EpochClock(NOW + timedelta(days=1))
    sandbox = NoStatus(generate(seed=5, candidates=60, now=NOW), clock=clock)
    async with TestServer(sandbox.app, host="127.0.0.1") as server, httpx.AsyncClient() as client:
        rig = Rig(sandbox, f"{str(server.make_url('')).rstrip('/')}/api", client, clock)
        summary = await sync(sessions, connection_id(sessions), rig)
    assert summary.jobs == sum(1 for job in sandbox.state.jobs.values() if not job["deleted"])
    assert summary.created == 60
