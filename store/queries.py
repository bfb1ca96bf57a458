"""Read queries for the bot, with tenant scoping decided in exactly one place.

A user sees candidates from their workspace's org-wide connections and from their own personal
connections, never anyone else's. Every candidate read goes through `visible_connection_ids`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Result, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from store.models import Application, AtsConnection, Attachment, Candidate, Job

# The queries every answer runs are built once, with their values as parameters: building a SQLAlchemy
# statement (and its cache key) costs more than running it against an index, several times per answer.


@cache
def _visible_connections_statement(personal: bool) -> Select[AtsConnection]:
    """The connections a user may read: org scope in their workspace, plus their personal ones."""
    allowed = AtsConnection.scope == "org"
    if personal:
        allowed = or_(allowed, (AtsConnection.scope == "user")
                      & (AtsConnection.owner_user_id == bindparam("user_id")))
    return (select(AtsConnection)
            .where(AtsConnection.workspace_id == bindparam("workspace_id"), AtsConnection.is_active.is_(True),
                   allowed)
            .order_by(AtsConnection.id))


def visible_connections(session: Session, workspace_id: int, user_id: int | None) -> list[AtsConnection]:
    """The connections a user may read, by id."""
    values = {"workspace_id": workspace_id} if user_id is None else {"workspace_id": workspace_id, "user_id": user_id}
    return list(session.scalars(_visible_connections_statement(user_id is not None), values))


def visible_connection_ids(session: Session, workspace_id: int, user_id: int | None) -> list[int]:
    return [c.id for c in visible_connections(session, workspace_id, user_id)]


def candidates_by_ids(session: Session, ids: Sequence[int], connection_ids: Sequence[int]) -> list[Candidate]:
    """Candidates with their applications (and jobs) and attachments, only within visible connections."""
    if not ids or not connection_ids:
        return []
    rows = session.scalars(_candidates_statement(), {"ids": list(ids), "connection_ids": list(connection_ids)})
    found = {c.id: c for c in rows.unique()}
    return [found[i] for i in ids if i in found]


@cache
def _candidates_statement() -> Select[Candidate]:
    # One query with outer joins instead of a query per relationship: a person has a handful of
    # applications and files, so the joined rows stay few, and each query costs far more to issue than to
    # run. Ordered by id, so each record's applications and files come in the order they were stored.
    return (
        select(Candidate)
        .outerjoin(Candidate.applications)
        .outerjoin(Application.job)
        .outerjoin(Candidate.attachments)
        .where(Candidate.id.in_(bindparam("ids", expanding=True)),
               Candidate.connection_id.in_(bindparam("connection_ids", expanding=True)))
        .options(contains_eager(Candidate.applications).contains_eager(Application.job),
                 contains_eager(Candidate.attachments))
        .order_by(Candidate.id, Application.id, Attachment.id)
    )


@cache
def _primary_emails_statement() -> Select[int, str | None]:
    return select(Candidate.id, Candidate.primary_email).where(
        Candidate.id.in_(bindparam("ids", expanding=True)),
        Candidate.connection_id.in_(bindparam("connection_ids", expanding=True)))


def primary_emails(session: Session, ids: Sequence[int], connection_ids: Sequence[int]) -> dict[int, str | None]:
    """Candidate id -> primary email, for the ids within visible connections (one light query)."""
    if not ids or not connection_ids:
        return {}
    # On the session's connection: plain columns need none of the ORM's result handling, which costs
    # more than the query (same SQL, same transaction).
    rows = session.connection().execute(_primary_emails_statement(),
                                        {"ids": list(ids), "connection_ids": list(connection_ids)})
    return {id_: email for id_, email in rows}


def candidates_sharing_email(session: Session, emails: Sequence[str], connection_ids: Sequence[int], *,
                             exclude: Collection[int] = ()) -> list[Candidate]:
    """Every visible record of the same person in other connections (same email, case-insensitive), but
    the ids in `exclude` (the records the caller already holds: they are not read again)."""
    lowered = sorted({e.lower() for e in emails if e})
    if not lowered or not connection_ids:
        return []
    # Only the email index narrows this down to a handful of rows; asked for the connections too, SQLite would
    # rather walk the connection index (every candidate of the connection), so they are filtered here.
    visible = set(connection_ids)
    rows = session.connection().execute(_sharing_email_statement(), {"emails": lowered})  # plain columns
    return candidates_by_ids(session, [id_ for id_, connection_id in rows
                                       if connection_id in visible and id_ not in exclude], connection_ids)


@cache
def _sharing_email_statement() -> Select[int, int]:
    return select(Candidate.id, Candidate.connection_id).where(
        Candidate.primary_email.in_(bindparam("emails", expanding=True)))


def roster_rows(session: Session, connection_id: int, *, changed_since: datetime | None = None,
                ids: Collection[int] | None = None) -> Result[Any]:
    """Name-index rows (id, names, emails, synced_at) of one connection, optionally only those synced since
    a time (an index on (connection_id, synced_at) makes that proportional to what changed) or these ids."""
    stmt = select(
        Candidate.id, Candidate.first_name, Candidate.last_name, Candidate.preferred_name, Candidate.emails,
        Candidate.synced_at,
    ).where(Candidate.connection_id == connection_id)
    if changed_since is not None:
        stmt = stmt.where(Candidate.synced_at >= changed_since)
    if ids is not None:
        stmt = stmt.where(Candidate.id.in_(list(ids)))
    return session.execute(stmt.execution_options(yield_per=5000))


def candidate_ids(session: Session, connection_id: int) -> set[int]:
    return set(session.scalars(select(Candidate.id).where(Candidate.connection_id == connection_id)))


def newest_sync(session: Session, connection_id: int) -> datetime | None:
    """The latest `synced_at` of a connection's candidates (an index lookup)."""
    return session.scalar(select(func.max(Candidate.synced_at)).where(Candidate.connection_id == connection_id))


def candidate_count(session: Session, connection_id: int) -> int:
    return int(session.scalar(select(func.count(Candidate.id)).where(Candidate.connection_id == connection_id)) or 0)


def open_jobs_with_counts(session: Session, connection_ids: Sequence[int]) -> list[tuple[Job, int]]:
    """Open jobs and how many active applications each has."""
    if not connection_ids:
        return []
    active = (
        select(Application.job_id, func.count(Application.id).label("n"))
        .where(Application.status == "active")
        .group_by(Application.job_id)
        .subquery()
    )
    stmt = (
        select(Job, func.coalesce(active.c.n, 0))
        .outerjoin(active, active.c.job_id == Job.id)
        .where(Job.connection_id.in_(list(connection_ids)), Job.status == "open")
        .order_by(Job.name)
    )
    return [(job, int(n)) for job, n in session.execute(stmt)]
