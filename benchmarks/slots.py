"""Benchmark for slot search: `parse_busy` + `find_slots` against a naive minute-by-minute baseline.

Five attendees in five zones, each with a private feed of 500 VEVENTs (recurring series with EXDATEs
and moved or cancelled instances, one-off meetings over a year, all-day, tentative, cancelled and
transparent events), and a two-week search window that crosses Berlin's switch to summer time. The
feeds are generated here as iCalendar text, so parsing is measured on realistic input.

The baseline walks every minute of the window and, for each attendee, checks working hours on the
local wall clock and every busy interval (plus buffer), then tries every aligned start. Both must find
exactly the same free starts and offer the same slots; the run fails loudly if they do not.

    .venv/bin/python -m benchmarks.slots       # 50 runs with parsing, 1000 of find_slots, 5 of the baseline
    .venv/bin/python -m benchmarks.slots --runs 200 --search-runs 5000 --baseline-runs 20
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time as clock
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from scheduler.availability import (
    MEETING_LIKE_UNDER,
    AttendeeCalendar,
    Busy,
    SlotRules,
    WorkingHours,
    every_weekday,
    find_slots,
    free_starts,
    spread_across_days,
)
from scheduler.ics_feed import parse_busy

WINDOW_START = datetime(2026, 3, 23, tzinfo=UTC)  # Monday; Berlin switches to summer time on the 29th
WINDOW_END = datetime(2026, 4, 4, tzinfo=UTC)
NOW = datetime(2026, 3, 20, 16, 0, tzinfo=UTC)
EVENTS_PER_FEED = 500
Result = TypeVar("Result")


@dataclass(frozen=True)
class Person:
    email: str
    zone: str
    hours: tuple[time, time]


PEOPLE = (
    Person("ana@example.com", "Europe/Berlin", (time(9), time(17))),
    Person("ben@example.com", "Europe/London", (time(8, 30), time(17, 30))),
    Person("chloe@example.com", "Europe/Madrid", (time(9), time(18))),
    Person("dev@example.com", "America/New_York", (time(7), time(17))),
    Person("emma@example.com", "Europe/Lisbon", (time(9), time(18))),
)


# -- generated feeds --------------------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


class FeedWriter:
    """Writes one attendee's feed as a calendar application would: series in the attendee's zone (IANA
    TZIDs), one-offs in UTC, CRLF lines."""

    def __init__(self, person: Person, rng: random.Random) -> None:
        self.person = person
        self.zone = ZoneInfo(person.zone)
        self.rng = rng
        self.events: list[str] = []

    def local(self, day: date, at: time) -> str:
        return f";TZID={self.person.zone}:{_stamp(datetime.combine(day, at))}"

    def add(self, uid: str, lines: Sequence[str]) -> None:
        self.events.append("\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260301T120000Z", *lines,
                                        "END:VEVENT"]))

    def series(self, number: int, first: date, at: time, minutes: int, rule: str, title: str) -> None:
        end = (datetime.combine(first, at) + timedelta(minutes=minutes)).time()
        uid = f"series-{number}-{self.person.email}"
        skipped = [first + timedelta(weeks=self.rng.randrange(1, 50)) for _ in range(3)]
        exdates = ",".join(_stamp(datetime.combine(day, at)) for day in skipped if _recurs_on(rule, day))
        lines = [f"DTSTART{self.local(first, at)}", f"DTEND{self.local(first, end)}", f"RRULE:{rule}",
                 f"SUMMARY:{title}", "TRANSP:OPAQUE"]
        if exdates:
            lines.append(f"EXDATE;TZID={self.person.zone}:{exdates}")
        self.add(uid, lines)

    def override(self, number: int, original: datetime, moved_to: datetime | None, minutes: int) -> None:
        """Move one instance of a series (or cancel it when `moved_to` is None)."""
        uid = f"series-{number}-{self.person.email}"
        lines = [f"RECURRENCE-ID;TZID={self.person.zone}:{_stamp(original)}"]
        target = moved_to or original
        lines += [f"DTSTART;TZID={self.person.zone}:{_stamp(target)}",
                  f"DTEND;TZID={self.person.zone}:{_stamp(target + timedelta(minutes=minutes))}",
                  "SUMMARY:Moved" if moved_to else "SUMMARY:Cancelled instance"]
        if moved_to is None:
            lines.append("STATUS:CANCELLED")
        self.add(uid, lines)

    def single(self, number: int, start: datetime, minutes: int, kind: str) -> None:
        end = start + timedelta(minutes=minutes)
        lines = [f"DTSTART:{_stamp(start.astimezone(UTC))}Z", f"DTEND:{_stamp(end.astimezone(UTC))}Z",
                 f"SUMMARY:{kind.capitalize()} meeting {number}"]
        lines.append({"tentative": "STATUS:TENTATIVE", "cancelled": "STATUS:CANCELLED",
                      "free": "TRANSP:TRANSPARENT"}.get(kind, "STATUS:CONFIRMED"))
        self.add(f"single-{number}-{self.person.email}", lines)

    def all_day(self, number: int, day: date, days: int, transparent: bool) -> None:
        self.add(f"allday-{number}-{self.person.email}", [
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DTEND;VALUE=DATE:{day + timedelta(days=days):%Y%m%d}",
            "SUMMARY:Holiday" if transparent else "SUMMARY:Out of office",
            "TRANSP:TRANSPARENT" if transparent else "TRANSP:OPAQUE"])

    def text(self) -> bytes:
        head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//hirebot benchmark//EN", "CALSCALE:GREGORIAN",
                "METHOD:PUBLISH", f"X-WR-CALNAME:{self.person.email}"]
        return ("\r\n".join([*head, *self.events, "END:VCALENDAR"]) + "\r\n").encode()


def _recurs_on(rule: str, day: date) -> bool:
    names = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
    return "BYDAY=" not in rule or names[day.weekday()] in rule.split("BYDAY=")[1].split(";")[0]


def make_feed(person: Person, seed: int) -> bytes:
    rng = random.Random(seed)
    writer = FeedWriter(person, rng)
    series = [  # (first occurrence, rule, time, minutes, title); history from June 2025
        (date(2025, 6, 2), "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", person.hours[0], 15, "Standup"),
        (date(2025, 6, 2), "FREQ=WEEKLY;BYDAY=MO", time(11), 30, "1:1 with manager"),
        (date(2025, 6, 4), "FREQ=WEEKLY;BYDAY=WE", time(14), 30, "1:1 with report"),
        (date(2025, 6, 5), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", time(10), 60, "Team planning"),
        (date(2025, 6, 6), "FREQ=MONTHLY;BYDAY=1FR", time(15), 60, "All hands"),
        (date(2025, 6, 3), "FREQ=WEEKLY;BYDAY=TU;UNTIL=20260501T000000Z", time(13), 45, "Hiring sync"),
        (date(2025, 9, 5), "FREQ=WEEKLY;BYDAY=FR;COUNT=40", time(16), 30, "Demo"),
        (date(2025, 6, 4), "FREQ=DAILY;INTERVAL=7;COUNT=60", time(12), 30, "Lunch and learn"),
    ]
    for number, (first, rule, at, minutes, title) in enumerate(series):
        writer.series(number, first, at, minutes, rule, title)
    # Moved and cancelled instances of the two 1:1 series: two in the window, the rest in the past.
    in_window = datetime.combine(date(2026, 3, 23), time(11))
    writer.override(1, in_window, in_window + timedelta(days=1, hours=3), 30)
    writer.override(1, in_window + timedelta(weeks=1), None, 30)
    for index in range(10):
        original = datetime.combine(date(2025, 6, 4) + timedelta(weeks=3 * index + 1), time(14))
        moved = original + timedelta(days=1, hours=rng.choice((-4, -3, 2))) if index % 2 else None
        writer.override(2, original, moved, 30)
    for index in range(8):
        day = date(2025, 7, 1) + timedelta(days=rng.randrange(0, 330))
        writer.all_day(index, day, rng.choice((1, 1, 2, 5)), transparent=index % 2 == 0)
    writer.all_day(99, WINDOW_START.date() + timedelta(days=rng.randrange(0, 12)), 1, transparent=True)
    _one_offs(writer, rng, EVENTS_PER_FEED - len(writer.events))
    return writer.text()


def _one_offs(writer: FeedWriter, rng: random.Random, count: int) -> None:
    """Meetings over the past year and the next months, with two weeks of dense calendar in the window."""
    window_days = [WINDOW_START.date() + timedelta(days=offset) for offset in range(12)]
    window_days = [day for day in window_days if day.weekday() < 5]
    for number in range(count):
        in_window = number % 30 == 0  # one in 30 one-offs falls in the two-week window: ~1.5 a day
        day = (rng.choice(window_days) if in_window
               else date(2025, 4, 1) + timedelta(days=rng.randrange(0, 450)))
        if day.weekday() > 4:
            day -= timedelta(days=day.weekday() - 4)
        opening, closing = writer.person.hours
        slots = (closing.hour - opening.hour) * 4 - 2
        at = datetime.combine(day, opening, tzinfo=writer.zone) + timedelta(minutes=15 * rng.randrange(slots))
        kind = rng.choices(("busy", "tentative", "cancelled", "free"), weights=(80, 10, 5, 5))[0]
        writer.single(number, at, rng.choice((30, 30, 45, 60, 60, 90)), kind)


# -- the naive baseline -----------------------------------------------------------------------------------


def naive_free_starts(attendees: Sequence[AttendeeCalendar], *, window_start: datetime, window_end: datetime,
                      rules: SlotRules) -> list[datetime]:
    """Every aligned start, found by walking minutes: for each minute and attendee, the local wall clock
    against working hours and every busy interval against the minute. Whole-minute inputs only."""
    minute = timedelta(minutes=1)
    lo = max(window_start, rules.now + rules.min_notice)
    lo = datetime.fromtimestamp(math.ceil(lo.timestamp() / 60) * 60, UTC)
    minutes: list[datetime] = []
    moment = lo
    while moment < window_end:
        minutes.append(moment)
        moment += minute
    people = [(attendee, _full_days(attendee, rules)) for attendee in attendees]
    free = [all(_minute_free(attendee, full, moment, rules) for attendee, full in people)
            for moment in minutes]
    organizer = attendees[0].hours.zone
    duration = int(rules.duration / minute)
    step = int(rules.granularity.total_seconds())
    starts = []
    for index, moment in enumerate(minutes):
        offset = moment.astimezone(organizer).utcoffset() or timedelta(0)
        aligned = (int(moment.timestamp()) + int(offset.total_seconds())) % step == 0
        if aligned and index + duration <= len(minutes) and all(free[index:index + duration]):
            starts.append(moment)
    return starts


def _minute_free(attendee: AttendeeCalendar, full_days: set[date], moment: datetime,
                 rules: SlotRules) -> bool:
    local = moment.astimezone(attendee.hours.zone)
    if not _working(attendee.hours, local):
        return False
    if local.date() in full_days:
        return False
    for busy in attendee.busy:
        if busy.tentative and not rules.tentative_is_busy:
            continue
        if busy.start - rules.buffer <= moment < busy.end + rules.buffer:
            return False
    return True


def _working(hours: WorkingHours, local: datetime) -> bool:
    wall = local.time()
    yesterday = (local.weekday() - 1) % 7
    for start, end in hours.days.get(local.weekday(), ()):
        if start <= wall and (wall < end or end <= start):
            return True
    return any(end <= start and wall < end for start, end in hours.days.get(yesterday, ()))


def _full_days(attendee: AttendeeCalendar, rules: SlotRules) -> set[date]:
    """Local days on which the attendee's meeting-like blocks reach the cap."""
    meetings = {(b.start, b.end) for b in attendee.busy if (rules.tentative_is_busy or not b.tentative)
                and timedelta(0) < b.end - b.start < MEETING_LIKE_UNDER}
    per_day = Counter(start.astimezone(attendee.hours.zone).date() for start, _ in meetings)
    return {day for day, count in per_day.items() if count >= rules.max_meetings_per_day}


