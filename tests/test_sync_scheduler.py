"""The polling safety net: leases across processes, poll and reconcile runs, and the job list.

"Two processes" are two syncers with their own engines (own connection pools) and owner names against one
database; PostgreSQL is the case that matters, SQLite runs the same cases. Sync runs go to the Lever
sandbox over loopback; a sandbox request can be held open by a gate, so an overlap is certain, not timed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestServer
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import AtsAdapter, ConnectionConfig
from adapters.errors import ConfigError
from adapters.http import RetryPolicy
from adapters.lever import LeverAdapter
from adapters.sandbox.lever import SANDBOX_API_KEY, Chaos, LeverSandbox
from adapters.sandbox.lever_dataset import generate
from scheduler.sync_jobs import (
    DELIVERY_RETENTION,
    STARTUP_SPREAD,
    ConnectionSyncer,
    SyncOutcome,
    SyncSchedule,
    SyncScheduler,
    SyncTrigger,
    prune_webhook_deliveries,
)
from store.crypto import SecretBox
from store.db import make_engine, session_factory, transaction, upgrade
from store.leases import release_lease, renew_lease, take_lease
from store.models import AtsConnection, Candidate, WebhookDelivery, Workspace, utcnow
from tests.clocks import EpochClock
from tests.rigs.webhook_hub import NOW
from tests.waiting import eventually

BOX = SecretBox(Fernet.generate_key())


@dataclass
class Gate:
    """A sandbox "delay" that lasts until the test opens the gate."""

    entered: asyncio.Event = field(default_factory=asyncio.Event)
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    async def sleep(self, _seconds: float) -> None:
        self.entered.set()
        await self.opened.wait()


@dataclass
class Beats:
    """The lease keeper's sleep: each `beat()` lets it wake once and renew."""

    requested: list[float] = field(default_factory=list)
    event: asyncio.Event = field(default_factory=asyncio.Event)

    async def sleep(self, seconds: float) -> None:
        self.requested.append(seconds)
        await self.event.wait()
        self.event.clear()

    def beat(self) -> None:
        self.event.set()


@dataclass
class Setup:
    sandbox: LeverSandbox
    gate: Gate
    clock: EpochClock
    url: str
    sessions: sessionmaker[Session]
    engines: list[Engine]
    connection_id: int
    database_url: str

    def factory(self) -> Callable[[AtsConnection, httpx.AsyncClient], AtsAdapter]:
        def build(connection: AtsConnection, client: httpx.AsyncClient) -> AtsAdapter:
            config = ConnectionConfig(base_url=connection.base_url,
                                      credentials=BOX.open(connection.credentials),
                                      settings=dict(connection.settings))
            return LeverAdapter(config, client, sleep=self.clock.sleep, clock=self.clock,
                                rng=random.Random(2),
                                policy=RetryPolicy(max_attempts=2, base_delay=0.1, max_delay=0.2))
        return build

    def process(self, owner: str, **options: object) -> ConnectionSyncer:
        """A second (third...) process: its own engine and pool, its own owner name."""
        engine = make_engine(self.database_url)
        self.engines.append(engine)
        return ConnectionSyncer(session_factory(engine), self.factory(), owner=owner, now=self.clock.moment,
                                **options)  # type: ignore[arg-type]

    def stored(self) -> set[str]:
        with self.sessions() as session:
            return set(session.scalars(select(Candidate.remote_id)
                                       .where(Candidate.connection_id == self.connection_id)))

    def connection(self, connection_id: int | None = None) -> AtsConnection:
        with self.sessions() as session:
            row = session.get(AtsConnection, connection_id or self.connection_id)
            assert row is not None
            return row


def add_connection(sessions: sessionmaker[Session], base_url: str, *,
                   credentials: dict[str, str] | None = None, last_sync_at: datetime | None = None) -> int:
    with transaction(sessions) as session:
        workspace = Workspace(name="Acme", platform="test", external_id=f"W{random.getrandbits(40)}")
        session.add(workspace)
        session.flush()
        row = AtsConnection(workspace_id=workspace.id, provider="lever", name="Lever", base_url=base_url,
                            settings={"requests_per_second": 1000, "burst": 1000},
                            credentials=BOX.seal(credentials if credentials is not None else
                                                 {"api_key": SANDBOX_API_KEY}),
                            last_sync_at=last_sync_at)
        session.add(row)
        session.flush()
        return row.id


