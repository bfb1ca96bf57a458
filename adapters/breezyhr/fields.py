"""Lenient readers for BreezyHR payload values: the API leaves many fields out or null, and a few change
shape between list items and details (tags as strings or objects, social profiles as a map or a list)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def as_text(value: Any) -> str | None:
    """A non-empty, stripped string, else None (numbers are accepted as ids)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        text = value.strip()
        return text or None
    return None


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_time(value: Any) -> datetime | None:
    """An ISO 8601 date as BreezyHR sends it (`2024-05-01T10:00:00.000Z`), always timezone-aware."""
    text = as_text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def id_of(value: Any) -> str | None:
    """An id given bare or as an object's `_id` / `id`."""
    if isinstance(value, Mapping):
        return as_text(value.get("_id")) or as_text(value.get("id"))
    return as_text(value)


def names(value: Any) -> tuple[str, ...]:
    """Tag-like values given as strings or as objects with a `name`."""
    found = (as_text(item.get("name")) if isinstance(item, Mapping) else as_text(item) for item in as_list(value))
    return tuple(dict.fromkeys(text for text in found if text))
