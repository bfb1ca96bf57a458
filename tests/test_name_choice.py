"""When to answer with one person and when to ask (issue 15): an exact full name wins over its look-alikes,
and a full name with two slips still finds the one person it is close to, never a wrong one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.console.chat import ConsoleChat
from bot.core import Assistant
from bot.directory import Directory
from bot.names import Decision, NameIndex, NameRecord, decide, resolve
from bot.names.decide import LENIENT_GAP, LENIENT_MIN
from bot.names.index import Hit
from bot.replies import MatchStatus
from store.db import session_factory
from tests import factories as f

# A recruiter's roster as it looks in an ATS: common first names and surnames recur, nicknames and
# spelling variants sit side by side, a few people have a middle name or two surnames.
ROSTER = (
    NameRecord(1, "Jonathan", "Soto", emails=("jonathan.soto@example.com",)),
    NameRecord(2, "Nathan", "Soto"),
    NameRecord(3, "Katherine", "Parker"),
    NameRecord(4, "Kathryn", "Parker"),
    NameRecord(5, "José", "García"),
    NameRecord(6, "José Luis", "García Márquez"),
    NameRecord(7, "Robert", "Miller"),
    NameRecord(8, "Bob", "Miller"),
    NameRecord(9, "Janet", "Willis"),
    NameRecord(10, "Frank", "Morris"),
    NameRecord(11, "Justin", "Guzman"),
    NameRecord(12, "Jacqueline", "Foster"),
    NameRecord(13, "Jennifer", "Castro"),
    NameRecord(14, "Jennifer", "Carter"),
    NameRecord(15, "Jennifer", "Castillo"),
    NameRecord(16, "Janet", "Wallace"),
    NameRecord(17, "Linda", "Willis"),
    NameRecord(18, "Frank", "Morales"),
    NameRecord(19, "Maria", "Morris"),
    NameRecord(20, "Justin", "Gutierrez"),
    NameRecord(21, "Robert", "Guzman", preferred_name="Rob"),
    NameRecord(22, "Jacqueline", "Fisher"),
    NameRecord(23, "Jack", "Foster"),
    NameRecord(24, "Catherine", "Parks"),
    NameRecord(25, "Nathaniel", "Sotomayor"),
    NameRecord(26, "Luis", "García"),
    NameRecord(27, "Michael", "Miller"),
    NameRecord(28, "Frank", "Norton"),
    NameRecord(29, "Kevin", "Castro"),
    NameRecord(30, "Rebecca", "Smith"),
)


@pytest.fixture
def index() -> NameIndex:
    return NameIndex(ROSTER)


def outcome(query: str, *indexes: NameIndex) -> tuple[Decision, list[int]]:
    resolution = resolve(query, list(indexes))
    return resolution.decision, [hit.id for hit in resolution.hits]


# -- an exact full name wins ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Jonathan Soto", 1),
        ("Nathan Soto", 2),
        ("Kathryn Parker", 4),
        ("Katherine Parker", 3),
        ("Jose Garcia", 5),
        ("José García", 5),
        ("Jose Luis Garcia Marquez", 6),
        ("Bob Miller", 8),
        ("Robert Miller", 7),
        ("Soto, Jonathan", 1),
        ("soto jonathan", 1),
        ("Dr. Jonathan Soto", 1),
    ],
)
def test_an_exact_full_name_wins_over_its_look_alikes(query: str, expected: int, index: NameIndex) -> None:
    assert outcome(query, index) == (Decision.MATCH, [expected])


def test_a_preferred_name_is_as_exact_as_a_first_name() -> None:
    # Robert who goes by Bob, and a Bob: "Bob Miller" fits both equally well, so it asks.
    index = NameIndex([NameRecord(7, "Robert", "Miller", preferred_name="Bob"), NameRecord(8, "Bob", "Miller")])
    assert outcome("bob miller", index) == (Decision.AMBIGUOUS, [7, 8])
    assert outcome("robert miller", index) == (Decision.MATCH, [7])


def test_bob_is_the_robert_who_goes_by_bob() -> None:
    index = NameIndex([NameRecord(7, "Robert", "Miller", preferred_name="Bob"), NameRecord(9, "Robert", "Miller")])
    assert outcome("bob miller", index) == (Decision.MATCH, [7])
    assert outcome("robert miller", index) == (Decision.AMBIGUOUS, [7, 9])


def test_two_people_with_the_same_exact_name_always_make_a_choice(index: NameIndex) -> None:
    twins = NameIndex([*ROSTER, NameRecord(31, "Jonathan", "Soto")])
    assert outcome("jonathan soto", twins) == (Decision.AMBIGUOUS, [1, 31])
    # The same name in two ATS connections is two people too.
    other = NameIndex([NameRecord(101, "Kathryn", "Parker")])
    assert outcome("kathryn parker", index, other) == (Decision.AMBIGUOUS, [4, 101])


def test_a_name_in_both_orders_is_a_choice() -> None:
    index = NameIndex([NameRecord(1, "James", "Thomas"), NameRecord(2, "Thomas", "James")])
    assert outcome("james thomas", index) == (Decision.AMBIGUOUS, [1, 2])


def test_without_an_exact_name_close_look_alikes_still_ask(index: NameIndex) -> None:
    assert outcome("kate parker", index) == (Decision.AMBIGUOUS, [3, 4])
    assert outcome("jon soto", index)[0] is Decision.AMBIGUOUS
    assert outcome("garcia", index)[0] is Decision.AMBIGUOUS


# -- two slips in a full name ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Janrt Wiillis", 9),
        ("Framk Motris", 10),
        ("Juston Gyzman", 11),
        ("Jacqueine Fosster", 12),
        ("Jennifer Csattro", 13),
        ("wiillis, janrt", 9),
    ],
)
def test_two_slips_in_a_full_name_find_the_one_person_close(query: str, expected: int, index: NameIndex) -> None:
    assert outcome(query, index) == (Decision.MATCH, [expected])


@pytest.mark.parametrize(
    ("query", "extra", "close"),
    [
        ("Janrt Wiillis", NameRecord(40, "Janet", "Willis"), [9, 40]),  # two people called Janet Willis
        ("Framk Motris", NameRecord(40, "Frank", "Norris"), [10, 40]),
        ("Jennifer Csattro", NameRecord(40, "Jennifer", "Cattaro"), [13, 40]),
        ("Juston Gyzman", NameRecord(40, "Justin", "Guzmán"), [11, 40]),
    ],
)
def test_two_slips_never_pick_one_of_two_people_about_as_close(query: str, extra: NameRecord, close: list[int]) -> None:
    index = NameIndex([*ROSTER, extra])
    decision, ids = outcome(query, index)
    assert decision is not Decision.MATCH
    assert sorted(ids[:2]) == close


def test_two_slips_are_not_read_into_short_or_real_names() -> None:
    index = NameIndex(
        [NameRecord(1, "Mary", "Smithson"), NameRecord(2, "Marko", "Petrov"), NameRecord(3, "Marco", "Rossi")]
    )
    # "mark" may be a Mark, and a slip in 4 letters is a quarter of the word: only a suggestion.
    assert outcome("mark smithsen", index) == (Decision.NONE, [1])
    # "marco" is someone's name on this roster, so "marco petrob" is not read as two slips for Marko Petrov.
    assert outcome("marco petrob", index) == (Decision.NONE, [2])
    assert outcome("marko petrob", index) == (Decision.MATCH, [2])


def test_a_typed_word_that_is_someone_elses_name_is_only_a_suggestion() -> None:
    index = NameIndex([NameRecord(1, "Cynthia", "Baker"), NameRecord(2, "Hans", "Bauer")])
    # Bauer is a name (Hans has it): Cynthia Bauer may exist outside this roster, so no confident Baker.
    assert outcome("cynthia bauer", index) == (Decision.NONE, [1])
    assert outcome("cynthia bakre", index) == (Decision.MATCH, [1])
    assert outcome("cynthia baker", index) == (Decision.MATCH, [1])


def test_a_lone_name_with_two_slips_is_not_a_match(index: NameIndex) -> None:
    assert outcome("Csattro", index)[0] is Decision.NONE


def test_far_names_stay_unknown(index: NameIndex) -> None:
    for query in ("Xavier Quintanilla", "Rebecca Smithsonian", "Maria Gonzalez"):
        decision, _ = outcome(query, index)
        assert decision is Decision.NONE, query


def test_decide_lenient_boundaries() -> None:
    top = LENIENT_MIN
    assert decide([Hit(1, top, "typo")]).decision is Decision.MATCH
    assert decide([Hit(1, top - 0.1, "typo")]).decision is Decision.NONE
    assert decide([Hit(1, top, "typo"), Hit(2, top - LENIENT_GAP, "typo")]).decision is Decision.MATCH
    assert decide([Hit(1, top, "typo"), Hit(2, top - LENIENT_GAP + 0.1, "typo")]).decision is Decision.NONE
    for reason in (
        "short_typo",
        "name_typo",
        "nickname+typo",
        "typo+partial",
        "typo+extra_words",
        "last_name_only+typo",
    ):
        assert decide([Hit(1, 85.0, reason)]).decision is Decision.NONE, reason
    assert decide([Hit(1, 85.0, "reordered+typo")]).decision is Decision.MATCH


def test_decide_an_exact_name_wins_only_alone() -> None:
    assert decide([Hit(1, 100.0, "exact"), Hit(2, 95.0, "nickname")]).decision is Decision.MATCH
    assert decide([Hit(1, 100.0, "exact"), Hit(2, 98.0, "reordered")]).decision is Decision.AMBIGUOUS
    assert decide([Hit(1, 99.0, "title"), Hit(2, 97.0, "partial")]).decision is Decision.MATCH
    assert decide([Hit(1, 97.0, "partial"), Hit(2, 95.0, "nickname")]).decision is Decision.AMBIGUOUS


# -- the same, as a recruiter asks in chat -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("who is Jonathan Soto", "Jonathan Soto"),
        ("who is Kathryn Parker", "Kathryn Parker"),
        ("who is Jose Garcia", "José García"),
        ("who is Bob Miller", "Bob Miller"),
        ("who is Janrt Wiillis", "Janet Willis"),
        ("who is Jennifer Csattro", "Jennifer Castro"),
    ],
)
def test_the_chat_answers_with_the_one_person(sqlite_engine: Engine, text: str, who: str) -> None:
    sessions: sessionmaker[Session] = session_factory(sqlite_engine)
    ws = f.workspace(sessions)
    conn = f.connection(sessions, ws)
    rows = {}
    for record in ROSTER:
        rows[f"{record.first_name} {record.last_name}"] = f.candidate(
            sessions, conn, record.first_name, record.last_name, email=f"c{record.id}@example.com", resume=False
        )
    person = Directory(sessions).person_for(ws.id, email="recruiter@acme.test", display_name="Rita Recruiter")
    chat = ConsoleChat(
        Assistant(sessions, clock=lambda: datetime(2026, 11, 21, 9, tzinfo=UTC)),
        person,
        Console(record=True, width=120),
    )
    reply = chat.send(text)
    assert reply.status is MatchStatus.MATCH, reply.text
    assert reply.candidates[0].id == str(rows[who].id)
