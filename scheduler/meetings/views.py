"""Meetings as their readers see them: plain values built from the store (chat, booking pages, emails,
invitations and the CLI read these, never the ORM rows)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scheduler.meetings.states import OPEN_STATES
from scheduler.meetings.times import parse_iso
from scheduler.tokens import booking_token
from store.meeting_models import Meeting, ScheduledJob


@dataclass(frozen=True)
class CandidateRef:
    id: int | None
    name: str
    email: str


@dataclass(frozen=True)
class AttendeeRef:
    name: str | None
    email: str
    role: str  # organizer, hiring_manager, interviewer
    user_id: int | None = None

    @property
    def label(self) -> str:
        return self.name or self.email


@dataclass(frozen=True)
class EventView:
    seq: int
    kind: str
    actor: str
    occurred_at: datetime
    from_state: str
    to_state: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class JobView:
    id: int
    kind: str
    state: str
    due_at: datetime
    note: str | None
    idempotency_key: str
    attempts: int = 0
    recipient: str | None = None
    last_error: str | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class Proposal:
    """A meeting ready to be requested: what `propose` found, for the organizer to confirm or adjust."""

    title: str
    duration_minutes: int
    window_start: datetime
    window_end: datetime
    location: str | None
    attendees: tuple[AttendeeRef, ...]
    slots: tuple[datetime, ...]
    candidate: CandidateRef
    job_name: str | None
    connection_id: int | None
    candidate_remote_id: str | None
    application_remote_id: str | None
    warnings: tuple[str, ...] = ()
    timezone: str = "UTC"  # the organizer's, for showing the slots
    candidate_timezone: str | None = None  # when known, the slots fit the candidate's day there
    # Every address the ATS has for the candidate, best first, with its kind ("personal", "work" or None);
    # `candidate.email` is the one the request goes to (typed by the organizer, else the first of these).
    candidate_addresses: tuple[tuple[str, str | None], ...] = ()
    # Why writing to this candidate may be wrong (hired, rejected, do not contact): confirm before sending.
    cautions: tuple[str, ...] = ()


@dataclass(frozen=True)
class MeetingView:
    """A meeting as every reader sees it (chat, booking pages, emails, invitations, the CLI)."""

    id: int
    state: str
    title: str
    candidate: CandidateRef
    attendees: tuple[AttendeeRef, ...]
    slots: tuple[datetime, ...]
    booked_start: datetime | None
    booked_end: datetime | None
    location: str | None
    booking_url: str
    manage_url: str
    window_end: datetime
    events: tuple[EventView, ...] = ()
    jobs: tuple[JobView, ...] = ()
    organizer: AttendeeRef | None = None
    timezone: str = "UTC"  # the organizer's
    candidate_timezone: str | None = None  # picked on the booking page
    duration_minutes: int = 30
    job_name: str | None = None
    window_start: datetime | None = None
    calendar_uid: str = ""
    calendar_sequence: int | None = None  # None until an invitation went out; iCalendar SEQUENCE after
    round: int = 0
    decline_reason: str | None = None
    connection_id: int | None = None
    candidate_remote_id: str | None = None
    application_remote_id: str | None = None
    created_at: datetime | None = None

    @property
    def display_timezone(self) -> str:
        """The zone to show the candidate times in: theirs when known, else the organizer's."""
        return self.candidate_timezone or self.timezone

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


LOCATION_TO_BE_CONFIRMED = "To be confirmed: the details will follow before the interview"
PLACEHOLDER_DOMAIN = "localhost"
"""Addresses at this domain are stand-in identities (the CLI's local admin), never shown to candidates."""


def where(view: MeetingView) -> str:
    """Where the meeting takes place, as candidates read it: the organizer's location or video link, or a
    plain "To be confirmed" when none was given."""
    return (view.location or "").strip() or LOCATION_TO_BE_CONFIRMED


def public_name(person: AttendeeRef) -> str | None:
    """The name to show candidates: none for a stand-in identity ("Local admin" at admin@localhost)."""
    if person.email.lower().rsplit("@", 1)[-1] == PLACEHOLDER_DOMAIN:
        return None
    return person.name


def people_shown(view: MeetingView) -> list[str]:
    """The hiring side by name (or address), without stand-in identities."""
    return [public_name(person) or person.email for person in view.attendees
            if person.email.lower().rsplit("@", 1)[-1] != PLACEHOLDER_DOMAIN]


def organizer_label(view: MeetingView, company: str | None) -> str:
    """Who the candidate deals with: the organizer's real name, else the company's (or just the) hiring team."""
    name = public_name(view.organizer) if view.organizer is not None else None
    if name:
        return name
    return f"the {company} hiring team" if company else "the hiring team"


def meeting_view(meeting: Meeting, jobs: Sequence[ScheduledJob], *, public_url: str, token_key: bytes,
                 link_grace: timedelta) -> MeetingView:
    """The meeting as every reader sees it, with booking links valid until its window (or the meeting) ends
    plus `link_grace`."""
    attendees = tuple(AttendeeRef(name=a.name, email=a.email, role=a.role, user_id=a.user_id)
                      for a in meeting.attendees)
    organizer = next((a for a in attendees if a.role == "organizer"),
                     AttendeeRef(name=meeting.organizer_name, email=meeting.organizer_email,
                                 role="organizer", user_id=meeting.organizer_user_id))
    book = booking_token(meeting.id, "book", meeting.window_end + link_grace, key=token_key)
    manage = booking_token(meeting.id, "manage", max(meeting.booked_end or meeting.window_end,
                                                     meeting.window_end) + link_grace, key=token_key)
    return MeetingView(
        id=meeting.id, state=meeting.state, title=meeting.title,
        candidate=CandidateRef(id=meeting.candidate_id, name=meeting.candidate_name,
                               email=meeting.candidate_email),
        attendees=attendees, slots=tuple(parse_iso(slot) for slot in meeting.slots),
        booked_start=meeting.booked_start, booked_end=meeting.booked_end, location=meeting.location,
        booking_url=f"{public_url}/book/{book}",
        manage_url=f"{public_url}/book/{manage}/manage",
        window_end=meeting.window_end,
        events=tuple(EventView(seq=e.seq, kind=e.kind, actor=e.actor, occurred_at=e.occurred_at,
                               from_state=e.from_state, to_state=e.to_state, data=dict(e.data or {}))
                     for e in meeting.events),
        jobs=tuple(JobView(id=j.id, kind=j.kind, state=j.state, due_at=j.due_at, note=j.note,
                           idempotency_key=j.idempotency_key, attempts=j.attempts,
                           recipient=(j.payload or {}).get("to"), last_error=j.last_error,
                           finished_at=j.finished_at) for j in jobs),
        organizer=organizer, timezone=meeting.timezone, candidate_timezone=meeting.candidate_timezone,
        duration_minutes=meeting.duration_minutes, job_name=meeting.job_name,
        window_start=meeting.window_start, calendar_uid=meeting.calendar_uid,
        calendar_sequence=meeting.calendar_sequence, round=meeting.round,
        decline_reason=meeting.decline_reason, connection_id=meeting.connection_id,
        candidate_remote_id=meeting.candidate_remote_id,
        application_remote_id=meeting.application_remote_id, created_at=meeting.created_at)


__all__ = ["LOCATION_TO_BE_CONFIRMED", "AttendeeRef", "CandidateRef", "EventView", "JobView", "MeetingView",
           "Proposal", "meeting_view", "organizer_label", "people_shown", "public_name", "where"]
