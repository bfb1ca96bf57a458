"""The outbox worker under faults, against the Greenhouse sandbox over loopback and real databases: a 500, a
429 with Retry-After, a timeout after the write was applied, a write Greenhouse applies late (after the
worker gave up, or after the worker died), a worker killed with SIGKILL mid-batch, two workers on
PostgreSQL. Every event must end up in Greenhouse exactly once, in order per candidate.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import ConfigError
from adapters.greenhouse import GreenhouseAdapter
from bot.outbox_cli import drop_item, list_items, retry_item
from scheduler.ats_log import OutboxState
from scheduler.jobs import ClaimedJob
from scheduler.outbox import AtsNoticeHandler, OutboxSettings, OutboxWorker
from store.db import make_engine, session_factory, upgrade
from store.models import AtsConnection
from tests.outbox_events import happen, items, notices
from tests.rigs.greenhouse_outbox import BOX_KEY, NOW, Rig, make_meeting, ready_candidates, setup_one, start_rig
from tests.waiting import eventually

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def rig(greenhouse_outbox_rig: Rig) -> Rig:
    """The Greenhouse outbox rig (tests/rigs/greenhouse_outbox.py), by the name these tests use."""
    return greenhouse_outbox_rig


def markers(rig: Rig) -> list[str]:
    """Every hirebot marker in the sandbox's notes, once per note that carries it."""
    found = []
    for note in sorted(rig.sandbox.state.notes.values(), key=lambda n: n["id"]):
        body = str(note.get("body") or "")
        if "[hirebot:evt-" in body:
            found.append(body.rsplit("\n\n", 1)[1])
    return found


def plan_notes(rig: Rig, count: int, *, per_candidate: int = 4) -> list[int]:
    """`count` meetings with `per_candidate` note events each (request, follow-ups, decline)."""
    meetings = []
    for candidate, application, manager in ready_candidates(rig, schedulable=False)[:count]:
        setup = make_meeting(rig, candidate, application, manager)
        happen(rig, setup.meeting_id, "request_sent")
        for number in range(1, per_candidate - 1):
            happen(rig, setup.meeting_id, "followup_sent", extra={"followup": number})
        happen(rig, setup.meeting_id, "declined", actor="candidate", reason="No thanks")
        meetings.append(setup.meeting_id)
    return meetings


def assert_exactly_once_in_order(rig: Rig, meeting_ids: list[int]) -> None:
    rows = [i for m in meeting_ids for i in items(rig, m)]
    expected = {f"[hirebot:evt-{i.event_id}]" for i in rows}
    found = markers(rig)
    assert sorted(found) == sorted(expected)  # every event delivered, none twice
    position = {marker: index for index, marker in enumerate(found)}
    for meeting_id in meeting_ids:
        order = [position[f"[hirebot:evt-{i.event_id}]"] for i in items(rig, meeting_id)]
        assert order == sorted(order)  # rows are event order; notes landed in that order
    assert all(i.state == OutboxState.SENT for i in rows)


# -- faults ---------------------------------------------------------------------------------------------------


async def test_a_500_is_retried_after_backoff_and_the_note_lands_once(rig: Rig) -> None:
    s = setup_one(rig)
    happen(rig, s.meeting_id, "request_sent")
    rig.sandbox.chaos.fail_next(500, path="/v3/notes")
    worker = rig.worker(base_delay=timedelta(seconds=30))
    assert await worker.run_once() == 1
    [row] = items(rig, s.meeting_id)
    assert row.state == OutboxState.PENDING and row.unsure and row.due_at == NOW + timedelta(seconds=30)
    assert await worker.run_once() == 0  # not due yet
    rig.time.advance(timedelta(seconds=30))
    assert await worker.run_once() == 1
    [row] = items(rig, s.meeting_id)
    assert row.state == OutboxState.SENT and row.attempts == 2
    # The 500 left the outcome open, so the retry looked for the marker before posting again.
    assert [(r.method, r.status) for r in rig.sandbox.requests if r.path == "/v3/notes"] == \
        [("POST", 500), ("GET", 200), ("POST", 201)]
    assert markers(rig) == [f"[hirebot:evt-{row.event_id}]"]


