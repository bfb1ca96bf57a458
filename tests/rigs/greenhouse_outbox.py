"""The Greenhouse outbox rig: the Harvest sandbox on loopback, a store filled by the real sync, one clock
for sandbox, adapter and worker, and the real outbox worker; plus meetings whose candidate and hiring
manager are in Greenhouse. The `greenhouse_outbox_rig` fixture (a plugin in tests/conftest.py) serves the
ATS log, outbox and intake tests; `start_rig` builds one with other options.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import ConnectionConfig
from adapters.greenhouse import GreenhouseAdapter
from adapters.http import RetryPolicy
from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, Chaos, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate
from adapters.sandbox.server import start_site
from scheduler.outbox import OutboxSettings, OutboxWorker
from store.crypto import SecretBox
from store.db import transaction
from store.meeting_models import Meeting, MeetingAttendee
from store.models import Application, AtsConnection, AtsUser, Candidate, Job, User, Workspace
from store.sync import sync_connection
from tests.rigs.greenhouse_sandbox import NOW, FakeTime

BOX_KEY = Fernet.generate_key()
BOX = SecretBox(BOX_KEY)


@dataclass
class Setup:
    """A meeting whose candidate and hiring manager are in Greenhouse, and who they are there."""

    meeting_id: int
    candidate_id: int
    candidate_remote_id: str
    application_remote_id: str
    manager_remote_id: str
    manager_email: str


@dataclass
class Rig:
    sandbox: GreenhouseSandbox
    client: httpx.AsyncClient
    url: str
    time: FakeTime
    sessions: sessionmaker[Session]
    workspace_id: int
    connection_id: int
    timeout: float = 5.0

    def adapter(self, connection: AtsConnection) -> GreenhouseAdapter:
        config = ConnectionConfig(base_url=connection.base_url, credentials=BOX.open(connection.credentials),
                                  settings=dict(connection.settings))
        return GreenhouseAdapter(config, self.client, sleep=self.time.sleep, clock=self.time.clock,
                                 rng=random.Random(3), policy=RetryPolicy(max_attempts=1, timeout=self.timeout))

    def moment(self) -> datetime:
        return self.time.moment()

    def worker(self, **settings: Any) -> OutboxWorker:
        return OutboxWorker(self.sessions, self.adapter, settings=OutboxSettings(**settings),
                            clock=self.time.moment)

    def calls(self, method: str, path: str) -> list[Any]:
        return [r for r in self.sandbox.requests if r.method == method and r.path.startswith(path)]

    def writes(self) -> list[Any]:
        return [r for r in self.sandbox.requests if r.method != "GET" and r.path.startswith("/v3/")]


async def start_rig(sessions: sessionmaker[Session], *, candidates: int = 30,
                    chaos_sleep: Callable[[float], Awaitable[Any]] | None = None,
                    rate_limit: int = 10_000) -> tuple[Rig, web.AppRunner]:
    time = FakeTime()

    async def no_wait(seconds: float) -> None:
        return None

    sandbox = GreenhouseSandbox(generate(seed=7, candidates=candidates, now=NOW), clock=time.clock,
                                rate_limit=rate_limit, chaos=Chaos(sleep=chaos_sleep or no_wait))
    # A real aiohttp runner (unlike TestServer) lets a handler finish after its client gave up, as a
    # real Greenhouse applies a write whose answer never arrived.
    server, url = await start_site(sandbox.app)
    url = url.rstrip("/")
    admin = next(uid for uid, u in sandbox.state.users.items()
                 if u["site_admin"] and u["primary_email"] and not u["deactivated"])
    with transaction(sessions) as session:
        workspace = Workspace(name="Acme", platform="test", external_id=uuid.uuid4().hex)
        session.add(workspace)
        session.flush()
        connection = AtsConnection(
            workspace_id=workspace.id, provider="greenhouse", name="Greenhouse", base_url=url,
            settings={"user_id": str(admin), "auth_url": f"{url}/token"},
            credentials=BOX.seal({"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}))
        session.add(connection)
        session.flush()
        ids = workspace.id, connection.id
    rig = Rig(sandbox, httpx.AsyncClient(), url, time, sessions, *ids)
    with sessions() as session:
        stored = session.get(AtsConnection, rig.connection_id)
        assert stored is not None
        await sync_connection(sessions, rig.connection_id, rig.adapter(stored), now=time.moment)
    sandbox.requests.clear()
    return rig, server


@pytest.fixture
async def greenhouse_outbox_rig(sessions: sessionmaker[Session]) -> AsyncIterator[Rig]:
    """The Greenhouse outbox rig on the test's database (SQLite and PostgreSQL), synced and ready."""
    running, server = await start_rig(sessions)
    yield running
    await running.client.aclose()
    await server.cleanup()