async def start_setup(database_url: str) -> AsyncIterator[Setup]:
    clock, gate = EpochClock(NOW), Gate()
    sandbox = LeverSandbox(generate(candidates=5, seed=12, now=NOW), clock=clock,
                           chaos=Chaos(sleep=gate.sleep), rate_limit=1000, burst=1000)
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    async with TestServer(sandbox.app, host="127.0.0.1") as server:
        url = str(server.make_url("/v1"))
        running = Setup(sandbox, gate, clock, url, sessions, [engine], add_connection(sessions, url),
                        database_url)
        yield running
    for each in running.engines:
        each.dispose()


@pytest.fixture
async def setup(database_url: str) -> AsyncIterator[Setup]:
    """SQLite and PostgreSQL: where processes meet in the database."""
    async for running in start_setup(database_url):
        yield running


@pytest.fixture
async def sqlite_setup(tmp_path: Path) -> AsyncIterator[Setup]:
    """SQLite only: for what does not depend on the backend."""
    async for running in start_setup(f"sqlite:///{tmp_path / 'scheduler.sqlite3'}"):
        yield running


def visible_ids(sandbox: LeverSandbox) -> set[str]:
    return {opp.id for opp in sandbox.state.opportunities.values() if not opp.confidential}


# -- leases ------------------------------------------------------------------------------------------------


async def test_two_processes_never_sync_one_connection_at_once(setup: Setup) -> None:
    first_beats = Beats()
    first = setup.process("host-a:1", lease_seconds=60, sleep=first_beats.sleep)
    second = setup.process("host-b:2", lease_seconds=60)
    setup.sandbox.chaos.delay_next(1, path="/users")  # the first request of a sync waits at the gate

    running = asyncio.create_task(first.sync(setup.connection_id, trigger=SyncTrigger.POLL))
    await asyncio.wait_for(setup.gate.entered.wait(), 5)
    assert setup.connection(setup.connection_id).sync_lease_owner == "host-a:1"
    assert await second.sync(setup.connection_id, trigger=SyncTrigger.POLL) is SyncOutcome.BUSY

    # Past the lease's length the keeper's renewal is what keeps the second process out.
    setup.clock.now += 90
    first_beats.beat()
    renewed_until = setup.clock.moment() + timedelta(seconds=60)
    await eventually(lambda: setup.connection().sync_lease_until == renewed_until)
    assert first_beats.requested[0] == pytest.approx(20.0)  # renewed every third of the lease
    outcome = await second.sync(setup.connection_id, trigger=SyncTrigger.RECONCILE, full=True)
    assert outcome is SyncOutcome.BUSY

    setup.gate.opened.set()
    assert await asyncio.wait_for(running, 10) is SyncOutcome.OK
    connection = setup.connection()
    assert connection.sync_lease_owner is None and connection.sync_lease_until is None
    assert setup.stored() == visible_ids(setup.sandbox)
    assert await second.sync(setup.connection_id, trigger=SyncTrigger.POLL) is SyncOutcome.OK
    assert first.outcomes == {("poll", "ok"): 1}
    assert second.outcomes == {("poll", "busy"): 1, ("reconcile", "busy"): 1, ("poll", "ok"): 1}


