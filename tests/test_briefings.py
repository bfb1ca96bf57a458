"""Pre-meeting briefings: planned per internal attendee at their own lead time, shown in their own zone, moved by
a reschedule, dropped by a cancel, skipped once the meeting has started, and sent once even across a retry.

Every test runs on SQLite and PostgreSQL with an injected clock, through the real wiring (`build_scheduling`):
the real meeting service, dispatcher and email outbox. The chat front end is a sender that keeps what it got.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import ConfigError
from bot.briefing_card import RenderingBriefingSender
from bot.replies import Card, Reply
from scheduler.briefings import BriefingHandler, briefing_due, digest_key
from scheduler.jobs import ClaimedJob, JobDispatcher, JobKind, JobOutcome
from scheduler.meetings import JobView, MeetingView
from scheduler.user_settings import load_settings, update_settings
from store.db import transaction
from store.meeting_models import ScheduledJob
from tests import factories
from tests.rigs.briefings import BOX, START, RecordingSender, Team
from tests.rigs.scheduling_clock import NOW

# SQLite per test, one PostgreSQL database per module (emptied between tests): see tests/rigs/databases.py.
pytestmark = pytest.mark.shared_postgres


def briefings(view: MeetingView) -> dict[int, JobView]:
    """The meeting's briefing jobs by recipient user id (the latest round wins)."""
    jobs = sorted((job for job in view.jobs if job.kind == JobKind.BRIEFING), key=lambda job: job.id)
    return {int(job.idempotency_key.split(":")[3]): job for job in jobs}


def by_round(view: MeetingView, round_: int) -> dict[int, JobView]:
    return {uid: job for uid, job in briefings_all(view) if job.idempotency_key.endswith(f":v{round_}")}


def briefings_all(view: MeetingView) -> list[tuple[int, JobView]]:
    return [(int(job.idempotency_key.split(":")[3]), job) for job in view.jobs if job.kind == JobKind.BRIEFING]


def card(reply: Reply, kind: str) -> Card:
    (found,) = [c for c in reply.cards if c.kind == kind]
    return found


def fields(found: Card) -> dict[str, str]:
    return {f.label: f.value for f in found.fields}


# -- planning ------------------------------------------------------------------------------------------------


async def test_each_internal_attendee_with_an_account_gets_one_briefing_at_their_own_lead_time(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)
    booked = await team.book()
    planned = briefings(booked)
    assert set(planned) == {team.rita.user_id, team.hank_id, team.ivan_id}  # no briefing for the guest
    assert {uid: job.due_at for uid, job in planned.items()} == {
        team.rita.user_id: START - timedelta(minutes=15), team.hank_id: START - timedelta(minutes=15),
        team.ivan_id: START - timedelta(minutes=30)}
    assert {job.state for job in planned.values()} == {"pending"}
    assert planned[team.hank_id].recipient == team.hank_email


async def test_briefings_fire_at_their_time_with_the_meeting_in_each_attendees_zone(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)
    await team.run_at(NOW)
    booked = await team.book()
    await team.run_at(START - timedelta(minutes=31))
    assert team.sender.sent == []
    await team.run_at(START - timedelta(minutes=30))
    assert [uid for uid, _ in team.sender.sent] == [team.ivan_id]
    await team.run_at(START - timedelta(minutes=15, seconds=1))
    assert len(team.sender.sent) == 1
    await team.run_at(START - timedelta(minutes=15))
    assert sorted(uid for uid, _ in team.sender.sent) == sorted([team.ivan_id, team.rita.user_id, team.hank_id])
    (rita,), (hank,), (ivan,) = (team.sender.to(uid) for uid in (team.rita.user_id, team.hank_id, team.ivan_id))
    title = "Interview: Jane Doe, Backend Engineer"
    assert rita.text == (f"Coming up in 15 minutes: {title} with Jane Doe, Tue 8 Dec, 15:00–15:30 (Europe/Berlin)."
                         " Where: Zoom https://zoom.example/j/42.")
    assert fields(card(hank, "meeting"))["When"] == "Tue 8 Dec, 09:00–09:30 (America/New_York)"
    assert ivan.text.startswith(f"Coming up in 30 minutes: {title} with Jane Doe, Tue 8 Dec, 14:00–14:30 (UTC).")
    done = briefings(team.wired.service.view(booked.id))
    assert {job.state for job in done.values()} == {"done"}
    assert done[team.hank_id].note == f"Briefed {team.hank_email.split('@')[0]} in chat."
    assert await team.run_at(START - timedelta(minutes=5)) == 0 and len(team.sender.sent) == 3


