"""Each user's scheduling preferences, typed, stored under `User.settings["scheduling"]`.

Time zone, working hours, default meeting length and location, the private calendar (ICS) feed URL, the
hour of the candidate's day-of reminder, the follow-up delays, and how early the user wants their own
pre-meeting briefing (plus an optional morning digest of the day's interviews). The feed URL is a secret (anyone with it
can read the calendar), so it is stored sealed with the app's SecretBox and never shown back in full.
Stored values that no longer validate fall back to the defaults instead of breaking scheduling.

The text forms people type (working hours such as "Mon-Fri 9-17:30" or "9am to 5pm weekdays", a time zone
such as "europe/berlin" or "Berlin") are read here too, so the CLI and the chat accept the same things.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy.orm import Session

from adapters.errors import ConfigError
from scheduler.availability import WorkingHours
from store.crypto import SecretBox
from store.models import User, Workspace

SETTINGS_KEY = "scheduling"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_DAYS: Mapping[int, tuple[tuple[time, time], ...]] = {day: ((time(9), time(17)),) for day in range(5)}
MAX_FOLLOWUPS = 4
MAX_BRIEFING_LEAD_MINUTES = 24 * 60
MAX_LOCATION_CHARS = 500

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
    # How soon the first time offered to a candidate may be; None: the workspace's, else 2 hours.
    min_notice_minutes: int | None = None
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
        if self.default_location is not None and len(self.default_location) > MAX_LOCATION_CHARS:
            raise ConfigError(f"The default location can be at most {MAX_LOCATION_CHARS} characters; a room name "
                              "or a video link is plenty.")
        if not 1 <= self.briefing_lead_minutes <= MAX_BRIEFING_LEAD_MINUTES:
            raise ConfigError("Briefings can come between 1 minute and 24 hours (1440 minutes) before a meeting.")
        if not 0 <= self.morning_digest_hour <= 23:
            raise ConfigError("The morning digest hour must be between 0 and 23.")
        if self.min_notice_minutes is not None:
            check_min_notice(self.min_notice_minutes)
        delays = self.followup_delays_days
        if len(delays) > MAX_FOLLOWUPS or any(d <= 0 or d > 30 for d in delays):
            raise ConfigError(f"Follow-ups: up to {MAX_FOLLOWUPS} delays, each between a few hours and 30 "
                              "days (in days, e.g. 1 and 3).")
        if self.ics_feed_url is not None:
            check_feed_url(self.ics_feed_url)
        return replace(self, followup_delays_days=tuple(sorted(float(d) for d in delays)))


MAX_NOTICE_MINUTES = 14 * 24 * 60


def check_min_notice(minutes: int) -> int:
    if not 0 <= minutes <= MAX_NOTICE_MINUTES:
        raise ConfigError("The notice before the first time offered must be between 0 minutes and 14 days.")
    return minutes


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


def require_https_feed(url: str) -> str:
    """A feed link typed in chat: https:// (or webcal://, which is fetched over https) only, since a plain
    http:// link would send the private address unencrypted."""
    url = check_feed_url(url)
    if urlsplit(url).scheme not in ("https", "webcal"):
        raise ConfigError("The calendar feed must start with https:// so its private link is never sent "
                          "unencrypted; copy Google Calendar's \"Secret address in iCal format\" or Outlook's ICS "
                          "link.")
    return url


# -- time zones as people type them ---------------------------------------------------------------------------

_ZONE_ALIASES = {"utc": "UTC", "gmt": "UTC", "z": "UTC", "zulu": "UTC"}
_REGIONS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/",
            "Pacific/")


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


@cache
def _zones_by_city() -> dict[str, tuple[str, ...]]:
    """'new york' → ('America/New_York',): the last part of each regional zone name, as people say it."""
    cities: dict[str, list[str]] = {}
    for name in sorted(available_timezones()):
        if name.startswith(_REGIONS):
            cities.setdefault(name.rsplit("/", 1)[1].replace("_", " ").lower(), []).append(name)
    return {city: tuple(names) for city, names in cities.items()}


def find_timezone(text: str) -> str:
    """The IANA zone meant by `text`: an exact or differently-cased name ("europe/berlin"), UTC/GMT, or a
    city with a zone of its own ("Berlin", "new york"). A ConfigError says how to write one otherwise."""
    typed = " ".join(text.split()).strip(" .,'\"")
    lowered = typed.lower()
    if lowered in _ZONE_ALIASES:
        return _ZONE_ALIASES[lowered]
    exact = _zones_by_lower_name().get(lowered.replace(" ", "_"))
    if exact:
        return exact
    found = _zones_by_city().get(lowered.replace("_", " "), ())
    if len(found) == 1:
        return found[0]
    if found:
        raise ConfigError(f"{typed!r} could be {' or '.join(found)}; please say which.")
    raise ConfigError(f"{typed[:60]!r} is not a time zone I know; use a name like Europe/Berlin or "
                      "America/New_York.")


