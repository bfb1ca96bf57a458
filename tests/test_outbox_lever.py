"""Meeting events reach Lever exactly once: notes and panels written by the real outbox worker to the Lever sandbox
over loopback, from a store filled by the real sync, with events recorded by the real `record_event`, on SQLite
and PostgreSQL. Faults: a 500, a 429 with Retry-After, and a write Lever applied without answering.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.lever import join_remote_id, split_remote_id
from adapters.sandbox.lever_dataset import to_ms
from scheduler.ats_log import OutboxState, marker, note_text
from store.db import transaction
from store.meeting_models import Meeting, MeetingAttendee, MeetingEvent
from store.models import Application, Candidate, User
from tests.outbox_events import happen, items, notices
from tests.rigs.lever_outbox import NOW, Rig, lever_users, start_rig

SLOT = NOW + timedelta(days=2)
LEVER_APP = "https://hire.lever.co"  # Lever's own app: where a loopback API's candidate links point
OUTSIDER = "panelist@agency.example"  # invited, but has no Lever account


@dataclass(frozen=True)
class Setup:
    """A meeting and who it involves in Lever."""

    meeting_id: int
    opportunity_id: str
    application_id: str
    organizer_id: str | None  # the organizer's Lever user
    colleague_id: str  # an invited Lever user
    calendar_uid: str


@pytest.fixture
def rig(lever_outbox_rig: Rig) -> Rig:
    """The Lever outbox rig (tests/rigs/lever_outbox.py), by the name these tests use."""
    return lever_outbox_rig


def applied_candidate(rig: Rig) -> tuple[Candidate, Application]:
    """A synced candidate (opportunity) with an active application to a posting."""
    with rig.sessions() as session:
        row = session.execute(select(Candidate, Application)
                              .join(Application, Application.candidate_id == Candidate.id)
                              .where(Candidate.connection_id == rig.connection_id,
                                     Candidate.primary_email.is_not(None), Application.status == "active",
                                     Application.remote_id != Candidate.remote_id)
                              .order_by(Candidate.id)).first()
    assert row is not None, "the seeded roster has no opportunity with an active application"
    return row[0], row[1]


def make_meeting(rig: Rig, *, organizer_email: str | None = None, invited: Sequence[str] | None = None,
                 in_lever: bool = True) -> Setup:
    """A requested meeting about an opportunity, organized by a Lever user (unless told otherwise) who
    invited a colleague from Lever and someone from outside."""
    candidate, application = applied_candidate(rig)
    organizer_user, colleague = lever_users(rig)[:2]
    assert organizer_user.email and colleague.email and candidate.primary_email
    organizer = (organizer_email or organizer_user.email).lower()
    guests = [colleague.email.lower(), OUTSIDER] if invited is None else list(invited)
    uid = f"{uuid.uuid4().hex}@hirebot"
    with transaction(rig.sessions) as session:
        user = User(workspace_id=rig.workspace_id, email=organizer, display_name=organizer.split("@")[0],
                    settings={})
        session.add(user)
        session.flush()
        attendees = [MeetingAttendee(email=organizer, name=user.display_name, role="organizer", user_id=user.id),
                     *(MeetingAttendee(email=email, name=None, role="interviewer") for email in guests)]
        now = rig.clock.moment()
        meeting = Meeting(
            workspace_id=rig.workspace_id, organizer_user_id=user.id, organizer_email=organizer,
            organizer_name=user.display_name, state="requested", title="Phone screen", duration_minutes=45,
            location="Zoom https://zoom.example/j/1", timezone="Europe/Berlin",
            candidate_id=candidate.id if in_lever else None, candidate_name=candidate.full_name,
            candidate_email=candidate.primary_email, connection_id=rig.connection_id,
            candidate_remote_id=candidate.remote_id if in_lever else None,
            application_remote_id=application.remote_id if in_lever else None,
            job_name="Engineer", window_start=now, window_end=now + timedelta(days=7), slots=[], round=0,
            round_started_at=now, calendar_uid=uid, event_seq=0, created_at=now, updated_at=now,
            attendees=attendees)
        session.add(meeting)
        session.flush()
        return Setup(meeting.id, candidate.remote_id, application.remote_id,
                     organizer_user.remote_id if organizer_email is None else None, colleague.remote_id, uid)


def expected_notes(rig: Rig, meeting_id: int) -> list[str]:
    """What each note row should put in Lever: the text Greenhouse gets, then the row's marker."""
    with rig.sessions() as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        events = {e.id: e for e in session.scalars(select(MeetingEvent).where(MeetingEvent.meeting_id == meeting_id))}
        rows = [i for i in items(rig, meeting_id) if i.action == "note"]
        return [f"{note_text(meeting, events[row.event_id])}\n\n{marker(row.event_id)}" for row in rows]


