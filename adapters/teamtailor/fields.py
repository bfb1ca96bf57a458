"""Tolerant readers for Teamtailor's JSON:API values: kebab-case attributes (webhooks also send snake_case),
string ids, ISO 8601 times with offsets, and nulls or odd types anywhere."""

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


def attribute(resource: Mapping[str, Any], name: str) -> Any:
    """An attribute by its kebab-case name, or its snake_case spelling."""
    attributes = as_mapping(resource.get("attributes"))
    if name in attributes:
        return attributes[name]
    return attributes.get(name.replace("-", "_"))


def text_attribute(resource: Mapping[str, Any], name: str) -> str | None:
    return as_text(attribute(resource, name))


def related_id(resource: Mapping[str, Any], name: str) -> str | None:
    """The id of a to-one relationship (`relationships.<name>.data.id`), or None when not given."""
    relationship = as_mapping(as_mapping(resource.get("relationships")).get(name))
    return as_text(as_mapping(relationship.get("data")).get("id"))


def related_ids(resource: Mapping[str, Any], name: str) -> list[str]:
    """The ids of a to-many relationship, in order, each once."""
    data = as_mapping(as_mapping(resource.get("relationships")).get(name)).get("data")
    if not isinstance(data, list):
        return []
    return list(dict.fromkeys(i for i in (as_text(as_mapping(item).get("id")) for item in data) if i))


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time ("2017-02-20T10:30:43.910+01:00", or with Z) as an aware datetime."""
    text = as_text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def to_iso(moment: datetime) -> str:
    """A full UTC ISO 8601 timestamp for date filters."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return list(dict.fromkeys(t for t in (as_text(item) for item in value) if t))
