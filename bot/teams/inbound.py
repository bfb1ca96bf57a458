"""POST /api/messages: an activity from the Bot Framework checked and handed to the conversation.

Only JSON is read (else 415); the Bot Framework JWT must prove the activity (bot/teams/auth.py), else 401
and nothing is processed; then messages and install events are acknowledged at once (their answers go
through the connector later) and card buttons (`adaptiveCard/action` invokes) get HTTP 200 with an invoke
response. Bad input gets a 4xx, never a 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from aiohttp import web

from bot.teams.auth import InboundVerifier, Unauthorized
from bot.teams.conversation import TeamsConversation, invoke_message
from bot.teams.delivery import mapping, place_of

log = logging.getLogger(__name__)

BODY_READ_TIMEOUT_SECONDS = 10.0
VERIFIED_TOKEN_SECONDS = 300.0
VERIFIED_TOKENS_KEPT = 1024
ADAPTIVE_CARD_ACTION = "adaptiveCard/action"
FAILED = "Sorry, something went wrong on my side with that button. Please try again."


class Verifier(Protocol):
    async def verify(self, authorization: str | None, activity: Mapping[str, Any]) -> dict[str, Any]: ...


class VerifiedTokens:
    """Remembers, for a few minutes, tokens `verifier` accepted for a channel and serviceUrl.

    The Bot Framework sends the same token with every activity until it nears expiry, and checking its RSA
    signature is most of the work of acknowledging one. The whole Authorization value, the channel id and
    the serviceUrl are the key, so a hit means the very same check passed; the token's own expiry still
    ends it, and a short lifetime bounds how long a withdrawn signing key is still honoured.
    """

    def __init__(self, verifier: InboundVerifier | Verifier, *, ttl: float = VERIFIED_TOKEN_SECONDS,
                 clock: Callable[[], float] = time.time, kept: int = VERIFIED_TOKENS_KEPT) -> None:
        self.verifier = verifier
        self.ttl = ttl
        self.clock = clock
        self.kept = kept
        self._accepted: OrderedDict[tuple[str, str, str], tuple[float, dict[str, Any]]] = OrderedDict()

    async def verify(self, authorization: str | None, activity: Mapping[str, Any]) -> dict[str, Any]:
        channel, service_url = activity.get("channelId"), activity.get("serviceUrl")
        if not (isinstance(authorization, str) and isinstance(channel, str) and isinstance(service_url, str)):
            return await self.verifier.verify(authorization, activity)
        key = (authorization, channel, service_url)
        now = self.clock()
        hit = self._accepted.get(key)
        if hit is not None and now < hit[0]:
            return hit[1]
        claims = await self.verifier.verify(authorization, activity)
        expires = claims.get("exp")
        until = min(now + self.ttl, float(expires)) if isinstance(expires, int | float) else now
        if until > now:
            self._accepted[key] = (until, claims)
            self._accepted.move_to_end(key)
            while len(self._accepted) > self.kept:
                self._accepted.popitem(last=False)
        return claims


def is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def messages_handler(conversation: TeamsConversation, verifier: InboundVerifier | Verifier) -> Handler:
    """The aiohttp handler for the messaging endpoint."""

    async def messages(request: web.Request) -> web.StreamResponse:
        if not is_json(request.headers.get("Content-Type", "")):
            return web.Response(status=415, text="hirebot takes Bot Framework activities as JSON.")
        try:
            async with asyncio.timeout(BODY_READ_TIMEOUT_SECONDS):
                body = await request.read()
        except TimeoutError:
            return web.Response(status=408, headers={"Connection": "close"})
        try:
            activity = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            activity = None
        if not isinstance(activity, dict):
            # Its token can't be checked against an activity that isn't there: refused like a bad token.
            return web.Response(status=401, text="The body is not a Bot Framework activity.")
        try:
            await verifier.verify(request.headers.get("Authorization"), activity)
        except Unauthorized as refused:
            log.info("refused an activity on %s: %s", request.path, refused)
            return web.Response(status=401)
        return await dispatch(conversation, activity)

    return messages


async def dispatch(conversation: TeamsConversation, activity: dict[str, Any]) -> web.StreamResponse:
    """Hand a verified activity to the conversation; the HTTP answer for it."""
    kind = activity.get("type")
    place = place_of(activity)
    if place is None:
        return web.Response(status=400, text="The activity names no sender, conversation or serviceUrl.")
    if place.user_id == mapping(activity.get("recipient")).get("id"):
        return web.Response(status=200)  # hirebot's own activity echoed back: nothing to answer
    try:
        if kind == "message":
            await conversation.on_message(activity, place)
        elif kind == "invoke":
            if activity.get("name") != ADAPTIVE_CARD_ACTION:
                return web.json_response({"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                                          "value": "hirebot doesn't handle that here."})
            return web.json_response(await conversation.on_invoke(activity, place))
        elif kind in ("conversationUpdate", "installationUpdate"):
            await conversation.on_install(activity, place)
    except Exception:
        log.exception("handling a Teams %s activity failed", kind)
        if kind == "invoke":
            return web.json_response(invoke_message(FAILED))
    return web.Response(status=200)
