"""Durable jobs (reminder emails, follow-ups, chat notices) that any number of hirebot processes share safely.

Every job is a `ScheduledJob` row with a unique idempotency key. Planning (`replan`) runs inside the caller's
transaction, so a meeting change and its reminders commit together. Running is the dispatcher's:

* claim: one UPDATE takes a batch of due rows and stamps them with a lease (owner, expiry). On PostgreSQL
  the rows are picked with `FOR UPDATE SKIP LOCKED`, so concurrent workers never take the same row and never
  wait for each other. On SQLite hirebot runs as a single process (SQLite has no row locks); the claim is the
  same single UPDATE guarded by `state = 'pending'`, which stays safe within that process.
* run: the handler performs the side effect with a stable identity derived from the job key (an email's
  Message-ID), so a retry is recognisable as the same message.
* finish: the row is marked done in the same transaction as whatever the handler records (the meeting's
  `followup_sent` event), and only while this worker still holds the lease.

A worker that dies mid-send leaves its row `running`; when the lease runs out the row is claimable again and
the retry reuses the key. After downtime, a job overdue by less than `grace` runs late once; an older one is
marked `missed` with a note and never runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, cast

from sqlalchemy import Table, and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from adapters.errors import HirebotError
from store.db import transaction
from store.leases import process_owner
from store.meeting_models import ScheduledJob
from store.models import utcnow

log = logging.getLogger(__name__)

JOBS = cast(Table, ScheduledJob.__table__)
# The claim's own alias of the table (built once: an alias costs more to build than the rest of the claim).
PICKED_JOB = aliased(ScheduledJob, name="picked_job")

DEFAULT_LEASE = timedelta(minutes=2)
DEFAULT_GRACE = timedelta(hours=2)
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
MAX_ATTEMPTS = 5
FINISH_ATTEMPTS = 3


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    MISSED = "missed"
    CANCELLED = "cancelled"
    FAILED = "failed"


FINAL_STATES = frozenset({JobState.DONE, JobState.SKIPPED, JobState.MISSED, JobState.CANCELLED,
                          JobState.FAILED})


class JobKind(StrEnum):
    REQUEST_EMAIL = "request_email"
    FOLLOWUP_EMAIL = "followup_email"
    DAYOF_REMINDER = "dayof_reminder"
    INVITE_EMAIL = "invite_email"
    UPDATE_EMAIL = "update_email"
    CANCEL_EMAIL = "cancel_email"
    ORGANIZER_NOTICE = "organizer_notice"
    BRIEFING = "briefing"
    BRIEFING_DIGEST = "briefing_digest"


EMAIL_KINDS = frozenset({JobKind.REQUEST_EMAIL, JobKind.FOLLOWUP_EMAIL, JobKind.DAYOF_REMINDER,
                         JobKind.INVITE_EMAIL, JobKind.UPDATE_EMAIL, JobKind.CANCEL_EMAIL})


@dataclass(frozen=True)
class PlannedJob:
    """A job a meeting wants; `skip_note` set means "record that it will not happen, and why"."""

    key: str
    kind: str
    due_at: datetime
    meeting_id: int | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    skip_note: str | None = None


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds the lease on, as handed to its handler."""

    id: int
    key: str
    kind: str
    meeting_id: int | None
    due_at: datetime
    payload: Mapping[str, Any]
    attempts: int
    owner: str
    lease_until: datetime


@dataclass(frozen=True)
class JobOutcome:
    """What a handler did. `finish`, when given, runs in the transaction that marks the job finished."""

    state: JobState = JobState.DONE
    note: str | None = None
    result: str | None = None
    finish: Callable[[Session], None] | None = None

    @classmethod
    def cancelled(cls, note: str) -> JobOutcome:
        return cls(state=JobState.CANCELLED, note=note)

    @classmethod
    def skipped(cls, note: str) -> JobOutcome:
        return cls(state=JobState.SKIPPED, note=note)


class JobHandler(Protocol):
    """Runs one kind of job. Raise to retry (an exception with `retryable = False` gives up at once)."""

    async def __call__(self, job: ClaimedJob) -> JobOutcome: ...


class ChatNotifier(Protocol):
    """Delivers a short text to a hirebot user in chat (Slack, Teams, the console); front ends implement
    it."""

    def notify(self, user_id: int, text: str, *, meeting_id: int) -> None: ...


