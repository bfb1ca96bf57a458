"""What `hirebot outbox list|retry|drop` does: lets an admin see the ATS writes hirebot owes and act on stuck ones.

Plain functions over the store returning plain values, so the CLI (and a chat admin command) only format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import HirebotError
from scheduler.ats_log import OutboxState
from store.db import transaction
from store.meeting_models import Meeting
from store.models import utcnow
from store.outbox_models import OutboxItem


@dataclass(frozen=True)
class OutboxRow:
    """One outbox row as an admin sees it."""

    id: int
    meeting_id: int
    candidate: str
    event_kind: str
    action: str
    provider: str
    state: str
    attempts: int
    due_at: datetime
    error: str | None
    link: str | None


def list_items(sessions: sessionmaker[Session], *, state: str | None = None, limit: int = 100) -> list[OutboxRow]:
    """The newest rows first, optionally only those in `state` (pending, running, sent, parked, skipped,
    dropped)."""
    if state is not None and state not in set(OutboxState):
        known = ", ".join(s.value for s in OutboxState)
        raise HirebotError(f"There is no outbox state {state!r}; use one of: {known}.")
    query = select(OutboxItem, Meeting.candidate_name).join(Meeting, Meeting.id == OutboxItem.meeting_id)
    if state is not None:
        query = query.where(OutboxItem.state == state)
    with sessions() as session:
        rows = session.execute(query.order_by(OutboxItem.id.desc()).limit(limit)).all()
        return [_row(item, name) for item, name in rows]


def retry_item(sessions: sessionmaker[Session], item_id: int, *, now: datetime | None = None) -> OutboxRow:
    """Put a parked row back in line, due now, with a fresh count of attempts."""
    with transaction(sessions) as session:
        item = _get(session, item_id)
        if item.state != OutboxState.PARKED:
            raise HirebotError(f"Outbox item {item_id} is {item.state}; only parked items can be retried.")
        item.state, item.due_at, item.attempts, item.finished_at = OutboxState.PENDING, now or utcnow(), 0, None
        session.flush()
        return _row(item, _candidate_name(session, item))


def drop_item(sessions: sessionmaker[Session], item_id: int, *, now: datetime | None = None) -> OutboxRow:
    """Give up on a row that is waiting or parked; the candidate's later rows then go ahead."""
    with transaction(sessions) as session:
        item = _get(session, item_id)
        if item.state not in (OutboxState.PENDING, OutboxState.PARKED):
            raise HirebotError(f"Outbox item {item_id} is {item.state}; only pending or parked items can be "
                               "dropped.")
        item.state, item.finished_at = OutboxState.DROPPED, now or utcnow()
        item.lease_owner = item.lease_until = None
        session.flush()
        return _row(item, _candidate_name(session, item))


def _get(session: Session, item_id: int) -> OutboxItem:
    item = session.scalar(select(OutboxItem).where(OutboxItem.id == item_id).with_for_update())
    if item is None:
        raise HirebotError(f"There is no outbox item {item_id}; \"hirebot outbox list\" shows them.")
    return item


def _candidate_name(session: Session, item: OutboxItem) -> str:
    return session.scalar(select(Meeting.candidate_name).where(Meeting.id == item.meeting_id)) or ""


def _row(item: OutboxItem, candidate: str) -> OutboxRow:
    error = item.skip_reason if item.state == OutboxState.SKIPPED else item.last_error
    return OutboxRow(id=item.id, meeting_id=item.meeting_id, candidate=candidate, event_kind=item.event_kind,
                     action=item.action, provider=item.provider, state=item.state, attempts=item.attempts,
                     due_at=item.due_at, error=error, link=item.link)


__all__ = ["OutboxRow", "drop_item", "list_items", "retry_item"]
