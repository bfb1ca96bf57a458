"""iCalendar invitations for real meetings: what calendar programs need to file, update and remove them.

Meetings come from the real MeetingService on a real SQLite store (`SchedulingWorld`, shared with the mail
and booking-page tests); every body is parsed back with icalendar.
"""

from __future__ import annotations

import itertools
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Person
from scheduler.invites import calendar_slot, event_uid, invitation
from scheduler.mail import Mailer
from scheduler.meetings import MeetingService, MeetingView
from scheduler.tokens import derive_token_key
from scheduler.wiring import Scheduling, build_scheduling
from store.db import session_factory, transaction
from store.models import AtsConnection, User, Workspace
from tests import factories

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday morning, before working hours
TOKEN_KEY = derive_token_key(b"scheduling tests: a secret that is long enough")
VIDEO_LINK = "https://meet.example.com/abc-defg-hij"
_numbers = itertools.count(1)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SchedulingWorld:
    """A workspace where Ana Ruiz (organizer) and Bo Chen interview Jane Doe for Senior Backend Engineer,
    with the scheduling parts wired as in production (service, dispatcher, our email builder, a mailer)."""

    sessions: sessionmaker[Session]
    clock: Clock
    scheduling: Scheduling
    organizer: Person
    workspace: Workspace
    connection: AtsConnection
    candidate_id: int
    public_url: str

    @property
    def service(self) -> MeetingService:
        return self.scheduling.service

    @classmethod
    def build(cls, engine: Engine, *, mailer: Mailer, public_url: str = "http://127.0.0.1:8080",
              clock: Clock | None = None, candidate_name: tuple[str, str] = ("Jane", "Doe"),
              candidate_email: str = "jane.doe@example.com") -> SchedulingWorld:
        sessions = session_factory(engine)
        clock = clock or Clock()
        workspace = factories.workspace(sessions)
        suffix = next(_numbers)
        with transaction(sessions) as session:
            ana = User(workspace_id=workspace.id, email=f"ana.ruiz{suffix}@acme.test",
                       display_name="Ana Ruiz", settings={})
            bo = User(workspace_id=workspace.id, email=f"bo.chen{suffix}@acme.test",
                      display_name="Bo Chen", settings={})
            session.add_all([ana, bo])
            session.flush()
            organizer = Person(workspace_id=workspace.id, user_id=ana.id, email=ana.email,
                               display_name="Ana Ruiz")
        connection = factories.connection(sessions, workspace)
        jane = factories.candidate(sessions, connection, *candidate_name, email=candidate_email,
                                   job="Senior Backend Engineer")
        scheduling = build_scheduling(sessions, factories.BOX, public_url=public_url, token_key=TOKEN_KEY,
                                      mailer=mailer, clock=clock)
        return cls(sessions, clock, scheduling, organizer, workspace, connection, jane.id, public_url)

    @property
    def interviewer_email(self) -> str:
        return self.organizer.email.replace("ana.ruiz", "bo.chen")

    def add_candidate(self, first: str, last: str, email: str) -> int:
        return factories.candidate(self.sessions, self.connection, first, last, email=email,
                                   job="Senior Backend Engineer").id

    async def request(self, *, candidate_id: int | None = None, **options: Any) -> MeetingView:
        options.setdefault("extra_attendees", [self.interviewer_email])
        options.setdefault("location", VIDEO_LINK)
        proposal = await self.service.propose(self.organizer, candidate_id or self.candidate_id, **options)
        return self.service.create_request(proposal, self.organizer)

    async def booked(self, **options: Any) -> MeetingView:
        view = await self.request(**options)
        return await self.service.select_time(view.id, view.slots[0], candidate_timezone="Europe/Berlin")


@pytest.fixture
def world(sqlite_engine: Engine, tmp_path: Path) -> SchedulingWorld:
    return SchedulingWorld.build(sqlite_engine, mailer=Mailer(outbox=tmp_path / "outbox"))


def parse(body: bytes) -> tuple[Calendar, Any]:
    calendar = Calendar.from_ical(body)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def attendees(event: Any) -> dict[str, dict[str, str]]:
    values = event.get("attendee")
    values = values if isinstance(values, list) else [values]
    return {str(value).removeprefix("mailto:"): dict(value.params) for value in values}