def message_id_for(key: str, domain: str) -> str:
    """The email Message-ID of a job: the same for every attempt, so a retried send is the same message."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


# -- planning (inside the caller's transaction) -----------------------------------------------------------


def job_row(plan: PlannedJob, now: datetime) -> ScheduledJob:
    """The durable row of a planned job: pending, or already skipped with its reason."""
    return ScheduledJob(meeting_id=plan.meeting_id, kind=plan.kind, due_at=plan.due_at, idempotency_key=plan.key,
                        payload=dict(plan.payload), attempts=0, created_at=now,
                        state=JobState.SKIPPED if plan.skip_note else JobState.PENDING, note=plan.skip_note,
                        finished_at=now if plan.skip_note else None)


def replan(session: Session, meeting_id: int | None, wanted: Sequence[PlannedJob], *, now: datetime,
           reason: str) -> list[ScheduledJob]:
    """Make the meeting's jobs match `wanted`: pending jobs no longer wanted become `cancelled` with a note
    naming `reason`; wanted jobs not yet known are inserted (as `skipped` when they carry a skip note).
    Keys already present, whatever their state, are left alone: a sent reminder is never planned again.
    Returns the inserted rows."""
    existing = {job.idempotency_key: job for job in
                session.scalars(select(ScheduledJob).where(ScheduledJob.meeting_id == meeting_id))}
    wanted_keys = {plan.key for plan in wanted}
    for job in existing.values():
        if job.state == JobState.PENDING and job.idempotency_key not in wanted_keys:
            job.state = JobState.CANCELLED
            job.note = f"No longer needed: {reason}."
            job.finished_at = now
    inserted = []
    for plan in wanted:
        if plan.key in existing:
            continue
        row = job_row(plan, now)
        session.add(row)
        inserted.append(row)
    session.flush()
    return inserted


# -- running ------------------------------------------------------------------------------------------------


class JobDispatcher:
    """Claims due jobs, runs their handlers, and records the outcome; safe to run in many processes."""

    def __init__(self, sessions: sessionmaker[Session], *, handlers: Mapping[str, JobHandler],
                 clock: Callable[[], datetime] = utcnow, owner: str | None = None,
                 lease: timedelta = DEFAULT_LEASE, grace: timedelta = DEFAULT_GRACE, batch: int = 100,
                 concurrency: int = 8, max_attempts: int = MAX_ATTEMPTS,
                 retry_delays: Sequence[timedelta] = RETRY_DELAYS) -> None:
        if not handlers:
            raise ValueError("a dispatcher needs at least one handler")
        self.sessions = sessions
        self.handlers = dict(handlers)
        self.clock = clock
        self.owner = owner or process_owner()
        self.lease = lease
        self.grace = grace
        self.batch = batch
        self.concurrency = max(1, concurrency)
        self.max_attempts = max_attempts
        self.retry_delays = tuple(retry_delays) or RETRY_DELAYS
        bind = sessions.kw.get("bind")
        self._postgres = bind is not None and bind.dialect.name == "postgresql"

    async def run_due(self) -> int:
        """Claim what is due now, run it, and return how many jobs this call ran to an outcome."""
        now = self.clock()
        await asyncio.to_thread(self.mark_missed, now)
        claimed = await asyncio.to_thread(self._claim, now)
        if not claimed:
            return 0
        gate = asyncio.Semaphore(self.concurrency)
        held = {job.id: job for job in claimed}
        done: asyncio.Queue[_Result | None] = asyncio.Queue()

        async def run(job: ClaimedJob) -> None:
            async with gate:
                try:
                    current = await self._keep_lease(job, held)
                except Exception as exc:  # the database is away: the row waits for its lease to run out
                    log.warning("Could not renew the lease on job %s: %s", job.key, type(exc).__name__)
                    current = None
                if current is None:
                    done.put_nowait(None)
                    return
                outcome = await self._outcome(current)
                held.pop(current.id, None)
                done.put_nowait((current, outcome))

        tasks = [asyncio.create_task(run(job)) for job in claimed]
        try:
            return await self._settle_as_they_come(done, len(claimed))
        finally:
            await asyncio.gather(*tasks, return_exceptions=True)

    def next_due(self) -> datetime | None:
        """When something next becomes claimable: a pending row's due time or a running row's lease expiry."""
        table = ScheduledJob
        kinds = list(self.handlers)
        with self.sessions() as session:
            pending = session.scalar(select(func.min(table.due_at))
                                     .where(table.state == JobState.PENDING, table.kind.in_(kinds)))
            expiring = session.scalar(select(func.min(table.lease_until))
                                      .where(table.state == JobState.RUNNING, table.kind.in_(kinds)))
        times = [t for t in (pending, expiring) if t is not None]
        return min(times) if times else None

    def mark_missed(self, now: datetime) -> int:
        """Rows overdue by more than the grace window are recorded as missed, never run."""
        cutoff = now - self.grace
        table = ScheduledJob
        grace = _duration(self.grace)
        count = 0
        with transaction(self.sessions) as session:
            for condition, note in (
                (and_(table.state == JobState.PENDING, table.due_at < cutoff),
                 f"Not sent: it was due more than {grace} before hirebot could run it."),
                (and_(table.state == JobState.RUNNING, table.lease_until <= now, table.due_at < cutoff),
                 f"Not retried: the process sending it stopped, and it is now more than {grace} overdue. "
                 "It may or may not have gone out."),
            ):
                ids = select(table.id).where(condition, table.kind.in_(list(self.handlers)))
                if self._postgres:
                    ids = ids.with_for_update(skip_locked=True)
                result = session.execute(
                    update(table).where(table.id.in_(ids.scalar_subquery()), condition)
                    .values(state=JobState.MISSED, note=note, finished_at=now, lease_owner=None,
                            lease_until=None)
                    .execution_options(synchronize_session=False))
                count += _rowcount(result)
        return count

    # -- claim, run, finish ----------------------------------------------------------------------------------

    def _claim(self, now: datetime) -> list[ClaimedJob]:
        """Take up to `batch` rows: first those whose worker vanished (lease expired), then due pending ones.
        Two statements, so each walks its own (state, time) index in order instead of sorting the table."""
        until = now + self.lease
        kinds = list(self.handlers)

        def vanished(rows: Any) -> tuple[Any, Any]:
            return and_(rows.kind.in_(kinds), rows.state == JobState.RUNNING, rows.lease_until <= now), \
                rows.lease_until

        def due(rows: Any) -> tuple[Any, Any]:
            return and_(rows.kind.in_(kinds), rows.state == JobState.PENDING, rows.due_at <= now), rows.due_at

        with transaction(self.sessions) as session:
            rows = self._take(session, vanished, self.batch, now, until)
            if len(rows) < self.batch:
                rows += self._take(session, due, self.batch - len(rows), now, until)
        jobs = [ClaimedJob(id=r.id, key=r.idempotency_key, kind=r.kind, meeting_id=r.meeting_id,
                           due_at=r.due_at, payload=r.payload or {}, attempts=r.attempts, owner=self.owner,
                           lease_until=until)
                for r in rows]
        return sorted(jobs, key=lambda job: (job.due_at, job.id))

    def _take(self, session: Session, pick: Callable[[Any], tuple[Any, Any]], limit: int, now: datetime,
              until: datetime) -> list[Any]:
        """Lease up to `limit` rows; `pick(rows)` gives the condition and the order for any alias of the table.

        The rows are picked once, in a CTE under their own alias: as an `IN (...)` subquery PostgreSQL may
        re-run the pick for each row it scans (a nested-loop semi-join), and each re-run skips the rows this
        statement already took, so one claim could take far more than `limit`.
        """
        table = ScheduledJob
        condition, order = pick(PICKED_JOB)
        ids = select(PICKED_JOB.id).where(condition).order_by(order).limit(limit)
        if self._postgres:
            ids = ids.with_for_update(skip_locked=True)
        chosen = ids.cte("picked")
        still, _ = pick(table)
        return list(session.execute(
            update(table).where(table.id == chosen.c.id, still)
            .values(state=JobState.RUNNING, lease_owner=self.owner, lease_until=until,
                    attempts=table.attempts + 1, started_at=now)
            .returning(table.id, table.idempotency_key, table.kind, table.meeting_id, table.due_at,
                       table.payload, table.attempts)
            .execution_options(synchronize_session=False)).all())

    async def _keep_lease(self, job: ClaimedJob, held: dict[int, ClaimedJob]) -> ClaimedJob | None:
        """Renew the leases of everything still waiting in this batch once half a lease has gone by."""
        current = held.get(job.id)
        if current is None:
            return None
        now = self.clock()
        if now < current.lease_until - self.lease / 2:
            return current
        until = now + self.lease
        renewed = await asyncio.to_thread(self._renew, list(held), until)
        for job_id in list(held):
            if job_id in renewed:
                held[job_id] = _with_lease(held[job_id], until)
            else:
                held.pop(job_id)
        return held.get(job.id)

    def _renew(self, job_ids: list[int], until: datetime) -> set[int]:
        table = ScheduledJob
        with transaction(self.sessions) as session:
            rows = session.execute(
                update(table).where(table.id.in_(job_ids), table.lease_owner == self.owner,
                                    table.state == JobState.RUNNING)
                .values(lease_until=until).returning(table.id)
                .execution_options(synchronize_session=False)).all()
        return {row.id for row in rows}

    async def _outcome(self, job: ClaimedJob) -> JobOutcome | Exception:
        if job.attempts > self.max_attempts:
            return JobOutcome(state=JobState.FAILED, note=f"Gave up after {job.attempts - 1} attempts: the "
                              "process running it stopped each time.")
        try:
            return await self.handlers[job.kind](job)
        except Exception as exc:
            return exc

    async def _settle_as_they_come(self, done: asyncio.Queue[_Result | None], expected: int) -> int:
        """Record outcomes in as few transactions as their pace allows: whatever finished while the previous
        commit ran goes into the next one. Each job's row and its event still commit together."""
        settled = 0
        while expected:
            batch = [await done.get()]
            while not done.empty():
                batch.append(done.get_nowait())
            expected -= len(batch)
            results = [item for item in batch if item is not None]
            if results:
                settled += await asyncio.to_thread(self._settle, results)
        return settled

    def _settle(self, results: list[_Result]) -> int:
        """All outcomes in one transaction: two statements for the rows, then each job's own record."""
        try:
            with transaction(self.sessions) as session:
                return self._settle_together(session, results)
        except (StaleDataError, IntegrityError, OperationalError, HirebotError, LeaseLost):
            # One record could not be written, or a lease moved: settle each alone so the rest go through.
            return sum(self._settle_alone(job, outcome) for job, outcome in results)

    def _settle_together(self, session: Session, results: list[_Result]) -> int:
        table = JOBS
        ids = [job.id for job, _ in results]
        held_rows = select(table.c.id).where(table.c.id.in_(ids), table.c.lease_owner == self.owner,
                                             table.c.state == JobState.RUNNING)
        if self._postgres:
            held_rows = held_rows.with_for_update()
        held = set(session.scalars(held_rows))
        mine = [(job, outcome) for job, outcome in results if job.id in held]
        for job, _ in results:
            if job.id not in held:
                log.warning("Lost the lease on job %s (%s) before finishing; another worker retries it",
                            job.key, job.kind)
        now = self.clock()
        finished = [self._finished_values(job, outcome, now) for job, outcome in mine
                    if isinstance(outcome, JobOutcome)]
        failed = [self._failure_values(job, outcome, now) for job, outcome in mine
                  if isinstance(outcome, Exception)]
        for params, columns in ((finished, _FINISHED_COLUMNS), (failed, _FAILED_COLUMNS)):
            if not params:
                continue
            statement = (update(table)
                         .where(table.c.id == bindparam("job_id"), table.c.lease_owner == self.owner,
                                table.c.state == JobState.RUNNING)
                         .values(lease_owner=None, lease_until=None,
                                 **{column: bindparam(f"new_{column}") for column in columns}))
            result = session.execute(statement, params)
            if _rowcount(result) != len(params):  # a row changed hands in between: go one by one
                raise LeaseLost()
        # Records lock their meetings; taking them in one order keeps two workers from deadlocking.
        for _, outcome in sorted(mine, key=lambda pair: (pair[0].meeting_id or 0, pair[0].id)):
            if isinstance(outcome, JobOutcome) and outcome.finish is not None:
                outcome.finish(session)
        return len(mine)

    def _settle_alone(self, job: ClaimedJob, outcome: JobOutcome | Exception) -> bool:
        """One job in its own transaction, retried when its meeting moved meanwhile. If its record still
        cannot be written, the job is marked finished anyway: the side effect happened, it must not repeat."""
        failure: Exception | None = None
        for _ in range(FINISH_ATTEMPTS):
            try:
                with transaction(self.sessions) as session:
                    return self._settle_one(session, job, outcome)
            except (StaleDataError, IntegrityError, OperationalError) as exc:
                failure = exc
            except HirebotError as exc:
                failure = exc
                break
        if not isinstance(outcome, JobOutcome) or failure is None:
            return False  # the database keeps refusing: the lease runs out and the job is tried again
        note = f"{outcome.note or 'Done'} (its event could not be recorded: {_safe_error(failure)})"
        bare = JobOutcome(state=outcome.state, note=note, result=outcome.result)
        with transaction(self.sessions) as session:
            return self._settle_one(session, job, bare)

    def _settle_one(self, session: Session, job: ClaimedJob, outcome: JobOutcome | Exception) -> bool:
        """Write one outcome while we still hold the lease; False when another worker has taken the row."""
        now = self.clock()
        if isinstance(outcome, Exception):
            params = self._failure_values(job, outcome, now)
        else:
            params = self._finished_values(job, outcome, now)
        table = JOBS
        result = session.execute(
            update(table).where(table.c.id == job.id, table.c.lease_owner == self.owner,
                                table.c.state == JobState.RUNNING)
            .values(lease_owner=None, lease_until=None,
                    **{key.removeprefix("new_"): value for key, value in params.items() if key != "job_id"}))
        if _rowcount(result) != 1:
            log.warning("Lost the lease on job %s (%s) before finishing; another worker retries it",
                        job.key, job.kind)
            return False
        if isinstance(outcome, JobOutcome) and outcome.finish is not None:
            outcome.finish(session)
        return True

    @staticmethod
    def _finished_values(job: ClaimedJob, outcome: JobOutcome, now: datetime) -> dict[str, Any]:
        return {"job_id": job.id, "new_state": outcome.state, "new_note": outcome.note,
                "new_result": outcome.result, "new_finished_at": now}

    def _failure_values(self, job: ClaimedJob, exc: Exception, now: datetime) -> dict[str, Any]:
        """A retry with backoff for transient failures; give up on permanent ones or after the last try."""
        message = _safe_error(exc)
        retryable = getattr(exc, "retryable", True)
        log.warning("Job %s (%s) failed on attempt %s: %s", job.key, job.kind, job.attempts, message)
        values: dict[str, Any] = {"job_id": job.id, "new_last_error": message}
        if retryable and job.attempts < self.max_attempts:
            delay = self.retry_delays[min(job.attempts, len(self.retry_delays)) - 1]
            return {**values, "new_state": JobState.PENDING, "new_due_at": now + delay,
                    "new_finished_at": None, "new_note": None}
        why = "it cannot succeed as is" if not retryable else f"{job.attempts} attempts"
        return {**values, "new_state": JobState.FAILED, "new_due_at": job.due_at, "new_finished_at": now,
                "new_note": f"Gave up ({why}): {message}"}


