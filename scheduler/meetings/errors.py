"""What scheduling refuses, and why: each error's message is the sentence the user reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from adapters.errors import HirebotError
from scheduler.meetings.states import MeetingEventKind, MeetingState


class SchedulingError(HirebotError):
    """Scheduling cannot go on as asked; the message says why and what to do instead."""


class IllegalTransition(SchedulingError):
    def __init__(self, message: str, *, state: MeetingState, kind: MeetingEventKind | None = None) -> None:
        super().__init__(message)
        self.state = state
        self.kind = kind


class SlotUnavailable(SchedulingError):
    """The chosen time is no longer free (or was never offered); `fresh_slots` are times that are."""

    def __init__(self, fresh_slots: Sequence[datetime]) -> None:
        message = ("That time is no longer available. Please pick one of the times below."
                   if fresh_slots else "That time is no longer available, and no other time in the window is "
                   "free right now. Ask for other times and the organizer will offer new ones.")
        super().__init__(message)
        self.fresh_slots = tuple(fresh_slots)


class MeetingNotFound(SchedulingError):
    def __init__(self, meeting_id: int) -> None:
        super().__init__("I can't find that meeting; it may have been removed.")
        self.meeting_id = meeting_id


class CandidateNotFound(SchedulingError):
    def __init__(self) -> None:
        super().__init__("I can't find that candidate in the ATS connections you can see.")


class ConcurrentChange(SchedulingError):
    def __init__(self) -> None:
        super().__init__("The meeting was changed by someone else at the same moment; please try again.")


__all__ = ["CandidateNotFound", "ConcurrentChange", "IllegalTransition", "MeetingNotFound", "SchedulingError",
           "SlotUnavailable"]