async def test_a_429_waits_as_long_as_retry_after_says(rig: Rig) -> None:
    s = setup_one(rig)
    happen(rig, s.meeting_id, "request_sent")
    rig.sandbox.chaos.fail_next(429, path="/v3/notes", retry_after=90)
    worker = rig.worker(base_delay=timedelta(seconds=5))
    await worker.run_once()
    [row] = items(rig, s.meeting_id)
    assert row.state == OutboxState.PENDING and not row.unsure
    assert row.due_at == NOW + timedelta(seconds=90)
    rig.time.advance(timedelta(seconds=90))
    await worker.run_once()
    # Nothing was applied by a 429, so no lookup: straight to the second POST.
    assert [(r.method, r.status) for r in rig.sandbox.requests if r.path == "/v3/notes"] == \
        [("POST", 429), ("POST", 201)]
    assert len(markers(rig)) == 1


async def test_a_429_is_pacing_not_a_failure(rig: Rig) -> None:
    s = setup_one(rig)
    happen(rig, s.meeting_id, "request_sent")
    rig.sandbox.chaos.fail_next(429, path="/v3/notes", retry_after=1, times=12)
    worker = rig.worker(base_delay=timedelta(seconds=10), max_attempts=3)
    for _ in range(12):  # more 429s than max_attempts: never parked, each retry exactly when asked
        start = rig.time.moment()
        await worker.run_once()
        [row] = items(rig, s.meeting_id)
        assert row.state == OutboxState.PENDING and row.due_at == start + timedelta(seconds=1)
        rig.time.advance(timedelta(seconds=1))
    await worker.run_once()
    [row] = items(rig, s.meeting_id)
    assert row.state == OutboxState.SENT and row.attempts == 1
    assert len(markers(rig)) == 1


async def test_backoff_grows_and_is_bounded(rig: Rig) -> None:
    s = setup_one(rig)
    happen(rig, s.meeting_id, "request_sent")
    rig.sandbox.chaos.fail_next(503, path="/v3/notes", times=5)
    worker = rig.worker(base_delay=timedelta(seconds=10), max_delay=timedelta(seconds=40))
    delays = []
    for _ in range(5):
        start = rig.time.moment()
        await worker.run_once()
        [row] = items(rig, s.meeting_id)
        delays.append((row.due_at - start).total_seconds())
        rig.time.advance(row.due_at - start)
    assert delays == [10, 20, 40, 40, 40]


async def test_a_timeout_after_the_write_was_applied_is_found_by_its_marker(sessions: sessionmaker[Session]) -> None:
    release = asyncio.Event()

    async def hold(seconds: float) -> None:
        await release.wait()

    rig, server = await start_rig(sessions, chaos_sleep=hold)
    try:
        rig.timeout = 0.2
        s = setup_one(rig)
        happen(rig, s.meeting_id, "request_sent")
        rig.sandbox.chaos.delay_next(60, path="/v3/notes")
        worker = rig.worker()
        await worker.run_once()
        [row] = items(rig, s.meeting_id)
        assert row.state == OutboxState.PENDING and row.unsure
        assert "did not answer" in (row.last_error or "")
        release.set()  # the held request now goes through: Greenhouse applies the note we gave up on
        await eventually(lambda: bool(markers(rig)), timeout=2)  # the sandbox applies the held note
        rig.time.advance(timedelta(hours=1))
        await worker.run_once()
        [row] = items(rig, s.meeting_id)
        assert row.state == OutboxState.SENT and row.remote_id
        assert [r.method for r in rig.sandbox.requests if r.path == "/v3/notes"] == ["POST", "GET"]
        assert markers(rig) == [f"[hirebot:evt-{row.event_id}]"]
    finally:
        await rig.client.aclose()
        await server.cleanup()


