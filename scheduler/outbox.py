"""Delivers the ATS outbox (store/outbox_models.py): each meeting event's notes and interviews reach the ATS
once in effect, in order per candidate, across crashes and any number of workers on PostgreSQL.

* claim: one UPDATE stamps a batch of rows with a lease. Only the oldest unfinished row of each candidate
  is eligible, so a candidate's writes go out in order and never in parallel. On PostgreSQL the rows are
  picked with `FOR UPDATE SKIP LOCKED`; on SQLite hirebot runs one worker (no row locks).
* deliver: a row whose earlier attempt may have reached the ATS (a timeout after sending, or a worker
  that died holding it) is looked up first: a note by the marker at its end, an interview by the meeting's
  calendar UID or the remote id an earlier row stored.
* settle time: an ATS may apply a write after we stopped waiting for it (a held request, a gateway's 502 or
  504). Such a write is looked up only once `settle` (the ATS request timeout plus a margin) has passed
  since it was sent, or the lookup could miss a write still on its way and make it twice. A live worker
  that gave up on a write retries no earlier than `settle` after giving up; a vanished worker's row is
  taken over `settle` after its lease ran out (whatever it sent, it sent before then). A write is only
  sent under a lease with at least `settle` left (renewed first if not), so one write fits in one lease
  even if renewals stall; hence a lease shorter than `settle` is refused at start-up.
* settle: sent (with remote id and link), retried later with bounded exponential backoff, or parked after
  `max_attempts` (or at once when the ATS refuses) with a chat notice to the organizer. A 429 with
  Retry-After is pacing, not failure: the row comes back exactly when asked and the try does not count.
  A row whose lease ran out is claimable again; while a batch is out its leases are
  renewed every half lease, so a slow ATS does not hand a row in flight to another worker.
* intake rows (docs/new_candidates.md): `create_candidate` adds a person hirebot scheduled by email, reads
  them back into the store, and points the meeting at them; the meeting's later rows use those remote ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, exists, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker, undefer

from adapters.base import AtsAdapter
from adapters.errors import (
    AtsError,
    AuthError,
    ConfigError,
    HirebotError,
    MalformedResponse,
    NotSupported,
    RateLimited,
)
from adapters.http import RetryPolicy
from adapters.models import Candidate, ContactValue, Note, ScheduledInterview
from scheduler.ats_log import (
    INTERVIEW_ACTIONS,
    SOURCE_TAG,
    UNFINISHED,
    IntakeState,
    OutboxAction,
    OutboxState,
    backoff,
    plan_added_notice,
    plan_parked_notice,
)
from scheduler.jobs import ChatNotifier, ClaimedJob, JobOutcome
from store.db import transaction
from store.document_links import mint_resume_link, resume_link_url
from store.intake_models import CandidateIntake
from store.leases import process_owner
from store.meeting_models import Meeting
from store.models import Application, AtsConnection, Job, JobStage, utcnow
from store.models import Candidate as StoredCandidate
from store.outbox_models import OutboxItem
from store.sync import refresh_candidates

log = logging.getLogger(__name__)
T = TypeVar("T")

AdapterFactory = Callable[[AtsConnection], AtsAdapter]
# Greenhouse requires a last name; someone known only as "jane@…" gets this, plain to spot and correct.
NO_LAST_NAME = "(no last name)"


# What the adapters wait for one answer (adapters/http.py), and how much longer an ATS may take to apply a
# write it is still holding when we give up on it.
REQUEST_TIMEOUT = timedelta(seconds=RetryPolicy().timeout)
SETTLE_MARGIN = timedelta(seconds=30)
# 502 and 504 come from a gateway in front of the ATS: the ATS behind it may still be working on the write.
GATEWAY_STATUSES = frozenset({502, 504})


@dataclass(frozen=True)
class OutboxSettings:
    """How hard the worker tries. `max_attempts` failed attempts park a row.

    `request_timeout` is the adapters' timeout for one ATS request; with `settle_margin` it makes the settle
    time, how long a write whose answer never came may still take to land. The lease must be at least that.
    """

    max_attempts: int = 8
    batch: int = 20
    lease: timedelta = timedelta(minutes=5)
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=30)
    request_timeout: timedelta = REQUEST_TIMEOUT
    settle_margin: timedelta = SETTLE_MARGIN

    def __post_init__(self) -> None:
        if self.lease < self.settle:
            raise ConfigError(
                f"The ATS outbox lease ({_seconds(self.lease)}) is shorter than the settle time "
                f"({_seconds(self.settle)}: the ATS request timeout of {_seconds(self.request_timeout)} plus "
                f"{_seconds(self.settle_margin)}). A worker taking over a row that soon could miss a write still "
                f"on its way and make it twice; use a lease of at least {_seconds(self.settle)}.")

    @property
    def settle(self) -> timedelta:
        """How long after a write was sent its outcome may still change (the ATS applying it late)."""
        return self.request_timeout + self.settle_margin


@dataclass(frozen=True)
class ClaimedItem:
    """A row this worker holds the lease on."""

    id: int
    meeting_id: int
    connection_id: int | None
    provider: str
    action: str
    payload: Mapping[str, Any]
    attempts: int
    unsure: bool


@dataclass(frozen=True)
class Added:
    """The person an intake row added to the ATS, as settle records it on the intake and the meeting."""

    intake_id: int
    candidate_remote_id: str
    application_remote_id: str | None
    url: str


@dataclass(frozen=True)
class Delivered:
    remote_id: str | None
    link: str | None
    added: Added | None = None


class NotDelivered(HirebotError):
    """The write cannot be made as things are (retrying will not help)."""


class LeaseLost(HirebotError):
    """Another worker took the row over before this one sent its write; the write is not sent."""


class OutboxWorker:
    """Claims due outbox rows, writes them to their ATS, and records the outcome."""

    def __init__(self, sessions: sessionmaker[Session], adapter_for: AdapterFactory, *,
                 settings: OutboxSettings | None = None, clock: Callable[[], datetime] = utcnow,
                 owner: str | None = None, public_url: str | None = None) -> None:
        self.sessions = sessions
        # hirebot's public address: CV links for ATSs that download the file (store/document_links.py).
        self.public_url = public_url
        self.adapter_for = adapter_for
        self.settings = settings or OutboxSettings()
        self.clock = clock
        self.owner = owner or process_owner()
        self._adapters: dict[int, AtsAdapter] = {}
        self._adapter_lock = threading.Lock()
        self._leases: dict[int, datetime] = {}  # the rows out in a batch: when this worker's lease ends
        self._postgres = sessions.kw["bind"].dialect.name == "postgresql"

    async def run_once(self) -> int:
        """One batch: claim, deliver concurrently (one row per candidate), settle. Returns rows settled."""
        now = self.clock()
        claimed = await asyncio.to_thread(self.claim, now)
        if not claimed:
            return 0
        ids = [item.id for item in claimed]
        self._leases.update(dict.fromkeys(ids, now + self.settings.lease))
        renewing = asyncio.create_task(self._keep_leases(ids))
        try:
            results = await asyncio.gather(*(self._attempt(item) for item in claimed))
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            for row_id in ids:
                self._leases.pop(row_id, None)
        return sum(await asyncio.gather(*(asyncio.to_thread(self.settle, item, result)
                                          for item, result in zip(claimed, results, strict=True))))

    async def run_until_idle(self, *, max_batches: int = 10_000) -> int:
        """Batches until nothing is claimable now (retries due later stay pending). Returns rows settled."""
        total = 0
        for _ in range(max_batches):
            settled = await self.run_once()
            if not settled:
                return total
            total += settled
        return total

    async def run_forever(self, stop: asyncio.Event, *, idle: float = 5.0) -> None:
        """The background loop `hirebot run` starts: work while there is work, else wait `idle` seconds."""
        while not stop.is_set():
            try:
                settled = await self.run_once()
            except Exception:
                log.exception("The ATS outbox worker failed a round; trying again shortly")
                settled = 0
            if settled:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=idle)

    # -- claim ----------------------------------------------------------------------------------------------

    def claim(self, now: datetime) -> list[ClaimedItem]:
        """Lease up to `batch` eligible rows: due pending ones, and running ones whose worker vanished."""
        table = OutboxItem
        # The rows are picked once, in a CTE under their own alias: as an IN (...) subquery PostgreSQL may run
        # the pick again per row, and a shared alias would correlate it, either way overrunning LIMIT.
        picked = aliased(OutboxItem)
        settle = self.settings.settle
        pick = select(picked.id).where(_claimable(picked, now, settle)).order_by(picked.id).limit(self.settings.batch)
        if self._postgres:
            pick = pick.with_for_update(skip_locked=True)
        ids = pick.cte("picked")
        condition = _claimable(table, now, settle)
        with transaction(self.sessions) as session:
            rows = session.execute(
                update(table).where(table.id == ids.c.id, condition)
                .values(state=OutboxState.RUNNING, lease_owner=self.owner,
                        lease_until=now + self.settings.lease, attempts=table.attempts + 1,
                        # A row taken back from a vanished worker may have reached the ATS already.
                        unsure=case((table.state == OutboxState.RUNNING, True), else_=table.unsure))
                .returning(table.id, table.meeting_id, table.connection_id, table.provider, table.action,
                           table.payload, table.attempts, table.unsure)
                .execution_options(synchronize_session=False)).all()
        return sorted((ClaimedItem(id=r.id, meeting_id=r.meeting_id, connection_id=r.connection_id,
                                   provider=r.provider, action=r.action, payload=r.payload or {},
                                   attempts=r.attempts, unsure=bool(r.unsure)) for r in rows),
                      key=lambda item: item.id)

    async def _keep_leases(self, ids: list[int]) -> None:
        """While a batch is out (an ATS may answer slowly), renew its leases every half lease, so no other
        worker takes a row that is still being written."""
        while True:
            await asyncio.sleep(self.settings.lease.total_seconds() / 2)
            until = self.clock() + self.settings.lease
            try:
                await asyncio.to_thread(self._renew, ids, until)
            except Exception:
                log.exception("Could not renew the outbox leases; another worker may retry rows in flight")
                continue
            for row_id in ids:
                if row_id in self._leases:
                    self._leases[row_id] = max(self._leases[row_id], until)

    def _renew(self, ids: list[int], until: datetime) -> int:
        with transaction(self.sessions) as session:
            result = session.execute(update(OutboxItem).where(
                OutboxItem.id.in_(ids), OutboxItem.lease_owner == self.owner,
                OutboxItem.state == OutboxState.RUNNING).values(lease_until=until)
                .execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)

    async def _write(self, item: ClaimedItem, send: Callable[[], Awaitable[T]]) -> T:
        """Send one write whose outcome may stay unknown, under a lease that outlasts its settle time (renewed
        first when a lookup before it used up too much): the write lands while this worker still holds the
        row even if renewals stall, and is never sent once another worker may have taken the row over."""
        lease_until = self._leases.get(item.id)
        now = self.clock()
        if lease_until is not None and lease_until - now < self.settings.settle:
            until = now + self.settings.lease
            if not await asyncio.to_thread(self._renew, [item.id], until):
                raise LeaseLost(f"Outbox row {item.id} was taken over by another worker; not sent from here.")
            self._leases[item.id] = until
        return await send()

    # -- deliver --------------------------------------------------------------------------------------------

    async def _attempt(self, item: ClaimedItem) -> Delivered | Exception:
        try:
            adapter = await asyncio.to_thread(self._adapter, item.connection_id)
            return await self._deliver(adapter, item)
        except Exception as exc:
            return exc

    def _adapter(self, connection_id: int | None) -> AtsAdapter:
        if connection_id is None:
            raise NotDelivered("the ATS connection was removed")
        # One adapter per connection per worker: a batch's rows look it up from several threads at once, and
        # each extra adapter would fetch its own OAuth tokens (Greenhouse allows 30 a minute).
        with self._adapter_lock:
            adapter = self._adapters.get(connection_id)
            if adapter is None:
                with self.sessions() as session:
                    connection = session.get(AtsConnection, connection_id)
                    if connection is None or not connection.is_active:
                        raise NotDelivered("the ATS connection was removed or switched off")
                    adapter = self.adapter_for(connection)
                self._adapters[connection_id] = adapter
            return adapter

    async def _deliver(self, adapter: AtsAdapter, item: ClaimedItem) -> Delivered:
        action = OutboxAction(item.action)
        if action == OutboxAction.CREATE_CANDIDATE:
            return await self._create_candidate(adapter, item)
        if item.payload.get("intake_id") is not None and not item.payload.get("candidate_remote_id"):
            item = replace(item, payload=await asyncio.to_thread(self._added_ids, item))
        if action == OutboxAction.NOTE:
            return await self._note(adapter, item)
        if action == OutboxAction.CREATE_INTERVIEW:
            return await self._create_interview(adapter, item)
        if action == OutboxAction.UPDATE_INTERVIEW:
            return await self._update_interview(adapter, item)
        return await self._delete_interview(adapter, item)

    async def _note(self, adapter: AtsAdapter, item: ClaimedItem) -> Delivered:
        p = item.payload
        candidate = str(p["candidate_remote_id"])
        link = adapter.candidate_url(candidate)
        if item.unsure:
            found = await _looked_up(adapter.find_note(candidate, str(p["marker"])))
            if found is not None:
                return Delivered(found.remote_id, link)
        note = Note(candidate_remote_id=candidate, body=str(p["body"]),
                    application_remote_id=_text(p.get("application_remote_id")))
        created = await self._write(item, lambda: adapter.create_note(
            note, acting_user_id=_text(p.get("acting_user_id"))))
        return Delivered(created.remote_id, link)

    async def _create_interview(self, adapter: AtsAdapter, item: ClaimedItem) -> Delivered:
        if item.unsure:
            found = await self._find_interview(adapter, item)
            if found is not None:
                return found
        p = item.payload
        interview = _interview(p)
        created = await self._write(item, lambda: adapter.create_interview(interview, **_interview_options(p)))
        return Delivered(created.remote_id, adapter.candidate_url(str(p["candidate_remote_id"])))

    async def _update_interview(self, adapter: AtsAdapter, item: ClaimedItem) -> Delivered:
        remote_id = await asyncio.to_thread(self._scheduled_remote_id, item)
        if remote_id is None:
            found = await self._find_interview(adapter, item)
            remote_id = found.remote_id if found is not None else None
        if remote_id is None:  # the first round's interview never made it: schedule this one
            return await self._create_interview(adapter, item)
        p = item.payload
        interview, known = _interview(p), remote_id
        updated = await self._write(item, lambda: adapter.update_interview(known, interview,
                                                                           **_interview_options(p)))
        return Delivered(updated.remote_id or remote_id, adapter.candidate_url(str(p["candidate_remote_id"])))

    async def _delete_interview(self, adapter: AtsAdapter, item: ClaimedItem) -> Delivered:
        p = item.payload
        link = adapter.candidate_url(str(p["candidate_remote_id"]))
        remote_id = await asyncio.to_thread(self._scheduled_remote_id, item)
        if remote_id is None:
            found = await self._find_interview(adapter, item)
            remote_id = found.remote_id if found is not None else None
        if remote_id is None:
            return Delivered(None, link)  # nothing was ever scheduled: nothing to remove
        known = remote_id
        await self._write(item, lambda: adapter.delete_interview(
            known, acting_user_id=_text(p.get("acting_user_id")),
            candidate_remote_id=_text(p.get("candidate_remote_id"))))
        return Delivered(remote_id, link)

    # -- people hirebot adds (docs/new_candidates.md) -----------------------------------------------------

    async def _create_candidate(self, adapter: AtsAdapter, item: ClaimedItem) -> Delivered:
        p = item.payload
        intake = await asyncio.to_thread(self._intake, int(p["intake_id"]))
        found = await _looked_up(adapter.find_candidate_by_email(intake.email)) if item.unsure else None
        if found is None:
            person = Candidate(remote_id="", first_name=intake.first_name or intake.email.split("@")[0],
                               last_name=intake.last_name or NO_LAST_NAME,
                               emails=(ContactValue(intake.email, "personal"),),
                               links=(ContactValue(intake.linkedin_url, "linkedin"),) if intake.linkedin_url else ())
            options: dict[str, Any] = {"job_remote_id": intake.job_remote_id, "source_tag": SOURCE_TAG,
                                       "acting_user_id": _text(p.get("acting_user_id"))}
            if intake.resume:
                options["resume"] = (intake.resume_name or "resume", intake.resume, intake.resume_type)
            if intake.resume and self.public_url:
                # A fresh single-use link per attempt, for ATSs that fetch the CV themselves; others ignore it.
                token = await asyncio.to_thread(mint_resume_link, self.sessions, intake.id, now=self.clock())
                options["resume_url"] = resume_link_url(self.public_url, token)
            if intake.job_remote_id:
                # Start at the job's first stage with an interview to schedule, so the booking can be logged
                # (Greenhouse's job stages; Lever's stages belong to no job, so none is picked there).
                options["stage_id"] = await asyncio.to_thread(self._interview_stage, item.connection_id,
                                                              intake.job_remote_id)
            found = await self._write(item, lambda: adapter.create_candidate(person, **options))
        summary = await refresh_candidates(self.sessions, int(item.connection_id or 0), adapter, [found.remote_id])
        log.info("Added candidate %s to %s (%s stored)", found.remote_id, item.provider,
                 summary.created + summary.updated)
        application = await asyncio.to_thread(self._stored_application, item.connection_id, found.remote_id,
                                              intake.job_remote_id)
        url = found.url or adapter.candidate_url(found.remote_id)
        return Delivered(found.remote_id, url, Added(intake.id, found.remote_id, application, url))

    def _intake(self, intake_id: int) -> CandidateIntake:
        with self.sessions() as session:
            intake = session.scalar(select(CandidateIntake).where(CandidateIntake.id == intake_id)
                                    .options(undefer(CandidateIntake.resume)))
            if intake is None:
                raise NotDelivered("the details of the person to add were removed")
            session.expunge(intake)
            return intake

    def _interview_stage(self, connection_id: int | None, job_remote_id: str) -> str | None:
        with self.sessions() as session:
            stages = session.scalars(select(JobStage).join(Job, Job.id == JobStage.job_id).where(
                Job.connection_id == connection_id, Job.remote_id == job_remote_id)
                .order_by(JobStage.sort_order, JobStage.id))
            return next((stage.remote_id for stage in stages
                         if any(step.get("schedulable") for step in stage.interviews or [])), None)

    def _stored_application(self, connection_id: int | None, candidate_remote_id: str,
                            job_remote_id: str | None) -> str | None:
        """The new person's application (for the job picked, if the ATS listed it), as the store has it."""
        with self.sessions() as session:
            rows = session.execute(
                select(Application.remote_id, Job.remote_id)
                .join(StoredCandidate, StoredCandidate.id == Application.candidate_id)
                .outerjoin(Job, Job.id == Application.job_id)
                .where(StoredCandidate.connection_id == connection_id,
                       StoredCandidate.remote_id == candidate_remote_id)
                .order_by(Application.id)).all()
        matching = [app for app, job in rows if job_remote_id and job == job_remote_id]
        chosen = matching or [app for app, _ in rows]
        return chosen[0] if chosen else None

    def _added_ids(self, item: ClaimedItem) -> dict[str, Any]:
        """A later row of an intake meeting: the remote ids the create row recorded."""
        with self.sessions() as session:
            intake = session.get(CandidateIntake, int(item.payload["intake_id"]))
            if intake is None or intake.candidate_remote_id is None:
                raise NotDelivered("the candidate was not added to the ATS, so there is no record to log to")
            return {**item.payload, "candidate_remote_id": intake.candidate_remote_id,
                    "application_remote_id": item.payload.get("application_remote_id")
                    or intake.application_remote_id}

    async def _find_interview(self, adapter: AtsAdapter, item: ClaimedItem) -> Delivered | None:
        p = item.payload
        if not p.get("external_event_id"):
            return None
        found = await _looked_up(adapter.find_interview_by_external_id(
            str(p["external_event_id"]), application_remote_id=_text(p.get("application_remote_id")),
            candidate_remote_id=_text(p.get("candidate_remote_id"))))
        if found is None:
            return None
        return Delivered(found.remote_id, adapter.candidate_url(str(p["candidate_remote_id"])))

    def _scheduled_remote_id(self, item: ClaimedItem) -> str | None:
        """The meeting's interview as an earlier row recorded it (rows of one candidate run in order)."""
        with self.sessions() as session:
            return session.scalar(select(OutboxItem.remote_id).where(
                OutboxItem.meeting_id == item.meeting_id, OutboxItem.id < item.id,
                OutboxItem.action.in_(list(INTERVIEW_ACTIONS)), OutboxItem.state == OutboxState.SENT,
                OutboxItem.remote_id.is_not(None)).order_by(OutboxItem.id.desc()).limit(1))

    # -- settle ---------------------------------------------------------------------------------------------

    def settle(self, item: ClaimedItem, result: Delivered | Exception) -> int:
        """Record one outcome while this worker still holds the row; 0 when another worker took it."""
        now = self.clock()
        with transaction(self.sessions) as session:
            row = session.scalar(select(OutboxItem).where(
                OutboxItem.id == item.id, OutboxItem.lease_owner == self.owner,
                OutboxItem.state == OutboxState.RUNNING).with_for_update())
            if row is None:
                log.warning("Lost the lease on outbox row %s before finishing; another worker retries it",
                            item.id)
                return 0
            row.lease_owner = None
            row.lease_until = None
            if isinstance(result, Delivered):
                row.state, row.remote_id, row.link = OutboxState.SENT, result.remote_id, result.link
                row.sent_at = row.finished_at = now
                row.last_error, row.unsure = None, False
                if result.added is not None:
                    _record_added(session, row, result.added, now)
                return 1
            self._failed(session, row, result, now)
        return 1

    def _failed(self, session: Session, row: OutboxItem, exc: Exception, now: datetime) -> None:
        message = _safe_error(exc)
        hopeless = isinstance(exc, (AuthError, ConfigError, NotDelivered)) or _refused(exc)
        row.last_error = message
        # Once unsure, a row stays so until delivered: a lookup that failed (even a 429, which applied
        # nothing) has not settled whether an earlier write landed.
        row.unsure = row.unsure or _maybe_applied(exc)
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            # The ATS said when to come back: that is pacing, not a failed attempt, and waiting longer than
            # it asked only wastes the budget (several workers share one limit).
            row.attempts = max(row.attempts - 1, 0)
            row.state = OutboxState.PENDING
            row.due_at = now + min(timedelta(seconds=exc.retry_after), self.settings.max_delay)
            return
        log.warning("Outbox row %s (%s) failed on attempt %s: %s", row.id, row.action, row.attempts, message)
        if hopeless or row.attempts >= self.settings.max_attempts:
            row.state, row.finished_at = OutboxState.PARKED, now
            plan_parked_notice(session, row, now)
            return
        row.state = OutboxState.PENDING
        row.due_at = now + backoff(row.attempts, base=self.settings.base_delay, cap=self.settings.max_delay)
        if _may_land_later(exc):
            # A write may have gone out before we gave up on it; looking before it settled could miss it on its
            # way and make it a second time.
            row.due_at = max(row.due_at, now + self.settings.settle)

    def next_due(self) -> datetime | None:
        """When a row next becomes claimable (a retry's due time, or a settle time after a lease's end)."""
        with self.sessions() as session:
            pending = session.scalar(select(OutboxItem.due_at).where(OutboxItem.state == OutboxState.PENDING)
                                     .order_by(OutboxItem.due_at).limit(1))
            running = session.scalar(select(OutboxItem.lease_until).where(
                OutboxItem.state == OutboxState.RUNNING).order_by(OutboxItem.lease_until).limit(1))
        times = [t for t in (pending, running and running + self.settings.settle) if t is not None]
        return min(times) if times else None


