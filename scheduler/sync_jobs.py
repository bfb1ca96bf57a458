"""Polling, the safety net under webhooks: each connection synced incrementally every few minutes and
reconciled in full about once a day, by exactly one hirebot process at a time.

APScheduler 3 (in-memory job store, one per process) only keeps time. It must not share a job store
between processes (its FAQ: duplicate or missed runs), so processes coordinate in the database instead: a
process syncs a connection only while it holds that connection's lease (`store.leases`: `sync_lease_owner`,
`sync_lease_until`), taken by one conditional UPDATE that only one process can win. The lease is renewed
while the sync runs and released after it; the lease of a crashed process simply runs out. On SQLite there
is a single process, and the same lease keeps its poll, reconcile and webhook-triggered syncs apart.

With several processes every one of them schedules every connection; a run that finds the connection
synced recently by someone else skips it ("fresh"), so the ATS sees one poll per interval, not one per
process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import httpx
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import AtsAdapter
from adapters.errors import ConfigError
from adapters.http import default_http_client
from store.db import transaction
from store.leases import process_owner, release_lease, renew_lease, take_lease
from store.models import AtsConnection, WebhookDelivery, utcnow
from store.sync import failure_message, sync_connection

log = logging.getLogger(__name__)

DEFAULT_SYNC_INTERVAL = 300.0
DEFAULT_RECONCILE_INTERVAL = 86_400.0
JITTER_SHARE = 0.1  # each run moves by up to ±10 % of its interval, so connections drift apart
REFRESH_INTERVAL = 60.0  # how soon a new or removed connection gets (or loses) its jobs
STARTUP_SPREAD = 30.0  # overdue connections start within this many seconds of each other, not at once
FRESH_SHARE = 0.5  # a run within half an interval of the last good one is skipped
LEASE_SECONDS = 900.0
DELIVERY_RETENTION = timedelta(days=3)  # Greenhouse retries for ~15 h; replays older than that are stale
PRUNE_INTERVAL = 3600.0
MIN_INTERVAL = 10.0

AdapterFactory = Callable[[AtsConnection, httpx.AsyncClient], AtsAdapter]
ClientFactory = Callable[[], httpx.AsyncClient]
Sleep = Callable[[float], Awaitable[None]]


class SyncTrigger(StrEnum):
    POLL = "poll"
    RECONCILE = "reconcile"
    WEBHOOK = "webhook"


class SyncOutcome(StrEnum):
    OK = "ok"
    FAILED = "failed"  # the sync engine recorded why in the connection's last_error
    BUSY = "busy"  # another run (here or in another process) holds the lease
    FRESH = "fresh"  # synced recently enough by someone else; skipped
    GONE = "gone"  # the connection was removed or deactivated


@dataclass(frozen=True)
class SyncSchedule:
    """How often to poll and reconcile; read from HIREBOT_SYNC_INTERVAL / HIREBOT_RECONCILE_INTERVAL."""

    interval: float = DEFAULT_SYNC_INTERVAL
    reconcile_interval: float = DEFAULT_RECONCILE_INTERVAL
    jitter_share: float = JITTER_SHARE
    refresh_interval: float = REFRESH_INTERVAL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> SyncSchedule:
        return cls(
            interval=_seconds(environ, "HIREBOT_SYNC_INTERVAL", DEFAULT_SYNC_INTERVAL),
            reconcile_interval=_seconds(environ, "HIREBOT_RECONCILE_INTERVAL", DEFAULT_RECONCILE_INTERVAL))


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}.") from None
    if not MIN_INTERVAL <= value < 10 * 365 * 86_400:
        raise ConfigError(f"{name} must be at least {MIN_INTERVAL:g} seconds, got {raw!r}.")
    return value


# -- housekeeping ----------------------------------------------------------------------------------------


def prune_webhook_deliveries(sessions: sessionmaker[Session], *, before: datetime) -> int:
    """Forget deliveries older than any retry or accepted replay; returns how many rows went."""
    with transaction(sessions) as session:
        result = session.execute(delete(WebhookDelivery).where(WebhookDelivery.received_at < before))
        return result.rowcount or 0  # type: ignore[attr-defined]


# -- one sync under the lease ------------------------------------------------------------------------------


class ConnectionSyncer:
    """Runs one sync of one connection while holding its lease, and counts outcomes for /metrics.

    Never raises for a failed sync: the failure is in the connection's `last_error` and the outcome.
    """

    def __init__(self, sessions: sessionmaker[Session], adapter_factory: AdapterFactory, *,
                 client_factory: ClientFactory = default_http_client, owner: str | None = None,
                 lease_seconds: float = LEASE_SECONDS, now: Callable[[], datetime] = utcnow,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.sessions = sessions
        self.adapter_factory = adapter_factory
        self.client_factory = client_factory
        self.owner = owner or process_owner()
        self.lease_seconds = lease_seconds
        self.now = now
        self.sleep = sleep
        self.outcomes: Counter[tuple[str, str]] = Counter()  # (trigger, outcome) → runs

    async def sync(self, connection_id: int, *, trigger: SyncTrigger, full: bool = False,
                   fresh_within: timedelta | None = None) -> SyncOutcome:
        try:
            outcome = await self._sync(connection_id, trigger=trigger, full=full, fresh_within=fresh_within)
        except Exception as exc:  # the database itself failed (taking or releasing the lease): try next time
            log.warning("%s sync of connection %s could not run: %s", trigger.value.capitalize(),
                        connection_id, type(exc).__name__)
            outcome = SyncOutcome.FAILED
        self.outcomes[(trigger.value, outcome.value)] += 1
        return outcome

    async def _sync(self, connection_id: int, *, trigger: SyncTrigger, full: bool,
                    fresh_within: timedelta | None) -> SyncOutcome:
        taken = await asyncio.to_thread(take_lease, self.sessions, connection_id, self.owner, now=self.now(),
                                        seconds=self.lease_seconds)
        if not taken:
            return SyncOutcome.GONE if await asyncio.to_thread(self._connection, connection_id) is None \
                else SyncOutcome.BUSY
        keeper = asyncio.create_task(self._keep_lease(connection_id))
        try:
            # Read after the lease is ours: another process may have just finished this very sync.
            connection = await asyncio.to_thread(self._connection, connection_id)
            if connection is None:
                return SyncOutcome.GONE
            if fresh_within is not None and self._fresh(connection, full, fresh_within):
                return SyncOutcome.FRESH
            await self._run(connection, full=full)
            return SyncOutcome.OK
        except Exception as exc:
            log.warning("%s sync of connection %s failed: %s", trigger.value.capitalize(), connection_id,
                        type(exc).__name__)
            return SyncOutcome.FAILED
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            await asyncio.to_thread(release_lease, self.sessions, connection_id, self.owner)

    async def _run(self, connection: AtsConnection, *, full: bool) -> None:
        async with self.client_factory() as client:
            try:
                adapter = self.adapter_factory(connection, client)
            except Exception as exc:  # e.g. credentials that no longer decrypt: say so on the connection
                await asyncio.to_thread(self._record_failure, connection.id, failure_message("starting", exc))
                raise
            await sync_connection(self.sessions, connection.id, adapter, full=full, now=self.now)

    def _fresh(self, connection: AtsConnection, full: bool, within: timedelta) -> bool:
        last = connection.last_full_sync_at if full else connection.last_sync_at
        return last is not None and self.now() - last < within

    async def _keep_lease(self, connection_id: int) -> None:
        while True:
            await self.sleep(self.lease_seconds / 3)
            try:
                renewed = await asyncio.to_thread(renew_lease, self.sessions, connection_id, self.owner,
                                                  now=self.now(), seconds=self.lease_seconds)
            except Exception as exc:  # the database blinked; two more tries before the lease runs out
                log.warning("Could not renew the sync lease of connection %s: %s", connection_id,
                            type(exc).__name__)
                continue
            if not renewed:
                log.warning("Lost the sync lease of connection %s; another process may sync it too",
                            connection_id)
                return

    def _connection(self, connection_id: int) -> AtsConnection | None:
        with self.sessions() as session:
            connection = session.get(AtsConnection, connection_id)
            return connection if connection is not None and connection.is_active else None

    def _record_failure(self, connection_id: int, message: str) -> None:
        with transaction(self.sessions) as session:
            session.execute(update(AtsConnection).where(AtsConnection.id == connection_id)
                            .values(last_error=message))


# -- the scheduler -------------------------------------------------------------------------------------------


class SyncScheduler:
    """Keeps one poll job and one reconcile job per active connection in an in-memory APScheduler."""

    REFRESH_JOB = "sync-refresh-connections"
    PRUNE_JOB = "webhook-deliveries-prune"

    def __init__(self, syncer: ConnectionSyncer, schedule: SyncSchedule | None = None, *,
                 rng: random.Random | None = None, now: Callable[[], datetime] = utcnow) -> None:
        self.syncer = syncer
        self.schedule = schedule or SyncSchedule()
        self.rng = rng or random.Random()
        self.now = now  # APScheduler fires on the wall clock; this must be the same clock in production
        self.scheduler = AsyncIOScheduler(jobstores={"default": MemoryJobStore()}, timezone=UTC,
                                          job_defaults={"coalesce": True, "max_instances": 1})

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.syncer.sessions

    def start(self, *, paused: bool = False) -> None:
        """Start on the running event loop; connections get their jobs at once, then on every refresh."""
        now = self.now()
        self.scheduler.add_job(self.refresh_jobs, IntervalTrigger(seconds=self.schedule.refresh_interval,
                                                                  start_date=now, timezone=UTC),
                               id=self.REFRESH_JOB, next_run_time=now, replace_existing=True)
        self.scheduler.add_job(self.prune_deliveries, IntervalTrigger(seconds=PRUNE_INTERVAL, timezone=UTC),
                               id=self.PRUNE_JOB, replace_existing=True)
        self.scheduler.start(paused=paused)

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def poll(self, connection_id: int) -> SyncOutcome:
        within = timedelta(seconds=self.schedule.interval * FRESH_SHARE)
        return await self.syncer.sync(connection_id, trigger=SyncTrigger.POLL, fresh_within=within)

    async def reconcile(self, connection_id: int) -> SyncOutcome:
        within = timedelta(seconds=self.schedule.reconcile_interval * FRESH_SHARE)
        return await self.syncer.sync(connection_id, trigger=SyncTrigger.RECONCILE, full=True,
                                      fresh_within=within)

    async def refresh_jobs(self) -> None:
        """Give new connections their jobs and drop the jobs of removed or deactivated ones."""
        try:
            rows = await asyncio.to_thread(self._active_connections)
        except Exception as exc:  # the database may be briefly away; the next refresh tries again
            log.warning("Could not read the connection list for sync jobs: %s", type(exc).__name__)
            return
        wanted = {connection_id for connection_id, _, _ in rows}
        for job in self.scheduler.get_jobs():
            kind, _, raw_id = job.id.partition(":")
            if kind in ("sync-poll", "sync-reconcile") and int(raw_id) not in wanted:
                job.remove()
        for connection_id, last_sync, last_full in rows:
            self._ensure_job("sync-poll", connection_id, self.poll, self.schedule.interval, last_sync)
            self._ensure_job("sync-reconcile", connection_id, self.reconcile,
                             self.schedule.reconcile_interval, last_full)

    async def prune_deliveries(self) -> int:
        try:
            return await asyncio.to_thread(prune_webhook_deliveries, self.sessions,
                                           before=self.now() - DELIVERY_RETENTION)
        except Exception as exc:
            log.warning("Could not prune old webhook deliveries: %s", type(exc).__name__)
            return 0

    def job_ids(self) -> set[str]:
        return {job.id for job in self.scheduler.get_jobs()}

    def _ensure_job(self, kind: str, connection_id: int, run: Callable[[int], Awaitable[SyncOutcome]],
                    interval: float, last: datetime | None) -> None:
        job_id = f"{kind}:{connection_id}"
        if self.scheduler.get_job(job_id) is not None:
            return
        trigger = IntervalTrigger(seconds=interval, jitter=interval * self.schedule.jitter_share,
                                  start_date=self.first_run(interval, last), timezone=UTC)
        self.scheduler.add_job(run, trigger, args=[connection_id], id=job_id,
                               misfire_grace_time=max(1, int(interval)))

    def first_run(self, interval: float, last: datetime | None) -> datetime:
        """First firing: an interval after the last run, or soon (spread out) when that is overdue."""
        soon = self.now() + timedelta(seconds=self.rng.uniform(0, min(interval, STARTUP_SPREAD)))
        if last is None:
            return soon
        return max(soon, last + timedelta(seconds=interval))

    def _active_connections(self) -> list[tuple[int, datetime | None, datetime | None]]:
        with self.sessions() as session:
            query = (select(AtsConnection.id, AtsConnection.last_sync_at, AtsConnection.last_full_sync_at)
                     .where(AtsConnection.is_active.is_(True)).order_by(AtsConnection.id))
            return [(row.id, row.last_sync_at, row.last_full_sync_at) for row in session.execute(query)]


__all__ = [
    "ConnectionSyncer", "SyncOutcome", "SyncSchedule", "SyncScheduler", "SyncTrigger",
    "process_owner", "prune_webhook_deliveries", "release_lease", "renew_lease", "take_lease",
]
