"""Puts the scheduling parts together for one hirebot process: the meeting service, the job dispatcher with
its handlers (emails through the mailer, notices and pre-meeting briefings through the chat front end), and the
runner that wakes it.

Front ends and the CLI take `Scheduling.service`; a process that should also send reminders calls
`Scheduling.start()` on its event loop. Any number of processes may do so against one PostgreSQL database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from adapters.http import default_http_client
from scheduler.ats_log import ATS_NOTICE_KIND
from scheduler.briefings import BriefingHandler, BriefingSender, DigestHandler
from scheduler.emails import build_email
from scheduler.ics_feed import FeedCache
from scheduler.jobs import (
    DEFAULT_GRACE,
    DEFAULT_LEASE,
    EMAIL_KINDS,
    ChatNotifier,
    JobDispatcher,
    JobHandler,
    JobKind,
)
from scheduler.mail import Mailer
from scheduler.meetings import (
    EmailBuilder,
    MailSender,
    MeetingEmailHandler,
    MeetingService,
    OrganizerNoticeHandler,
    SchedulingDefaults,
)
from scheduler.outbox import AtsNoticeHandler
from scheduler.runner import DEFAULT_TICK, DispatchRunner
from scheduler.tokens import derive_token_key
from store.crypto import SecretBox, load_or_create_key
from store.models import utcnow
from store.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

COMPLETE_EVERY = timedelta(minutes=10)


@dataclass
class Scheduling:
    service: MeetingService
    dispatcher: JobDispatcher
    runner: DispatchRunner
    token_key: bytes

    def start(self, *, paused: bool = False) -> None:
        """Start sending due jobs from this process (call on the running event loop)."""
        self.runner.add_periodic(self._complete_finished, every=COMPLETE_EVERY, job_id="meetings-complete")
        self.runner.start(paused=paused)

    def shutdown(self) -> None:
        self.runner.shutdown()

    async def aclose(self) -> None:
        await self.runner.aclose()

    def set_notifier(self, notifier: ChatNotifier | None) -> None:
        """Route organizer notices to a chat front end that started after scheduling was built."""
        for handler in self.dispatcher.handlers.values():
            if isinstance(handler, OrganizerNoticeHandler | AtsNoticeHandler):
                handler.notifier = notifier

    def set_briefing_sender(self, sender: BriefingSender | None) -> None:
        """Route pre-meeting briefings and morning digests to a chat front end that started after scheduling
        was built; without one they complete with a note saying so."""
        for kind in (JobKind.BRIEFING, JobKind.BRIEFING_DIGEST):
            handler = self.dispatcher.handlers.get(kind)
            if isinstance(handler, BriefingHandler | DigestHandler):
                handler.sender = sender

    async def send_due(self) -> int:
        """Send what is due now from this process (the CLI, which runs no background runner)."""
        return await self.dispatcher.run_due()

    async def _complete_finished(self) -> int:
        return await asyncio.to_thread(self.service.complete_finished)


def build_scheduling(sessions: sessionmaker[Session], box: SecretBox, *, public_url: str, token_key: bytes,
                     mailer: MailSender, notifier: ChatNotifier | None = None,
                     briefing_sender: BriefingSender | None = None,
                     build_email: EmailBuilder = build_email, clock: Callable[[], datetime] = utcnow,
                     feeds: FeedCache | None = None,
                     client_factory: Callable[[], httpx.AsyncClient] = default_http_client,
                     defaults: SchedulingDefaults | None = None, owner: str | None = None,
                     lease: timedelta = DEFAULT_LEASE, grace: timedelta = DEFAULT_GRACE,
                     tick: timedelta = DEFAULT_TICK) -> Scheduling:
    """The scheduling parts of one process, wired: emails for every email job kind, chat for notices and
    briefings."""
    service = MeetingService(sessions, box, public_url=public_url, token_key=token_key, clock=clock,
                             feeds=feeds, client_factory=client_factory, defaults=defaults)
    email = MeetingEmailHandler(service, build_email=build_email, mailer=mailer,
                                domain=mail_domain(public_url))
    handlers: dict[str, JobHandler] = {kind: email for kind in EMAIL_KINDS}
    handlers[JobKind.ORGANIZER_NOTICE] = OrganizerNoticeHandler(service, notifier)
    handlers[ATS_NOTICE_KIND] = AtsNoticeHandler(notifier)  # "Greenhouse logging did not apply because…"
    handlers[JobKind.BRIEFING] = BriefingHandler(sessions, box, sender=briefing_sender, clock=clock)
    handlers[JobKind.BRIEFING_DIGEST] = DigestHandler(sessions, box, sender=briefing_sender, clock=clock)
    dispatcher = JobDispatcher(sessions, handlers=handlers, clock=clock, owner=owner, lease=lease,
                               grace=grace)
    runner = DispatchRunner(dispatcher, tick=tick, clock=clock)
    service.on_jobs_planned = runner.nudge  # a request planned here goes out now, not at the next tick
    return Scheduling(service=service, dispatcher=dispatcher, runner=runner, token_key=token_key)


def scheduling_from_settings(settings: Settings, sessions: sessionmaker[Session], box: SecretBox, *,
                             secret_key: bytes = b"", notifier: ChatNotifier | None = None,
                             briefing_sender: BriefingSender | None = None,
                             client_factory: Callable[[], httpx.AsyncClient] = default_http_client,
                             clock: Callable[[], datetime] = utcnow) -> Scheduling:
    """Scheduling from the process's settings: SMTP or the .eml outbox, the public URL, the secret key (read
    from the data directory when the caller has not read it already)."""
    secret = secret_key or load_or_create_key(settings.data_dir, settings.secret_key)
    return build_scheduling(sessions, box, public_url=settings.public_url, token_key=derive_token_key(secret),
                            mailer=Mailer.from_settings(settings), notifier=notifier,
                            briefing_sender=briefing_sender, client_factory=client_factory, clock=clock)


def mail_domain(public_url: str) -> str:
    """The right-hand side of our Message-IDs: the public host, so they are unique to this installation."""
    return urlsplit(public_url).hostname or "hirebot.local"
