"""The timing rules for a meeting's jobs: when follow-ups and the day-of reminder go out (or why one cannot),
and who must hear of a cancellation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.jobs import JobKind, JobState
from scheduler.meetings.times import format_duration
from store.meeting_models import ScheduledJob


def followup_times(base: datetime, delays_days: Sequence[float], window_end: datetime, *, lead: timedelta,
                   min_gap: timedelta) -> list[datetime]:
    """When follow-ups go out: `delays_days` after `base` (at most 4), none later than `lead` before the
    window ends; one clamped to within `min_gap` of the previous is dropped, as is one that no longer fits."""
    limit = window_end - lead
    times: list[datetime] = []
    for days in sorted(delays_days)[:4]:
        due = min(base + timedelta(days=days), limit)
        if due <= base or (times and due - times[-1] < min_gap):
            continue
        times.append(due)
    return times


def dayof_reminder_time(start: datetime, *, zone: ZoneInfo, hour: int, now: datetime
                        ) -> tuple[datetime, str | None]:
    """The reminder's due time (`hour`:00 on the meeting's day in `zone`) and, when it cannot be sent, why."""
    local_start = start.astimezone(zone)
    due = datetime.combine(local_start.date(), time(hour), tzinfo=zone).astimezone(UTC)
    clock = f"{hour:02d}:00"
    if due >= start:
        return due, (f"The meeting starts at {local_start:%H:%M} ({zone.key}), before the {clock} reminder "
                     "time, so there is no day-of reminder.")
    if due <= now:
        return due, (f"Booked {format_duration(start - now)} before the meeting, after the {clock} reminder "
                     f"time ({zone.key}): too late for a day-of reminder.")
    return due, None


def contacted(jobs: Sequence[ScheduledJob], *, calendar_only: bool) -> list[str]:
    """Who got (or may be getting) a request or an invitation, so a cancellation reaches exactly them."""
    kinds = {JobKind.INVITE_EMAIL, JobKind.UPDATE_EMAIL}
    if not calendar_only:
        kinds |= {JobKind.REQUEST_EMAIL, JobKind.FOLLOWUP_EMAIL}
    told = [str(job.payload.get("to")) for job in jobs
            if job.kind in kinds and job.state in (JobState.DONE, JobState.RUNNING) and job.payload.get("to")]
    return list(dict.fromkeys(told))


__all__ = ["contacted", "dayof_reminder_time", "followup_times"]
