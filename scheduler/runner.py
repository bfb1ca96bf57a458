"""Keeps time for the job dispatcher in each hirebot process.

APScheduler 3 must not share a job store between processes (its FAQ: duplicate or missed runs), so the
durable truth is the `scheduled_jobs` table and APScheduler only decides *when this process looks*: a
one-shot wake-up at the earliest due row, re-armed after every run, plus a periodic safety tick that
catches rows planned by other processes (or a wake-up lost to a crash). It also hosts other periodic
work of the process (completing past meetings, later digests and retention).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.jobs import JobDispatcher
from store.models import utcnow

log = logging.getLogger(__name__)

DEFAULT_TICK = timedelta(seconds=60)
MAX_ROUNDS_PER_WAKE = 50  # a backlog is worked in batches; after this many the tick takes over


class DispatchRunner:
    """Runs `dispatcher.run_due()` when the earliest job is due and on every safety tick, never twice at
    once."""

    WAKE_JOB = "scheduled-jobs-wake"
    TICK_JOB = "scheduled-jobs-tick"

    def __init__(self, dispatcher: JobDispatcher, *, tick: timedelta = DEFAULT_TICK,
                 clock: Callable[[], datetime] = utcnow, scheduler: AsyncIOScheduler | None = None) -> None:
        self.dispatcher = dispatcher
        self.tick = tick
        self.clock = clock  # APScheduler fires on the wall clock; in production this is the same clock
        self.scheduler = scheduler or AsyncIOScheduler(
            jobstores={"default": MemoryJobStore()}, timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        self._running = asyncio.Lock()
        self._tasks: set[asyncio.Task[int]] = set()

    def start(self, *, paused: bool = False) -> None:
        """Start on the running event loop; the first look is immediate (catching up after downtime)."""
        self.scheduler.add_job(self._launch, IntervalTrigger(seconds=self.tick.total_seconds(), timezone=UTC),
                               id=self.TICK_JOB, replace_existing=True)
        self._arm(self.clock())
        if not self.scheduler.running:
            self.scheduler.start(paused=paused)

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def aclose(self) -> None:
        """Stop waking, and let a run already under way finish, so no job is cut off mid-send."""
        self.shutdown()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def wake(self) -> int:
        """Run everything due (batch after batch), then re-arm the wake-up; returns how many jobs ran."""
        ran = 0
        async with self._running:
            try:
                for _ in range(MAX_ROUNDS_PER_WAKE):
                    count = await self.dispatcher.run_due()
                    ran += count
                    if count < self.dispatcher.batch:
                        break
                upcoming = await asyncio.to_thread(self.dispatcher.next_due)
            except Exception as exc:  # the database may be briefly away; the tick tries again
                log.warning("Running scheduled jobs failed: %s", type(exc).__name__)
                return ran
        if upcoming is not None:
            self._arm(upcoming)
        return ran

    def nudge(self, due: datetime) -> None:
        """A job due at `due` was just planned here: wake for it if that is sooner than the armed wake-up.
        Safe to call from any thread."""
        current = self.wake_time()
        if current is None or due < current:
            self._arm(due)

    def wake_time(self) -> datetime | None:
        job = self.scheduler.get_job(self.WAKE_JOB)
        return None if job is None else getattr(job, "next_run_time", None) or job.trigger.run_date

    def add_periodic(self, func: Callable[[], Awaitable[Any]], *, every: timedelta, job_id: str,
                     jitter: float | None = None) -> None:
        """Another periodic task of this process (e.g. completing past meetings)."""
        trigger = IntervalTrigger(seconds=every.total_seconds(), jitter=jitter, timezone=UTC)
        self.scheduler.add_job(func, trigger, id=job_id, replace_existing=True)

    async def _launch(self) -> None:
        """What APScheduler runs: start a wake-up and return at once. A wake-up re-arms itself before it
        ends; were APScheduler to run `wake` itself, that re-armed run would overlap the running one and be
        dropped (max_instances), leaving the next job to the safety tick."""
        task = asyncio.create_task(self.wake())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _arm(self, when: datetime) -> None:
        run_at = max(when, self.clock())
        self.scheduler.add_job(self._launch, DateTrigger(run_date=run_at, timezone=UTC), id=self.WAKE_JOB,
                               replace_existing=True)
