"""Where a Slack answer goes: the DM itself, a thread, an ephemeral message only the asker sees, or the
interaction's response_url; plus hirebot's own DMs and modal updates. Failures are Slack's to explain.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.errors import HirebotError
from bot.messages import RoomKind
from bot.slack.blocks import SlackMessage, text_message
from bot.slack.web_api import slack_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Place:
    """Where a question was asked, and so where its answer may go; `client` carries the asking workspace's token."""

    client: AsyncWebClient = field(repr=False, compare=False)
    team_id: str | None
    user: str
    channel: str | None
    is_direct: bool
    thread_ts: str | None = None  # the thread the question is in, if any
    reply_ts: str | None = None  # what a public answer threads under
    response_url: str | None = None

    @property
    def room(self) -> RoomKind:
        return RoomKind.DIRECT if self.is_direct else RoomKind.CHANNEL


def is_direct(channel: str | None) -> bool:
    """Slack's DM channel ids start with D."""
    return bool(channel) and str(channel).startswith("D")


def team_of(body: dict[str, Any]) -> str | None:
    return (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")


def interaction_place(client: AsyncWebClient, body: dict[str, Any]) -> Place:
    """Where a button was clicked (or a select changed)."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    thread_ts = container.get("thread_ts") or message.get("thread_ts")
    # A normal message of ours in a D channel is in hirebot's own DM; an ephemeral one may be in anyone's DM.
    direct = is_direct(channel) and not container.get("is_ephemeral")
    return Place(client, team_id=team_of(body), user=body["user"]["id"], channel=channel, is_direct=direct,
                 thread_ts=thread_ts, reply_ts=thread_ts, response_url=body.get("response_url"))


async def send(place: Place, message: SlackMessage, *, private: bool, replace: bool,
               session: aiohttp.ClientSession | None = None) -> None:
    """Post `message` for `place`; raises SlackApiError or HirebotError when Slack refuses."""
    client = place.client  # named `client`: tests/test_slack_manifest.py finds Web API calls by it
    if place.response_url and (replace or not place.is_direct):
        await respond(place.response_url, message, replace=replace, session=session)
    elif place.is_direct or not private:
        await client.chat_postMessage(channel=place.channel or place.user, thread_ts=place.reply_ts,
                                      **message.as_kwargs())
    else:
        # Ephemeral: only the asker sees it. Inside a thread it stays in that thread.
        await client.chat_postEphemeral(channel=place.channel or place.user, user=place.user,
                                        thread_ts=place.thread_ts, **message.as_kwargs())


async def say(place: Place, text: str, *, session: aiohttp.ClientSession | None = None) -> None:
    """A short note of our own to the asker only; failures are logged, there is nowhere else to turn."""
    try:
        await send(place, text_message(text), private=True, replace=False, session=session)
    except (SlackApiError, HirebotError) as exc:
        log.error("could not tell %s in %s: %r (%s)", place.user, place.channel, text, exc)


async def respond(response_url: str, message: SlackMessage, *, replace: bool,
                  session: aiohttp.ClientSession | None = None) -> None:
    """Answer through the interaction's response_url (ephemeral unless it replaces the original)."""
    response = await AsyncWebhookClient(url=response_url, session=session).send(
        text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=replace)
    if response.status_code != 200:
        raise HirebotError(f"response_url answered {response.status_code}: {response.body}")


async def dm(client: AsyncWebClient, user_id: str, text: str) -> None:
    """A message in the app's DM with the user (posting to a user id needs chat:write only)."""
    try:
        await client.chat_postMessage(channel=user_id, **text_message(text).as_kwargs())
    except SlackApiError as exc:
        log.error("could not DM %s: %r (%s)", user_id, text, slack_error(exc))


async def update_view(client: AsyncWebClient, view: dict[str, Any], new_view: dict[str, Any]) -> bool:
    """Replace an open modal; False (logged) when Slack refuses, e.g. because the user closed it."""
    try:
        await client.views_update(view_id=view["id"], view=new_view)
    except SlackApiError as exc:
        log.error("could not update modal %s: %s", view.get("id"), slack_error(exc))
        return False
    return True
