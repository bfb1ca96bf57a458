"""Each user's scheduling preferences, typed, stored under `User.settings["scheduling"]`.

Time zone, working hours, default meeting length and location, the private calendar (ICS) feed URL, the
hour of the candidate's day-of reminder, the follow-up delays, and how early the user wants their own
pre-meeting briefing (plus an optional morning digest of the day's interviews). The feed URL is a secret (anyone with it
can read the calendar), so it is stored sealed with the app's SecretBox and never shown back in full.
Stored values that no longer validate fall back to the defaults instead of breaking scheduling.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from adapters.errors import ConfigError
from scheduler.availability import WorkingHours
from store.crypto import SecretBox
from store.models import User

SETTINGS_KEY = "scheduling"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_DAYS: Mapping[int, tuple[tuple[time, time], ...]] = {day: ((time(9), time(17)),) for day in range(5)}
MAX_FOLLOWUPS = 4
MAX_BRIEFING_LEAD_MINUTES = 24 * 60

Days = Mapping[int, tuple[tuple[time, time], ...]]


@dataclass(frozen=True)
class SchedulingSettings:
    """One user's preferences; the defaults are what a new user gets."""

    timezone: str = "UTC"
    working_days: Days = field(default_factory=lambda: dict(DEFAULT_DAYS))
    default_duration_minutes: int = 30
    default_location: str | None = None
    ics_feed_url: str | None = field(default=None, repr=False)
    dayof_reminder_hour: int = 8
    followup_delays_days: tuple[float, ...] = (1.0, 3.0)
    briefing_lead_minutes: int = 15
    morning_digest: bool = False
    morning_digest_hour: int = 7
    # Set when a feed URL is stored but cannot be decrypted (the secret key changed): say so, don't fail.
    feed_unreadable: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def hours(self) -> WorkingHours:
        return WorkingHours(timezone=self.timezone, days=self.working_days)

    @property
    def feed_hint(self) -> str | None:
        """Where the feed points, without the secret part: safe to show the user."""
        if not self.ics_feed_url:
            return None
        return f"{urlsplit(self.ics_feed_url).hostname or 'unknown host'} (private link hidden)"

    def validated(self) -> SchedulingSettings:
        """These settings, or a ConfigError saying which value to fix and how."""
        check_timezone(self.timezone)
        _check_days(self.working_days)
        if not 5 <= self.default_duration_minutes <= 480:
            raise ConfigError("Default meeting length must be between 5 and 480 minutes.")
        if not 0 <= self.dayof_reminder_hour <= 23:
            raise ConfigError("The day-of reminder hour must be between 0 and 23.")
        if not 1 <= self.briefing_lead_minutes <= MAX_BRIEFING_LEAD_MINUTES:
            raise ConfigError("The briefing lead time must be between 1 minute and 24 hours (in minutes, e.g. 15).")
        if not 0 <= self.morning_digest_hour <= 23:
            raise ConfigError("The morning digest hour must be between 0 and 23.")
        delays = self.followup_delays_days
        if len(delays) > MAX_FOLLOWUPS or any(d <= 0 or d > 30 for d in delays):
            raise ConfigError(f"Follow-ups: up to {MAX_FOLLOWUPS} delays, each between a few hours and 30 "
                              "days (in days, e.g. 1 and 3).")
        if self.ics_feed_url is not None:
            check_feed_url(self.ics_feed_url)
        return replace(self, followup_delays_days=tuple(sorted(float(d) for d in delays)))


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name!r} is not a time zone I know; use a name like Europe/Berlin or "
                          "America/New_York.") from None
    return name


def check_feed_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http", "webcal") or not parts.hostname:
        raise ConfigError("The calendar feed must be a link starting with https:// (or webcal://), as shown "
                          "by Google Calendar's \"Secret address in iCal format\" or Outlook's ICS link.")
    return url.strip()


def _check_days(days: Days) -> None:
    for day, spans in days.items():
        if day not in range(7):
            raise ConfigError("Working days are numbered 0 (Monday) to 6 (Sunday).")
        for start, end in spans:
            if not start < end:
                raise ConfigError(f"Working hours on {WEEKDAYS[day]}: {start:%H:%M}-{end:%H:%M} ends before "
                                  "it starts.")


# -- reading and writing User.settings ---------------------------------------------------------------------


