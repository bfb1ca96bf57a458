"""Finding times that suit everyone: each internal attendee's busy time (meetings hirebot holds plus their own
calendar feed) within their working hours, searched with the workspace's slot rules. A feed that cannot be
read becomes a warning, and the search goes on without it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import HirebotError
from scheduler.availability import (
    AttendeeCalendar,
    Busy,
    SlotRules,
    WorkingHours,
    free_starts,
    is_free,
    spread_across_days,
    waking_hours,
)
from scheduler.ics_feed import FeedCache
from scheduler.meetings.defaults import SchedulingDefaults
from scheduler.meetings.states import MeetingState
from scheduler.meetings.views import AttendeeRef
from scheduler.user_settings import SchedulingSettings
from scheduler.window import parse_window
from store.meeting_models import Meeting, MeetingAttendee

log = logging.getLogger(__name__)
_S = MeetingState
FALLBACKS = 3
"""How many nearby times are offered when the one time the organizer named is taken."""


@dataclass(frozen=True)
class Invitee:
    """An internal attendee with what the slot search needs about them."""

    ref: AttendeeRef
    settings: SchedulingSettings

    @property
    def hours(self) -> WorkingHours:
        return self.settings.hours


@dataclass(frozen=True)
class MeetingSnapshot:
    """What the async steps (reading calendars) need, read before the writing transaction."""

    id: int
    workspace_id: int
    state: MeetingState
    slots: tuple[datetime, ...]
    booked_start: datetime | None
    duration: timedelta
    window_start: datetime
    window_end: datetime
    timezone: str
    invitees: tuple[Invitee, ...] = field(default=())
    candidate_timezone: str | None = None
    min_notice: timedelta | None = None
    preferred: WorkingHours | None = None  # the time of day the candidate last asked for


class SlotSearch:
    """Free times for a meeting's internal attendees, from the store and their calendar feeds."""

    def __init__(self, sessions: sessionmaker[Session], *, defaults: SchedulingDefaults, feeds: FeedCache,
                 client_factory: Callable[[], httpx.AsyncClient], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.defaults = defaults
        self.feeds = feeds
        self.client_factory = client_factory
        self.clock = clock

    async def calendars(self, workspace_id: int, invitees: Sequence[Invitee], start: datetime,
                         end: datetime, *, exclude: int | None
                         ) -> tuple[list[AttendeeCalendar], tuple[str, ...]]:
        """Busy time per attendee: meetings hirebot holds plus their ICS feed. A feed that fails becomes a
        warning; the search goes on without it."""
        emails = [invitee.ref.email for invitee in invitees]
        held = await asyncio.to_thread(self._held_busy, workspace_id, emails, start, end, exclude)
        feeds = [invitee for invitee in invitees if invitee.settings.ics_feed_url]
        warnings = [f"{invitee.ref.label}'s calendar feed can't be read with the current secret key; ask "
                    "them to paste it again." for invitee in invitees if invitee.settings.feed_unreadable]
        fetched: dict[str, list[Busy]] = {}
        if feeds:
            async with self.client_factory() as client:
                results = await asyncio.gather(
                    *(self._feed_busy(client, invitee, start, end) for invitee in feeds),
                    return_exceptions=True)
            for invitee, result in zip(feeds, results, strict=True):
                if isinstance(result, BaseException):
                    warnings.append(feed_warning(invitee.ref, result))
                else:
                    fetched[invitee.ref.email] = result
        calendars = [AttendeeCalendar(email=invitee.ref.email, hours=invitee.hours,
                                      busy=tuple(held.get(invitee.ref.email, [])) +
                                      tuple(fetched.get(invitee.ref.email, [])))
                     for invitee in invitees]
        return calendars, tuple(warnings)

    async def _feed_busy(self, client: httpx.AsyncClient, invitee: Invitee, start: datetime,
                         end: datetime) -> list[Busy]:
        assert invitee.settings.ics_feed_url is not None
        return await self.feeds.busy(invitee.settings.ics_feed_url, client, start=start - timedelta(days=1),
                                     end=end + timedelta(days=1), tz=invitee.settings.timezone,
                                     owner_email=invitee.ref.email)

    def _held_busy(self, workspace_id: int, emails: Sequence[str], start: datetime, end: datetime,
                   exclude: int | None) -> dict[str, list[Busy]]:
        """Booked meetings (other than `exclude`) of these people, as busy time, by email."""
        # A day on each side, so the per-day meeting cap counts whole local days.
        lo, hi = start - timedelta(days=1), end + timedelta(days=1)
        query = (select(MeetingAttendee.email, Meeting.booked_start, Meeting.booked_end, Meeting.title)
                 .join(Meeting, Meeting.id == MeetingAttendee.meeting_id)
                 .where(Meeting.workspace_id == workspace_id, Meeting.state == _S.BOOKED,
                        MeetingAttendee.email.in_(list(emails)), Meeting.booked_start < hi,
                        Meeting.booked_end > lo))
        if exclude is not None:
            query = query.where(Meeting.id != exclude)
        busy: dict[str, list[Busy]] = {}
        with self.sessions() as session:
            for email, booked_start, booked_end, title in session.execute(query):
                if booked_start is not None and booked_end is not None:
                    busy.setdefault(email, []).append(Busy(start=booked_start, end=booked_end, label=title))
        return busy

    def find(self, calendars: Sequence[AttendeeCalendar], start: datetime, end: datetime,
             duration: timedelta, now: datetime, *, candidate_zone: str | None = None,
             min_notice: timedelta | None = None, preferred: WorkingHours | None = None,
             exact: datetime | None = None) -> list[datetime]:
        """Times to offer. With `candidate_zone` known, only times inside the candidate's day (about
        07:00-21:00 there); with `preferred` (the hours the candidate asked for), times inside those when
        any are free; with `exact` (the organizer named one time), that time alone when it is free, else the
        few free times nearest to it. `min_notice` is the organizer's (else the workspace default)."""
        d = self.defaults
        rules = SlotRules(now=now, duration=duration, granularity=d.granularity,
                          min_notice=d.min_notice if min_notice is None else min_notice, buffer=d.buffer,
                          max_meetings_per_day=d.max_meetings_per_day, tentative_is_busy=d.tentative_is_busy)
        # The candidate goes last: the first calendar (the organizer) sets the grid and the day spread.
        everyone = list(calendars)
        if candidate_zone is not None:
            everyone.append(AttendeeCalendar(email="candidate", hours=waking_hours(candidate_zone)))
        if preferred is not None:
            wished = self._search([*everyone, AttendeeCalendar(email="candidate-wish", hours=preferred)],
                                  start, end, rules, exact)
            if wished:
                return wished
        return self._search(everyone, start, end, rules, exact)

    def _search(self, calendars: Sequence[AttendeeCalendar], start: datetime, end: datetime, rules: SlotRules,
                exact: datetime | None) -> list[datetime]:
        if exact is not None and is_free(calendars, exact, rules):
            return [exact]
        starts = free_starts(calendars, window_start=start, window_end=end, rules=rules)
        if exact is None:
            return spread_across_days(starts, count=self.defaults.slot_count, zone=calendars[0].hours.zone)
        picked: list[datetime] = []
        for candidate in sorted(starts, key=lambda moment: (abs(moment - exact), moment)):
            if all(abs(candidate - chosen) >= rules.duration for chosen in picked):
                picked.append(candidate)
            if len(picked) == FALLBACKS:
                break
        return sorted(picked)

    async def still_free(self, snapshot: MeetingSnapshot, start: datetime) -> bool:
        end = start + snapshot.duration
        calendars, _ = await self.calendars(snapshot.workspace_id, snapshot.invitees, start, end,
                                             exclude=snapshot.id)
        d = self.defaults
        rules = SlotRules(now=self.clock(), duration=snapshot.duration, granularity=d.granularity,
                          min_notice=d.min_notice if snapshot.min_notice is None else snapshot.min_notice,
                          buffer=d.buffer,
                          max_meetings_per_day=d.max_meetings_per_day, tentative_is_busy=d.tentative_is_busy)
        return is_free(calendars, start, rules)

    async def fresh(self, snapshot: MeetingSnapshot) -> list[datetime]:
        """Times still free in what is left of the window, or in the next business days once it is over."""
        now = self.clock()
        start, end = max(snapshot.window_start, now), snapshot.window_end
        if end - start < snapshot.duration:
            start, end = parse_window(None, now=now, tz=ZoneInfo(snapshot.timezone),
                                      business_days=self.defaults.business_days)
        calendars, _ = await self.calendars(snapshot.workspace_id, snapshot.invitees, start, end,
                                             exclude=snapshot.id)
        return self.find(calendars, start, end, snapshot.duration, now, candidate_zone=snapshot.candidate_timezone,
                         min_notice=snapshot.min_notice, preferred=snapshot.preferred)


def feed_warning(person: AttendeeRef, error: BaseException) -> str:
    reason = str(error) if isinstance(error, HirebotError) else "the feed could not be read"
    if not isinstance(error, HirebotError):
        log.warning("Calendar feed of attendee failed: %s", type(error).__name__)
    return f"Couldn't read {person.label}'s calendar feed, so their own calendar isn't included: {reason}"


def overlaps(calendars: Sequence[AttendeeCalendar], start: datetime, end: datetime) -> bool:
    return any(busy.start < end and busy.end > start for calendar in calendars for busy in calendar.busy)


__all__ = ["Invitee", "MeetingSnapshot", "SlotSearch", "feed_warning", "overlaps"]
