"""Turn the time words of a scheduling request into the window in which hirebot looks for free slots.

The chat parser (`bot/intents/`) keeps the words as written ("tomorrow at 3pm", "by friday"); this module
decides what they mean, in the organizer's zone, and hands back one UTC interval `[start, end)`. It never
reads the wall clock: `now` is passed in, so every reading is reproducible and testable.

How each form is read (days are the organizer's local days; a window never starts before `now`):

- nothing → the next `business_days` (5) business days after today; today is left out because the
  candidate still has to read the email and answer.
- "today", "tomorrow", "the day after tomorrow", "tonight" (today from 18:00) → that day.
- "monday" (any weekday, also "mon") → the next such day after today; "coming monday" is the same.
  "this monday" → Monday of this week if it is today or later, else the coming one. "next monday" →
  Monday of next week (weeks run Monday to Sunday). Said with a week or a range ("next week on friday"),
  a bare weekday is that weekday inside it.
- "this week" → today to Friday (after Friday: an error suggesting "next week"); "next week" → Monday to
  Friday of next week; "early next week" → Monday and Tuesday; "end of the week" → Thursday and Friday
  (from today); "end of next week" → Thursday and Friday of next week; "later this week" → tomorrow to
  Friday; "this weekend" / "next weekend" → Saturday and Sunday (working hours usually leave nothing);
  "this month" → today to the month's last day; "next month" → all of next month; "later today" → now
  to midnight.
- Dates: "2026-12-01", "12/1" and "12/1/2026" (month first, unless the first number is over 12),
  "dec 1", "dec 1st, 2026", "1 dec", "1st of december", "the 5th" (the next 5th). A date without a year
  is its next occurrence (today counts); a date with a year that has passed is refused.
- "on X" → X. "by X" / "until X" / "till X" → now to the end of X. "before X" → now to the start of X.
  "after X" → from the end of X for `business_days` business days.
- Ranges, both ends inclusive: "between X and Y", "from X to Y", "X..Y", "X to Y", and two bare dates in
  a row ("2026-12-01 2026-12-05", which is what the chat parser leaves of "2026-12-01..2026-12-05").
  A year-less or weekday end is the first such day on or after the start.
- "in 2 days" → that day; "in 2 weeks" → Monday to Friday of the week two weeks from now; "in 2 months"
  → Monday to Friday of the week two months from now; "in 2 hours" / "in 30 minutes" → from that moment
  to midnight. Counts may be words ("an", "a couple of", "a few").
- Times of day narrow a single day: "morning" 05:00–12:00, "afternoon" 12:00–18:00, "evening"
  17:00–22:00, "night" 18:00–24:00; "at 3pm" → from 15:00 to midnight (so the earliest offered slot is
  15:00 when everyone is free); "around 3pm" → 14:00–17:00; "between 2pm and 4pm" → 14:00–16:00; "after
  2pm" / "before 11am" → from / until then. With "by", "before" or "after" a time moves that edge ("by
  friday at noon" ends at noon on Friday). Without a day, a time means today if it is still ahead and
  today is a business day, else the next business day. On a window of several days a time of day is
  ignored: the window is one interval, and working hours already shape each day.
- Several day phrases narrow each other ("next week on friday"); phrases that do not overlap, windows in
  the past and windows longer than 90 days are refused with a sentence saying what works.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from adapters.errors import HirebotError

MAX_WINDOW = timedelta(days=90)
"""Longer windows are refused: nobody books an interview a season ahead, and slot search stays cheap."""

_EXAMPLES = '"tomorrow", "next week", "on 2026-12-01" or "between dec 1 and dec 5"'


class WindowError(HirebotError):
    """The time words could not be turned into a window; the message says what would work."""


# -- the pieces a phrase resolves to ----------------------------------------------------------------------


@dataclass(frozen=True)
class _TimeOfDay:
    """A span of wall-clock time within one day; `end` None means midnight at the end of the day."""

    start: time
    end: time | None = None

    def narrow(self, other: _TimeOfDay) -> _TimeOfDay:
        start = max(self.start, other.start)
        ends = [end for end in (self.end, other.end) if end is not None]
        return _TimeOfDay(start, min(ends) if ends else None)


@dataclass(frozen=True)
class _Days:
    """An inclusive run of local days, or a weekday still waiting to be placed (`weekday` set)."""

    first: date
    last: date
    weekday: int | None = None
    explicit_date: bool = False


@dataclass(frozen=True)
class _Piece:
    """One phrase: days with a preposition and the times attached to them, a bare time of day, or an
    absolute local interval ("in 2 hours")."""

    days: _Days | None = None
    preposition: str = ""
    times: _TimeOfDay | None = None
    span: tuple[datetime, datetime] | None = None


@dataclass(frozen=True)
class _Context:
    now: datetime  # in the organizer's zone
    tz: ZoneInfo
    business_days: int

    @property
    def today(self) -> date:
        return self.now.date()


# -- vocabulary -------------------------------------------------------------------------------------------

_WEEKDAYS = {"monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "wed": 2,
             "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
             "sunday": 6, "sun": 6}
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_PARTS = {"morning": _TimeOfDay(time(5), time(12)), "afternoon": _TimeOfDay(time(12), time(18)),
          "evening": _TimeOfDay(time(17), time(22)), "night": _TimeOfDay(time(18))}
_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "a couple": 2, "a couple of": 2, "a few": 3}

_WEEKDAY = r"(?:" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")"
_MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ORD = r"\d{1,2}(?:st|nd|rd|th)?"
_ISO = r"\d{4}-\d{1,2}-\d{1,2}"
_SLASH = r"\d{1,2}/\d{1,2}(?:/\d{2,4})?"
_MONTH_DAY = rf"{_MONTH}\s+{_ORD}(?!\d)(?:,?\s+\d{{4}})?"
_DAY_MONTH = rf"{_ORD}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?"
_DATE = rf"(?:{_ISO}|{_SLASH}|{_MONTH_DAY}|{_DAY_MONTH}|the\s+{_ORD})"
_RELATIVE = r"(?:today|tonight|tomorrow|tmrw|tmr|(?:the\s+)?day\s+after\s+tomorrow)"
_DAY_REF = rf"(?:{_RELATIVE}|(?:(?:this|next|coming)\s+)?{_WEEKDAY}|{_DATE})"
_PERIOD = (r"(?:later\s+today|later\s+this\s+week|early\s+next\s+week"
           r"|end\s+of\s+(?:the\s+|this\s+|next\s+)?week|(?:this|next)\s+(?:weekend|week|month)|this\s+(?:morning|afternoon|evening))")
_CLOCK = r"(?:\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon|midday)"
_PART = r"(?:morning|afternoon|evening|night)"
_COUNT = r"(?:\d{1,3}|an?|one|two|three|four|five|six|seven|a\s+couple(?:\s+of)?|a\s+few)"
_UNIT = r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?)"
_UNTIL = r"(?:and|&|-|–|—|to|until|till|through|thru)"
_END = r"(?![\w-])"

_FILLER = re.compile(r"(?:for|sometime|some\s+time|and|then|,|;)(?![\w-])\s*")
_RANGE = re.compile(
    rf"(?:between|from)\s+(?P<a>{_DAY_REF}|{_CLOCK})\s+{_UNTIL}\s+(?P<b>{_DAY_REF}|{_CLOCK}){_END}")
_BARE_RANGE = re.compile(
    rf"(?P<a>{_DAY_REF})\s*(?:\.\.|–|—|\s-\s|\s+(?:to|until|till|through|thru)\s+)\s*(?P<b>{_DAY_REF}){_END}")
_IN = re.compile(rf"in\s+(?P<count>{_COUNT})\s+(?P<unit>{_UNIT}){_END}")
_DAY_PHRASE = re.compile(
    rf"(?:(?P<prep>on|by|before|after|until|till)\s+)?(?P<day>{_PERIOD}|{_DAY_REF}){_END}"
    rf"(?:\s+(?:in\s+the\s+)?(?P<part>{_PART}){_END})?"
    rf"(?:\s+(?P<clock_word>at|around)?\s*(?P<clock>{_CLOCK}){_END})?")
_CLOCK_PHRASE = re.compile(
    rf"(?P<word>at|around|after|before|by|from|until|till)?\s*(?P<clock>{_CLOCK}){_END}")
_NAMED_MONTH_DAY = re.compile(
    rf"(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{{4}}))?")
_NAMED_DAY_MONTH = re.compile(
    rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH})(?:,?\s+(?P<year>\d{{4}}))?")
_PART_PHRASE = re.compile(rf"(?:in\s+the\s+)?(?P<part>{_PART})s?{_END}")


# -- entry point ------------------------------------------------------------------------------------------


def parse_window(when: str | None, *, now: datetime, tz: ZoneInfo,
                 business_days: int = 5) -> tuple[datetime, datetime]:
    """The UTC window `[start, end)` that `when` describes in zone `tz` (see the module docstring).

    Raises WindowError with a suggestion when the words cannot be read, lie in the past, do not overlap,
    or span more than MAX_WINDOW."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if business_days < 1:
        raise ValueError("business_days must be at least 1")
    context = _Context(now.astimezone(tz), tz, business_days)
    text = " ".join((when or "").lower().split()).strip(" .!?")
    if not text:
        first = _add_business_days(context.today, 1)
        return _to_utc(_day_start(first, tz), _day_end(_add_business_days(first, business_days - 1), tz))
    start, end = _combine(_read_pieces(text, context), text, context)
    return _checked(start, end, text, context)


