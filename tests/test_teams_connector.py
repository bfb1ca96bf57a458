"""The Bot Connector client against the fake Bot Framework over loopback: the paths it calls (the serviceUrl's
path kept), the token it gets and caches, and how it retries and reports failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.frontend.protocol import ChatDeliveryError
from bot.teams.config import TeamsConfig
from bot.teams.connector import Connector, ConnectorError
from bot.teams.sandbox import (
    CREATE_CONVERSATION,
    MEMBER,
    REPLY,
    SEND,
    UPDATE,
    FakeBotFramework,
    FakeMember,
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotFramework]:
    bf = FakeBotFramework()
    await bf.start()
    yield bf
    await bf.close()


@pytest.fixture
def ada(fake: FakeBotFramework) -> FakeMember:
    return fake.add_member("Ada Lovelace", "ada@acme.test")


class Sleeps:
    """Records the waits the connector asks for instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def connector(fake: FakeBotFramework) -> AsyncIterator[tuple[Connector, Sleeps]]:
    config = TeamsConfig.from_env(fake.env())
    assert config is not None
    sleeps = Sleeps()
    async with httpx.AsyncClient() as client:
        yield Connector(config, client=client, sleep=sleeps), sleeps


async def test_a_reply_goes_to_the_activity_under_its_service_url_path(
        fake: FakeBotFramework, ada: FakeMember, connector: tuple[Connector, Sleeps]) -> None:
    teams, _ = connector
    activity = fake.activities("emea").message(ada, "who is Jane", scope="channel")
    card = {"contentType": "application/vnd.microsoft.card.adaptive",
            "content": {"type": "AdaptiveCard", "version": "1.5", "body": []}}
    new_id = await teams.reply(activity, {"attachments": [card]})
    [call] = fake.accepted(REPLY)
    assert new_id and call.service_path == "/emea"
    assert (call.conversation_id, call.activity_id) == (activity["conversation"]["id"], activity["id"])
    assert ";messageid=" in str(call.conversation_id)  # the thread's id survived quoting
    assert call.body["type"] == "message" and call.body["replyToId"] == activity["id"]
    assert call.body["from"] == activity["recipient"] and call.body["recipient"] == activity["from"]
    assert call.cards == [card["content"]]


async def test_send_update_open_chat_and_member_lookup(fake: FakeBotFramework, ada: FakeMember,
                                                       connector: tuple[Connector, Sleeps]) -> None:
    teams, _ = connector
    service_url = fake.service_url("amer")
    chat = await teams.open_personal_chat(service_url, ada.id, fake.tenant_id)
    assert chat == await teams.open_personal_chat(service_url, ada.aad_object_id, fake.tenant_id)
    [create, _again] = fake.accepted(CREATE_CONVERSATION)
    assert create.body["members"] == [{"id": ada.id}] and create.body["isGroup"] is False
    assert create.body["channelData"] == {"tenant": {"id": fake.tenant_id}}
    assert create.service_path == "/amer"

    posted = await teams.send(service_url, chat, {"text": "Your 10:00 briefing"})
    [send] = fake.accepted(SEND)
    assert (send.conversation_id, send.text) == (chat, "Your 10:00 briefing")

    await teams.update(service_url, chat, posted, {"text": "Sent."})
    [update] = fake.accepted(UPDATE)
    assert (update.activity_id, update.body["id"], update.text) == (posted, posted, "Sent.")

    member = await teams.member(service_url, chat, ada.id)
    assert (member["email"], member["userPrincipalName"], member["aadObjectId"]) == (
        "ada@acme.test", "ada@acme.test", ada.aad_object_id)
    assert fake.accepted(MEMBER)[0].member_id == ada.id


async def test_a_service_url_without_a_path_works_too(fake: FakeBotFramework, ada: FakeMember,
                                                      connector: tuple[Connector, Sleeps]) -> None:
    teams, _ = connector
    await teams.send(fake.url, "a:1chat", {"text": "hi"})
    assert fake.accepted(SEND)[0].service_path == ""


async def test_the_token_is_fetched_once_and_reused(fake: FakeBotFramework, ada: FakeMember,
                                                    connector: tuple[Connector, Sleeps]) -> None:
    teams, _ = connector
    await asyncio.gather(*(teams.send(fake.service_url(), "a:1chat", {"text": str(i)}) for i in range(10)))
    assert fake.tokens_issued == 1
    assert {c.token for c in fake.accepted(SEND)} == {fake.accepted(SEND)[0].token}
    [request] = fake.token_requests
    assert request == {"grant_type": "client_credentials", "client_id": fake.app_id,
                       "scope": "https://api.botframework.com/.default"}


