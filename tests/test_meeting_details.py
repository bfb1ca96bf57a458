"""Where the interview is and who it is with, as the candidate reads it: the organizer's location or video link
(or a plain "To be confirmed") in the emails, the calendar invitation and on the booking page, and the company's
name (`HIREBOT_COMPANY_NAME`) with the organizer's real name, never the CLI's stand-in "Local admin".

Real MeetingService and email builder (tests/rigs/scheduling_world.py); the booking page is served by the real
aiohttp routes on loopback and read with httpx (the browser behaviour is in tests/test_booking_pages.py).
"""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from icalendar import Calendar
from sqlalchemy import Engine

from bot.booking import booking_routes
from scheduler.emails import build_email
from scheduler.mail import Mailer
from scheduler.meetings import AttendeeRef, MeetingView, notice_text
from tests.ports import free_port
from tests.rigs.scheduling_world import TOKEN_KEY, VIDEO_LINK, SchedulingWorld

LOCAL_ADMIN = AttendeeRef(name="Local admin", email="admin@localhost", role="organizer")


def _parts(message: EmailMessage) -> tuple[str, str, str]:
    """Plain text, HTML, and the invitation (empty when none)."""
    text = message.get_body(preferencelist=("plain",))
    page = message.get_body(preferencelist=("html",))
    assert isinstance(text, EmailMessage) and isinstance(page, EmailMessage)
    calendars = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    ics = calendars[0].get_content() if calendars else ""
    return str(text.get_content()), str(page.get_content()), str(ics)


def _event(ics: str) -> object:
    return Calendar.from_ical(ics).walk("VEVENT")[0]


@pytest.fixture
def world(sqlite_engine: Engine, tmp_path: Path) -> SchedulingWorld:
    return SchedulingWorld.build(sqlite_engine, mailer=Mailer(outbox=tmp_path))


async def test_a_video_link_is_in_the_request_the_confirmation_and_the_invitation(world: SchedulingWorld) -> None:
    view = await world.booked(location=VIDEO_LINK)
    text, _page, ics = _parts(build_email("invite_email", view, public_url=world.public_url,
                                          to=view.candidate.email))
    assert f"Where: {VIDEO_LINK}" in text
    event = _event(ics)
    assert str(event["LOCATION"]) == VIDEO_LINK and f"Where: {VIDEO_LINK}" in str(event["DESCRIPTION"])  # type: ignore[index]


async def test_without_a_location_every_message_says_to_be_confirmed(world: SchedulingWorld) -> None:
    requested = await world.request(location="")
    text, _, _ = _parts(build_email("request_email", requested, public_url=world.public_url,
                                    to=requested.candidate.email))
    assert "Where: To be confirmed: the details will follow before the interview" in text
    booked = await world.service.select_time(requested.id, requested.slots[0])
    for to in (booked.candidate.email, world.interviewer_email):
        text, page, ics = _parts(build_email("invite_email", booked, public_url=world.public_url, to=to))
        assert "Where: To be confirmed" in text and "To be confirmed" in page
        event = _event(ics)
        assert "LOCATION" not in event and "Where: To be confirmed" in str(event["DESCRIPTION"])  # type: ignore[index, operator]


async def test_the_company_and_the_organizers_real_name_sign_the_mail_never_local_admin(
        world: SchedulingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIREBOT_COMPANY_NAME", "Acme Robotics")
    view = await world.booked(location=VIDEO_LINK)
    text, page, _ = _parts(build_email("invite_email", view, public_url=world.public_url, to=view.candidate.email))
    assert text.rstrip().endswith("Best regards,\nAna Ruiz\nAcme Robotics")
    assert "on behalf of the Acme Robotics hiring team" in page
    requested = await world.request(candidate_id=world.add_candidate("Sam", "Lee", "sam@example.com"))
    text, _, _ = _parts(build_email("request_email", requested, public_url=world.public_url,
                                    to=requested.candidate.email))
    assert "Thank you for your interest in the Senior Backend Engineer role at Acme Robotics." in " ".join(
        text.split())
    # The CLI's own identity is a stand-in: candidates see the company's hiring team instead.
    by_admin = _as_local_admin(view)
    message = build_email("invite_email", by_admin, public_url=world.public_url, to=view.candidate.email)
    text, page, ics = _parts(message)
    everything = text + page + ics + str(message["Reply-To"])
    assert "Local admin" not in everything
    assert text.rstrip().endswith("Best regards,\nThe Acme Robotics hiring team")
    assert _event(ics)["ORGANIZER"].params["CN"] == "Acme Robotics"  # type: ignore[index]


def _as_local_admin(view: MeetingView) -> MeetingView:
    others = tuple(a for a in view.attendees if a.role != "organizer")
    return replace(view, organizer=LOCAL_ADMIN, attendees=(LOCAL_ADMIN, *others))


async def test_the_booking_page_shows_where_and_the_company(sqlite_engine: Engine, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIREBOT_COMPANY_NAME", "Acme Robotics")
    port = free_port()
    world = SchedulingWorld.build(sqlite_engine, mailer=Mailer(outbox=tmp_path),
                                  public_url=f"http://127.0.0.1:{port}")
    app = web.Application()
    app.add_routes(booking_routes(world.service, token_key=TOKEN_KEY, clock=world.clock))
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        async with httpx.AsyncClient() as client:
            linked = await world.request(location=VIDEO_LINK)
            page = (await client.get(linked.booking_url)).text
            assert f'href="{VIDEO_LINK}"' in page and "<dd>Acme Robotics</dd>" in page
            assert "· Acme Robotics</title>" in page
            open_ = await world.request(candidate_id=world.add_candidate("Sam", "Lee", "sam@example.com"),
                                        location="")
            page = (await client.get(open_.booking_url)).text
            assert "<dt>Where</dt><dd>To be confirmed: the details will follow before the interview</dd>" in page
    finally:
        await server.close()


async def test_the_organizer_is_told_the_booked_time_on_the_candidates_clock(world: SchedulingWorld) -> None:
    view = await world.request()
    early = min(view.slots)  # 09:00 UTC: 01:00 in Los Angeles
    booked = await world.service.select_time(view.id, early, candidate_timezone="America/Los_Angeles")
    text = notice_text(booked, {"reason": "booked"})
    assert "(01:00 their time, America/Los_Angeles: at night there). Invitations are on their way." in text
    berlin = await world.booked(candidate_id=world.add_candidate("Sam", "Lee", "sam@example.com"))
    assert "their time, Europe/Berlin)." in notice_text(berlin, {"reason": "booked"})