def panels(rig: Rig, s: Setup) -> list[dict[str, Any]]:
    return list(rig.sandbox.state.panels.get(s.opportunity_id, {}).values())


def notes(rig: Rig, s: Setup) -> list[dict[str, Any]]:
    return list(rig.sandbox.state.notes.get(s.opportunity_id, {}).values())


# -- notes ------------------------------------------------------------------------------------------------


async def test_each_event_becomes_one_note_on_the_opportunity_written_as_the_organizer(rig: Rig) -> None:
    s = make_meeting(rig)
    happen(rig, s.meeting_id, "request_sent", extra={"to": "jane@example.com"})
    happen(rig, s.meeting_id, "followup_sent", extra={"followup": 1})
    happen(rig, s.meeting_id, "booked", actor="candidate", book=SLOT)
    happen(rig, s.meeting_id, "dayof_reminder_sent")
    happen(rig, s.meeting_id, "rescheduled", actor="organizer")
    happen(rig, s.meeting_id, "booked", actor="candidate", book=SLOT + timedelta(days=1))
    happen(rig, s.meeting_id, "cancelled", actor="candidate", reason="Took another offer")

    assert await rig.worker().run_until_idle() == len(items(rig, s.meeting_id))

    posts = rig.calls("POST", f"/opportunities/{s.opportunity_id}/notes")
    expected = expected_notes(rig, s.meeting_id)
    assert len(expected) == 9  # request, follow-up, picked, booked, day-of, rescheduled, picked, booked, cancelled
    assert [p.body["value"] for p in posts] == expected
    assert "booked for Wed 4 Mar 2026, 10:30\u201311:15 (Europe/Berlin)" in expected[3]
    assert all(p.param("perform_as") == s.organizer_id and p.status == 201 for p in posts)
    assert all(p.body["secret"] is False and p.body["notifyFollowers"] is False for p in posts)
    by_id = {n["id"]: n for n in notes(rig, s)}
    assert len(by_id) == 9 and {n["user"] for n in by_id.values()} == {s.organizer_id}
    rows = [i for i in items(rig, s.meeting_id) if i.action == "note"]
    for row, text in zip(rows, expected, strict=True):
        opportunity_id, note_id = split_remote_id(row.remote_id or "")
        assert row.state == OutboxState.SENT and opportunity_id == s.opportunity_id
        assert by_id[note_id]["fields"][0]["value"] == text
        assert row.link == f"{LEVER_APP}/candidates/{s.opportunity_id}"


# -- panels ---------------------------------------------------------------------------------------------


async def test_booked_makes_one_panel_rescheduling_moves_it_and_cancelling_deletes_it(rig: Rig) -> None:
    s = make_meeting(rig)
    happen(rig, s.meeting_id, "booked", actor="candidate", book=SLOT)
    await rig.worker().run_until_idle()
    [create] = rig.calls("POST", f"/opportunities/{s.opportunity_id}/panels")
    assert create.param("perform_as") == s.organizer_id
    assert create.body["applications"] == [s.application_id]
    assert create.body["note"] == f"[hirebot:{s.calendar_uid}]"  # findable again if the answer is lost
    [interview] = create.body["interviews"]
    assert (interview["subject"], interview["date"], interview["duration"], interview["location"]) == (
        "Phone screen", to_ms(SLOT), 45, "Zoom https://zoom.example/j/1")
    # Everyone invited who is a Lever user, organizer first; the outsider is left out.
    assert interview["interviewers"] == [{"id": s.organizer_id}, {"id": s.colleague_id}]
    [panel] = panels(rig, s)
    assert panel["externallyManaged"] is True and panel["user"] == s.organizer_id
    assert (panel["start"], panel["end"]) == (to_ms(SLOT), to_ms(SLOT + timedelta(minutes=45)))
    [row] = [i for i in items(rig, s.meeting_id) if i.action == "create_interview"]
    assert row.state == OutboxState.SENT and row.remote_id == join_remote_id(s.opportunity_id, panel["id"])

    happen(rig, s.meeting_id, "rescheduled", actor="organizer")
    happen(rig, s.meeting_id, "booked", actor="organizer", book=SLOT + timedelta(days=1))
    await rig.worker().run_until_idle()
    [put] = rig.calls("PUT", f"/opportunities/{s.opportunity_id}/panels/{panel['id']}")
    assert put.param("perform_as") == s.organizer_id and put.status == 200
    assert len(rig.calls("POST", f"/opportunities/{s.opportunity_id}/panels")) == 1
    [moved] = panels(rig, s)
    assert moved["id"] == panel["id"] and moved["start"] == to_ms(SLOT + timedelta(days=1))
    assert moved["note"] == f"[hirebot:{s.calendar_uid}]"

    happen(rig, s.meeting_id, "cancelled", actor="organizer", reason="Role filled")
    await rig.worker().run_until_idle()
    [delete] = rig.calls("DELETE", f"/opportunities/{s.opportunity_id}/panels/{panel['id']}")
    assert delete.status == 204 and panels(rig, s) == []
    kinds = [(i.event_kind, i.action, i.state) for i in items(rig, s.meeting_id) if i.action != "note"]
    assert kinds == [("booked", "create_interview", "sent"), ("booked", "update_interview", "sent"),
                     ("cancelled", "delete_interview", "sent")]


