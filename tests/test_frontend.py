"""The front-end seam (bot/frontend/) on its own: a small in-memory platform talks to the shared TurnDesk the
way Slack and Teams do, and the pieces every platform shares are checked without any platform at all.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.console.chat import ConsoleDirectMessages
from bot.directory import Directory
from bot.frontend.conversation import BUSY_TEXT, TurnDesk
from bot.frontend.notifier import NotifierBridge
from bot.frontend.privacy import SHARE_SETTING, DetailsRule
from bot.frontend.protocol import (
    Briefing,
    ChatContact,
    ChatDeliveryError,
    ChatRecipient,
    DeliveryRefused,
    IdentityError,
    MeetingNotice,
    Outbound,
    TextNote,
    Turn,
    UnknownOutbound,
)
from bot.frontend.runner import ThreadedCore
from bot.frontend.schedule_draft import DraftError, ScheduleDraft
from bot.frontend.schedule_form import ScheduleField, ScheduleForm, form_problems
from bot.messages import ChatFile, IncomingMessage, Person, RoomKind
from bot.replies import Reply
from bot.server import configured_front_ends
from bot.slack.notices import outbound_message
from bot.slack.schedule_modal import FIELD_BLOCKS, LINKEDIN_BLOCK, TARGET_BLOCK, form_errors
from store.db import session_factory

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class EchoCore:
    """Stands in for the Assistant: answers every message, privately when asked about a candidate."""

    def __init__(self) -> None:
        self.messages: list[IncomingMessage] = []

    def handle(self, message: IncomingMessage) -> Reply:
        self.messages.append(message)
        if message.text.startswith("schedule"):
            return Reply(text="Here's the meeting I'd propose.", intent="schedule", private=True)
        return Reply(text=f"About {message.text}", intent="who_is", private=message.text.startswith("who"))

    def choose(self, sender: Person, command: str, value: str) -> Reply:
        return Reply(text=f"{command} {value}", intent=command)


@dataclass
class MemoryPlatform:
    """A chat platform kept in lists: places are "dm" (a direct conversation) or "channel"."""

    person: Person
    name: str = "memory"
    label: str = "Memory Chat"
    posted: list[tuple[str, str, bool]] = field(default_factory=list)  # (place, text, private)
    updated: list[tuple[str, str]] = field(default_factory=list)
    said: list[tuple[str, str]] = field(default_factory=list)
    refuse: bool = False
    stranger: bool = False
    files_read: int = 0

    async def identify(self, place: str) -> Person:
        if self.stranger:
            raise IdentityError("I only answer people I know.")
        return self.person

    def room(self, place: str) -> RoomKind:
        return RoomKind.DIRECT if place == "dm" else RoomKind.CHANNEL

    async def read_files(self, place: str, attachments: tuple[object, ...]
                         ) -> tuple[tuple[ChatFile, ...], tuple[str, ...]]:
        self.files_read += 1
        return (ChatFile("cv.pdf", "application/pdf", b"%PDF"),), ("photo.png: it isn't a CV",)

    async def reply(self, place: str, reply: Reply, *, private: bool) -> None:
        if self.refuse:
            raise DeliveryRefused("not_in_channel")
        self.posted.append((place, reply.text, private))

    async def update(self, place: str, reply: Reply, *, private: bool) -> None:
        self.updated.append((place, reply.text))

    async def say(self, place: str, text: str) -> None:
        self.said.append((place, text))


@pytest.fixture
def sessions(sqlite_engine: Engine) -> sessionmaker[Session]:
    return session_factory(sqlite_engine)


@pytest.fixture
def person(sessions: sessionmaker[Session]) -> Person:
    return Directory(sessions).local_admin("rita@acme.test")


def desk_for(sessions: sessionmaker[Session], platform: MemoryPlatform, core: EchoCore | None = None,
             **options: int) -> TurnDesk[str]:
    return TurnDesk(platform, ThreadedCore(core or EchoCore()),  # type: ignore[arg-type]
                    DetailsRule(Directory(sessions)), **options)


async def test_candidate_details_asked_in_a_channel_reach_only_the_asker(sessions: sessionmaker[Session],
                                                                         person: Person) -> None:
    platform = MemoryPlatform(person)
    desk = desk_for(sessions, platform)
    await desk.answer(Turn("channel", text="who is jane"))
    await desk.answer(Turn("dm", text="who is jane"))
    await desk.answer(Turn("channel", text="hello"))
    assert platform.posted == [("channel", "About who is jane", True), ("dm", "About who is jane", False),
                               ("channel", "About hello", False)]
    Directory(sessions).set_workspace_setting(person.workspace_id, SHARE_SETTING, True)  # the admin shares cards
    await desk.answer(Turn("channel", text="who is jane"))
    assert platform.posted[-1] == ("channel", "About who is jane", False)
    await desk.close()


async def test_the_core_hears_the_platform_and_room_and_buttons_become_choices(sessions: sessionmaker[Session],
                                                                               person: Person) -> None:
    platform, core = MemoryPlatform(person), EchoCore()
    desk = desk_for(sessions, platform, core)
    await desk.answer(Turn("channel", text="hello"))
    await desk.answer(Turn("dm", command="who_is", value="7", replace=True))
    [message] = core.messages
    assert (message.platform, message.room, message.sender) == ("memory", RoomKind.CHANNEL, person)
    assert platform.updated == [("dm", "who_is 7")]
    await desk.close()


async def test_files_are_read_only_for_scheduling_requests(sessions: sessionmaker[Session], person: Person) -> None:
    platform, core = MemoryPlatform(person), EchoCore()
    desk = desk_for(sessions, platform, core)
    await desk.answer(Turn("dm", text="who is jane", attachments=("a file",)))
    assert platform.files_read == 0 and core.messages[-1].files == ()
    await desk.answer(Turn("dm", text="schedule with jane", attachments=("a file",)))
    assert platform.files_read == 1 and [f.name for f in core.messages[-1].files] == ["cv.pdf"]
    assert platform.said == [("dm", "I couldn't read the file you attached (photo.png: it isn't a CV).")]
    await desk.close()


async def test_a_refused_answer_becomes_an_apology_naming_the_platform(sessions: sessionmaker[Session],
                                                                       person: Person) -> None:
    platform = MemoryPlatform(person, refuse=True)
    desk = desk_for(sessions, platform)
    await desk.answer(Turn("channel", text="who is jane"))
    assert platform.said == [("channel", "Sorry, Memory Chat wouldn't let me post that answer here "
                                         "(not_in_channel). Please try again in a moment.")]
    await desk.close()


async def test_someone_the_platform_cannot_identify_is_told_why(sessions: sessionmaker[Session],
                                                                person: Person) -> None:
    platform, core = MemoryPlatform(person, stranger=True), EchoCore()
    desk = desk_for(sessions, platform, core)
    await desk.answer(Turn("dm", text="who is jane"))
    assert platform.said == [("dm", "I only answer people I know.")] and core.messages == []
    await desk.close()


async def test_received_turns_queue_and_a_full_queue_answers_busy_at_once(sessions: sessionmaker[Session],
                                                                          person: Person) -> None:
    platform = MemoryPlatform(person)
    desk = desk_for(sessions, platform, workers=0, backlog=1)  # nobody answering, room for one
    await desk.receive(Turn("dm", text="who is jane"))
    await desk.receive(Turn("dm", text="who is maria"))
    assert platform.said == [("dm", BUSY_TEXT)] and desk.questions.turned_away == 1
    await desk.close()
    answering = desk_for(sessions, platform)
    await answering.receive(Turn("dm", text="who is ada"))
    await answering.drain()
    assert platform.posted[-1] == ("dm", "About who is ada", False)
    await answering.close()


# ------------------------------------------------------------------------------------------ direct messages


@dataclass
class MemoryMessages:
    """DirectMessages for one platform, kept in a list."""

    name: str
    label: str
    platform: str
    sent: list[tuple[ChatRecipient, Outbound]] = field(default_factory=list)

    def reaches(self, recipient: ChatRecipient) -> bool:
        return recipient.platform == self.platform and recipient.chat_user_id is not None

    async def direct_message(self, recipient: ChatRecipient, event: Outbound) -> None:
        self.sent.append((recipient, event))


async def test_the_notifier_bridge_sends_through_the_front_end_that_reaches_the_person(
        sessions: sessionmaker[Session]) -> None:
    directory = Directory(sessions)
    chat_ws = directory.workspace_for("memory", "T1", "Memory team")
    known = directory.person_for(chat_ws.id, email="rita@acme.test", chat_user_id="M-RITA")
    silent = directory.person_for(chat_ws.id, email="sam@acme.test")
    slack, memory = MemoryMessages("slack", "Slack", "slack"), MemoryMessages("memory", "Memory Chat", "memory")
    loop = asyncio.get_running_loop()
    bridge = NotifierBridge(sessions, [slack, memory], lambda: loop)
    await asyncio.to_thread(bridge.notify, known.user_id, "Jane booked", meeting_id=404)
    await asyncio.to_thread(bridge.send, known.user_id, Reply(text="Briefing", intent="briefing",
                                                              extra={"meeting_id": 404}))
    assert slack.sent == []
    [(to, notice), (_, briefing)] = memory.sent
    assert (to.user_id, to.chat_user_id, to.workspace) == (known.user_id, "M-RITA", "T1")
    assert notice == MeetingNotice("Jane booked", 404, meeting_open=False)  # no such meeting: nothing to change
    assert isinstance(briefing, Briefing) and briefing.reply.text == "Briefing"
    with pytest.raises(ChatDeliveryError) as nowhere:
        await asyncio.to_thread(bridge.notify, silent.user_id, "Hello", meeting_id=1)
    assert nowhere.value.retryable is False and "hasn't talked to hirebot in Slack or Memory Chat" in str(
        nowhere.value)


@dataclass
class MemoryPeople(MemoryMessages):
    """DirectMessages that can also find people by email (as Slack can), with a directory of its own."""

    people: dict[str, ChatContact] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)

    def serves(self, recipient: ChatRecipient) -> bool:
        return recipient.platform == self.platform

    async def find_by_email(self, recipient: ChatRecipient, email: str) -> ChatContact | None:
        self.lookups.append(email)
        return self.people.get(email)


async def test_the_bridge_finds_people_who_never_wrote_by_email_where_the_platform_can(
        sessions: sessionmaker[Session]) -> None:
    directory = Directory(sessions)
    chat_ws = directory.workspace_for("memory", "T1", "Memory team")
    quiet = directory.person_for(chat_ws.id, email="quiet@acme.test")
    stranger = directory.person_for(chat_ws.id, email="stranger@acme.test")
    elsewhere = directory.person_for(directory.workspace_for("other", "X", "Other").id, email="x@acme.test")
    memory = MemoryPeople("memory", "Memory Chat", "memory",
                          people={"quiet@acme.test": ChatContact("M-QUIET", "Quinn Quiet", "Asia/Tokyo")})
    loop = asyncio.get_running_loop()
    bridge = NotifierBridge(sessions, [memory], lambda: loop)
    await asyncio.to_thread(bridge.notify, quiet.user_id, "Jane booked", meeting_id=0)
    [(to, _)] = memory.sent
    assert to.chat_user_id == "M-QUIET"
    found = directory.person_for(chat_ws.id, email="quiet@acme.test")
    assert (found.display_name, found.timezone) == ("Quinn Quiet", "Asia/Tokyo")
    unknown = re.escape("stranger@acme.test isn't anyone's email address in Memory Chat")
    with pytest.raises(ChatDeliveryError, match=unknown):
        await asyncio.to_thread(bridge.notify, stranger.user_id, "Hello", meeting_id=0)
    with pytest.raises(ChatDeliveryError, match="hasn't talked to hirebot in Memory Chat"):
        await asyncio.to_thread(bridge.notify, elsewhere.user_id, "Hello", meeting_id=0)
    assert memory.lookups == ["quiet@acme.test", "stranger@acme.test"]  # no one asked about another workspace


def test_an_outbound_event_a_front_end_cannot_draw_is_an_error() -> None:
    @dataclass(frozen=True)
    class Poll:
        question: str

    assert outbound_message(TextNote("Greenhouse is synced")).text == "Greenhouse is synced"
    with pytest.raises(UnknownOutbound, match="Slack front end has no way to send a Poll"):
        outbound_message(Poll("Lunch?"))  # type: ignore[arg-type]


async def test_the_console_prints_its_users_direct_messages() -> None:
    console = Console(record=True, width=120)
    messages = ConsoleDirectMessages(console)
    me = ChatRecipient(user_id=1, chat_user_id=None, platform="local", workspace="default")
    assert messages.reaches(me) and not messages.reaches(ChatRecipient(1, "U1", "slack", "T1"))
    await messages.direct_message(me, MeetingNotice("[bold]Jane[/bold] booked", 7, meeting_open=True))
    await messages.direct_message(me, Briefing(Reply(text="Interview with Jane at 10:00", intent="briefing"), 7))
    printed = console.export_text()
    assert "[bold]Jane[/bold] booked (meeting 7)" in printed and "Interview with Jane at 10:00" in printed
    with pytest.raises(UnknownOutbound):
        await messages.direct_message(me, "hello")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ the schedule form


def test_form_problems_name_fields_and_slack_maps_each_field_to_its_block() -> None:
    form = ScheduleForm(title="", duration=30, first_day=date(2026, 11, 24), last_day=date(2026, 11, 28),
                        linkedin="https://example.com/jane")
    problems = form_problems(form, today=date(2026, 11, 23))
    assert set(problems) == {ScheduleField.TITLE, ScheduleField.LINKEDIN}
    assert form_errors(form, today=date(2026, 11, 23)) == {"title": problems[ScheduleField.TITLE],
                                                           LINKEDIN_BLOCK: problems[ScheduleField.LINKEDIN]}
    assert set(FIELD_BLOCKS) == set(ScheduleField) and FIELD_BLOCKS[ScheduleField.TARGET] == TARGET_BLOCK


def test_the_draft_is_json_with_named_keys_and_an_unreadable_one_says_so() -> None:
    draft = ScheduleDraft(window_start=NOW, window_end=NOW.replace(day=28), candidate_id=3, email="j@x.example",
                          duration=45, attendees=("sam@x.example",))
    data: dict[str, Any] = json.loads(draft.to_json())
    assert set(data) == {"candidate_id", "email", "name", "duration", "window_start", "window_end", "location",
                         "title", "attendees"}
    assert ScheduleDraft.from_json(draft.to_json()) == draft
    for unreadable in ("", "{}", '{"c":3,"ws":"2026-11-23T09:00:00+00:00"}',
                       json.dumps({**data, "window_start": "2026-11-23T09:00:00"})):  # a time without a zone
        with pytest.raises(DraftError, match="can't be read any more"):
            ScheduleDraft.from_json(unreadable)


def test_without_any_chat_configuration_no_front_end_is_mounted() -> None:
    calls: list[str] = []

    def unconfigured(runtime: Any) -> None:
        calls.append("asked")
        return None

    assert configured_front_ends(object(), (unconfigured, unconfigured)) == []  # type: ignore[arg-type]
    assert calls == ["asked", "asked"]