async def test_a_batch_shares_one_adapter_so_tokens_are_fetched_once(rig: Rig) -> None:
    meetings = plan_notes(rig, 5, per_candidate=2)
    built: list[int] = []

    def adapter_for(connection: AtsConnection) -> GreenhouseAdapter:
        built.append(connection.id)
        return rig.adapter(connection)

    worker = OutboxWorker(rig.sessions, adapter_for, clock=rig.time.moment)
    await worker.run_until_idle()
    assert_exactly_once_in_order(rig, meetings)
    assert built == [rig.connection_id]  # five rows delivered at once through one adapter (one token cache)


async def test_a_slow_delivery_keeps_its_lease_so_no_other_worker_takes_the_row(
        sessions: sessionmaker[Session]) -> None:
    release = asyncio.Event()

    async def hold(seconds: float) -> None:
        await release.wait()

    rig, server = await start_rig(sessions, chaos_sleep=hold)
    try:
        s = setup_one(rig)
        happen(rig, s.meeting_id, "request_sent")
        rig.sandbox.chaos.delay_next(60, path="/v3/notes")  # Greenhouse answers only once released
        lease = timedelta(seconds=0.2)
        # A lease this short is only allowed with as short a request timeout and settle margin (the answer here
        # is slow only to watch the renewals; the adapter's own timeout is longer).
        settings = OutboxSettings(lease=lease, request_timeout=lease / 2, settle_margin=lease / 2)
        slow = OutboxWorker(rig.sessions, rig.adapter, settings=settings, owner="slow")
        other = OutboxWorker(rig.sessions, rig.adapter, settings=settings, owner="other")
        delivering = asyncio.create_task(slow.run_once())
        await eventually(lambda: items(rig, s.meeting_id)[0].state == OutboxState.RUNNING)
        first_lease = items(rig, s.meeting_id)[0].lease_until
        assert first_lease is not None
        # Several leases later the row is still held, renewed by the slow worker, and not claimable.
        await eventually(lambda: (items(rig, s.meeting_id)[0].lease_until or first_lease) > first_lease + 2 * lease)
        assert await other.run_once() == 0
        release.set()
        assert await delivering == 1
        [done] = items(rig, s.meeting_id)
        assert done.state == OutboxState.SENT and done.attempts == 1
        assert len(markers(rig)) == 1
    finally:
        await rig.client.aclose()
        await server.cleanup()


async def test_after_max_attempts_a_row_is_parked_the_organizer_told_and_an_admin_can_retry(rig: Rig) -> None:
    s = setup_one(rig)
    happen(rig, s.meeting_id, "request_sent")
    happen(rig, s.meeting_id, "followup_sent", extra={"followup": 1})
    rig.sandbox.chaos.fail_next(503, path="/v3/notes", times=2)
    worker = rig.worker(max_attempts=2, base_delay=timedelta(seconds=1))
    await worker.run_once()
    rig.time.advance(timedelta(seconds=1))
    await worker.run_once()
    first, second = items(rig, s.meeting_id)
    assert first.state == OutboxState.PARKED and first.attempts == 2
    assert "503" in (first.last_error or "")
    [notice] = notices(rig)
    assert f"The reason: {first.last_error}" in notice.payload["text"]
    assert f"hirebot outbox retry {first.id}" in notice.payload["text"]

    listed = list_items(rig.sessions, state="parked")
    assert [(r.id, r.state, r.attempts) for r in listed] == [(first.id, "parked", 2)]
    assert listed[0].error and listed[0].candidate
    retried = retry_item(rig.sessions, first.id, now=rig.time.moment())
    assert retried.state == "pending" and retried.attempts == 0
    await worker.run_until_idle()
    assert [i.state for i in items(rig, s.meeting_id)] == ["sent", "sent"]
    assert second.id > first.id
    with pytest.raises(Exception, match="only parked items can be retried"):
        retry_item(rig.sessions, first.id)
    with pytest.raises(Exception, match="only pending or parked"):
        drop_item(rig.sessions, first.id)