# -- running ----------------------------------------------------------------------------------------------


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass(frozen=True)
class Timing:
    wall_ms: list[float]
    cpu_ms: list[float]  # this process's CPU time: what the step costs when the machine is busy


def timed(action: Callable[[], Result], runs: int) -> tuple[Timing, Result]:
    """Wall and CPU milliseconds per run, and the last result."""
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = clock.perf_counter(), clock.process_time()
        result = action()
        wall.append((clock.perf_counter() - started) * 1000)
        cpu.append((clock.process_time() - started_cpu) * 1000)
    return Timing(wall, cpu), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="runs of each step that parses the feeds")
    parser.add_argument("--search-runs", type=int, default=1000, help="runs of find_slots alone")
    parser.add_argument("--baseline-runs", type=int, default=5)
    parser.add_argument("--duration", type=int, default=30, help="meeting length in minutes")
    parser.add_argument("--cap", type=int, default=8, help="max meetings per attendee per day")
    args = parser.parse_args()

    feeds = [make_feed(person, seed) for seed, person in enumerate(PEOPLE)]
    rules = SlotRules(now=NOW, duration=timedelta(minutes=args.duration), max_meetings_per_day=args.cap)

    def parse_all() -> list[list[Busy]]:
        return [parse_busy(feed, start=WINDOW_START, end=WINDOW_END, tz=person.zone)
                for feed, person in zip(feeds, PEOPLE, strict=True)]

    busy = parse_all()
    attendees = [AttendeeCalendar(person.email, WorkingHours(person.zone, every_weekday((person.hours,))),
                                  tuple(blocks)) for person, blocks in zip(PEOPLE, busy, strict=True)]

    def search() -> list[datetime]:
        return find_slots(attendees, window_start=WINDOW_START, window_end=WINDOW_END, now=NOW,
                          duration=rules.duration, max_meetings_per_day=args.cap)

    def parse_and_search() -> list[datetime]:
        blocks = parse_all()
        people = [AttendeeCalendar(one.email, one.hours, tuple(mine))
                  for one, mine in zip(attendees, blocks, strict=True)]
        return find_slots(people, window_start=WINDOW_START, window_end=WINDOW_END, now=NOW,
                          duration=rules.duration, max_meetings_per_day=args.cap)

    def naive() -> list[datetime]:
        return naive_free_starts(attendees, window_start=WINDOW_START, window_end=WINDOW_END, rules=rules)

    parse_ms, _ = timed(parse_all, args.runs)
    find_ms, offered = timed(search, args.search_runs)
    both_ms, _ = timed(parse_and_search, args.runs)
    naive_ms, naive_starts = timed(naive, args.baseline_runs)

    fast_starts = free_starts(attendees, window_start=WINDOW_START, window_end=WINDOW_END, rules=rules)
    naive_offer = spread_across_days(naive_starts, count=8, zone=attendees[0].hours.zone)
    # Each attendee alone too: far more free starts, so the comparison covers hours, DST, buffers and caps.
    alone = [(free_starts([one], window_start=WINDOW_START, window_end=WINDOW_END, rules=rules),
              naive_free_starts([one], window_start=WINDOW_START, window_end=WINDOW_END, rules=rules))
             for one in attendees]
    same = (fast_starts == naive_starts and offered == naive_offer
            and all(fast == slow for fast, slow in alone))
    in_window = sum(len(blocks) for blocks in busy)
    print(f"{len(PEOPLE)} attendees in {len({p.zone for p in PEOPLE})} zones, feeds of {EVENTS_PER_FEED} "
          f"VEVENTs ({sum(map(len, feeds)) // 1024} KiB in all); window {WINDOW_START:%Y-%m-%d}.."
          f"{WINDOW_END:%Y-%m-%d} (crosses Berlin's DST switch), {in_window} busy blocks in it; "
          f"{args.duration}-minute meetings, cap {args.cap}/day")
    print(f"free starts for all five: {len(fast_starts)} (interval) vs {len(naive_starts)} (naive); "
          f"each alone: {[len(fast) for fast, _ in alone]} vs {[len(slow) for _, slow in alone]}; "
          f"identical: {'yes' if same else 'NO'}")
    organizer = attendees[0].hours.zone
    print("offered (organizer's time): " + ", ".join(f"{moment.astimezone(organizer):%a %d %b %H:%M}"
                                                     for moment in offered))
    print()
    print(f"| {'step':38} | {'runs':>4} | {'p50 ms':>8} | {'p99 ms':>8} | {'p50 CPU ms':>10} "
          f"| {'p99 CPU ms':>10} |")
    print(f"|{'-' * 40}|{'-' * 6}|{'-' * 10}|{'-' * 10}|{'-' * 12}|{'-' * 12}|")
    rows = [("parse_busy (5 feeds x 500 events)", parse_ms), ("find_slots (interval arithmetic)", find_ms),
            ("parse_busy + find_slots", both_ms), ("naive minute-by-minute (slots only)", naive_ms)]
    for name, timing in rows:
        print(f"| {name:38} | {len(timing.wall_ms):>4} | {percentile(timing.wall_ms, 0.5):>8.2f} | "
              f"{percentile(timing.wall_ms, 0.99):>8.2f} | {percentile(timing.cpu_ms, 0.5):>10.2f} | "
              f"{percentile(timing.cpu_ms, 0.99):>10.2f} |")
    print()
    speedup = statistics.median(naive_ms.cpu_ms) / max(statistics.median(find_ms.cpu_ms), 1e-6)
    print(f"find_slots needs {speedup:,.0f}x less CPU than the naive baseline at p50.")
    if not same:
        raise SystemExit("the interval search and the naive baseline disagree")


if __name__ == "__main__":
    main()
