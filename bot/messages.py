"""Typed incoming messages: who said what, where. Front ends build these; the core never sees a platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class RoomKind(StrEnum):
    DIRECT = "direct"
    CHANNEL = "channel"
    CONSOLE = "console"


@dataclass(frozen=True)
class Person:
    """The asker, already mapped to a hirebot user."""

    workspace_id: int
    user_id: int
    email: str
    display_name: str | None = None
    is_admin: bool = False
    timezone: str | None = None


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
