"""The Monday the job, meeting, briefing and settings-chat tests run on, and a clock that stays where a test
puts it, so their due times line up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # a Monday


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
