"""Tolerant readers for Recruitee's JSON values (nulls, missing keys, odd types) and its ISO 8601 times,
shared by the mapping, the writes and the webhooks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def as_text(value: Any) -> str | None:
    """A non-empty string, or an integer id as text; anything else is None."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def as_rows(value: Any) -> list[dict[str, Any]]:
    """The objects of a list (anything else in it is skipped)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def strings(value: Any) -> list[str]:
    """The distinct non-empty strings of a list, in order."""
    if not isinstance(value, list):
        return []
    return list(dict.fromkeys(text for text in (as_text(item) for item in value) if text))


def parse_time(value: Any) -> datetime | None:
    """Recruitee's `2023-01-15T16:56:58.161904Z` (any ISO 8601 form) as an aware datetime, else None."""
    text = as_text(value)
    if text is None or text.isdigit():
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def unix_seconds(moment: datetime) -> int:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return int(moment.timestamp())
