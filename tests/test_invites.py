"""iCalendar invitations for real meetings: what calendar programs need to file, update and remove them.

Meetings come from the real MeetingService on a real SQLite store (`SchedulingWorld` in
tests/rigs/scheduling_world.py, shared with the mail and booking-page tests); every body is parsed back with
icalendar.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import Engine

from scheduler.invites import calendar_slot, event_uid, invitation
from scheduler.mail import Mailer
from tests.rigs.scheduling_world import VIDEO_LINK, SchedulingWorld


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
