"""Tolerant readers for Freshteam's JSON values: ids that are integers or strings, ISO 8601 times, and
nulls, missing keys or odd types anywhere (the reference's field sets come partly from third-party code)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def as_text(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def id_of(value: Any) -> str | None:
    """An id sent as a number, a string, or an object with an `id`."""
    return as_text(value.get("id")) if isinstance(value, dict) else as_text(value)


def name_of(value: Any) -> str | None:
    """A label sent as text or as an object with a `name` (stages, tags and sources come both ways)."""
    return as_text(value.get("name")) if isinstance(value, dict) else as_text(value)


def parse_time(value: Any) -> datetime | None:
    """"2021-03-02T10:11:12.000Z" (or with an offset) as an aware datetime; None when unreadable."""
    text = as_text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
