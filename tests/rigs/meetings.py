"""A scene for meeting tests: a workspace with an organizer, a connected ATS and one candidate, the real
MeetingService on the store, and the plain emails and recording notifier its jobs are run with.

Shared by the meeting lifecycle tests and the job tests' worker subprocesses.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Person
from scheduler.ics_feed import FeedCache
from scheduler.jobs import EMAIL_KINDS, JobDispatcher, JobHandler, JobKind
from scheduler.mail import Mailer
from scheduler.meetings import (
    MeetingEmailHandler,
    MeetingService,
    MeetingView,
    OrganizerNoticeHandler,
    SchedulingDefaults,
)
from scheduler.tokens import derive_token_key
from scheduler.user_settings import update_settings
from store.crypto import SecretBox
from store.db import transaction
from store.models import AtsConnection, Workspace
from tests import factories
from tests.rigs.scheduling_clock import Clock

TOKEN_KEY = derive_token_key(b"a test secret that is long enough")
BOX = SecretBox(Fernet.generate_key())
_names = itertools.count(1)


def plain_email(kind: str, view: MeetingView, *, public_url: str, to: str) -> EmailMessage:
    """A minimal email per job kind: enough for the mail sink to deliver and for tests to read."""
    message = EmailMessage()
    message["From"] = "hirebot@hirebot.test"
    message["To"] = to
    message["Subject"] = f"{kind}: {view.title}"
    message.set_content(f"{view.booking_url}\n")
    return message


@dataclass
class RecordingNotifier:
    """A chat front end that keeps what it was asked to say."""

    said: list[tuple[int, str, int]] = field(default_factory=list)

    def notify(self, user_id: int, text: str, *, meeting_id: int) -> None:
        self.said.append((user_id, text, meeting_id))


@dataclass
class Scene:
    """A workspace with an organizer (Rita), a connected ATS and one candidate (Jane Doe, Backend Engineer)."""

    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    box: SecretBox
    service: MeetingService
    organizer: Person
    workspace: Workspace
    connection: AtsConnection
    candidate_id: int

    @classmethod
    def build(cls, sessions: sessionmaker[Session], *, clock: Callable[[], datetime] | None = None,
              box: SecretBox = BOX, defaults: SchedulingDefaults | None = None,
              client_factory: Callable[[], httpx.AsyncClient] | None = None) -> Scene:
        clock = clock or Clock()
        workspace = factories.workspace(sessions)
        rita = factories.user(sessions, workspace, f"rita{next(_names)}@acme.test")
        connection = factories.connection(sessions, workspace)
        jane = factories.candidate(sessions, connection, "Jane", "Doe", email="Jane@Example.com")
        service = MeetingService(sessions, box, public_url="https://hirebot.test/", token_key=TOKEN_KEY, clock=clock,
                                 feeds=FeedCache(clock=clock), defaults=defaults,
                                 client_factory=client_factory or httpx.AsyncClient)
        organizer = Person(workspace_id=workspace.id, user_id=rita.id, email=rita.email, display_name="Rita")
        return cls(sessions, clock, box, service, organizer, workspace, connection, jane.id)

    async def request(self, **options: Any) -> MeetingView:
        proposal = await self.service.propose(self.organizer, options.pop("candidate_id", self.candidate_id),
                                              **options)
        return self.service.create_request(proposal, self.organizer)

    def dispatcher(self, outbox: Path, *, notifier: RecordingNotifier | None = None,
                   grace: timedelta = timedelta(hours=2)) -> JobDispatcher:
        email = MeetingEmailHandler(self.service, build_email=plain_email, mailer=Mailer(outbox=outbox),
                                    domain="hirebot.test")
        handlers: dict[str, JobHandler] = {kind: email for kind in EMAIL_KINDS}
        handlers[JobKind.ORGANIZER_NOTICE] = OrganizerNoticeHandler(self.service, notifier)
        return JobDispatcher(self.sessions, handlers=handlers, clock=self.clock, owner="test-worker", grace=grace)

    def settings(self, **changes: Any) -> None:
        with transaction(self.sessions) as session:
            update_settings(session, self.organizer.user_id, self.box, **changes)
