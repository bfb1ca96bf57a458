"""Read an attendee's private iCalendar feed into busy time, so offered slots avoid meetings hirebot does
not hold itself.

Google Calendar ("Secret address in iCal format") and Outlook ("Publish calendar", ICS link) both publish
one such URL per calendar; the user pastes it once. The URL is a secret (anyone holding it reads the whole
calendar), so no error, log line or message here ever contains it.

How events become busy time (`parse_busy`, `busy_in_calendar`):
- Recurrences are expanded by `recurring_ical_events`: RRULE, RDATE, EXDATE, and RECURRENCE-ID overrides
  (a moved instance is busy at its new time only). Google's X-WR-TIMEZONE is honoured the same way.
- Zones: IANA and Windows TZIDs and VTIMEZONE definitions are read by `icalendar`. A floating time (no
  zone) or an unknown TZID is read in the attendee's zone when the caller knows it (`tz`), else in UTC.
- All-day events (DATE values) are busy for the whole local day(s), in the same zone, unless transparent.
- Skipped: TRANSP:TRANSPARENT (Google marks most all-day events so), STATUS:CANCELLED, Outlook's
  X-MICROSOFT-CDO-BUSYSTATUS FREE or WORKINGELSEWHERE, events the owner declined (when `owner_email` is
  given), and events of zero length.
- Tentative (`Busy.tentative`): STATUS:TENTATIVE, Outlook's BUSYSTATUS TENTATIVE, and invitations the owner
  accepted tentatively or has not answered. The slot search counts them busy unless told otherwise.
- A series whose rule cannot be expanded is skipped rather than failing the whole feed.
- Before parsing, one-off events days away from the searched range are dropped (`events_near`): a feed
  carries years of history, and parsing costs about a millisecond per event.

`FeedCache` fetches each feed at most once per TTL (default 5 minutes; the clock is injectable) through
the caller's `httpx.AsyncClient`, turns `webcal://` into `https://`, and raises FeedError with a short
reason the caller can show ("continuing without Ana's calendar: ...") for HTTP errors, timeouts,
oversized or invalid feeds. The caller decides whether to go on without that feed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import httpx
import icalendar
import recurring_ical_events

from adapters.errors import HirebotError
from scheduler.availability import Busy
from store.models import utcnow

DEFAULT_TTL = timedelta(minutes=5)
MAX_FEED_BYTES = 20 * 1024 * 1024
"""A calendar with years of history is a few MB; anything far larger is not a calendar feed."""
MAX_LABEL_CHARS = 200
_FREE_BUSY_STATUSES = frozenset({"FREE", "WORKINGELSEWHERE"})
_TENTATIVE_ANSWERS = frozenset({"TENTATIVE", "NEEDS-ACTION"})


class FeedError(HirebotError):
    """A calendar feed could not be used. The message is safe to show (it never holds the URL); `reason` is
    a short code (bad_url, timeout, unreachable, refused, gone, server, http, too_large, invalid) and
    `retryable` says whether trying again later may help."""

    def __init__(self, message: str, *, reason: str, retryable: bool) -> None:
        super().__init__(message)
        self.reason = reason
        self.retryable = retryable


# -- reading a feed ---------------------------------------------------------------------------------------


def parse_busy(ics: bytes, *, start: datetime, end: datetime, tz: ZoneInfo | str | None = None,
               owner_email: str | None = None) -> list[Busy]:
    """Busy time overlapping [start, end) in an iCalendar document, sorted (see the module docstring).
    Blocks are not clipped to the range, so a long event keeps its true length. Raises FeedError when
    the document is not iCalendar."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    calendar = read_calendar(events_near(ics, start=start, end=end))
    return busy_in_calendar(calendar, start=start, end=end, tz=tz, owner_email=owner_email)


def read_calendar(ics: bytes) -> icalendar.Calendar:
    """The parsed VCALENDAR, or FeedError("not a valid iCalendar file")."""
    try:
        calendar = icalendar.Calendar.from_ical(ics)
    except Exception:  # the parser raises many types on hostile input; all mean "not a calendar"
        raise _invalid() from None
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise _invalid()
    return calendar


def events_near(ics: bytes, *, start: datetime, end: datetime) -> bytes:
    """The document without the one-off events that lie days away from [start, end).

    A feed holds years of history, and parsing is the slow part (about a millisecond per event), so
    one-off VEVENTs whose dates end two days or more before `start` or begin two days or more after `end`
    are dropped before parsing; two days cover every zone offset and floating time. Anything that
    recurs or overrides a recurrence, anything whose dates cannot be read at a glance (a folded line, an
    odd value), and all other components are kept verbatim."""
    first_day = (start.astimezone(UTC) - _MARGIN).date()
    last_day = (end.astimezone(UTC) + _MARGIN).date()
    pieces: list[bytes] = []
    position = 0
    for event in _VEVENT.finditer(ics):
        pieces.append(ics[position:event.start()])
        if _may_matter(event.group(), first_day, last_day):
            pieces.append(event.group())
        position = event.end()
    pieces.append(ics[position:])
    return b"".join(pieces)