async def test_dropping_a_waiting_row_lets_the_candidates_next_rows_go(rig: Rig) -> None:
    s = setup_one(rig)
    happen(rig, s.meeting_id, "request_sent")
    happen(rig, s.meeting_id, "followup_sent", extra={"followup": 1})
    first, _ = items(rig, s.meeting_id)
    dropped = drop_item(rig.sessions, first.id, now=rig.time.moment())
    assert dropped.state == "dropped"
    await rig.worker().run_until_idle()
    assert [i.state for i in items(rig, s.meeting_id)] == ["dropped", "sent"]
    assert len(markers(rig)) == 1


async def test_the_notice_handler_tells_the_organizer(rig: Rig) -> None:
    told: list[tuple[int, str, int]] = []

    class Notifier:
        def notify(self, user_id: int, text: str, *, meeting_id: int) -> None:
            told.append((user_id, text, meeting_id))

    job = ClaimedJob(id=1, key="k", kind="ats_notice", meeting_id=None, due_at=NOW,
                     payload={"user_id": 7, "text": "Hello", "meeting_id": 3}, attempts=1, owner="me",
                     lease_until=NOW)
    outcome = await AtsNoticeHandler(Notifier())(job)
    assert told == [(7, "Hello", 3)] and outcome.state == "done"


# -- writes the ATS applies late --------------------------------------------------------------------------------


