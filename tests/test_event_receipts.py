"""A chat event is answered once even when the platform delivers it again to another hirebot process
(issue 11: several `hirebot run` processes on one database share the questions, each answered once)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.directory import Directory
from bot.frontend.conversation import TurnDesk
from bot.frontend.privacy import DetailsRule
from bot.frontend.protocol import Turn
from bot.frontend.runner import ThreadedCore
from bot.messages import IncomingMessage, Person, RoomKind
from bot.replies import Reply
from store.db import session_factory
from store.event_receipts import EventReceipts
from store.models import utcnow


def test_the_first_delivery_is_taken_and_repeats_are_not_in_any_process(engine: Engine,
                                                                         sessions: sessionmaker[Session]) -> None:
    here, there = EventReceipts(sessions), EventReceipts(session_factory(engine))  # two processes' views
    assert here.first("slack:T1:Ev1")
    assert not here.first("slack:T1:Ev1")
    assert not there.first("slack:T1:Ev1")
    assert there.first("slack:T2:Ev1")  # the same id in another workspace is another event


def test_old_receipts_are_pruned(sessions: sessionmaker[Session]) -> None:
    receipts = EventReceipts(sessions)
    assert receipts.first("teams:a") and receipts.first("teams:b")
    assert receipts.prune(utcnow() - timedelta(hours=1)) == 0
    assert receipts.prune(utcnow() + timedelta(seconds=1)) == 2
    assert receipts.first("teams:a")  # forgotten: a delivery a day later is new


def test_receipts_race_from_many_threads_and_exactly_one_wins(sessions: sessionmaker[Session]) -> None:
    receipts = EventReceipts(sessions)

    async def race() -> list[bool]:
        return list(await asyncio.gather(*(asyncio.to_thread(receipts.first, "slack:T1:Ev9") for _ in range(8))))

    assert sorted(asyncio.run(race())) == [False] * 7 + [True]


class CountingCore:
    """A core that counts the messages it answers."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def handle(self, message: IncomingMessage) -> Reply:
        self.messages.append(message.text)
        return Reply(text=f"About {message.text}")

    def choose(self, sender: Person, command: str, value: str) -> Reply:
        return Reply(text=command)


class OnePersonPlatform:
    """Just enough of a ChatPlatform: everyone is one person, replies are kept."""

    name = "memory"
    label = "Memory"

    def __init__(self, person: Person) -> None:
        self.person = person
        self.posted: list[str] = []

    async def identify(self, place: str) -> Person:
        return self.person

    def room(self, place: str) -> RoomKind:
        return RoomKind.DIRECT

    async def reply(self, place: str, reply: Reply, *, private: bool) -> None:
        self.posted.append(reply.text)

    async def update(self, place: str, reply: Reply, *, private: bool) -> None:
        self.posted.append(reply.text)

    async def say(self, place: str, text: str) -> None:
        self.posted.append(text)

    async def read_files(self, place: str, attachments: tuple[object, ...]) -> tuple[tuple[()], tuple[()]]:
        return (), ()


async def test_two_processes_given_the_same_event_answer_it_once(engine: Engine,
                                                                 sessions: sessionmaker[Session]) -> None:
    person = Directory(sessions).local_admin()
    desks, cores, platforms = [], [], []
    for view in (sessions, session_factory(engine)):
        core, platform = CountingCore(), OnePersonPlatform(person)
        desks.append(TurnDesk(platform, ThreadedCore(core),  # type: ignore[arg-type]
                              DetailsRule(Directory(view)), first_receipt=EventReceipts(view).first))
        cores.append(core)
        platforms.append(platform)
    for desk in desks:  # Slack retried the event, and the retry reached the other process
        await desk.receive(Turn("dm", text="who is jane", key="slack:T1:Ev42"))
    await desk.receive(Turn("dm", text="who is maria", key="slack:T1:Ev43"))
    await desk.receive(Turn("dm", text="who is ada"))  # a turn with no key is always answered
    for desk in desks:
        await desk.questions.join()
        await desk.close()
    answered = cores[0].messages + cores[1].messages
    assert sorted(answered) == ["who is ada", "who is jane", "who is maria"]
