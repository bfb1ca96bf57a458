"""The meeting lifecycle: the transition table, events (exactly once, in order), proposals from the store and
calendars, booking, re-planning of reminders, follow-ups, organizer notices, and "why no reminder?".

Every test runs on SQLite and PostgreSQL with an injected clock. Jobs are run by the real dispatcher with
the real outbox mailer; emails are built by `plain_email` in tests/rigs/meetings.py (the wording is another
module's concern).
Calendar feeds come from a loopback aiohttp server.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Person
from scheduler.ics_feed import FeedCache
from scheduler.jobs import JobDispatcher, JobKind, message_id_for
from scheduler.mail import Mailer, booking_links
from scheduler.meetings import (
    TRANSITIONS,
    CandidateNotFound,
    IllegalTransition,
    MeetingEmailHandler,
    MeetingEventKind,
    MeetingState,
    MeetingView,
    SchedulingDefaults,
    SlotUnavailable,
    dayof_reminder_time,
    followup_times,
    format_slot,
    next_state,
)
from scheduler.tokens import read_token
from scheduler.user_settings import SETTINGS_KEY, load_settings, update_settings
from scheduler.wiring import build_scheduling
from store.crypto import SecretBox
from store.db import transaction
from store.meeting_models import Meeting, MeetingEvent
from store.models import AtsUser, Job, User
from tests import factories
from tests.rigs.meetings import BOX, TOKEN_KEY, RecordingNotifier, Scene, plain_email
from tests.rigs.scheduling_clock import NOW, Clock

# SQLite per test, one PostgreSQL database per module (emptied between tests): see tests/rigs/databases.py.
pytestmark = pytest.mark.shared_postgres


def kinds(view: MeetingView) -> list[str]:
    return [event.kind for event in view.events]


def jobs_of(view: MeetingView, kind: str) -> list[Any]:
    return [job for job in view.jobs if job.kind == kind]


def mails(outbox: Path) -> list[str]:
    return sorted(path.read_text() for path in outbox.glob("*.eml"))


# -- the transition table -------------------------------------------------------------------------------------

LEGAL = {
    ("requested", "time_selected"): "time_selected", ("rescheduling", "time_selected"): "time_selected",
    ("time_selected", "booked"): "booked",
    ("requested", "declined"): "declined", ("rescheduling", "declined"): "declined",
    ("booked", "rescheduled"): "rescheduling", ("requested", "rescheduled"): "rescheduling",
    ("rescheduling", "rescheduled"): "rescheduling",
    ("requested", "cancelled"): "cancelled", ("booked", "cancelled"): "cancelled",
    ("rescheduling", "cancelled"): "cancelled",
    ("booked", "completed"): "completed",
    ("requested", "request_sent"): "requested", ("rescheduling", "request_sent"): "rescheduling",
    ("requested", "followup_sent"): "requested", ("rescheduling", "followup_sent"): "rescheduling",
    ("booked", "dayof_reminder_sent"): "booked",
}


@pytest.mark.parametrize(("state", "kind"), [(s.value, k.value) for s in MeetingState for k in MeetingEventKind])
def test_every_state_and_event_pair_is_either_legal_or_refused_with_a_sentence(state: str, kind: str) -> None:
    meeting = Meeting(state=state, candidate_name="Jane Doe", timezone="UTC",
                      booked_start=datetime(2026, 12, 8, 9, tzinfo=UTC))
    if (state, kind) in LEGAL:
        assert next_state(meeting, MeetingEventKind(kind)) == LEGAL[(state, kind)]
    else:
        with pytest.raises(IllegalTransition) as refused:
            next_state(meeting, MeetingEventKind(kind))
        assert refused.value.state == state
        assert refused.value.args[0].startswith("Can't ") and "the meeting with Jane Doe is " in refused.value.args[0]


def test_the_table_is_exactly_the_documented_one() -> None:
    assert {(s.value, k.value): t.value for (s, k), t in TRANSITIONS.items()} == LEGAL


# -- proposing ---------------------------------------------------------------------------------------------------


async def test_propose_reads_the_candidate_application_and_hiring_manager_from_the_store(
        sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    with transaction(sessions) as session:
        job = session.scalars(select(Job).where(Job.connection_id == scene.connection.id)).one()
        job.hiring_manager_remote_ids = [77]
        session.add(AtsUser(connection_id=scene.connection.id, remote_id="77", name="Hank Manager",
                            email="Hank@Acme.test", emails=[]))
    proposal = await scene.service.propose(scene.organizer, scene.candidate_id, duration_minutes=45)
    assert proposal.title == "Interview: Jane Doe, Backend Engineer"
    assert proposal.candidate.email == "jane@example.com" and proposal.candidate.id == scene.candidate_id
    assert [(a.email, a.role) for a in proposal.attendees] == [(scene.organizer.email, "organizer"),
                                                                ("hank@acme.test", "hiring_manager")]
    assert proposal.job_name == "Backend Engineer" and proposal.connection_id == scene.connection.id
    assert proposal.application_remote_id and proposal.application_remote_id.startswith("A")
    assert proposal.candidate_remote_id and proposal.duration_minutes == 45
    # default window: the next 5 business days from Monday 7 December
    assert (proposal.window_start, proposal.window_end) == (datetime(2026, 12, 8, tzinfo=UTC),
                                                            datetime(2026, 12, 15, tzinfo=UTC))
    assert len(proposal.slots) == 8 and len({slot.date() for slot in proposal.slots}) == 5
    assert all(9 <= slot.hour < 17 for slot in proposal.slots) and proposal.warnings == ()


async def test_propose_respects_the_organizers_scope_and_takes_outside_candidates_by_email(
        sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    other = factories.user(sessions, scene.workspace, "other@acme.test")
    private = factories.connection(sessions, scene.workspace, scope="user", owner=other, name="Other's Lever")
    hidden = factories.candidate(sessions, private, "Hidden", "Person", email="hidden@example.com")
    with pytest.raises(CandidateNotFound):
        await scene.service.propose(scene.organizer, hidden.id)
    outside = await scene.service.propose(scene.organizer, None, candidate_email="Sam@Else.example",
                                          candidate_name="Sam Else", title="Coffee chat")
    assert outside.candidate.id is None and outside.candidate.email == "sam@else.example"
    assert outside.title == "Coffee chat" and outside.job_name is None and outside.connection_id is None


async def test_sending_the_same_proposal_twice_makes_one_request(sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    proposal = await scene.service.propose(scene.organizer, scene.candidate_id)
    first = scene.service.create_request(proposal, scene.organizer)
    again = scene.service.create_request(proposal, scene.organizer)  # a double click on Send
    assert again.id == first.id
    with sessions() as session:
        assert session.scalar(select(func.count(Meeting.id))) == 1
    later = await scene.service.propose(scene.organizer, scene.candidate_id, when="next week")
    assert scene.service.create_request(later, scene.organizer).id != first.id  # a different request is new


async def test_booked_meetings_of_an_attendee_are_busy_in_the_next_proposal(sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    first = await scene.request()
    taken = first.slots[0]
    await scene.service.select_time(first.id, taken)
    other = factories.candidate(sessions, scene.connection, "Omar", "Other", email="omar@example.com")
    proposal = await scene.service.propose(scene.organizer, other.id,
                                           window=(taken - timedelta(hours=1), taken + timedelta(hours=2)))
    blocked_from, blocked_to = taken - timedelta(minutes=15), taken + timedelta(minutes=45)
    assert proposal.slots and all(not (blocked_from - timedelta(minutes=30) < s < blocked_to) for s in proposal.slots)


async def test_feed_busy_time_is_avoided_and_a_failing_feed_only_warns(sessions: sessionmaker[Session]) -> None:
    busy = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:b1@test\r\n"
            "DTSTART:20261208T090000Z\r\nDTEND:20261208T120000Z\r\nSUMMARY:Offsite\r\nEND:VEVENT\r\n"
            "END:VCALENDAR\r\n")
    async def rita_feed(_request: web.Request) -> web.Response:
        return web.Response(body=busy.encode(), content_type="text/calendar")

    async def broken_feed(_request: web.Request) -> web.Response:
        return web.Response(status=500)

    app = web.Application()
    app.router.add_get("/rita.ics", rita_feed)
    app.router.add_get("/bob.ics", broken_feed)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        scene = Scene.build(sessions)
        scene.settings(ics_feed_url=str(server.make_url("/rita.ics")))
        bob = factories.user(sessions, scene.workspace, "bob@acme.test")
        with transaction(sessions) as session:
            update_settings(session, bob.id, scene.box, ics_feed_url=str(server.make_url("/bob.ics")))
        window = (datetime(2026, 12, 8, tzinfo=UTC), datetime(2026, 12, 9, tzinfo=UTC))
        proposal = await scene.service.propose(scene.organizer, scene.candidate_id, window=window,
                                               extra_attendees=["Bob@Acme.test"])
    finally:
        await server.close()
    assert [a.email for a in proposal.attendees][1:] == ["bob@acme.test"]
    assert len(proposal.warnings) == 1 and proposal.warnings[0].startswith("Couldn't read bob's calendar feed")
    assert "/bob.ics" not in proposal.warnings[0]  # the feed URL is a secret
    assert proposal.slots and min(proposal.slots) >= datetime(2026, 12, 8, 12, 15, tzinfo=UTC)


# -- requesting and the follow-up plan --------------------------------------------------------------------------


async def test_a_request_plans_the_email_follow_ups_and_the_organizer_notice(sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    view = await scene.request()
    assert view.state == "requested" and view.events == ()
    planned = {job.idempotency_key: (job.state, job.due_at) for job in view.jobs}
    m = view.id
    assert planned == {
        f"meeting:{m}:request_email:v0": ("pending", NOW),
        f"meeting:{m}:followup_email:1:v0": ("pending", NOW + timedelta(days=1)),
        f"meeting:{m}:followup_email:2:v0": ("pending", NOW + timedelta(days=3)),
        f"meeting:{m}:organizer_notice:no_answer:v0": ("pending", NOW + timedelta(days=4)),
    }
    claims = read_token(view.booking_url.rsplit("/", 1)[1], key=TOKEN_KEY, now=NOW)
    assert (claims.meeting_id, claims.purpose) == (m, "book")
    assert claims.expires_at == view.window_end + timedelta(days=1)
    assert view.booking_url.startswith("https://hirebot.test/book/")
    assert view.manage_url.startswith("https://hirebot.test/book/") and view.manage_url.endswith("/manage")


def test_follow_ups_default_up_to_four_and_clamp_to_the_window_end() -> None:
    base = datetime(2026, 12, 7, 8, tzinfo=UTC)
    gap = {"lead": timedelta(hours=12), "min_gap": timedelta(hours=12)}
    long_window = base + timedelta(days=14)
    assert followup_times(base, (1, 3), long_window, **gap) == [base + timedelta(days=1), base + timedelta(days=3)]
    assert len(followup_times(base, (1, 2, 3, 4, 5), long_window, **gap)) == 4
    short = base + timedelta(days=2)  # last one moves to 12 h before the end
    assert followup_times(base, (1, 3), short, **gap) == [base + timedelta(days=1), short - timedelta(hours=12)]
    tight = base + timedelta(days=1, hours=18)  # both would land on the same clamp: the later one is dropped
    assert followup_times(base, (1, 3), tight, **gap) == [base + timedelta(days=1)]
    assert followup_times(base, (1, 3), base + timedelta(hours=6), **gap) == []


async def test_follow_ups_stop_at_the_window_end_and_the_organizer_is_told_after_the_last(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    clock = Clock()
    scene = Scene.build(sessions, clock=clock)
    window = (datetime(2026, 12, 8, tzinfo=UTC), datetime(2026, 12, 9, 20, tzinfo=UTC))
    view = await scene.request(window=window)
    followups = jobs_of(view, "followup_email")
    assert [job.due_at for job in followups] == [NOW + timedelta(days=1), datetime(2026, 12, 9, 8, tzinfo=UTC)]
    notice = jobs_of(view, "organizer_notice")[0]
    assert notice.due_at == window[1]
    notifier = RecordingNotifier()
    dispatcher = scene.dispatcher(tmp_path, notifier=notifier)
    for moment in (NOW, NOW + timedelta(days=1), datetime(2026, 12, 9, 8, tzinfo=UTC), window[1]):
        clock.now = moment
        assert await dispatcher.run_due() == 1
    view = scene.service.view(view.id)
    assert kinds(view) == ["request_sent", "followup_sent", "followup_sent"]
    assert [e.data["followup"] for e in view.events[1:]] == [1, 2]
    assert notifier.said == [(scene.organizer.user_id,
                              "Jane Doe hasn't picked a time for Interview: Jane Doe, Backend Engineer after 2 "
                              "follow-ups. Say \"reschedule with Jane Doe next week\" to offer new times, or "
                              "\"cancel the interview with Jane Doe\".", view.id)]
    assert len(mails(tmp_path)) == 3


async def test_without_a_chat_front_end_a_notice_completes_with_a_note(sessions: sessionmaker[Session],
                                                                        tmp_path: Path) -> None:
    clock = Clock()
    scene = Scene.build(sessions, clock=clock)
    view = await scene.request()
    dispatcher = scene.dispatcher(tmp_path)
    assert await dispatcher.run_due() == 1
    declined = scene.service.decline(view.id, reason="  Took another   offer ")
    assert declined.events[-1].data["reason"] == declined.decline_reason == "Took another offer"
    assert await dispatcher.run_due() == 1
    notice = jobs_of(scene.service.view(view.id), "organizer_notice")
    declined = next(job for job in notice if job.idempotency_key.endswith("declined:v0"))
    assert (declined.state, declined.note) == ("done", "Not delivered: no chat front end configured.")


async def test_a_candidate_in_los_angeles_is_only_offered_times_in_their_day(sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    la = ZoneInfo("America/Los_Angeles")
    # Their browser reported Los Angeles when they booked before; the organizer works 09-17 UTC.
    first = await scene.request()
    late = next(slot for slot in first.slots if slot.hour >= 15)
    await scene.service.select_time(first.id, late, candidate_timezone="America/Los_Angeles")
    scene.service.cancel(first.id, actor="system")
    proposal = await scene.service.propose(scene.organizer, scene.candidate_id, when="next week")
    assert proposal.candidate_timezone == "America/Los_Angeles"
    assert proposal.slots and all(_in_day(slot, la) for slot in proposal.slots)
    # A zone the organizer gives wins; someone never seen on a booking page is offered the working day.
    given = await scene.service.propose(scene.organizer, scene.candidate_id, candidate_timezone="Asia/Tokyo")
    tokyo = ZoneInfo("Asia/Tokyo")
    assert given.slots and all(_in_day(slot, tokyo) for slot in given.slots)
    other = factories.candidate(sessions, scene.connection, "Omar", "Other", email="omar@example.com")
    unknown = await scene.service.propose(scene.organizer, other.id)
    assert unknown.candidate_timezone is None and any(slot.hour < 15 for slot in unknown.slots)


async def test_asking_for_other_times_keeps_the_next_offer_inside_the_candidates_day(
        sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    view = await scene.request()
    scene.service.request_other_times(view.id, note="too early", candidate_timezone="America/Los_Angeles")
    moved = await scene.service.reschedule(view.id, actor=str(scene.organizer.user_id), when="next week")
    la = ZoneInfo("America/Los_Angeles")
    assert moved.slots and all(_in_day(slot, la) for slot in moved.slots)


def _in_day(slot: datetime, zone: ZoneInfo, minutes: int = 30) -> bool:
    """Whether a meeting starting at `slot` lies between 07:00 and 21:00 in `zone`."""
    local = slot.astimezone(zone)
    return local.replace(hour=7, minute=0) <= local and local + timedelta(minutes=minutes) <= \
        local.replace(hour=21, minute=0)


async def test_tomorrow_at_3pm_offers_that_one_time_and_nearby_ones_only_when_it_is_taken(
        sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    three = datetime(2026, 12, 8, 15, tzinfo=UTC)
    proposal = await scene.service.propose(scene.organizer, scene.candidate_id, when="tomorrow at 3pm")
    assert proposal.slots == (three,) and proposal.warnings == ()
    assert (proposal.window_start, proposal.window_end) == (three, three + timedelta(minutes=30))
    # Sending re-proposes from the draft's window: still the one time.
    again = await scene.service.propose(scene.organizer, scene.candidate_id,
                                        window=(proposal.window_start, proposal.window_end))
    assert again.slots == (three,)
    # Someone else is booked at 15:00: the nearest free times that day, a meeting apart, not a whole row.
    omar = factories.candidate(sessions, scene.connection, "Omar", "Other", email="omar@example.com")
    taken = scene.service.create_request(await scene.service.propose(scene.organizer, omar.id,
                                                                     when="tomorrow at 3pm"), scene.organizer)
    await scene.service.select_time(taken.id, three)
    nearby = await scene.service.propose(scene.organizer, scene.candidate_id, when="tomorrow at 3pm")
    assert 1 <= len(nearby.slots) <= 3 and three not in nearby.slots
    assert all(abs(slot - three) <= timedelta(hours=2) and slot.date() == three.date() for slot in nearby.slots)
    assert all(b - a >= timedelta(minutes=30) for a, b in zip(nearby.slots, nearby.slots[1:], strict=False))
    assert "isn't free for everyone" in " ".join(nearby.warnings)
    view = scene.service.create_request(nearby, scene.organizer)
    assert view.window_start is not None and view.window_start <= min(nearby.slots)
    assert view.window_end >= max(nearby.slots) + timedelta(minutes=30)


async def test_a_candidates_other_times_note_shapes_the_next_offer(sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    scene.settings(timezone="Europe/Berlin", working_days={day: ((time(9), time(21)),) for day in range(5)})
    view = await scene.request()
    assert any(slot.astimezone(ZoneInfo("Europe/Berlin")).hour < 18 for slot in view.slots)
    scene.service.request_other_times(view.id, note="Daytime is hard for me, evenings after 18:00 Berlin work")
    moved = await scene.service.reschedule(view.id, actor=str(scene.organizer.user_id))
    berlin = ZoneInfo("Europe/Berlin")
    assert moved.slots and all(slot.astimezone(berlin).hour >= 18 for slot in moved.slots)
    assert all(_in_day(slot, berlin) for slot in moved.slots)


# -- booking ----------------------------------------------------------------------------------------------------


async def test_booking_records_time_selected_then_booked_and_plans_invites_and_the_reminder(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    scene = Scene.build(sessions)
    view = await scene.request(location="https://meet.example/abc")
    await scene.dispatcher(tmp_path).run_due()
    start = view.slots[0]
    booked = await scene.service.select_time(view.id, start, candidate_timezone="Europe/Berlin")
    assert booked.state == "booked" and booked.booked_end == start + timedelta(minutes=30)
    assert booked.candidate_timezone == "Europe/Berlin" and booked.calendar_sequence == 0
    assert kinds(booked) == ["request_sent", "time_selected", "booked"]
    assert [e.seq for e in booked.events] == [1, 2, 3]
    event = booked.events[-1]
    assert (event.actor, event.from_state, event.to_state) == ("candidate", "time_selected", "booked")
    assert event.data["slot"] == {"start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat()}
    assert event.data["location"] == "https://meet.example/abc"
    assert event.data["candidate"] == {"id": scene.candidate_id, "name": "Jane Doe", "email": "jane@example.com"}
    assert event.data["attendees"] == [{"name": "Rita", "email": scene.organizer.email, "role": "organizer"}]
    assert event.data["connection_id"] == scene.connection.id
    assert event.data["candidate_remote_id"] and event.data["application_remote_id"]
    states = {job.idempotency_key.split(":", 2)[2]: job.state for job in booked.jobs}
    assert states["followup_email:1:v0"] == states["followup_email:2:v0"] == "cancelled"
    assert states["organizer_notice:no_answer:v0"] == "cancelled"
    assert states["invite_email:jane@example.com:v0"] == states[f"invite_email:{scene.organizer.email}:v0"] == \
        "pending"
    assert states["organizer_notice:booked:v0"] == "pending"
    reminder = jobs_of(booked, "dayof_reminder")[0]
    local_day = start.astimezone(ZoneInfo("Europe/Berlin")).date()
    assert reminder.state == "pending" and reminder.due_at == datetime(local_day.year, local_day.month,
                                                                       local_day.day, 7, tzinfo=UTC)
    cancelled = next(job for job in booked.jobs if job.kind == "followup_email")
    assert cancelled.note == "No longer needed: a time was booked."


async def test_a_second_submit_of_the_same_time_books_once(sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    view = await scene.request()
    start = view.slots[2]
    first, second = await asyncio.gather(scene.service.select_time(view.id, start),
                                         scene.service.select_time(view.id, start))
    again = await scene.service.select_time(view.id, start)
    assert first.state == second.state == again.state == "booked"
    assert kinds(again) == ["time_selected", "booked"]
    assert len(jobs_of(again, "dayof_reminder")) == 1
    with pytest.raises(IllegalTransition, match="already booked for"):
        await scene.service.select_time(view.id, view.slots[3])


async def test_a_slot_that_became_busy_is_refused_with_fresh_slots(sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    jane = await scene.request()
    contested = jane.slots[0]
    omar = factories.candidate(sessions, scene.connection, "Omar", "Other", email="omar@example.com")
    rival = await scene.request(candidate_id=omar.id, window=(contested, contested + timedelta(minutes=30)))
    assert rival.slots == (contested,)
    await scene.service.select_time(rival.id, contested)
    with pytest.raises(SlotUnavailable) as refused:
        await scene.service.select_time(jane.id, contested)
    fresh = refused.value.fresh_slots
    assert fresh and contested not in fresh
    assert all(abs(slot - contested) >= timedelta(minutes=45) for slot in fresh)
    assert scene.service.view(jane.id).slots == fresh  # the booking page now offers these
    booked = await scene.service.select_time(jane.id, fresh[0])
    assert booked.state == "booked" and kinds(booked) == ["time_selected", "booked"]
    with pytest.raises(SlotUnavailable):  # never offered
        await scene.service.select_time((await scene.request()).id, datetime(2026, 12, 8, 3, 7, tzinfo=UTC))


# -- reminders: planned, fired, re-planned, dropped, skipped, explained --------------------------------------------


async def test_the_day_of_reminder_fires_on_the_morning_of_the_meeting(sessions: sessionmaker[Session],
                                                                       tmp_path: Path) -> None:
    clock = Clock()
    scene = Scene.build(sessions, clock=clock)
    view = await scene.request()
    dispatcher = scene.dispatcher(tmp_path, notifier=RecordingNotifier())
    await dispatcher.run_due()
    start = view.slots[-1]  # late in the window
    await scene.service.select_time(view.id, start)
    await dispatcher.run_due()  # invites and the booked notice
    reminder_at = start.replace(hour=8, minute=0)
    clock.now = reminder_at - timedelta(seconds=1)
    assert await dispatcher.run_due() == 0
    assert "planned for" in scene.service.why_no_reminder(view.id)
    clock.now = reminder_at
    assert await dispatcher.run_due() == 1
    view = scene.service.view(view.id)
    assert kinds(view)[-1] == "dayof_reminder_sent" and view.events[-1].data["to"] == "jane@example.com"
    assert jobs_of(view, "dayof_reminder")[0].state == "done"
    assert scene.service.why_no_reminder(view.id).startswith("Jane Doe did get a day-of reminder: it was sent ")
    subjects = [line for text in mails(tmp_path) for line in text.splitlines() if line.startswith("Subject:")]
    assert sorted(subjects) == sorted(["Subject: request_email: Interview: Jane Doe, Backend Engineer",
                                       "Subject: invite_email: Interview: Jane Doe, Backend Engineer",
                                       "Subject: invite_email: Interview: Jane Doe, Backend Engineer",
                                       "Subject: dayof_reminder: Interview: Jane Doe, Backend Engineer"])


async def test_reschedule_replans_the_reminder_for_the_new_time(sessions: sessionmaker[Session],
                                                                tmp_path: Path) -> None:
    clock = Clock()
    scene = Scene.build(sessions, clock=clock)
    view = await scene.request()
    dispatcher = scene.dispatcher(tmp_path)
    await dispatcher.run_due()
    old = view.slots[0]
    await scene.service.select_time(view.id, old)
    await dispatcher.run_due()
    new = datetime(2026, 12, 11, 15, tzinfo=UTC)
    moved = await scene.service.reschedule(view.id, actor=str(scene.organizer.user_id), new_start=new)
    assert moved.state == "booked" and moved.booked_start == new and moved.round == 1
    assert moved.calendar_sequence == 1
    assert kinds(moved)[-3:] == ["rescheduled", "time_selected", "booked"]
    assert moved.events[-3].data["previous_slot"]["start"] == old.isoformat()
    reminders = {job.idempotency_key.rsplit(":", 1)[1]: job for job in jobs_of(moved, "dayof_reminder")}
    assert reminders["v0"].state == "cancelled"
    assert reminders["v0"].note == "No longer needed: the meeting was rescheduled."
    assert (reminders["v1"].state, reminders["v1"].due_at) == ("pending", datetime(2026, 12, 11, 8, tzinfo=UTC))
    updates = jobs_of(moved, "update_email")
    assert sorted(job.recipient for job in updates) == sorted(["jane@example.com", scene.organizer.email])
    clock.now = old.replace(hour=8, minute=0)  # the old reminder time passes: nothing is sent
    await dispatcher.run_due()
    clock.now = datetime(2026, 12, 11, 8, tzinfo=UTC)
    assert await dispatcher.run_due() == 1
    assert kinds(scene.service.view(view.id)).count("dayof_reminder_sent") == 1


async def test_reschedule_without_a_time_offers_new_ones_and_requests_again(sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    view = await scene.request()
    await scene.service.select_time(view.id, view.slots[0])
    moved = await scene.service.reschedule(view.id, actor="candidate", when="next week")
    assert moved.state == "rescheduling" and moved.booked_start is None and moved.round == 1
    assert moved.slots and all(slot >= datetime(2026, 12, 14, tzinfo=UTC) for slot in moved.slots)
    keys = {job.idempotency_key.split(":", 2)[2]: job.state for job in moved.jobs}
    assert keys["request_email:v1"] == "pending" and keys["followup_email:1:v1"] == "pending"
    assert keys["organizer_notice:moving:v1"] == "pending"
    assert keys["dayof_reminder:v0"] == "cancelled"
    rebooked = await scene.service.select_time(view.id, moved.slots[0])
    assert {job.kind for job in rebooked.jobs if job.state == "pending" and job.idempotency_key.endswith("v1")} == \
        {"update_email", "dayof_reminder", "organizer_notice", "briefing"}


async def test_a_cancelled_meeting_never_gets_a_reminder(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    clock = Clock()
    scene = Scene.build(sessions, clock=clock)
    view = await scene.request()
    dispatcher = scene.dispatcher(tmp_path)
    await dispatcher.run_due()
    start = view.slots[-1]
    await scene.service.select_time(view.id, start)
    await dispatcher.run_due()
    cancelled = scene.service.cancel(view.id, actor=str(scene.organizer.user_id), reason="Role filled")
    assert cancelled.state == "cancelled" and cancelled.events[-1].data["reason"] == "Role filled"
    assert cancelled.calendar_sequence == 1
    reminder = jobs_of(cancelled, "dayof_reminder")[0]
    assert (reminder.state, reminder.note) == ("cancelled",
                                               "No longer needed: the meeting was cancelled by the organizer.")
    assert sorted(job.recipient for job in jobs_of(cancelled, "cancel_email")) == \
        sorted(["jane@example.com", scene.organizer.email])
    assert await dispatcher.run_due() == 2  # the two cancellations
    clock.now = start.replace(hour=8, minute=0)
    assert await dispatcher.run_due() == 0  # and no reminder
    final = scene.service.view(view.id)
    assert "dayof_reminder_sent" not in kinds(final)
    assert scene.service.why_no_reminder(view.id) == (
        f"Jane Doe got no day-of reminder (it was due {_local(start.replace(hour=8, minute=0))}): "
        "No longer needed: the meeting was cancelled by the organizer.")
    with pytest.raises(IllegalTransition, match=r"^Can't cancel: the meeting with Jane Doe is cancelled\.$"):
        scene.service.cancel(view.id, actor="candidate")
    assert len(scene.service.view(view.id).events) == len(final.events)


async def test_cancelling_before_the_request_went_out_sends_nothing(sessions: sessionmaker[Session],
                                                                    tmp_path: Path) -> None:
    scene = Scene.build(sessions)
    view = await scene.request()
    cancelled = scene.service.cancel(view.id, actor="system")
    assert {job.state for job in cancelled.jobs} == {"cancelled"} and not jobs_of(cancelled, "cancel_email")
    assert await scene.dispatcher(tmp_path).run_due() == 0
    assert mails(tmp_path) == []


async def test_booked_too_late_for_the_reminder_is_recorded_as_skipped_and_explained(
        sessions: sessionmaker[Session]) -> None:
    clock = Clock(datetime(2026, 12, 8, 8, 30, tzinfo=UTC))
    scene = Scene.build(sessions, clock=clock, defaults=SchedulingDefaults(min_notice=timedelta(minutes=15)))
    view = await scene.request(window=(datetime(2026, 12, 8, 8, tzinfo=UTC), datetime(2026, 12, 8, 12, tzinfo=UTC)))
    assert view.slots[0] == datetime(2026, 12, 8, 9, tzinfo=UTC)
    clock.now = datetime(2026, 12, 8, 8, 40, tzinfo=UTC)
    booked = await scene.service.select_time(view.id, view.slots[0])
    reminder = jobs_of(booked, "dayof_reminder")[0]
    note = ("Booked 20 minutes before the meeting, after the 08:00 reminder time (UTC): too late for a day-of "
            "reminder.")
    assert (reminder.state, reminder.note) == ("skipped", note)
    assert scene.service.why_no_reminder(view.id) == \
        f"Jane Doe got no day-of reminder (it was due Tue 8 Dec 08:00 (UTC)): {note}"


def test_the_reminder_is_at_eight_in_the_candidates_zone_across_the_october_switch() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 10, 20, tzinfo=UTC)
    after = datetime(2026, 10, 26, 13, tzinfo=UTC)  # Monday after the switch (CET, UTC+1)
    before = datetime(2026, 10, 23, 13, tzinfo=UTC)  # Friday before it (CEST, UTC+2)
    assert dayof_reminder_time(after, zone=berlin, hour=8, now=now) == (datetime(2026, 10, 26, 7, tzinfo=UTC), None)
    assert dayof_reminder_time(before, zone=berlin, hour=8, now=now) == (datetime(2026, 10, 23, 6, tzinfo=UTC), None)
    early = datetime(2026, 10, 26, 6, 30, tzinfo=UTC)  # 07:30 in Berlin: before the reminder hour
    _due, note = dayof_reminder_time(early, zone=berlin, hour=8, now=now)
    assert note and "starts at 07:30 (Europe/Berlin), before the 08:00 reminder time" in note


async def test_a_booked_reminder_lands_at_eight_berlin_time_the_day_after_the_switch(
        sessions: sessionmaker[Session]) -> None:
    clock = Clock(datetime(2026, 10, 21, 12, tzinfo=UTC))
    scene = Scene.build(sessions, clock=clock)
    scene.settings(timezone="America/New_York")
    view = await scene.request(window=(datetime(2026, 10, 26, tzinfo=UTC), datetime(2026, 10, 27, tzinfo=UTC)))
    assert view.slots[0] == datetime(2026, 10, 26, 13, tzinfo=UTC)  # 09:00 in New York (still on EDT)
    booked = await scene.service.select_time(view.id, view.slots[0], candidate_timezone="Europe/Berlin")
    assert jobs_of(booked, "dayof_reminder")[0].due_at == datetime(2026, 10, 26, 7, tzinfo=UTC)
    unset = await scene.request(window=(datetime(2026, 10, 26, tzinfo=UTC), datetime(2026, 10, 27, tzinfo=UTC)))
    organizer_zone = await scene.service.select_time(unset.id, unset.slots[-1])
    # no zone picked on the booking page: 08:00 in the organizer's zone (EDT, UTC-4)
    assert jobs_of(organizer_zone, "dayof_reminder")[0].due_at == datetime(2026, 10, 26, 12, tzinfo=UTC)


# -- the candidate's other answers, and the whole story in order ----------------------------------------------------


async def test_other_times_stops_follow_ups_and_tells_the_organizer(sessions: sessionmaker[Session],
                                                                    tmp_path: Path) -> None:
    scene = Scene.build(sessions)
    view = await scene.request()
    asked = scene.service.request_other_times(view.id, note="Mornings are hard, evenings work")
    assert asked.state == "requested" and asked.events == ()
    assert {job.state for job in jobs_of(asked, "followup_email")} == {"cancelled"}
    notifier = RecordingNotifier()
    await scene.dispatcher(tmp_path, notifier=notifier).run_due()
    assert notifier.said[0][1] == (
        "Jane Doe asked for other times for Interview: Jane Doe, Backend Engineer. They wrote: "
        "\u201cMornings are hard, evenings work\u201d Say \"reschedule with Jane Doe\" to offer new ones.")
    moved = await scene.service.reschedule(view.id, actor="1", when="next week")
    assert moved.state == "rescheduling" and kinds(moved)[-1] == "rescheduled"
    assert jobs_of(moved, "followup_email")[-1].state == "pending"  # the new round follows up again


async def test_every_transition_is_recorded_exactly_once_and_in_order(sessions: sessionmaker[Session],
                                                                      tmp_path: Path) -> None:
    clock = Clock()
    scene = Scene.build(sessions, clock=clock)
    view = await scene.request()
    dispatcher = scene.dispatcher(tmp_path, notifier=RecordingNotifier())
    await dispatcher.run_due()
    clock.advance(days=1)
    await dispatcher.run_due()
    clock.advance(hours=1)
    await scene.service.select_time(view.id, view.slots[-2])
    await dispatcher.run_due()
    new_start = view.slots[-1]
    await scene.service.reschedule(view.id, actor="candidate", new_start=new_start)
    clock.now = new_start.replace(hour=8, minute=0)
    await dispatcher.run_due()
    await dispatcher.run_due()
    clock.now = new_start + timedelta(hours=1)
    assert scene.service.complete_finished() == 1
    assert scene.service.complete_finished() == 0
    final = scene.service.view(view.id)
    assert kinds(final) == ["request_sent", "followup_sent", "time_selected", "booked", "rescheduled",
                            "time_selected", "booked", "dayof_reminder_sent", "completed"]
    assert [e.seq for e in final.events] == list(range(1, 10))
    assert all(a.to_state == b.from_state for a, b in zip(final.events, final.events[1:], strict=False))
    assert all(a.occurred_at <= b.occurred_at for a, b in zip(final.events, final.events[1:], strict=False))
    with sessions() as session:
        stored = session.scalars(select(MeetingEvent).where(MeetingEvent.meeting_id == view.id)).all()
    assert len(stored) == 9


async def test_a_job_claimed_just_before_a_change_does_not_send(sessions: sessionmaker[Session],
                                                                tmp_path: Path) -> None:
    """Re-planning cancels pending rows; a row already claimed re-checks the meeting before sending."""
    clock = Clock()
    scene = Scene.build(sessions, clock=clock)
    view = await scene.request()
    proceed = asyncio.Event()
    claimed = asyncio.Event()

    class CancelMidway:
        def __init__(self, inner: MeetingEmailHandler) -> None:
            self.inner = inner

        async def __call__(self, job: Any) -> Any:
            claimed.set()
            await proceed.wait()
            return await self.inner(job)

    inner = MeetingEmailHandler(scene.service, build_email=plain_email, mailer=Mailer(outbox=tmp_path),
                                domain="hirebot.test")
    dispatcher = JobDispatcher(sessions, handlers={JobKind.REQUEST_EMAIL: CancelMidway(inner)}, clock=clock,
                               owner="w")
    run = asyncio.create_task(dispatcher.run_due())
    await claimed.wait()
    scene.service.cancel(view.id, actor="system")
    proceed.set()
    assert await run == 1
    job = jobs_of(scene.service.view(view.id), "request_email")[0]
    assert (job.state, job.note) == ("cancelled", "Not sent: the meeting is cancelled.")
    assert mails(tmp_path) == []


# -- wired for a process ------------------------------------------------------------------------------------------


async def test_wired_scheduling_sends_the_real_emails_through_the_outbox(sessions: sessionmaker[Session],
                                                                         tmp_path: Path) -> None:
    """build_scheduling with the real email texts and invitations: the request carries the booking link, the
    booking sends calendar invitations, the organizer hears about it in chat."""
    clock = Clock()
    scene = Scene.build(sessions, clock=clock)
    notifier = RecordingNotifier()
    wired = build_scheduling(sessions, BOX, public_url="https://hirebot.test", token_key=TOKEN_KEY,
                             mailer=Mailer(outbox=tmp_path), notifier=notifier, clock=clock,
                             feeds=FeedCache(clock=clock))
    proposal = await wired.service.propose(scene.organizer, scene.candidate_id)
    view = wired.service.create_request(proposal, scene.organizer)
    assert wired.runner.wake_time() == NOW  # nudged by the new request
    assert await wired.runner.wake() == 1
    (request,) = [BytesParser(policy=default).parsebytes(p.read_bytes()) for p in tmp_path.glob("*.eml")]
    assert request["To"].addresses[0].addr_spec == "jane@example.com"
    assert request["Message-ID"] == message_id_for(f"meeting:{view.id}:request_email:v0", "hirebot.test")
    assert booking_links(request)[0].startswith("https://hirebot.test/book/")
    await wired.service.select_time(view.id, view.slots[0])
    # two invitations, the organizer's notice, and (once per meeting) why Greenhouse logging does not apply
    assert await wired.runner.wake() == 4
    invites = [BytesParser(policy=default).parsebytes(p.read_bytes()) for p in tmp_path.glob("*.eml")]
    calendars = [part.get_content() for message in invites for part in message.walk()
                 if part.get_content_type() == "text/calendar"]
    assert len(calendars) == 2 and all("METHOD:REQUEST" in str(body) for body in calendars)
    slot = format_slot(view.slots[0], view.slots[0] + timedelta(minutes=30), "UTC")
    assert slot == "Tue 8 Dec, 09:00–09:30 (UTC)"
    said = [text for _, text, _ in notifier.said]
    assert f"Jane Doe booked Interview: Jane Doe, Backend Engineer for {slot}. Invitations are on their way." in said
    assert len(said) == 2 and any("Greenhouse" in text for text in said)


# -- listing ----------------------------------------------------------------------------------------------------


async def test_meetings_for_lists_what_a_person_organizes_or_attends(sessions: sessionmaker[Session]) -> None:
    clock = Clock()
    scene = Scene.build(sessions, clock=clock)
    first = await scene.request(extra_attendees=["bob@acme.test"])
    second = await scene.request()
    scene.service.cancel(second.id, actor="system")
    assert [v.id for v in scene.service.meetings_for(scene.organizer)] == [first.id]
    assert {v.id for v in scene.service.meetings_for(scene.organizer, include_past=True)} == {first.id, second.id}
    bob = Person(workspace_id=scene.workspace.id, user_id=999_999, email="Bob@acme.test")
    assert [v.id for v in scene.service.meetings_for(bob)] == [first.id]
    stranger = Person(workspace_id=scene.workspace.id, user_id=999_998, email="eve@acme.test")
    assert scene.service.meetings_for(stranger) == []
    assert [v.id for v in scene.service.find_for_candidate(scene.organizer, scene.candidate_id)] == \
        [second.id, first.id]
    assert scene.service.find_for_candidate(stranger, scene.candidate_id) == []


# -- settings -----------------------------------------------------------------------------------------------------


def test_user_settings_round_trip_with_the_feed_sealed(sessions: sessionmaker[Session]) -> None:
    workspace = factories.workspace(sessions)
    user = factories.user(sessions, workspace, "set@acme.test")
    feed = "https://calendar.example/private-abc123/basic.ics"
    with transaction(sessions) as session:
        update_settings(session, user.id, BOX, timezone="Asia/Kolkata", ics_feed_url=feed,
                        followup_delays_days=(3, 1), dayof_reminder_hour=7, default_duration_minutes=45)
    with sessions() as session:
        stored = session.get(User, user.id).settings[SETTINGS_KEY]  # type: ignore[union-attr]
        settings = load_settings(session, user.id, BOX)
    assert "private-abc123" not in repr(stored) and "private-abc123" not in repr(settings)
    assert settings.ics_feed_url == feed and settings.feed_hint == "calendar.example (private link hidden)"
    assert (settings.timezone, settings.followup_delays_days, settings.dayof_reminder_hour) == \
        ("Asia/Kolkata", (1.0, 3.0), 7)
    assert settings.hours.timezone == "Asia/Kolkata"
    with sessions() as session:  # another secret key cannot open the feed: reported, not fatal
        other = load_settings(session, user.id, SecretBox(Fernet.generate_key()))
    assert other.ics_feed_url is None and other.feed_unreadable and other.timezone == "Asia/Kolkata"
    with transaction(sessions) as session:
        row = session.get(User, user.id)
        assert row is not None
        row.settings = {SETTINGS_KEY: {**stored, "dayof_reminder_hour": "soon", "timezone": "Mars/Base"}}
    with sessions() as session:
        damaged = load_settings(session, user.id, BOX)
    assert damaged.dayof_reminder_hour == 8 and damaged.timezone == "UTC"


def _local(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b} {moment:%H:%M} (UTC)"
