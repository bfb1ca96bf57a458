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
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from aiohttp import web

from bot.teams.auth import InboundVerifier, Unauthorized
from bot.teams.conversation import TeamsConversation, invoke_message
from bot.teams.delivery import place_of

log = logging.getLogger(__name__)

BODY_READ_TIMEOUT_SECONDS = 10.0
ADAPTIVE_CARD_ACTION = "adaptiveCard/action"
FAILED = "Sorry, something went wrong on my side with that button. Please try again."


class Verifier(Protocol):
    async def verify(self, authorization: str | None, activity: Mapping[str, Any]) -> dict[str, Any]: ...


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
