"""Where a Teams answer goes: a reply in the conversation (threaded under the question), the card a button
was on updated in place, or, for candidate details asked about where others read along, the asker's 1:1 chat.

`Place` is read from an inbound activity (camelCase keys, as on the wire); everything is sent through the
connector (bot/teams/connector.py), whose errors say why Teams refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.messages import RoomKind

PERSONAL = "personal"
PRIVATE_NOTE = "I've sent you the details in our 1:1 chat."


@dataclass(frozen=True)
class Place:
    """Where an activity happened, and so where its answer may go."""

    service_url: str
    conversation_id: str
    conversation_type: str  # "personal", "groupChat" or "channel"
    user_id: str  # the asker's Teams id ("29:…")
    activity_id: str | None = None  # the activity asked; answers reply to it (in a channel: in its thread)
    card_activity_id: str | None = None  # the message a button was on (an invoke's replyToId)
    aad_object_id: str | None = None
    tenant_id: str | None = None
    user_name: str | None = None

    @property
    def room(self) -> RoomKind:
        return RoomKind.DIRECT if self.conversation_type == PERSONAL else RoomKind.CHANNEL

    @property
    def is_personal(self) -> bool:
        return self.conversation_type == PERSONAL

    @property
    def roster_id(self) -> str:
        """The conversation id members are read from: a channel thread's id without its `;messageid=`."""
        return self.conversation_id.split(";", 1)[0]

    def reply_to(self) -> dict[str, Any]:
        """The parts of the activity the connector's reply needs."""
        return {"serviceUrl": self.service_url, "conversation": {"id": self.conversation_id},
                "id": self.activity_id or ""}


def mapping(value: Any) -> Mapping[str, Any]:
    """`value` when it is a JSON object, else an empty one (activities are read leniently)."""
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value) else None


def place_of(activity: Mapping[str, Any]) -> Place | None:
    """The place of an inbound activity; None when it lacks what an answer needs (no sender, conversation
    or service URL)."""
    sender, conversation = mapping(activity.get("from")), mapping(activity.get("conversation"))
    tenant = mapping(mapping(activity.get("channelData")).get("tenant"))
    service_url, conversation_id, user_id = (_text(activity.get("serviceUrl")), _text(conversation.get("id")),
                                             _text(sender.get("id")))
    if not (service_url and conversation_id and user_id):
        return None
    kind = _text(conversation.get("conversationType")) or PERSONAL
    return Place(service_url=service_url, conversation_id=conversation_id, conversation_type=kind,
                 user_id=user_id, activity_id=_text(activity.get("id")),
                 card_activity_id=_text(activity.get("replyToId")),
                 aad_object_id=_text(sender.get("aadObjectId")),
                 tenant_id=_text(tenant.get("id")) or _text(conversation.get("tenantId")),
                 user_name=_text(sender.get("name")))