def read_settings(user: User | None, box: SecretBox) -> SchedulingSettings:
    """The user's settings (defaults for anything unset or damaged); None gives the defaults."""
    if user is None:
        return SchedulingSettings()
    stored = (user.settings or {}).get(SETTINGS_KEY) or {}
    defaults = SchedulingSettings(timezone=_zone_or_utc(user.timezone))
    if not isinstance(stored, dict):
        return defaults
    settings = defaults
    for key, (name, parse) in _FIELDS.items():
        if key in stored:
            try:
                settings = replace(settings, **{name: parse(stored[key])})
            except (ValueError, TypeError, KeyError):
                continue  # a damaged value: keep the default for that one field
    feed, unreadable = _open_feed(stored.get("ics_feed"), box)
    settings = replace(settings, ics_feed_url=feed, feed_unreadable=unreadable)
    try:
        return settings.validated()
    except ConfigError:
        return replace(defaults, ics_feed_url=settings.ics_feed_url)


def load_settings(session: Session, user_id: int | None, box: SecretBox) -> SchedulingSettings:
    return read_settings(session.get(User, user_id) if user_id is not None else None, box)


def save_settings(session: Session, user_id: int, settings: SchedulingSettings, box: SecretBox) -> None:
    """Validate and store; the feed URL is sealed. Runs in the caller's transaction."""
    user = session.get(User, user_id)
    if user is None:
        raise ConfigError("That user no longer exists.")
    settings = settings.validated()
    stored: dict[str, Any] = {
        "timezone": settings.timezone,
        "working_hours": {str(day): [[f"{s:%H:%M}", f"{e:%H:%M}"] for s, e in spans]
                          for day, spans in sorted(settings.working_days.items())},
        "default_duration_minutes": settings.default_duration_minutes,
        "default_location": settings.default_location,
        "dayof_reminder_hour": settings.dayof_reminder_hour,
        "followup_delays_days": list(settings.followup_delays_days),
        "briefing_lead_minutes": settings.briefing_lead_minutes,
        "morning_digest": settings.morning_digest,
        "morning_digest_hour": settings.morning_digest_hour,
    }
    if settings.ics_feed_url:
        stored["ics_feed"] = base64.b64encode(box.seal({"url": settings.ics_feed_url})).decode("ascii")
    user.settings = {**(user.settings or {}), SETTINGS_KEY: stored}


def update_settings(session: Session, user_id: int, box: SecretBox, **changes: Any) -> SchedulingSettings:
    """Change some settings (e.g. `timezone="Europe/Berlin"`, `ics_feed_url=None`) and store the result."""
    current = load_settings(session, user_id, box)
    unknown = set(changes) - {name for name, _ in _FIELDS.values()} - {"ics_feed_url"}
    if unknown:
        raise ConfigError(f"Unknown scheduling setting: {', '.join(sorted(unknown))}.")
    updated = replace(current, **changes, feed_unreadable=False).validated()
    save_settings(session, user_id, updated, box)
    return updated


def _zone_or_utc(name: str | None) -> str:
    try:
        return check_timezone(name) if name else "UTC"
    except ConfigError:
        return "UTC"


def _parse_days(raw: Any) -> Days:
    days: dict[int, tuple[tuple[time, time], ...]] = {}
    for day, spans in dict(raw).items():
        days[int(day)] = tuple((time.fromisoformat(start), time.fromisoformat(end)) for start, end in spans)
    return days


def _strict_bool(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise ValueError("not a boolean")
    return raw


def _optional_text(raw: Any) -> str | None:
    return str(raw) if raw not in (None, "") else None


# stored key → (field, parser of the stored value)
_FIELDS: dict[str, tuple[str, Any]] = {
    "timezone": ("timezone", str),
    "working_hours": ("working_days", _parse_days),
    "default_duration_minutes": ("default_duration_minutes", int),
    "default_location": ("default_location", _optional_text),
    "dayof_reminder_hour": ("dayof_reminder_hour", int),
    "followup_delays_days": ("followup_delays_days", lambda raw: tuple(float(v) for v in raw)),
    "briefing_lead_minutes": ("briefing_lead_minutes", int),
    "morning_digest": ("morning_digest", _strict_bool),
    "morning_digest_hour": ("morning_digest_hour", int),
}


def _open_feed(sealed: Any, box: SecretBox) -> tuple[str | None, bool]:
    if not sealed:
        return None, False
    try:
        url = box.open(base64.b64decode(str(sealed))).get("url")
    except (ConfigError, binascii.Error, ValueError):
        return None, True
    return (str(url), False) if url else (None, False)
