"""The job handlers that send a meeting's emails and chat notices. They live with the meetings because recording
"sent" is a meeting change: the event is written in the transaction that marks the job done."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, time
from email.message import EmailMessage
from functools import partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from scheduler.jobs import ChatNotifier, ClaimedJob, JobKind, JobOutcome, message_id_for
from scheduler.meetings.errors import MeetingNotFound
from scheduler.meetings.service import MeetingService
from scheduler.meetings.states import OPEN_STATES, SENT_EVENTS, STATE_PHRASES, MeetingEventKind, MeetingState
from scheduler.meetings.times import format_slot, iso
from scheduler.meetings.views import MeetingView

_S, _E = MeetingState, MeetingEventKind


class EmailBuilder(Protocol):
    def __call__(self, kind: str, view: MeetingView, *, public_url: str, to: str) -> EmailMessage: ...


class MailSender(Protocol):
    def send(self, message: EmailMessage) -> str: ...


class MeetingEmailHandler:
    """Sends one meeting email job. The Message-ID comes from the job key, so a retry after a crash is the
    same message and the mail sink (or the recipient's mail server) keeps one copy."""

    def __init__(self, service: MeetingService, *, build_email: EmailBuilder, mailer: MailSender,
                 domain: str = "hirebot.local") -> None:
        self.service = service
        self.build_email = build_email
        self.mailer = mailer
        self.domain = domain

    async def __call__(self, job: ClaimedJob) -> JobOutcome:
        view = await current_view(self.service, job, "job")
        if isinstance(view, JobOutcome):
            return view
        to = str(job.payload["to"])
        message = self.build_email(job.kind, view, public_url=self.service.public_url, to=to)
        del message["Message-ID"]
        message["Message-ID"] = message_id_for(job.key, self.domain)
        message_id = await asyncio.to_thread(self.mailer.send, message)
        event = SENT_EVENTS.get(JobKind(job.kind))
        finish = None
        if event is not None:
            extra: dict[str, Any] = {}
            if job.kind == JobKind.FOLLOWUP_EMAIL:
                extra["followup"] = job.payload.get("number")
            if job.kind in (JobKind.REQUEST_EMAIL, JobKind.FOLLOWUP_EMAIL):
                extra["slots"] = [iso(slot) for slot in view.slots]  # the times the email offered
            finish = partial(self.service.record_sent, meeting_id=view.id, kind=event, to=to,
                             message_id=message_id, extra=extra)
        return JobOutcome(note=f"Sent to {to}.", result=message_id, finish=finish)


class OrganizerNoticeHandler:
    """Tells the organizer in chat (booked, declined, asked for other times, no answer, cancelled). Without a
    chat front end the job completes with a note saying so."""

    def __init__(self, service: MeetingService, notifier: ChatNotifier | None) -> None:
        self.service = service
        self.notifier = notifier

    async def __call__(self, job: ClaimedJob) -> JobOutcome:
        view = await current_view(self.service, job, "notice")
        if isinstance(view, JobOutcome):
            return view
        if self.notifier is None:
            return JobOutcome(note="Not delivered: no chat front end configured.")
        if view.organizer is None or view.organizer.user_id is None:
            return JobOutcome.cancelled("Not sent: the organizer is no longer a hirebot user.")
        text = notice_text(view, job.payload)
        await asyncio.to_thread(self.notifier.notify, view.organizer.user_id, text, meeting_id=view.id)
        return JobOutcome(note="Told the organizer in chat.", result=text[:300])


async def current_view(service: MeetingService, job: ClaimedJob, what: str) -> MeetingView | JobOutcome:
    """The job's meeting as it is now, or the cancelled outcome that says why the job no longer applies."""
    if job.meeting_id is None:
        return JobOutcome.cancelled(f"Not sent: the {what} belongs to no meeting.")
    try:
        view = await asyncio.to_thread(service.view, job.meeting_id)
    except MeetingNotFound:
        return JobOutcome.cancelled("Not sent: the meeting no longer exists.")
    obsolete = job_obsolete(view, job, now=service.clock())
    return JobOutcome.cancelled(f"Not sent: {obsolete}.") if obsolete else view


def job_obsolete(view: MeetingView, job: ClaimedJob, *, now: datetime) -> str | None:
    """Why a due job no longer applies to the meeting as it is now, or None when it still does. Re-planning
    cancels such jobs while pending; this catches one claimed just before the change."""
    state = MeetingState(view.state)
    same_round = job.payload.get("round", view.round) == view.round
    kind = job.kind
    if kind == JobKind.CANCEL_EMAIL:
        return None if state in (_S.CANCELLED, _S.DECLINED) else f"the meeting is {STATE_PHRASES[state]}"
    if kind == JobKind.ORGANIZER_NOTICE and job.payload.get("reason") != "no_answer":
        return None
    if not same_round:
        return "the meeting was rescheduled since"
    if kind in (JobKind.REQUEST_EMAIL, JobKind.FOLLOWUP_EMAIL, JobKind.ORGANIZER_NOTICE):
        return None if state in OPEN_STATES else f"the meeting is {STATE_PHRASES[state]}"
    if state != _S.BOOKED:
        return f"the meeting is {STATE_PHRASES[state]}"
    if kind == JobKind.DAYOF_REMINDER and view.booked_start is not None and now >= view.booked_start:
        return "the meeting had already started"
    return None


def notice_text(view: MeetingView, payload: Mapping[str, Any]) -> str:
    """The organizer's chat message for a notice job."""
    name, title = view.candidate.name, view.title
    note = payload.get("note")
    said = f" They wrote: \u201c{note}\u201d" if note else ""
    reason = payload.get("reason")
    if reason == "booked":
        when = "a time"
        if view.booked_start is not None:
            when = format_slot(view.booked_start, view.booked_end, view.timezone) + _their_time(view)
        return f"{name} booked {title} for {when}. Invitations are on their way."
    if reason == "declined":
        return f"{name} declined {title}.{said}"
    if reason == "other_times":
        return (f"{name} asked for other times for {title}.{said} Say \"reschedule with {name}\" to offer "
                "new ones.")
    if reason == "cancelled":
        return f"{name} cancelled {title}.{said}"
    if reason == "moving":
        return f"{name} asked to move {title}. I've sent them new times to pick from."
    followups = payload.get("followups") or 0
    chased = f" after {followups} follow-up{'s' if followups != 1 else ''}" if followups else ""
    return (f"{name} hasn't picked a time for {title}{chased}. Say \"reschedule with {name} next week\" to "
            f"offer new times, or \"cancel the interview with {name}\".")


def _their_time(view: MeetingView) -> str:
    """The booked time on the candidate's clock, when their zone is known and differs: " (01:00 their time,
    America/Los_Angeles: at night there)"."""
    zone = view.candidate_timezone
    if view.booked_start is None or not zone or zone == view.timezone:
        return ""
    theirs = view.booked_start.astimezone(ZoneInfo(zone))
    ours = view.booked_start.astimezone(ZoneInfo(view.timezone))
    if theirs.utcoffset() == ours.utcoffset():
        return ""
    night = "" if time(7) <= theirs.time() < time(21) else ": at night there"
    return f" ({theirs:%H:%M} their time, {zone}{night})"


__all__ = ["EmailBuilder", "MailSender", "MeetingEmailHandler", "OrganizerNoticeHandler", "job_obsolete",
           "notice_text"]
