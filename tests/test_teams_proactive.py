"""Proactive Teams messages: briefings and meeting notices reach a hirebot user through the scheduler's notifier
bridge (from its worker thread), by opening the 1:1 chat from the stored conversation reference
(`POST {serviceUrl}/v3/conversations`) and posting the card there, also from a freshly started front end
(references are kept in the database); attendees are found by email among stored references."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from bot.connections import ConnectionService
from bot.frontend.notifier import NotifierBridge
from bot.frontend.protocol import ChatDeliveryError, ChatRecipient, TextNote, UnknownOutbound
from bot.replies import Card, Field, Reply
from bot.teams.app import TeamsFrontEnd
from bot.teams.config import TeamsConfig
from bot.teams.sandbox import CREATE_CONVERSATION, SEND
from tests import factories as f
from tests.rigs.teams import TeamsDesk, nodes, shown


def briefing() -> Reply:
    card = Card(title="Interview with Jane Doe", fields=(Field("When", "Tue 8 Dec, 15:00\u201315:45"),),
                kind="meeting")
    return Reply(text="Coming up in 30 min: Interview with Jane Doe.", intent="briefing", cards=(card,),
                 private=True, extra={"meeting_id": 0})


def rita_id(desk: TeamsDesk) -> int:
    return desk.directory.person_for(desk.directory.default_workspace().id, email="rita@acme.test").user_id


async def test_a_briefing_reaches_someone_who_installed_the_app(teams_desk: TeamsDesk) -> None:
    await teams_desk.send(teams_desk.activities.installation_update(teams_desk.rita))
    await teams_desk.front.conversation.drain()
    loop = asyncio.get_running_loop()
    bridge = NotifierBridge(teams_desk.sessions, [teams_desk.front.direct_messages()], lambda: loop)
    # The person's chat id is kept on their user when they are first seen; the install event saw them.
    await asyncio.to_thread(bridge.send, rita_id(teams_desk), briefing())
    [opened] = teams_desk.fake.accepted(CREATE_CONVERSATION)
    assert opened.body["members"] == [{"id": teams_desk.rita.id}] and opened.service_path == "/amer"
    assert opened.body["tenantId"] == teams_desk.fake.tenant_id
    [sent] = teams_desk.fake.accepted(SEND)
    assert "Interview with Jane Doe" in shown(sent.cards[0]) and "Coming up in 30 min" in shown(sent.cards[0])


async def test_a_meeting_notice_offers_reschedule_and_cancel_after_a_restart(teams_desk: TeamsDesk) -> None:
    post = await teams_desk.ask("schedule with Jane Doe")
    await teams_desk.click(post, "Send the request")
    assert teams_desk.meetings_count() == 1
    [meeting] = teams_desk.scheduling.service.meetings_for(
        teams_desk.directory.person_for(teams_desk.directory.default_workspace().id, email="rita@acme.test"))

    # A new front end on the same database (hirebot restarted) still knows where Rita is.
    config = TeamsConfig.from_env(teams_desk.fake.env())
    assert config is not None
    restarted = TeamsFrontEnd.build(config, teams_desk.settings, teams_desk.sessions, teams_desk.assistant,
                                    teams_desk.directory, ConnectionService(teams_desk.sessions, f.BOX),
                                    core_processes=0)
    try:
        loop = asyncio.get_running_loop()
        bridge = NotifierBridge(teams_desk.sessions, [restarted.direct_messages()], lambda: loop)
        sent_before = len(teams_desk.fake.accepted(SEND))
        await asyncio.to_thread(bridge.notify, rita_id(teams_desk), "Jane Doe hasn't picked a time yet.",
                                meeting_id=meeting.id)
        notice = teams_desk.fake.accepted(SEND)[sent_before]
        card = notice.cards[0]
        assert "hasn't picked a time yet" in shown(card)
        inner = [a["card"]["actions"][0] for a in nodes(card, "Action.ShowCard")]
        assert [(b["data"]["command"], b["data"]["value"]) for b in inner] == [
            ("meeting_reschedule", str(meeting.id)), ("meeting_cancel", str(meeting.id))]
    finally:
        await restarted.close()


@dataclass(frozen=True)
class Strange:
    text: str


async def test_unknown_people_and_unknown_events_are_refused_clearly(teams_desk: TeamsDesk) -> None:
    messages = teams_desk.front.direct_messages()
    stranger = ChatRecipient(user_id=99, chat_user_id="29:nobody", platform="local", workspace="default")
    assert not await asyncio.to_thread(messages.reaches, stranger)
    with pytest.raises(ChatDeliveryError) as refused:
        await messages.direct_message(stranger, TextNote("Greenhouse is synced."))
    assert not refused.value.retryable and "installed hirebot in Teams" in str(refused.value)
    with pytest.raises(UnknownOutbound):
        await messages.direct_message(stranger, Strange("x"))  # type: ignore[arg-type]
    assert teams_desk.fake.calls == []


async def test_attendees_are_found_by_email_among_stored_references(teams_desk: TeamsDesk) -> None:
    await teams_desk.send(teams_desk.activities.installation_update(teams_desk.bob))
    await teams_desk.front.conversation.drain()
    messages = teams_desk.front.direct_messages()
    place = ChatRecipient(user_id=0, chat_user_id=None, platform="local", workspace="default")
    found = await messages.find_by_email(place, "BOB@acme.test")
    assert found is not None and found.chat_user_id == teams_desk.bob.id
    assert await messages.find_by_email(place, "nobody@acme.test") is None
    elsewhere = ChatRecipient(user_id=0, chat_user_id=None, platform="slack", workspace="T0OTHER")
    assert await messages.find_by_email(elsewhere, "bob@acme.test") is None
