"""Durable jobs: claiming with leases, running, finishing, grace window, retries, restarts, several workers.

Handlers here are real objects that record what they did (in memory, in a table, or as .eml files through
the real outbox mailer); the dispatcher under test is never mocked. Time is an injected clock. "Processes"
are real subprocesses running `worker_main` (tests/rigs/job_workers.py) against the same database; one is
SIGKILLed mid-send.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import HirebotError
from scheduler.jobs import (
    ClaimedJob,
    JobDispatcher,
    JobOutcome,
    JobState,
    PlannedJob,
    message_id_for,
    replan,
)
from scheduler.runner import DispatchRunner
from store.crypto import SecretBox
from store.db import make_engine, session_factory, transaction
from store.meeting_models import ScheduledJob
from store.models import utcnow
from tests.rigs.databases import empty_postgres
from tests.rigs.job_workers import EFFECTS_DDL, spawn
from tests.rigs.scheduling_clock import NOW, Clock

# SQLite per test, one PostgreSQL database per module (emptied between tests): see tests/rigs/databases.py.
pytestmark = pytest.mark.shared_postgres


# -- real handlers that record -------------------------------------------------------------------------------


@dataclass
class Recorder:
    """Records each job it runs; can be told to fail a number of times first."""

    calls: list[ClaimedJob] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    async def __call__(self, job: ClaimedJob) -> JobOutcome:
        self.calls.append(job)
        if self.failures:
            raise self.failures.pop(0)
        return JobOutcome(note=f"ran {job.key}", result=f"r-{job.id}")


class Refused(HirebotError):
    retryable = False


def plan(sessions: sessionmaker[Session], *jobs: tuple[str, datetime], kind: str = "test") -> None:
    with transaction(sessions) as session:
        replan(session, None, [PlannedJob(key=key, kind=kind, due_at=due) for key, due in jobs],
               now=NOW, reason="test")


def rows(sessions: sessionmaker[Session]) -> dict[str, ScheduledJob]:
    with sessions() as session:
        return {job.idempotency_key: job for job in session.scalars(select(ScheduledJob))}


# -- the basics ---------------------------------------------------------------------------------------------------


async def test_due_jobs_run_once_in_due_order_and_are_marked_done(sessions: sessionmaker[Session]) -> None:
    plan(sessions, ("b", NOW + timedelta(minutes=5)), ("a", NOW - timedelta(minutes=1)),
         ("later", NOW + timedelta(hours=1)))
    clock, recorder = Clock(), Recorder()
    dispatcher = JobDispatcher(sessions, handlers={"test": recorder}, clock=clock, owner="w1")
    assert await dispatcher.run_due() == 1
    assert [job.key for job in recorder.calls] == ["a"]
    assert dispatcher.next_due() == NOW + timedelta(minutes=5)
    clock.advance(minutes=5)
    assert await dispatcher.run_due() == 1
    assert await dispatcher.run_due() == 0  # nothing runs twice
    state = rows(sessions)
    assert state["a"].state == state["b"].state == JobState.DONE
    assert state["a"].note == "ran a" and state["a"].attempts == 1 and state["a"].lease_owner is None
    assert state["later"].state == JobState.PENDING
    assert [job.key for job in recorder.calls] == ["a", "b"]


async def test_replan_cancels_unwanted_pending_jobs_and_never_replans_a_finished_one(
        sessions: sessionmaker[Session]) -> None:
    plan(sessions, ("keep", NOW), ("drop", NOW + timedelta(hours=1)))
    dispatcher = JobDispatcher(sessions, handlers={"test": Recorder()}, clock=Clock(), owner="w1")
    await dispatcher.run_due()  # "keep" is done now
    with transaction(sessions) as session:
        inserted = replan(session, None, [PlannedJob(key="keep", kind="test", due_at=NOW),
                                          PlannedJob(key="new", kind="test", due_at=NOW),
                                          PlannedJob(key="skip", kind="test", due_at=NOW, skip_note="too late")],
                          now=NOW, reason="the test changed its mind")
    assert sorted(job.idempotency_key for job in inserted) == ["new", "skip"]
    state = rows(sessions)
    assert state["keep"].state == JobState.DONE
    assert state["drop"].state == JobState.CANCELLED
    assert state["drop"].note == "No longer needed: the test changed its mind."
    assert (state["skip"].state, state["skip"].note) == (JobState.SKIPPED, "too late")
    assert state["new"].state == JobState.PENDING


async def test_only_kinds_with_a_handler_are_claimed(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        replan(session, None, [PlannedJob(key="mine", kind="test", due_at=NOW),
                               PlannedJob(key="theirs", kind="other", due_at=NOW)], now=NOW, reason="test")
    recorder = Recorder()
    dispatcher = JobDispatcher(sessions, handlers={"test": recorder}, clock=Clock(), owner="w1")
    assert await dispatcher.run_due() == 1
    assert rows(sessions)["theirs"].state == JobState.PENDING


async def test_a_new_dispatcher_picks_up_pending_rows_after_a_restart(sessions: sessionmaker[Session]) -> None:
    plan(sessions, ("tomorrow", NOW + timedelta(days=1)))
    clock = Clock()
    first = JobDispatcher(sessions, handlers={"test": Recorder()}, clock=clock, owner="before-restart")
    assert await first.run_due() == 0
    del first
    clock.advance(days=1)
    recorder = Recorder()
    second = JobDispatcher(sessions, handlers={"test": recorder}, clock=clock, owner="after-restart")
    assert second.next_due() == NOW + timedelta(days=1)
    assert await second.run_due() == 1
    assert [job.key for job in recorder.calls] == ["tomorrow"]


async def test_after_downtime_a_job_within_grace_runs_late_once_and_an_older_one_is_missed(
        sessions: sessionmaker[Session]) -> None:
    plan(sessions, ("recent", NOW - timedelta(minutes=90)), ("old", NOW - timedelta(hours=3)))
    recorder = Recorder()
    dispatcher = JobDispatcher(sessions, handlers={"test": recorder}, clock=Clock(), owner="w1",
                               grace=timedelta(hours=2))
    assert await dispatcher.run_due() == 1
    assert await dispatcher.run_due() == 0
    assert [job.key for job in recorder.calls] == ["recent"]
    state = rows(sessions)
    assert state["recent"].state == JobState.DONE
    assert state["old"].state == JobState.MISSED
    assert state["old"].note == "Not sent: it was due more than 2 h before hirebot could run it."
    assert state["old"].attempts == 0


async def test_transient_failures_retry_with_backoff_and_permanent_ones_give_up(
        sessions: sessionmaker[Session]) -> None:
    plan(sessions, ("flaky", NOW), ("doomed", NOW))
    clock = Clock()
    recorder = Recorder()
    dispatcher = JobDispatcher(sessions, handlers={"test": recorder}, clock=clock, owner="w1", concurrency=1,
                               retry_delays=(timedelta(minutes=1), timedelta(minutes=5)))
    recorder.failures = [HirebotError("The mail server said try later."), Refused("Recipient refused.")]
    await dispatcher.run_due()
    state = rows(sessions)
    assert (state["flaky"].state, state["flaky"].last_error) == (JobState.PENDING, "The mail server said try later.")
    assert state["flaky"].due_at == NOW + timedelta(minutes=1)
    assert state["doomed"].state == JobState.FAILED
    assert state["doomed"].note == "Gave up (it cannot succeed as is): Recipient refused."
    clock.advance(minutes=1)
    assert await dispatcher.run_due() == 1
    state = rows(sessions)
    assert (state["flaky"].state, state["flaky"].attempts) == (JobState.DONE, 2)


async def test_an_expired_lease_makes_the_row_claimable_and_the_old_owner_cannot_finish_it(
        sessions: sessionmaker[Session]) -> None:
    """Worker A claims and stalls past its lease; worker B retries; A's late finish must not count."""
    plan(sessions, ("slow", NOW))
    clock = Clock()
    entered, release = asyncio.Event(), asyncio.Event()

    class Stalling:
        calls = 0

        async def __call__(self, job: ClaimedJob) -> JobOutcome:
            Stalling.calls += 1
            entered.set()
            await release.wait()
            return JobOutcome(note="A finished")

    a = JobDispatcher(sessions, handlers={"test": Stalling()}, clock=clock, owner="A", lease=timedelta(minutes=2))
    b_recorder = Recorder()
    b = JobDispatcher(sessions, handlers={"test": b_recorder}, clock=clock, owner="B", lease=timedelta(minutes=2))
    a_run = asyncio.create_task(a.run_due())
    await entered.wait()
    assert await b.run_due() == 0  # A's lease is live
    clock.advance(minutes=3)
    assert await b.run_due() == 1
    assert b_recorder.calls[0].attempts == 2 and b_recorder.calls[0].key == "slow"
    release.set()
    assert await a_run == 0  # A lost the lease: its outcome is dropped
    row = rows(sessions)["slow"]
    assert (row.state, row.note, row.attempts) == (JobState.DONE, "ran slow", 2)