class AtsNoticeHandler:
    """Runs `ats_notice` jobs (scheduler/ats_log.py plans them): the text goes to the organizer in chat."""

    def __init__(self, notifier: ChatNotifier | None) -> None:
        self.notifier = notifier

    async def __call__(self, job: ClaimedJob) -> JobOutcome:
        text = str(job.payload.get("text") or "")
        user_id = job.payload.get("user_id")
        if self.notifier is None:
            return JobOutcome(note="Not delivered: no chat front end configured.")
        if not text or user_id is None:
            return JobOutcome.cancelled("Not sent: the notice names no one to tell.")
        await asyncio.to_thread(self.notifier.notify, int(user_id), text,
                                meeting_id=int(job.payload.get("meeting_id") or 0))
        return JobOutcome(note="Told the organizer in chat.", result=text[:300])


def _record_added(session: Session, row: OutboxItem, added: Added, now: datetime) -> None:
    """The intake is done: the meeting now points at the person's ATS record, and the organizer hears of it."""
    intake = session.get(CandidateIntake, added.intake_id)
    meeting = session.get(Meeting, row.meeting_id)
    if intake is None or meeting is None:
        return
    intake.state, intake.finished_at = IntakeState.CREATED, now
    intake.candidate_remote_id, intake.application_remote_id = added.candidate_remote_id, added.application_remote_id
    intake.candidate_url = added.url
    stored = session.scalar(select(StoredCandidate).where(StoredCandidate.connection_id == row.connection_id,
                                                          StoredCandidate.remote_id == added.candidate_remote_id))
    meeting.connection_id = row.connection_id
    meeting.candidate_remote_id, meeting.application_remote_id = added.candidate_remote_id, added.application_remote_id
    meeting.candidate_id = stored.id if stored is not None else None
    if stored is not None:
        session.execute(update(OutboxItem).where(OutboxItem.meeting_id == meeting.id)
                        .values(candidate_id=stored.id).execution_options(synchronize_session=False))
    plan_added_notice(session, meeting, intake, now)