async def test_the_briefing_carries_the_candidate_card_the_ats_link_and_the_attachments(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)
    booked = await team.book()
    await team.run_at(START - timedelta(minutes=15))
    (reply,) = team.sender.to(team.hank_id)
    assert reply.intent == "briefing" and reply.private
    assert reply.extra == {"meeting_id": booked.id, "idempotency_key": briefings(booked)[team.hank_id].idempotency_key}
    meeting = card(reply, "meeting")
    assert fields(meeting) == {
        "When": "Tue 8 Dec, 09:00–09:30 (America/New_York)", "Location": "Zoom https://zoom.example/j/42",
        "Candidate": "Jane Doe <jane@example.com>", "Role": "Backend Engineer",
        "Also attending": f"Rita (organizer), {team.ivan_email.split('@')[0]} (interviewer), "
                          "guest@partner.example (interviewer)"}
    candidate = card(reply, "candidate")
    assert candidate.title == "Jane Doe"
    shown = fields(candidate)
    assert (shown["Position"], shown["Stage"], shown["Status"]) == ("Backend Engineer", "Phone Screen", "Active")
    assert (shown["Email"], shown["Phone"], shown["Tags"]) == ("Jane@Example.com", "+1 555 0100", "referral, python")
    links = {link.label: link.url for found in reply.cards for link in found.links}
    ats = next(url for label, url in links.items() if label == "Open in Greenhouse")
    assert ats.startswith("https://app.greenhouse.io/people/")
    assert links["Resume: Doe_resume.pdf"].endswith("/resume.pdf")
    assert links["Cover letter: Doe_cover.pdf"].endswith("/cover.pdf")
    assert links["Attachment: portfolio.pdf"] == "https://files.example/jane/portfolio.pdf"
    assert any(link.label == "Open in Greenhouse" for link in meeting.links)


async def test_a_candidate_the_attendee_cannot_see_gets_a_plain_card(sessions: sessionmaker[Session],
                                                                     tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)
    proposal = await team.wired.service.propose(team.rita, None, candidate_email="sam@else.example",
                                                candidate_name="Sam Else",
                                                window=(START - timedelta(hours=1), START + timedelta(hours=3)))
    view = team.wired.service.create_request(proposal, team.rita)
    await team.wired.service.select_time(view.id, START)
    await team.run_at(START - timedelta(minutes=15))
    (reply,) = team.sender.to(team.rita.user_id)
    candidate = card(reply, "candidate")
    assert candidate.title == "Sam Else" and fields(candidate) == {"Email": "sam@else.example"}
    assert candidate.context and "No ATS record you can see" in candidate.context[0]


# -- moving, dropping, skipping ----------------------------------------------------------------------------------


async def test_a_reschedule_moves_the_briefings(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)
    booked = await team.book()
    later = START + timedelta(hours=1)
    moved = await team.wired.service.reschedule(booked.id, actor=str(team.rita.user_id), new_start=later)
    old, new = by_round(moved, 0), by_round(moved, 1)
    assert {(job.state, job.note) for job in old.values()} == {("cancelled",
                                                                 "No longer needed: the meeting was rescheduled.")}
    assert {uid: (job.state, job.due_at) for uid, job in new.items()} == {
        team.rita.user_id: ("pending", later - timedelta(minutes=15)),
        team.hank_id: ("pending", later - timedelta(minutes=15)),
        team.ivan_id: ("pending", later - timedelta(minutes=30))}
    await team.run_at(START - timedelta(minutes=15))  # the old time: nothing
    assert team.sender.sent == []
    await team.run_at(later - timedelta(minutes=15))
    assert len(team.sender.sent) == 3
    (rita,) = team.sender.to(team.rita.user_id)
    assert fields(card(rita, "meeting"))["When"] == "Tue 8 Dec, 16:00–16:30 (Europe/Berlin)"