class LeaseLost(Exception):
    """A row we were finishing has changed hands; settle one by one to find out which."""


_FINISHED_COLUMNS = ("state", "note", "result", "finished_at")
_FAILED_COLUMNS = ("state", "due_at", "last_error", "finished_at", "note")
_Result = tuple[ClaimedJob, "JobOutcome | Exception"]


def _rowcount(result: Any) -> int:
    """Rows an UPDATE touched (summed over an executemany); both dialects report it reliably."""
    return int(getattr(result, "rowcount", 0) or 0)


def _with_lease(job: ClaimedJob, until: datetime) -> ClaimedJob:
    return ClaimedJob(id=job.id, key=job.key, kind=job.kind, meeting_id=job.meeting_id, due_at=job.due_at,
                      payload=job.payload, attempts=job.attempts, owner=job.owner, lease_until=until)


def _safe_error(exc: BaseException) -> str:
    """Our own errors carry safe sentences; anything else is named by type only (it may hold secrets)."""
    if isinstance(exc, HirebotError):
        return str(exc)[:500]
    return f"unexpected {type(exc).__name__}"


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


__all__ = [
    "EMAIL_KINDS", "FINAL_STATES", "ChatNotifier", "ClaimedJob", "JobDispatcher", "JobHandler", "JobKind",
    "JobOutcome", "JobState", "PlannedJob", "message_id_for", "replan",
]
