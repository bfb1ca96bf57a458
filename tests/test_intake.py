"""Someone in no connected ATS: "schedule with jane@example.com" proposes as usual, and when they book hirebot
adds them to the ATS and job the organizer picked (source tag, CV, LinkedIn), then logs the meeting there.

Against the Greenhouse sandbox over loopback, with the real sync, MeetingService, SchedulingDesk and outbox
worker (docs/new_candidates.md).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import ConnectionConfig
from adapters.greenhouse import GreenhouseAdapter
from adapters.http import RetryPolicy
from adapters.sandbox.server import start_site
from bot.document_files import document_route
from bot.intents import find_linkedin
from bot.messages import ChatFile, Person
from bot.replies import Reply
from bot.scheduling_chat import INTAKE_SET, INTAKE_TARGETS, SEND, SchedulingDesk
from scheduler.ats_log import ATS_NOTICE_KIND, OutboxAction, OutboxState
from scheduler.meetings import MeetingService
from scheduler.outbox import OutboxWorker
from store.db import transaction
from store.intake_models import CandidateIntake
from store.meeting_models import Meeting, ScheduledJob
from store.models import AtsConnection, AtsUser, Candidate, Job, User
from store.outbox_models import OutboxItem
from tests.outbox_events import happen
from tests.rigs.greenhouse_outbox import BOX, Rig, start_rig
from tests.waiting import eventually

CV = ChatFile("jane-roe-cv.pdf", "application/pdf", b"%PDF-1.4\n% Jane Roe's CV\n")
LINKEDIN = "https://www.linkedin.com/in/jane-roe"
EMAIL = "jane.roe@example.com"


@dataclass
class Desk:
    rig: Rig
    service: MeetingService
    desk: SchedulingDesk
    sender: Person
    job: Job
    manager: AtsUser

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Reply:
        # The desk runs the service's coroutines on a private loop, as the core's worker thread does.
        result: Reply = await asyncio.to_thread(getattr(self.desk, method), *args, **kwargs)
        return result


@pytest.fixture
def rig(greenhouse_outbox_rig: Rig) -> Rig:
    """The Greenhouse outbox rig (tests/rigs/greenhouse_outbox.py), by the name these tests use."""
    return greenhouse_outbox_rig


def schedulable_job(rig: Rig) -> tuple[Job, AtsUser]:
    """An open job with a stage whose interview Greenhouse can schedule, and its hiring manager."""
    state = rig.sandbox.state
    with rig.sessions() as session:
        for job in session.scalars(select(Job).where(Job.connection_id == rig.connection_id, Job.status == "open")
                                   .order_by(Job.id)):
            stages = {s["id"] for s in state.job_interview_stages.values() if str(s["job_id"]) == job.remote_id}
            if not stages or not job.hiring_manager_remote_ids:
                continue
            steps = [s for s in state.job_interviews.values()
                     if s["job_interview_stage_id"] in stages and s["schedulable"]]
            manager = session.scalar(select(AtsUser).where(
                AtsUser.connection_id == rig.connection_id, AtsUser.deactivated.is_(False),
                AtsUser.email.is_not(None), AtsUser.remote_id.in_([str(v) for v in job.hiring_manager_remote_ids])))
            if steps and manager is not None:
                session.expunge_all()
                return job, manager
    raise AssertionError("the seeded roster has no open job with a schedulable stage and a hiring manager")


def organizer(rig: Rig, email: str) -> Person:
    with transaction(rig.sessions) as session:
        user = User(workspace_id=rig.workspace_id, email=email.lower(), display_name="Rita Recruiter", settings={})
        session.add(user)
        session.flush()
        return Person(workspace_id=rig.workspace_id, user_id=user.id, email=user.email, display_name="Rita Recruiter")


@pytest.fixture
def desk(rig: Rig) -> Desk:
    return make_desk(rig)


def make_desk(rig: Rig) -> Desk:
    job, manager = schedulable_job(rig)
    assert manager.email
    service = MeetingService(rig.sessions, BOX, public_url="https://hirebot.test", token_key=b"k" * 32,
                             clock=rig.time.moment)
    # A recruiter who is not the hiring manager: the job's hiring manager must be invited for them.
    return Desk(rig, service, SchedulingDesk(service, rig.time.moment), organizer(rig, "rita.recruiter@example.com"),
                job, manager)


def field(reply: Reply, label: str) -> str | None:
    return next((f.value for card in reply.cards for f in card.fields if f.label == label), None)


def choice(reply: Reply, command: str, label_part: str = "") -> str:
    return next(c.value for c in reply.choices if c.command == command and label_part in c.label)


async def propose_and_pick_job(d: Desk) -> Reply:
    reply = await d.call("propose", d.sender, None, {"linkedin_url": LINKEDIN}, email=EMAIL, name="Jane Roe",
                         files=(CV,))
    targets = await d.call("intake_targets", d.sender, choice(reply, INTAKE_TARGETS))
    return await d.call("intake_set", d.sender, choice(targets, INTAKE_SET, d.job.name))


def rows(rig: Rig, meeting_id: int) -> list[OutboxItem]:
    with rig.sessions() as session:
        return list(session.scalars(select(OutboxItem).where(OutboxItem.meeting_id == meeting_id)
                                    .order_by(OutboxItem.id)))


def sandbox_people(rig: Rig, email: str) -> list[dict[str, Any]]:
    return [c for c in rig.sandbox.state.candidates.values()
            if any(e["value"] == email for e in c.get("email_addresses") or [])]


async def test_the_proposal_says_where_the_person_will_be_added(desk: Desk) -> None:
    first = await desk.call("propose", desk.sender, None, {}, email=EMAIL)
    assert field(first, "Adds to") == "Greenhouse (no job: a prospect)"
    assert any("isn't in any connected ATS yet" in line for card in first.cards for line in card.context)

    picked = await propose_and_pick_job(desk)
    assert field(picked, "Adds to") == f"Greenhouse \u00b7 {desk.job.name}"
    assert field(picked, "CV") == CV.name
    assert field(picked, "LinkedIn") == LINKEDIN
    assert desk.manager.name in (field(picked, "Attendees") or "")
    assert desk.job.name in picked.cards[0].title


async def test_nothing_reaches_greenhouse_before_the_booking(desk: Desk) -> None:
    rig = desk.rig
    sent = await desk.call("send", desk.sender, choice(await propose_and_pick_job(desk), SEND))
    meeting_id = sent.extra["meeting_id"]
    happen(rig, meeting_id, "request_sent", extra={"to": EMAIL})

    held = rows(rig, meeting_id)
    assert [(r.action, r.state) for r in held] == [(OutboxAction.CREATE_CANDIDATE, OutboxState.HELD),
                                                   (OutboxAction.NOTE, OutboxState.HELD)]
    assert await rig.worker().run_until_idle() == 0
    assert rig.writes() == [] and sandbox_people(rig, EMAIL) == []


async def test_booking_adds_the_person_with_cv_linkedin_and_tag_then_logs_the_meeting(desk: Desk) -> None:
    rig = desk.rig
    sent = await desk.call("send", desk.sender, choice(await propose_and_pick_job(desk), SEND))
    meeting_id = sent.extra["meeting_id"]
    happen(rig, meeting_id, "request_sent", extra={"to": EMAIL})
    slot = desk.service.view(meeting_id).slots[0]
    await desk.service.select_time(meeting_id, slot)

    assert await rig.worker().run_until_idle() >= 4
    people = sandbox_people(rig, EMAIL)
    assert len(people) == 1
    person = people[0]
    assert (person["first_name"], person["last_name"]) == ("Jane", "Roe")
    assert "hirebot" in person["tags"]
    assert [s["value"] for s in person["social_media_addresses"]] == [LINKEDIN]
    state = rig.sandbox.state
    applications = [a for a in state.applications.values() if a["candidate_id"] == person["id"]]
    assert [str(a["job_id"]) for a in applications] == [desk.job.remote_id]
    files = [a for a in state.attachments.values() if a["candidate_id"] == person["id"]]
    assert [(f["filename"], f["type"]) for f in files] == [(CV.name, "resume")]

    notes = [n for n in sorted(state.notes.values(), key=lambda n: n["id"]) if n["candidate_id"] == person["id"]]
    assert [n["body"].split(" ", 2)[1] for n in notes] == ["interview", "Jane", "Interview:"]
    assert "[hirebot:evt-" in notes[0]["body"]
    interviews = [i for i in state.interviews.values() if i["application_id"] == applications[0]["id"]]
    assert len(interviews) == 1

    with rig.sessions() as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None and meeting.candidate_remote_id == str(person["id"])
        stored = session.get(Candidate, meeting.candidate_id)
        assert stored is not None and stored.primary_email == EMAIL
        intake = session.scalar(select(CandidateIntake).where(CandidateIntake.meeting_id == meeting_id))
        assert intake is not None and intake.state == "created"
        told = [j.payload["text"] for j in session.scalars(select(ScheduledJob).where(
            ScheduledJob.kind == ATS_NOTICE_KIND))]
    assert any(f"added them to Greenhouse for {desk.job.name} with their CV and LinkedIn profile" in t
               for t in told), told
    assert all(r.state == OutboxState.SENT for r in rows(rig, meeting_id))


async def test_a_decline_before_booking_adds_nobody(desk: Desk) -> None:
    rig = desk.rig
    sent = await desk.call("send", desk.sender, choice(await propose_and_pick_job(desk), SEND))
    meeting_id = sent.extra["meeting_id"]
    happen(rig, meeting_id, "request_sent", extra={"to": EMAIL})
    desk.service.decline(meeting_id, reason="Took another offer")

    assert await rig.worker().run_until_idle() == 0
    assert sandbox_people(rig, EMAIL) == []
    assert {r.state for r in rows(rig, meeting_id)} == {OutboxState.SKIPPED}
    assert "didn't book a time" in (rows(rig, meeting_id)[0].skip_reason or "")


async def test_an_unanswered_create_is_looked_up_by_email_not_repeated(sessions: sessionmaker[Session]) -> None:
    release = asyncio.Event()

    async def hold(seconds: float) -> None:
        await release.wait()

    rig, server = await start_rig(sessions, chaos_sleep=hold)
    try:
        d = make_desk(rig)
        sent = await d.call("send", d.sender, choice(await propose_and_pick_job(d), SEND))
        meeting_id = sent.extra["meeting_id"]
        await d.service.select_time(meeting_id, d.service.view(meeting_id).slots[0])
        rig.timeout = 0.2
        rig.sandbox.chaos.delay_next(60, path="/v3/candidates")
        await rig.worker().run_once()
        create = rows(rig, meeting_id)[0]
        assert create.action == OutboxAction.CREATE_CANDIDATE and create.state == OutboxState.PENDING
        assert create.unsure
        release.set()  # Greenhouse now applies the create whose answer we gave up on
        await eventually(lambda: len(sandbox_people(rig, EMAIL)) == 1, timeout=2)
        rig.timeout = 5.0
        rig.time.advance(timedelta(hours=1))
        await rig.worker().run_until_idle()
        assert len(sandbox_people(rig, EMAIL)) == 1
        assert all(r.state == OutboxState.SENT for r in rows(rig, meeting_id))
        assert [r.method for r in rig.sandbox.requests if r.path == "/v3/candidates"].count("POST") == 1
    finally:
        await rig.client.aclose()
        await server.cleanup()


async def test_the_next_proposal_defaults_to_the_last_ats_and_job_used(desk: Desk) -> None:
    await desk.call("send", desk.sender, choice(await propose_and_pick_job(desk), SEND))
    again = await desk.call("propose", desk.sender, None, {}, email="sam.lee@example.com")
    assert field(again, "Adds to") == f"Greenhouse \u00b7 {desk.job.name}"


def test_linkedin_links_are_found_in_slack_markup() -> None:
    assert find_linkedin("schedule with a@b.co <https://www.linkedin.com/in/ada-l|linkedin.com/in/ada-l>") == \
        "https://www.linkedin.com/in/ada-l"
    assert find_linkedin("no link here") is None


async def test_a_cv_over_the_size_limit_is_refused_and_nothing_is_drafted(desk: Desk) -> None:
    huge = ChatFile("huge.pdf", "application/pdf", b"0" * (11 * 1024 * 1024))
    reply = await desk.call("propose", desk.sender, None, {}, email=EMAIL, files=(huge,))
    assert "larger than 10 MB" in reply.text and not reply.choices
    with desk.rig.sessions() as session:
        assert session.scalar(select(CandidateIntake.id)) is None


async def test_a_non_cv_attachment_is_ignored(desk: Desk) -> None:
    reply = await desk.call("propose", desk.sender, None, {}, email=EMAIL,
                            files=(ChatFile("photo.png", "image/png", b"\x89PNG"),))
    assert field(reply, "CV") is None and field(reply, "Adds to")


class _DownloadingAdapter(GreenhouseAdapter):
    """Greenhouse, plus what an ATS that fetches the CV from a URL does (Teamtailor, Recruitee): download
    `resume_url` when adding the person, and try it a second time to see it refused."""

    downloads: list[tuple[str, int, bytes, int]] = []

    async def create_candidate(self, candidate: Any, **options: Any) -> Any:
        link = str(options["resume_url"])
        async with httpx.AsyncClient() as client:
            first, again = await client.get(link), await client.get(link)
        self.downloads.append((link, first.status_code, first.content, again.status_code))
        return await super().create_candidate(candidate, **options)


async def test_an_ats_that_downloads_the_cv_gets_a_single_use_link_on_hirebots_server(desk: Desk) -> None:
    rig = desk.rig
    app = web.Application()
    app.add_routes([document_route(rig.sessions, rig.time.moment)])
    runner, public_url = await start_site(app)

    def adapter_for(connection: AtsConnection) -> GreenhouseAdapter:
        config = ConnectionConfig(base_url=connection.base_url, credentials=BOX.open(connection.credentials),
                                  settings=dict(connection.settings))
        return _DownloadingAdapter(config, rig.client, sleep=rig.time.sleep, clock=rig.time.clock,
                                   policy=RetryPolicy(max_attempts=1, timeout=rig.timeout))

    _DownloadingAdapter.downloads = []
    try:
        sent = await desk.call("send", desk.sender, choice(await propose_and_pick_job(desk), SEND))
        meeting_id = sent.extra["meeting_id"]
        happen(rig, meeting_id, "request_sent", extra={"to": EMAIL})
        await desk.service.select_time(meeting_id, desk.service.view(meeting_id).slots[0])
        worker = OutboxWorker(rig.sessions, adapter_for, clock=rig.time.moment, public_url=public_url)
        assert await worker.run_until_idle() >= 4
    finally:
        await runner.cleanup()
    [(link, status, content, second)] = _DownloadingAdapter.downloads
    assert link.startswith(f"{public_url}/files/") and (status, content, second) == (200, CV.data, 410)
    assert len(sandbox_people(rig, EMAIL)) == 1  # and the person was added once, CV bytes and all