async def test_the_panel_is_shown_in_the_meetings_time_zone(rig: Rig) -> None:
    s = make_meeting(rig)
    happen(rig, s.meeting_id, "booked", actor="candidate", book=SLOT)
    await rig.worker().run_until_idle()
    [panel] = panels(rig, s)
    assert panel["timezone"] == "Europe/Berlin"


# -- faults -----------------------------------------------------------------------------------------------


WRITES = {"note": ("request_sent", "notes"), "panel": ("booked", "panels")}


def provoke(rig: Rig, s: Setup, write: str) -> str:
    """Record the event that makes `write`; return its path under the API root."""
    kind, collection = WRITES[write]
    happen(rig, s.meeting_id, kind, book=SLOT if kind == "booked" else None)
    return f"/opportunities/{s.opportunity_id}/{collection}"


def made(rig: Rig, s: Setup, write: str) -> list[dict[str, Any]]:
    """The sandbox's records of that kind of write (a booking also makes two notes)."""
    if write == "panel":
        return panels(rig, s)
    return [n for n in notes(rig, s) if "[hirebot:evt-" in n["fields"][0]["value"]]


@pytest.mark.parametrize("write", list(WRITES))
async def test_a_500_leaves_the_write_unsure_so_it_is_looked_up_then_made_once(rig: Rig, write: str) -> None:
    s = make_meeting(rig)
    path = provoke(rig, s, write)
    rig.sandbox.chaos.fail_next(500, path=path)
    worker = rig.worker(base_delay=timedelta(seconds=30))
    await worker.run_until_idle()
    row = items(rig, s.meeting_id)[-1]
    assert row.state == OutboxState.PENDING and row.unsure
    assert row.due_at == NOW + timedelta(seconds=30) and "500" in (row.last_error or "")
    rig.clock.advance(30)
    await worker.run_until_idle()
    row = items(rig, s.meeting_id)[-1]
    assert row.state == OutboxState.SENT and row.attempts == 2
    # A 500 does not say whether Lever kept the write, so the retry looked before writing again.
    assert [(r.method, r.status) for r in rig.calls(None, path)] == [("POST", 500), ("GET", 200), ("POST", 201)]
    assert len(made(rig, s, write)) == 1


async def test_a_429_waits_as_long_as_retry_after_says_and_posts_without_looking(rig: Rig) -> None:
    s = make_meeting(rig)
    path = provoke(rig, s, "note")
    rig.sandbox.chaos.fail_next(429, path=path, retry_after=90)
    worker = rig.worker(base_delay=timedelta(seconds=5))
    await worker.run_once()
    [row] = items(rig, s.meeting_id)
    assert row.state == OutboxState.PENDING and not row.unsure
    assert row.due_at == NOW + timedelta(seconds=90)
    rig.clock.advance(89)
    assert await worker.run_once() == 0  # not before Lever said
    rig.clock.advance(1)
    assert await worker.run_once() == 1
    # Lever applied nothing when it answered 429, so there was nothing to look up.
    assert [(r.method, r.status) for r in rig.calls(None, path)] == [("POST", 429), ("POST", 201)]
    assert len(made(rig, s, "note")) == 1 and items(rig, s.meeting_id)[0].state == OutboxState.SENT


@pytest.mark.parametrize("write", list(WRITES))
async def test_a_write_lever_applied_without_answering_is_found_not_doubled(
        sessions: sessionmaker[Session], write: str) -> None:
    release = asyncio.Event()

    async def hold(seconds: float) -> None:
        await release.wait()

    rig, server = await start_rig(sessions, chaos_sleep=hold)
    try:
        rig.timeout = 0.2
        s = make_meeting(rig)
        path = provoke(rig, s, write)
        rig.sandbox.chaos.answer_late_next(60, path=path)  # applied at once, answered never (in time)
        worker = rig.worker()
        await worker.run_until_idle()
        row = items(rig, s.meeting_id)[-1]
        assert row.state == OutboxState.PENDING and row.unsure
        assert "did not answer" in (row.last_error or "")
        [applied] = made(rig, s, write)
        rig.clock.advance(3600)
        await worker.run_until_idle()
        row = items(rig, s.meeting_id)[-1]
        assert row.state == OutboxState.SENT
        assert row.remote_id == join_remote_id(s.opportunity_id, applied["id"])
        assert [r.method for r in rig.calls(None, path)] == ["POST", "GET"]
        assert len(made(rig, s, write)) == 1
        if write == "panel":  # the panel found is the one the next booking moves
            happen(rig, s.meeting_id, "rescheduled", actor="organizer")
            happen(rig, s.meeting_id, "booked", actor="organizer", book=SLOT + timedelta(days=1))
            await worker.run_until_idle()
            assert len(rig.calls("PUT", f"{path}/{applied['id']}")) == 1
            assert [p["start"] for p in panels(rig, s)] == [to_ms(SLOT + timedelta(days=1))]
    finally:
        release.set()
        await rig.client.aclose()
        await server.cleanup()


