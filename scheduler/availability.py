"""Free slots for a meeting with several internal attendees, so hirebot can offer the candidate times that
work for everyone without anyone checking calendars by hand.

A slot is free when it lies inside every attendee's working hours (wall-clock in each one's own zone, so
a 09:00–17:00 day still starts at 09:00 local across a DST change), clear of everyone's busy time plus a
`buffer` on both sides, at least `min_notice` from now, on a day when no attendee already has
`max_meetings_per_day` meetings, and aligned to `granularity`. Everything is interval arithmetic on
sorted, merged spans of epoch seconds: the cost grows with the number of busy blocks, not with minutes.

Choices worth knowing:
- Tentative events are busy unless `tentative_is_busy=False` (then they neither block nor count).
- A busy block "looks like a meeting" for the per-day cap when it is shorter than 4 hours (all-day
  events and long focus blocks do not count, though they still block time). A day is counted in the
  attendee's own zone; pass busy time covering whole local days of the window so the count is exact.
- Starts are aligned on the wall clock of the first attendee (the organizer): with a 30-minute
  granularity an organizer in Asia/Kathmandu (+05:45) gets :00 and :30 local, not UTC-aligned :15/:45.
- Offered slots are alternatives (only one gets booked), so they do not count against the cap.
- `spread_across_days` chooses `count` of the free starts round-robin over the organizer's days, each
  pick as far as possible in time of day from what that day and the other days already offer, so the
  candidate sees mornings and afternoons on several days, not eight slots on Monday morning.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.errors import ConfigError

MEETING_LIKE_UNDER = timedelta(hours=4)
"""Busy blocks shorter than this count as meetings for the per-day cap."""

DayHours = tuple[tuple[time, time], ...]
NINE_TO_FIVE: DayHours = ((time(9), time(17)),)

Span = tuple[int, int]
"""[start, end) in epoch seconds (UTC)."""


CANDIDATE_DAY: DayHours = ((time(7), time(21)),)
"""When a candidate whose zone is known may be offered a meeting: about 07:00-21:00 their time, any day."""


def every_weekday(hours: DayHours = NINE_TO_FIVE) -> Mapping[int, DayHours]:
    """The same hours Monday to Friday (0=Monday), nothing at the weekend."""
    return MappingProxyType({day: hours for day in range(5)})


@dataclass(frozen=True)
class WorkingHours:
    """When someone takes meetings: per weekday (0=Monday), wall-clock ranges in `timezone`.

    A range whose end is not after its start runs past midnight into the next day: (22:00, 06:00) is a
    night shift and (00:00, 00:00) the whole day."""

    timezone: str = "UTC"
    days: Mapping[int, DayHours] = field(default_factory=every_weekday)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f'"{self.timezone}" is not a time zone name; use one like "Europe/Berlin".'
                              ) from None
        for weekday, ranges in self.days.items():
            if weekday not in range(7):
                raise ConfigError(f"Working hours use weekdays 0 (Monday) to 6 (Sunday), not {weekday}.")
            for start, end in ranges:
                if start.tzinfo is not None or end.tzinfo is not None:
                    raise ConfigError("Working hours are wall-clock times without a zone; set `timezone`.")
        object.__setattr__(self, "days", MappingProxyType({day: tuple(self.days[day]) for day in self.days}))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def spans(self, lo: int, hi: int) -> list[Span]:
        """Working time within [lo, hi) as merged UTC spans, computed day by day in the local zone."""
        zone = self.zone
        day = datetime.fromtimestamp(lo, UTC).astimezone(zone).date() - timedelta(days=1)
        last = datetime.fromtimestamp(hi, UTC).astimezone(zone).date()
        spans: list[Span] = []
        while day <= last:
            for start, end in self.days.get(day.weekday(), ()):
                end_day = day if end > start else day + timedelta(days=1)
                begin, finish = _local_epoch(day, start, zone), _local_epoch(end_day, end, zone)
                if begin < hi and finish > lo:
                    spans.append((max(begin, lo), min(finish, hi)))
            day += timedelta(days=1)
        return merge(spans)


def waking_hours(zone: str, hours: DayHours = CANDIDATE_DAY) -> WorkingHours:
    """Every day's reasonable hours in `zone`: a candidate's day, added to a slot search as one more attendee
    so nobody in Los Angeles is offered 01:00."""
    return WorkingHours(timezone=zone, days={day: hours for day in range(7)})


@dataclass(frozen=True)
class Busy:
    """Time someone cannot meet, in UTC; `label` is for the owner's eyes only (it may be a private title)."""

    start: datetime
    end: datetime
    tentative: bool = False
    label: str | None = None

    def __post_init__(self) -> None:
        _require_aware(self.start, "Busy.start")
        _require_aware(self.end, "Busy.end")