_MARGIN = timedelta(days=2)
_VEVENT = re.compile(rb"^BEGIN:VEVENT\r?\n.*?^END:VEVENT\r?(?:\n|\Z)",
                     re.MULTILINE | re.DOTALL | re.IGNORECASE)
_RECURS = re.compile(rb"^(?:RRULE|RDATE|EXRULE|EXDATE|RECURRENCE-ID)[;:]", re.MULTILINE | re.IGNORECASE)
_DTSTART = re.compile(rb"^DTSTART(?:;[^\r\n]*)?:(\d{8})(?:T\d{6}Z?)?\r?$", re.MULTILINE | re.IGNORECASE)
_DTEND = re.compile(rb"^DTEND(?:;[^\r\n]*)?:(\d{8})(?:T\d{6}Z?)?\r?$", re.MULTILINE | re.IGNORECASE)
_DTEND_OR_DURATION = re.compile(rb"^(?:DTEND|DURATION)[;:]", re.MULTILINE | re.IGNORECASE)


def _may_matter(event: bytes, first_day: date, last_day: date) -> bool:
    if _RECURS.search(event):
        return True
    start_day = _leading_date(_DTSTART.search(event))
    if start_day is None:
        return True
    if start_day > last_day:
        return False
    end_match = _DTEND.search(event)
    if end_match is not None:
        end_day = _leading_date(end_match)
        return end_day is None or end_day >= first_day
    # A DURATION may be long, and an unreadable DTEND is unknown: keep both. Without either, an event
    # lasts its start day at most.
    return _DTEND_OR_DURATION.search(event) is not None or start_day >= first_day


def _leading_date(match: re.Match[bytes] | None) -> date | None:
    if match is None:
        return None
    digits = match.group(1)
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def busy_in_calendar(calendar: icalendar.Calendar, *, start: datetime, end: datetime,
                     tz: ZoneInfo | str | None = None, owner_email: str | None = None) -> list[Busy]:
    """Busy time overlapping [start, end) in an already parsed calendar, sorted by start."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    zone = ZoneInfo(tz) if isinstance(tz, str) else (tz or ZoneInfo("UTC"))
    owner = _address(owner_email) if owner_email else None
    # Query a day wider in the attendee's zone: floating and all-day events are compared in wall time.
    query_start = start.astimezone(zone) - timedelta(days=1)
    query_end = end.astimezone(zone) + timedelta(days=1)
    try:
        occurrences = recurring_ical_events.of(calendar, skip_bad_series=True).between(query_start, query_end)
    except Exception:  # a malformed component the library could not skip
        raise _invalid() from None
    found: set[Busy] = set()
    for event in occurrences:
        busy = _busy(event, zone, owner)
        if busy is not None and busy.start < end and busy.end > start:
            found.add(busy)
    return sorted(found, key=lambda busy: (busy.start, busy.end, busy.tentative, busy.label or ""))


def _busy(event: icalendar.cal.Component, zone: ZoneInfo, owner: str | None) -> Busy | None:
    if _text(event, "TRANSP") == "TRANSPARENT" or _text(event, "STATUS") == "CANCELLED":
        return None
    if _text(event, "X-MICROSOFT-CDO-BUSYSTATUS") in _FREE_BUSY_STATUSES:
        return None
    answer = _owner_answer(event, owner) if owner else None
    if answer == "DECLINED":
        return None
    start_prop, end_prop = event.get("DTSTART"), event.get("DTEND")
    if start_prop is None:
        return None
    start = _instant(start_prop.dt, zone)
    end = _instant(end_prop.dt, zone) if end_prop is not None else start
    if end <= start:
        return None
    tentative = (_text(event, "STATUS") == "TENTATIVE" or answer in _TENTATIVE_ANSWERS
                 or _text(event, "X-MICROSOFT-CDO-BUSYSTATUS") == "TENTATIVE")
    summary = str(event.get("SUMMARY") or "").strip()
    return Busy(start=start, end=end, tentative=tentative, label=summary[:MAX_LABEL_CHARS] or None)


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    """UTC for a DTSTART/DTEND value: dates are local midnights, floating times local wall times."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _owner_answer(event: icalendar.cal.Component, owner: str) -> str | None:
    """The owner's PARTSTAT on this event, or None when they organize it or are not listed."""
    if _address(str(event.get("ORGANIZER") or "")) == owner:
        return None
    attendees = event.get("ATTENDEE")
    for attendee in attendees if isinstance(attendees, list) else [attendees] if attendees else []:
        if _address(str(attendee)) == owner:
            return str(attendee.params.get("PARTSTAT", "NEEDS-ACTION")).upper()
    return None


def _address(value: str) -> str:
    value = value.strip().lower()
    return value[len("mailto:"):] if value.startswith("mailto:") else value


