"""The scheduling conversation as the organizer reads it: the proposal card (times one per line, in the
candidate's zone too), which address the request goes to, and confirmations in words.

Runs the real SchedulingDesk on the real MeetingService (tests/rigs/meetings.py), on SQLite and PostgreSQL,
with an injected clock.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from bot.console.chat import ConsoleChat
from bot.core import Assistant
from bot.replies import Choice, Reply
from bot.scheduling_chat import SchedulingDesk
from bot.typed_choices import typed_choice
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


@pytest.mark.parametrize(("status", "tags", "caution"), [
    ("hired", [], "Jane Doe was hired for Backend Engineer on 1 Dec 2026."),
    ("rejected", [], "Jane Doe was rejected for Backend Engineer on 1 Dec 2026."),
    ("active", ["Do not contact"], "Jane Doe is tagged \u201cDo not contact\u201d in the ATS."),
])
def test_a_hired_rejected_or_do_not_contact_candidate_is_warned_about_first(
        sessions: sessionmaker[Session], status: str, tags: list[str], caution: str) -> None:
    scene = Scene.build(sessions)
    with transaction(sessions) as session:
        jane = session.get(Candidate, scene.candidate_id)
        assert jane is not None
        jane.tags = tags
        for app in jane.applications:
            app.status = status
            app.hired_at = datetime(2026, 12, 1, tzinfo=UTC) if status == "hired" else None
            app.rejected_at = datetime(2026, 12, 1, tzinfo=UTC) if status == "rejected" else None
    reply = SchedulingDesk(scene.service, scene.clock).propose(scene.organizer, scene.candidate_id, {})
    assert caution in reply.text and reply.text.endswith("Send the request anyway?")
    assert "Shall I send" not in reply.text
    assert [c.label for c in reply.choices] == ["Send anyway", "Don't send"]


def test_an_active_candidate_gets_the_plain_question(sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    reply = SchedulingDesk(scene.service, scene.clock).propose(scene.organizer, scene.candidate_id, {})
    assert reply.text.endswith("Shall I send the request?") and "Careful" not in reply.text
    assert [c.label for c in reply.choices] == ["Send the request", "Don't send"]


def _console(scene: Scene) -> ConsoleChat:
    assistant = Assistant(scene.sessions, clock=scene.clock, scheduling=SchedulingDesk(scene.service, scene.clock))
    return ConsoleChat(assistant, scene.organizer, Console(record=True, width=120))


@pytest.mark.parametrize("word", ["yes", "Send", "ok", "OK!"])
def test_yes_send_ok_answer_shall_i_send_the_request(sessions: sessionmaker[Session], word: str) -> None:
    scene = Scene.build(sessions)
    chat = _console(scene)
    assert "Shall I send the request?" in chat.send("schedule with Jane Doe").text
    assert chat.send(word).text.startswith("Sent Jane Doe a meeting request at jane@example.com")


@pytest.mark.parametrize("word", ["no", "cancel", "Cancel."])
def test_no_and_cancel_answer_shall_i_send_the_request(sessions: sessionmaker[Session], word: str) -> None:
    scene = Scene.build(sessions)
    chat = _console(scene)
    chat.send("schedule with Jane Doe")
    assert chat.send(word).text == "OK, I won't send it."
    assert scene.service.meetings_for(scene.organizer) == []


def test_a_number_not_on_the_list_says_which_are(sessions: sessionmaker[Session]) -> None:
    scene = Scene.build(sessions)
    chat = _console(scene)
    chat.send("schedule with Jane Doe")
    assert chat.send("7").text == "There's no choice 7 here: reply with a number from 1 to 2, or ask me something new."
    assert chat.send("1").text.startswith("Sent Jane Doe a meeting request")  # the list stayed open


def test_words_pick_nothing_from_a_list_that_is_not_a_proposal() -> None:
    pending = Reply(text="Which one?", intent="who_is", choices=(Choice("Jane A", "1", None, "who_is"),))
    assert typed_choice(pending, "yes") is None and typed_choice(pending, "1") == pending.choices[0]