def test_lease_is_taken_once_expires_and_is_only_renewed_by_its_owner(setup: Setup) -> None:
    sessions, cid = setup.sessions, setup.connection_id
    assert take_lease(sessions, cid, "a", now=NOW, seconds=60)
    assert not take_lease(sessions, cid, "b", now=NOW + timedelta(seconds=59), seconds=60)
    assert not take_lease(sessions, cid, "a", now=NOW + timedelta(seconds=1), seconds=60)  # not re-entrant
    assert renew_lease(sessions, cid, "a", now=NOW + timedelta(seconds=30), seconds=60)
    assert not take_lease(sessions, cid, "b", now=NOW + timedelta(seconds=61), seconds=60)  # renewed to 90 s
    assert take_lease(sessions, cid, "b", now=NOW + timedelta(seconds=91), seconds=60)  # "a" died: expired
    assert not renew_lease(sessions, cid, "a", now=NOW + timedelta(seconds=92), seconds=60)
    release_lease(sessions, cid, "a")  # not the owner: no effect
    assert setup.connection().sync_lease_owner == "b"
    release_lease(sessions, cid, "b")
    assert take_lease(sessions, cid, "a", now=NOW + timedelta(seconds=93), seconds=60)


def test_no_lease_on_a_removed_or_deactivated_connection(sqlite_setup: Setup) -> None:
    setup = sqlite_setup
    with transaction(setup.sessions) as session:
        row = session.get(AtsConnection, setup.connection_id)
        assert row is not None
        row.is_active = False
    assert not take_lease(setup.sessions, setup.connection_id, "a", now=NOW, seconds=60)
    assert not take_lease(setup.sessions, 424242, "a", now=NOW, seconds=60)


# -- poll and reconcile ------------------------------------------------------------------------------------


async def test_polling_picks_up_a_new_candidate_and_skips_when_fresh(setup: Setup) -> None:
    syncer = setup.process("host-a:1")
    scheduler = SyncScheduler(syncer, SyncSchedule(interval=300), now=setup.clock.moment)
    assert await scheduler.poll(setup.connection_id) is SyncOutcome.OK  # first run: full
    assert setup.stored() == visible_ids(setup.sandbox)

    setup.clock.now += 60
    opp = setup.sandbox.state.add_opportunity("Åsa Lindqvist-Ng", email="asa@example.se")
    assert await scheduler.poll(setup.connection_id) is SyncOutcome.FRESH  # synced a minute ago
    assert opp.id not in setup.stored()

    setup.clock.now += 200  # more than half an interval since the last sync
    requests_before = len(setup.sandbox.requests)
    assert await scheduler.poll(setup.connection_id) is SyncOutcome.OK
    assert opp.id in setup.stored()
    listing = [r for r in list(setup.sandbox.requests)[requests_before:] if r.path == "/v1/opportunities"]
    assert listing and all(r.param("updated_at_start") for r in listing)  # incremental, not a full read
    assert syncer.outcomes == {("poll", "ok"): 2, ("poll", "fresh"): 1}


async def test_reconcile_removes_what_the_ats_deleted_without_telling(sqlite_setup: Setup) -> None:
    setup = sqlite_setup
    syncer = setup.process("host-a:1")
    scheduler = SyncScheduler(syncer, SyncSchedule(), now=setup.clock.moment)
    assert await scheduler.reconcile(setup.connection_id) is SyncOutcome.OK
    gone = sorted(visible_ids(setup.sandbox))[0]
    setup.sandbox.state.delete_opportunity(gone)
    setup.clock.now += 3600
    assert await scheduler.reconcile(setup.connection_id) is SyncOutcome.FRESH  # reconciled an hour ago
    setup.clock.now += 86_400
    assert await scheduler.reconcile(setup.connection_id) is SyncOutcome.OK
    assert gone not in setup.stored() and setup.stored() == visible_ids(setup.sandbox)
    assert setup.connection().last_full_sync_at == setup.clock.moment()


async def test_failures_are_recorded_on_the_connection_and_never_raised(sqlite_setup: Setup) -> None:
    setup = sqlite_setup
    syncer = setup.process("host-a:1")
    setup.sandbox.chaos.fail_next(401, path="/users")
    assert await syncer.sync(setup.connection_id, trigger=SyncTrigger.POLL) is SyncOutcome.FAILED
    connection = setup.connection()
    assert connection.last_error and "users" in connection.last_error
    assert connection.sync_lease_owner is None  # released despite the failure

    no_key = add_connection(setup.sessions, setup.url, credentials={})
    assert await syncer.sync(no_key, trigger=SyncTrigger.POLL) is SyncOutcome.FAILED
    assert "Lever needs an API key" in (setup.connection(no_key).last_error or "")
    assert await syncer.sync(999_999, trigger=SyncTrigger.POLL) is SyncOutcome.GONE
    assert syncer.outcomes == {("poll", "failed"): 2, ("poll", "gone"): 1}