async def test_a_job_that_keeps_killing_its_worker_is_given_up(sessions: sessionmaker[Session]) -> None:
    plan(sessions, ("poison", NOW))
    with transaction(sessions) as session:
        job = session.scalar(select(ScheduledJob))
        assert job is not None
        job.state, job.attempts, job.lease_owner, job.lease_until = JobState.RUNNING, 5, "dead", NOW
    recorder = Recorder()
    dispatcher = JobDispatcher(sessions, handlers={"test": recorder}, clock=Clock(NOW + timedelta(seconds=1)),
                               owner="w1", max_attempts=5)
    assert await dispatcher.run_due() == 1
    assert recorder.calls == []
    row = rows(sessions)["poison"]
    assert row.state == JobState.FAILED and "stopped each time" in (row.note or "")


async def test_leases_of_a_long_batch_are_renewed_before_they_run_out(sessions: sessionmaker[Session]) -> None:
    plan(sessions, *((f"j{i}", NOW) for i in range(3)))
    clock = Clock()

    class SlowClockHandler:
        async def __call__(self, job: ClaimedJob) -> JobOutcome:
            clock.advance(seconds=50)  # each job "takes" 50 s of a 60 s lease
            return JobOutcome(note="ok")

    rival = JobDispatcher(sessions, handlers={"test": Recorder()}, clock=clock, owner="rival",
                          lease=timedelta(seconds=60))
    dispatcher = JobDispatcher(sessions, handlers={"test": SlowClockHandler()}, clock=clock, owner="w1",
                               lease=timedelta(seconds=60), concurrency=1)
    assert await dispatcher.run_due() == 3
    assert await rival.run_due() == 0
    assert {row.state for row in rows(sessions).values()} == {JobState.DONE}


