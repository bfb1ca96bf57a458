"""The acknowledging path of /api/messages: tokens already verified for a channel and serviceUrl are taken
from a short-lived memory (the Bot Framework reuses one token for many activities), never past their
expiry, and never for another serviceUrl or channel."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from bot.teams.auth import InboundVerifier, Unauthorized
from bot.teams.config import TeamsConfig
from bot.teams.inbound import VerifiedTokens
from bot.teams.sandbox import FakeBotFramework


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Counting:
    """The real verifier, counting how often it is asked."""

    def __init__(self, verifier: InboundVerifier) -> None:
        self.verifier = verifier
        self.calls = 0

    async def verify(self, authorization: str | None, activity: Mapping[str, Any]) -> dict[str, Any]:
        self.calls += 1
        return await self.verifier.verify(authorization, activity)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotFramework]:
    bot_framework = FakeBotFramework(clock=Clock(time.time()))
    await bot_framework.start()
    yield bot_framework
    await bot_framework.close()


async def test_a_verified_token_is_remembered_until_its_expiry_and_only_for_its_service_url(
        fake: FakeBotFramework) -> None:
    clock = fake.clock
    assert isinstance(clock, Clock)
    config = TeamsConfig.from_env(fake.env())
    assert config is not None
    inner = Counting(InboundVerifier(config, clock=clock))
    tokens = VerifiedTokens(inner, ttl=300, clock=clock)
    member = fake.add_member("Rita Recruiter", "rita@acme.test")
    activity = fake.activities().message(member, "who is Jane")
    authorization = f"Bearer {fake.signer().token(activity['serviceUrl'], lifetime=120)}"

    await tokens.verify(authorization, activity)
    await tokens.verify(authorization, {**activity, "id": "another"})
    assert inner.calls == 1

    elsewhere = {**activity, "serviceUrl": "https://smba.trafficmanager.net/emea/"}
    with pytest.raises(Unauthorized):
        await tokens.verify(authorization, elsewhere)
    with pytest.raises(Unauthorized):
        await tokens.verify(authorization, {**activity, "channelId": "skype"})
    assert inner.calls == 3

    clock.now += 60  # within the token's life: still remembered
    await tokens.verify(authorization, activity)
    assert inner.calls == 3
    clock.now += 61  # past its expiry: the verifier is asked again (and judges the expiry itself)
    with contextlib.suppress(Unauthorized):
        await tokens.verify(authorization, activity)
    assert inner.calls == 4


async def test_bad_tokens_are_never_remembered(fake: FakeBotFramework) -> None:
    config = TeamsConfig.from_env(fake.env())
    assert config is not None
    inner = Counting(InboundVerifier(config, clock=fake.clock))
    tokens = VerifiedTokens(inner, clock=fake.clock)
    activity = fake.activities().message(fake.add_member("Rita", "rita@acme.test"), "hi")
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await tokens.verify(fake.signer().authorization(activity, "wrong_audience"), activity)
    with pytest.raises(Unauthorized):
        await tokens.verify(None, activity)
    assert inner.calls == 3
