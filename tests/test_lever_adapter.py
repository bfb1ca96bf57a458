"""The Lever adapter against the Lever sandbox over real loopback HTTP: read path, writes, webhooks, failures.

Adapter and sandbox share one fake clock: the adapter's pacing sleeps move it forward, and the sandbox's
token bucket refills from it, so rate limiting is real but no test waits on the wall clock.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import Engine, func, select

from adapters.base import Capability, ConnectionConfig
from adapters.errors import AtsError, AuthError, ConfigError, MalformedResponse
from adapters.http import RetryPolicy
from adapters.lever import (
    ATTACHMENT_CONCURRENCY,
    DOCUMENTED_PERMISSIONS,
    LEVER_BASE_URLS,
    OPTIONAL_PERMISSIONS,
    SYNC_PERMISSIONS,
    LeverAdapter,
    RequestPacer,
    WebhookTrigger,
    join_remote_id,
    parse_webhook,
    split_remote_id,
    verify_webhook_signature,
)
from adapters.models import (
    ApplicationStatus,
    AttachmentType,
    Candidate,
    CandidateBatch,
    ContactValue,
    Note,
    ScheduledInterview,
)
from adapters.sandbox import lever as sandbox_module
from adapters.sandbox.lever import ALL_PERMISSIONS, SANDBOX_API_KEY, LeverSandbox
from adapters.sandbox.lever_dataset import LeverState, Opportunity, generate, to_ms
from store import models as orm
from store.db import session_factory
from store.sync import refresh_candidates, sync_connection
from tests import factories
from tests.clocks import EpochClock
from tests.lever_rig import NOW, LeverRig, lever_sandbox, serve_lever

TWELVE = frozenset(DOCUMENTED_PERMISSIONS)


@pytest.fixture
def clock() -> EpochClock:
    return EpochClock(NOW)


@pytest.fixture
async def lever(clock: EpochClock) -> AsyncIterator[LeverRig]:
    async with serve_lever(lever_sandbox(generate(candidates=34, seed=9, now=NOW), clock), clock) as rig:
        yield rig


def visible(state: LeverState) -> list[Opportunity]:
    return [o for o in state.opportunities.values() if not o.confidential]


def application_key(opp: Opportunity) -> str:
    """Our Application remote id for an opportunity: its application's id, or its own id for a lead."""
    return opp.application.id if opp.application else opp.id


def pair_of_one_contact(state: LeverState) -> list[Opportunity]:
    contact = next(c for c, opps in state.contact_opportunities.items()
                   if len(opps) == 2 and not any(state.opportunities[o].confidential for o in opps))
    return [state.opportunities[o] for o in state.contact_opportunities[contact]]


def reason_type(state: LeverState, opp: Opportunity) -> str | None:
    return state.archive_reasons[opp.archived_reason]["type"] if opp.archived_reason else None


async def collect(adapter: LeverAdapter, **kwargs: Any) -> list[CandidateBatch]:
    return [batch async for batch in adapter.candidate_batches(**kwargs)]


def ms_to_dt(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)


# -- connect time ----------------------------------------------------------------------------------------


async def test_validate_accepts_the_default_key_probing_each_permission_and_writing_nothing(lever: LeverRig) -> None:
    opportunities_before = len(lever.state.opportunities)
    adapter = lever.adapter()
    await adapter.validate()
    assert adapter.optional_missing == () and adapter.permission_warnings == []
    assert not lever.state.notes and not lever.state.panels
    assert len(lever.state.opportunities) == opportunities_before
    probed = {(r.method, r.path) for r in lever.sandbox.requests}
    assert ("POST", "/v1/opportunities/00000000-0000-0000-0000-000000000000/notes") in probed
    assert ("DELETE", "/v1/opportunities/00000000-0000-0000-0000-000000000000/panels/"
                      "00000000-0000-0000-0000-000000000000") in probed
    assert len(lever.sandbox.requests) == len(DOCUMENTED_PERMISSIONS) + len(OPTIONAL_PERMISSIONS) == 19
    assert adapter.supports(Capability.CREATE_CANDIDATES) and adapter.supports(Capability.READ_ATTACHMENTS)


def test_the_documented_twelve_agree_with_the_sandbox_and_the_issue() -> None:
    assert len(DOCUMENTED_PERMISSIONS) == 12 and TWELVE == sandbox_module.DOCUMENTED_PERMISSIONS
    assert set(SYNC_PERMISSIONS) == sandbox_module.OPTIONAL_READ_PERMISSIONS
    assert not TWELVE & set(OPTIONAL_PERMISSIONS)
    assert set(OPTIONAL_PERMISSIONS) <= ALL_PERMISSIONS and TWELVE <= ALL_PERMISSIONS


async def test_a_key_with_exactly_the_documented_twelve_passes_with_warnings(lever: LeverRig) -> None:
    lever.sandbox.permissions = TWELVE
    adapter = lever.adapter()
    await adapter.validate()
    assert adapter.optional_missing == tuple(OPTIONAL_PERMISSIONS)
    warnings = adapter.permission_warnings
    assert len(warnings) == len(OPTIONAL_PERMISSIONS)
    for line, name in zip(warnings, OPTIONAL_PERMISSIONS, strict=True):
        assert line.startswith(f"{name}: ") and "\n" not in line and line.endswith(".")
    assert any("hired candidates show as rejected" in line for line in warnings)
    assert not adapter.supports(Capability.CREATE_CANDIDATES)
    assert not adapter.supports(Capability.READ_ATTACHMENTS)
    report = await lever.adapter().check_permissions()
    assert report.required_missing == () and report.optional_missing == tuple(OPTIONAL_PERMISSIONS)
    assert report.granted == TWELVE


@pytest.mark.parametrize("permission", DOCUMENTED_PERMISSIONS)
async def test_a_key_missing_one_of_the_twelve_is_refused_by_name(clock: EpochClock, permission: str) -> None:
    async with serve_lever(lever_sandbox(generate(candidates=3, seed=9, now=NOW), clock), clock) as rig:
        rig.sandbox.permissions = TWELVE - {permission}
        with pytest.raises(AuthError) as caught:
            await rig.adapter().validate()
        assert str(caught.value).startswith(f"Your Lever key lacks: {permission}. ")
        assert "Super Admin" in str(caught.value) and caught.value.status == 403
        named = str(caught.value).removeprefix("Your Lever key lacks: ").split(". ")[0].split(", ")
        assert named == [permission]  # a 12-only key lacks every optional one; none is named


