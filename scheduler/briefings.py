"""Pre-meeting briefings: a private chat message to each internal attendee shortly before a booked interview,
so hiring managers and interviewers walk in knowing who they meet, for what role, and where the CV is.

Planning happens inside `MeetingService`'s transaction (`briefing_jobs`, `plan_digests`): one `briefing` job
per internal attendee who uses hirebot, due their own lead time before the start, keyed by the meeting's round
so a reschedule plans new ones and the re-planning cancels the old ones (as it does on cancel). Running is a
job handler that reads what the briefing needs (the meeting, the candidate's records the attendee may see, the
attendee's time zone) into a plain `Briefing` or `Digest` value and hands it to a `BriefingSender` the chat
front end provides; the chat layer (`bot.briefing_card`) draws it as cards.

When a user changes their lead time, digest or time zone, `replan_user_briefings` moves the pending briefing
and digest jobs of their upcoming meetings (in the settings change's transaction), from the same planning
functions.

A briefing is a message to a person, so it must not arrive twice: once sent, the job row is stamped
`delivered` in its own transaction before the dispatcher records the outcome, and a retry that finds the
stamp finishes without sending again. This module reads meetings straight from the store because
`scheduler.meetings` imports it for planning.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from scheduler.jobs import ClaimedJob, JobKind, JobOutcome, JobState, PlannedJob, job_row
from scheduler.user_settings import SchedulingSettings, load_settings
from store.crypto import SecretBox
from store.db import transaction
from store.meeting_models import Meeting, MeetingAttendee, ScheduledJob
from store.models import AtsConnection, Candidate, User, utcnow
from store.queries import candidates_by_ids, candidates_sharing_email, visible_connections

BOOKED = "booked"  # MeetingState.BOOKED; not imported because scheduler.meetings imports this module
DELIVERED = "delivered"


# -- planning (inside the meeting's transaction) ---------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """An internal attendee who uses hirebot, with the preferences that decide their briefing."""

    user_id: int
    email: str
    role: str
    settings: SchedulingSettings


def recipients(session: Session, meeting: Meeting, box: SecretBox) -> list[Recipient]:
    """Organizer, hiring managers and interviewers who are hirebot users (found by email when they joined
    after the meeting was proposed), once each."""
    found: dict[int, Recipient] = {}
    for attendee in meeting.attendees:
        user_id = attendee.user_id
        if user_id is None:
            user_id = session.scalar(select(User.id).where(User.workspace_id == meeting.workspace_id,
                                                           User.email == attendee.email.lower()))
        if user_id is None or user_id in found:
            continue
        found[user_id] = Recipient(user_id=user_id, email=attendee.email, role=attendee.role,
                                   settings=load_settings(session, user_id, box))
    return list(found.values())


def briefing_due(start: datetime, lead: timedelta, now: datetime) -> tuple[datetime, str | None]:
    """When a briefing goes out: `lead` before the start, or at once when booked later than that; and, when
    it cannot go out before the meeting, why."""
    due = start - lead
    if now >= start:
        return due, "The meeting had already started when it was booked, so there is no briefing."
    return max(due, now), None


def briefing_jobs(session: Session, meeting: Meeting, box: SecretBox, now: datetime) -> list[PlannedJob]:
    """The briefings a meeting wants: one per recipient while it is booked, none otherwise."""
    if meeting.state != BOOKED or meeting.booked_start is None:
        return []
    jobs = []
    for person in recipients(session, meeting, box):
        lead = person.settings.briefing_lead_minutes
        due, skip = briefing_due(meeting.booked_start, timedelta(minutes=lead), now)
        key = f"meeting:{meeting.id}:{JobKind.BRIEFING}:{person.user_id}:v{meeting.round}"
        jobs.append(PlannedJob(key=key, kind=JobKind.BRIEFING, due_at=due, meeting_id=meeting.id, skip_note=skip,
                               payload={"round": meeting.round, "user_id": person.user_id, "to": person.email,
                                        "start": meeting.booked_start.astimezone(UTC).isoformat(),
                                        "lead_minutes": lead}))
    return jobs


def digest_key(user_id: int, day: date) -> str:
    return f"user:{user_id}:{JobKind.BRIEFING_DIGEST}:{day.isoformat()}"


def digest_job(user_id: int, settings: SchedulingSettings, start: datetime, now: datetime) -> PlannedJob | None:
    """The morning digest a meeting starting at `start` asks of this user, or None when they want none, it is
    too late for that morning, or the digest would come after this interview."""
    if not settings.morning_digest:
        return None
    day = start.astimezone(settings.zone).date()
    due = datetime.combine(day, time(settings.morning_digest_hour), tzinfo=settings.zone).astimezone(UTC)
    if not now < due < start:
        return None
    return PlannedJob(key=digest_key(user_id, day), kind=JobKind.BRIEFING_DIGEST, due_at=due,
                      payload={"user_id": user_id, "day": day.isoformat(), "timezone": settings.timezone})


def plan_digests(session: Session, meeting: Meeting, box: SecretBox, now: datetime) -> None:
    """Make sure each recipient who wants a morning digest has one planned for the meeting's day. A digest
    belongs to a person and a day, not to one meeting: the handler reads that day's meetings when it runs, so
    a moved or cancelled meeting simply drops out of it."""
    if meeting.state != BOOKED or meeting.booked_start is None:
        return
    for person in recipients(session, meeting, box):
        plan = digest_job(person.user_id, person.settings, meeting.booked_start, now)
        if plan is None:
            continue
        if session.scalar(select(ScheduledJob.id).where(ScheduledJob.idempotency_key == plan.key)) is not None:
            continue
        session.add(job_row(plan, now))
    session.flush()


# -- re-planning after a settings change (inside the settings change's transaction) -----------------------------


def replan_user_briefings(session: Session, user_id: int, box: SecretBox, now: datetime) -> int:
    """Move one user's pending briefings and morning digests to match their current settings (lead time,
    digest on/off and hour, time zone), for every booked meeting of theirs that has not started. Briefings
    already sent stay sent. Returns how many jobs were moved, added, cancelled or planned again."""
    user = session.get(User, user_id)
    if user is None:
        return 0
    meetings = _booked_meetings(session, user, start=now)
    changed = 0
    for meeting in meetings:
        for plan in briefing_jobs(session, meeting, box, now):
            if plan.payload.get("user_id") == user_id:
                changed += _move_briefing(session, plan, now)
    settings = load_settings(session, user_id, box)
    wanted = {digest.key: digest for meeting in meetings if meeting.booked_start is not None
              if (digest := digest_job(user_id, settings, meeting.booked_start, now)) is not None}
    reason = ("the morning digest was turned off" if not settings.morning_digest
              else "at the new digest time it would come after that day's interviews")
    changed += _replan_digests(session, user_id, wanted, now, reason=reason)
    session.flush()
    return changed


def _locked_job(session: Session, key: str) -> ScheduledJob | None:
    # FOR UPDATE on PostgreSQL: a dispatcher claiming with SKIP LOCKED passes this row by until we commit.
    return session.scalars(select(ScheduledJob).where(ScheduledJob.idempotency_key == key).with_for_update()).first()


def _move_briefing(session: Session, plan: PlannedJob, now: datetime) -> int:
    """Bring the pending job of this briefing to the planned time; plan it when it is missing."""
    row = _locked_job(session, plan.key)
    if row is None:
        session.add(job_row(plan, now))
        return 1
    if row.state != JobState.PENDING or (row.due_at == plan.due_at and row.payload == dict(plan.payload)):
        return 0  # sent, running or already right
    row.due_at, row.payload = plan.due_at, dict(plan.payload)
    return 1


def _replan_digests(session: Session, user_id: int, wanted: dict[str, PlannedJob], now: datetime, *,
                    reason: str) -> int:
    """Pending digests nobody wants any more are cancelled; wanted ones are moved, added, or (when an earlier
    change cancelled them, so they never went out) planned again."""
    changed = 0
    pending = session.scalars(select(ScheduledJob).where(
        ScheduledJob.kind == JobKind.BRIEFING_DIGEST, ScheduledJob.state == JobState.PENDING,
        ScheduledJob.idempotency_key.startswith(f"user:{user_id}:{JobKind.BRIEFING_DIGEST}:", autoescape=True))
        .with_for_update())
    for stale in pending:
        if stale.idempotency_key not in wanted:
            stale.state, stale.finished_at = JobState.CANCELLED, now
            stale.note = f"No longer needed: {reason}."
            changed += 1
    for plan in wanted.values():
        row = _locked_job(session, plan.key)
        if row is None:
            session.add(job_row(plan, now))
        elif row.state == JobState.CANCELLED and row.result != DELIVERED:
            row.state, row.note, row.finished_at, row.attempts = JobState.PENDING, None, None, 0
            row.lease_owner, row.lease_until, row.last_error = None, None, None
            row.due_at, row.payload = plan.due_at, dict(plan.payload)
        elif row.state == JobState.PENDING and (row.due_at, row.payload) != (plan.due_at, dict(plan.payload)):
            row.due_at, row.payload = plan.due_at, dict(plan.payload)
        else:
            continue
        changed += 1
    return changed


# -- what a briefing holds -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingBrief:
    """A booked meeting as a briefing shows it, read from the store."""

    id: int
    title: str
    start: datetime
    end: datetime
    location: str | None
    candidate_name: str
    candidate_email: str
    attendees: tuple[tuple[str, str, str], ...]  # (label, email, role)
    job_name: str | None = None


@dataclass(frozen=True)
class CandidateRecords:
    """Every record of the candidate that one reader may see (best match first, then the same person in their
    other connections), with those connections; loaded with applications, jobs and attachments."""

    rows: tuple[Candidate, ...]
    connections: Mapping[int, AtsConnection]


@dataclass(frozen=True)
class Briefing:
    """One attendee's briefing shortly before a booked meeting, as data for the chat layer to draw."""

    meeting: MeetingBrief
    candidate: CandidateRecords | None  # None: no ATS record this reader can see
    zone: str  # the reader's time zone
    now: datetime  # when it was prepared ("coming up in 15 minutes")
    for_email: str  # the reader, left out of "also attending"
    key: str  # the job's idempotency key: names the briefing, for senders that can deduplicate


