"""The sync engine: copies one ATS connection into the store, page by page, each page all or nothing.

The bot answers from this copy, so a sync must never leave it half-written: every page of candidates
is stored in one transaction, the incremental cursor only moves after a whole run succeeded, and
candidates the ATS no longer lists are removed only after a complete full pass. A batch is
authoritative for its candidates' children: applications and attachments a batch does not carry
for one of its candidates are removed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import String, Table, delete, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from adapters import models as ats
from adapters.base import AtsAdapter, Capability
from adapters.errors import AtsError, ConfigError, HirebotError
from store import models as orm
from store.db import transaction
from store.models import utcnow

log = logging.getLogger(__name__)

# Results come ordered by id, not time, and clocks drift: the next incremental run re-reads a margin.
CURSOR_OVERLAP = timedelta(minutes=5)
IN_CLAUSE_SIZE = 900
MAX_ERROR_CHARS = 500
# Answers to an optional read that mean "this credential may not read that" (403) or "not offered to it"
# (404): the sync goes on without it. A 401 (the credential itself refused) still fails the run.
OPTIONAL_READ_REFUSALS = frozenset({403, 404})
CANDIDATES = cast(Table, orm.Candidate.__table__)
APPLICATIONS = cast(Table, orm.Application.__table__)
ATTACHMENTS = cast(Table, orm.Attachment.__table__)
PHASE_WORDS = {
    "starting": "starting",
    "users": "reading users",
    "jobs": "reading jobs",
    "stages": "reading job stages",
    "candidates": "reading candidates",
    "deleting": "removing candidates the ATS no longer lists",
    "finishing": "saving the sync state",
}


@dataclass(frozen=True)
class SyncProgress:
    phase: str
    done: int
    total: int | None


@dataclass(frozen=True)
class SyncSummary:
    connection_id: int
    full: bool
    created: int
    updated: int
    unchanged: int
    deleted: int
    jobs: int
    users: int
    requests: int
    started_at: datetime
    finished_at: datetime
    # What this run had to do without (an optional read the credential may not make); also in `last_error`.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def __add__(self, other: BatchCounts) -> BatchCounts:
        return BatchCounts(self.created + other.created, self.updated + other.updated,
                           self.unchanged + other.unchanged, self.deleted + other.deleted)


ProgressCallback = Callable[[SyncProgress], None]


async def sync_connection(sessions: sessionmaker[Session], connection_id: int, adapter: AtsAdapter, *,
                          full: bool = False, progress: ProgressCallback | None = None,
                          now: Callable[[], datetime] = utcnow) -> SyncSummary:
    """Bring the store up to date with the ATS behind `adapter`; incremental unless `full` (or first run).

    On failure the connection's `last_error` says what went wrong, the cursor stays, and the error is
    re-raised. Pages stored before the failure stay stored.
    """
    started = now()
    cursor = await asyncio.to_thread(_read_cursor, sessions, connection_id)
    full = full or cursor is None or not adapter.supports(Capability.INCREMENTAL_SYNC)
    run = _Run(sessions, connection_id, adapter, progress, now)
    try:
        users = await run.users()
        jobs = await run.jobs()
        await run.stages()
        counts, requests, seen = await run.candidates(None if full else cursor, track=full)
        run.phase = "deleting" if full else "finishing"
        finished = now()
        deleted = await asyncio.to_thread(_finish, sessions, connection_id, started, finished, seen,
                                          tuple(run.warnings))
    except Exception as exc:
        message = failure_message(run.phase, exc)
        log.warning("Sync of connection %s failed: %s", connection_id, message)
        await asyncio.to_thread(_record_failure, sessions, connection_id, message)
        raise
    run.report("done", counts.created + counts.updated + counts.unchanged, None)
    return SyncSummary(connection_id=connection_id, full=full, created=counts.created, updated=counts.updated,
                       unchanged=counts.unchanged, deleted=deleted, jobs=jobs, users=users, requests=requests,
                       started_at=started, finished_at=finished, warnings=tuple(run.warnings))


async def refresh_candidates(sessions: sessionmaker[Session], connection_id: int, adapter: AtsAdapter,
                             remote_ids: Sequence[str], *,
                             now: Callable[[], datetime] = utcnow) -> SyncSummary:
    """Re-read a few candidates now (a webhook, "refresh Jane"); ids the ATS no longer has are deleted."""
    started = now()
    wanted = list(dict.fromkeys(str(rid).strip() for rid in remote_ids if str(rid).strip()))
    counts, requests = BatchCounts(), 0
    if wanted:
        batch = await adapter.fetch_candidates(wanted)
        requests = batch.requests
        counts = await asyncio.to_thread(_store_refresh, sessions, connection_id, batch, wanted, now())
    return SyncSummary(connection_id=connection_id, full=False, created=counts.created, updated=counts.updated,
                       unchanged=counts.unchanged, deleted=counts.deleted, jobs=0, users=0, requests=requests,
                       started_at=started, finished_at=now())


def failure_message(phase: str, exc: BaseException) -> str:
    """A short sentence for `last_error`: our own errors are written to be shown; others are only named."""
    if isinstance(exc, HirebotError):
        reason = str(exc)
    else:
        reason = f"an unexpected {type(exc).__name__} (the details are in the server log)"
    message = f"Sync failed while {PHASE_WORDS.get(phase, phase)}: {reason}"
    return message if len(message) <= MAX_ERROR_CHARS else message[: MAX_ERROR_CHARS - 1] + "…"


class _Run:
    """One sync run's steps; `phase` names the step under way for progress and error messages."""

    def __init__(self, sessions: sessionmaker[Session], connection_id: int, adapter: AtsAdapter,
                 progress: ProgressCallback | None, now: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.connection_id = connection_id
        self.adapter = adapter
        self.progress = progress
        self.now = now
        self.phase = "starting"
        self.counts = BatchCounts()
        self.warnings: list[str] = []

    def report(self, phase: str, done: int, total: int | None) -> None:
        if self.progress is not None:
            self.progress(SyncProgress(phase=phase, done=done, total=total))

    async def users(self) -> int:
        """The ATS's users, which only map organizers and interviewers to people: a credential that may not
        read them (a missing scope such as Greenhouse's harvest:user_emails:list) still syncs candidates,
        with a warning, and the users stored before stay as they were."""
        if not self.adapter.supports(Capability.READ_USERS):
            return 0
        self.phase = "users"
        self.report("users", 0, None)
        try:
            users = await self.adapter.list_users()
        except AtsError as exc:
            if exc.status not in OPTIONAL_READ_REFUSALS:
                raise
            warning = (f"Synced without the ATS's users (they only match organizers and interviewers to people): "
                       f"{exc}")
            log.warning("Connection %s: %s", self.connection_id, warning)
            self.warnings.append(warning)
            return 0
        await asyncio.to_thread(self._in_transaction, _store_users, users)
        self.report("users", len(users), len(users))
        return len(users)

    async def jobs(self) -> int:
        if not self.adapter.supports(Capability.READ_JOBS):
            return 0
        self.phase = "jobs"
        self.report("jobs", 0, None)
        jobs = await self.adapter.list_jobs()
        await asyncio.to_thread(self._in_transaction, _store_jobs, jobs)
        self.report("jobs", len(jobs), len(jobs))
        return len(jobs)

    async def stages(self) -> None:
        if not self.adapter.supports(Capability.READ_STAGES):
            return
        self.phase = "stages"
        self.report("stages", 0, None)
        stages = await self.adapter.list_stages()
        await asyncio.to_thread(self._in_transaction, _store_stages, stages)
        self.report("stages", len(stages), len(stages))

    async def candidates(self, since: datetime | None, *, track: bool) -> tuple[BatchCounts, int, set[str] | None]:
        """Store every batch in its own transaction; with `track`, remember which remote ids were listed.

        A page is written (in a worker thread) while the next one is fetched, and at most one page is
        being written at any time, so memory stays at two pages whatever the roster size.
        """
        self.phase = "candidates"
        self.report("candidates", 0, None)
        self.counts, requests = BatchCounts(), 0
        seen: set[str] | None = set() if track else None
        writing: asyncio.Task[None] | None = None
        try:
            async for batch in self.adapter.candidate_batches(updated_since=since):
                requests += batch.requests
                if seen is not None:
                    seen.update(candidate.remote_id for candidate in batch.candidates)
                if writing is not None:
                    await writing
                    writing = None
                if batch.candidates:
                    writing = asyncio.create_task(self._store(batch))
            if writing is not None:
                await writing
                writing = None
        finally:
            if writing is not None:
                # The fetch failed while a page was being written: let that page finish (commit or roll
                # back) before the failure is recorded, so the store is never caught mid-page.
                await asyncio.gather(writing, return_exceptions=True)
        return self.counts, requests, seen

    async def _store(self, batch: ats.CandidateBatch) -> None:
        self.counts += await asyncio.to_thread(_store_page, self.sessions, self.connection_id, batch, self.now())
        self.report("candidates", self.counts.created + self.counts.updated + self.counts.unchanged, None)

    def _in_transaction(self, store: Callable[[Session, int, Any], None], items: Any) -> None:
        with transaction(self.sessions) as session:
            store(session, self.connection_id, items)


# --- connection state --------------------------------------------------------------------------------


def _read_cursor(sessions: sessionmaker[Session], connection_id: int) -> datetime | None:
    with transaction(sessions) as session:
        connection = _connection(session, connection_id)
        return _parse_cursor(connection.sync_cursor)


def _connection(session: Session, connection_id: int) -> orm.AtsConnection:
    connection = session.get(orm.AtsConnection, connection_id)
    if connection is None:
        raise ConfigError(f"There is no ATS connection with id {connection_id}.")
    return connection


def _parse_cursor(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        log.warning("Ignoring an unreadable sync cursor %r; running a full sync", text)
        return None
    return moment if moment.tzinfo is not None else None


def _finish(sessions: sessionmaker[Session], connection_id: int, started: datetime, finished: datetime,
            seen: set[str] | None, warnings: tuple[str, ...] = ()) -> int:
    """Remove what a full pass no longer listed and move the cursor, together in one transaction. What the
    run did without is kept as the connection's `last_error` (`hirebot connections` shows it), else cleared."""
    with transaction(sessions) as session:
        deleted = _delete_unlisted(session, connection_id, seen) if seen is not None else 0
        connection = _connection(session, connection_id)
        connection.sync_cursor = (started - CURSOR_OVERLAP).isoformat()
        connection.last_sync_at = finished
        connection.last_error = _warning_text(warnings)
        if seen is not None:
            connection.last_full_sync_at = finished
        if deleted:
            _bump_roster(session, connection_id)
        return deleted


def _warning_text(warnings: tuple[str, ...]) -> str | None:
    if not warnings:
        return None
    message = "Warning: " + " ".join(warnings)
    return message if len(message) <= MAX_ERROR_CHARS else message[: MAX_ERROR_CHARS - 1] + "…"


def _delete_unlisted(session: Session, connection_id: int, seen: set[str]) -> int:
    if not seen:
        # An empty listing is far more often a permission problem than an emptied ATS: keep the copy.
        log.warning("Full sync of connection %s listed no candidates; nothing is deleted", connection_id)
        return 0
    listing = select(orm.Candidate.id, orm.Candidate.remote_id).where(orm.Candidate.connection_id == connection_id)
    stale = [row_id for row_id, remote_id in session.execute(listing.execution_options(yield_per=5000))
             if remote_id not in seen]
    for chunk in _chunks(stale, IN_CLAUSE_SIZE):
        session.execute(delete(orm.Candidate).where(orm.Candidate.id.in_(chunk)))
    return len(stale)


def _record_failure(sessions: sessionmaker[Session], connection_id: int, message: str) -> None:
    try:
        with transaction(sessions) as session:
            session.execute(update(orm.AtsConnection).where(orm.AtsConnection.id == connection_id)
                            .values(last_error=message))
    except Exception:  # the original failure matters more than failing to note it
        log.exception("Could not record the sync failure of connection %s", connection_id)


def _bump_roster(session: Session, connection_id: int) -> None:
    session.execute(update(orm.AtsConnection).where(orm.AtsConnection.id == connection_id)
                    .values(roster_version=orm.AtsConnection.roster_version + 1))


# --- users, jobs, stages -------------------------------------------------------------------------------


def _store_users(session: Session, connection_id: int, users: Sequence[ats.RemoteUser]) -> None:
    values = {user.remote_id: {
        "name": user.name,
        "email": user.email.lower() if user.email else None,
        "emails": [email.lower() for email in user.emails],
        "is_admin": user.is_admin,
        "deactivated": user.deactivated,
        "remote_updated_at": user.updated_at,
    } for user in users}
    _upsert(session, orm.AtsUser, connection_id, values)


def _store_jobs(session: Session, connection_id: int, jobs: Sequence[ats.Job]) -> None:
    values = {job.remote_id: {
        "name": job.name,
        "status": job.status,
        "hiring_manager_remote_ids": list(job.hiring_manager_ids),
        "remote_updated_at": job.updated_at,
    } for job in jobs}
    _upsert(session, orm.Job, connection_id, values)
    session.flush()
    # Applications stored before their job was known get linked now, in one statement.
    job_for_application = (select(orm.Job.id)
                           .where(orm.Job.connection_id == connection_id,
                                  orm.Job.remote_id == orm.Application.job_remote_id)
                           .scalar_subquery())
    session.execute(update(orm.Application)
                    .where(orm.Application.connection_id == connection_id, orm.Application.job_id.is_(None),
                           orm.Application.job_remote_id.is_not(None))
                    .values(job_id=job_for_application)
                    .execution_options(synchronize_session=False))


def _store_stages(session: Session, connection_id: int, stages: Sequence[ats.JobInterviewStage]) -> None:
    job_ids = _job_ids(session, connection_id, {stage.job_remote_id for stage in stages if stage.job_remote_id})
    values = {stage.remote_id: {
        "job_id": job_ids.get(stage.job_remote_id) if stage.job_remote_id else None,
        "name": stage.name,
        "sort_order": stage.sort_order,
        "interviews": [{"remote_id": interview.remote_id, "name": interview.name,
                        "schedulable": interview.schedulable, "estimated_minutes": interview.estimated_minutes}
                       for interview in stage.interviews],
    } for stage in stages}
    _upsert(session, orm.JobStage, connection_id, values)


def _upsert(session: Session, model: type[Any], connection_id: int, values: dict[str, dict[str, Any]]) -> None:
    """Insert or update rows keyed by (connection, remote id), reading the existing ones in a few queries."""
    existing: dict[str, Any] = {}
    for chunk in _chunks(list(values), IN_CLAUSE_SIZE):
        rows = session.scalars(select(model).where(model.connection_id == connection_id,
                                                   model.remote_id.in_(chunk)))
        existing.update((row.remote_id, row) for row in rows)
    for remote_id, fields in values.items():
        fields = _fit(model, fields)
        row = existing.get(remote_id)
        if row is None:
            session.add(model(connection_id=connection_id, remote_id=_fit_one(model, "remote_id", remote_id),
                              **fields))
        else:
            _assign(row, fields)


def _job_ids(session: Session, connection_id: int, remote_ids: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(list(remote_ids), IN_CLAUSE_SIZE):
        rows = session.execute(select(orm.Job.remote_id, orm.Job.id)
                               .where(orm.Job.connection_id == connection_id, orm.Job.remote_id.in_(chunk)))
        found.update((remote_id, row_id) for remote_id, row_id in rows)
    return found


# --- candidates -----------------------------------------------------------------------------------------


def _store_page(sessions: sessionmaker[Session], connection_id: int, batch: ats.CandidateBatch,
                synced_at: datetime) -> BatchCounts:
    with transaction(sessions) as session:
        _connection(session, connection_id)
        _prefer_custom_plans(session)
        counts = _write_batch(session, connection_id, batch, synced_at)
        if counts.changed:
            _bump_roster(session, connection_id)
        return counts


def _store_refresh(sessions: sessionmaker[Session], connection_id: int, batch: ats.CandidateBatch,
                   wanted: Sequence[str], synced_at: datetime) -> BatchCounts:
    with transaction(sessions) as session:
        _connection(session, connection_id)
        _prefer_custom_plans(session)
        counts = _write_batch(session, connection_id, batch, synced_at)
        returned = {candidate.remote_id for candidate in batch.candidates}
        gone = [remote_id for remote_id in wanted if remote_id not in returned]
        deleted = 0
        for chunk in _chunks(gone, IN_CLAUSE_SIZE):
            result = session.execute(delete(orm.Candidate).where(orm.Candidate.connection_id == connection_id,
                                                                 orm.Candidate.remote_id.in_(chunk)))
            deleted += result.rowcount or 0  # type: ignore[attr-defined]
        counts += BatchCounts(deleted=deleted)
        if counts.changed:
            _bump_roster(session, connection_id)
        return counts


def _prefer_custom_plans(session: Session) -> None:
    """Plan each page's lookups for its own id list on PostgreSQL.

    Pages repeat the same statement with hundreds of ids, so psycopg prepares it and PostgreSQL may
    switch to a generic plan that compares every row with every id (no hashing); on a large roster
    that turns a millisecond lookup into a scan per page.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _write_batch(session: Session, connection_id: int, batch: ats.CandidateBatch,
                 synced_at: datetime) -> BatchCounts:
    """Upsert one page with a fixed handful of set-based statements, never one statement per candidate."""
    # An adapter that cannot list jobs up front (e.g. a Lever key without list-postings) names the
    # jobs a page refers to in the batch itself; store them first so applications link to them.
    page_jobs = batch.extra.get("jobs")
    if page_jobs:
        _store_jobs(session, connection_id, list(page_jobs))  # type: ignore[call-overload]
    return _PageWriter(session, connection_id, batch, synced_at).write()


class _PageWriter:
    """Writes one page of candidates with their applications and attachments.

    Rows are read and written with bulk statements rather than ORM objects: a page is hundreds of
    candidates and a full sync hundreds of pages, so per-object bookkeeping would dominate.
    """

    def __init__(self, session: Session, connection_id: int, batch: ats.CandidateBatch,
                 synced_at: datetime) -> None:
        self.session = session
        self.connection_id = connection_id
        self.synced_at = synced_at
        candidates = {candidate.remote_id: candidate for candidate in batch.candidates}
        self.fields = {rid: _fit(orm.Candidate, _candidate_fields(candidate)) for rid, candidate in candidates.items()}
        unique_apps = {app.remote_id: app for app in batch.applications if app.candidate_remote_id in candidates}
        self.applications = _group(unique_apps.values())
        self.attachments = _group(item for item in batch.attachments if item.candidate_remote_id in candidates)
        self.touched: set[str] = set()  # remote ids of candidates whose stored data changed

    def write(self) -> BatchCounts:
        existing = self._existing_candidates()
        ids = {rid: row.id for rid, row in existing.items()}
        created = self._insert_candidates([rid for rid in self.fields if rid not in existing])
        ids.update(created)
        self._update_candidates(existing)
        self._write_applications(ids, existing)
        self._write_attachments(ids, existing)
        self._mark_synced([row.id for row in existing.values()])
        updated = len(self.touched - created.keys())
        return BatchCounts(created=len(created), updated=updated,
                           unchanged=len(self.fields) - len(created) - updated)

    def _existing_candidates(self) -> dict[str, Any]:
        table = CANDIDATES
        found: dict[str, Any] = {}
        for chunk in _chunks(list(self.fields), IN_CLAUSE_SIZE):
            query = (select(table.c.id, table.c.remote_id, *(table.c[name] for name in CANDIDATE_FIELDS))
                     .where(table.c.connection_id == self.connection_id, table.c.remote_id.in_(chunk)))
            found.update((row.remote_id, row) for row in self.session.execute(query))
        return found

    def _insert_candidates(self, remote_ids: list[str]) -> dict[str, int]:
        if not remote_ids:
            return {}
        table = CANDIDATES
        self.session.execute(table.insert(), [
            {"connection_id": self.connection_id, "remote_id": rid, "synced_at": self.synced_at, **self.fields[rid]}
            for rid in remote_ids])
        created: dict[str, int] = {}
        for chunk in _chunks(remote_ids, IN_CLAUSE_SIZE):
            query = select(table.c.remote_id, table.c.id).where(table.c.connection_id == self.connection_id,
                                                                table.c.remote_id.in_(chunk))
            created.update((rid, row_id) for rid, row_id in self.session.execute(query))
        return created

    def _update_candidates(self, existing: dict[str, Any]) -> None:
        changes = []
        for rid, row in existing.items():
            fields = self.fields[rid]
            if _differs(row, fields):
                changes.append({"id": row.id, **fields})
                self.touched.add(rid)
        if changes:
            self.session.execute(update(orm.Candidate), changes)

    def _write_applications(self, ids: dict[str, int], existing: dict[str, Any]) -> None:
        table = APPLICATIONS
        columns = (table.c.id, table.c.remote_id, *(table.c[name] for name in APPLICATION_FIELDS))
        listed = {app.remote_id for apps in self.applications.values() for app in apps}
        stored: dict[str, Any] = {}
        for chunk in _chunks([row.id for row in existing.values()], IN_CLAUSE_SIZE):
            stored.update((row.remote_id, row) for row in self.session.execute(
                select(*columns).where(table.c.candidate_id.in_(chunk))))
        # Applications that moved here from another candidate (a merge in the ATS) are found by id.
        for chunk in _chunks([rid for rid in listed if rid not in stored], IN_CLAUSE_SIZE):
            stored.update((row.remote_id, row) for row in self.session.execute(
                select(*columns).where(table.c.connection_id == self.connection_id, table.c.remote_id.in_(chunk))))
        owner = {row_id: rid for rid, row_id in ids.items()}
        stale = [row for row in stored.values() if row.remote_id not in listed and row.candidate_id in owner]
        self.touched.update(owner[row.candidate_id] for row in stale)
        for chunk in _chunks([row.id for row in stale], IN_CLAUSE_SIZE):
            self.session.execute(delete(table).where(table.c.id.in_(chunk)))
        job_ids = _job_ids(self.session, self.connection_id,
                           {app.job_remote_id for apps in self.applications.values() for app in apps
                            if app.job_remote_id})
        inserts: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        for rid, apps in self.applications.items():
            for app in apps:
                fields = _fit(orm.Application, {"candidate_id": ids[rid], **_application_fields(app, job_ids)})
                row = stored.get(app.remote_id)
                if row is None:
                    inserts.append({"connection_id": self.connection_id,
                                    "remote_id": _fit_one(orm.Application, "remote_id", app.remote_id), **fields})
                elif _differs(row, fields):
                    changes.append({"id": row.id, **fields})
                else:
                    continue
                self.touched.add(rid)
        if inserts:
            self.session.execute(table.insert(), inserts)
        if changes:
            self.session.execute(update(orm.Application), changes)

    def _write_attachments(self, ids: dict[str, int], existing: dict[str, Any]) -> None:
        """Replace each candidate's attachments as a set; a re-signed download link alone is not a change."""
        table = ATTACHMENTS
        stored: dict[int, list[Any]] = {}
        for chunk in _chunks([row.id for row in existing.values()], IN_CLAUSE_SIZE):
            query = (select(table.c.id, table.c.candidate_id, *(table.c[name] for name in ATTACHMENT_FIELDS))
                     .where(table.c.candidate_id.in_(chunk)))
            for row in self.session.execute(query):
                stored.setdefault(row.candidate_id, []).append(row)
        replaced: list[int] = []
        inserts: list[dict[str, Any]] = []
        relinked: list[dict[str, Any]] = []
        for rid, candidate_id in ids.items():
            fresh = [_fit(orm.Attachment, _attachment_fields(item)) for item in self.attachments.get(rid, [])]
            current = stored.get(candidate_id, [])
            if Counter(map(_attachment_key, fresh)) == Counter(_attachment_key(row._mapping) for row in current):
                relinked.extend(_new_links(current, fresh))
                continue
            self.touched.add(rid)
            if current:
                replaced.append(candidate_id)
            inserts.extend({"connection_id": self.connection_id, "candidate_id": candidate_id, **fields}
                           for fields in fresh)
        for chunk in _chunks(replaced, IN_CLAUSE_SIZE):
            self.session.execute(delete(table).where(table.c.candidate_id.in_(chunk)))
        if inserts:
            self.session.execute(table.insert(), inserts)
        if relinked:
            self.session.execute(update(orm.Attachment), relinked)

    def _mark_synced(self, row_ids: list[int]) -> None:
        table = CANDIDATES
        for chunk in _chunks(row_ids, IN_CLAUSE_SIZE):
            self.session.execute(update(table).where(table.c.id.in_(chunk)).values(synced_at=self.synced_at))


CANDIDATE_FIELDS = ("first_name", "last_name", "preferred_name", "company", "title", "primary_email", "emails",
                    "phones", "links", "linkedin_url", "tags", "url", "remote_created_at", "remote_updated_at")
APPLICATION_FIELDS = ("candidate_id", "job_id", "job_remote_id", "stage_remote_id", "stage_name", "status",
                      "prospect", "remote_created_at", "remote_updated_at", "rejected_at", "hired_at")
ATTACHMENT_FIELDS = ("application_remote_id", "remote_id", "filename", "url", "type", "remote_created_at")


def _candidate_fields(candidate: ats.Candidate) -> dict[str, Any]:
    return {
        "first_name": candidate.first_name,
        "last_name": candidate.last_name,
        "preferred_name": candidate.preferred_name,
        "company": candidate.company,
        "title": candidate.title,
        "primary_email": candidate.emails[0].value.strip().lower() if candidate.emails else None,
        "emails": _contacts(candidate.emails),
        "phones": _contacts(candidate.phones),
        "links": _contacts(candidate.links),
        "linkedin_url": candidate.linkedin_url,
        "tags": list(candidate.tags),
        "url": candidate.url,
        "remote_created_at": candidate.created_at,
        "remote_updated_at": candidate.updated_at,
    }


def _application_fields(app: ats.Application, job_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "job_id": job_ids.get(app.job_remote_id) if app.job_remote_id else None,
        "job_remote_id": app.job_remote_id,
        "stage_remote_id": app.stage_remote_id,
        "stage_name": app.stage_name,
        "status": app.status.value,
        "prospect": app.prospect,
        "remote_created_at": app.created_at,
        "remote_updated_at": app.updated_at,
        "rejected_at": app.rejected_at,
        "hired_at": app.hired_at,
    }


def _attachment_fields(item: ats.Attachment) -> dict[str, Any]:
    return {
        "application_remote_id": item.application_remote_id,
        "remote_id": item.remote_id,
        "filename": item.filename,
        "url": item.url,
        "type": item.type.value,
        "remote_created_at": item.created_at,
    }


def _attachment_key(fields: Mapping[str, Any]) -> tuple[Any, ...]:
    # Signed download links change on every read, and the host serving them may change too (another CDN,
    # or the demo's sandbox on a new port each run): the file is the same while the rest and the path match.
    return (fields["remote_id"], fields["application_remote_id"], fields["filename"], fields["type"],
            fields["remote_created_at"], urlsplit(fields["url"]).path)


def _new_links(current: list[Any], fresh: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fresh download links for stored attachments that are otherwise the same files."""
    by_key: dict[tuple[Any, ...], list[str]] = {}
    for fields in fresh:
        by_key.setdefault(_attachment_key(fields), []).append(fields["url"])
    changes = []
    for row in current:
        url = by_key[_attachment_key(row._mapping)].pop()
        if url != row.url:
            changes.append({"id": row.id, "url": url})
    return changes


def _differs(row: Any, fields: dict[str, Any]) -> bool:
    mapping = row._mapping
    return any(mapping[name] != value for name, value in fields.items())


def _contacts(values: Iterable[ats.ContactValue]) -> list[dict[str, Any]]:
    return [{"value": value.value, "type": value.type} for value in values]


def _group(items: Iterable[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for item in items:
        grouped.setdefault(item.candidate_remote_id, []).append(item)
    return grouped


# --- small shared pieces --------------------------------------------------------------------------------


def _assign(row: Any, fields: dict[str, Any]) -> bool:
    """Set only the fields that differ, so unchanged rows cause no UPDATE; return whether any did."""
    changed = False
    for name, value in fields.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _fit(model: type[Any], fields: dict[str, Any]) -> dict[str, Any]:
    """Make values storable everywhere: clip to column lengths (PostgreSQL enforces them) and drop NULs."""
    lengths = _column_lengths(model)
    return {name: _fit_value(value, lengths.get(name)) for name, value in fields.items()}


def _fit_one(model: type[Any], name: str, value: Any) -> Any:
    return _fit_value(value, _column_lengths(model).get(name))


def _fit_value(value: Any, length: int | None) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        return value[:length] if length and len(value) > length else value
    if isinstance(value, list):
        return [_clean_json(item) for item in value]
    return value


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_clean_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _clean_json(item) for key, item in value.items()}
    return value


_LENGTHS: dict[type[Any], dict[str, int]] = {}


def _column_lengths(model: type[Any]) -> dict[str, int]:
    if model not in _LENGTHS:
        _LENGTHS[model] = {column.key: column.type.length for column in model.__table__.columns
                           if isinstance(column.type, String) and column.type.length}
    return _LENGTHS[model]


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


__all__ = ["SyncProgress", "SyncSummary", "failure_message", "refresh_candidates", "sync_connection"]