async def test_a_cancel_drops_the_briefings_with_a_note(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)
    booked = await team.book()
    cancelled = team.wired.service.cancel(booked.id, actor=str(team.rita.user_id), reason="Role filled")
    planned = briefings(cancelled)
    assert len(planned) == 3
    assert {(job.state, job.note) for job in planned.values()} == {
        ("cancelled", "No longer needed: the meeting was cancelled by the organizer.")}
    await team.run_at(START - timedelta(minutes=15))
    assert team.sender.sent == []


async def test_a_briefing_that_comes_due_after_the_start_is_skipped_with_the_reason(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)
    booked = await team.book()
    await team.run_at(START + timedelta(minutes=10))  # hirebot was down; within the grace window
    assert team.sender.sent == []
    planned = briefings(team.wired.service.view(booked.id))
    assert (planned[team.rita.user_id].state, planned[team.rita.user_id].note) == (
        "skipped", "Not sent: the meeting had already started (15:00 Europe/Berlin) when the briefing came due.")
    assert planned[team.hank_id].note == ("Not sent: the meeting had already started (09:00 America/New_York) "
                                          "when the briefing came due.")


def test_a_briefing_booked_inside_the_lead_time_goes_out_at_once() -> None:
    lead = timedelta(minutes=15)
    assert briefing_due(START, lead, START - timedelta(hours=1)) == (START - lead, None)
    assert briefing_due(START, lead, START - timedelta(minutes=10)) == (START - timedelta(minutes=10), None)
    due, note = briefing_due(START, lead, START)
    assert due == START - lead and note == "The meeting had already started when it was booked, so there is no " \
                                          "briefing."


# -- delivery -----------------------------------------------------------------------------------------------------