def _text(event: icalendar.cal.Component, name: str) -> str:
    return str(event.get(name) or "").strip().upper()


def _invalid() -> FeedError:
    return FeedError("The calendar feed is not a valid iCalendar file; check that the link is the "
                     "calendar's ICS address.", reason="invalid", retryable=False)


# -- fetching with a short-lived cache --------------------------------------------------------------------


def feed_http_url(url: str) -> str:
    """The URL to fetch: `webcal://` and `webcals://` become `https://`; only web links are accepted."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in ("webcal", "webcals"):
        scheme = "https"
    if scheme not in ("http", "https") or not parts.hostname:
        raise FeedError("The calendar feed must be a web link (https:// or webcal://).", reason="bad_url",
                        retryable=False)
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))


@dataclass(frozen=True)
class _Entry:
    fetched_at: datetime
    body: bytes


class FeedCache:
    """Feeds keyed by URL, each fetched again only after `ttl` (by `clock`). Failures are not cached, so
    the next search tries again. The raw feed is kept and read per search, because `events_near` makes
    reading only the searched weeks cheaper than keeping years of parsed history."""

    def __init__(self, *, ttl: timedelta = DEFAULT_TTL, clock: Callable[[], datetime] = utcnow,
                 timeout: float = 15.0, max_bytes: int = MAX_FEED_BYTES, max_entries: int = 1000) -> None:
        self.ttl = ttl
        self.clock = clock
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def busy(self, url: str, client: httpx.AsyncClient, *, start: datetime, end: datetime,
                   tz: ZoneInfo | str | None = None, owner_email: str | None = None) -> list[Busy]:
        """Busy time from the feed at `url` overlapping [start, end); raises FeedError (never naming the
        URL) when the feed cannot be fetched or read."""
        body = await self.feed(url, client)
        return await asyncio.to_thread(parse_busy, body, start=start, end=end, tz=tz, owner_email=owner_email)

    async def feed(self, url: str, client: httpx.AsyncClient) -> bytes:
        """The feed's iCalendar text, from the cache while fresh, else fetched (one fetch at a time per
        URL)."""
        key = feed_http_url(url)
        fresh = self._fresh(key)
        if fresh is not None:
            return fresh
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            fresh = self._fresh(key)  # another caller may have fetched it while we waited
            if fresh is not None:
                return fresh
            body = await self._download(key, client)
            if not _looks_like_icalendar(body):
                raise _invalid()
            self._store(key, body)
            return body

    def forget(self, url: str) -> None:
        """Drop a feed (say, after the user pasted a new link)."""
        self._entries.pop(feed_http_url(url), None)

    def _fresh(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        age = self.clock() - entry.fetched_at
        return entry.body if timedelta(0) <= age < self.ttl else None

    def _store(self, key: str, body: bytes) -> None:
        self._entries[key] = _Entry(self.clock(), body)
        if len(self._entries) > self.max_entries:
            oldest = min(self._entries, key=lambda name: self._entries[name].fetched_at)
            del self._entries[oldest]
            self._locks.pop(oldest, None)

    async def _download(self, url: str, client: httpx.AsyncClient) -> bytes:
        try:
            async with client.stream("GET", url, headers={"Accept": "text/calendar, */*;q=0.5"},
                                     follow_redirects=True, timeout=self.timeout) as response:
                if response.status_code != 200:
                    raise _status_error(response.status_code)
                return await self._read_body(response)
        except httpx.TimeoutException:
            raise FeedError("The calendar server did not answer in time; try again in a few minutes.",
                            reason="timeout", retryable=True) from None
        except (httpx.HTTPError, httpx.InvalidURL):
            raise FeedError("Couldn't reach the calendar server; check the feed link or try again later.",
                            reason="unreachable", retryable=True) from None

    async def _read_body(self, response: httpx.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise FeedError(f"The calendar feed is larger than {self.max_bytes // (1024 * 1024)} MB, too "
                                "big to read.", reason="too_large", retryable=False)
            chunks.append(chunk)
        return b"".join(chunks)


def _looks_like_icalendar(body: bytes) -> bool:
    """A cheap check before caching: login pages and error documents are not kept for a whole TTL."""
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper() == b"BEGIN:VCALENDAR"


def _status_error(status: int) -> FeedError:
    if status in (401, 403):
        return FeedError(f"The calendar server refused the feed link (HTTP {status}); it may have been "
                         "reset. Paste the current private link.", reason="refused", retryable=False)
    if status in (404, 410):
        return FeedError(f"The calendar feed link no longer works (HTTP {status}); paste the current private "
                         "link.", reason="gone", retryable=False)
    if status == 429 or status >= 500:
        return FeedError(f"The calendar server is busy or failing (HTTP {status}); try again in a few "
                         "minutes.", reason="server", retryable=True)
    return FeedError(f"The calendar server answered HTTP {status} instead of the calendar.", reason="http",
                     retryable=False)
