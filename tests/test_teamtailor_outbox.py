"""Meeting events reach Teamtailor as notes, exactly once: the real outbox worker writes them to the
Teamtailor fake over loopback, from a store filled by the real sync, on SQLite and PostgreSQL. Teamtailor's
API has no interviews, so a booking is a note with the time, the people and the place, and no interview
write is ever queued; the note's author is the organizer's Teamtailor user, else the key's owner."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import ConnectionConfig
from adapters.http import RetryPolicy
from adapters.sandbox.server import start_site
from adapters.sandbox.teamtailor import API_PREFIX, SANDBOX_API_KEY, TeamtailorSandbox
from adapters.sandbox.teamtailor_dataset import generate
from adapters.teamtailor import RequestPacer, TeamtailorAdapter
from scheduler.outbox import OutboxSettings, OutboxWorker
from store.crypto import SecretBox
from store.db import transaction
from store.meeting_models import Meeting, MeetingAttendee
from store.models import Application, AtsConnection, AtsUser, Candidate, User, Workspace
from store.sync import sync_connection
from tests.clocks import EpochClock
from tests.outbox_events import happen, items

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SLOT = NOW + timedelta(days=2)
BOX = SecretBox(Fernet.generate_key())


@dataclass
class Rig:
    sandbox: TeamtailorSandbox
    client: httpx.AsyncClient
    clock: EpochClock
    sessions: sessionmaker[Session]
    workspace_id: int
    connection_id: int

    def adapter(self, connection: AtsConnection) -> TeamtailorAdapter:
        config = ConnectionConfig(connection.base_url, BOX.open(connection.credentials), dict(connection.settings))
        # Pacing would move the shared clock under the worker's due times; the adapter's own tests cover it.
        pacer = RequestPacer(1000.0, 100_000, clock=self.clock, sleep=self.clock.sleep)
        return TeamtailorAdapter(config, self.client, sleep=self.clock.sleep, clock=self.clock,
                                 rng=random.Random(3), policy=RetryPolicy(max_attempts=1, timeout=5.0), pacer=pacer)

    def moment(self) -> datetime:
        return self.clock.moment()

    def worker(self) -> OutboxWorker:
        return OutboxWorker(self.sessions, self.adapter, settings=OutboxSettings(), clock=self.clock.moment)


@pytest.fixture
async def rig(sessions: sessionmaker[Session]) -> AsyncIterator[Rig]:
    clock = EpochClock(NOW)
    sandbox = TeamtailorSandbox(generate(seed=12, candidates=20, now=NOW), clock=clock, rate_limit=10_000)
    server, url = await start_site(sandbox.app)
    with transaction(sessions) as session:
        workspace = Workspace(name="Acme", platform="test", external_id=uuid.uuid4().hex)
        session.add(workspace)
        session.flush()
        connection = AtsConnection(workspace_id=workspace.id, provider="teamtailor", name="Teamtailor",
                                   base_url=f"{url.rstrip('/')}{API_PREFIX}", settings={},
                                   credentials=BOX.seal({"api_key": SANDBOX_API_KEY}))
        session.add(connection)
        session.flush()
        ids = workspace.id, connection.id
    running = Rig(sandbox, httpx.AsyncClient(), clock, sessions, *ids)
    with sessions() as session:
        stored = session.get(AtsConnection, running.connection_id)
        assert stored is not None
        await sync_connection(sessions, running.connection_id, running.adapter(stored), now=clock.moment)
    sandbox.requests.clear()
    yield running
    await running.client.aclose()
    await server.cleanup()


def make_meeting(rig: Rig, organizer: str) -> tuple[int, str]:
    with rig.sessions() as session:
        candidate, application = session.execute(
            select(Candidate, Application).join(Application, Application.candidate_id == Candidate.id)
            .where(Candidate.connection_id == rig.connection_id, Candidate.primary_email.is_not(None),
                   Application.status == "active").order_by(Candidate.id)).first()  # type: ignore[misc]
        colleague = session.scalars(select(AtsUser).where(AtsUser.connection_id == rig.connection_id,
                                                          AtsUser.email != organizer)
                                    .order_by(AtsUser.id)).first()
    assert colleague is not None and colleague.email
    now = rig.moment()
    with transaction(rig.sessions) as session:
        user = User(workspace_id=rig.workspace_id, email=organizer, display_name="Robin", settings={})
        session.add(user)
        session.flush()
        meeting = Meeting(
            workspace_id=rig.workspace_id, organizer_user_id=user.id, organizer_email=organizer,
            organizer_name="Robin", state="requested", title="Phone screen", duration_minutes=45,
            location="Zoom https://zoom.example/j/1", timezone="Europe/Stockholm", candidate_id=candidate.id,
            candidate_name=candidate.full_name, candidate_email=candidate.primary_email,
            connection_id=rig.connection_id, candidate_remote_id=candidate.remote_id,
            application_remote_id=application.remote_id, job_name="Engineer", window_start=now,
            window_end=now + timedelta(days=7), slots=[], round=0, round_started_at=now,
            calendar_uid=f"{uuid.uuid4().hex}@hirebot", event_seq=0, created_at=now, updated_at=now,
            attendees=[MeetingAttendee(email=organizer, name="Robin", role="organizer", user_id=user.id),
                       MeetingAttendee(email=colleague.email, name="Sam Interviewer", role="interviewer")])
        session.add(meeting)
        session.flush()
        return meeting.id, candidate.remote_id


async def test_a_booking_is_a_note_by_the_organizers_user_with_time_people_and_place(rig: Rig) -> None:
    organizer = next(u for u in rig.sandbox.state.users.values() if u["role"] == "recruiter")
    meeting_id, candidate_id = make_meeting(rig, organizer["email"])
    happen(rig, meeting_id, "request_sent", extra={"to": "candidate@example.com"})
    happen(rig, meeting_id, "booked", actor="candidate", book=SLOT)
    happen(rig, meeting_id, "cancelled", actor="candidate", reason="Found another role")

    queued = items(rig, meeting_id)
    assert {item.action for item in queued} == {"note"}  # no interview write: Teamtailor's API has none
    assert await rig.worker().run_until_idle() == len(queued)
    assert {item.state for item in items(rig, meeting_id)} == {"sent"}

    notes = [n for n in rig.sandbox.state.notes.values() if n["candidate_id"] == candidate_id]
    assert len(notes) == len(queued) == 4  # request, picked, booked, cancelled
    assert {n["user_id"] for n in notes} == {organizer["id"]}
    booked = next(n["note"] for n in notes if " booked for " in n["note"])
    assert "Wed 4 Mar 2026, 10:30\u201311:15 (Europe/Stockholm)" in booked
    assert "Sam Interviewer" in booked and "Location: Zoom https://zoom.example/j/1" in booked


async def test_an_organizer_without_a_teamtailor_user_writes_as_the_key_owner(rig: Rig) -> None:
    meeting_id, candidate_id = make_meeting(rig, "outside.recruiter@agency.example")
    happen(rig, meeting_id, "request_sent", extra={"to": "candidate@example.com"})
    assert await rig.worker().run_until_idle() == 1
    (note,) = [n for n in rig.sandbox.state.notes.values() if n["candidate_id"] == candidate_id]
    assert note["user_id"] == rig.sandbox.state.owner_user_id()
    (post,) = [r for r in rig.sandbox.requests if r.method == "POST" and r.path == "/v1/notes"]
    assert "user" not in post.json["data"]["relationships"]