_NOT_EXACT = re.compile(r"\b(?:around|about|after|before|by|from|until|till|between|and|or|ish)\b|-|–|\.\.")


def exact_start(when: str | None, *, now: datetime, tz: ZoneInfo, business_days: int = 5) -> datetime | None:
    """The one UTC start that words like "tomorrow at 3pm" or "monday 10:30" name, or None when they name a
    span ("around 3pm", "after 2pm", "next week"). The search window of such words still starts at that
    time; this says the organizer meant that time, not the rest of the day."""
    text = " ".join((when or "").lower().split()).strip(" .!?")
    clocks = re.findall(_CLOCK, text)
    if len(clocks) != 1 or _NOT_EXACT.search(re.sub(_CLOCK, " ", text)) or re.search(_PART, text):
        return None
    start, _ = parse_window(text, now=now, tz=tz, business_days=business_days)
    local = start.astimezone(tz)
    return start if local.time() == _parse_clock(clocks[0]) else None


@dataclass(frozen=True)
class PreferredHours:
    """The time of day a candidate asked for ("evenings after 18:00 Berlin"); `end` None means midnight;
    `zone` None when they named none."""

    start: time
    end: time | None
    zone: str | None


def preferred_hours(note: str | None, *, find_zone: Callable[[str], str | None]) -> PreferredHours | None:
    """The time of day a free-text note asks for, read leniently (everything else in it is ignored): parts
    of the day ("evenings"), "after 18:00", "before noon", "between 2pm and 5pm", and a zone or city that
    `find_zone` knows. None when the note names no usable time, or contradictory ones."""
    text = " ".join((note or "").lower().split())
    spans: list[_TimeOfDay] = []
    for match in re.finditer(rf"(?P<range>(?:between|from)\s+(?P<a>{_CLOCK})\s+{_UNTIL}\s+(?P<b>{_CLOCK}))"
                             rf"|(?P<clock>(?:(?P<word>after|before|from|until|till|at|around)\s+)?{_CLOCK})"
                             rf"|(?P<part>{_PART})s?{_END}", text):
        try:
            if match.group("range"):
                first, last = _parse_clock(match.group("a")), _parse_clock(match.group("b"))
                if last > first:
                    spans.append(_TimeOfDay(first, last))
            elif match.group("clock"):
                clock = _CLOCK_PHRASE.fullmatch(match.group("clock"))
                if clock is not None and match.group("word") in ("after", "before", "from", "until", "till"):
                    spans.append(_clock_span(match.group("word"), clock.group("clock")))
            else:
                spans.append(_PARTS[match.group("part")])
        except WindowError:
            continue
    if not spans:
        return None
    merged = _merge_times(spans)
    if merged.end is not None and merged.end <= merged.start:
        return None
    return PreferredHours(merged.start, merged.end, _named_zone(note or "", find_zone))


