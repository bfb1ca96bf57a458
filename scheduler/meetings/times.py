"""Meeting times as people read them ("Tue 8 Dec, 10:00–10:30 (Europe/Berlin)") and as the store keeps them
(UTC ISO strings)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def format_time(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M} ({zone})"


def format_slot(start: datetime, end: datetime | None, zone: str) -> str:
    local = start.astimezone(ZoneInfo(zone))
    until = f"–{end.astimezone(ZoneInfo(zone)):%H:%M}" if end is not None else ""
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}{until} ({zone})"


def format_duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes or not parts:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts[:2])


def zone_name_or_none(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ValueError, KeyError):
        return None
    return name


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


__all__ = ["format_duration", "format_slot", "format_time", "iso", "parse_iso", "utc", "zone_name_or_none"]