async def test_validate_names_every_missing_required_one_in_order_and_no_optional_one(lever: LeverRig) -> None:
    lever.sandbox.permissions = ALL_PERMISSIONS - {"create-opportunity-note", "list-postings",
                                                   "update-opportunity-panel"}
    adapter = lever.adapter()
    with pytest.raises(AuthError) as caught:
        await adapter.validate()
    assert str(caught.value).startswith("Your Lever key lacks: update-opportunity-panel, create-opportunity-note. ")
    report = await lever.adapter().check_permissions()
    assert report.missing == {"create-opportunity-note", "list-postings", "update-opportunity-panel"}
    assert report.required_missing == ("update-opportunity-panel", "create-opportunity-note")
    assert report.optional_missing == ("list-postings",)
    assert report.warnings() == [f"list-postings: {OPTIONAL_PERMISSIONS['list-postings']}."]


async def test_validate_with_a_wrong_key_fails_fast_without_leaking_it(lever: LeverRig) -> None:
    with pytest.raises(AuthError) as caught:
        await lever.adapter(key="wrong-key-123456").validate()
    assert caught.value.status == 401 and "refused the API key" in str(caught.value)
    assert "wrong-key-123456" not in str(caught.value)
    assert len(lever.sandbox.requests) == 1


def test_regions_pick_api_and_app_hosts() -> None:
    client = httpx.AsyncClient()
    eu = LeverAdapter(ConnectionConfig("", {"api_key": "k"}, {"region": "eu"}), client)
    assert eu.base_url == LEVER_BASE_URLS["eu"] == "https://api.eu.lever.co/v1"
    assert eu.candidate_url("abc") == "https://hire.eu.lever.co/candidates/abc"
    sandbox = LeverAdapter(ConnectionConfig(LEVER_BASE_URLS["sandbox"], {"api_key": "k"}), client)
    assert sandbox.app_url == "https://hire.sandbox.lever.co"
    us = LeverAdapter(ConnectionConfig(LEVER_BASE_URLS["us"], {"api_key": "k"}), client)
    assert us.candidate_url("opp-1") == "https://hire.lever.co/candidates/opp-1"
    assert us.candidate_url("opp-1:note-2") == "https://hire.lever.co/candidates/opp-1"
    custom = LeverAdapter(ConnectionConfig("http://127.0.0.1:9/v1/", {"api_key": "k"},
                                           {"app_url": "https://hire.example/"}), client)
    assert custom.base_url == "http://127.0.0.1:9/v1" and custom.candidate_url("x") == "https://hire.example/candidates/x"
    with pytest.raises(ConfigError, match="API key"):
        LeverAdapter(ConnectionConfig("", {"api_key": " "}), client)
    with pytest.raises(ConfigError, match="region"):
        LeverAdapter(ConnectionConfig("", {"api_key": "k"}, {"region": "mars"}), client)
    assert us.supports(Capability.CREATE_CANDIDATES) and us.supports(Capability.WEBHOOKS)


# -- full and incremental sync ---------------------------------------------------------------------------


async def test_full_sync_maps_each_opportunity_to_a_candidate_with_its_applications(lever: LeverRig) -> None:
    adapter = lever.adapter()
    batches = await collect(adapter)
    state = lever.state
    candidates = {c.remote_id: c for b in batches for c in b.candidates}
    applications = {a.remote_id: a for b in batches for a in b.applications}
    attachments = [a for b in batches for a in b.attachments]
    shown = visible(state)
    assert set(candidates) == {o.id for o in shown}
    assert set(applications) == {application_key(o) for o in shown}
    assert sum(b.requests for b in batches) == len(lever.sandbox.requests)
    assert all(b.extra["complete_candidates"] is True and "jobs" not in b.extra for b in batches)

    person = next(o for o in shown if o.application and o.archived_reason is None)
    contact = state.contacts[person.contact_id]
    candidate = candidates[person.id]
    assert f"{candidate.first_name} {candidate.last_name}" == contact.name
    assert [e.value for e in candidate.emails] == contact.emails
    assert [(p.type, p.value) for p in candidate.phones] == contact.phones
    assert [link.value for link in candidate.links] == contact.links
    if any("linkedin" in link for link in contact.links):
        assert candidate.linkedin_url and next(x for x in candidate.links if "linkedin" in x.value).type == "linkedin"
    assert candidate.tags == tuple(person.tags)
    assert candidate.url == f"https://hire.sandbox.lever.co/candidates/{person.id}"  # Lever's urls.show
    assert lever.adapter(app_url="https://hire.sandbox.lever.co").candidate_url(person.id) == candidate.url
    assert candidate.created_at == ms_to_dt(person.created_at) and candidate.updated_at == ms_to_dt(person.updated_at)
    assert person.application is not None
    app = applications[person.application.id]
    assert app.candidate_remote_id == person.id and app.status is ApplicationStatus.ACTIVE and not app.prospect
    assert app.job_remote_id == person.application.posting_id
    assert app.stage_remote_id == person.stage_id and app.stage_name == state.stages[person.stage_id]["text"]
    assert app.created_at == ms_to_dt(person.application.created_at) and app.recruiter_remote_id == person.owner_id

    hired = next(o for o in shown if reason_type(state, o) == "hired")
    rejected = next(o for o in shown if reason_type(state, o) == "non-hired")
    assert applications[application_key(hired)].status is ApplicationStatus.HIRED
    assert applications[application_key(hired)].hired_at == ms_to_dt(hired.archived_at)
    assert applications[application_key(hired)].rejected_at is None
    assert applications[application_key(rejected)].status is ApplicationStatus.REJECTED
    assert applications[application_key(rejected)].rejected_at == ms_to_dt(rejected.archived_at)
    lead = next(o for o in shown if o.application is None)
    assert applications[lead.id].prospect and applications[lead.id].job_remote_id is None
    assert applications[lead.id].candidate_remote_id == lead.id and applications[lead.id].stage_name

    first, second = pair_of_one_contact(state)  # one person, two candidacies: two records, one email
    assert candidates[first.id].emails == candidates[second.id].emails
    assert candidates[first.id].url != candidates[second.id].url

    resumes = [a for a in attachments if a.type is AttachmentType.RESUME]
    covers = [a for a in attachments if a.type is AttachmentType.COVER_LETTER]
    assert len(resumes) == sum(len(o.resumes) for o in shown)
    assert len(covers) == sum(1 for o in shown for f in o.files if f.name.startswith("Cover letter"))
    sample = resumes[0]
    owner = state.opportunities[sample.candidate_remote_id]
    assert sample.remote_id == owner.resumes[0].id and sample.application_remote_id is None
    assert sample.url.endswith(f"/opportunities/{owner.id}/resumes/{owner.resumes[0].id}/download")
    download = await lever.client.get(sample.url, auth=(SANDBOX_API_KEY, ""))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")


