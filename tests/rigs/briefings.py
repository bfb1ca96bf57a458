"""A team for briefing tests: Rita organizes from Berlin, Hank (hiring manager) is in New York, Ivan
interviews with a 30-minute lead, wired as in production (`build_scheduling`) with a chat sender that keeps
what it got. Shared by the briefing and the settings-chat tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.briefing_card import render_briefing
from bot.messages import Person
from bot.replies import Reply
from scheduler.briefings import Briefing, Digest
from scheduler.ics_feed import FeedCache
from scheduler.mail import Mailer
from scheduler.meetings import MeetingView
from scheduler.tokens import derive_token_key
from scheduler.user_settings import update_settings
from scheduler.wiring import Scheduling, build_scheduling
from store.db import transaction
from store.models import AtsUser, Attachment, Job
from tests import factories
from tests.rigs.scheduling_clock import Clock

TOKEN_KEY = derive_token_key(b"a test secret that is long enough")
BOX = factories.BOX
START = datetime(2026, 12, 8, 14, tzinfo=UTC)  # Tue: 15:00 in Berlin, 09:00 in New York
_names = itertools.count(1)


@dataclass
class RecordingSender:
    """A chat front end that keeps every briefing it was asked to deliver, drawn as the chat reply."""

    sent: list[tuple[int, Reply]] = field(default_factory=list)

    def send(self, user_id: int, briefing: Briefing | Digest) -> None:
        self.sent.append((user_id, render_briefing(briefing)))

    def to(self, user_id: int) -> list[Reply]:
        return [reply for uid, reply in self.sent if uid == user_id]


@dataclass
class Team:
    """Rita organizes from Berlin; Hank, the hiring manager, is in New York; Ivan interviews on UTC with a
    30-minute lead; an outside interviewer has no hirebot account. Jane Doe applies for Backend Engineer."""

    sessions: sessionmaker[Session]
    clock: Clock
    wired: Scheduling
    sender: RecordingSender
    rita: Person
    hank_id: int
    ivan_id: int
    candidate_id: int
    ivan_email: str
    hank_email: str

    @classmethod
    def build(cls, sessions: sessionmaker[Session], tmp_path: Path, *, sender: RecordingSender | None = None
              ) -> Team:
        clock = Clock()
        n = next(_names)
        workspace = factories.workspace(sessions)
        rita = factories.user(sessions, workspace, f"rita{n}@acme.test")
        hank = factories.user(sessions, workspace, f"hank{n}@acme.test")
        ivan = factories.user(sessions, workspace, f"ivan{n}@acme.test")
        connection = factories.connection(sessions, workspace)
        jane = factories.candidate(sessions, connection, "Jane", "Doe", email="Jane@Example.com",
                                   tags=("referral", "python"))
        with transaction(sessions) as session:
            job = session.scalars(select(Job).where(Job.connection_id == connection.id)).one()
            job.hiring_manager_remote_ids = [77]
            session.add(AtsUser(connection_id=connection.id, remote_id="77", name="Hank Manager", email=hank.email,
                                emails=[]))
            session.add(Attachment(connection_id=connection.id, candidate_id=jane.id, filename="portfolio.pdf",
                                   url="https://files.example/jane/portfolio.pdf", type="other"))
            update_settings(session, rita.id, BOX, timezone="Europe/Berlin")
            update_settings(session, hank.id, BOX, timezone="America/New_York")
            update_settings(session, ivan.id, BOX, briefing_lead_minutes=30)
        sender = sender if sender is not None else RecordingSender()
        wired = build_scheduling(sessions, BOX, public_url="https://hirebot.test", token_key=TOKEN_KEY,
                                 mailer=Mailer(outbox=tmp_path / "mail"), briefing_sender=sender, clock=clock,
                                 feeds=FeedCache(clock=clock))
        organizer = Person(workspace_id=workspace.id, user_id=rita.id, email=rita.email, display_name="Rita")
        return cls(sessions, clock, wired, sender, organizer, hank.id, ivan.id, jane.id, ivan.email, hank.email)

    async def book(self, start: datetime = START) -> MeetingView:
        proposal = await self.wired.service.propose(
            self.rita, self.candidate_id, location="Zoom https://zoom.example/j/42",
            extra_attendees=[self.ivan_email, "guest@partner.example"],
            window=(start - timedelta(hours=1), start + timedelta(hours=3)))
        view = self.wired.service.create_request(proposal, self.rita)
        assert start in view.slots
        return await self.wired.service.select_time(view.id, start)

    async def run_at(self, moment: datetime) -> int:
        self.clock.now = moment
        return await self.wired.dispatcher.run_due()

    def settings(self, user_id: int, **changes: Any) -> None:
        with transaction(self.sessions) as session:
            update_settings(session, user_id, BOX, **changes)
