"""What the intent parser produces: the intent names the core answers and the parsed `Intent` value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

MAX_MESSAGE_CHARS = 2000
"""Longer input is cut before any parsing, so every step below works on bounded text."""


class IntentName(StrEnum):
    WHO_IS = "who_is"
    SCHEDULE = "schedule"
    HELP = "help"
    GREETING = "greeting"
    THANKS = "thanks"
    REFRESH = "refresh"
    JOBS = "jobs"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    MY_MEETINGS = "my_meetings"
    WHY_NO_REMINDER = "why_no_reminder"
    WHAT_LOGGED = "what_logged"
    MY_SETTINGS = "my_settings"
    CHANGE_SETTING = "change_setting"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Intent:
    name: IntentName
    query: str | None = None
    """The person the message is about (a name or an email), cleaned of quotes, politeness and possessives."""
    entities: Mapping[str, str | int] = field(default_factory=dict)
    """Extra details: duration_minutes (int), when (str), email (str, lowercased), linkedin_url (str), provider
    (str, for jobs). A settings change has `setting` (the SchedulingSettings field) and one of: minutes (int),
    hour (int), enabled (1/0), hours (working hours text), zone, url, location, days ("1,3"; "" for none),
    remove (1), or raw (the value as typed, when it could not be read)."""
    text: str = ""
    """The cleaned message text (see clean_text)."""