async def test_the_sender_is_called_once_per_briefing_even_when_the_job_is_retried(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    """The process dies after the DM went out but before the job was marked done: the retry does not resend."""
    team = Team.build(sessions, tmp_path)
    booked = await team.book()
    real = BriefingHandler(sessions, BOX, sender=team.sender, clock=team.clock)

    async def dies_after_sending(job: ClaimedJob) -> JobOutcome:
        await real(job)
        raise RuntimeError("the process stopped before recording the outcome")

    crashing = JobDispatcher(sessions, handlers={JobKind.BRIEFING: dies_after_sending}, clock=team.clock,
                             owner="crashing-worker")
    team.clock.now = START - timedelta(minutes=30)
    assert await crashing.run_due() == 1
    assert len(team.sender.sent) == 1
    ivan = briefings(team.wired.service.view(booked.id))[team.ivan_id]
    assert (ivan.state, ivan.attempts) == ("pending", 1)
    await team.run_at(ivan.due_at)  # the retry, by a healthy worker
    assert len(team.sender.sent) == 1
    retried = briefings(team.wired.service.view(booked.id))[team.ivan_id]
    assert (retried.state, retried.attempts) == ("done", 2)
    assert retried.note == "Delivered before the process restarted; not sent again."


async def test_without_a_chat_front_end_the_briefing_completes_with_a_note_until_one_is_set(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)
    team.wired.set_briefing_sender(None)
    booked = await team.book()
    await team.run_at(START - timedelta(minutes=30))
    ivan = briefings(team.wired.service.view(booked.id))[team.ivan_id]
    assert (ivan.state, ivan.note) == ("done", "Not delivered: no chat front end configured.")
    later = RecordingSender()
    team.wired.set_briefing_sender(later)
    await team.run_at(START - timedelta(minutes=15))
    assert sorted(uid for uid, _ in later.sent) == sorted([team.rita.user_id, team.hank_id])
    assert team.sender.sent == []


@dataclass
class ReplyInbox:
    """A front end that posts drawn replies (as the Slack notifier does), wrapped by `RenderingBriefingSender`."""

    replies: list[tuple[int, Reply]] = field(default_factory=list)

    def send(self, user_id: int, reply: Reply) -> None:
        self.replies.append((user_id, reply))


async def test_a_front_end_that_posts_replies_gets_the_briefing_drawn_by_the_chat_layer(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)
    inbox = ReplyInbox()
    team.wired.set_briefing_sender(RenderingBriefingSender(inbox))
    booked = await team.book()
    await team.run_at(START - timedelta(minutes=15))
    assert team.sender.sent == []
    (reply,) = [reply for uid, reply in inbox.replies if uid == team.hank_id]
    assert reply.intent == "briefing" and reply.private
    assert reply.extra == {"meeting_id": booked.id, "idempotency_key": briefings(booked)[team.hank_id].idempotency_key}
    assert [found.kind for found in reply.cards] == ["meeting", "candidate"]


# -- settings and the morning digest --------------------------------------------------------------------------


def test_briefing_settings_default_round_trip_and_refuse_nonsense(sessions: sessionmaker[Session]) -> None:
    workspace = factories.workspace(sessions)
    user = factories.user(sessions, workspace, "set@acme.test")
    with sessions() as session:
        defaults = load_settings(session, user.id, BOX)
    assert (defaults.briefing_lead_minutes, defaults.morning_digest, defaults.morning_digest_hour) == (15, False, 7)
    with transaction(sessions) as session:
        update_settings(session, user.id, BOX, briefing_lead_minutes=45, morning_digest=True, morning_digest_hour=6)
    with sessions() as session:
        stored = load_settings(session, user.id, BOX)
    assert (stored.briefing_lead_minutes, stored.morning_digest, stored.morning_digest_hour) == (45, True, 6)
    for bad in ({"briefing_lead_minutes": 0}, {"briefing_lead_minutes": 2000}, {"morning_digest_hour": 24}):
        with pytest.raises(ConfigError), transaction(sessions) as session:
            update_settings(session, user.id, BOX, **bad)


async def test_the_morning_digest_lists_the_days_interviews_in_the_users_zone(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)
    team.settings(team.rita.user_id, morning_digest=True)  # 07:00 in Berlin = 06:00 UTC
    booked = await team.book()
    key = digest_key(team.rita.user_id, date(2026, 12, 8))
    with sessions() as session:
        job = session.scalars(select(ScheduledJob).where(ScheduledJob.idempotency_key == key)).one()
    assert (job.kind, job.due_at, job.state) == ("briefing_digest", datetime(2026, 12, 8, 6, tzinfo=UTC), "pending")
    await team.run_at(datetime(2026, 12, 8, 5, 59, tzinfo=UTC))
    assert team.sender.sent == []
    await team.run_at(datetime(2026, 12, 8, 6, tzinfo=UTC))
    ((uid, digest),) = team.sender.sent
    assert uid == team.rita.user_id and digest.intent == "briefing_digest"
    assert digest.text == "Your interview today, Tue 8 Dec: 1."
    (only,) = digest.cards
    assert only.title == f"Jane Doe: {booked.title}"
    assert fields(only)["When"] == "Tue 8 Dec, 15:00–15:30 (Europe/Berlin)"


async def test_a_digest_whose_interviews_were_cancelled_is_skipped(sessions: sessionmaker[Session],
                                                                   tmp_path: Path) -> None:
    team = Team.build(sessions, tmp_path)
    team.settings(team.hank_id, morning_digest=True, morning_digest_hour=8)  # 13:00 UTC, before the 14:00 start
    booked = await team.book()
    team.wired.service.cancel(booked.id, actor="candidate")
    await team.run_at(datetime(2026, 12, 8, 13, tzinfo=UTC))
    assert team.sender.sent == []
    with sessions() as session:
        job = session.scalars(select(ScheduledJob).where(
            ScheduledJob.idempotency_key == digest_key(team.hank_id, date(2026, 12, 8)))).one()
    assert (job.state, job.note) == ("skipped", "Not sent: no interviews left that day (moved or cancelled).")
