"""Free-slot search: working hours across zones and DST, busy time from real feeds, tentative, buffer, notice
and the per-day cap, spreading across days, and agreement with a minute-by-minute oracle."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.errors import ConfigError
from benchmarks.slots import naive_free_starts
from scheduler.availability import (
    AttendeeCalendar,
    Busy,
    SlotRules,
    WorkingHours,
    every_weekday,
    find_slots,
    free_starts,
    intersect,
    is_free,
    merge,
    spread_across_days,
    subtract,
)
from scheduler.ics_feed import parse_busy

DATA = Path(__file__).parent / "data" / "ics"
BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"
EARLY = datetime(2026, 1, 1, tzinfo=UTC)  # a `now` long before every window below


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def person(email: str, zone: str = "UTC", *busy: Busy, hours: tuple[time, time] = (time(9), time(17)),
           days: range = range(5)) -> AttendeeCalendar:
    return AttendeeCalendar(email, WorkingHours(zone, {day: (hours,) for day in days}), tuple(busy))


def busy(start: str, end: str, *, tentative: bool = False) -> Busy:
    return Busy(utc(start), utc(end), tentative=tentative)


def starts(attendees: list[AttendeeCalendar], start: str, end: str, *, minutes: int = 30,
           now: datetime = EARLY, **rules: Any) -> list[datetime]:
    return free_starts(attendees, window_start=utc(start), window_end=utc(end),
                       rules=SlotRules(now=now, duration=timedelta(minutes=minutes), **rules))


def grid(first: str, last: str, step: int = 15) -> list[datetime]:
    """Every `step` minutes from `first` to `last`, inclusive."""
    moment, result = utc(first), []
    while moment <= utc(last):
        result.append(moment)
        moment += timedelta(minutes=step)
    return result


# -- working hours and zones ------------------------------------------------------------------------------


def test_new_york_and_berlin_meet_only_where_their_days_overlap() -> None:
    team = [person("ana@example.com", BERLIN), person("dev@example.com", NEW_YORK)]
    def hour_long_starts(day: str) -> list[datetime]:
        return starts(team, day, (utc(day) + timedelta(days=1)).isoformat(), minutes=60)

    # 2-6 March: both on standard time. Berlin 08-16Z, New York 14-22Z: 14:00-16:00Z.
    assert hour_long_starts("2026-03-03") == grid("2026-03-03T14:00", "2026-03-03T15:00")
    # 9-13 March: New York already on summer time (13-21Z), Berlin not yet: three hours, 13:00-16:00Z.
    assert hour_long_starts("2026-03-10") == grid("2026-03-10T13:00", "2026-03-10T15:00")
    # From 30 March both on summer time: Berlin 07-15Z, New York 13-21Z: 13:00-15:00Z.
    assert hour_long_starts("2026-03-31") == grid("2026-03-31T13:00", "2026-03-31T14:00")


def test_no_overlap_means_no_slots() -> None:
    team = [person("ana@example.com", BERLIN), person("lee@example.com", "America/Los_Angeles")]
    assert find_slots(team, window_start=utc("2026-03-02"), window_end=utc("2026-03-14"),
                      duration=timedelta(minutes=30), now=EARLY) == []


@pytest.mark.parametrize(("zone", "friday", "monday"), [
    (BERLIN, "2026-03-27T08:00", "2026-03-30T07:00"),  # last Sunday of March
    (BERLIN, "2026-10-23T07:00", "2026-10-26T08:00"),  # last Sunday of October
    (NEW_YORK, "2026-03-06T14:00", "2026-03-09T13:00"),  # second Sunday of March
    (NEW_YORK, "2026-10-30T13:00", "2026-11-02T14:00"),  # first Sunday of November
])
def test_nine_to_five_starts_at_nine_local_on_both_sides_of_dst(zone: str, friday: str, monday: str) -> None:
    until = (utc(monday) + timedelta(days=1)).isoformat()
    found = starts([person("a@example.com", zone)], friday[:10], until)
    days = {moment.date(): moment for moment in reversed(found)}  # the first start of each UTC day
    assert days[utc(friday).date()] == utc(friday) and days[utc(monday).date()] == utc(monday)
    assert found[-1] == utc(monday) + timedelta(hours=7, minutes=30)  # 16:30 local, the last 30-minute start


def test_hours_on_the_switch_night_itself_are_wall_clock() -> None:
    every_day = {day: ((time(1), time(4)),) for day in range(7)}
    spring = AttendeeCalendar("a@example.com", WorkingHours(BERLIN, every_day))
    # 01:00-04:00 on 29 March is two real hours (02:00-03:00 does not exist): 00:00Z-02:00Z.
    assert starts([spring], "2026-03-29", "2026-03-29T12:00", minutes=60, granularity=timedelta(hours=1)) == [
        utc("2026-03-29T00:00"), utc("2026-03-29T01:00")]
    # 01:00-04:00 on 25 October is four real hours (02:00-03:00 happens twice): 23:00Z-03:00Z.
    assert starts([spring], "2026-10-24T22:00", "2026-10-25T12:00", minutes=60,
                  granularity=timedelta(hours=1)) == grid("2026-10-24T23:00", "2026-10-25T02:00", 60)


def test_night_shifts_cross_midnight() -> None:
    nurse = AttendeeCalendar("n@example.com", WorkingHours("UTC", {0: ((time(22), time(6)),)}))
    assert starts([nurse], "2026-03-02", "2026-03-04", minutes=480, granularity=timedelta(hours=1)) == [
        utc("2026-03-02T22:00")]


def test_starts_are_on_the_organizers_wall_clock_grid() -> None:
    kathmandu = person("org@example.com", "Asia/Kathmandu", hours=(time(9), time(12)))  # UTC+05:45
    found = starts([kathmandu], "2026-03-02", "2026-03-03", granularity=timedelta(minutes=30))
    local = [moment.astimezone(ZoneInfo("Asia/Kathmandu")) for moment in found]
    assert [f"{moment:%H:%M}" for moment in local] == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]


# -- busy time --------------------------------------------------------------------------------------------


def test_recurring_feed_with_exceptions_drives_the_free_time() -> None:
    feed = (DATA / "google_recurring.ics").read_bytes()
    window = {"start": utc("2026-03-30"), "end": utc("2026-04-04")}
    ana = AttendeeCalendar("ana@example.com", WorkingHours(BERLIN),
                           tuple(parse_busy(feed, **window, tz=BERLIN, owner_email="ana@example.com")))
    found = set(starts([ana], "2026-03-30", "2026-04-04", buffer=timedelta(0), tentative_is_busy=False))
    # The 1:1 moved from Monday 10:00 to Tuesday 15:00 CEST: Monday 08:00Z is free, Tuesday 13:00Z is not.
    assert utc("2026-03-30T08:15") in found and utc("2026-03-31T13:00") not in found
    assert utc("2026-03-31T12:30") in found and utc("2026-03-31T13:30") in found
    # The standup at 10:00 CEST (08:00Z) blocks 07:45 and 08:00 starts every day.
    assert not {utc("2026-04-01T07:45"), utc("2026-04-01T08:00")} & found
    # The all hands Ana declined leaves Wednesday 09:00Z free; the unanswered coffee chat (tentative) too.
    assert utc("2026-04-01T09:00") in found and utc("2026-04-01T12:00") in found
    # Good Friday is transparent (free); 3 April still has slots.
    assert any(moment.date() == date(2026, 4, 3) for moment in found)


def test_an_opaque_all_day_event_blocks_the_whole_local_day() -> None:
    feed = (DATA / "google_recurring.ics").read_bytes()
    ana = AttendeeCalendar("ana@example.com", WorkingHours(BERLIN),
                           tuple(parse_busy(feed, start=utc("2026-03-23"), end=utc("2026-03-28"), tz=BERLIN)))
    found = starts([ana], "2026-03-23", "2026-03-28")
    assert {moment.date() for moment in found} == {date(2026, 3, 23), date(2026, 3, 24), date(2026, 3, 25)}


def test_tentative_is_busy_unless_told_otherwise() -> None:
    ben = person("ben@example.com", "UTC", busy("2026-03-02T09:00", "2026-03-02T16:00", tentative=True))
    assert starts([ben], "2026-03-02", "2026-03-03", buffer=timedelta(0)) == grid("2026-03-02T16:00",
                                                                                  "2026-03-02T16:30")
    assert starts([ben], "2026-03-02", "2026-03-03", tentative_is_busy=False) == grid("2026-03-02T09:00",
                                                                                      "2026-03-02T16:30")


def test_overlapping_attendees_block_the_union_of_their_busy_time() -> None:
    team = [person("a@example.com", "UTC", busy("2026-03-02T09:00", "2026-03-02T11:00")),
            person("b@example.com", "UTC", busy("2026-03-02T10:30", "2026-03-02T13:00"),
                   busy("2026-03-02T12:00", "2026-03-02T12:30")),
            person("c@example.com", "UTC", busy("2026-03-02T15:00", "2026-03-02T17:00"))]
    assert starts(team, "2026-03-02", "2026-03-03", buffer=timedelta(0)) == grid("2026-03-02T13:00",
                                                                                 "2026-03-02T14:30")


def test_buffer_keeps_space_around_each_busy_block() -> None:
    ann = person("ann@example.com", "UTC", busy("2026-03-02T10:00", "2026-03-02T11:00"))
    found = starts([ann], "2026-03-02", "2026-03-02T13:00", buffer=timedelta(minutes=15))
    before = [utc("2026-03-02T09:00"), utc("2026-03-02T09:15")]  # ends 09:45, 15 minutes before 10:00
    assert found == [*before, *grid("2026-03-02T11:15", "2026-03-02T12:30")]


def test_min_notice_counts_from_now_and_rounds_up_to_the_grid() -> None:
    now = utc("2026-03-02T09:07")
    found = starts([person("a@example.com")], "2026-03-02", "2026-03-03", now=now)
    assert found[0] == utc("2026-03-02T11:15")
    assert starts([person("a@example.com")], "2026-03-02", "2026-03-03", now=now,
                  min_notice=timedelta(0))[0] == utc("2026-03-02T09:15")


def test_slots_fit_inside_the_window() -> None:
    found = starts([person("a@example.com")], "2026-03-02T10:10", "2026-03-02T11:00", minutes=30)
    assert found == [utc("2026-03-02T10:15"), utc("2026-03-02T10:30")]


# -- the per-day cap --------------------------------------------------------------------------------------


def meetings(day: str, count: int, *, minutes: int = 30) -> list[Busy]:
    first = utc(f"{day}T09:00")
    length = timedelta(minutes=minutes)
    return [Busy(first + timedelta(hours=n), first + timedelta(hours=n) + length) for n in range(count)]


def test_a_day_with_four_meetings_offers_nothing_more() -> None:
    full = person("a@example.com", "UTC", *meetings("2026-03-03", 4))
    three = person("a@example.com", "UTC", *meetings("2026-03-03", 3))
    assert not starts([full], "2026-03-03", "2026-03-04")
    assert starts([three], "2026-03-03", "2026-03-04")
    assert starts([full], "2026-03-03", "2026-03-04", max_meetings_per_day=5)


def test_all_day_and_long_blocks_do_not_count_as_meetings() -> None:
    all_day = busy("2026-03-03T00:00", "2026-03-04T00:00")
    focus = busy("2026-03-04T09:00", "2026-03-04T13:00")  # four hours: a block, not a meeting
    ann = person("a@example.com", "UTC", *meetings("2026-03-04", 3, minutes=30)[1:], all_day, focus)
    assert not starts([ann], "2026-03-03", "2026-03-04")  # blocked by the all-day event itself
    assert starts([ann], "2026-03-04", "2026-03-05")  # 2 meetings + a long block: under the cap


def test_the_cap_counts_days_in_the_attendees_zone() -> None:
    # Four evening meetings in New York on Monday 2 March are on Tuesday in UTC.
    evening = [busy(f"2026-03-03T{hour:02d}:00", f"2026-03-03T{hour:02d}:30") for hour in (0, 1, 2, 3)]
    dev = person("dev@example.com", NEW_YORK, *evening, hours=(time(7), time(21)))
    assert not [m for m in starts([dev], "2026-03-02", "2026-03-03") if m >= utc("2026-03-02T12:00")]
    assert starts([dev], "2026-03-03T12:00", "2026-03-04")


def test_tentative_meetings_do_not_count_when_tentative_is_free() -> None:
    maybe = [Busy(b.start, b.end, tentative=True) for b in meetings("2026-03-03", 4)]
    ann = person("a@example.com", "UTC", *maybe)
    assert not starts([ann], "2026-03-03", "2026-03-04")
    assert starts([ann], "2026-03-03", "2026-03-04", tentative_is_busy=False)


# -- choosing which slots to offer ------------------------------------------------------------------------


def test_eight_slots_spread_over_the_days_at_varied_times() -> None:
    offered = find_slots([person("a@example.com", BERLIN)], window_start=utc("2026-03-01T23:00"),
                         window_end=utc("2026-03-06T23:00"), duration=timedelta(minutes=30), now=EARLY)
    assert len(offered) == 8 and offered == sorted(offered)
    per_day = Counter(moment.date() for moment in offered)
    assert len(per_day) == 5 and max(per_day.values()) == 2
    local_times = {f"{moment.astimezone(ZoneInfo(BERLIN)):%H:%M}" for moment in offered}
    assert len(local_times) >= 5
    assert "09:00" in local_times and "16:30" in local_times  # the soonest start, then the far end of the day
    for day in per_day:
        same_day = [moment for moment in offered if moment.date() == day]
        assert all(abs(a - b) >= timedelta(hours=2) for a in same_day for b in same_day if a != b)


def test_spread_prefers_new_days_over_a_second_slot_on_one_day() -> None:
    free = [*grid("2026-03-02T09:00", "2026-03-02T16:30"), utc("2026-03-03T10:00"), utc("2026-03-04T15:00")]
    offered = spread_across_days(free, count=3, zone=ZoneInfo("UTC"))
    assert offered == [utc("2026-03-02T09:00"), utc("2026-03-03T10:00"), utc("2026-03-04T15:00")]


def test_fewer_free_starts_than_asked_offers_them_all() -> None:
    free = [utc("2026-03-02T09:00"), utc("2026-03-02T09:15")]
    assert spread_across_days(free, count=8, zone=ZoneInfo("UTC")) == free
    assert spread_across_days(free, count=0, zone=ZoneInfo("UTC")) == []


def test_is_free_checks_one_offered_slot_again() -> None:
    ann = person("a@example.com")
    rules = SlotRules(now=EARLY, duration=timedelta(minutes=30))
    assert is_free([ann], utc("2026-03-02T10:00"), rules)
    taken = person("a@example.com", "UTC", busy("2026-03-02T10:20", "2026-03-02T10:40"))
    assert not is_free([taken], utc("2026-03-02T10:00"), rules)
    assert not is_free([ann], utc("2026-03-02T16:45"), rules)  # runs past 17:00


# -- agreement with the minute-by-minute oracle -----------------------------------------------------------


@pytest.mark.parametrize("seed", range(1, 9))  # seed 0 leaves no common time
def test_interval_search_matches_the_naive_minute_walk(seed: int) -> None:
    rng = random.Random(seed)
    zones = [BERLIN, "Europe/London", NEW_YORK, "UTC"]
    window_start = utc("2026-03-26") + timedelta(days=rng.randrange(3))  # around Berlin's switch
    window_end = window_start + timedelta(days=4)
    team = []
    for index in range(3):
        blocks = []
        for _ in range(rng.randrange(3, 9)):
            daytime = timedelta(minutes=5 * rng.randrange(72, 240))  # 06:00-20:00 UTC
            start = window_start + timedelta(days=rng.randrange(4)) + daytime
            minutes = rng.choice((15, 25, 30, 45, 60, 90, 300, 1440))
            blocks.append(Busy(start, start + timedelta(minutes=minutes), tentative=rng.random() < 0.2))
        opening = time(rng.choice((6, 7, 8, 9)), rng.choice((0, 30)))
        zone = zones[(seed + index) % 4]
        team.append(person(f"p{index}@example.com", zone, *blocks, hours=(opening, time(18)), days=range(7)))
    rules = SlotRules(now=window_start + timedelta(hours=rng.randrange(30)), duration=timedelta(minutes=45),
                      buffer=timedelta(minutes=rng.choice((0, 10, 15))),
                      max_meetings_per_day=rng.choice((3, 4, 6)), tentative_is_busy=seed % 2 == 0)
    fast = free_starts(team, window_start=window_start, window_end=window_end, rules=rules)
    assert fast, "a test calendar with no free time proves little"
    assert fast == naive_free_starts(team, window_start=window_start, window_end=window_end, rules=rules)


# -- building blocks and validation -----------------------------------------------------------------------


def test_interval_arithmetic() -> None:
    assert merge([(5, 7), (1, 3), (2, 4), (7, 8), (10, 10)]) == [(1, 4), (5, 8)]
    assert intersect([(0, 5), (8, 12)], [(3, 9), (11, 20)]) == [(3, 5), (8, 9), (11, 12)]
    assert subtract([(0, 10), (20, 30)], [(2, 3), (5, 22), (25, 26), (29, 40)]) == [(0, 2), (3, 5), (22, 25),
                                                                                    (26, 29)]
    assert subtract([(0, 10)], []) == [(0, 10)] and subtract([], [(0, 1)]) == []


def test_bad_settings_are_refused_with_a_sentence() -> None:
    with pytest.raises(ConfigError, match="not a time zone"):
        WorkingHours("Mars/Olympus_Mons")
    with pytest.raises(ConfigError, match="weekdays 0"):
        WorkingHours("UTC", {7: ((time(9), time(17)),)})
    with pytest.raises(ValueError, match="timezone-aware"):
        Busy(datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="duration"):
        SlotRules(now=EARLY, duration=timedelta(0))
    with pytest.raises(ValueError, match="at least one attendee"):
        find_slots([], window_start=utc("2026-03-02"), window_end=utc("2026-03-03"),
                   duration=timedelta(minutes=30), now=EARLY)


def test_default_working_hours_are_nine_to_five_on_weekdays() -> None:
    hours = WorkingHours()
    assert hours.timezone == "UTC" and set(hours.days) == {0, 1, 2, 3, 4}
    assert hours.days[0] == ((time(9), time(17)),)
    assert hours == WorkingHours("UTC", every_weekday())
