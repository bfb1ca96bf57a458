"""Teams conversations: messages and card buttons become `Turn`s for the shared TurnDesk
(bot/frontend/conversation.py), and this class is the desk's `ChatPlatform` for Teams.

Nothing here decides anything about candidates. A message's markup becomes plain text (bot/teams/markup.py,
hirebot's own @mention dropped), the core's `Reply` is drawn by bot/teams/cards.py, and answers go through
the connector: a reply in the conversation, the card a button was on updated in place, or the asker's 1:1
chat for candidate details asked about in a channel or group chat (unless the admin shares cards there).

Buttons arrive as `adaptiveCard/action` invokes (or, from clients without Universal Actions, as messages
whose `value` carries the verb). Those that only change a card (Edit details, the directory, its forms) are
answered in the invoke response itself; those that ask the core are queued like messages and answered
through the connector, the invoke answered at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx

from adapters.registry import all_specs
from adapters.spec import ProviderSpec
from bot.connections import ConnectionService
from bot.directory import Directory
from bot.frontend.conversation import BUSY_TEXT, TurnDesk
from bot.frontend.privacy import DetailsRule
from bot.frontend.protocol import ChatDeliveryError, DeliveryRefused, IdentityError, Turn
from bot.frontend.questions import QUESTION_BACKLOG, QUESTION_WORKERS
from bot.frontend.recent import RECENT_KEPT, RecentKeys
from bot.frontend.runner import CoreRunner
from bot.frontend.zones import OrganizerZones
from bot.intake import IntakeDesk
from bot.messages import ChatFile, Person, RoomKind
from bot.replies import Reply
from bot.teams.cards import (
    DO_VERB,
    EDIT_VERB,
    FORM_VERB,
    PICK_VERB,
    message,
    note_card,
    note_message,
    reply_message,
)
from bot.teams.connector import Connector
from bot.teams.delivery import PRIVATE_NOTE, Place, mapping
from bot.teams.directory import PERSONAL_ONLY, TeamsIntegrations, directory_request
from bot.teams.directory import VERBS as DIRECTORY_VERBS
from bot.teams.files import attached_files, fetch_files
from bot.teams.identity import TeamsIdentities
from bot.teams.markup import teams_text
from bot.teams.references import ReferenceBook
from bot.teams.schedule_edit import TeamsScheduleEditor
from store.models import utcnow

log = logging.getLogger(__name__)

BUSY_NOTE_EVERY_SECONDS = 30.0
WORKING = "On it\u2026"
STALE_BUTTON = "That button doesn't do anything any more. Please ask me again."
CARD_RESPONSE = "application/vnd.microsoft.card.adaptive"
MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"


def invoke_card(card: dict[str, Any]) -> dict[str, Any]:
    """The invoke response that replaces the clicked card with `card`."""
    return {"statusCode": 200, "type": CARD_RESPONSE, "value": card}


def invoke_message(text: str) -> dict[str, Any]:
    """The invoke response that shows a short message and leaves the card as it is."""
    return {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": text}


def message_text(activity: Mapping[str, Any]) -> str:
    """The plain text of a message, without hirebot's own @mention (other mentions read as "@name")."""
    raw = activity.get("text")
    if not isinstance(raw, str):
        return ""
    recipient = mapping(activity.get("recipient"))
    found = False
    for entity in activity.get("entities") or ():
        if not isinstance(entity, Mapping) or entity.get("type") != "mention":
            continue
        mentioned = mapping(entity.get("mentioned"))
        tag = entity.get("text")
        if mentioned.get("id") == recipient.get("id") and isinstance(tag, str) and tag in raw:
            raw, found = raw.replace(tag, " "), True
    # Without the entity (a client that sent none), a leading mention is taken to be hirebot's.
    return teams_text(raw, drop_leading_mention=not found)


def _activity_key(activity: Mapping[str, Any]) -> str | None:
    """"teams:<conversation>:<activity id>": what identifies an activity across redeliveries."""
    activity_id = activity.get("id")
    if not isinstance(activity_id, str) or not activity_id:
        return None
    conversation = activity.get("conversation")
    where = conversation.get("id", "") if isinstance(conversation, Mapping) else ""
    return f"teams:{where}:{activity_id}"


