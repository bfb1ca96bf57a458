"""Tables of the meeting lifecycle: meetings, their attendees, their event log and their durable jobs.

A meeting changes only through `scheduler.meetings.MeetingService`, which writes the state change, its
event row and the re-planned jobs in one transaction. Jobs are rows, not scheduler entries, so any number
of hirebot processes can share them (see `scheduler.jobs`). Times are UTC (`UtcDateTime` via `Base`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models import Base, utcnow


class Meeting(Base):
    """One interview being arranged with one candidate, from the first request to its end."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    organizer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                          index=True)
    organizer_email: Mapped[str] = mapped_column(String(320))
    organizer_name: Mapped[str | None] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(500))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(1000))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    candidate_timezone: Mapped[str | None] = mapped_column(String(64))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id", ondelete="SET NULL"),
                                                     index=True)
    candidate_name: Mapped[str] = mapped_column(String(300))
    candidate_email: Mapped[str] = mapped_column(String(320))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("ats_connections.id", ondelete="SET NULL"))
    candidate_remote_id: Mapped[str | None] = mapped_column(String(100))
    application_remote_id: Mapped[str | None] = mapped_column(String(100))
    job_name: Mapped[str | None] = mapped_column(String(500))
    window_start: Mapped[datetime] = mapped_column()
    window_end: Mapped[datetime] = mapped_column()
    # Offered start times (ISO-8601 UTC); replaced when fresh ones are offered.
    slots: Mapped[list[Any]] = mapped_column(default=list)
    booked_start: Mapped[datetime | None] = mapped_column()
    booked_end: Mapped[datetime | None] = mapped_column()
    # Raised by every reschedule; part of every job key, so each round gets its own reminders.
    round: Mapped[int] = mapped_column(Integer, default=0)
    round_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    calendar_uid: Mapped[str] = mapped_column(String(200))
    # None until the first invitation is planned; raised by every later calendar change (iCalendar SEQUENCE).
    calendar_sequence: Mapped[int | None] = mapped_column(Integer)
    # The last event's sequence number: events are numbered 1, 2, 3 … per meeting.
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    # Optimistic lock: a concurrent change of the same meeting fails instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=0)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    attendees: Mapped[list[MeetingAttendee]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", passive_deletes=True,
        order_by="MeetingAttendee.id")
    events: Mapped[list[MeetingEvent]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", passive_deletes=True,
        order_by="MeetingEvent.seq")

    __mapper_args__ = {"version_id_col": version}


class MeetingAttendee(Base):
    """An internal attendee (organizer, hiring manager, interviewer); the candidate lives on the meeting."""

    __tablename__ = "meeting_attendees"
    __table_args__ = (UniqueConstraint("meeting_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(30))

    meeting: Mapped[Meeting] = relationship(back_populates="attendees")


class MeetingEvent(Base):
    """One lifecycle event, written in the same transaction as the change it records."""

    __tablename__ = "meeting_events"
    __table_args__ = (UniqueConstraint("meeting_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    meeting: Mapped[Meeting] = relationship(back_populates="events")


class ScheduledJob(Base):
    """A durable piece of future work (an email, a chat notice) that exactly one process will run.

    `idempotency_key` names the work itself (e.g. `meeting:42:followup_email:2:v1`), so planning it twice
    inserts nothing and a retry after a crash reuses the same key for its side effect (the Message-ID).
    `note` says in words why a job was skipped, missed or cancelled.
    """

    __tablename__ = "scheduled_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column()
    state: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


# The dispatcher's two questions: which pending rows are due, and which leases ran out.
Index("ix_scheduled_jobs_state_due", ScheduledJob.state, ScheduledJob.due_at)
Index("ix_scheduled_jobs_state_lease", ScheduledJob.state, ScheduledJob.lease_until)
