"""Tolerant readers for Workable's JSON values (nulls for empty strings, missing keys, odd types) and its
ISO 8601 timestamps, shared by the mapping, the writes and the webhooks."""

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


def rows(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON array, skipping anything that is not one."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp ("2015-06-08T00:00:00Z", or the basic "20150708T115616Z") or Unix seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = as_text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """A timestamp as Workable's query parameters take it: ISO 8601 in UTC with a Z."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
