"""The meeting's states and the one table of allowed transitions; anything the table does not list is refused
(`transitions.next_state`). The phrases say, in words a user reads, what state a meeting is in and what was
attempted."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from scheduler.jobs import JobKind


class MeetingState(StrEnum):
    REQUESTED = "requested"
    TIME_SELECTED = "time_selected"
    BOOKED = "booked"
    DECLINED = "declined"
    RESCHEDULING = "rescheduling"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class MeetingEventKind(StrEnum):
    REQUEST_SENT = "request_sent"
    FOLLOWUP_SENT = "followup_sent"
    DAYOF_REMINDER_SENT = "dayof_reminder_sent"
    TIME_SELECTED = "time_selected"
    DECLINED = "declined"
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


_S, _E = MeetingState, MeetingEventKind

TRANSITIONS: Mapping[tuple[MeetingState, MeetingEventKind], MeetingState] = MappingProxyType({
    (_S.REQUESTED, _E.TIME_SELECTED): _S.TIME_SELECTED,
    (_S.RESCHEDULING, _E.TIME_SELECTED): _S.TIME_SELECTED,
    (_S.TIME_SELECTED, _E.BOOKED): _S.BOOKED,
    (_S.REQUESTED, _E.DECLINED): _S.DECLINED,
    (_S.RESCHEDULING, _E.DECLINED): _S.DECLINED,
    (_S.BOOKED, _E.RESCHEDULED): _S.RESCHEDULING,
    # New times offered before one was picked (the candidate asked for others), or offered again.
    (_S.REQUESTED, _E.RESCHEDULED): _S.RESCHEDULING,
    (_S.RESCHEDULING, _E.RESCHEDULED): _S.RESCHEDULING,
    (_S.REQUESTED, _E.CANCELLED): _S.CANCELLED,
    (_S.BOOKED, _E.CANCELLED): _S.CANCELLED,
    (_S.RESCHEDULING, _E.CANCELLED): _S.CANCELLED,
    (_S.BOOKED, _E.COMPLETED): _S.COMPLETED,
    # Records of something sent: the state stays as it is.
    (_S.REQUESTED, _E.REQUEST_SENT): _S.REQUESTED,
    (_S.RESCHEDULING, _E.REQUEST_SENT): _S.RESCHEDULING,
    (_S.REQUESTED, _E.FOLLOWUP_SENT): _S.REQUESTED,
    (_S.RESCHEDULING, _E.FOLLOWUP_SENT): _S.RESCHEDULING,
    (_S.BOOKED, _E.DAYOF_REMINDER_SENT): _S.BOOKED,
})

OPEN_STATES = frozenset({_S.REQUESTED, _S.RESCHEDULING})
"""Waiting for the candidate to pick a time."""

STATE_PHRASES = {
    _S.REQUESTED: "still waiting for the candidate to pick a time",
    _S.TIME_SELECTED: "being booked right now",
    _S.BOOKED: "already booked",
    _S.DECLINED: "declined by the candidate",
    _S.RESCHEDULING: "waiting for the candidate to pick a new time",
    _S.CANCELLED: "cancelled",
    _S.COMPLETED: "already over",
}
ACTION_PHRASES = {
    _E.REQUEST_SENT: "send the meeting request",
    _E.FOLLOWUP_SENT: "send a follow-up",
    _E.DAYOF_REMINDER_SENT: "send the day-of reminder",
    _E.TIME_SELECTED: "pick a time",
    _E.DECLINED: "decline",
    _E.BOOKED: "book it",
    _E.RESCHEDULED: "reschedule",
    _E.CANCELLED: "cancel",
    _E.COMPLETED: "mark it as done",
}
SENT_EVENTS = {JobKind.REQUEST_EMAIL: _E.REQUEST_SENT, JobKind.FOLLOWUP_EMAIL: _E.FOLLOWUP_SENT,
               JobKind.DAYOF_REMINDER: _E.DAYOF_REMINDER_SENT}


__all__ = ["ACTION_PHRASES", "OPEN_STATES", "SENT_EVENTS", "STATE_PHRASES", "TRANSITIONS", "MeetingEventKind",
           "MeetingState"]
