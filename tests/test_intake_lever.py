"""A person in no ATS, scheduled by email and added to Lever when they book: an opportunity on the posting
picked, with the hirebot source and tag, the CV and the LinkedIn link, then notes and a panel as the
organizer. Against the Lever sandbox over loopback, with the real desk, service and outbox worker.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.messages import ChatFile, Person
from bot.replies import Reply
from bot.scheduling_chat import INTAKE_SET, INTAKE_TARGETS, SEND, SchedulingDesk
from scheduler.ats_log import OutboxAction, OutboxState
from scheduler.meetings import MeetingService
from store.db import transaction
from store.meeting_models import Meeting
from store.models import Job, User
from store.outbox_models import OutboxItem
from tests.rigs.lever_outbox import BOX, Rig, lever_users

EMAIL = "noor.haddad@example.com"
LINKEDIN = "https://www.linkedin.com/in/noor-haddad"
CV = ChatFile("noor-cv.pdf", "application/pdf", b"%PDF-1.4\n% Noor's CV\n")


@pytest.fixture
def rig(lever_outbox_rig: Rig) -> Rig:
    """The Lever outbox rig (tests/rigs/lever_outbox.py), by the name these tests use."""
    return lever_outbox_rig


def choice(reply: Reply, command: str, label_part: str = "") -> str:
    return next(c.value for c in reply.choices if c.command == command and label_part in c.label)


async def test_booking_adds_an_opportunity_to_lever_then_logs_notes_and_a_panel(rig: Rig) -> None:
    organizer = lever_users(rig)[0]
    assert organizer.email
    with transaction(rig.sessions) as session:
        user = User(workspace_id=rig.workspace_id, email=organizer.email.lower(), display_name=organizer.name,
                    settings={})
        session.add(user)
        session.flush()
        sender = Person(workspace_id=rig.workspace_id, user_id=user.id, email=user.email,
                        display_name=user.display_name)
        posting = session.scalars(select(Job).where(Job.connection_id == rig.connection_id, Job.status == "open")
                                  .order_by(Job.id)).first()
        assert posting is not None
        posting_id, posting_name = posting.remote_id, posting.name
    service = MeetingService(rig.sessions, BOX, public_url="https://hirebot.test", token_key=b"k" * 32,
                             clock=rig.clock.moment)
    desk = SchedulingDesk(service, rig.clock.moment)

    proposal = await asyncio.to_thread(desk.propose, sender, None, {"linkedin_url": LINKEDIN}, email=EMAIL,
                                       files=(CV,))
    targets = await asyncio.to_thread(desk.intake_targets, sender, choice(proposal, INTAKE_TARGETS))
    picked = await asyncio.to_thread(desk.intake_set, sender, choice(targets, INTAKE_SET, posting_name))
    sent = await asyncio.to_thread(desk.send, sender, choice(picked, SEND))
    meeting_id = sent.extra["meeting_id"]
    await service.select_time(meeting_id, service.view(meeting_id).slots[0])

    assert await rig.worker().run_until_idle() >= 4
    state = rig.sandbox.state
    added = [o for o in state.opportunities.values() if EMAIL in state.contacts[o.contact_id].emails]
    assert len(added) == 1
    opportunity = added[0]
    contact = state.contacts[opportunity.contact_id]
    assert contact.name == "Noor Haddad" and LINKEDIN in contact.links
    assert "hirebot" in opportunity.tags and "hirebot" in opportunity.sources
    assert opportunity.application is not None and opportunity.application.posting_id == posting_id
    assert [r.filename for r in opportunity.resumes] == [CV.name]
    creates = [r for r in rig.writes() if r.path.endswith("/opportunities")]
    assert len(creates) == 1 and dict(creates[0].query).get("perform_as") == organizer.remote_id

    notes = state.notes.get(opportunity.id, {})
    assert len(notes) == 2  # time picked, booked
    assert len(state.panels.get(opportunity.id, {})) == 1
    with rig.sessions() as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None and meeting.candidate_remote_id == opportunity.id and meeting.candidate_id
        rows = list(session.scalars(select(OutboxItem).where(OutboxItem.meeting_id == meeting_id)
                                    .order_by(OutboxItem.id)))
    assert rows[0].action == OutboxAction.CREATE_CANDIDATE
    assert {r.state for r in rows} == {OutboxState.SENT}