def test_message_ids_are_stable_per_key_and_distinct_between_keys() -> None:
    assert message_id_for("meeting:1:followup_email:1:v0", "hirebot.test") == \
        message_id_for("meeting:1:followup_email:1:v0", "hirebot.test")
    assert message_id_for("meeting:1:followup_email:1:v0", "x") != message_id_for("meeting:1:followup_email:2:v0", "x")
    assert message_id_for("k", "hirebot.test").endswith("@hirebot.test>")


# -- the runner ---------------------------------------------------------------------------------------------------


async def test_runner_wakes_at_the_earliest_due_row_and_earlier_when_nudged(sessions: sessionmaker[Session]) -> None:
    plan(sessions, ("now", NOW), ("soon", NOW + timedelta(minutes=10)))
    clock, recorder = Clock(), Recorder()
    dispatcher = JobDispatcher(sessions, handlers={"test": recorder}, clock=clock, owner="w1")
    runner = DispatchRunner(dispatcher, tick=timedelta(seconds=60), clock=clock)
    runner.start(paused=True)
    try:
        assert runner.scheduler.get_job(runner.TICK_JOB) is not None
        assert await runner.wake() == 1
        assert runner.wake_time() == NOW + timedelta(minutes=10)
        runner.nudge(NOW + timedelta(minutes=2))
        assert runner.wake_time() == NOW + timedelta(minutes=2)
        runner.nudge(NOW + timedelta(minutes=30))  # later than armed: ignored
        assert runner.wake_time() == NOW + timedelta(minutes=2)
        clock.advance(minutes=10)
        assert await runner.wake() == 1
        assert [job.key for job in recorder.calls] == ["now", "soon"]
    finally:
        runner.shutdown()