async def test_sync_pages_by_100_with_expand_and_no_request_per_contact(clock: EpochClock) -> None:
    async with serve_lever(lever_sandbox(generate(candidates=150, seed=4, now=NOW), clock), clock) as rig:
        batches = await collect(rig.adapter(sync_attachments=False))
        lists = rig.calls("GET", "/opportunities")
        assert all(r.params("expand") == ["applications", "stage"] and r.param("limit") == "100" for r in lists)
        assert not any(r.params("contact_id") for r in lists)
        assert len(lists) == len(batches) == -(-len(visible(rig.state)) // 100)
        assert lists[0].param("offset") is None and all(r.param("offset") for r in lists[1:])
        assert not rig.touched("/applications") and not rig.touched("/resumes")
        assert len(rig.calls("GET", "/archive_reasons")) == 1
        assert len(rig.sandbox.requests) == len(lists) + 1  # one request per page, plus the reasons once
        assert sum(len(b.candidates) for b in batches) == len(visible(rig.state))

        rig.sandbox.requests.clear()
        await collect(rig.adapter())  # with attachments: two more requests per opportunity, no more
        assert len(rig.sandbox.requests) == len(lists) + 1 + 2 * len(visible(rig.state))


async def test_incremental_sync_picks_up_changes_since_the_cursor(lever: LeverRig) -> None:
    adapter = lever.adapter()
    await collect(adapter)
    lever.clock.now += 10
    cursor = datetime.fromtimestamp(lever.clock.now, tz=UTC)
    lever.clock.now += 1
    state = lever.state
    shown = [o for o in visible(state) if o.archived_reason is None and o.application
             and len(state.contact_opportunities[o.contact_id]) == 1]
    renamed, hired = shown[0], shown[1]
    state.update_opportunity(renamed.id, name="Zoë Renamed-Person")
    state.archive_opportunity(hired.id, hired=True)
    new = state.add_opportunity("Łukasz Nowy", email="lukasz@example.pl", posting_id=next(iter(state.postings)),
                                tags=["Fresh"], links=["https://www.linkedin.com/in/lukasz-nowy"])
    lever.sandbox.requests.clear()

    batches = await collect(adapter, updated_since=cursor)
    candidates = {c.remote_id: c for b in batches for c in b.candidates}
    assert set(candidates) == {renamed.id, hired.id, new.id}
    assert (candidates[renamed.id].first_name, candidates[renamed.id].last_name) == ("Zoë", "Renamed-Person")
    assert candidates[new.id].linkedin_url == "https://www.linkedin.com/in/lukasz-nowy"
    apps = {a.remote_id: a for b in batches for a in b.applications}
    assert apps[application_key(hired)].status is ApplicationStatus.HIRED
    assert apps[application_key(hired)].hired_at == ms_to_dt(hired.archived_at)
    assert apps[application_key(new)].candidate_remote_id == new.id
    first_list = lever.calls("GET", "/opportunities")[0]
    assert first_list.param("updated_at_start") == str(to_ms(cursor))
    assert len(lever.sandbox.requests) == 1 + 2 * 3  # one page, the files of three; reasons already known


async def test_fetch_candidates_by_opportunity_id(lever: LeverRig) -> None:
    state = lever.state
    first = pair_of_one_contact(state)[0]
    single = next(o for o in visible(state) if o.contact_id != first.contact_id and o.application)
    gone = next(o for o in visible(state) if o.contact_id not in (first.contact_id, single.contact_id))
    secret = next(o for o in state.opportunities.values() if o.confidential)
    state.delete_opportunity(gone.id)
    adapter = lever.adapter()
    batch = await adapter.fetch_candidates([first.id, single.id, gone.id, "no-such-id", secret.id, first.id])
    assert {c.remote_id for c in batch.candidates} == {first.id, single.id}  # the sibling is not re-read
    assert {a.remote_id for a in batch.applications} == {application_key(first), application_key(single)}
    assert batch.requests == len(lever.sandbox.requests)
    reads = [r for r in lever.sandbox.requests if r.method == "GET" and "/opportunities/" in r.path
             and r.path.count("/") == 3]
    assert len(reads) == 5 and all(r.params("expand") == ["applications", "stage"] for r in reads)
    confidential = await lever.adapter(include_confidential="true").fetch_candidates([secret.id])
    assert [c.remote_id for c in confidential.candidates] == [secret.id]


async def test_jobs_stages_and_users(lever: LeverRig) -> None:
    adapter = lever.adapter()
    jobs = {j.remote_id: j for j in await adapter.list_jobs()}
    state = lever.state
    assert set(jobs) == {p for p, posting in state.postings.items() if posting["confidentiality"] != "confidential"}
    for posting_id, job in jobs.items():
        posting = state.postings[posting_id]
        assert job.name == posting["text"] and job.hiring_manager_ids == (posting["hiringManager"],)
        assert job.status == {"published": "open", "internal": "open", "closed": "closed",
                              "draft": "draft"}[posting["state"]]
    stages = await adapter.list_stages()
    assert [s.remote_id for s in stages] == list(state.stages)
    assert [s.sort_order for s in stages] == list(range(len(stages))) and stages[0].name == "New lead"
    users = {u.remote_id: u for u in await adapter.list_users()}
    assert set(users) == set(state.users)
    assert sum(u.deactivated for u in users.values()) == 1
    admin = next(u for u in state.users.values() if u["accessRole"] == "super admin")
    assert users[admin["id"]].is_admin and users[admin["id"]].email == admin["email"]


# -- a key with only the documented twelve: degraded, never failing -------------------------------------


async def test_a_documented_only_key_syncs_through_the_engine_with_degraded_fields(
        lever: LeverRig, sqlite_engine: Engine) -> None:
    lever.sandbox.permissions = TWELVE
    state = lever.state
    adapter = lever.adapter()
    await adapter.validate()
    lever.sandbox.requests.clear()
    sessions = session_factory(sqlite_engine)
    connection = factories.connection(sessions, factories.workspace(sessions), provider="lever")
    summary = await sync_connection(sessions, connection.id, adapter, full=True)
    shown = visible(state)
    assert summary.created == len(shown)
    optional_paths = ("/postings", "/stages", "/archive_reasons", "/resumes", "/files")
    assert not [r.path for r in lever.sandbox.requests if r.path.endswith(optional_paths)]
    assert lever.sandbox.requests and all(r.path in ("/v1/users", "/v1/opportunities")
                                          for r in lever.sandbox.requests)

    with sessions() as session:
        apps = {a.remote_id: a for a in session.scalars(select(orm.Application))}
        attachments = session.scalar(select(func.count()).select_from(orm.Attachment))
    assert attachments == 0
    hired = next(o for o in shown if reason_type(state, o) == "hired")
    assert apps[application_key(hired)].status == "rejected"  # Lever says archived, not why
    assert all(a.stage_name for a in apps.values())  # stage names come with expand=stage
    person = next(o for o in shown if o.application)
    assert apps[application_key(person)].job_remote_id == person.application.posting_id  # type: ignore[union-attr]

    jobs = await adapter.list_jobs()  # the postings seen on the way, named by id and never claimed open
    posting_ids = {o.application.posting_id for o in shown if o.application}
    assert {j.remote_id for j in jobs} == posting_ids
    assert all(j.name == f"Lever posting {j.remote_id[:8]}" and j.status == "unknown" for j in jobs)
    stages = await adapter.list_stages()
    assert {s.remote_id for s in stages} == {o.stage_id for o in shown}
    assert all(s.name == state.stages[s.remote_id]["text"] for s in stages)


async def test_an_unprobed_adapter_learns_missing_reads_from_one_403_each(clock: EpochClock) -> None:
    async with serve_lever(lever_sandbox(generate(candidates=150, seed=4, now=NOW), clock), clock) as rig:
        rig.sandbox.permissions = TWELVE
        adapter = rig.adapter()
        assert await adapter.list_jobs() == [] and await adapter.list_stages() == []
        batches = await collect(adapter)
        refused = [r for r in rig.sandbox.requests if r.path != "/v1/opportunities"]
        assert len(rig.touched("/postings")) == len(rig.touched("/stages")) == 1
        assert len(rig.touched("/archive_reasons")) == 1
        assert len(rig.touched("/resumes")) + len(rig.touched("/files")) <= 2 * ATTACHMENT_CONCURRENCY
        assert len(refused) <= 3 + 2 * ATTACHMENT_CONCURRENCY
        assert adapter.optional_missing == tuple(SYNC_PERMISSIONS)
        assert {c.remote_id for b in batches for c in b.candidates} == {o.id for o in visible(rig.state)}
        assert not any(b.attachments for b in batches)
        new_jobs = [job for b in batches for job in b.extra.get("jobs", ())]  # type: ignore[attr-defined]
        assert sorted(j.remote_id for j in new_jobs) == sorted({o.application.posting_id
                                                                for o in visible(rig.state) if o.application})


@dataclass
class Synced:
    state: LeverState
    batches: list[CandidateBatch]
    jobs: list[Any]
    stages: list[Any]

    @property
    def attachments(self) -> list[Any]:
        return [a for b in self.batches for a in b.attachments]

    @property
    def applications(self) -> list[Any]:
        return [a for b in self.batches for a in b.applications]


def _no_hired(run: Synced) -> bool:
    archived = [a for a in run.applications if a.status is not ApplicationStatus.ACTIVE]
    return bool(archived) and all(a.status is ApplicationStatus.REJECTED and a.rejected_at for a in archived)


def _postings_by_id(run: Synced) -> bool:
    return bool(run.jobs) and all(j.name.startswith("Lever posting ") and j.status == "unknown" for j in run.jobs)


def _stages_seen(run: Synced) -> bool:
    shown = visible(run.state)
    return ([s.remote_id for s in run.stages] != list(run.state.stages)  # not Lever's full pipeline...
            and {s.remote_id for s in run.stages} == {o.stage_id for o in shown}  # ...the stages seen
            and all(s.name == run.state.stages[s.remote_id]["text"] for s in run.stages)
            and all(a.stage_name for a in run.applications))


DEGRADES: dict[str, Callable[[Synced], bool]] = {
    "list-archive-reasons": _no_hired,
    "list-postings": _postings_by_id,
    "list-stages": _stages_seen,
    "list-opportunity-resumes": lambda run: bool(run.attachments) and all(
        a.type is not AttachmentType.RESUME for a in run.attachments),
    "list-opportunity-files": lambda run: bool(run.attachments) and all(
        a.type is AttachmentType.RESUME for a in run.attachments),
}


OPTIONAL_PATHS = {"list-postings": "/postings", "list-stages": "/stages", "list-archive-reasons": "/archive_reasons",
                  "list-opportunity-resumes": "/resumes", "list-opportunity-files": "/files"}


@pytest.mark.parametrize("permission", SYNC_PERMISSIONS)
async def test_each_optional_read_degrades_alone_and_is_not_asked_for_after_validate(
        lever: LeverRig, permission: str) -> None:
    lever.sandbox.permissions = ALL_PERMISSIONS - {permission}
    adapter = lever.adapter()
    await adapter.validate()
    assert adapter.optional_missing == (permission,)
    lever.sandbox.requests.clear()
    batches = await collect(adapter)
    run = Synced(lever.state, batches, await adapter.list_jobs(), await adapter.list_stages())
    assert {c.remote_id for b in batches for c in b.candidates} == {o.id for o in visible(lever.state)}
    assert DEGRADES[permission](run)
    for other, degraded in DEGRADES.items():  # the other four stay whole
        assert degraded(run) is (other == permission), other
    assert not [r for r in lever.sandbox.requests if r.path.endswith(OPTIONAL_PATHS[permission])]
    assert lever.sandbox.rate_limited == 0


# -- writes ----------------------------------------------------------------------------------------------


async def test_notes_go_on_the_candidates_opportunity_and_can_be_deleted(lever: LeverRig) -> None:
    adapter = lever.adapter()
    state = lever.state
    opp = next(o for o in visible(state) if o.archived_reason is None and o.application)
    actor = state.active_user_ids()[1]
    note = await adapter.create_note(Note(candidate_remote_id=opp.id, body="Interview booked from Slack",
                                          application_remote_id=application_key(opp)), acting_user_id=actor)
    opportunity_id, note_id = split_remote_id(note.remote_id or "")
    assert opportunity_id == opp.id and note.author_remote_id == actor and note.candidate_remote_id == opp.id
    assert note.application_remote_id == application_key(opp)
    stored = state.notes[opp.id][note_id]
    assert stored["user"] == actor and stored["fields"][0]["value"] == "Interview booked from Slack"
    post = lever.calls("POST", f"/opportunities/{opp.id}/notes")[0]
    assert post.param("perform_as") == actor and post.body == {"value": "Interview booked from Slack",
                                                               "secret": False, "notifyFollowers": False}
    await adapter.delete_note(note.remote_id or "", acting_user_id=actor)
    assert note_id not in state.notes[opp.id]
    assert len(lever.sandbox.requests) == 2  # no lookups: the candidate key is the opportunity

    anonymous = await adapter.create_note(Note(candidate_remote_id=opp.id, body="hello"))
    assert anonymous.author_remote_id is None and state.notes[opp.id]


async def test_note_write_is_not_repeated_after_a_server_error(lever: LeverRig) -> None:
    opp = visible(lever.state)[0]
    lever.sandbox.chaos.fail_next(500, path=f"/opportunities/{opp.id}/notes")
    with pytest.raises(AtsError) as caught:
        await lever.adapter().create_note(Note(opp.id, "once"))
    assert "not sent again" in str(caught.value)
    assert len(lever.calls("POST", f"/opportunities/{opp.id}/notes")) == 1


async def test_missing_note_permission_is_named_on_use(lever: LeverRig) -> None:
    lever.sandbox.permissions = ALL_PERMISSIONS - {"create-opportunity-note"}
    opp = visible(lever.state)[0]
    with pytest.raises(AuthError, match="lacks the create-opportunity-note permission"):
        await lever.adapter().create_note(Note(opp.id, "x"))


async def test_panels_create_update_delete_linked_to_the_application(lever: LeverRig) -> None:
    lever.sandbox.permissions = TWELVE  # panels need nothing beyond the documented twelve
    adapter = lever.adapter()
    state = lever.state
    opp = next(o for o in visible(state) if o.application)
    assert opp.application is not None
    actor, interviewer = state.active_user_ids()[0], state.active_user_ids()[3]
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 10, 15, 0, tzinfo=berlin)
    planned = ScheduledInterview(application_remote_id=opp.application.id, start=start,
                                 end=start + timedelta(minutes=45), interviewer_ids=(interviewer,),
                                 video_url="https://meet.example/abc",
                                 external_event_id="https://bot.example/meetings/7")
    created = await adapter.create_interview(planned, acting_user_id=actor, subject="Tech screen - Ada",
                                             candidate_remote_id=opp.id)
    opportunity_id, panel_id = split_remote_id(created.remote_id or "")
    assert opportunity_id == opp.id and created.start == start and created.end == planned.end
    assert created.application_remote_id == opp.application.id
    panel = state.panels[opp.id][panel_id]
    assert panel["timezone"] == "Europe/Berlin" and panel["user"] == actor and panel["externallyManaged"]
    assert panel["externalUrl"] == "https://bot.example/meetings/7"
    assert panel["applications"] == [opp.application.id]
    interview = panel["interviews"][0]
    assert (interview["subject"], interview["duration"], interview["location"]) == (
        "Tech screen - Ada", 45, "https://meet.example/abc")
    assert interview["date"] == to_ms(start) and interview["interviewers"][0]["id"] == interviewer

    moved = ScheduledInterview(application_remote_id=opp.application.id, start=start + timedelta(days=1),
                               end=start + timedelta(days=1, minutes=30), interviewer_ids=(interviewer,))
    updated = await adapter.update_interview(created.remote_id or "", moved, acting_user_id=actor)
    assert updated.remote_id == created.remote_id
    assert state.panels[opp.id][panel_id]["start"] == to_ms(moved.start)
    assert state.panels[opp.id][panel_id]["interviews"][0]["duration"] == 30
    assert state.panels[opp.id][panel_id]["applications"] == [opp.application.id]
    assert lever.calls("PUT", f"/opportunities/{opp.id}/panels/{panel_id}")[0].param("perform_as") == actor

    await adapter.delete_interview(created.remote_id or "", acting_user_id=actor)
    assert panel_id not in state.panels[opp.id]


