"""Slack conversations: DMs, mentions, the slash command and card buttons become `Turn`s for the shared
TurnDesk (bot/frontend/conversation.py), and this class is the desk's `ChatPlatform` for Slack.

Nothing here decides anything about candidates. A message's Slack markup becomes plain text
(bot/slack/markup.py), the core's `Reply` is drawn by bot/slack/blocks.py, and answers go to the DM itself,
a thread, or an ephemeral message only the asker sees (bot/slack/delivery.py). The App Home
(bot/slack/connect.py) and the scheduling modal (bot/slack/schedule_edit.py) hang off this class too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.errors import HirebotError
from adapters.registry import all_specs
from adapters.spec import ProviderSpec
from bot.connections import ConnectionService
from bot.directory import Directory
from bot.frontend.conversation import TurnDesk
from bot.frontend.privacy import DetailsRule
from bot.frontend.protocol import DeliveryRefused, Turn
from bot.frontend.questions import QUESTION_BACKLOG, QUESTION_WORKERS
from bot.frontend.recent import RecentKeys
from bot.frontend.runner import CoreRunner
from bot.frontend.zones import OrganizerZones
from bot.intake import IntakeDesk
from bot.messages import ChatFile, Person, RoomKind
from bot.replies import Reply
from bot.slack.blocks import DO_PREFIX, PICK_PREFIX, render_reply
from bot.slack.connect import SlackHome
from bot.slack.delivery import Place, interaction_place, is_direct, say, send
from bot.slack.files import FileFetcher, SlackFile, attached_files
from bot.slack.identity import SlackIdentities
from bot.slack.markup import slack_text
from bot.slack.schedule_edit import ScheduleEditor
from bot.slack.web_api import slack_error
from store.models import utcnow

log = logging.getLogger(__name__)



def slash_command_text(text: str) -> str:
    """`/hirebot who Jane` reads as "who is Jane"; an empty command asks for help; the rest goes as typed."""
    text = " ".join(text.split())
    if not text:
        return "help"
    head, _, rest = text.partition(" ")
    if head.lower() == "who" and rest and not rest.lower().startswith(("is ", "was ", "'s ")):
        return f"who is {rest}"
    return text


def button_turn(client: AsyncWebClient, body: dict[str, Any], action: dict[str, Any], prefix: str, *,
                replace: bool) -> Turn[Place]:
    """A card button (or select) as a turn: its action id names the core command after `prefix`."""
    command = str(action.get("action_id", ""))[len(prefix):].split(".", 1)[0]
    value = action.get("value") or (action.get("selected_option") or {}).get("value") or ""
    return Turn(interaction_place(client, body), command=command, value=str(value), replace=replace)


def _event_key(body: dict[str, Any]) -> str | None:
    """"slack:<team>:<event id>": what identifies an event across redeliveries (and workspaces)."""
    event_id = body.get("event_id")
    return f"slack:{body.get('team_id') or ''}:{event_id}" if event_id else None


class SlackConversation:
    """The Slack listeners, and the ChatPlatform the shared TurnDesk answers through."""

    name = "slack"
    label = "Slack"

    def __init__(self, core: CoreRunner, directory: Directory, connections: ConnectionService,
                 identities: SlackIdentities, *, providers: Sequence[ProviderSpec] | None = None,
                 workers: int = QUESTION_WORKERS, backlog: int = QUESTION_BACKLOG,
                 zones: OrganizerZones | None = None, now: Callable[[], datetime] = utcnow,
                 files: FileFetcher | None = None, intakes: IntakeDesk | None = None,
                 first_receipt: Callable[[str], bool] | None = None) -> None:
        self.directory = directory
        self.identities = identities
        self.files = files or FileFetcher()
        self.http_session: aiohttp.ClientSession | None = None  # shared by response_url posts once started
        self.desk: TurnDesk[Place] = TurnDesk(self, core, DetailsRule(directory), workers=workers,
                                              backlog=backlog, first_receipt=first_receipt)
        self.home = SlackHome(identities, connections, all_specs() if providers is None else providers,
                              spawn=self.desk.spawn)
        self.scheduling = ScheduleEditor(self.desk, identities, zones or OrganizerZones(directory.sessions, None),
                                         now=now, intakes=intakes)
        self._recent = RecentKeys()

    @property
    def core(self) -> CoreRunner:
        return self.desk.core

    # ---------------------------------------------------------------- listeners
    # Listeners only turn the request into a small Turn and queue it: Bolt's request objects are freed
    # at once, the ack never waits for the core, and a flood of questions queues up to a bound.

    async def on_message(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        """A DM to hirebot (bot event message.im), with files attached or not; other message events (edits,
        deletions, bots) are acknowledged and ignored."""
        if event.get("channel_type") != "im" or event.get("subtype") not in (None, "file_share") \
                or event.get("bot_id"):
            return
        if self._duplicate(body) or not event.get("user"):
            return
        place = Place(client, team_id=body.get("team_id"), user=event["user"], channel=event.get("channel"),
                      is_direct=True, thread_ts=event.get("thread_ts"), reply_ts=event.get("thread_ts"))
        await self.desk.receive(Turn(place, text=slack_text(event.get("text") or ""),
                                     attachments=attached_files(event), key=_event_key(body)))

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        """@hirebot in a channel: answers go in the thread, candidate details only to the asker."""
        if self._duplicate(body) or not event.get("user"):
            return
        channel = event.get("channel")
        place = Place(client, team_id=body.get("team_id"), user=event["user"], channel=channel,
                      is_direct=is_direct(channel), thread_ts=event.get("thread_ts"),
                      reply_ts=event.get("thread_ts") or event.get("ts"))
        await self.desk.receive(Turn(place, text=slack_text(event.get("text") or ""),
                                     attachments=attached_files(event), key=_event_key(body)))

    async def on_command(self, ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                         client: AsyncWebClient) -> None:
        """/hirebot who X | schedule X | help: acknowledged at once, answered only to the asker."""
        await ack()
        # Never "direct": the command may be typed in a DM between two people, where posting would show the
        # card to the other one. The response_url answer is ephemeral wherever the command was typed.
        place = Place(client, team_id=command.get("team_id"), user=command["user_id"],
                      channel=command.get("channel_id"), is_direct=False, response_url=command.get("response_url"))
        await self.desk.receive(Turn(place, text=slack_text(slash_command_text(command.get("text") or ""))))

    async def on_pick(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], action: dict[str, Any],
                      client: AsyncWebClient) -> None:
        """A choice between candidates: the chosen card replaces the question."""
        await ack()
        await self.desk.receive(button_turn(client, body, action, PICK_PREFIX, replace=True))

    async def on_do(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], action: dict[str, Any],
                    client: AsyncWebClient) -> None:
        """A command button on a card (e.g. Schedule): the answer comes as a new message."""
        await ack()
        await self.desk.receive(button_turn(client, body, action, DO_PREFIX, replace=False))

    async def on_link(self, ack: Callable[..., Awaitable[Any]]) -> None:
        """URL buttons open in the browser; Slack still reports the click, which needs an ack only."""
        await ack()

    def _duplicate(self, body: dict[str, Any]) -> bool:
        """Slack redelivers an event it thinks failed; answer each event id once."""
        # A repeat this process saw is dropped here, before it is queued; one first delivered to another
        # process is caught by the desk's first_receipt (shared through the database).
        event_id = body.get("event_id")
        if not event_id:
            return False
        return self._recent.repeat(str(event_id))

    # ---------------------------------------------------------------- ChatPlatform

    async def identify(self, place: Place) -> Person:
        return await self.identities.person(place.client, place.team_id, place.user)

    def room(self, place: Place) -> RoomKind:
        return place.room

    async def read_files(self, place: Place, attachments: tuple[object, ...]
                         ) -> tuple[tuple[ChatFile, ...], tuple[str, ...]]:
        files = [item for item in attachments if isinstance(item, SlackFile)]
        return await self.files.fetch_all(files, place.client.token, self.http_session)

    async def reply(self, place: Place, reply: Reply, *, private: bool) -> None:
        await self._post(place, reply, private=private, replace=False)

    async def update(self, place: Place, reply: Reply, *, private: bool) -> None:
        await self._post(place, reply, private=private, replace=True)

    async def say(self, place: Place, text: str) -> None:
        await say(place, text, session=self.http_session)

    async def _post(self, place: Place, reply: Reply, *, private: bool, replace: bool) -> None:
        try:
            await send(place, render_reply(reply), private=private, replace=replace, session=self.http_session)
        except (SlackApiError, HirebotError) as exc:
            raise DeliveryRefused(slack_error(exc)) from exc

    # ---------------------------------------------------------------- lifetime

    async def drain(self) -> None:
        """Wait until every queued question is answered and background work (first syncs) is done."""
        await self.desk.drain()

    async def cancel_background(self) -> None:
        """At shutdown: stop answering and stop first syncs still running (scheduled syncs pick those up)."""
        await self.desk.close()