def _claimable(rows: Any, now: datetime, settle: timedelta) -> Any:
    """Due pending rows and rows whose worker vanished, each only if it is its candidate's oldest unfinished.
    A vanished worker may have sent a write up to its lease's end, so its rows wait `settle` beyond that."""
    older = aliased(OutboxItem)
    ready = or_(and_(rows.state == OutboxState.PENDING, rows.due_at <= now),
                and_(rows.state == OutboxState.RUNNING, rows.lease_until <= now - settle))
    first_of_candidate = ~exists().where(older.order_key == rows.order_key, older.id < rows.id,
                                         older.state.in_(list(UNFINISHED))).correlate(rows)
    return and_(ready, first_of_candidate)


async def _looked_up(lookup: Awaitable[T]) -> T | None:
    """An unsure write's lookup; an ATS that can't be asked finds nothing, so the write is made again."""
    try:
        return await lookup
    except NotSupported:
        return None


def _interview_options(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"acting_user_id": _text(p.get("acting_user_id")), "subject": _text(p.get("title")),
            "candidate_remote_id": _text(p.get("candidate_remote_id"))}


def _interview(p: Mapping[str, Any]) -> ScheduledInterview:
    if not p.get("start") or not p.get("end"):
        raise NotDelivered("the meeting has no booked time to put in the ATS")
    start, end = datetime.fromisoformat(str(p["start"])), datetime.fromisoformat(str(p["end"]))
    if p.get("timezone"):
        # The ATS shows the interview in the zone it is given (Lever's panel `timezone`): the meeting's own.
        zone = ZoneInfo(str(p["timezone"]))
        start, end = start.astimezone(zone), end.astimezone(zone)
    return ScheduledInterview(
        application_remote_id=str(p.get("application_remote_id") or p.get("candidate_remote_id")),
        start=start, end=end,
        interviewer_ids=tuple(str(i) for i in p.get("interviewer_ids") or ()),
        location=_text(p.get("location")), external_event_id=_text(p.get("external_event_id")))