# -- working hours as people type them ------------------------------------------------------------------------

_DAY_INDEX = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6}
_DAY_NAME = (r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
             r"|sat(?:urday)?|sun(?:day)?)s?")
_TO = r"\s*(?:-|–|—|to|through|thru|till|until)\s*"
_CLOCK_TIME = r"(?:\d{1,2}(?:[:.h]\d{2})?(?:\s*[ap]\.?m\b\.?)?|noon|midday)"
_DAY_GROUPS = {"weekdays": range(5), "week days": range(5), "workdays": range(5), "work days": range(5),
               "business days": range(5), "weekends": (5, 6), "weekend": (5, 6), "every day": range(7),
               "everyday": range(7), "daily": range(7), "all week": range(7)}
_HOURS_TOKEN = re.compile(
    rf"(?P<span>(?P<start>{_CLOCK_TIME})(?:{_TO}|\s+and\s+)(?P<end>{_CLOCK_TIME}))"
    rf"|(?P<range>(?P<first>{_DAY_NAME}){_TO}(?P<last>{_DAY_NAME}))(?![a-z])"
    rf"|(?P<group>{'|'.join(re.escape(g) for g in sorted(_DAY_GROUPS, key=len, reverse=True))})(?![a-z])"
    rf"|(?P<day>{_DAY_NAME})(?![a-z])",
    re.IGNORECASE,
)
# Words that only join the parts: "from 9 to 5 on weekdays", "Mon and Wed, 9-12".
_HOURS_FILLER = re.compile(r"(?:[\s,;&+/]|\b(?:and|from|on|at|between|every|each|only|are|is|my|working|work"
                           r"|hours|hrs|the|of)\b)*", re.IGNORECASE)
_CLOCK_PARTS = re.compile(r"(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>[ap])?", re.IGNORECASE)
HOURS_EXAMPLE = "write e.g. 'Mon-Fri 09:00-17:00', '9am to 5pm weekdays' or 'Mon-Thu 8-16, Fri 8-12'"


