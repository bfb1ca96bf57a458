"""The time zone an organizer's days are read in (the scheduling form's "Search from" and "until")."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Person
from scheduler.user_settings import read_settings
from store.crypto import SecretBox
from store.models import User


class OrganizerZones:
    """Their scheduling setting when hirebot can read settings (it has its secret key), else the zone their
    chat platform reported for them, else UTC. Reads the store: call it off the event loop."""

    def __init__(self, sessions: sessionmaker[Session], box: SecretBox | None) -> None:
        self.sessions = sessions
        self.box = box

    def zone_for(self, person: Person) -> str:
        if self.box is not None:
            with self.sessions() as session:
                return read_settings(session.get(User, person.user_id), self.box).timezone
        try:
            return str(ZoneInfo(person.timezone)) if person.timezone else "UTC"
        except (ZoneInfoNotFoundError, ValueError):
            return "UTC"
