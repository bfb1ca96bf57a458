"""Search windows from time words: every form the chat parser produces, the organizer's zone, business days,
inclusive dates, DST-length days, and clear refusals."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.errors import ConfigError
from bot.intents import parse
from scheduler.user_settings import find_timezone
from scheduler.window import (
    MAX_WINDOW,
    PreferredHours,
    WindowError,
    describe_window,
    exact_start,
    parse_window,
    preferred_hours,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# Wednesday 25 March 2026, 11:30 in Berlin (still CET: the switch is on Sunday the 29th).
NOW = datetime(2026, 3, 25, 10, 30, tzinfo=UTC)


def window(when: str | None, now: datetime = NOW, tz: ZoneInfo = BERLIN, **kwargs: int) -> tuple[str, str]:
    """The window as local wall-clock text, easy to read in the table below."""
    start, end = parse_window(when, now=now, tz=tz, **kwargs)
    assert start.tzinfo == UTC and end.tzinfo == UTC
    return f"{start.astimezone(tz):%a %Y-%m-%d %H:%M}", f"{end.astimezone(tz):%a %Y-%m-%d %H:%M}"


# (when, start, end) read on Wednesday 25 March 2026 at 11:30 in Berlin
CASES = [
    (None, "Thu 2026-03-26 00:00", "Thu 2026-04-02 00:00"),  # next 5 business days: Thu, Fri, Mon, Tue, Wed
    ("today", "Wed 2026-03-25 11:30", "Thu 2026-03-26 00:00"),
    ("later today", "Wed 2026-03-25 11:30", "Thu 2026-03-26 00:00"),
    ("tonight", "Wed 2026-03-25 18:00", "Thu 2026-03-26 00:00"),
    ("tomorrow", "Thu 2026-03-26 00:00", "Fri 2026-03-27 00:00"),
    ("the day after tomorrow", "Fri 2026-03-27 00:00", "Sat 2026-03-28 00:00"),
    ("this week", "Wed 2026-03-25 11:30", "Sat 2026-03-28 00:00"),
    ("next week", "Mon 2026-03-30 00:00", "Sat 2026-04-04 00:00"),
    ("early next week", "Mon 2026-03-30 00:00", "Wed 2026-04-01 00:00"),
    ("end of the week", "Thu 2026-03-26 00:00", "Sat 2026-03-28 00:00"),
    ("end of next week", "Thu 2026-04-02 00:00", "Sat 2026-04-04 00:00"),
    ("later this week", "Thu 2026-03-26 00:00", "Sat 2026-03-28 00:00"),
    ("this weekend", "Sat 2026-03-28 00:00", "Mon 2026-03-30 00:00"),
    ("this month", "Wed 2026-03-25 11:30", "Wed 2026-04-01 00:00"),
    ("next month", "Wed 2026-04-01 00:00", "Fri 2026-05-01 00:00"),
    ("monday", "Mon 2026-03-30 00:00", "Tue 2026-03-31 00:00"),
    ("friday", "Fri 2026-03-27 00:00", "Sat 2026-03-28 00:00"),
    ("wednesday", "Wed 2026-04-01 00:00", "Thu 2026-04-02 00:00"),  # today is Wednesday: the next one
    ("this friday", "Fri 2026-03-27 00:00", "Sat 2026-03-28 00:00"),
    ("this monday", "Mon 2026-03-30 00:00", "Tue 2026-03-31 00:00"),  # this week's Monday has passed
    ("next friday", "Fri 2026-04-03 00:00", "Sat 2026-04-04 00:00"),  # Friday of next week
    ("next monday", "Mon 2026-03-30 00:00", "Tue 2026-03-31 00:00"),
    ("next week on friday", "Fri 2026-04-03 00:00", "Sat 2026-04-04 00:00"),
    ("on 2026-12-01", "Tue 2026-12-01 00:00", "Wed 2026-12-02 00:00"),
    ("on 12/01", "Tue 2026-12-01 00:00", "Wed 2026-12-02 00:00"),
    ("25/12", "Fri 2026-12-25 00:00", "Sat 2026-12-26 00:00"),
    ("dec 3rd", "Thu 2026-12-03 00:00", "Fri 2026-12-04 00:00"),
    ("1st of december 2026", "Tue 2026-12-01 00:00", "Wed 2026-12-02 00:00"),
    ("march 2", "Tue 2027-03-02 00:00", "Wed 2027-03-03 00:00"),  # passed this year: next year's
    ("on the 5th", "Sun 2026-04-05 00:00", "Mon 2026-04-06 00:00"),
    ("between dec 1 and dec 5", "Tue 2026-12-01 00:00", "Sun 2026-12-06 00:00"),  # both ends inclusive
    ("from dec 1 to dec 5", "Tue 2026-12-01 00:00", "Sun 2026-12-06 00:00"),
    ("2026-12-01..2026-12-05", "Tue 2026-12-01 00:00", "Sun 2026-12-06 00:00"),
    ("2026-12-01 2026-12-05", "Tue 2026-12-01 00:00", "Sun 2026-12-06 00:00"),
    ("between dec 28 and jan 3", "Mon 2026-12-28 00:00", "Mon 2027-01-04 00:00"),
    ("between monday and wednesday", "Mon 2026-03-30 00:00", "Thu 2026-04-02 00:00"),
    ("in 2 days", "Fri 2026-03-27 00:00", "Sat 2026-03-28 00:00"),
    ("in a couple of days", "Fri 2026-03-27 00:00", "Sat 2026-03-28 00:00"),
    ("in 2 weeks", "Mon 2026-04-06 00:00", "Sat 2026-04-11 00:00"),
    ("in 2 hours", "Wed 2026-03-25 13:30", "Thu 2026-03-26 00:00"),
    ("in an hour", "Wed 2026-03-25 12:30", "Thu 2026-03-26 00:00"),
    ("by friday", "Wed 2026-03-25 11:30", "Sat 2026-03-28 00:00"),
    ("by friday at noon", "Wed 2026-03-25 11:30", "Fri 2026-03-27 12:00"),
    ("before friday", "Wed 2026-03-25 11:30", "Fri 2026-03-27 00:00"),
    ("after friday", "Sat 2026-03-28 00:00", "Sat 2026-04-04 00:00"),  # then 5 business days
    ("tomorrow at 3pm", "Thu 2026-03-26 15:00", "Fri 2026-03-27 00:00"),
    ("tomorrow afternoon", "Thu 2026-03-26 12:00", "Thu 2026-03-26 18:00"),
    ("friday morning", "Fri 2026-03-27 05:00", "Fri 2026-03-27 12:00"),
    ("this afternoon", "Wed 2026-03-25 12:00", "Wed 2026-03-25 18:00"),
    ("next friday morning at 9:30am", "Fri 2026-04-03 09:30", "Fri 2026-04-03 12:00"),
    ("the day after tomorrow at noon", "Fri 2026-03-27 12:00", "Sat 2026-03-28 00:00"),
    ("between 2pm and 4pm tomorrow", "Thu 2026-03-26 14:00", "Thu 2026-03-26 16:00"),
    ("at 3pm", "Wed 2026-03-25 15:00", "Thu 2026-03-26 00:00"),  # still ahead today
    ("at 9am", "Thu 2026-03-26 09:00", "Fri 2026-03-27 00:00"),  # passed today: the next business day
    ("around 3pm", "Wed 2026-03-25 14:00", "Wed 2026-03-25 17:00"),
    ("next week at 3pm", "Mon 2026-03-30 00:00", "Sat 2026-04-04 00:00"),  # a time on several days: ignored
]


@pytest.mark.parametrize(("when", "start", "end"), CASES)
def test_forms(when: str | None, start: str, end: str) -> None:
    assert window(when) == (start, end)


@pytest.mark.parametrize("words", [
    "tomorrow", "next week", "monday", "next monday", "on 2026-12-01", "between dec 1 and dec 5", "in 2 days",
    "by friday", "tomorrow at 3pm", "for today", "this week", "sometime next week", "on 12/01", "dec 3rd",
    "on the 5th", "in an hour", "tomorrow afternoon", "at 3pm", "Sunday", "for 2026-12-01..2026-12-05",
    "between 2pm and 4pm tomorrow", "from dec 1 to dec 5", "next friday morning at 9:30am", "tonight",
    "in a couple of days", "end of next week", "around 3pm", "the day after tomorrow at noon",
    "1st of december 2026", "early next week", "later this week", "this afternoon", "next month",
])
def test_every_when_the_chat_parser_produces_is_accepted(words: str) -> None:
    when = parse(f"schedule an interview with jane {words}").entities["when"]
    assert isinstance(when, str)
    start, end = parse_window(when, now=NOW, tz=BERLIN)
    assert NOW <= start < end <= start + MAX_WINDOW


def test_the_default_skips_the_weekend() -> None:
    friday = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)
    assert window(None, friday) == ("Mon 2026-03-30 00:00", "Sat 2026-04-04 00:00")
    assert window(None, friday, business_days=2) == ("Mon 2026-03-30 00:00", "Wed 2026-04-01 00:00")
    saturday = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    assert window("after friday", saturday) == ("Sat 2026-04-04 00:00", "Sat 2026-04-11 00:00")


def test_days_are_the_organizers_days_not_utcs() -> None:
    # Sunday 22:30 UTC is already Monday morning in Auckland: "next week" is the week after that Monday.
    sunday_utc = datetime(2026, 3, 22, 22, 30, tzinfo=UTC)
    auckland = ZoneInfo("Pacific/Auckland")
    assert window("next week", sunday_utc, auckland) == ("Mon 2026-03-30 00:00", "Sat 2026-04-04 00:00")
    assert window("next week", sunday_utc, NEW_YORK) == ("Mon 2026-03-23 00:00", "Sat 2026-03-28 00:00")
    assert window("today", sunday_utc, NEW_YORK) == ("Sun 2026-03-22 18:30", "Mon 2026-03-23 00:00")


def test_day_lengths_follow_dst() -> None:
    # Berlin falls back on Sunday 25 October 2026 (a 25-hour day); New York springs forward on 8 March (23 h).
    start, end = parse_window("tomorrow", now=datetime(2026, 10, 24, 10, 0, tzinfo=UTC), tz=BERLIN)
    assert (start, end - start) == (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), timedelta(hours=25))
    start, end = parse_window("tomorrow", now=datetime(2026, 3, 7, 15, 0, tzinfo=UTC), tz=NEW_YORK)
    assert (start, end - start) == (datetime(2026, 3, 8, 5, 0, tzinfo=UTC), timedelta(hours=23))
    # A whole week across Berlin's spring switch: Monday 00:00 CET to Saturday 00:00 CEST.
    start, end = parse_window("this week", now=datetime(2026, 3, 23, 0, 0, tzinfo=UTC), tz=BERLIN)
    assert (start, end) == (datetime(2026, 3, 23, 0, 0, tzinfo=UTC), datetime(2026, 3, 27, 23, 0, tzinfo=UTC))


def test_the_clock_is_never_read() -> None:
    later = datetime(2031, 7, 2, 9, 0, tzinfo=UTC)  # a Wednesday, years from the real date
    assert window("tomorrow", later) == ("Thu 2031-07-03 00:00", "Fri 2031-07-04 00:00")


@pytest.mark.parametrize(("when", "words"), [
    ("on 2025-01-01", "already in the past"),
    ("2026-03-24", "already in the past"),
    ("before today", "already in the past"),
    ("blah blah", 'Try "tomorrow"'),
    ("next blursday", 'Try "tomorrow"'),
    ("2026-02-30", "not a date on the calendar"),
    ("at 25pm", "not a time of day"),
    ("between dec 5 and dec 1", "end comes before the start"),
    ("tomorrow between 4pm and 2pm", "end comes before the start"),
    ("between tomorrow and 3pm", "mixes a day and a time"),
    ("next week tomorrow", "don't overlap"),
    ("between 2026-04-01 and 2026-12-01", "longer than 90 days"),
    ("the 32nd", "not a day of the month"),
])
def test_refusals_say_what_works(when: str, words: str) -> None:
    with pytest.raises(WindowError) as caught:
        parse_window(when, now=NOW, tz=BERLIN)
    assert words in str(caught.value)


def test_this_week_after_friday_suggests_next_week() -> None:
    with pytest.raises(WindowError, match='try "next week"'):
        parse_window("this week", now=datetime(2026, 3, 28, 12, 0, tzinfo=UTC), tz=BERLIN)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_window("tomorrow", now=datetime(2026, 3, 25, 10, 30), tz=BERLIN)


def test_describe_window() -> None:
    start, end = parse_window("between dec 1 and dec 5", now=NOW, tz=BERLIN)
    assert describe_window(start, end, BERLIN) == "Tue 1 Dec – Sat 5 Dec 2026"
    start, end = parse_window("tomorrow", now=NOW, tz=BERLIN)
    assert describe_window(start, end, BERLIN) == "Thu 26 Mar 2026"
    start, end = parse_window("between dec 28 and jan 3", now=NOW, tz=BERLIN)
    assert describe_window(start, end, BERLIN) == "Mon 28 Dec 2026 – Sun 3 Jan 2027"


@pytest.mark.parametrize(("when", "start"), [
    ("tomorrow at 3pm", datetime(2026, 3, 26, 14, tzinfo=UTC)),
    ("tomorrow 15:00", datetime(2026, 3, 26, 14, tzinfo=UTC)),
    ("monday at 10:30", datetime(2026, 3, 30, 8, 30, tzinfo=UTC)),  # after the switch to summer time
    ("at 3pm", datetime(2026, 3, 25, 14, tzinfo=UTC)),
])
def test_one_named_time_is_exact(when: str, start: datetime) -> None:
    assert exact_start(when, now=NOW, tz=BERLIN) == start


@pytest.mark.parametrize("when", ["around 3pm", "after 2pm", "tomorrow afternoon", "between 2pm and 4pm",
                                  "by friday at noon", "next week", "tomorrow", None])
def test_spans_are_not_exact(when: str | None) -> None:
    assert exact_start(when, now=NOW, tz=BERLIN) is None


def _zone(text: str) -> str | None:
    try:
        return find_timezone(text)
    except ConfigError:
        return None


@pytest.mark.parametrize(("note", "wish"), [
    ("evenings after 18:00 Berlin", PreferredHours(time(18), time(22), "Europe/Berlin")),
    ("between 2pm and 5pm New York time please", PreferredHours(time(14), time(17), "America/New_York")),
    ("anything after 4pm", PreferredHours(time(16), None, None)),
    ("mornings before 10am", PreferredHours(time(5), time(10), None)),
    ("I'm travelling, sorry", None),
    ("Mornings are hard, evenings work", None),  # contradictory as read: no guess
    (None, None),
])
def test_an_other_times_note_is_read_for_the_hours_it_asks(note: str | None, wish: PreferredHours | None) -> None:
    assert preferred_hours(note, find_zone=_zone) == wish