def parse_working_hours(text: str) -> Days:
    """Working hours as people write them → weekday (0 = Monday) → time spans.

    Accepts the CLI form ('Mon-Fri 09:00-17:00', 'Mon-Thu 08:00-16:00, Fri 08:00-12:00') and chat forms
    ('9am to 5pm weekdays', 'Mon-Fri 9-17:30', 'Tue and Thu 9-12, 13-17'). Days may come before or after
    their hours; hours with no days at all mean Monday to Friday. '9-5' is 09:00-17:00: an end without
    am/pm that is not after a start up to noon is read as afternoon. Anything unreadable is a ConfigError."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ConfigError(f"Working hours are empty; {HOURS_EXAMPLE}.")
    tokens: list[tuple[str, list[int] | tuple[time, time]]] = []
    position = 0
    for match in _HOURS_TOKEN.finditer(cleaned):
        _reject_leftover(cleaned[position:match.start()])
        position = match.end()
        if match.group("span"):
            tokens.append(("span", _span(match.group("start"), match.group("end"))))
        else:
            tokens.append(("days", _days_of(match)))
    _reject_leftover(cleaned[position:])
    return _group_hours(tokens, cleaned)


def _reject_leftover(between: str) -> None:
    if _HOURS_FILLER.fullmatch(between) is None:
        raise ConfigError(f"I can't read {between.strip()[:60]!r} in the working hours; {HOURS_EXAMPLE}.")


def _days_of(match: re.Match[str]) -> list[int]:
    if match.group("group"):
        return list(_DAY_GROUPS[match.group("group").lower()])
    if match.group("range"):
        first, last = _DAY_INDEX[match.group("first")[:2].lower()], _DAY_INDEX[match.group("last")[:2].lower()]
        if last < first:  # "Sat-Mon" wraps over the week's end
            return [*range(first, 7), *range(0, last + 1)]
        return list(range(first, last + 1))
    return [_DAY_INDEX[match.group("day")[:2].lower()]]


def _span(start_text: str, end_text: str) -> tuple[time, time]:
    (start_hour, start_minute, start_half), (end_hour, end_minute, end_half) = (
        _clock(start_text), _clock(end_text))
    if start_half is None and end_half == "p" and start_hour + 12 < end_hour:
        start_hour += 12  # "1-5pm" is 13:00-17:00
    if end_half is None and start_hour <= 12 and end_hour < 12 and (end_hour, end_minute) <= (start_hour, start_minute):
        end_hour += 12  # "9-5" is 09:00-17:00; "17-9" stays wrong
    try:
        start, end = time(start_hour, start_minute), time(end_hour, end_minute)
    except ValueError:
        raise ConfigError(f"{start_text}-{end_text} is not a time of day I can read; {HOURS_EXAMPLE}.") from None
    if not start < end:
        raise ConfigError(f"Working hours {start:%H:%M}-{end:%H:%M} end before they start; {HOURS_EXAMPLE}.")
    return start, end


def _clock(text: str) -> tuple[int, int, str | None]:
    """(hour, minute, 'a'/'p'/None) of '9', '17:30', '5pm', '9.30 a.m.', 'noon'."""
    if text.lower() in ("noon", "midday"):
        return 12, 0, "p"
    parts = _CLOCK_PARTS.match(text)
    assert parts is not None  # _CLOCK_TIME only matches what this reads
    hour, minute, half = int(parts.group("h")), int(parts.group("m") or 0), (parts.group("ampm") or "").lower()
    if half and not 1 <= hour <= 12:
        raise ConfigError(f"{text!r} is not a time of day; {HOURS_EXAMPLE}.")
    if half:
        hour = hour % 12 + (12 if half == "p" else 0)
    return hour, minute, half or None


def _group_hours(tokens: list[tuple[str, list[int] | tuple[time, time]]], text: str) -> Days:
    """Pair runs of days with runs of hours, in the order the first token sets ('Mon-Fri 9-5' or '9-5 Mon-Fri')."""
    if not any(kind == "span" for kind, _ in tokens):
        raise ConfigError(f"I found no hours in {text[:60]!r}; {HOURS_EXAMPLE}.")
    if not any(kind == "days" for kind, _ in tokens):
        tokens = [("days", list(range(5))), *tokens]
    lead = tokens[0][0]
    groups: list[tuple[list[int], list[tuple[time, time]]]] = []
    previous = None
    for kind, value in tokens:
        if kind == lead and previous != lead:
            groups.append(([], []))
        if kind == "days":
            assert isinstance(value, list)
            groups[-1][0].extend(value)
        else:
            assert isinstance(value, tuple)
            groups[-1][1].append(value)
        previous = kind
    days: dict[int, set[tuple[time, time]]] = {}
    for group_days, spans in groups:
        if not group_days or not spans:
            raise ConfigError(f"I can't tell which hours go with which days in {text[:60]!r}; {HOURS_EXAMPLE}.")
        for day in group_days:
            days.setdefault(day, set()).update(spans)
    return {day: tuple(sorted(spans)) for day, spans in sorted(days.items())}


def describe_working_hours(days: Days) -> str:
    """'Mon-Thu 08:00-16:00, Fri 08:00-12:00': consecutive days with the same hours share one entry."""
    if not days:
        return "none"
    runs: list[tuple[int, int, tuple[tuple[time, time], ...]]] = []
    for day in sorted(days):
        spans = tuple(days[day])
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == spans:
            runs[-1] = (runs[-1][0], day, spans)
        else:
            runs.append((day, day, spans))
    parts = []
    for first, last, spans in runs:
        label = WEEKDAYS[first] if first == last else f"{WEEKDAYS[first]}-{WEEKDAYS[last]}"
        parts.append(f"{label} " + ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in spans))
    return ", ".join(parts)


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
        "min_notice_minutes": settings.min_notice_minutes,
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


# -- the workspace's own scheduling settings (Workspace.settings["scheduling"]) ----------------------------------


def workspace_min_notice(session: Session, workspace_id: int) -> int | None:
    """The workspace's notice before the first offered time, in minutes, when an admin set one."""
    workspace = session.get(Workspace, workspace_id)
    stored = ((workspace.settings or {}).get(SETTINGS_KEY) or {}) if workspace is not None else {}
    raw = stored.get("min_notice_minutes") if isinstance(stored, dict) else None
    try:
        return check_min_notice(int(raw)) if raw is not None else None
    except (ConfigError, TypeError, ValueError):
        return None  # damaged: the built-in default


def set_workspace_min_notice(session: Session, workspace_id: int, minutes: int | None) -> None:
    """Set (or with None, clear) the workspace's notice; runs in the caller's transaction."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise ConfigError("That workspace no longer exists.")
    stored = dict((workspace.settings or {}).get(SETTINGS_KEY) or {})
    stored["min_notice_minutes"] = None if minutes is None else check_min_notice(minutes)
    workspace.settings = {**(workspace.settings or {}), SETTINGS_KEY: stored}


def min_notice_for(session: Session, user_id: int | None, workspace_id: int, box: SecretBox) -> timedelta | None:
    """The notice that applies to this organizer: theirs, else their workspace's, else None (the default)."""
    own = load_settings(session, user_id, box).min_notice_minutes
    minutes = own if own is not None else workspace_min_notice(session, workspace_id)
    return timedelta(minutes=minutes) if minutes is not None else None


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
    "min_notice_minutes": ("min_notice_minutes", lambda raw: None if raw is None else int(raw)),
}


def _open_feed(sealed: Any, box: SecretBox) -> tuple[str | None, bool]:
    if not sealed:
        return None, False
    try:
        url = box.open(base64.b64decode(str(sealed))).get("url")
    except (ConfigError, binascii.Error, ValueError):
        return None, True
    return (str(url), False) if url else (None, False)
