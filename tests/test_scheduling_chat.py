"""The scheduling conversation as the organizer reads it: the proposal card (times one per line, in the
candidate's zone too), which address the request goes to, and confirmations in words.

Runs the real SchedulingDesk on the real MeetingService (tests/rigs/meetings.py), on SQLite and PostgreSQL,
with an injected clock.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.replies import Reply
from bot.scheduling_chat import SchedulingDesk
from store.db import transaction
from store.models import Candidate
from tests import factories
from tests.rigs.meetings import Scene

pytestmark = pytest.mark.shared_postgres


def _field(reply: Reply, label_start: str) -> tuple[str, str]:
    card = reply.cards[0]
    found = next(f for f in card.fields if f.label.startswith(label_start))
    return found.label, found.value


def test_the_proposal_lists_times_one_per_line_and_in_the_candidates_zone(sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    desk = SchedulingDesk(scene.service, scene.clock)
    before = desk.propose(scene.organizer, scene.candidate_id, {})
    label, times = _field(before, "Times to offer")
    assert label == "Times to offer (UTC)" and len(times.splitlines()) == 8
    assert times.splitlines()[0] == "Tue 8 Dec, 09:00" and "(Jane" not in times  # her zone isn't known yet
    # Jane's browser reported Los Angeles on an earlier booking page.
    first = asyncio.run(scene.request())
    late = next(slot for slot in first.slots if slot.hour >= 15)
    asyncio.run(scene.service.select_time(first.id, late, candidate_timezone="America/Los_Angeles"))
    scene.service.cancel(first.id, actor="system")
    reply = desk.propose(scene.organizer, scene.candidate_id, {"when": "next week"})
    _, times = _field(reply, "Times to offer")
    lines = times.splitlines()
    assert lines and all("(Jane: " in line and line.endswith(" America/Los_Angeles)") for line in lines)
    assert "Mon 14 Dec, 15:00 (Jane: 07:00 America/Los_Angeles)" in lines


def _two_address_candidate(scene: Scene) -> int:
    """Elizabeth Stewart: her work address (at her current employer) is the ATS's primary one."""
    person = factories.candidate(scene.sessions, scene.connection, "Elizabeth", "Stewart",
                                 email="elizabeth.stewart@initech.example")
    with transaction(scene.sessions) as session:
        row = session.get(Candidate, person.id)
        assert row is not None
        row.emails = [{"value": "elizabeth.stewart@initech.example", "type": "work"},
                      {"value": "elizabeth.stewart70@gmail.com", "type": None}]
    return person.id


def test_the_request_goes_to_a_typed_address_else_the_personal_one(sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    desk = SchedulingDesk(scene.service, scene.clock)
    elizabeth = _two_address_candidate(scene)
    # Nothing typed: her personal address over the work one, and the card says which, and offers the other.
    reply = desk.propose(scene.organizer, elizabeth, {})
    assert reply.cards[0].subtitle == "with Elizabeth Stewart <elizabeth.stewart70@gmail.com>"
    _, line = _field(reply, "Request goes to")
    assert line.startswith("elizabeth.stewart70@gmail.com (personal address); 1 other address in the ATS")
    other = next(c for c in reply.choices if c.label == "Send to elizabeth.stewart@initech.example instead")
    assert other.description == "Their work address"
    sent = desk.send(scene.organizer, other.value)
    assert "at elizabeth.stewart@initech.example" in sent.text
    # Typed in the message ("schedule with elizabeth.stewart@initech.example"): that one, said so.
    typed = desk.propose(scene.organizer, elizabeth, {"email": "Elizabeth.Stewart@initech.example",
                                                      "when": "next week"})
    assert _field(typed, "Request goes to")[1] == "elizabeth.stewart@initech.example (as you typed it)"
    sent = desk.send(scene.organizer, str(typed.extra["draft"]))
    assert "at elizabeth.stewart@initech.example" in sent.text
