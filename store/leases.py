"""Sync leases: which process may sync an ATS connection right now, kept on the connection's row.

A process syncs a connection only while it holds that connection's lease (`sync_lease_owner`,
`sync_lease_until`), taken by one conditional UPDATE that only one process can win. The holder renews it while
the sync runs and releases it after; the lease of a crashed process simply runs out. The polling scheduler, the
webhook receiver and a sync started from chat all take the same lease, so they never sync one connection at
once. The job dispatchers name their own claims with `process_owner` too.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session, sessionmaker

from store.db import transaction
from store.models import AtsConnection


def process_owner() -> str:
    """A lease owner name unique to this process, readable in the database when debugging."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def take_lease(sessions: sessionmaker[Session], connection_id: int, owner: str, *, now: datetime,
               seconds: float) -> bool:
    """Claim the connection for one sync; False while anyone (this process included) holds a live lease.

    One UPDATE with the expiry in its WHERE clause: on PostgreSQL a concurrent claimer waits for the
    winner's commit, re-checks the condition against the new row and updates nothing.
    """
    table = AtsConnection
    with transaction(sessions) as session:
        result = session.execute(
            update(table)
            .where(table.id == connection_id, table.is_active.is_(True),
                   or_(table.sync_lease_until.is_(None), table.sync_lease_until <= now))
            .values(sync_lease_owner=owner, sync_lease_until=now + timedelta(seconds=seconds))
            .execution_options(synchronize_session=False))
        return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


def renew_lease(sessions: sessionmaker[Session], connection_id: int, owner: str, *, now: datetime,
                seconds: float) -> bool:
    """Extend a lease we still hold; False if it ran out and someone else took it."""
    table = AtsConnection
    with transaction(sessions) as session:
        result = session.execute(
            update(table).where(table.id == connection_id, table.sync_lease_owner == owner)
            .values(sync_lease_until=now + timedelta(seconds=seconds))
            .execution_options(synchronize_session=False))
        return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


def release_lease(sessions: sessionmaker[Session], connection_id: int, owner: str) -> None:
    table = AtsConnection
    with transaction(sessions) as session:
        session.execute(update(table).where(table.id == connection_id, table.sync_lease_owner == owner)
                        .values(sync_lease_owner=None, sync_lease_until=None)
                        .execution_options(synchronize_session=False))


__all__ = ["process_owner", "release_lease", "renew_lease", "take_lease"]