async def test_a_leads_prospect_application_schedules_directly_and_a_bare_application_id_is_explained(
        lever: LeverRig) -> None:
    state = lever.state
    actor, interviewer = state.active_user_ids()[0], state.active_user_ids()[2]
    lead = next(o for o in visible(state) if o.application is None)
    plan = ScheduledInterview(application_remote_id=lead.id, start=NOW, end=NOW + timedelta(hours=1),
                              interviewer_ids=(interviewer,))
    created = await lever.adapter().create_interview(plan, acting_user_id=actor)
    assert split_remote_id(created.remote_id or "")[0] == lead.id
    assert state.panels[lead.id][split_remote_id(created.remote_id or "")[1]]["applications"] == []
    applied = next(o for o in visible(state) if o.application)
    assert applied.application is not None
    bare = ScheduledInterview(application_remote_id=applied.application.id, start=NOW,
                              end=NOW + timedelta(hours=1), interviewer_ids=(interviewer,))
    with pytest.raises(AtsError, match="candidate_remote_id") as caught:
        await lever.adapter().create_interview(bare, acting_user_id=actor)
    assert caught.value.status == 404
    compound = ScheduledInterview(application_remote_id=join_remote_id(applied.id, applied.application.id),
                                  start=NOW, end=NOW + timedelta(hours=1), interviewer_ids=(interviewer,))
    linked = await lever.adapter().create_interview(compound, acting_user_id=actor)
    assert state.panels[applied.id][split_remote_id(linked.remote_id or "")[1]]["applications"] == [
        applied.application.id]


