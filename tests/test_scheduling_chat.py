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