class LateAts:
    """Holds on the rig's fake clock: a held request goes on (a held write is applied) only when the test moves
    the clock past its end, however long ago its client gave up."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.held: list[tuple[float, asyncio.Event]] = []

    async def hold(self, seconds: float) -> None:
        gate = asyncio.Event()
        self.held.append((self.rig.time.now + seconds, gate))
        await gate.wait()

    async def advance(self, seconds: float) -> None:
        """Move the clock; the requests whose hold has ended finish (writes land) before this returns."""
        self.rig.time.now += seconds
        for end, gate in self.held:
            if end <= self.rig.time.now:
                gate.set()
        await eventually(lambda: self._open() <= sum(not gate.is_set() for _, gate in self.held))

    def _open(self) -> int:
        return sum(r.status is None for r in self.rig.sandbox.requests)


async def late_rig(sessions: sessionmaker[Session]) -> tuple[Rig, LateAts, Any]:
    late: LateAts | None = None

    async def hold(seconds: float) -> None:
        assert late is not None
        await late.hold(seconds)

    rig, server = await start_rig(sessions, chaos_sleep=hold)
    late = LateAts(rig)
    return rig, late, server


async def test_a_write_answered_too_late_is_looked_up_only_after_it_settled(sessions: sessionmaker[Session]) -> None:
    rig, late, server = await late_rig(sessions)
    try:
        rig.timeout = 0.2  # the worker gives up on the POST at once...
        s = setup_one(rig)
        happen(rig, s.meeting_id, "request_sent")
        rig.sandbox.chaos.delay_next(50, path="/v3/notes")  # ...which Greenhouse applies 50 s later
        worker = rig.worker(base_delay=timedelta(seconds=1))
        await worker.run_once()
        [row] = items(rig, s.meeting_id)
        assert row.state == OutboxState.PENDING and row.unsure
        # Not looked up before the settle time (30 s request timeout + 30 s margin) from the POST.
        assert row.due_at == NOW + timedelta(seconds=60)
        for _ in range(120):
            await late.advance(1)
            await worker.run_until_idle()
        [row] = items(rig, s.meeting_id)
        assert row.state == OutboxState.SENT and row.attempts == 2
        assert [r.method for r in rig.sandbox.requests if r.path == "/v3/notes"] == ["POST", "GET"]
        assert markers(rig) == [f"[hirebot:evt-{row.event_id}]"]
    finally:
        await rig.client.aclose()
        await server.cleanup()


async def test_a_rate_limited_lookup_keeps_the_row_unsure(sessions: sessionmaker[Session]) -> None:
    rig, late, server = await late_rig(sessions)
    try:
        rig.timeout = 0.2
        s = setup_one(rig)
        happen(rig, s.meeting_id, "request_sent")
        rig.sandbox.chaos.delay_next(10, path="/v3/notes")  # applied 10 s later, long after the worker gave up
        worker = rig.worker()
        await worker.run_once()
        await late.advance(60)
        rig.sandbox.chaos.fail_next(429, path="/v3/notes", retry_after=5)  # the lookup is told to wait
        await worker.run_once()
        [row] = items(rig, s.meeting_id)
        assert row.state == OutboxState.PENDING and row.unsure
        await late.advance(5)
        await worker.run_once()
        [row] = items(rig, s.meeting_id)
        assert row.state == OutboxState.SENT
        assert [(r.method, r.status) for r in rig.sandbox.requests if r.path == "/v3/notes"] == \
            [("POST", 201), ("GET", 429), ("GET", 200)]
        assert markers(rig) == [f"[hirebot:evt-{row.event_id}]"]
    finally:
        await rig.client.aclose()
        await server.cleanup()


async def test_a_killed_workers_late_writes_are_found_not_doubled(sessions: sessionmaker[Session]) -> None:
    """Two workers, the first killed with its writes out: the token endpoint was slow (as retried timeouts
    are), so the first worker sent its notes near the end of its lease, and Greenhouse applies each 50 s
    after it arrived. The second worker must not look for them before they could have landed."""
    rig, late, server = await late_rig(sessions)
    try:
        meetings = plan_notes(rig, 12)  # 48 notes, 12 candidates
        rig.sandbox.chaos.delay_next(260, path="/token", times=100)
        rig.sandbox.chaos.delay_next(50, path="/v3/notes", times=12)
        first, second = rig.worker(), rig.worker()  # 5-minute leases
        doomed = asyncio.create_task(first.run_once())
        # One token per acting user (the organizer of each meeting), all asked for at once.
        organizers = {str(i.payload.get("acting_user_id")) for m in meetings for i in items(rig, m)}
        await eventually(lambda: len(rig.calls("POST", "/token")) == len(organizers))
        await late.advance(260)  # the tokens arrive; the notes go out and are held
        await eventually(lambda: len(rig.calls("POST", "/v3/notes")) == 12)
        doomed.cancel()  # the first worker dies here, its 12 writes still in flight
        with pytest.raises(asyncio.CancelledError):
            await doomed
        rig.sandbox.chaos.clear()
        for _ in range(200):
            await late.advance(5)
            await second.run_until_idle()
        assert_exactly_once_in_order(rig, meetings)
        assert len(rig.calls("POST", "/v3/notes")) == 48
    finally:
        await rig.client.aclose()
        await server.cleanup()


async def test_a_worker_whose_row_was_taken_over_while_it_looked_does_not_write(
        sessions: sessionmaker[Session]) -> None:
    rig, late, server = await late_rig(sessions)
    try:
        rig.timeout = 60  # nothing here times out on the client's side
        s = setup_one(rig)
        happen(rig, s.meeting_id, "request_sent")
        rig.sandbox.chaos.fail_next(500, path="/v3/notes")  # the outcome is unsure: the next try looks first
        settings = {"lease": timedelta(seconds=60), "base_delay": timedelta(seconds=1)}
        await rig.worker(**settings).run_once()
        await late.advance(1)
        rig.sandbox.chaos.delay_next(200, path="/v3/notes")  # the first worker's lookup hangs
        slow = asyncio.create_task(rig.worker(**settings).run_once())
        await eventually(lambda: len(rig.calls("GET", "/v3/notes")) == 1)
        # Its lease (60 s) and the settle time after it (60 s) run out: a second worker takes the row over and
        # is slow to look too.
        await late.advance(130)
        rig.sandbox.chaos.delay_next(81, path="/v3/notes")
        rig.sandbox.chaos.delay_next(50, path="/v3/notes")  # and the next POST is slow
        other = asyncio.create_task(rig.worker(**settings).run_once())
        await eventually(lambda: len(rig.calls("GET", "/v3/notes")) == 2)
        await late.advance(80)  # the first lookup answers "no such note": its worker must not post now
        await late.advance(1)  # the second lookup answers the same, so the second worker posts
        await eventually(lambda: len(rig.calls("POST", "/v3/notes")) == 2)
        await late.advance(50)
        assert await slow == 0 and await other == 1
        [row] = items(rig, s.meeting_id)
        assert row.state == OutboxState.SENT
        assert [r.method for r in rig.sandbox.requests if r.path == "/v3/notes"] == ["POST", "GET", "GET", "POST"]
        assert markers(rig) == [f"[hirebot:evt-{row.event_id}]"]
    finally:
        await rig.client.aclose()
        await server.cleanup()


def test_a_lease_shorter_than_the_settle_time_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"lease \(30 s\) is shorter than the settle time \(60 s"):
        OutboxSettings(lease=timedelta(seconds=30))
    with pytest.raises(ConfigError, match="use a lease of at least 15 s"):
        OutboxSettings(lease=timedelta(seconds=10), request_timeout=timedelta(seconds=5),
                       settle_margin=timedelta(seconds=10))
    assert OutboxSettings(lease=timedelta(seconds=60)).settle == timedelta(seconds=60)


# -- crashes and concurrency ----------------------------------------------------------------------------------

WORKER_SCRIPT = """
import asyncio, random, sys
import httpx
from adapters.base import ConnectionConfig
from adapters.errors import ConfigError
from adapters.greenhouse import GreenhouseAdapter
from adapters.http import RetryPolicy
from scheduler.outbox import OutboxSettings, OutboxWorker
from store.crypto import SecretBox
from store.db import make_engine, session_factory