@dataclass(frozen=True)
class DigestEntry:
    meeting: MeetingBrief
    candidate: CandidateRecords | None


@dataclass(frozen=True)
class Digest:
    """One user's morning digest: the day's interviews still to come, as data for the chat layer to draw."""

    entries: tuple[DigestEntry, ...]
    zone: str
    day: date
    key: str  # the job's idempotency key


class BriefingSender(Protocol):
    """Delivers a briefing or digest privately to a hirebot user (a Slack DM, a Teams chat, the console); the
    chat layer implements it, drawing the value as its own message. `key` names the message, for senders that
    can deduplicate."""

    def send(self, user_id: int, briefing: Briefing | Digest) -> None: ...


# -- reading the store -----------------------------------------------------------------------------------------


def read_brief(meeting: Meeting) -> MeetingBrief:
    assert meeting.booked_start is not None and meeting.booked_end is not None
    return MeetingBrief(id=meeting.id, title=meeting.title, start=meeting.booked_start, end=meeting.booked_end,
                        location=meeting.location, candidate_name=meeting.candidate_name,
                        candidate_email=meeting.candidate_email, job_name=meeting.job_name,
                        attendees=tuple((a.name or a.email, a.email, a.role) for a in meeting.attendees))


def person_for(session: Session, meeting: Meeting, user_id: int) -> CandidateRecords | None:
    """The candidate's records this user may see (all their connections' copies), or None."""
    if meeting.candidate_id is None:
        return None
    connections = {c.id: c for c in visible_connections(session, meeting.workspace_id, user_id)}
    rows = candidates_by_ids(session, [meeting.candidate_id], list(connections))
    if not rows:
        return None
    emails = [str(e.get("value")) for e in rows[0].emails or [] if isinstance(e, dict) and e.get("value")]
    if rows[0].primary_email:
        emails.append(rows[0].primary_email)
    others = [row for row in candidates_sharing_email(session, emails, list(connections)) if row.id != rows[0].id]
    return CandidateRecords(rows=(rows[0], *others), connections=connections)