def _named_zone(note: str, find_zone: Callable[[str], str | None]) -> str | None:
    """A zone the note names: "Europe/Berlin", "UTC", or a capitalized city ("Berlin", "New York"); lower-case
    words are left alone, so "center" or "troll" in a sentence is not read as a zone."""
    words = re.findall(r"[A-Za-z][A-Za-z_/]*", note)
    named = [w for w in words if "/" in w or w[0].isupper() or w.lower() in ("utc", "gmt")]
    pairs = [f"{a} {b}" for a, b in pairwise(words) if a[0].isupper() and b[0].isupper()]
    for word in (*pairs, *named):
        zone = find_zone(word)
        if zone:
            return zone
    return None


def describe_window(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """A short human reading of a window, e.g. "Mon 1 Dec – Fri 5 Dec 2026", for proposals and replies."""
    first = start.astimezone(tz)
    last = (end - timedelta(microseconds=1)).astimezone(tz)
    if first.date() == last.date():
        return f"{_day_label(first.date())} {first.year}"
    year = "" if first.year == last.year else f" {first.year}"
    return f"{_day_label(first.date())}{year} – {_day_label(last.date())} {last.year}"


def _day_label(day: date) -> str:
    return f"{calendar.day_abbr[day.weekday()]} {day.day} {calendar.month_abbr[day.month]}"


# -- reading phrases --------------------------------------------------------------------------------------


def _read_pieces(text: str, context: _Context) -> list[_Piece]:
    pieces: list[_Piece] = []
    position = 0
    while position < len(text):
        if text[position] == " ":
            position += 1
            continue
        filler = _FILLER.match(text, position)
        if filler:
            position = filler.end()
            continue
        for pattern, build in _READERS:
            match = pattern.match(text, position)
            if match:
                pieces.append(build(match, context))
                position = match.end()
                break
        else:
            raise WindowError(f'I couldn\'t read "{text}" as a time to meet. Try {_EXAMPLES}.')
    if not pieces:
        raise WindowError(f'I couldn\'t read "{text}" as a time to meet. Try {_EXAMPLES}.')
    return pieces


def _range_piece(match: re.Match[str], context: _Context) -> _Piece:
    first_text, last_text = match.group("a"), match.group("b")
    first_clock, last_clock = _clock_or_none(first_text), _clock_or_none(last_text)
    if first_clock is not None and last_clock is not None:
        if last_clock <= first_clock:
            raise WindowError(f'In "{match.group(0)}" the end comes before the start.')
        return _Piece(times=_TimeOfDay(first_clock, last_clock))
    if first_clock is not None or last_clock is not None:
        raise WindowError(f'"{match.group(0)}" mixes a day and a time; say "tomorrow between 2pm and 4pm" '
                          'or "between monday and wednesday".')
    first = _resolve_day_ref(first_text, context)
    last = _resolve_day_ref(last_text, context, on_or_after=first.first)
    # A year-less end rolls into the next year only across New Year ("dec 28 to jan 3"), not "dec 5 to dec 1".
    rolled = (last.first.year > first.first.year and last.first.month >= first.first.month
              and not re.search(r"\d{4}", last_text))
    if last.last < first.first or rolled:
        raise WindowError(f'In "{match.group(0)}" the end comes before the start.')
    return _Piece(days=_Days(first.first, last.last))


def _in_piece(match: re.Match[str], context: _Context) -> _Piece:
    count_text = " ".join(match.group("count").split())
    count = int(count_text) if count_text.isdigit() else _COUNT_WORDS[count_text]
    unit = match.group("unit")
    if unit.startswith(("min", "hour", "hr")):
        moment = context.now + (timedelta(hours=count) if unit.startswith("h") else timedelta(minutes=count))
        return _Piece(span=(moment, _day_end(moment.date(), context.tz)))
    if unit.startswith("day"):
        day = context.today + timedelta(days=count)
        return _Piece(days=_Days(day, day))
    target = (context.today + timedelta(weeks=count) if unit.startswith("week")
              else _add_months(context.today, count))
    monday = target - timedelta(days=target.weekday())
    return _Piece(days=_Days(monday, monday + timedelta(days=4)))


def _day_piece(match: re.Match[str], context: _Context) -> _Piece:
    word = match.group("day")
    days, times = _resolve_period(word, context)
    if days is None:
        days = _resolve_day_ref(word, context)
        times = _PARTS["night"] if word == "tonight" else None
    if match.group("part"):
        times = _narrow(times, _PARTS[match.group("part")])
    if match.group("clock"):
        times = _narrow(times, _clock_span(match.group("clock_word") or "at", match.group("clock")))
    return _Piece(days=days, preposition=match.group("prep") or "", times=times)


def _clock_piece(match: re.Match[str], context: _Context) -> _Piece:
    return _Piece(times=_clock_span(match.group("word") or "at", match.group("clock")))


def _part_piece(match: re.Match[str], context: _Context) -> _Piece:
    return _Piece(times=_PARTS[match.group("part")])


_READERS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], _Context], _Piece]], ...] = (
    (_RANGE, _range_piece),
    (_BARE_RANGE, _range_piece),
    (_IN, _in_piece),
    (_DAY_PHRASE, _day_piece),
    (_CLOCK_PHRASE, _clock_piece),
    (_PART_PHRASE, _part_piece),
)