async def test_panel_writes_need_an_acting_user_and_an_interviewer(lever: LeverRig) -> None:
    opp = visible(lever.state)[0]
    planned = ScheduledInterview(application_remote_id=opp.id, start=NOW, end=NOW + timedelta(hours=1),
                                 interviewer_ids=(lever.state.active_user_ids()[0],))
    with pytest.raises(ConfigError, match="which Lever user"):
        await lever.adapter().create_interview(planned)
    nobody = ScheduledInterview(application_remote_id=opp.id, start=NOW, end=NOW + timedelta(hours=1))
    with pytest.raises(ConfigError, match="interviewer"):
        await lever.adapter(perform_as=lever.state.active_user_ids()[0]).create_interview(nobody)
    with pytest.raises(ConfigError, match="opportunity id"):
        await lever.adapter().delete_interview("just-a-panel-id")
    assert not lever.sandbox.requests


# -- looking up a write whose answer was lost ------------------------------------------------------------


async def test_find_note_pages_to_the_note_with_the_marker_and_names_it_like_create(lever: LeverRig) -> None:
    state = lever.state
    opp = next(o for o in visible(state) if o.application)
    for number in range(120):  # more than one page of other people's notes first
        lever.sandbox.add_note(opp.id, f"Call notes {number}: strong on systems design.\n\n[hirebot:evt-{number}0]")
    lever.clock.advance(60)
    adapter = lever.adapter()
    created = await adapter.create_note(Note(opp.id, "hirebot: Phone screen booked.\n\n[hirebot:evt-12]"))
    lever.sandbox.requests.clear()

    found = await adapter.find_note(opp.id, "[hirebot:evt-12]")
    assert found is not None and found.remote_id == created.remote_id
    assert found.candidate_remote_id == opp.id and found.body.endswith("[hirebot:evt-12]")
    pages = lever.calls("GET", f"/opportunities/{opp.id}/notes")
    assert len(pages) == 2 and pages[1].param("offset")  # followed `next` to the second page
    assert await adapter.find_note(opp.id, "[hirebot:evt-13]") is None