# -- the job list ------------------------------------------------------------------------------------------


async def test_jobs_follow_the_connection_list(sqlite_setup: Setup) -> None:
    setup = sqlite_setup
    # APScheduler computes fire times on the wall clock, so this test reads it too (and never waits on it).
    syncer = setup.process("host-a:1")
    schedule = SyncSchedule(interval=300, reconcile_interval=86_400)
    scheduler = SyncScheduler(syncer, schedule, rng=random.Random(1))
    scheduler.start(paused=True)
    try:
        first = setup.connection_id
        before = utcnow()
        await scheduler.refresh_jobs()
        assert scheduler.job_ids() == {SyncScheduler.REFRESH_JOB, SyncScheduler.PRUNE_JOB,
                                       f"sync-poll:{first}", f"sync-reconcile:{first}"}
        never_synced = scheduler.scheduler.get_job(f"sync-poll:{first}").next_run_time
        # Never synced: soon, spread over the first seconds, plus up to 10 % jitter.
        assert before <= never_synced <= utcnow() + timedelta(seconds=STARTUP_SPREAD + 30)

        last = utcnow() - timedelta(seconds=60)
        recent = add_connection(setup.sessions, setup.url, last_sync_at=last)
        await scheduler.refresh_jobs()
        poll = scheduler.scheduler.get_job(f"sync-poll:{recent}")
        # One interval after its last sync, not at once: restarts do not stampede the ATS.
        assert last + timedelta(seconds=300) <= poll.next_run_time <= last + timedelta(seconds=330)
        assert poll.trigger.jitter == pytest.approx(30.0)
        assert poll.trigger.interval == timedelta(seconds=300)

        with transaction(setup.sessions) as session:
            row = session.get(AtsConnection, first)
            assert row is not None
            row.is_active = False
        await scheduler.refresh_jobs()
        assert f"sync-poll:{first}" not in scheduler.job_ids()
        assert f"sync-reconcile:{first}" not in scheduler.job_ids()
        assert f"sync-poll:{recent}" in scheduler.job_ids()
    finally:
        scheduler.shutdown()


async def test_old_webhook_deliveries_are_pruned(sqlite_setup: Setup) -> None:
    setup = sqlite_setup
    with transaction(setup.sessions) as session:
        for age, delivery_id in ((DELIVERY_RETENTION + timedelta(hours=1), "old"),
                                 (timedelta(hours=1), "new")):
            session.add(WebhookDelivery(connection_id=setup.connection_id, provider="lever",
                                        delivery_id=delivery_id,
                                        received_at=NOW - age, event="candidateHired", outcome="processed"))
    scheduler = SyncScheduler(setup.process("a"), now=setup.clock.moment)
    assert await scheduler.prune_deliveries() == 1
    assert prune_webhook_deliveries(setup.sessions, before=NOW - DELIVERY_RETENTION) == 0
    with setup.sessions() as session:
        assert list(session.scalars(select(WebhookDelivery.delivery_id))) == ["new"]


def test_intervals_come_from_the_environment_with_clear_errors() -> None:
    assert SyncSchedule.from_env({}) == SyncSchedule(interval=300.0, reconcile_interval=86_400.0)
    custom = SyncSchedule.from_env({"HIREBOT_SYNC_INTERVAL": "60", "HIREBOT_RECONCILE_INTERVAL": "3600"})
    assert (custom.interval, custom.reconcile_interval) == (60.0, 3600.0)
    for bad in ("soon", "0", "-5", "3"):
        with pytest.raises(ConfigError, match="HIREBOT_SYNC_INTERVAL"):
            SyncSchedule.from_env({"HIREBOT_SYNC_INTERVAL": bad})