def _narrow(current: _TimeOfDay | None, extra: _TimeOfDay) -> _TimeOfDay:
    return extra if current is None else current.narrow(extra)


def _clock_span(word: str, text: str) -> _TimeOfDay:
    clock = _parse_clock(text)
    if word == "around":
        minutes = clock.hour * 60 + clock.minute
        start, end = max(0, minutes - 60), minutes + 120
        return _TimeOfDay(time(start // 60, start % 60), time(end // 60, end % 60) if end < 24 * 60 else None)
    if word in ("before", "by", "until", "till"):
        return _TimeOfDay(time(0), clock)
    return _TimeOfDay(clock)


def _clock_or_none(text: str) -> time | None:
    return _parse_clock(text) if re.fullmatch(_CLOCK, text) else None


def _parse_clock(text: str) -> time:
    text = text.replace(".", "").replace(" ", "")
    if text in ("noon", "midday"):
        return time(12)
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(am|pm)?", text)
    if match is None:
        raise WindowError(f'I couldn\'t read "{text}" as a time of day; try "3pm" or "15:00".')
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            raise WindowError(f'"{text}" is not a time of day; try "3pm" or "15:00".')
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise WindowError(f'"{text}" is not a time of day; try "3pm" or "15:00".')
    return time(hour, minute)


# -- days -------------------------------------------------------------------------------------------------


def _resolve_period(word: str, context: _Context) -> tuple[_Days | None, _TimeOfDay | None]:
    """Days (and maybe a time of day) for the period words; (None, None) when `word` is not one."""
    today = context.today
    monday = today - timedelta(days=today.weekday())
    next_monday = monday + timedelta(days=7)
    next_month = _month_end(today) + timedelta(days=1)
    word = " ".join(word.split())
    if word == "this week":
        if today.weekday() > 4:
            raise WindowError('This week\'s working days are over; try "next week".')
        return _Days(today, monday + timedelta(days=4)), None
    if word.startswith("this ") and word[5:] in _PARTS:
        return _Days(today, today), _PARTS[word[5:]]
    simple = {
        "later today": (today, today),
        "later this week": (today + timedelta(days=1), monday + timedelta(days=4)),
        "early next week": (next_monday, next_monday + timedelta(days=1)),
        "next week": (next_monday, next_monday + timedelta(days=4)),
        "end of next week": (next_monday + timedelta(days=3), next_monday + timedelta(days=4)),
        "this weekend": (max(today, monday + timedelta(days=5)), monday + timedelta(days=6)),
        "next weekend": (next_monday + timedelta(days=5), next_monday + timedelta(days=6)),
        "this month": (today, _month_end(today)),
        "next month": (next_month, _month_end(next_month)),
    }
    for phrase in ("end of week", "end of the week", "end of this week"):
        simple[phrase] = (max(today, monday + timedelta(days=3)), monday + timedelta(days=4))
    if word not in simple:
        return None, None
    first, last = simple[word]
    if last < first:
        raise WindowError(f'"{word}" is already over; try "next week".')
    return _Days(first, last), None


def _resolve_day_ref(word: str, context: _Context, *, on_or_after: date | None = None) -> _Days:
    """One day from a day word or date; `on_or_after` places year-less dates and weekdays that end a
    range."""
    today = context.today
    word = " ".join(word.split())
    relative = {"today": 0, "tonight": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1, "day after tomorrow": 2,
                "the day after tomorrow": 2}
    if word in relative:
        day = today + timedelta(days=relative[word])
        return _Days(day, day)
    weekday = re.fullmatch(rf"(?:(?P<qualifier>this|next|coming)\s+)?(?P<name>{_WEEKDAY})", word)
    if weekday:
        return _weekday_days(_WEEKDAYS[weekday.group("name")], weekday.group("qualifier") or "", today,
                             on_or_after)
    day = _parse_date(word, today if on_or_after is None else on_or_after)
    return _Days(day, day, explicit_date=True)


def _weekday_days(weekday: int, qualifier: str, today: date, on_or_after: date | None) -> _Days:
    if on_or_after is not None and not qualifier:
        day = on_or_after + timedelta(days=(weekday - on_or_after.weekday()) % 7)
        return _Days(day, day)
    monday = today - timedelta(days=today.weekday())
    if qualifier == "next":
        day = monday + timedelta(days=7 + weekday)
        return _Days(day, day)
    if qualifier == "this" and weekday >= today.weekday():
        day = monday + timedelta(days=weekday)
        return _Days(day, day)
    day = today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    # Unqualified: may still be placed inside a week or range it is combined with.
    return _Days(day, day, weekday=weekday if not qualifier else None)


def _parse_date(word: str, reference: date) -> date:
    """A calendar date from the forms the module docstring lists; year-less dates fall on or after
    `reference`."""
    year: int | None
    if re.fullmatch(_ISO, word):
        year, month, day = (int(part) for part in word.split("-"))
        return _valid_date(year, month, day, word)
    if re.fullmatch(_SLASH, word):
        parts = [int(part) for part in word.split("/")]
        month, day = (parts[1], parts[0]) if parts[0] > 12 else (parts[0], parts[1])
        year = None if len(parts) == 2 else (parts[2] + 2000 if parts[2] < 100 else parts[2])
        return _valid_date(year, month, day, word) if year else _next_date(month, day, reference, word)
    the_nth = re.fullmatch(r"the\s+(\d{1,2})(?:st|nd|rd|th)?", word)
    if the_nth:
        return _next_day_of_month(int(the_nth.group(1)), reference, word)
    named = _NAMED_MONTH_DAY.fullmatch(word) or _NAMED_DAY_MONTH.fullmatch(word)
    if named is None:
        raise WindowError(f'I couldn\'t read "{word}" as a date. Try "2026-12-01" or "dec 1".')
    month = _MONTHS[named.group("month").rstrip(".")]
    day = int(named.group("day"))
    if named.group("year"):
        return _valid_date(int(named.group("year")), month, day, word)
    return _next_date(month, day, reference, word)


def _valid_date(year: int, month: int, day: int, word: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise WindowError(f'"{word}" is not a date on the calendar. Try "2026-12-01" or "dec 1".') from None


def _next_date(month: int, day: int, reference: date, word: str) -> date:
    candidate = _valid_date(reference.year, month, day, word) if (month, day) != (2, 29) else None
    if candidate is not None and candidate >= reference:
        return candidate
    for year in range(reference.year + (0 if candidate is None else 1), reference.year + 9):
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found >= reference:
            return found
    raise WindowError(f'"{word}" is not a date on the calendar. Try "2026-12-01" or "dec 1".')


def _next_day_of_month(day: int, reference: date, word: str) -> date:
    if not 1 <= day <= 31:
        raise WindowError(f'"{word}" is not a day of the month.')
    year, month = reference.year, reference.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= reference:
            return date(year, month, day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise WindowError(f'"{word}" is not a day of the month.')


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _add_business_days(day: date, count: int) -> date:
    """The `count`-th Monday-to-Friday day after `day`."""
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


# -- combining phrases into one interval ------------------------------------------------------------------


def _combine(pieces: list[_Piece], text: str, context: _Context) -> tuple[datetime, datetime]:
    pieces = _join_bare_dates(pieces)
    day_pieces = [piece for piece in pieces if piece.days is not None]
    loose_times = [piece.times for piece in pieces if piece.days is None and piece.times is not None]
    if not day_pieces and loose_times:
        day_pieces = [_Piece(days=_day_for_times(_merge_times(loose_times), context))]
    placed = [piece for piece in day_pieces if piece.days is not None and piece.days.weekday is None]
    unplaced = [piece for piece in day_pieces if piece.days is not None and piece.days.weekday is not None]
    intervals = [_piece_interval(piece, context) for piece in placed]
    if placed:  # "next week on friday": the weekday inside the other phrases
        inside_from = max(start for start, _ in intervals).date()
        unplaced = [_placed_weekday(piece, inside_from) for piece in unplaced]
    intervals += [_piece_interval(piece, context) for piece in unplaced]
    intervals += [piece.span for piece in pieces if piece.span is not None]
    start = max(interval[0] for interval in intervals)
    end = min(interval[1] for interval in intervals)
    day = start.astimezone(context.tz).date()
    if loose_times and start < end and (end - timedelta(microseconds=1)).astimezone(context.tz).date() == day:
        times = _merge_times(loose_times)
        start = max(start, _at(day, times.start, context.tz))
        end = min(end, _time_end(day, times, context.tz))
    if end <= start:
        if end <= context.now:
            raise WindowError(f'"{text}" is already in the past. Try "tomorrow" or "next week".')
        raise WindowError(f'The parts of "{text}" don\'t overlap. Try one of {_EXAMPLES}.')
    return start, end


def _join_bare_dates(pieces: list[_Piece]) -> list[_Piece]:
    """Two explicit dates in a row with nothing between them are a range ("2026-12-01 2026-12-05")."""
    joined: list[_Piece] = []
    for piece in pieces:
        previous = joined[-1] if joined else None
        if (previous is not None and previous.days is not None and piece.days is not None
                and previous.days.explicit_date and piece.days.explicit_date
                and not previous.preposition and not piece.preposition and previous.times is None
                and previous.days.first < piece.days.first):
            days = _Days(previous.days.first, piece.days.last)
            joined[-1] = replace(previous, days=days, times=piece.times)
            continue
        joined.append(piece)
    return joined


def _placed_weekday(piece: _Piece, inside_from: date) -> _Piece:
    assert piece.days is not None and piece.days.weekday is not None
    day = inside_from + timedelta(days=(piece.days.weekday - inside_from.weekday()) % 7)
    return replace(piece, days=_Days(day, day))


def _piece_interval(piece: _Piece, context: _Context) -> tuple[datetime, datetime]:
    assert piece.days is not None
    tz, days, times = context.tz, piece.days, piece.times
    preposition = {"until": "by", "till": "by"}.get(piece.preposition, piece.preposition)
    if preposition == "by":  # until the named time ends: "by friday afternoon" ends at 18:00
        end = _day_end(days.last, tz) if times is None else _at(days.last, times.end or times.start, tz)
        return context.now, end
    if preposition == "before":  # until the named time begins
        return context.now, _day_start(days.first, tz) if times is None else _at(days.first, times.start, tz)
    if preposition == "after":  # from the named time's end, for the usual number of business days
        start = _day_end(days.last, tz) if times is None else _at(days.last, times.end or times.start, tz)
        return start, _day_end(_add_business_days(days.last, context.business_days), tz)
    if times is not None and days.first == days.last:
        return _at(days.first, times.start, tz), _time_end(days.first, times, tz)
    return _day_start(days.first, tz), _day_end(days.last, tz)


def _merge_times(times: list[_TimeOfDay]) -> _TimeOfDay:
    merged = times[0]
    for extra in times[1:]:
        merged = merged.narrow(extra)
    return merged


def _day_for_times(times: _TimeOfDay, context: _Context) -> _Days:
    """A time without a day: today while its start is ahead on a business day, else the next business
    day."""
    today = context.today
    if today.weekday() < 5 and _at(today, times.start, context.tz) > context.now:
        return _Days(today, today)
    day = _add_business_days(today, 1)
    return _Days(day, day)


def _checked(start: datetime, end: datetime, text: str, context: _Context) -> tuple[datetime, datetime]:
    if end <= context.now:
        raise WindowError(f'"{text}" is already in the past. Try "tomorrow" or "next week".')
    start = max(start, context.now)
    if end - start > MAX_WINDOW:
        raise WindowError(f'"{text}" reads as {describe_window(start, end, context.tz)}, longer than '
                          f'{MAX_WINDOW.days} days. Pick a shorter window, like "between dec 1 and dec 5".')
    return _to_utc(start, end)


# -- local days to instants -------------------------------------------------------------------------------


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    # A wall time that a DST jump skips resolves to the instant just after the jump (fold=0 semantics).
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC).astimezone(tz)


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return _at(day, time(0), tz)


def _day_end(day: date, tz: ZoneInfo) -> datetime:
    return _day_start(day + timedelta(days=1), tz)


def _time_end(day: date, times: _TimeOfDay, tz: ZoneInfo) -> datetime:
    return _day_end(day, tz) if times.end is None else _at(day, times.end, tz)


def _to_utc(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    return start.astimezone(UTC), end.astimezone(UTC)