async def test_the_token_is_renewed_shortly_before_it_expires(fake: FakeBotFramework) -> None:
    config = TeamsConfig.from_env(fake.env())
    assert config is not None
    now = [0.0]
    async with httpx.AsyncClient() as client:
        teams = Connector(config, client=client, clock=lambda: now[0])
        await teams.send(fake.service_url(), "a:1", {"text": "1"})
        now[0] += fake.token_lifetime - 600
        await teams.send(fake.service_url(), "a:1", {"text": "2"})
        assert fake.tokens_issued == 1
        now[0] += 400  # within five minutes of expiry
        await teams.send(fake.service_url(), "a:1", {"text": "3"})
        assert fake.tokens_issued == 2


async def test_a_revoked_token_is_replaced_once(fake: FakeBotFramework, connector: tuple[Connector, Sleeps]) -> None:
    teams, _ = connector
    await teams.send(fake.service_url(), "a:1", {"text": "1"})
    fake.expire_tokens()
    await teams.send(fake.service_url(), "a:1", {"text": "2"})
    assert fake.tokens_issued == 2 and len(fake.accepted(SEND)) == 2


async def test_rate_limits_are_waited_out_as_told(fake: FakeBotFramework, connector: tuple[Connector, Sleeps]) -> None:
    teams, sleeps = connector
    fake.rate_limit(SEND, retry_after=7, times=2)
    await teams.send(fake.service_url(), "a:1", {"text": "hi"})
    assert sleeps.waits == [7.0, 7.0]
    assert [c.status for c in fake.calls_to(SEND)] == [429, 429, 201]


async def test_persistent_failures_say_whether_to_retry(fake: FakeBotFramework,
                                                        connector: tuple[Connector, Sleeps]) -> None:
    teams, _ = connector
    fake.fail(SEND, 503, times=5)
    with pytest.raises(ConnectorError) as busy:
        await teams.send(fake.service_url(), "a:1", {"text": "hi"})
    assert busy.value.retryable and busy.value.status == 503
    assert isinstance(busy.value, ChatDeliveryError)

    fake.rate_limit(SEND, retry_after=3600)
    with pytest.raises(ConnectorError) as later:
        await teams.send(fake.service_url(), "a:1", {"text": "hi"})
    assert later.value.retryable and later.value.retry_after == 3600

    fake.fail(REPLY, 403, code="BotNotInConversationRoster")
    with pytest.raises(ConnectorError, match="BotNotInConversationRoster") as gone:
        await teams.reply({"serviceUrl": fake.service_url(), "conversation": {"id": "a:1"}, "id": "9"}, {"text": "x"})
    assert not gone.value.retryable


async def test_an_unknown_member_and_a_stranger_chat_are_not_retried(
        fake: FakeBotFramework, connector: tuple[Connector, Sleeps]) -> None:
    teams, sleeps = connector
    with pytest.raises(ConnectorError, match="MemberNotFound") as missing:
        await teams.member(fake.service_url(), "a:1", "29:nobody")
    assert missing.value.status == 404 and not missing.value.retryable
    with pytest.raises(ConnectorError, match="403"):
        await teams.open_personal_chat(fake.service_url(), "29:nobody", fake.tenant_id)
    assert sleeps.waits == []


async def test_too_large_an_activity_is_refused_for_good(fake: FakeBotFramework,
                                                         connector: tuple[Connector, Sleeps]) -> None:
    teams, _ = connector
    with pytest.raises(ConnectorError, match="MessageSizeTooBig") as big:
        await teams.send(fake.service_url(), "a:1", {"text": "x" * 200_000})
    assert big.value.status == 413 and not big.value.retryable


async def test_wrong_credentials_are_reported_without_the_secret(fake: FakeBotFramework) -> None:
    env = {**fake.env(), "TEAMS_APP_PASSWORD": "not-the-secret"}
    config = TeamsConfig.from_env(env)
    assert config is not None
    async with httpx.AsyncClient() as client:
        with pytest.raises(ConnectorError, match="TEAMS_APP_PASSWORD") as refused:
            await Connector(config, client=client).send(fake.service_url(), "a:1", {"text": "hi"})
    assert not refused.value.retryable and "not-the-secret" not in str(refused.value)
    assert fake.calls == []  # nothing reached the connector


async def test_an_unreachable_connector_is_retryable(fake: FakeBotFramework,
                                                     connector: tuple[Connector, Sleeps]) -> None:
    teams, sleeps = connector
    with pytest.raises(ConnectorError) as down:
        await teams.send("http://127.0.0.1:9/amer/", "a:1", {"text": "hi"})
    assert down.value.retryable and len(sleeps.waits) == 2
    with pytest.raises(ConnectorError, match="http"):
        await teams.send("file:///etc/", "a:1", {"text": "hi"})
