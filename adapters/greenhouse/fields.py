"""Tolerant readers for Harvest v3 values (nulls, missing keys, odd types), and the id and time forms
Harvest takes back, shared by the mapping, the writes and the webhooks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def first_of(row: dict[str, Any], *keys: str) -> Any:
    """The first of `keys` the row has a value for (v3 renamed several v1/v2 fields)."""
    for key in keys:
        if row.get(key) is not None:
            return row[key]
    return None


def as_id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def as_text(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def as_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def filter_time(moment: datetime) -> str:
    """A moment as Harvest's filters and write bodies take it: UTC, to the second."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def int_id(value: Any, what: str) -> int:
    """Harvest ids are integers; anything else is a caller's mistake, caught before it is sent."""
    text = as_id(value)
    if text is None or not text.isdigit():
        raise ValueError(f"{value!r} is not a Greenhouse {what} id")
    return int(text)