BOX = SecretBox(sys.argv[2].encode())

async def main() -> None:
    sessions = session_factory(make_engine(sys.argv[1]))
    async with httpx.AsyncClient() as client:
        def adapter(connection):
            config = ConnectionConfig(base_url=connection.base_url, credentials=BOX.open(connection.credentials),
                                      settings=dict(connection.settings))
            return GreenhouseAdapter(config, client, policy=RetryPolicy(max_attempts=1, timeout=30))
        await OutboxWorker(sessions, adapter, settings=OutboxSettings(batch=3)).run_until_idle()

asyncio.run(main())
"""


async def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(
        sessions: sessionmaker[Session], database_url: str) -> None:
    reached, release = asyncio.Event(), asyncio.Event()
    seen = 0

    async def gate(seconds: float) -> None:
        nonlocal seen
        seen += 1
        if seen == 5:  # hold the fifth note: the worker is inside its second batch
            reached.set()
            await release.wait()

    rig, server = await start_rig(sessions, chaos_sleep=gate)
    try:
        meetings = plan_notes(rig, 3)
        rig.sandbox.chaos.delay_next(1, path="/v3/notes", times=10_000)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WORKER_SCRIPT, database_url, BOX_KEY.decode(), cwd=str(REPO), env=env)
        await asyncio.wait_for(reached.wait(), timeout=60)
        process.send_signal(signal.SIGKILL)
        assert await process.wait() == -signal.SIGKILL
        release.set()
        # Every note the killed worker sent finishes before the clock jumps (a jump first would expire the
        # token of the held one, and the new worker would rightly post it itself).
        await eventually(lambda: all(r.status is not None for r in rig.sandbox.requests if r.path == "/v3/notes"),
                         timeout=2)
        # The killed worker's leases run out; a new worker picks its rows up and checks them first.
        rig.time.now = time.time() + 3600
        await rig.worker().run_until_idle()
        assert_exactly_once_in_order(rig, meetings)
        assert len([r for r in rig.sandbox.requests if r.method == "POST" and r.path == "/v3/notes"]) == 12
    finally:
        await rig.client.aclose()
        await server.cleanup()


@pytest.mark.postgres
async def test_two_workers_on_postgresql_share_the_rows_without_doubling(pg_database_url: str) -> None:
    engine = make_engine(pg_database_url)
    upgrade(engine)
    rig, server = await start_rig(session_factory(engine))
    try:
        meetings = plan_notes(rig, 10)
        first, second = rig.worker(batch=3), rig.worker(batch=3)
        done = await asyncio.gather(first.run_until_idle(), second.run_until_idle())
        assert sum(done) == 40 and all(done)
        assert_exactly_once_in_order(rig, meetings)
    finally:
        await rig.client.aclose()
        await server.cleanup()
        engine.dispose()