def mark_delivered(sessions: sessionmaker[Session], job_id: int) -> None:
    """Stamp the row as soon as the message is out, so a retry after a crash does not send it again."""
    with transaction(sessions) as session:
        session.execute(update(ScheduledJob).where(ScheduledJob.id == job_id).values(result=DELIVERED)
                        .execution_options(synchronize_session=False))


def already_delivered(session: Session, job_id: int) -> bool:
    return session.scalar(select(ScheduledJob.result).where(ScheduledJob.id == job_id)) == DELIVERED


@dataclass(frozen=True)
class _Ready:
    user_id: int
    message: Briefing | Digest
    name: str


# -- handlers --------------------------------------------------------------------------------------------------


class _ChatDeliveryHandler(ABC):
    """Prepares a briefing for one user off the event loop, sends it once, and remembers that it went out.
    With no sender configured (no chat front end) the job completes with a note."""

    def __init__(self, sessions: sessionmaker[Session], box: SecretBox, *, sender: BriefingSender | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions = sessions
        self.box = box
        self.sender = sender
        self.clock = clock

    async def __call__(self, job: ClaimedJob) -> JobOutcome:
        prepared = await asyncio.to_thread(self._prepare, job)
        if isinstance(prepared, JobOutcome):
            return prepared
        sender = self.sender
        if sender is None:
            return JobOutcome(note="Not delivered: no chat front end configured.")
        await asyncio.to_thread(sender.send, prepared.user_id, prepared.message)
        await asyncio.to_thread(mark_delivered, self.sessions, job.id)
        return JobOutcome(note=self._sent_note(prepared.name), result=DELIVERED)

    @abstractmethod
    def _prepare(self, job: ClaimedJob) -> _Ready | JobOutcome:
        """The message to send, or the outcome when there is nothing to send."""

    @abstractmethod
    def _sent_note(self, name: str) -> str: ...


class BriefingHandler(_ChatDeliveryHandler):
    """Runs `briefing` jobs: one attendee's briefing shortly before a booked meeting."""

    def _sent_note(self, name: str) -> str:
        return f"Briefed {name} in chat."

    def _prepare(self, job: ClaimedJob) -> _Ready | JobOutcome:
        now = self.clock()
        with self.sessions() as session:
            if already_delivered(session, job.id):
                return JobOutcome(note="Delivered before the process restarted; not sent again.", result=DELIVERED)
            meeting = session.get(Meeting, job.meeting_id, options=[selectinload(Meeting.attendees)]) \
                if job.meeting_id is not None else None
            if meeting is None:
                return JobOutcome.cancelled("Not sent: the meeting no longer exists.")
            obsolete = _obsolete(meeting, job)
            if obsolete:
                return JobOutcome.cancelled(f"Not sent: {obsolete}.")
            assert meeting.booked_start is not None
            user = session.get(User, int(job.payload["user_id"]))
            if user is None:
                return JobOutcome.cancelled("Not sent: the attendee is no longer a hirebot user.")
            zone = load_settings(session, user.id, self.box).timezone
            if now >= meeting.booked_start:
                started = meeting.booked_start.astimezone(ZoneInfo(zone))
                return JobOutcome.skipped(f"Not sent: the meeting had already started ({started:%H:%M} {zone}) "
                                          "when the briefing came due.")
            briefing = Briefing(meeting=read_brief(meeting), candidate=person_for(session, meeting, user.id),
                                zone=zone, now=now, for_email=user.email, key=job.key)
            return _Ready(user_id=user.id, message=briefing, name=user.display_name or user.email)


class DigestHandler(_ChatDeliveryHandler):
    """Runs `briefing_digest` jobs: the user's interviews still to come that day, in one message."""

    def _sent_note(self, name: str) -> str:
        return f"Sent {name} the day's interviews."

    def _prepare(self, job: ClaimedJob) -> _Ready | JobOutcome:
        now = self.clock()
        day = date.fromisoformat(str(job.payload["day"]))
        zone = str(job.payload.get("timezone") or "UTC")
        with self.sessions() as session:
            if already_delivered(session, job.id):
                return JobOutcome(note="Delivered before the process restarted; not sent again.", result=DELIVERED)
            user = session.get(User, int(job.payload["user_id"]))
            if user is None:
                return JobOutcome.cancelled("Not sent: the user no longer uses hirebot.")
            if not load_settings(session, user.id, self.box).morning_digest:
                return JobOutcome.cancelled("Not sent: the morning digest was turned off.")
            meetings = _meetings_on(session, user, day, ZoneInfo(zone), now)
            if not meetings:
                return JobOutcome.skipped("Not sent: no interviews left that day (moved or cancelled).")
            entries = tuple(DigestEntry(read_brief(m), person_for(session, m, user.id)) for m in meetings)
            digest = Digest(entries=entries, zone=zone, day=day, key=job.key)
            return _Ready(user_id=user.id, message=digest, name=user.display_name or user.email)


def _obsolete(meeting: Meeting, job: ClaimedJob) -> str | None:
    """Why a claimed briefing no longer fits the meeting (re-planning cancels pending ones; this catches one
    claimed just before a change)."""
    if meeting.state != BOOKED or meeting.booked_start is None:
        return f"the meeting is {meeting.state.replace('_', ' ')}"
    if job.payload.get("round", meeting.round) != meeting.round:
        return "the meeting was rescheduled since"
    return None


def _meetings_on(session: Session, user: User, day: date, zone: ZoneInfo, now: datetime) -> list[Meeting]:
    """Booked meetings the user organizes or attends that start on `day` (in `zone`) and have not started."""
    start = max(datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC), now)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return _booked_meetings(session, user, start=start, end=end)


def _booked_meetings(session: Session, user: User, *, start: datetime, end: datetime | None = None) -> list[Meeting]:
    """Booked meetings the user organizes or attends that start at or after `start` (and before `end`)."""
    attending = select(MeetingAttendee.meeting_id).where(
        or_(MeetingAttendee.user_id == user.id, MeetingAttendee.email == user.email.lower()))
    query = (select(Meeting).where(Meeting.workspace_id == user.workspace_id, Meeting.state == BOOKED,
                                   Meeting.booked_start >= start,
                                   or_(Meeting.organizer_user_id == user.id, Meeting.id.in_(attending)))
             .options(selectinload(Meeting.attendees)).order_by(Meeting.booked_start, Meeting.id))
    if end is not None:
        query = query.where(Meeting.booked_start < end)
    return list(session.scalars(query))


__all__ = [
    "DELIVERED", "Briefing", "BriefingHandler", "BriefingSender", "CandidateRecords", "Digest", "DigestEntry",
    "DigestHandler", "MeetingBrief", "Recipient", "briefing_due", "briefing_jobs", "digest_job", "digest_key",
    "plan_digests", "recipients", "replan_user_briefings",
]
