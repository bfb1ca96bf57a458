"""The seam between the platform-neutral core and one chat platform.

A front end receives its platform's events, turns each into a `Turn` (plain text or a button, and the
platform's own `place` value saying where it happened) and hands it to a `TurnDesk` (conversation.py). The
desk calls back through `ChatPlatform`, which each front end implements: who asked (mapped to a hirebot
user by email), where the answer goes (reply, or update the message a button was on), short notes to the
asker, attached files, and direct messages to a hirebot user for the scheduler's notices and briefings.
Outbound direct messages are typed events; a front end raises `UnknownOutbound` for a type it doesn't draw,
never drops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, runtime_checkable

from aiohttp import web

from adapters.errors import HirebotError
from bot.frontend.runner import CoreRunner
from bot.messages import ChatFile, Person, RoomKind
from bot.replies import Reply

PlaceT = TypeVar("PlaceT")
PlaceT_contra = TypeVar("PlaceT_contra", contravariant=True)


@dataclass(frozen=True)
class Turn(Generic[PlaceT]):
    """One thing a person did that the core must answer: a message (`text`, the platform's markup already
    turned into plain text) or a button (`command` about `value`), and where it happened."""

    place: PlaceT
    text: str | None = None
    command: str | None = None
    value: str = ""
    replace: bool = False  # answer in place of the message the button was on
    attachments: tuple[object, ...] = ()  # the platform's references to attached files, read only when needed
    key: str | None = None  # the platform's id for this event: a redelivery, even to another process, is answered once


class IdentityError(HirebotError):
    """The asker could not be mapped to a hirebot user; the message says why, for that user."""


class DeliveryRefused(HirebotError):
    """The platform would not post an answer where it belongs; the message is its reason (e.g. an error code)."""


class ChatDeliveryError(HirebotError):
    """A direct message could not reach its hirebot user; `retryable` tells the job dispatcher whether to retry."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class UnknownOutbound(TypeError):
    """A front end was handed an outbound event type it doesn't know how to draw."""

    def __init__(self, platform: str, event: object) -> None:
        super().__init__(f"the {platform} front end has no way to send a {type(event).__name__}")


@dataclass(frozen=True)
class ChatRecipient:
    """A hirebot user as their chat platform knows them, read from the store."""

    user_id: int
    chat_user_id: str | None  # their id on the platform, once they have talked to hirebot there
    platform: str  # their workspace's platform ("slack"; "local" for the default workspace)
    workspace: str  # that workspace's external id (a Slack team id; "default")


@dataclass(frozen=True)
class ChatContact:
    """Someone a platform found by email: their id there, and what their profile says."""

    chat_user_id: str
    display_name: str | None = None
    timezone: str | None = None  # IANA name, e.g. "America/Los_Angeles"


@dataclass(frozen=True)
class MeetingNotice:
    """A notice to a meeting's organizer (booked, declined, no answer…); while the meeting is open the
    platform offers Reschedule and Cancel with it."""

    text: str
    meeting_id: int
    meeting_open: bool


@dataclass(frozen=True)
class Briefing:
    """A pre-meeting briefing or morning digest, drawn like any other reply."""

    reply: Reply
    meeting_id: int


@dataclass(frozen=True)
class TextNote:
    """A short message of hirebot's own (e.g. "Greenhouse is synced")."""

    text: str


Outbound = MeetingNotice | Briefing | TextNote


class ChatPlatform(Protocol[PlaceT_contra]):
    """What a front end implements for the shared TurnDesk. Every method runs on the front end's event loop."""

    name: str  # IncomingMessage.platform, e.g. "slack"
    label: str  # how people call it, for sentences such as "Slack wouldn't let me post that"

    async def identify(self, place: PlaceT_contra) -> Person:
        """Who asked, as a hirebot user found by the email their platform profile has; IdentityError if none."""
        ...

    def room(self, place: PlaceT_contra) -> RoomKind:
        """DIRECT for a conversation with the asker alone (or CONSOLE), CHANNEL where others can read along."""
        ...

    async def read_files(self, place: PlaceT_contra, attachments: tuple[object, ...]
                         ) -> tuple[tuple[ChatFile, ...], tuple[str, ...]]:
        """A turn's attached files, and one "<name>: <why not>" for each that couldn't be read."""
        ...

    async def reply(self, place: PlaceT_contra, reply: Reply, *, private: bool) -> None:
        """Post an answer where the turn happened; `private` means only the asker may see it.
        Raises DeliveryRefused when the platform won't take it."""
        ...

    async def update(self, place: PlaceT_contra, reply: Reply, *, private: bool) -> None:
        """Replace the message the turn's button was on with this answer (DeliveryRefused as for `reply`)."""
        ...

    async def say(self, place: PlaceT_contra, text: str) -> None:
        """A short note to the asker alone ("busy", an apology); failures are logged, not raised."""
        ...


class DirectMessages(Protocol):
    """A front end's direct messages to hirebot users, for the scheduler's notices and briefings
    (notifier.py calls these; `direct_message` runs on the front end's event loop)."""

    name: str
    label: str

    def reaches(self, recipient: ChatRecipient) -> bool:
        """Whether this front end can DM `recipient` at all (they talked to hirebot on this platform)."""
        ...

    async def direct_message(self, recipient: ChatRecipient, event: Outbound) -> None:
        """Send `event` privately; ChatDeliveryError (retryable or not) when it can't be delivered,
        UnknownOutbound for an event type this front end doesn't draw."""
        ...


@runtime_checkable
class FindsPeople(Protocol):
    """A front end that can find a person by email (Slack: users.lookupByEmail), so hirebot can write to
    attendees who never wrote to it. Optional: a front end without it reaches only people who talked to it."""

    label: str

    def serves(self, recipient: ChatRecipient) -> bool:
        """Whether `recipient`'s workspace is one this front end can look people up in."""
        ...

    async def find_by_email(self, recipient: ChatRecipient, email: str) -> ChatContact | None:
        """The person with this address in `recipient`'s workspace on this platform; None when the platform
        has nobody with it (or doesn't serve that workspace). ChatDeliveryError when it can't be asked now
        (`retryable`) or at all."""
        ...


class FrontEnd(Protocol):
    """A configured chat front end as `hirebot run` (bot/server.py) mounts it on its one web server."""

    name: str

    def describe(self) -> list[str]:
        """Lines for the start-up message: what runs and how the platform reaches it."""
        ...

    def routes(self) -> list[web.RouteDef]:
        """Its HTTP endpoints on the shared aiohttp server (none for a front end that dials out)."""
        ...

    def direct_messages(self) -> DirectMessages:
        """Its direct messages to hirebot users, for the scheduler's notifier bridge."""
        ...

    @property
    def core(self) -> CoreRunner:
        """Where its questions are answered (a ProcessCore must hear when a reply changed a meeting)."""
        ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...