@dataclass(frozen=True)
class AttendeeCalendar:
    email: str
    hours: WorkingHours
    busy: tuple[Busy, ...] = ()


@dataclass(frozen=True)
class SlotRules:
    """The knobs of a slot search, shared by `find_slots`, `free_starts` and `is_free`."""

    now: datetime
    duration: timedelta
    granularity: timedelta = timedelta(minutes=15)
    min_notice: timedelta = timedelta(hours=2)
    buffer: timedelta = timedelta(minutes=15)
    max_meetings_per_day: int = 4
    tentative_is_busy: bool = True

    def __post_init__(self) -> None:
        _require_aware(self.now, "now")
        if self.duration <= timedelta(0):
            raise ValueError("duration must be positive")
        if self.granularity < timedelta(seconds=1) or self.granularity % timedelta(seconds=1):
            raise ValueError("granularity must be a whole number of seconds")
        if self.min_notice < timedelta(0) or self.buffer < timedelta(0):
            raise ValueError("min_notice and buffer cannot be negative")
        if self.max_meetings_per_day < 1:
            raise ValueError("max_meetings_per_day must be at least 1")


# -- public entry points ----------------------------------------------------------------------------------


def find_slots(attendees: Sequence[AttendeeCalendar], *, window_start: datetime, window_end: datetime,
               duration: timedelta, count: int = 8, now: datetime,
               granularity: timedelta = timedelta(minutes=15), min_notice: timedelta = timedelta(hours=2),
               buffer: timedelta = timedelta(minutes=15), max_meetings_per_day: int = 4,
               tentative_is_busy: bool = True) -> list[datetime]:
    """Up to `count` UTC slot starts, sorted, free for every attendee and spread across days."""
    rules = SlotRules(now=now, duration=duration, granularity=granularity, min_notice=min_notice,
                      buffer=buffer, max_meetings_per_day=max_meetings_per_day,
                      tentative_is_busy=tentative_is_busy)
    starts = free_starts(attendees, window_start=window_start, window_end=window_end, rules=rules)
    return spread_across_days(starts, count=count, zone=attendees[0].hours.zone)


def free_starts(attendees: Sequence[AttendeeCalendar], *, window_start: datetime, window_end: datetime,
                rules: SlotRules) -> list[datetime]:
    """Every aligned UTC start in the window at which a meeting of `rules.duration` fits for everyone."""
    if not attendees:
        raise ValueError("a slot search needs at least one attendee")
    duration, step = _seconds(rules.duration), _seconds(rules.granularity)
    organizer_zone = attendees[0].hours.zone
    starts: list[datetime] = []
    for lo, hi in common_free_spans(attendees, window_start=window_start, window_end=window_end, rules=rules):
        start = _aligned(lo, step, organizer_zone)
        while start + duration <= hi:
            starts.append(datetime.fromtimestamp(start, UTC))
            start += step
    return starts


def common_free_spans(attendees: Sequence[AttendeeCalendar], *, window_start: datetime, window_end: datetime,
                      rules: SlotRules) -> list[Span]:
    """The time inside the window (and past the notice period) when every attendee is free, as spans."""
    _require_aware(window_start, "window_start")
    _require_aware(window_end, "window_end")
    lo = max(_floor(window_start), _ceil(rules.now + rules.min_notice))
    hi = _floor(window_end)
    if hi <= lo:
        return []
    free = [(lo, hi)]
    for attendee in attendees:
        free = intersect(free, attendee_free_spans(attendee, lo, hi, rules))
        if not free:
            break
    return free


def attendee_free_spans(attendee: AttendeeCalendar, lo: int, hi: int, rules: SlotRules) -> list[Span]:
    """One attendee's free time within [lo, hi): working hours less buffered busy time and full days."""
    buffer = _seconds(rules.buffer)
    counted = [busy for busy in attendee.busy if rules.tentative_is_busy or not busy.tentative]
    blocked = merge((_floor(busy.start) - buffer, _ceil(busy.end) + buffer) for busy in counted)
    full = full_days(counted, attendee.hours.zone, rules.max_meetings_per_day)
    return subtract(subtract(attendee.hours.spans(lo, hi), blocked), full)


