"""Meeting events logged to Recruitee through the real outbox: each event is one HTML note on the
candidate, written as the token's owner, and no interview is planned or sent (Recruitee's reference has
no way to move, cancel or find an interview event), so the booking note carries time, people and place."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import ConnectionConfig
from adapters.http import RetryPolicy
from adapters.recruitee import RecruiteeAdapter, note_text
from adapters.sandbox.recruitee import Chaos, RecruiteeSandbox
from adapters.sandbox.recruitee_dataset import generate
from adapters.sandbox.server import start_site
from scheduler.outbox import OutboxSettings, OutboxWorker
from store.db import transaction
from store.meeting_models import Meeting, MeetingAttendee
from store.models import Application, AtsConnection, AtsUser, Candidate, User, Workspace
from store.sync import sync_connection
from tests.outbox_events import happen, items
from tests.rigs.greenhouse_outbox import BOX
from tests.rigs.greenhouse_sandbox import NOW, FakeTime

SLOT = NOW + timedelta(days=2)


@dataclass
class Rig:
    sandbox: RecruiteeSandbox
    client: httpx.AsyncClient
    time: FakeTime
    sessions: sessionmaker[Session]
    workspace_id: int
    connection_id: int

    def adapter(self, connection: AtsConnection) -> RecruiteeAdapter:
        config = ConnectionConfig(base_url=connection.base_url, credentials=BOX.open(connection.credentials),
                                  settings=dict(connection.settings))
        return RecruiteeAdapter(config, self.client, sleep=self.time.sleep, clock=self.time.clock,
                                rng=random.Random(3), policy=RetryPolicy(max_attempts=1, timeout=5.0))

    def moment(self) -> datetime:
        return self.time.moment()

    def worker(self) -> OutboxWorker:
        return OutboxWorker(self.sessions, self.adapter, settings=OutboxSettings(), clock=self.time.moment)


@pytest.fixture
async def rig(sessions: sessionmaker[Session]) -> AsyncIterator[Rig]:
    time = FakeTime()

    async def no_wait(seconds: float) -> None:
        return None

    sandbox = RecruiteeSandbox(generate(seed=4, candidates=20, now=NOW), clock=time.clock, chaos=Chaos(sleep=no_wait))
    server, url = await start_site(sandbox.app)
    with transaction(sessions) as session:
        workspace = Workspace(name="Acme", platform="test", external_id=uuid.uuid4().hex)
        session.add(workspace)
        session.flush()
        connection = AtsConnection(workspace_id=workspace.id, provider="recruitee", name="Recruitee",
                                   base_url=f"{url.rstrip('/')}/c/{sandbox.state.company_id}",
                                   settings={"company_id": str(sandbox.state.company_id)},
                                   credentials=BOX.seal({"token": sandbox.token}))
        session.add(connection)
        session.flush()
        ids = workspace.id, connection.id
    running = Rig(sandbox, httpx.AsyncClient(), time, sessions, *ids)
    with sessions() as session:
        stored = session.get(AtsConnection, running.connection_id)
        assert stored is not None
        await sync_connection(sessions, running.connection_id, running.adapter(stored), now=time.moment)
    sandbox.requests.clear()
    yield running
    await running.client.aclose()
    await server.cleanup()


def make_meeting(rig: Rig) -> tuple[int, Candidate]:
    """A requested meeting with an active Recruitee candidate, organized by a Recruitee admin."""
    with transaction(rig.sessions) as session:
        candidate, application = session.execute(
            select(Candidate, Application).join(Application, Application.candidate_id == Candidate.id)
            .where(Candidate.connection_id == rig.connection_id, Application.status == "active",
                   Application.job_id.is_not(None), Candidate.primary_email.is_not(None))
            .order_by(Candidate.id)).first()  # type: ignore[misc]
        admin = session.scalars(select(AtsUser).where(AtsUser.connection_id == rig.connection_id)
                                .order_by(AtsUser.id)).all()[2]
        assert admin.email
        user = User(workspace_id=rig.workspace_id, email=admin.email.lower(), display_name=admin.name, settings={})
        session.add(user)
        session.flush()
        now = rig.time.moment()
        meeting = Meeting(
            workspace_id=rig.workspace_id, organizer_user_id=user.id, organizer_email=user.email,
            organizer_name=user.display_name, state="requested", title="Phone screen", duration_minutes=45,
            location="Room 4", timezone="Europe/Berlin", candidate_id=candidate.id,
            candidate_name=candidate.full_name, candidate_email=candidate.primary_email,
            connection_id=rig.connection_id, candidate_remote_id=candidate.remote_id,
            application_remote_id=application.remote_id, job_name="Engineer", window_start=now,
            window_end=now + timedelta(days=7), slots=[], round=0, round_started_at=now,
            calendar_uid=f"{uuid.uuid4().hex}@hirebot", event_seq=0, created_at=now, updated_at=now,
            attendees=[MeetingAttendee(email=user.email, name=user.display_name, role="organizer",
                                       user_id=user.id)])
        session.add(meeting)
        session.flush()
        session.expunge(candidate)
        return meeting.id, candidate


async def test_each_event_is_one_note_and_no_interview_is_planned_or_sent(rig: Rig) -> None:
    meeting_id, candidate = make_meeting(rig)
    happen(rig, meeting_id, "request_sent", extra={"to": candidate.primary_email})
    happen(rig, meeting_id, "booked", actor="candidate", book=SLOT)
    happen(rig, meeting_id, "cancelled", actor="candidate", reason="Took <another> offer")

    planned = items(rig, meeting_id)
    assert [item.action for item in planned] == ["note"] * 4  # request, time picked, booked, cancelled
    assert await rig.worker().run_until_idle() == 4
    assert [item.state for item in items(rig, meeting_id)] == ["sent"] * 4

    notes = rig.sandbox.state.notes[int(candidate.remote_id)]
    texts = [note_text(note["body"]) for note in notes]
    assert "booked for Wed 4 Mar 2026, 10:30\u201311:15 (Europe/Berlin)" in texts[2]
    assert "Location: Room 4" in texts[2]
    assert "&lt;another&gt;" in notes[3]["body"]  # candidate text is escaped in Recruitee's HTML
    owner = rig.sandbox.state.owner()["id"]
    assert {note["admin_id"] for note in notes} == {owner}  # written as the token's owner
    assert not [r for r in rig.sandbox.requests if "/interview/" in r.path]
