"""Tolerant readers for Zoho Recruit's JSON values (nulls, missing keys, odd types) and its datetimes."""

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


def as_rows(value: Any) -> list[dict[str, Any]]:
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def id_of(value: Any) -> str | None:
    """A lookup's record id: Zoho sends a lookup as {"name", "id"} or, in some places, as the bare id."""
    return as_text(value.get("id")) if isinstance(value, dict) else as_text(value)


def ids_of(value: Any) -> list[str]:
    """Record ids of a lookup that may hold one record or a list of them (multi-user lookups)."""
    items = value if isinstance(value, list) else [value]
    return list(dict.fromkeys(found for found in map(id_of, items) if found))


def parse_time(value: Any) -> datetime | None:
    """Zoho's `2021-02-02T06:38:24+00:00` (a naive one is taken as UTC)."""
    text = as_text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def format_time(moment: datetime) -> str:
    """The form Zoho documents for datetimes and If-Modified-Since: ISO 8601 with an offset, whole seconds."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()
