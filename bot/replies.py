"""Platform-neutral replies: what a handler returns and every renderer (terminal, Block Kit, Adaptive Cards) draws.

Text fields hold plain text exactly as the ATS gave it; escaping is the renderer's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.plain_text import reply_text


class MatchStatus(StrEnum):
    MATCH = "match"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True)
class SourceRef:
    """Where a candidate record comes from, with its deep link and freshness."""

    provider: str
    provider_label: str
    remote_id: str
    url: str | None
    connection_id: int
    synced_at: datetime | None = None


@dataclass(frozen=True)
class CandidateSummary:
    """The short form of a candidate used in choices and in `hirebot ask --json`."""

    id: str
    name: str
    emails: tuple[str, ...] = ()
    sources: tuple[SourceRef, ...] = ()
    headline: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "emails": list(self.emails),
            "sources": [{"provider": s.provider, "remote_id": s.remote_id, "url": s.url} for s in self.sources],
        }


@dataclass(frozen=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Action:
    """A button: either opens `url`, or sends `command` (e.g. "schedule") about `value` back to the core."""

    label: str
    command: str | None = None
    value: str | None = None
    url: str | None = None
    primary: bool = False


@dataclass(frozen=True)
class Card:
    title: str
    subtitle: str | None = None
    fields: tuple[Field, ...] = ()
    links: tuple[Link, ...] = ()
    actions: tuple[Action, ...] = ()
    context: tuple[str, ...] = ()
    kind: str = "candidate"
    subject_id: str | None = None


@dataclass(frozen=True)
class Choice:
    """One option when the core needs the user to pick (e.g. between two close candidates)."""

    label: str
    value: str
    description: str | None = None
    command: str = "who_is"


@dataclass(frozen=True)
class Reply:
    text: str
    intent: str
    status: MatchStatus | None = None
    cards: tuple[Card, ...] = ()
    choices: tuple[Choice, ...] = ()
    candidates: tuple[CandidateSummary, ...] = ()
    private: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The answer for `hirebot ask --json` (docs/cli.md): `text` is the whole reply as plain text."""
        return {
            "intent": self.intent,
            "status": self.status.value if self.status else None,
            "candidates": [c.to_json() for c in self.candidates],
            "text": reply_text(self),
        }
