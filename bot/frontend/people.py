"""Meeting attendees found on the chat platform by email, so people who never wrote to hirebot get their
briefings too.

A hiring manager or interviewer is named in a meeting by email only. The scheduler plans a briefing for
each attendee who is a hirebot user (scheduler/briefings.py finds them by email), in that user's zone. This
module makes the attendees hirebot users: the platform finds them by email (Slack: users.lookupByEmail),
the user row keeps their platform id (the lasting cache: no second lookup), their name and their time zone,
and their briefings for meetings already booked are planned at once. Someone the platform doesn't know is
reported to the organizer once (remembered on the organizer's user row), never again for that address.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.directory import Directory
from bot.frontend.protocol import ChatContact
from scheduler.briefings import replan_user_briefings
from store.crypto import SecretBox
from store.db import transaction
from store.meeting_models import Meeting
from store.models import User, Workspace

# A platform that doesn't know an address is not asked about it again for this long (per process).
UNKNOWN_TTL_SECONDS = 15 * 60.0
REPORTED_KEY = "chat_unknown_reported"  # User.settings: addresses already reported to this organizer
MAX_REPORTED = 500


@dataclass(frozen=True)
class Attendee:
    """An internal attendee of a meeting as the store has them."""

    email: str
    name: str | None
    role: str
    chat_user_id: str | None  # on their hirebot user, once the platform knows them


@dataclass(frozen=True)
class MeetingPeople:
    """Who a meeting's notices and briefings are for."""

    meeting_id: int
    workspace_id: int
    platform: str
    workspace: str  # the workspace's external id
    organizer_user_id: int | None
    candidate: str
    attendees: tuple[Attendee, ...]


def meeting_people(sessions: sessionmaker[Session], meeting_id: int) -> MeetingPeople | None:
    """The meeting's internal attendees with their hirebot users' platform ids; None for no such meeting."""
    with sessions() as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            return None
        workspace = session.get(Workspace, meeting.workspace_id)
        assert workspace is not None
        emails = [a.email.lower() for a in meeting.attendees]
        rows = session.execute(select(User.email, User.chat_user_id).where(
            User.workspace_id == meeting.workspace_id, User.email.in_(emails)))
        known: dict[str, str | None] = {email: chat_user_id for email, chat_user_id in rows}
        attendees = tuple(Attendee(email=a.email.lower(), name=a.name, role=a.role,
                                   chat_user_id=known.get(a.email.lower())) for a in meeting.attendees)
        return MeetingPeople(meeting_id=meeting.id, workspace_id=meeting.workspace_id,
                             platform=workspace.platform, workspace=workspace.external_id,
                             organizer_user_id=meeting.organizer_user_id,
                             candidate=meeting.candidate_name or meeting.candidate_email, attendees=attendees)


def remember_contact(directory: Directory, workspace_id: int, email: str, contact: ChatContact) -> int:
    """Keep what the platform said about `email` on their hirebot user (created when missing); its id."""
    person = directory.person_for(workspace_id, email=email, chat_user_id=contact.chat_user_id,
                                  display_name=contact.display_name, timezone=_zone(contact.timezone))
    return person.user_id


def plan_briefings(sessions: sessionmaker[Session], user_id: int, box: SecretBox, now: datetime) -> int:
    """Plan the briefings (and morning digests) of a user who just became known, for the meetings already
    booked: the scheduler planned those before the user existed."""
    with transaction(sessions) as session:
        return replan_user_briefings(session, user_id, box, now)


def not_yet_reported(sessions: sessionmaker[Session], organizer_user_id: int, emails: Iterable[str]) -> list[str]:
    """The addresses not reported to this organizer before, now marked as reported."""
    with transaction(sessions) as session:
        # Row lock: two notices about one meeting can run at once, and each address is reported once.
        organizer = session.scalar(select(User).where(User.id == organizer_user_id).with_for_update())
        if organizer is None:
            return []
        settings = dict(organizer.settings or {})
        reported = [str(e) for e in settings.get(REPORTED_KEY) or [] if isinstance(e, str)]
        fresh = [e for e in dict.fromkeys(emails) if e not in reported]
        if fresh:
            settings[REPORTED_KEY] = [*reported, *fresh][-MAX_REPORTED:]
            organizer.settings = settings
        return fresh


def unknown_sentence(people: MeetingPeople, unknown: list[Attendee], label: str) -> str:
    """One sentence to the organizer about attendees the platform doesn't know."""
    names = [f"{a.name} ({a.email})" if a.name else a.email for a in unknown]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (f"I couldn't find {listed} in {label}, so I can't send them the briefing for the interview with "
            f"{people.candidate}; they get it if they message me, or once their {label} profile has that "
            "email address.")


class UnknownAddresses:
    """Addresses a platform recently said it doesn't know, so each briefing doesn't ask again."""

    def __init__(self, ttl: float = UNKNOWN_TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._seen: dict[tuple[str, str], float] = {}

    def recent(self, workspace: str, email: str) -> bool:
        at = self._seen.get((workspace, email))
        return at is not None and self.clock() - at < self.ttl

    def add(self, workspace: str, email: str) -> None:
        self._seen[(workspace, email)] = self.clock()

    def forget(self, workspace: str, email: str) -> None:
        self._seen.pop((workspace, email), None)


def _zone(name: str | None) -> str | None:
    """An IANA zone we can use, or None (a platform may send an empty or unknown one)."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name
