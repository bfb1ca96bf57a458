"""Typed incoming messages: who said what, where. Front ends build these; the core never sees a platform.

`Person` (the sender) is defined in `store.people`, where the scheduler can use it too; it is re-exported here
because every chat module reads it as part of a message."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from store.people import Person


class RoomKind(StrEnum):
    DIRECT = "direct"
    CHANNEL = "channel"
    CONSOLE = "console"


@dataclass(frozen=True)
class ChatFile:
    """A file attached to the message (a CV), already downloaded by the front end."""

    name: str
    content_type: str | None
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class IncomingMessage:
    text: str
    sender: Person
    room: RoomKind = RoomKind.CONSOLE
    platform: str = "console"
    files: tuple[ChatFile, ...] = ()


__all__ = ["ChatFile", "IncomingMessage", "Person", "RoomKind"]