def _refused(exc: Exception) -> bool:
    """The ATS said no (a 4xx other than 429): the same request will be refused again."""
    status = getattr(exc, "status", None)
    return isinstance(exc, AtsError) and status is not None and 400 <= status < 500 and status != 429


def _maybe_applied(exc: Exception) -> bool:
    """Whether the write may have landed although we saw a failure (no answer, or a 5xx to a write)."""
    return not (isinstance(exc, (RateLimited, AuthError, ConfigError, NotDelivered, LeaseLost)) or _refused(exc))


def _may_land_later(exc: Exception) -> bool:
    """Whether the ATS may still be applying the write: no answer came (a timeout, a dropped connection, a
    crash of our own mid-request), or a gateway answered for it. An answer from the ATS itself (a 500, a
    503) means it is done with the request, whatever it did."""
    if not _maybe_applied(exc) or isinstance(exc, MalformedResponse):
        return False
    status = getattr(exc, "status", None)
    return status is None or status in GATEWAY_STATUSES


def _seconds(span: timedelta) -> str:
    return f"{span.total_seconds():g} s"


def _safe_error(exc: BaseException) -> str:
    """Our own errors carry safe sentences; anything else is named by type only (it may hold secrets)."""
    if isinstance(exc, HirebotError):
        return str(exc)[:500]
    return f"unexpected {type(exc).__name__}"


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


__all__ = ["AdapterFactory", "AtsNoticeHandler", "ClaimedItem", "Delivered", "LeaseLost", "NotDelivered",
           "OutboxSettings", "OutboxWorker"]