async def test_a_cancel_lever_applied_without_answering_counts_as_done_on_retry(
        sessions: sessionmaker[Session]) -> None:
    release = asyncio.Event()

    async def hold(seconds: float) -> None:
        await release.wait()

    rig, server = await start_rig(sessions, chaos_sleep=hold)
    try:
        rig.timeout = 0.2
        s = make_meeting(rig)
        happen(rig, s.meeting_id, "booked", actor="candidate", book=SLOT)
        worker = rig.worker()
        await worker.run_until_idle()
        [panel] = panels(rig, s)
        path = f"/opportunities/{s.opportunity_id}/panels/{panel['id']}"
        happen(rig, s.meeting_id, "cancelled", actor="organizer", reason="Role filled")
        rig.sandbox.chaos.answer_late_next(60, path=path)
        await worker.run_until_idle()
        assert panels(rig, s) == []  # Lever deleted it; hirebot never heard
        row = items(rig, s.meeting_id)[-1]
        assert row.action == "delete_interview" and row.state == OutboxState.PENDING and row.unsure
        rig.clock.advance(3600)
        await worker.run_until_idle()
        # Deleting it again finds it gone, which is what was wanted.
        assert [(r.method, r.status) for r in rig.calls("DELETE", path)][1:] == [("DELETE", 404)]
        row = items(rig, s.meeting_id)[-1]
        assert row.state == OutboxState.SENT and row.remote_id == join_remote_id(s.opportunity_id, panel["id"])
        assert notices(rig) == []
    finally:
        release.set()
        await rig.client.aclose()
        await server.cleanup()


# -- what cannot be logged ------------------------------------------------------------------------------------


async def test_a_candidate_without_an_opportunity_writes_nothing_and_is_explained_once(rig: Rig) -> None:
    s = make_meeting(rig, in_lever=False)
    happen(rig, s.meeting_id, "request_sent")
    happen(rig, s.meeting_id, "booked", actor="candidate", book=SLOT)
    assert await rig.worker().run_until_idle() == 0

    assert rig.sandbox.requests == type(rig.sandbox.requests)()  # Lever was not even asked
    rows = items(rig, s.meeting_id)
    assert [i.action for i in rows] == ["note", "note", "note", "create_interview"]
    assert all(i.state == OutboxState.SKIPPED and i.skip_reason == "the candidate has no opportunity in Lever"
               for i in rows)
    [notice] = notices(rig)
    assert "the candidate has no opportunity in Lever" in notice.payload["text"]
    assert "to Lever" in notice.payload["text"] and notice.payload["meeting_id"] == s.meeting_id


async def test_when_nobody_invited_is_a_lever_user_the_interview_is_parked_and_the_organizer_told(
        rig: Rig) -> None:
    s = make_meeting(rig, organizer_email="recruiter@outside.example", invited=[OUTSIDER])
    happen(rig, s.meeting_id, "booked", actor="candidate", book=SLOT)
    await rig.worker().run_until_idle()

    *note_rows, interview = items(rig, s.meeting_id)
    # Notes need no Lever user: they are written without perform_as (Lever shows no author).
    assert [r.state for r in note_rows] == [OutboxState.SENT, OutboxState.SENT]
    assert all(p.param("perform_as") is None for p in rig.calls("POST", f"/opportunities/{s.opportunity_id}/notes"))
    assert interview.action == "create_interview" and interview.state == OutboxState.PARKED
    assert interview.attempts == 1 and interview.payload["interviewer_ids"] == []
    assert "needs at least one interviewer who is a Lever user" in (interview.last_error or "")
    assert rig.calls("POST", f"/opportunities/{s.opportunity_id}/panels") == [] and panels(rig, s) == []
    [notice] = notices(rig)
    assert f"The reason: {interview.last_error}" in notice.payload["text"]
    assert f"hirebot outbox retry {interview.id}" in notice.payload["text"]
