"""Direct messages to hirebot users in Teams, for the scheduler: meeting notices to the organizer (with
Reschedule and Cancel while the meeting is open), pre-meeting briefings and follow-up reports, and finding
attendees by email among the people whose references hirebot keeps (they installed the app or wrote to it).

bot/frontend/notifier.py bridges the scheduler's threads to this. Teams lets a bot write first only in a
conversation it knows, so each message opens (or finds) the 1:1 chat with `POST {serviceUrl}/v3/conversations`
from the person's stored reference, then posts the card into it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.directory import DEFAULT_WORKSPACE
from bot.frontend.protocol import (
    Briefing,
    ChatContact,
    ChatDeliveryError,
    ChatRecipient,
    MeetingNotice,
    Outbound,
    TextNote,
    UnknownOutbound,
)
from bot.teams.cards import message, note_message, notice_card, reply_message
from bot.teams.connector import Connector
from bot.teams.references import ReferenceBook

log = logging.getLogger(__name__)


def outbound_message(event: Outbound) -> dict[str, Any]:
    """An outbound event as a Teams message; UnknownOutbound for a type Teams has no drawing for."""
    match event:
        case MeetingNotice():
            return message(notice_card(event.text, event.meeting_id, with_buttons=event.meeting_open),
                           summary=event.text)
        case Briefing():
            return reply_message(event.reply)
        case TextNote():
            return note_message(event.text)
    raise UnknownOutbound("Teams", event)


class TeamsDirectMessages:
    """Teams' side of the notifier bridge (DirectMessages, and FindsPeople among stored references)."""

    name = "teams"
    label = "Teams"

    def __init__(self, connector: Connector, references: ReferenceBook) -> None:
        self.connector = connector
        self.references = references

    def serves(self, recipient: ChatRecipient) -> bool:
        """Teams people belong to hirebot's default workspace (bot/teams/identity.py)."""
        return (recipient.platform, recipient.workspace) == DEFAULT_WORKSPACE

    def reaches(self, recipient: ChatRecipient) -> bool:
        """Whether hirebot keeps a Teams reference for the recipient (reads the store: the notifier calls this
        on its worker thread)."""
        if not (recipient.chat_user_id and self.serves(recipient)):
            return False
        return self.references.for_user(recipient.chat_user_id) is not None

    async def find_by_email(self, recipient: ChatRecipient, email: str) -> ChatContact | None:
        """Someone with this address who installed hirebot or wrote to it in Teams; None otherwise."""
        if not self.serves(recipient):
            return None
        found = await asyncio.to_thread(self.references.for_email, email)
        return ChatContact(chat_user_id=found.teams_user_id) if found is not None else None

    async def direct_message(self, recipient: ChatRecipient, event: Outbound) -> None:
        payload = outbound_message(event)
        user = recipient.chat_user_id or ""
        found = await asyncio.to_thread(self.references.for_user, user)
        if found is None:
            raise ChatDeliveryError("They haven't installed hirebot in Teams or written to it, so there is no chat "
                                    "to send this to.", retryable=False)
        what = type(event).__name__
        try:
            chat = await self.connector.open_personal_chat(found.service_url, found.teams_user_id, found.tenant_id)
            await self.connector.send(found.service_url, chat, payload)
        except ChatDeliveryError as exc:
            log.error("Teams refused the %s for user %s: %s", what, recipient.user_id, exc)
            raise