def ready_candidates(rig: Rig, *, schedulable: bool = True) -> list[tuple[Candidate, Application, AtsUser]]:
    """Candidates with an active application whose job has a hiring manager (with an email) in the store,
    and, when asked, whose current stage has an interview step Greenhouse can schedule."""
    state = rig.sandbox.state
    found = []
    with rig.sessions() as session:
        rows = session.execute(select(Candidate, Application, Job)
                               .join(Application, Application.candidate_id == Candidate.id)
                               .join(Job, Job.id == Application.job_id)
                               .where(Candidate.connection_id == rig.connection_id,
                                      Application.status == "active", Candidate.primary_email.is_not(None))
                               .order_by(Candidate.id, Application.id)).all()
        seen: set[int] = set()
        for candidate, application, job in rows:
            if candidate.id in seen or not job.hiring_manager_remote_ids or not application.stage_remote_id:
                continue
            manager = session.scalar(select(AtsUser).where(
                AtsUser.connection_id == rig.connection_id, AtsUser.deactivated.is_(False),
                AtsUser.email.is_not(None),
                AtsUser.remote_id.in_([str(v) for v in job.hiring_manager_remote_ids])))
            steps = [s for s in state.job_interviews.values()
                     if str(s["job_interview_stage_id"]) == application.stage_remote_id and s["schedulable"]]
            if manager is None or (schedulable and not steps):
                continue
            seen.add(candidate.id)
            found.append((candidate, application, manager))
    return found


def make_meeting(rig: Rig, candidate: Candidate, application: Application, manager: AtsUser, *,
                 organizer_email: str | None = None, invite_manager: bool = True,
                 candidate_email: str | None = None, meeting_candidate_id: int | bool | None = True) -> Setup:
    """A requested meeting, organized by the hiring manager (a hirebot user) unless told otherwise."""
    assert manager.email and candidate.primary_email
    organizer = (organizer_email or manager.email).lower()
    with transaction(rig.sessions) as session:
        user = session.scalar(select(User).where(User.workspace_id == rig.workspace_id, User.email == organizer))
        if user is None:
            user = User(workspace_id=rig.workspace_id, email=organizer, display_name=organizer.split("@")[0],
                        settings={})
            session.add(user)
            session.flush()
        attendees = [MeetingAttendee(email=organizer, name=user.display_name, role="organizer", user_id=user.id)]
        if invite_manager and manager.email.lower() != organizer:
            attendees.append(MeetingAttendee(email=manager.email.lower(), name=manager.name, role="hiring_manager"))
        now = rig.time.moment()
        meeting = Meeting(
            workspace_id=rig.workspace_id, organizer_user_id=user.id, organizer_email=organizer,
            organizer_name=user.display_name, state="requested", title="Phone screen", duration_minutes=45,
            location="Zoom https://zoom.example/j/1", timezone="Europe/Berlin",
            candidate_id=candidate.id if meeting_candidate_id is True else None,
            candidate_name=candidate.full_name, candidate_email=candidate_email or candidate.primary_email,
            connection_id=rig.connection_id if meeting_candidate_id is True else None,
            candidate_remote_id=candidate.remote_id if meeting_candidate_id is True else None,
            application_remote_id=application.remote_id if meeting_candidate_id is True else None,
            job_name="Engineer", window_start=now, window_end=now + timedelta(days=7), slots=[], round=0,
            round_started_at=now, calendar_uid=f"{uuid.uuid4().hex}@hirebot", event_seq=0, created_at=now,
            updated_at=now, attendees=attendees)
        session.add(meeting)
        session.flush()
        return Setup(meeting.id, candidate.id, candidate.remote_id, application.remote_id, manager.remote_id,
                     manager.email)


def setup_one(rig: Rig, **options: Any) -> Setup:
    candidate, application, manager = ready_candidates(rig)[0]
    return make_meeting(rig, candidate, application, manager, **options)
