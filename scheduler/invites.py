"""iCalendar invitations (RFC 5545 bodies, RFC 5546 methods): a booked interview lands in everyone's calendar.

One meeting is one calendar event for its whole life: the UID never changes, and every later change goes out
as the same event with a higher SEQUENCE (`METHOD:REQUEST` to update, `METHOD:CANCEL` to remove), which is
how calendar programs know to replace the entry instead of adding a second one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from icalendar import Calendar, Event, vCalAddress, vText

from scheduler.meetings import AttendeeRef, MeetingView, people_shown, public_name, where
from store.settings import company_name

PRODID = "-//hirebot//interview scheduling//EN"
Method = Literal["REQUEST", "CANCEL"]
_ROLES = {"organizer": "CHAIR"}


def invitation(view: MeetingView, *, method: Method, sequence: int, organizer_email: str,
               manage_url: str | None = None, domain: str = "hirebot.local",
               stamp: datetime | None = None) -> bytes:
    """The .ics body for the meeting's calendar event. `manage_url` goes into the description of the
    candidate's copy only (it lets whoever holds it move or cancel the interview). DTSTAMP is `stamp`, by
    default the time of the meeting's latest change, so a resent invitation is byte-for-byte the same."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    slot = calendar_slot(view)
    if method == "REQUEST" and slot is None:
        raise ValueError("an invitation needs a booked time")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(_event(view, method=method, sequence=sequence, organizer_email=organizer_email,
                                  slot=slot, manage_url=manage_url, domain=domain,
                                  now=stamp or last_change(view)))
    return calendar.to_ical()


def event_uid(view: MeetingView, domain: str = "hirebot.local") -> str:
    """The calendar event's UID: the one the meeting was given, else one derived from its id."""
    return view.calendar_uid or f"meeting-{view.id}@{domain}"


def last_change(view: MeetingView) -> datetime:
    """When the meeting last changed: its latest event, else its creation."""
    if view.events:
        return max(event.occurred_at for event in view.events)
    if view.created_at is not None:
        return view.created_at
    raise ValueError(f"meeting {view.id} has no recorded time to stamp its invitation with")


def calendar_slot(view: MeetingView) -> tuple[datetime, datetime] | None:
    """The time the calendar entry holds: the booked one, else (after a reschedule or a cancellation of an
    unbooked round) the last time that was booked, read back from the event log."""
    if view.booked_start is not None:
        end = view.booked_end or view.booked_start + timedelta(minutes=view.duration_minutes)
        return view.booked_start, end
    for event in reversed(view.events):
        for name in ("slot", "previous_slot"):
            slot = event.data.get(name)
            if isinstance(slot, dict) and slot.get("start") and slot.get("end"):
                return datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
    return None


def _event(view: MeetingView, *, method: Method, sequence: int, organizer_email: str,
           slot: tuple[datetime, datetime] | None, manage_url: str | None, domain: str,
           now: datetime) -> Event:
    event = Event()
    event.add("uid", event_uid(view, domain))
    event.add("sequence", sequence)
    event.add("dtstamp", now)
    if slot is not None:
        event.add("dtstart", slot[0])
        event.add("dtend", slot[1])
    event.add("summary", view.title)
    if view.location:
        event.add("location", view.location)
    event.add("description", vText(description(view, manage_url=manage_url, cancelled=method == "CANCEL")))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(organizer_email, _organizer_name(view, organizer_email)), encode=False)
    candidate = AttendeeRef(name=view.candidate.name, email=view.candidate.email, role="candidate")
    for person in (candidate, *view.attendees):
        event.add("attendee", _attendee(person, method=method), encode=False)
    return event


def description(view: MeetingView, *, manage_url: str | None = None, cancelled: bool = False) -> str:
    lines = [f"Cancelled: {view.title}" if cancelled else view.title, ""]
    lines.append(f"Candidate: {view.candidate.name}")
    if view.job_name:
        lines.append(f"Role: {view.job_name}")
    names = ", ".join(people_shown(view))
    if names:
        lines.append(f"With: {names}")
    lines.append(f"Where: {where(view)}")
    if manage_url and not cancelled:
        lines += ["", f"Need to change or cancel? {manage_url}"]
    return "\n".join(lines)


def _organizer_name(view: MeetingView, organizer_email: str) -> str | None:
    if view.organizer is not None and view.organizer.email.lower() == organizer_email.lower():
        return public_name(view.organizer) or company_name()
    return company_name()


def _address(email: str, name: str | None) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    return address


def _attendee(person: AttendeeRef, *, method: Method) -> vCalAddress:
    address = _address(person.email, public_name(person))
    address.params["CUTYPE"] = "INDIVIDUAL"
    address.params["ROLE"] = _ROLES.get(person.role, "REQ-PARTICIPANT")
    if person.role == "organizer":
        # The organizer set the meeting up: asking them to accept their own interview is noise.
        address.params["PARTSTAT"] = "ACCEPTED"
        address.params["RSVP"] = "FALSE"
    else:
        address.params["PARTSTAT"] = "NEEDS-ACTION"
        address.params["RSVP"] = "TRUE" if method == "REQUEST" else "FALSE"
    return address
