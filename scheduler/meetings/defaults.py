"""The workspace-wide scheduling knobs (slot search, follow-up timing, link validity); each person's own
preferences are in `scheduler.user_settings`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class SchedulingDefaults:
    """Workspace-wide knobs; per-user preferences are in `scheduler.user_settings`."""

    slot_count: int = 8
    business_days: int = 5
    granularity: timedelta = timedelta(minutes=15)
    min_notice: timedelta = timedelta(hours=2)
    buffer: timedelta = timedelta(minutes=15)
    max_meetings_per_day: int = 4
    tentative_is_busy: bool = True
    link_validity_after: timedelta = timedelta(days=1)  # links work until the window (or meeting) ends + this
    followup_lead: timedelta = timedelta(hours=12)  # the last follow-up goes out at least this before the end
    # A follow-up clamped to within this of the previous one is dropped.
    followup_min_gap: timedelta = timedelta(hours=12)
    notice_after_last_followup: timedelta = timedelta(days=1)


__all__ = ["SchedulingDefaults"]
