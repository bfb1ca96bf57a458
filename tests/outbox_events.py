"""Recording meeting events and reading the outbox, shared by the Greenhouse and Lever delivery tests.

A rig is anything with `sessions` and a `moment()` clock (tests/test_ats_log.py, tests/test_outbox_lever.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scheduler.ats_log import ATS_NOTICE_KIND
from scheduler.meetings import MeetingEventKind, record_event
from store.db import transaction
from store.meeting_models import Meeting, ScheduledJob
from store.outbox_models import OutboxItem


class EventRig(Protocol):
    sessions: sessionmaker[Session]

    def moment(self) -> datetime: ...


def happen(rig: EventRig, meeting_id: int, kind: str, *, actor: str = "system", reason: str | None = None,
           extra: dict[str, Any] | None = None, book: datetime | None = None) -> None:
    """Record events as MeetingService does: booking is time_selected then booked in one transaction."""
    with transaction(rig.sessions) as session:
        meeting = session.scalar(select(Meeting).where(Meeting.id == meeting_id).with_for_update())
        assert meeting is not None
        now = rig.moment()
        if kind == "rescheduled":
            assert meeting.booked_start is not None and meeting.booked_end is not None
            record_event(session, meeting, MeetingEventKind.RESCHEDULED, actor=actor, now=now,
                         extra={"previous_slot": {"start": meeting.booked_start.isoformat(),
                                                  "end": meeting.booked_end.isoformat()}})
            meeting.booked_start = meeting.booked_end = None
            meeting.round += 1
            return
        if book is not None:
            meeting.booked_start, meeting.booked_end = book, book + timedelta(minutes=meeting.duration_minutes)
            record_event(session, meeting, MeetingEventKind.TIME_SELECTED, actor=actor, now=now)
            record_event(session, meeting, MeetingEventKind.BOOKED, actor=actor, now=now)
            return
        record_event(session, meeting, MeetingEventKind(kind), actor=actor, now=now, reason=reason, extra=extra)


def items(rig: EventRig, meeting_id: int | None = None) -> list[OutboxItem]:
    with rig.sessions() as session:
        query = select(OutboxItem).order_by(OutboxItem.id)
        if meeting_id is not None:
            query = query.where(OutboxItem.meeting_id == meeting_id)
        return list(session.scalars(query))


def notices(rig: EventRig) -> list[ScheduledJob]:
    with rig.sessions() as session:
        return list(session.scalars(select(ScheduledJob).where(ScheduledJob.kind == ATS_NOTICE_KIND)
                                    .order_by(ScheduledJob.id)))
