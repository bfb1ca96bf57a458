"""A controllable clock for the fakes and adapters in tests: no test waits on the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime


class EpochClock:
    """Seconds since the epoch (`clock()`), as fakes and adapters read time; `moment()` gives the datetime.

    It moves only when code sleeps through `sleep` (recorded in `sleeps`) or a test calls `advance`.
    """

    def __init__(self, start: datetime | float) -> None:
        self.now = start.timestamp() if isinstance(start, datetime) else float(start)
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        self.now += seconds