async def test_apscheduler_wakes_the_dispatcher_again_for_rows_planned_while_it_runs(
        sessions: sessionmaker[Session]) -> None:
    """Real APScheduler on the wall clock: a row planned (elsewhere) while a run is under way is picked up by
    the re-armed wake-up, not left to the (here hour-long) safety tick."""
    ran: list[str] = []
    second_ran = asyncio.Event()

    class PlansAnother:
        async def __call__(self, job: ClaimedJob) -> JobOutcome:
            ran.append(job.key)
            if job.key == "first":
                await asyncio.to_thread(plan, sessions, ("second", utcnow()))
            else:
                second_ran.set()
            return JobOutcome(note="ok")

    dispatcher = JobDispatcher(sessions, handlers={"test": PlansAnother()}, owner="w1")
    runner = DispatchRunner(dispatcher, tick=timedelta(hours=1))
    with transaction(sessions) as session:
        replan(session, None, [PlannedJob(key="first", kind="test", due_at=utcnow())], now=NOW, reason="test")
    runner.start()
    try:
        await asyncio.wait_for(second_ran.wait(), timeout=10)
    finally:
        runner.shutdown()
    assert ran == ["first", "second"]


async def test_runner_works_a_backlog_in_batches(sessions: sessionmaker[Session]) -> None:
    plan(sessions, *((f"j{i:02d}", NOW - timedelta(seconds=i)) for i in range(25)))
    recorder = Recorder()
    dispatcher = JobDispatcher(sessions, handlers={"test": recorder}, clock=Clock(), owner="w1", batch=10)
    runner = DispatchRunner(dispatcher, clock=Clock())
    assert await runner.wake() == 25
    assert len({job.key for job in recorder.calls}) == 25


# -- claims on PostgreSQL -----------------------------------------------------------------------------------------

# Planner settings under which PostgreSQL runs `UPDATE ... WHERE id IN (pick)` as a nested-loop semi-join that
# re-runs the pick for every row it scans (it may choose that plan on its own). Each re-run skips the rows the
# statement already took, so such a claim overran its LIMIT and took the whole table.
PICK_RERUN_PER_ROW = "-c enable_hashagg=off -c enable_sort=off -c enable_hashjoin=off -c enable_mergejoin=off " \
                     "-c enable_material=off"


async def drain(dispatcher: JobDispatcher) -> list[int]:
    """Run due jobs until none are left; returns how many each claim took."""
    counts = []
    while count := await dispatcher.run_due():
        counts.append(count)
    return counts


@pytest.mark.postgres
async def test_each_claim_on_postgresql_takes_at_most_a_batch_and_concurrent_claims_split_the_rows(
        module_pg_url: str) -> None:
    empty_postgres(module_pg_url)
    engine = make_engine(module_pg_url, connect_args={"options": PICK_RERUN_PER_ROW})
    sessions = session_factory(engine)
    try:
        # Due in the order they are stored, so each re-run of a pick would find the very next row.
        keys = [f"due-{i:03d}" for i in range(200)]
        plan(sessions, *((key, NOW - timedelta(minutes=10) + timedelta(seconds=i)) for i, key in enumerate(keys)))
        first = Recorder()
        assert await JobDispatcher(sessions, handlers={"test": first}, clock=Clock(), owner="first",
                                   batch=10).run_due() == 10
        assert [job.key for job in first.calls] == keys[:10]

        vanished = keys[100:130]  # rows whose worker died: claimed again first, also a batch at a time
        with engine.begin() as conn:
            conn.execute(text("UPDATE scheduled_jobs SET state = 'running', lease_owner = 'gone', "
                              "lease_until = :ended, attempts = 1 WHERE idempotency_key = ANY(:keys)"),
                         {"ended": NOW - timedelta(minutes=1), "keys": vanished})
        retried = Recorder()
        assert await JobDispatcher(sessions, handlers={"test": retried}, clock=Clock(), owner="retry",
                                   batch=10).run_due() == 10
        assert {job.key for job in retried.calls} <= set(vanished)
        assert {job.attempts for job in retried.calls} == {2}

        a, b = Recorder(), Recorder()
        a_counts, b_counts = await asyncio.gather(
            drain(JobDispatcher(sessions, handlers={"test": a}, clock=Clock(), owner="a", batch=10)),
            drain(JobDispatcher(sessions, handlers={"test": b}, clock=Clock(), owner="b", batch=10)))
        assert max(a_counts + b_counts) <= 10
        a_keys, b_keys = [job.key for job in a.calls], [job.key for job in b.calls]
        assert not set(a_keys) & set(b_keys)
        assert sum(a_counts) + sum(b_counts) == len(a_keys) + len(b_keys) == 180
        assert sorted(a_keys + b_keys + [job.key for job in first.calls + retried.calls]) == keys
        assert {row.state for row in rows(sessions).values()} == {JobState.DONE}
    finally:
        engine.dispose()


