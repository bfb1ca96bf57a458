"""The meeting lifecycle, one module per job:

- `states`: the states, events and the table of allowed transitions;
- `transitions`: applying one, with its numbered event row (what the ATS logging delivers);
- `errors`: what scheduling refuses, in words the user reads;
- `views`: meetings as plain values for every reader;
- `service`: `MeetingService`, the only code that changes a meeting;
- `slots`: the search for times that suit every internal attendee (held meetings and calendar feeds);
- `planning`, `attendees`, `times`, `defaults`: the rules, pieces and knobs the service plans with;
- `handlers`: the job handlers that send a meeting's emails and organizer notices.

Everything public is re-exported here, so `from scheduler.meetings import MeetingService` is the way in.
"""

from __future__ import annotations

from scheduler.meetings.attendees import most_relevant_application
from scheduler.meetings.defaults import SchedulingDefaults
from scheduler.meetings.errors import (
    CandidateNotFound,
    ConcurrentChange,
    IllegalTransition,
    MeetingNotFound,
    SchedulingError,
    SlotUnavailable,
)
from scheduler.meetings.handlers import (
    EmailBuilder,
    MailSender,
    MeetingEmailHandler,
    OrganizerNoticeHandler,
    job_obsolete,
    notice_text,
)
from scheduler.meetings.planning import dayof_reminder_time, followup_times
from scheduler.meetings.service import MeetingService
from scheduler.meetings.states import OPEN_STATES, SENT_EVENTS, TRANSITIONS, MeetingEventKind, MeetingState
from scheduler.meetings.times import format_duration, format_slot, format_time
from scheduler.meetings.transitions import event_data, next_state, record_event
from scheduler.meetings.views import (
    LOCATION_TO_BE_CONFIRMED,
    AttendeeRef,
    CandidateRef,
    EventView,
    JobView,
    MeetingView,
    Proposal,
    organizer_label,
    people_shown,
    public_name,
    where,
)

__all__ = [
    "LOCATION_TO_BE_CONFIRMED", "OPEN_STATES", "SENT_EVENTS", "TRANSITIONS", "AttendeeRef", "CandidateNotFound",
    "CandidateRef",
    "ConcurrentChange", "EmailBuilder", "EventView", "IllegalTransition", "JobView", "MailSender",
    "MeetingEmailHandler", "MeetingEventKind", "MeetingNotFound", "MeetingService", "MeetingState", "MeetingView",
    "OrganizerNoticeHandler", "Proposal", "SchedulingDefaults", "SchedulingError", "SlotUnavailable",
    "dayof_reminder_time", "event_data", "followup_times", "format_duration", "format_slot", "format_time",
    "job_obsolete", "most_relevant_application", "next_state", "notice_text", "organizer_label", "people_shown",
    "public_name", "record_event", "where",
]
