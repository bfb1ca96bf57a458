"""A scheduling world: a workspace where Ana Ruiz (organizer) and Bo Chen interview Jane Doe, with the
scheduling parts wired as in production. Shared by the invitation, mail and booking-page tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Person
from scheduler.mail import Mailer
from scheduler.meetings import MeetingService, MeetingView
from scheduler.tokens import derive_token_key
from scheduler.wiring import Scheduling, build_scheduling
from store.db import session_factory, transaction
from store.models import AtsConnection, User, Workspace
from tests import factories

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday morning, before working hours
TOKEN_KEY = derive_token_key(b"scheduling tests: a secret that is long enough")
VIDEO_LINK = "https://meet.example.com/abc-defg-hij"
_numbers = itertools.count(1)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class SchedulingWorld:
    """A workspace where Ana Ruiz (organizer) and Bo Chen interview Jane Doe for Senior Backend Engineer,
    with the scheduling parts wired as in production (service, dispatcher, our email builder, a mailer)."""

    sessions: sessionmaker[Session]
    clock: Clock
    scheduling: Scheduling
    organizer: Person
    workspace: Workspace
    connection: AtsConnection
    candidate_id: int
    public_url: str

    @property
    def service(self) -> MeetingService:
        return self.scheduling.service

    @classmethod
    def build(cls, engine: Engine, *, mailer: Mailer, public_url: str = "http://127.0.0.1:8080",
              clock: Clock | None = None, candidate_name: tuple[str, str] = ("Jane", "Doe"),
              candidate_email: str = "jane.doe@example.com") -> SchedulingWorld:
        sessions = session_factory(engine)
        clock = clock or Clock()
        workspace = factories.workspace(sessions)
        suffix = next(_numbers)
        with transaction(sessions) as session:
            ana = User(workspace_id=workspace.id, email=f"ana.ruiz{suffix}@acme.test",
                       display_name="Ana Ruiz", settings={})
            bo = User(workspace_id=workspace.id, email=f"bo.chen{suffix}@acme.test",
                      display_name="Bo Chen", settings={})
            session.add_all([ana, bo])
            session.flush()
            organizer = Person(workspace_id=workspace.id, user_id=ana.id, email=ana.email,
                               display_name="Ana Ruiz")
        connection = factories.connection(sessions, workspace)
        jane = factories.candidate(sessions, connection, *candidate_name, email=candidate_email,
                                   job="Senior Backend Engineer")
        scheduling = build_scheduling(sessions, factories.BOX, public_url=public_url, token_key=TOKEN_KEY,
                                      mailer=mailer, clock=clock)
        return cls(sessions, clock, scheduling, organizer, workspace, connection, jane.id, public_url)

    @property
    def interviewer_email(self) -> str:
        return self.organizer.email.replace("ana.ruiz", "bo.chen")

    def add_candidate(self, first: str, last: str, email: str) -> int:
        return factories.candidate(self.sessions, self.connection, first, last, email=email,
                                   job="Senior Backend Engineer").id

    async def request(self, *, candidate_id: int | None = None, **options: Any) -> MeetingView:
        options.setdefault("extra_attendees", [self.interviewer_email])
        options.setdefault("location", VIDEO_LINK)
        proposal = await self.service.propose(self.organizer, candidate_id or self.candidate_id, **options)
        return self.service.create_request(proposal, self.organizer)

    async def booked(self, **options: Any) -> MeetingView:
        view = await self.request(**options)
        return await self.service.select_time(view.id, view.slots[0], candidate_timezone="Europe/Berlin")
