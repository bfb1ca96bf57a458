"""Conversations with the core, read like chats: real store, real name index, console front end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from bot.console.chat import ConsoleChat
from bot.console.render import render_reply
from bot.core import Assistant
from bot.directory import Directory
from bot.replies import MatchStatus
from store.db import session_factory, transaction
from store.models import AtsConnection
from tests import factories as f

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(sqlite_engine) -> sessionmaker[Session]:  # type: ignore[no-untyped-def]
    return session_factory(sqlite_engine)


@pytest.fixture
def world(sessions: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    ws = f.workspace(sessions)
    conn = f.connection(sessions, ws)
    people = {
        "jose": f.candidate(sessions, conn, "José", "García Márquez", email="jose.garcia@example.com",
                            job="Senior Backend Engineer", stage="Onsite", tags=("Python", "Referral")),
        "robert": f.candidate(sessions, conn, "Robert", "O'Connor", email="rob@example.com", job="Designer"),
        "lukasz": f.candidate(sessions, conn, "Łukasz", "Wójcik", email="lukasz@example.com"),
        "anne": f.candidate(sessions, conn, "Anne-Marie", "Smith-Jones", email="amsj@example.com"),
        "maria1": f.candidate(sessions, conn, "Maria", "Rossi", email="maria.rossi@one.example"),
        "maria2": f.candidate(sessions, conn, "Maria", "Rossi", email="maria.rossi@two.example", job="Recruiter"),
        "elizabeth": f.candidate(sessions, conn, "Elizabeth", "Bennet", email="eb@example.com",
                                 status="rejected"),
    }
    return ws, conn, people


def chat_for(sessions: sessionmaker[Session], ws, email: str = "recruiter@acme.test") -> ConsoleChat:  # type: ignore[no-untyped-def]
    person = Directory(sessions).person_for(ws.id, email=email, display_name="Rita Recruiter")
    return ConsoleChat(Assistant(sessions, clock=lambda: NOW), person, Console(record=True, width=120))


def test_who_is_shows_the_full_card(sessions, world) -> None:  # type: ignore[no-untyped-def]
    ws, _, people = world
    reply = chat_for(sessions, ws).send("who is José García Márquez?")
    assert reply.status is MatchStatus.MATCH
    card = reply.cards[0]
    assert card.title == "José García Márquez"
    fields = {field.label: field.value for field in card.fields}
    assert fields["Position"] == "Senior Backend Engineer"
    assert fields["Stage"] == "Onsite"
    assert fields["Status"] == "Active"
    assert fields["Email"] == "jose.garcia@example.com"
    assert fields["Tags"] == "Python, Referral"
    labels = [link.label for link in card.links]
    assert "Open in Greenhouse" in labels
    assert any(label.startswith("Resume") for label in labels)
    assert any(label.startswith("Cover letter") for label in labels)
    assert card.context and "Greenhouse" in card.context[0] and "synced" in card.context[0]
    assert reply.candidates[0].id == str(people["jose"].id)


@pytest.mark.parametrize("text", [
    "who is jose garcia marquez",       # accents dropped
    "who's JOSE GARCÍA MÁRQUEZ",        # case
    "tell me about garcia marquez, jose",  # Last, First
    "look up jose.garcia@example.com",  # email
    "pull up jsoe garcia marquez",      # typo
])
def test_name_variations_find_the_same_person(sessions, world, text: str) -> None:  # type: ignore[no-untyped-def]
    ws, _, people = world
    reply = chat_for(sessions, ws).send(text)
    assert reply.status is MatchStatus.MATCH, reply.text
    assert reply.candidates[0].id == str(people["jose"].id)


@pytest.mark.parametrize(("text", "who"), [
    ("who is bob o'connor", "robert"),      # nickname + apostrophe
    ("who is robert oconnor", "robert"),
    ("who is lukasz wojcik", "lukasz"),     # Ł and ó
    ("who is anne marie smith jones", "anne"),  # hyphens
    ("who is liz bennet", "elizabeth"),     # nickname
    ("Wójcik?", "lukasz"),                  # bare unique last name
])
def test_nicknames_accents_hyphens(sessions, world, text: str, who: str) -> None:  # type: ignore[no-untyped-def]
    ws, _, people = world
    reply = chat_for(sessions, ws).send(text)
    assert reply.status is MatchStatus.MATCH, reply.text
    assert reply.candidates[0].id == str(people[who].id)


def test_two_people_with_one_name_become_a_choice_then_a_card(sessions, world) -> None:  # type: ignore[no-untyped-def]
    ws, _, people = world
    chat = chat_for(sessions, ws)
    reply = chat.send("who is maria rossi")
    assert reply.status is MatchStatus.AMBIGUOUS
    assert {c.id for c in reply.candidates} == {str(people["maria1"].id), str(people["maria2"].id)}
    assert len(reply.choices) == 2 and not reply.cards
    picked = chat.send("2")
    assert picked.status is MatchStatus.MATCH
    assert picked.candidates[0].id == reply.choices[1].value


def test_a_cut_list_of_choices_says_how_many_were_left_out(sessions, world) -> None:  # type: ignore[no-untyped-def]
    ws, conn, _ = world
    for n in range(1, 6):  # seven Maria Rossis in all
        f.candidate(sessions, conn, "Maria", "Rossi", email=f"maria.rossi@{n}.more.example")
    reply = chat_for(sessions, ws).send("who is maria rossi")
    assert reply.status is MatchStatus.AMBIGUOUS and len(reply.choices) == 5 == len(reply.candidates)
    assert "the closest 5, \u2026and 2 more" in reply.text
    assert "more" not in chat_for(sessions, ws).send("who is robert o'connor").text


def test_a_miss_says_so(sessions, world) -> None:  # type: ignore[no-untyped-def]
    ws, _, _ = world
    reply = chat_for(sessions, ws).send("who is Xavier Quattlebaum")
    assert reply.status is MatchStatus.NONE
    assert not reply.cards and not reply.candidates
    assert "couldn't find" in reply.text


def test_status_flows_onto_the_card(sessions, world) -> None:  # type: ignore[no-untyped-def]
    ws, _, _ = world
    reply = chat_for(sessions, ws).send("who is elizabeth bennet")
    fields = {field.label: field.value for field in reply.cards[0].fields}
    assert fields["Status"] == "Rejected on 2026-03-01"


def test_someone_elses_personal_connection_stays_private(sessions, world) -> None:  # type: ignore[no-untyped-def]
    ws, _, _ = world
    owner = f.user(sessions, ws, "owner@acme.test")
    personal = f.connection(sessions, ws, provider="lever", scope="user", owner=owner)
    f.candidate(sessions, personal, "Priya", "Chandrasekhar", email="priya@example.com")
    assert chat_for(sessions, ws, "owner@acme.test").send("who is priya chandrasekhar").status is MatchStatus.MATCH
    assert chat_for(sessions, ws, "someone@acme.test").send("who is priya chandrasekhar").status is MatchStatus.NONE


def test_same_person_in_two_ats_is_one_person_with_both_sources(sessions, world) -> None:  # type: ignore[no-untyped-def]
    ws, _, _ = world
    lever = f.connection(sessions, ws, provider="lever", scope="org", name="Lever")
    f.candidate(sessions, lever, "Jose", "Garcia Marquez", email="JOSE.GARCIA@example.com", job="Staff Engineer",
                stage="Offer")
    reply = chat_for(sessions, ws).send("who is jose garcia marquez")
    assert reply.status is MatchStatus.MATCH
    assert [s.provider for s in reply.candidates[0].sources] == ["greenhouse", "lever"]
    fields = {field.label: field.value for field in reply.cards[0].fields}
    assert "Onsite (Greenhouse)" in fields["Stage"] and "Offer (Lever)" in fields["Stage"]


def test_new_candidates_are_found_after_a_sync_bumps_the_roster(sessions, world) -> None:  # type: ignore[no-untyped-def]
    ws, conn, people = world
    chat = chat_for(sessions, ws)
    assert chat.send("who is Grace Hopper").status is MatchStatus.NONE
    f.candidate(sessions, conn, "Grace", "Hopper", email="grace@example.com")
    assert chat.send("who is Grace Hopper").status is MatchStatus.MATCH
    with transaction(sessions) as s:
        s.delete(s.get(type(people["robert"]), people["robert"].id))
        row = s.get(AtsConnection, conn.id)
        assert row is not None
        row.roster_version += 1
    assert chat.send("who is robert o'connor").status is MatchStatus.NONE


def test_no_connection_yet_explains_what_to_do(sessions) -> None:  # type: ignore[no-untyped-def]
    ws = f.workspace(sessions)
    reply = chat_for(sessions, ws).send("who is jane doe")
    assert reply.status is MatchStatus.NONE and "connect" in reply.text


@pytest.mark.parametrize(("text", "intent"), [
    ("help", "help"), ("hello", "greeting"), ("thanks!", "thanks"), ("what is the weather", "unknown"),
])
def test_small_talk(sessions, world, text: str, intent: str) -> None:  # type: ignore[no-untyped-def]
    ws, _, _ = world
    reply = chat_for(sessions, ws).send(text)
    assert reply.intent == intent and reply.status is None and reply.text


@pytest.mark.parametrize("text", [
    "", "\x00\x01\x02who is \x07jose", "who is " + "a" * 5000, "<!channel> who is <@U123|jose>",
    "who is '; DROP TABLE candidates; --", "who is 🙂🙂", "who is \u202ejose\u202c", "?" * 3000,
])
def test_hostile_input_never_crashes(sessions, world, text: str) -> None:  # type: ignore[no-untyped-def]
    ws, _, _ = world
    reply = chat_for(sessions, ws).send(text)
    assert reply.text


def test_ats_text_is_printed_literally_in_the_terminal(sessions, world) -> None:  # type: ignore[no-untyped-def]
    ws, conn, _ = world
    f.candidate(sessions, conn, "[bold red]Mallory", "<!channel>", email="mallory@example.com")
    chat = chat_for(sessions, ws)
    reply = chat.send("who is mallory@example.com")
    console = Console(record=True, width=120)
    console.print(render_reply(reply))
    assert "[bold red]Mallory <!channel>" in console.export_text()


def test_freshness_is_shown(sessions, world) -> None:  # type: ignore[no-untyped-def]
    ws, conn, _ = world
    with transaction(sessions) as s:
        row = s.get(AtsConnection, conn.id)
        assert row is not None
        row.last_sync_at = NOW - timedelta(seconds=40)
    with transaction(sessions) as s:
        from sqlalchemy import update

        from store.models import Candidate

        s.execute(update(Candidate).values(synced_at=NOW - timedelta(hours=2)))
    reply = chat_for(sessions, ws).send("who is Łukasz Wójcik")
    assert reply.cards[0].context == ("From Greenhouse · synced 40 s ago",)