async def test_a_booked_meeting_becomes_a_request_with_everyone_on_it(world: SchedulingWorld) -> None:
    view = await world.booked()
    body = invitation(view, method="REQUEST", sequence=0, organizer_email=world.organizer.email)

    calendar, event = parse(body)
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert "hirebot" in str(calendar["PRODID"])
    assert event["UID"] == view.calendar_uid
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == view.booked_start
    assert event.decoded("DTEND") == view.booked_start + timedelta(minutes=30)
    assert b"DTSTART:20260303T090000Z" in body  # UTC on the wire, whatever the candidate's zone
    assert str(event["SUMMARY"]) == "Interview: Jane Doe, Senior Backend Engineer"
    assert str(event["LOCATION"]) == VIDEO_LINK
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTAMP") == view.events[-1].occurred_at
    assert str(event["ORGANIZER"]) == f"mailto:{world.organizer.email}"
    assert event["ORGANIZER"].params["CN"] == "Ana Ruiz"
    people = attendees(event)
    assert set(people) == {"jane.doe@example.com", world.organizer.email, world.interviewer_email}
    for email in ("jane.doe@example.com", world.interviewer_email):
        assert people[email]["PARTSTAT"] == "NEEDS-ACTION"
        assert people[email]["ROLE"] == "REQ-PARTICIPANT"
        assert people[email]["RSVP"] == "TRUE"
    assert people["jane.doe@example.com"]["CN"] == "Jane Doe"
    assert people[world.organizer.email]["ROLE"] == "CHAIR"


async def test_the_manage_link_goes_only_into_the_copy_it_is_given_to(world: SchedulingWorld) -> None:
    view = await world.booked()
    candidate_copy = invitation(view, method="REQUEST", sequence=0, organizer_email=world.organizer.email,
                                manage_url=view.manage_url)
    team_copy = invitation(view, method="REQUEST", sequence=0, organizer_email=world.organizer.email)

    assert view.manage_url in str(parse(candidate_copy)[1]["DESCRIPTION"])
    assert "/book/" not in str(parse(team_copy)[1]["DESCRIPTION"])
    assert parse(candidate_copy)[1]["UID"] == parse(team_copy)[1]["UID"]


async def test_a_moved_meeting_keeps_its_uid_with_a_higher_sequence(world: SchedulingWorld) -> None:
    first = await world.booked()
    moved = await world.service.reschedule(first.id, actor="organizer", new_start=first.slots[2])
    assert moved.calendar_sequence is not None and first.calendar_sequence is not None
    assert moved.calendar_sequence > first.calendar_sequence

    before = parse(invitation(first, method="REQUEST", sequence=first.calendar_sequence,
                              organizer_email=world.organizer.email))[1]
    after = parse(invitation(moved, method="REQUEST", sequence=moved.calendar_sequence,
                             organizer_email=world.organizer.email))[1]
    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after.decoded("DTSTART") == first.slots[2]
    assert after.decoded("DTSTAMP") >= before.decoded("DTSTAMP")


async def test_a_cancellation_removes_the_same_event(world: SchedulingWorld) -> None:
    booked = await world.booked()
    cancelled = world.service.cancel(booked.id, actor="organizer", reason="Position filled")
    assert cancelled.calendar_sequence is not None

    calendar, event = parse(invitation(cancelled, method="CANCEL", sequence=cancelled.calendar_sequence,
                                       organizer_email=world.organizer.email))
    assert calendar["METHOD"] == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["UID"] == booked.calendar_uid
    assert event["SEQUENCE"] == cancelled.calendar_sequence > 0
    assert event.decoded("DTSTART") == booked.booked_start
    assert all(params["RSVP"] == "FALSE" for params in attendees(event).values())


async def test_a_cancel_after_a_reschedule_names_the_time_calendars_hold(world: SchedulingWorld) -> None:
    booked = await world.booked()
    moving = await world.service.reschedule(booked.id, actor="organizer")  # new times offered, none picked
    assert moving.booked_start is None
    cancelled = world.service.cancel(booked.id, actor="organizer")

    assert calendar_slot(cancelled) == (booked.booked_start, booked.booked_end)
    event = parse(invitation(cancelled, method="CANCEL", sequence=cancelled.calendar_sequence or 0,
                             organizer_email=world.organizer.email))[1]
    assert event.decoded("DTSTART") == booked.booked_start


async def test_icalendar_special_characters_are_escaped(sqlite_engine: Engine, tmp_path: Path) -> None:
    world = SchedulingWorld.build(sqlite_engine, mailer=Mailer(outbox=tmp_path),
                                  candidate_name=("Zoë", "O'Brien; \"Dev\", Jr."))
    view = await world.booked(title="Interview; round 2, with \"quotes\"\nand a line break",
                              location="Office: 5th floor, room 12; ask reception")
    body = invitation(view, method="REQUEST", sequence=0, organizer_email=world.organizer.email)

    event = parse(body)[1]
    assert str(event["SUMMARY"]) == view.title
    assert str(event["LOCATION"]) == "Office: 5th floor, room 12; ask reception"
    assert attendees(event)["jane.doe@example.com"]["CN"] == view.candidate.name
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))  # folded as RFC 5545 requires


async def test_an_unbooked_meeting_has_no_invitation(world: SchedulingWorld) -> None:
    view = await world.request()
    with pytest.raises(ValueError, match="booked time"):
        invitation(view, method="REQUEST", sequence=0, organizer_email=world.organizer.email)
    assert event_uid(view) == view.calendar_uid
