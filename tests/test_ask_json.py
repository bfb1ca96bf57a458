"""What `hirebot ask --json` hands other tools, checked on the core with scheduling wired in: every answer
about a candidate says whom it resolved (`status`, `candidates`), and `text` is the whole reply as a person
reads it, card included."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.core import Assistant
from bot.messages import IncomingMessage, RoomKind
from bot.scheduling_chat import SchedulingDesk
from scheduler.mail import Mailer
from tests import factories
from tests.rigs.scheduling_world import SchedulingWorld


@pytest.fixture
def world(sqlite_engine: Engine, tmp_path: Path) -> SchedulingWorld:
    return SchedulingWorld.build(sqlite_engine, mailer=Mailer(outbox=tmp_path / "outbox"),
                                 candidate_name=("Noah", "Hamilton"), candidate_email="noah@example.com")


def ask(world: SchedulingWorld, text: str) -> dict[str, Any]:
    assistant = Assistant(world.sessions, clock=world.clock,
                          scheduling=SchedulingDesk(world.service, world.clock))
    reply = assistant.handle(IncomingMessage(text=text, sender=world.organizer, room=RoomKind.CONSOLE,
                                             platform="cli"))
    answer = reply.to_json()
    assert set(answer) == {"intent", "status", "candidates", "text"}
    return answer


@pytest.mark.parametrize(("message", "intent"), [
    ("schedule with Noah Hamilton", "schedule"),
    ("book a 45 minute interview with Noah next week", "schedule"),
    ("reschedule with Noah Hamilton", "reschedule"),
    ("cancel the interview with Noah Hamilton", "cancel"),
    ("what did you log for Noah Hamilton?", "what_logged"),
    ("refresh Noah Hamilton", "refresh"),
    ("why didn't Noah Hamilton get a reminder?", "why_no_reminder"),
    ("why no reminder for Noah Hamilton?", "why_no_reminder"),
    ("Noah Hamilton", "who_is"),
    ("whois Noah Hamilton", "who_is"),
])
def test_answers_about_one_candidate_say_whom_they_resolved(world: SchedulingWorld, message: str,
                                                            intent: str) -> None:
    answer = ask(world, message)
    assert answer["intent"] == intent
    assert answer["status"] == "match"
    assert [c["name"] for c in answer["candidates"]] == ["Noah Hamilton"]
    assert answer["candidates"][0]["id"] == str(world.candidate_id)


def test_a_booked_meeting_answer_also_names_its_candidate(world: SchedulingWorld) -> None:
    asyncio.run(world.booked())
    for message in ("why didn't Noah get a reminder?", "cancel the interview with Noah"):
        answer = ask(world, message)
        assert (answer["status"], [c["name"] for c in answer["candidates"]]) == ("match", ["Noah Hamilton"])


@pytest.mark.parametrize(("message", "status"), [
    ("schedule with Zzyzx Qwertyuiop", "none"),
    ("schedule", "none"),
    ("who is", "none"),
    ("schedule with someone.new@example.com", "none"),
    ("hello", None),
    ("open jobs", None),
])
def test_the_status_is_none_when_nobody_was_resolved_and_null_for_other_intents(
        world: SchedulingWorld, message: str, status: str | None) -> None:
    answer = ask(world, message)
    assert answer["status"] == status and answer["candidates"] == []


def test_two_people_of_one_name_are_ambiguous_when_scheduling(world: SchedulingWorld) -> None:
    world.add_candidate("Noah", "Hamilton", "noah.hamilton@other.example")
    answer = ask(world, "schedule with Noah Hamilton")
    assert answer["status"] == "ambiguous" and len(answer["candidates"]) == 2


def test_text_is_the_whole_card_as_plain_text(world: SchedulingWorld) -> None:
    rejected = factories.candidate(world.sessions, world.connection, "Rebecca", "Smith", email="rebecca@example.com",
                                   job="Data Analyst", stage="Onsite", status="rejected", tags=("Python", "Referral"),
                                   title="Analyst", company="Initech", linkedin_url="https://www.linkedin.com/in/rs")
    text = ask(world, "who is Rebecca Smith?")["text"]
    assert text.startswith("Here's Rebecca Smith.\n\nRebecca Smith\nAnalyst at Initech\n")
    for line in ("Position: Data Analyst", "Stage: Onsite", "Status: Rejected on 2026-03-01",
                 "Email: rebecca@example.com", "Phone: +1 555 0100", "Tags: Python, Referral",
                 f"Open in Greenhouse: https://app.greenhouse.io/people/{rejected.remote_id}",
                 "LinkedIn: https://www.linkedin.com/in/rs",
                 f"Resume: Smith_resume.pdf: https://files.example/{rejected.remote_id}/resume.pdf",
                 f"Cover letter: Smith_cover.pdf: https://files.example/{rejected.remote_id}/cover.pdf"):
        assert line in text.splitlines(), line
    assert text.splitlines()[-1].startswith("From Greenhouse · synced ")


def test_text_lists_the_choices_and_drops_our_emphasis_marks(world: SchedulingWorld) -> None:
    world.add_candidate("Noah", "Hamilton", "noah.hamilton@other.example")
    text = ask(world, "who is Noah Hamilton")["text"]
    numbered = [line for line in text.splitlines() if line[:3] in ("1. ", "2. ")]
    assert len(numbered) == 2 and all("Noah Hamilton · Senior Backend Engineer" in line for line in numbered)
    assert "*" not in ask(world, "help")["text"]


def test_a_long_ats_log_says_how_many_earlier_entries_it_left_out(world: SchedulingWorld) -> None:
    for _ in range(22):  # each cancelled request leaves one entry
        view = asyncio.run(world.request())
        world.service.cancel(view.id, actor="organizer")
    text = ask(world, "what did you log for Noah Hamilton?")["text"]
    entries = [line for line in text.splitlines() if line.startswith("• ")]
    assert len(entries) == 20
    assert text.startswith("What I logged for Noah Hamilton, the latest 20 (\u2026and 2 earlier):")