def full_days(busy: Iterable[Busy], zone: ZoneInfo, limit: int) -> list[Span]:
    """Whole local days on which the meeting-like blocks already reach `limit`."""
    meetings = {(block.start, block.end) for block in busy
                if timedelta(0) < block.end - block.start < MEETING_LIKE_UNDER}
    per_day = Counter(start.astimezone(zone).date() for start, _ in meetings)
    return merge((_local_epoch(day, time(0), zone), _local_epoch(day + timedelta(days=1), time(0), zone))
                 for day, meetings_that_day in per_day.items() if meetings_that_day >= limit)


def is_free(attendees: Sequence[AttendeeCalendar], start: datetime, rules: SlotRules) -> bool:
    """Whether a meeting of `rules.duration` at `start` still fits everyone (e.g. when a candidate picks a
    slot offered earlier)."""
    _require_aware(start, "start")
    end = start + rules.duration
    spans = common_free_spans(attendees, window_start=start, window_end=end, rules=rules)
    return spans == [(_floor(start), _floor(end))]


def spread_across_days(starts: Iterable[datetime], *, count: int, zone: ZoneInfo) -> list[datetime]:
    """`count` of `starts`, round-robin over the days (in `zone`), each pick far in time of day from the
    picks already made that day and then from those on other days; returned sorted."""
    by_day: dict[date, list[tuple[int, datetime]]] = defaultdict(list)
    for start in sorted(set(starts)):
        local = start.astimezone(zone)
        by_day[local.date()].append((local.hour * 60 + local.minute, start))
    chosen: list[datetime] = []
    minutes_chosen: list[int] = []
    minutes_by_day: dict[date, list[int]] = defaultdict(list)
    days = sorted(by_day)
    while len(chosen) < count and any(by_day[day] for day in days):
        for day in days:
            options = by_day[day]
            if not options or len(chosen) >= count:
                continue
            same_day = minutes_by_day[day]
            best = max(range(len(options)), key=lambda index: (
                _gap(options[index][0], same_day), _gap(options[index][0], minutes_chosen), -index))
            minute, start = options.pop(best)
            chosen.append(start)
            minutes_chosen.append(minute)
            minutes_by_day[day].append(minute)
    return sorted(chosen)


def _gap(minute: int, others: list[int]) -> int:
    return min((abs(minute - other) for other in others), default=24 * 60)


# -- interval arithmetic on sorted spans ------------------------------------------------------------------


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans covering the same time (touching spans join)."""
    merged: list[Span] = []
    for start, end in sorted(span for span in spans if span[1] > span[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect(first: list[Span], second: list[Span]) -> list[Span]:
    """Time in both, for two merged lists."""
    result: list[Span] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start, end = max(first[i][0], second[j][0]), min(first[i][1], second[j][1])
        if start < end:
            result.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return result


def subtract(base: list[Span], cuts: list[Span]) -> list[Span]:
    """Time in `base` and not in `cuts`, for two merged lists."""
    result: list[Span] = []
    j = 0
    for start, end in base:
        while j < len(cuts) and cuts[j][1] <= start:
            j += 1
        cursor, k = start, j
        while k < len(cuts) and cuts[k][0] < end:
            if cuts[k][0] > cursor:
                result.append((cursor, cuts[k][0]))
            cursor = max(cursor, cuts[k][1])
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


# -- time helpers -----------------------------------------------------------------------------------------


def _local_epoch(day: date, clock: time, zone: ZoneInfo) -> int:
    # fold=0: a wall time skipped by a DST jump lands just after the jump, a repeated one on its first pass.
    return int(datetime.combine(day, clock, tzinfo=zone).timestamp())


def _aligned(instant: int, step: int, zone: ZoneInfo) -> int:
    """The first start at or after `instant` on the `step` grid of the zone's wall clock."""
    offset = datetime.fromtimestamp(instant, UTC).astimezone(zone).utcoffset()
    shift = int(offset.total_seconds()) if offset is not None else 0
    return instant + (-(instant + shift)) % step


def _floor(moment: datetime) -> int:
    return math.floor(moment.timestamp())


def _ceil(moment: datetime) -> int:
    return math.ceil(moment.timestamp())


def _seconds(delta: timedelta) -> int:
    return math.ceil(delta.total_seconds())


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