class TeamsConversation:
    """The Teams handlers, and the ChatPlatform the shared TurnDesk answers through."""

    name = "teams"
    label = "Teams"

    def __init__(self, core: CoreRunner, directory: Directory, connections: ConnectionService,
                 connector: Connector, identities: TeamsIdentities, references: ReferenceBook, *,
                 providers: Sequence[ProviderSpec] | None = None, workers: int = QUESTION_WORKERS,
                 backlog: int = QUESTION_BACKLOG, zones: OrganizerZones | None = None,
                 now: Callable[[], datetime] = utcnow, intakes: IntakeDesk | None = None,
                 tenant_id: str | None = None, downloads: httpx.AsyncClient | None = None,
                 first_receipt: Callable[[str], bool] | None = None) -> None:
        self.directory = directory
        self.downloads = downloads or httpx.AsyncClient()  # for attached files (their links need no token)
        self.connector = connector
        self.identities = identities
        self.references = references
        self.tenant_id = tenant_id
        self.desk: TurnDesk[Place] = TurnDesk(self, core, DetailsRule(directory), workers=workers, backlog=backlog,
                                              first_receipt=first_receipt)
        self.integrations = TeamsIntegrations(connections, all_specs() if providers is None else providers,
                                              spawn=self.desk.spawn)
        self.scheduling = TeamsScheduleEditor(self.desk, zones or OrganizerZones(directory.sessions, None),
                                              now=now, intakes=intakes)
        self._recent = RecentKeys()
        self._told_busy: dict[str, float] = {}  # Teams user id -> when they were last told hirebot is busy

    @property
    def core(self) -> CoreRunner:
        return self.desk.core

    # ---------------------------------------------------------------- activities
    # Handlers only turn the activity into a small Turn and queue it: the HTTP answer never waits for the core.

    async def on_message(self, activity: Mapping[str, Any], place: Place) -> None:
        """A message in a personal chat, or one that @mentions hirebot in a channel or group chat."""
        if self._duplicate(activity):
            return
        value = activity.get("value")
        if not activity.get("text") and isinstance(value, Mapping) and isinstance(value.get("verb"), str):
            self.desk.spawn(self._on_submit(place, str(value["verb"]), dict(value)))
            return
        text = message_text(activity)
        wanted, named = directory_request(text)
        if wanted:
            self.desk.spawn(self._show_directory(place, named))
            return
        files = attached_files(activity)
        if text or files:
            self.queue(Turn(place, text=text, attachments=files, key=_activity_key(activity)))

    def queue(self, turn: Turn[Place]) -> None:
        """Queue a turn for the answering workers; when the queue is full the asker is told so, after the
        HTTP answer (TurnDesk.receive would post the "busy" note before it, and a flood would wait on it)."""
        if self.desk.questions.offer(turn):
            return
        # Once per person a while: a flood of questions must not become a flood of replies.
        now = time.monotonic()
        if now - self._told_busy.get(turn.place.user_id, -BUSY_NOTE_EVERY_SECONDS) >= BUSY_NOTE_EVERY_SECONDS:
            if len(self._told_busy) > RECENT_KEPT:
                self._told_busy.clear()
            self._told_busy[turn.place.user_id] = now
            self.desk.spawn(self.say(turn.place, BUSY_TEXT))

    async def on_invoke(self, activity: Mapping[str, Any], place: Place) -> dict[str, Any]:
        """An Action.Execute click (`adaptiveCard/action`): the invoke response body."""
        action = mapping(mapping(activity.get("value")).get("action"))
        data = mapping(action.get("data"))
        verb = action.get("verb")
        if not isinstance(verb, str):
            return invoke_message(STALE_BUTTON)
        if self._duplicate(activity):
            return invoke_message(WORKING)
        answer = await self.act(place, verb, dict(data))
        return invoke_card(answer) if isinstance(answer, dict) else invoke_message(answer)

    async def on_install(self, activity: Mapping[str, Any], place: Place) -> None:
        """conversationUpdate / installationUpdate: keep the reference so hirebot can write first later."""
        if activity.get("type") == "installationUpdate" and str(activity.get("action", "")).startswith("remove"):
            if place.is_personal:  # removed from their own chat: hirebot can't write to them any more
                self.desk.spawn(self.references.forget(place))
            return
        self.desk.spawn(self._remember(place))

    async def _remember(self, place: Place) -> None:
        email = None
        try:
            email = (await self.identities.person(place)).email
        except IdentityError as exc:
            log.info("kept a Teams reference for %s without an email: %s", place.user_id, exc)
        await self.references.remember(place, email)

    # ---------------------------------------------------------------- buttons

    async def act(self, place: Place, verb: str, data: dict[str, Any]) -> dict[str, Any] | str:
        """What a button does: a card to put in place of the one clicked, or a short message."""
        if verb in (PICK_VERB, DO_VERB):
            command = data.get("command")
            value = data.get("value", data.get("choice"))
            if not isinstance(command, str) or value is None:
                return STALE_BUTTON
            self.queue(Turn(place, command=command, value=str(value), replace=verb == PICK_VERB))
            return WORKING
        if verb not in DIRECTORY_VERBS and verb not in (EDIT_VERB, FORM_VERB):
            return STALE_BUTTON
        try:
            person = await self.identities.person(place)
        except IdentityError as exc:
            return note_card(str(exc))
        if verb == EDIT_VERB:
            return await self.scheduling.edit(person, data)
        if verb == FORM_VERB:
            return await self.scheduling.submit(person, place, data, show=self._shower(place))
        if not place.is_personal:
            return note_card(PERSONAL_ONLY)
        return await self.integrations.act(person, verb, data, show=self._shower(place),
                                           tell=lambda text: self.say(place, text))

    async def _on_submit(self, place: Place, verb: str, data: dict[str, Any]) -> None:
        """An Action.Submit click (old clients): the same buttons, answered through the connector."""
        answer = await self.act(place, verb, {k: v for k, v in data.items() if k != "verb"})
        if isinstance(answer, dict):
            await self._shower(place)(answer)
        elif answer != WORKING:
            await self.say(place, answer)

    def _shower(self, place: Place) -> Callable[[dict[str, Any]], Awaitable[None]]:
        """Replaces the card a button was on (or posts the card when Teams didn't say which one it was)."""

        async def show(card: dict[str, Any]) -> None:
            try:
                if place.card_activity_id:
                    await self.connector.update(place.service_url, place.conversation_id, place.card_activity_id,
                                                message(card))
                else:
                    await self._answer(place, message(card))
            except ChatDeliveryError as exc:
                log.error("Teams refused to update a card in %s: %s", place.conversation_id, exc)

        return show

    async def _show_directory(self, place: Place, named: str | None) -> None:
        """The directory (or one ATS's form) for "connect" / "my integrations", in the personal chat only."""
        if not place.is_personal:
            await self.say(place, PERSONAL_ONLY)
            return
        try:
            person = await self.identities.person(place)
            card = await self.integrations.opening(person, named)
            await self._post(place, message(card, summary="Your integrations"))
        except IdentityError as exc:
            await self.say(place, str(exc))
        except DeliveryRefused as exc:
            log.error("Teams refused the integration directory for %s: %s", place.user_id, exc)

    def _duplicate(self, activity: Mapping[str, Any]) -> bool:
        """Teams redelivers an activity it thinks failed; handle each id once."""
        # A repeat this process saw is dropped here; one first delivered to another process is caught by the
        # desk's first_receipt (shared through the database).
        activity_id = activity.get("id")
        if not isinstance(activity_id, str) or not activity_id:
            return False
        key = f"{activity.get('type')}:{activity_id}"
        return self._recent.repeat(key)

    # ---------------------------------------------------------------- ChatPlatform

    async def identify(self, place: Place) -> Person:
        person = await self.identities.person(place)
        if not self.references.known(place):
            self.desk.spawn(self.references.remember(place, person.email))
        return person

    def room(self, place: Place) -> RoomKind:
        return place.room

    async def read_files(self, place: Place, attachments: tuple[object, ...]
                         ) -> tuple[tuple[ChatFile, ...], tuple[str, ...]]:
        return await fetch_files(self.downloads, attachments)

    async def reply(self, place: Place, reply: Reply, *, private: bool) -> None:
        if private and place.room is RoomKind.CHANNEL:
            await self._to_personal_chat(place, reply_message(reply))
            await self._post(place, note_message(PRIVATE_NOTE))
            return
        await self._post(place, reply_message(reply))

    async def update(self, place: Place, reply: Reply, *, private: bool) -> None:
        if private and place.room is RoomKind.CHANNEL:
            await self.reply(place, reply, private=private)
            return
        if not place.card_activity_id:
            await self._post(place, reply_message(reply))
            return
        try:
            await self.connector.update(place.service_url, place.conversation_id, place.card_activity_id,
                                        reply_message(reply))
        except ChatDeliveryError as exc:
            raise DeliveryRefused(str(exc)) from exc

    async def say(self, place: Place, text: str) -> None:
        """A note to the asker alone: in their chat with hirebot (their 1:1 chat when they asked elsewhere)."""
        try:
            if place.room is RoomKind.CHANNEL:
                await self._to_personal_chat(place, note_message(text))
            else:
                await self._answer(place, note_message(text))
        except (ChatDeliveryError, DeliveryRefused) as exc:
            log.error("could not tell %s in %s: %r (%s)", place.user_id, place.conversation_id, text, exc)

    async def _post(self, place: Place, payload: dict[str, Any]) -> None:
        try:
            await self._answer(place, payload)
        except ChatDeliveryError as exc:
            raise DeliveryRefused(str(exc)) from exc

    async def _answer(self, place: Place, payload: dict[str, Any]) -> None:
        """A reply to the activity; into its conversation when the activity had no id to reply to."""
        if place.activity_id:
            await self.connector.reply(place.reply_to(), payload)
        else:
            await self.connector.send(place.service_url, place.conversation_id, payload)

    async def _to_personal_chat(self, place: Place, payload: dict[str, Any]) -> None:
        try:
            chat = await self.connector.open_personal_chat(place.service_url, place.user_id,
                                                           place.tenant_id or self.tenant_id or "")
            await self.connector.send(place.service_url, chat, payload)
        except ChatDeliveryError as exc:
            raise DeliveryRefused(str(exc)) from exc
        personal = replace(place, conversation_id=chat, conversation_type="personal")
        if not self.references.known(personal):
            self.desk.spawn(self.references.remember(personal, None))

    # ---------------------------------------------------------------- lifetime

    async def drain(self) -> None:
        await self.desk.drain()

    async def cancel_background(self) -> None:
        await self.desk.close()