async def test_find_note_without_the_notes_permission_says_which_one(lever: LeverRig) -> None:
    lever.sandbox.permissions = TWELVE
    opp = visible(lever.state)[0]
    with pytest.raises(AuthError, match="lacks the list-opportunity-notes permission") as caught:
        await lever.adapter().find_note(opp.id, "[hirebot:evt-1]")
    assert "saved" in str(caught.value)


async def test_a_panel_made_for_a_calendar_uid_is_marked_in_its_note_and_found_by_it(lever: LeverRig) -> None:
    lever.sandbox.permissions = TWELVE  # the lookup needs nothing beyond the documented twelve
    state = lever.state
    opp = next(o for o in visible(state) if o.application)
    assert opp.application is not None
    actor = state.active_user_ids()[0]
    for number in range(101):  # a full page of panels made in Lever's UI, one of them noting another meeting
        panel_id = state.new_id()
        state.panels.setdefault(opp.id, {})[panel_id] = {
            "id": panel_id, "createdAt": to_ms(NOW) + number, "start": to_ms(NOW), "end": to_ms(NOW) + 1,
            "externallyManaged": False, "externalUrl": None, "interviews": [],
            "note": "Onsite loop\n[hirebot:other-meeting@hirebot]" if number == 7 else "Onsite loop"}
    lever.clock.advance(60)
    start = datetime(2026, 3, 10, 15, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    planned = ScheduledInterview(application_remote_id=opp.application.id, start=start,
                                 end=start + timedelta(minutes=45), interviewer_ids=(actor,),
                                 location="Room 4", external_event_id="c0ffee@hirebot")
    adapter = lever.adapter()
    created = await adapter.create_interview(planned, acting_user_id=actor, note="Bring the laptop.",
                                             candidate_remote_id=opp.id)
    panel = state.panels[opp.id][split_remote_id(created.remote_id or "")[1]]
    assert panel["note"] == "Bring the laptop.\n\n[hirebot:c0ffee@hirebot]" and panel["externalUrl"] is None
    assert panel["interviews"][0]["note"] == "Bring the laptop."  # the marker is the panel's, not the agenda's
    lever.sandbox.requests.clear()

    found = await adapter.find_interview_by_external_id("c0ffee@hirebot", application_remote_id=opp.application.id,
                                                        candidate_remote_id=opp.id)
    assert found is not None and found.remote_id == created.remote_id
    assert (found.start, found.end, found.interviewer_ids) == (start, planned.end, (actor,))
    assert found.application_remote_id == opp.application.id and found.location == "Room 4"
    assert found.external_event_id == "c0ffee@hirebot"
    assert len(lever.calls("GET", f"/opportunities/{opp.id}/panels")) == 2
    assert await adapter.find_interview_by_external_id("c0ffee", candidate_remote_id=opp.id) is None

    # Moving it keeps it findable; a URL goes to externalUrl and is found there.
    moved = replace(planned, start=start + timedelta(days=1), end=start + timedelta(days=1, minutes=45))
    await adapter.update_interview(created.remote_id or "", moved, acting_user_id=actor)
    again = await adapter.find_interview_by_external_id("c0ffee@hirebot", candidate_remote_id=opp.id)
    assert again is not None and again.remote_id == created.remote_id and again.start == moved.start
    linked = await adapter.create_interview(replace(planned, external_event_id="https://bot.example/m/7"),
                                            acting_user_id=actor, candidate_remote_id=opp.id)
    by_url = await adapter.find_interview_by_external_id("https://bot.example/m/7",
                                                         application_remote_id=join_remote_id(opp.id, "x"))
    assert by_url is not None and by_url.remote_id == linked.remote_id
    assert state.panels[opp.id][split_remote_id(linked.remote_id or "")[1]]["note"] is None


async def test_deleting_a_panel_that_is_already_gone_counts_as_deleted(lever: LeverRig) -> None:
    opp = visible(lever.state)[0]
    actor = lever.state.active_user_ids()[0]
    await lever.adapter().delete_interview(join_remote_id(opp.id, "no-such-panel"), acting_user_id=actor)
    assert [r.method for r in lever.touched("/panels/")] == ["DELETE"]


async def test_find_candidate_by_email_is_the_newest_opportunity_of_that_person(lever: LeverRig) -> None:
    state = lever.state
    older, newer = sorted(pair_of_one_contact(state), key=lambda o: (o.created_at, o.id))
    email = state.contact_of(older).emails[0]
    adapter = lever.adapter()
    found = await adapter.find_candidate_by_email(f" {email.upper()} ")
    assert found is not None and found.remote_id == newer.id
    assert email in [e.value for e in found.emails] and found.url and found.url.endswith(f"/candidates/{newer.id}")
    [search] = lever.calls("GET", "/opportunities")
    assert search.param("email") == email.upper() and search.param("limit") == "100"
    assert await adapter.find_candidate_by_email("nobody-here@example.org") is None
    assert await adapter.find_candidate_by_email("  ") is None


async def test_create_candidate_needs_the_extra_permission_and_says_so(lever: LeverRig) -> None:
    lever.sandbox.permissions = TWELVE
    state = lever.state
    actor = state.active_user_ids()[0]
    before = len(state.opportunities)
    ada = Candidate(remote_id="", first_name="Ada", last_name="Lovelace", company="Analytical Engines",
                    emails=(ContactValue("ada@example.com"),), links=(ContactValue("https://linkedin.com/in/ada"),))
    adapter = lever.adapter()
    with pytest.raises(AuthError) as caught:
        await adapter.create_candidate(ada, acting_user_id=actor)
    assert "create-opportunity permission" in str(caught.value)
    assert len(state.opportunities) == before
    assert not adapter.supports(Capability.CREATE_CANDIDATES)
    assert "create-opportunity" in adapter.optional_missing


async def test_create_candidate_with_tags_source_link_posting_and_resume(lever: LeverRig) -> None:
    state = lever.state
    actor, posting = state.active_user_ids()[0], next(iter(state.postings))
    resume = b"%PDF-1.4 Ada's resume"
    ada = Candidate(remote_id="", first_name="Ada", last_name="Lovelace", company="Analytical Engines",
                    emails=(ContactValue("ada@example.com"),), phones=(ContactValue("+44 20 0000", "mobile"),),
                    links=(ContactValue("https://www.linkedin.com/in/ada-lovelace"),), tags=("Python",))
    adapter = lever.adapter()
    created = await adapter.create_candidate(ada, acting_user_id=actor, source="Slack referral",
                                             job_remote_id=posting, resume=("ada.pdf", resume))
    opp = state.opportunities[created.remote_id]
    contact = state.contact_of(opp)
    assert contact.name == "Ada Lovelace" and contact.emails == ["ada@example.com"]
    assert created.url == f"https://hire.sandbox.lever.co/candidates/{opp.id}"
    assert created.emails == (ContactValue("ada@example.com"),)
    assert created.linkedin_url == "https://www.linkedin.com/in/ada-lovelace"
    assert opp.tags == ["Python", "Slack referral"] and opp.sources == ["Slack referral"]
    assert opp.application is not None and opp.application.posting_id == posting and opp.owner_id == actor
    assert opp.resumes[0].content == resume and opp.resumes[0].filename == "ada.pdf"
    assert contact.phones == [("mobile", "+44 20 0000")]

    again = await adapter.create_candidate(
        Candidate(remote_id="", first_name="Ada", last_name="L.", emails=(ContactValue("ADA@example.com"),)),
        acting_user_id=actor)
    assert again.remote_id != created.remote_id  # a second candidacy: a second candidate record...
    assert state.opportunities[again.remote_id].contact_id == contact.id  # ...of the same Lever contact
    assert lever.calls("POST", "/opportunities")[-1].body["contact"] == contact.id


async def test_a_resume_may_come_with_its_content_type_as_the_outbox_sends_it(lever: LeverRig) -> None:
    actor = lever.state.active_user_ids()[0]
    grace = Candidate(remote_id="", first_name="Grace", last_name="Hopper", emails=(ContactValue("grace@example.com"),))
    created = await lever.adapter().create_candidate(grace, acting_user_id=actor, source="hirebot",
                                                     resume=("grace.txt", b"COBOL, FLOW-MATIC", "text/plain"))
    [resume] = lever.state.opportunities[created.remote_id].resumes
    assert (resume.filename, resume.content) == ("grace.txt", b"COBOL, FLOW-MATIC")


# -- webhooks --------------------------------------------------------------------------------------------


def _signed(sandbox: LeverSandbox, event: str, data: dict[str, Any], secret: str, *,
            token: str = "tok-1", triggered_at: int = 1_771_000_000_000) -> dict[str, Any]:
    return {"event": event, "triggeredAt": triggered_at, "token": token,
            "signature": sandbox.sign(token, triggered_at, secret), "data": data}


async def test_webhook_signature_good_and_bad(lever: LeverRig) -> None:
    opp = visible(lever.state)[0]
    payload = _signed(lever.sandbox, "candidateStageChange",
                      lever.sandbox.event_data("candidateStageChange", opp.id), "whsec")
    raw = json.dumps(payload).encode()
    assert verify_webhook_signature(raw, "whsec") and verify_webhook_signature(payload, "whsec")
    assert not verify_webhook_signature(raw, "other-secret")
    assert not verify_webhook_signature(raw, "") and not verify_webhook_signature(raw, [])
    assert verify_webhook_signature(raw, ["hired-token", "whsec"])  # one token per Lever webhook
    for tampered in ({**payload, "token": "tok-2"}, {**payload, "triggeredAt": payload["triggeredAt"] + 1},
                     {**payload, "signature": "0" * 64}, {**payload, "signature": None},
                     {**payload, "triggeredAt": True}):
        assert not verify_webhook_signature(tampered, "whsec")
    # the signature covers token and triggeredAt only, so changed data still verifies: always re-read
    assert verify_webhook_signature({**payload, "data": {"opportunityId": "evil"}}, "whsec")
    assert not verify_webhook_signature(b"not json", "whsec")
    fresh = payload["triggeredAt"] / 1000
    assert verify_webhook_signature(raw, "whsec", now=fresh + 60, max_age_seconds=300)
    assert not verify_webhook_signature(raw, "whsec", now=fresh + 3600, max_age_seconds=300)


async def test_webhook_delivered_by_the_sandbox_names_the_opportunity_to_refresh(lever: LeverRig) -> None:
    from aiohttp import web

    received: list[bytes] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/webhooks/lever/1", hook)
    async with TestServer(app, host="127.0.0.1") as server:
        opp = next(o for o in visible(lever.state) if o.application)
        webhook = lever.sandbox.add_webhook("applicationCreated", str(server.make_url("/webhooks/lever/1")))
        assert await lever.sandbox.emit("applicationCreated", opp.id) == [204]
    secret = webhook["configuration"]["signatureToken"]
    assert verify_webhook_signature(received[0], secret)
    trigger = parse_webhook(received[0])
    assert trigger.event == "applicationCreated" and trigger.candidate_ids == (opp.id,)
    assert trigger.provider == "lever" and trigger.deleted_candidate_ids == () and not trigger.refresh_jobs
    assert trigger.delivery_id and trigger.occurred_at == ms_to_dt(json.loads(received[0])["triggeredAt"])
    batch = await lever.adapter().fetch_candidates(trigger.candidate_ids)
    assert [c.remote_id for c in batch.candidates] == [opp.id]


def test_parse_webhook_for_deletions_and_odd_payloads() -> None:
    deleted = parse_webhook({"event": "candidateDeleted", "triggeredAt": 1, "token": "t",
                             "data": {"opportunityId": "opp-1", "contactId": "c-1"}})
    # Re-read, never deleted as sent: a 404 confirms the deletion the unsigned data claims.
    assert deleted == WebhookTrigger(provider="lever", event="candidateDeleted", candidate_ids=("opp-1",),
                                     delivery_id="t", occurred_at=datetime.fromtimestamp(0.001, tz=UTC))
    legacy = parse_webhook(b'{"event": "candidateHired", "data": {"candidateId": "opp-9"}}')
    assert legacy.candidate_ids == ("opp-9",) and legacy.deleted_candidate_ids == ()
    assert legacy.delivery_id is None and legacy.occurred_at is None
    assert parse_webhook({"event": "contactUpdated", "data": {"contactId": "c"}}).candidate_ids == ()
    bad: bytes | dict[str, Any]
    for bad in (b"[]", b"{", {"data": {}}):
        with pytest.raises(MalformedResponse):
            parse_webhook(bad)
    assert join_remote_id("o", "n") == "o:n" and split_remote_id("o:n") == ("o", "n")
    assert split_remote_id("n") == (None, "n")


# -- failures --------------------------------------------------------------------------------------------


async def test_429_is_waited_out_then_the_sync_succeeds(lever: LeverRig) -> None:
    lever.sandbox.chaos.fail_next(429, path="/opportunities", retry_after=2)
    batches = await collect(lever.adapter())
    assert {c.remote_id for b in batches for c in b.candidates} == {o.id for o in visible(lever.state)}
    assert 2.0 in lever.clock.sleeps


async def test_5xx_is_retried_with_backoff(lever: LeverRig) -> None:
    lever.sandbox.chaos.fail_next(502, times=2, path="/users")
    users = await lever.adapter().list_users()
    assert len(users) == len(lever.state.users)
    assert len(lever.calls("GET", "/users")) == 3


async def test_401_during_sync_is_a_clear_auth_error(lever: LeverRig) -> None:
    with pytest.raises(AuthError) as caught:
        await collect(lever.adapter(key="revoked-key-000"))
    assert caught.value.status == 401 and "refused the API key" in str(caught.value)


async def test_a_missing_required_read_stops_the_sync_with_its_name(lever: LeverRig) -> None:
    lever.sandbox.permissions = ALL_PERMISSIONS - {"list-opportunities"}
    with pytest.raises(AuthError, match="lacks the list-opportunities permission"):
        await collect(lever.adapter())
    lever.sandbox.permissions = ALL_PERMISSIONS - {"list-users"}
    with pytest.raises(AuthError, match="lacks the list-users permission"):
        await lever.adapter().list_users()


async def test_a_revoked_key_is_not_mistaken_for_a_missing_optional_read(lever: LeverRig) -> None:
    adapter = lever.adapter(key="revoked-key-000")
    with pytest.raises(AuthError, match="refused the API key"):
        await adapter.list_jobs()
    assert adapter.optional_missing == ()


async def test_malformed_page_fails_that_page_only(clock: EpochClock) -> None:
    attempts = RetryPolicy().max_attempts
    async with serve_lever(lever_sandbox(generate(candidates=150, seed=4, now=NOW), clock), clock) as rig:
        rig.sandbox.chaos.malformed_next(path="/opportunities")  # once: read again, and the sync goes on
        assert len(await collect(rig.adapter(sync_attachments=False))) == 2
        batches = []
        with pytest.raises(MalformedResponse):
            async for batch in rig.adapter(sync_attachments=False).candidate_batches():
                batches.append(batch)
                if len(batches) == 1:  # the second page stays unreadable
                    rig.sandbox.chaos.malformed_next(times=attempts, path="/opportunities")
        assert len(batches) == 1 and batches[0].candidates
        rig.sandbox.chaos.fail_next(200, path="/opportunities", body=b'{"data": {"not": "a list"}}')
        with pytest.raises(MalformedResponse, match="could not read"):
            await collect(rig.adapter(sync_attachments=False))
        assert len(await collect(rig.adapter(sync_attachments=False))) == 2  # the next run is whole again


async def test_client_side_pacing_keeps_under_lever_rate_limit(clock: EpochClock) -> None:
    async with serve_lever(lever_sandbox(generate(candidates=60, seed=2, now=NOW), clock), clock) as rig:
        adapter = rig.adapter()
        started = clock.now
        batches = await collect(adapter)
        requests = sum(b.requests for b in batches)
        assert requests > 100
        assert rig.sandbox.rate_limited == 0 and 1.0 not in clock.sleeps
        elapsed = clock.now - started
        assert elapsed >= (requests - 10) / 9.5 - 0.01  # 9.5/s after a burst of 10
        assert adapter.pacer.waited > 0


async def test_pacer_reserves_slots_without_spinning() -> None:
    fake = EpochClock(100.0)
    pacer = RequestPacer(10, 3, clock=fake, sleep=fake.sleep)
    for _ in range(6):
        await pacer.wait()
    assert fake.sleeps == pytest.approx([0.1, 0.1, 0.1])
    fake.now += 10
    await pacer.wait()
    assert len(fake.sleeps) == 3


# -- through the real sync engine ------------------------------------------------------------------------


async def test_sync_engine_stores_each_opportunity_and_webhook_deletions_propagate(lever: LeverRig,
                                                                                 sqlite_engine: Engine) -> None:
    sessions = session_factory(sqlite_engine)
    workspace = factories.workspace(sessions)
    connection = factories.connection(sessions, workspace, provider="lever")
    adapter = lever.adapter()
    summary = await sync_connection(sessions, connection.id, adapter, full=True)
    state = lever.state
    shown = visible(state)
    first, second = pair_of_one_contact(state)
    with sessions() as session:
        stored = {c.remote_id: c for c in session.scalars(select(orm.Candidate)
                                                          .where(orm.Candidate.connection_id == connection.id))}
        apps = session.scalar(select(func.count()).select_from(orm.Application))
        linked = session.scalar(select(func.count()).select_from(orm.Application)
                                .where(orm.Application.job_id.is_not(None)))
    assert set(stored) == {o.id for o in shown} and summary.created == len(shown)
    assert apps == len(shown) and linked == sum(1 for o in shown if o.application)
    assert stored[first.id].primary_email == stored[second.id].primary_email  # the core merges them by email
    assert (stored[first.id].url or "").endswith(f"/candidates/{first.id}")

    single = next(o for o in shown if o.contact_id != first.contact_id)
    for opp_id in (single.id, first.id):
        data = lever.sandbox.event_data("candidateDeleted", opp_id)
        state.delete_opportunity(opp_id)
        trigger = parse_webhook(_signed(lever.sandbox, "candidateDeleted", data, "s"))
        assert trigger.event == "candidateDeleted" and trigger.candidate_ids == (opp_id,)
        await refresh_candidates(sessions, connection.id, adapter, trigger.candidate_ids)
    with sessions() as session:
        remote_ids = set(session.scalars(select(orm.Candidate.remote_id)))
    assert single.id not in remote_ids and first.id not in remote_ids and second.id in remote_ids
    assert remote_ids == {o.id for o in visible(state)}

    state.update_opportunity(second.id, name="Renamed Sibling")
    trigger = parse_webhook(_signed(lever.sandbox, "candidateStageChange",
                                    lever.sandbox.event_data("candidateStageChange", second.id), "s"))
    refreshed = await refresh_candidates(sessions, connection.id, adapter, trigger.candidate_ids)
    assert refreshed.updated == 1 and refreshed.requests == 3  # the opportunity, its resumes, its files
