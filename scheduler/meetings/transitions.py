"""Applying a transition: the new state from the table, and the numbered event row (with what the ATS logging
needs) written in the same transaction, so the state and its history never disagree."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from scheduler.ats_log import plan_ats_log
from scheduler.meetings.errors import IllegalTransition
from scheduler.meetings.states import ACTION_PHRASES, STATE_PHRASES, TRANSITIONS, MeetingEventKind, MeetingState
from scheduler.meetings.times import format_time, iso
from store.meeting_models import Meeting, MeetingEvent

_S = MeetingState


def next_state(meeting: Meeting, kind: MeetingEventKind) -> MeetingState:
    """The state after `kind`, or IllegalTransition saying what state the meeting is in."""
    state = MeetingState(meeting.state)
    target = TRANSITIONS.get((state, kind))
    if target is None:
        phrase = STATE_PHRASES[state]
        if state == _S.BOOKED and meeting.booked_start is not None:
            phrase = f"already booked for {format_time(meeting.booked_start, meeting.timezone)}"
        raise IllegalTransition(f"Can't {ACTION_PHRASES[kind]}: the meeting with {meeting.candidate_name} "
                                f"is {phrase}.", state=state, kind=kind)
    return target


def record_event(session: Session, meeting: Meeting, kind: MeetingEventKind, *, actor: str, now: datetime,
                 reason: str | None = None, extra: Mapping[str, Any] | None = None) -> MeetingEvent:
    """Apply `kind` to the meeting and write its event row, numbered after the previous one."""
    before = MeetingState(meeting.state)
    after = next_state(meeting, kind)
    meeting.state = after
    meeting.event_seq += 1
    meeting.updated_at = now
    event = MeetingEvent(meeting_id=meeting.id, seq=meeting.event_seq, kind=kind, actor=actor,
                         occurred_at=now, from_state=before, to_state=after,
                         data=event_data(meeting, reason=reason, extra=extra))
    session.add(event)
    plan_ats_log(session, meeting, event, now=now)  # its ATS writes commit with it (scheduler/ats_log.py)
    return event


def event_data(meeting: Meeting, *, reason: str | None = None, extra: Mapping[str, Any] | None = None
               ) -> dict[str, Any]:
    """What the ATS logging needs about the meeting at the moment of an event."""
    slot = None
    if meeting.booked_start is not None and meeting.booked_end is not None:
        slot = {"start": iso(meeting.booked_start), "end": iso(meeting.booked_end)}
    return {
        "title": meeting.title,
        "slot": slot,
        "location": meeting.location,
        "attendees": [{"name": a.name, "email": a.email, "role": a.role} for a in meeting.attendees],
        "candidate": {"id": meeting.candidate_id, "name": meeting.candidate_name,
                      "email": meeting.candidate_email},
        "connection_id": meeting.connection_id,
        "candidate_remote_id": meeting.candidate_remote_id,
        "application_remote_id": meeting.application_remote_id,
        "round": meeting.round,
        "reason": reason,
        **(extra or {}),
    }


__all__ = ["event_data", "next_state", "record_event"]