# -- real processes -------------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_worker_processes_on_postgresql_run_each_job_exactly_once(module_pg_url: str) -> None:
    empty_postgres(module_pg_url)
    engine = make_engine(module_pg_url)
    sessions = session_factory(engine)
    with engine.begin() as conn:
        conn.execute(text(EFFECTS_DDL))
        conn.execute(text("DELETE FROM job_effects"))
    now = utcnow()
    with transaction(sessions) as session:
        replan(session, None, [PlannedJob(key=f"job-{i}", kind="test", due_at=now - timedelta(seconds=i % 50))
                               for i in range(300)], now=now, reason="test")
    gate = engine.connect()
    gate.execute(text("SELECT pg_advisory_lock(4242)"))
    workers = [spawn("effects", module_pg_url, f"worker-{n}") for n in (1, 2)]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read() if worker.stderr else ""
        gate.execute(text("SELECT pg_advisory_unlock(4242)"))
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        gate.close()
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert all(worker.returncode == 0 for worker in workers), outputs
    with engine.connect() as conn:
        per_key: dict[str, int] = dict(
            conn.execute(text("SELECT job_key, count(*) FROM job_effects GROUP BY job_key")).all())
        per_owner: dict[str, int] = dict(
            conn.execute(text("SELECT owner, count(*) FROM job_effects GROUP BY owner")).all())
        conn.execute(text("DROP TABLE job_effects"))
        conn.commit()
    assert len(per_key) == 300 and set(per_key.values()) == {1}
    assert set(per_owner) == {"worker-1", "worker-2"}, per_owner  # both really took part
    with sessions() as session:
        states = dict(session.execute(select(ScheduledJob.state, func.count()).group_by(ScheduledJob.state)).all())
    assert states == {JobState.DONE: 300}
    engine.dispose()


async def test_a_worker_killed_mid_send_repeats_nothing(sessions: sessionmaker[Session], database_url: str,
                                                        tmp_path: Path) -> None:
    """SIGKILL after the mail went out but before the job was marked done: the retry after the lease expires
    sends the same Message-ID, the outbox keeps one message, and `request_sent` is recorded once."""
    from scheduler.jobs import JobKind
    from scheduler.mail import Mailer
    from scheduler.meetings import MeetingEmailHandler
    from tests.rigs.meetings import Scene, plain_email

    fernet_key = Fernet.generate_key()
    scene = Scene.build(sessions, clock=utcnow, box=SecretBox(fernet_key))
    meeting = await scene.request()
    outbox = tmp_path / "outbox"
    worker = spawn("hang-after-send", database_url, "doomed-worker", str(outbox), fernet_key.decode())
    try:
        assert worker.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(worker.stdout.readline), timeout=60)
        assert line.startswith("sent <"), worker.stderr.read() if worker.stderr else ""
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    job = next(j for j in scene.service.view(meeting.id).jobs if j.kind == JobKind.REQUEST_EMAIL)
    assert job.state == JobState.RUNNING and job.attempts == 1
    assert [e.kind for e in scene.service.view(meeting.id).events] == []

    later = Clock(utcnow() + timedelta(minutes=3))  # past the dead worker's 2-minute lease
    mailer = CountingMailer(Mailer(outbox=outbox))
    handler = MeetingEmailHandler(scene.service, build_email=plain_email, mailer=mailer, domain="hirebot.test")
    dispatcher = JobDispatcher(sessions, handlers={JobKind.REQUEST_EMAIL: handler}, clock=later, owner="restarted")
    assert await dispatcher.run_due() == 1
    assert mailer.sent == [line.removeprefix("sent ").strip()]  # the retry reused the Message-ID
    assert len(list(outbox.glob("*.eml"))) == 1
    view = scene.service.view(meeting.id)
    assert [e.kind for e in view.events] == ["request_sent"]
    job = next(j for j in view.jobs if j.kind == JobKind.REQUEST_EMAIL)
    assert (job.state, job.attempts) == (JobState.DONE, 2)


class CountingMailer:
    def __init__(self, real: object) -> None:
        self.real = real
        self.sent: list[str] = []

    def send(self, message: EmailMessage) -> str:
        self.sent.append(str(message["Message-ID"]))
        return self.real.send(message)  # type: ignore[attr-defined]
