"""The meeting draft a proposal carries: what the core proposed, enough to propose it again with fresh times.

The core writes it into the proposal (its Send button, `Reply.extra["draft"]`); front ends carry it as an
opaque string (a button value, a form's hidden state) and hand it back on Send, possibly edited in the
"Edit details" form. It is JSON with named keys, read back into typed fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.errors import HirebotError

UNREADABLE_DRAFT = "That proposal can't be read any more. Please say \u201cschedule with \u2026\u201d again."


class DraftError(HirebotError):
    """A draft or form state that cannot be read back (tampered with, or from an older version)."""


@dataclass(frozen=True)
class ScheduleDraft:
    """A proposed meeting: the search window (zone-aware), the candidate, and the organizer's choices.

    `intake_id` is what makes the core add someone in no ATS yet to an ATS when they book: it must survive
    every round trip. `target` ("<connection id>:<job remote id or empty>") and `linkedin_url` are changes
    the organizer made in the form; None leaves the core's choice alone, and an empty LinkedIn URL removes it.
    """

    window_start: datetime
    window_end: datetime
    candidate_id: int | None = None
    email: str | None = None
    name: str | None = None
    duration: int | None = None
    location: str | None = None
    title: str | None = None
    attendees: tuple[str, ...] = ()  # email addresses invited beyond the organizer and hiring manager
    intake_id: int | None = None
    target: str | None = None
    linkedin_url: str | None = None

    @classmethod
    def from_json(cls, text: str) -> ScheduleDraft:
        """The draft in `text`; DraftError when it can't be read."""
        try:
            return cls.from_dict(json.loads(text))
        except (ValueError, TypeError, KeyError, AttributeError):
            raise DraftError(UNREADABLE_DRAFT) from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScheduleDraft:
        candidate = data.get("candidate_id")
        return cls(window_start=_aware(data["window_start"]), window_end=_aware(data["window_end"]),
                   candidate_id=int(candidate) if candidate is not None else None,
                   email=_text_or_none(data.get("email")), name=_text_or_none(data.get("name")),
                   duration=int(data["duration"]) if data.get("duration") is not None else None,
                   location=_text_or_none(data.get("location")), title=_text_or_none(data.get("title")),
                   attendees=tuple(str(x) for x in data.get("attendees") or ()),
                   intake_id=int(data["intake_id"]) if data.get("intake_id") is not None else None,
                   target=_text_or_none(data.get("target")),
                   linkedin_url=str(data["linkedin_url"]) if data.get("linkedin_url") is not None else None)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "candidate_id": self.candidate_id, "email": self.email, "name": self.name, "duration": self.duration,
            "window_start": self.window_start.isoformat(), "window_end": self.window_end.isoformat(),
            "location": self.location, "title": self.title, "attendees": list(self.attendees)}
        # Only drafts for someone in no ATS carry these.
        for key, value in (("intake_id", self.intake_id), ("target", self.target),
                           ("linkedin_url", self.linkedin_url)):
            if value is not None:
                data[key] = value
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))


def _aware(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError("draft times carry a zone")
    return moment


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
