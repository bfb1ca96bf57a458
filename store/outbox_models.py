"""The ATS outbox: each row is one write hirebot owes an ATS because of one meeting event.

Rows are written in the same transaction as the meeting event they come from (scheduler/ats_log.py), so
an event is never recorded without its ATS writes or the other way round; scheduler/outbox.py delivers
them. Times are UTC (`UtcDateTime` via `Base`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import store.meeting_models  # noqa: F401  (the meeting tables this one points at)
from store.models import Base, utcnow


class OutboxItem(Base):
    """One ATS write (a note, or a scheduled interview created/updated/deleted) and its delivery state.

    `order_key` groups the rows that must reach the ATS in order (one candidate); only the oldest
    unfinished row of a group may be delivered. `unsure` is set when an attempt may have reached the ATS
    without us hearing the answer, so the next attempt looks for the record before writing again.
    """

    __tablename__ = "outbox_items"
    __table_args__ = (UniqueConstraint("event_id", "action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("meeting_events.id", ondelete="CASCADE"))
    event_kind: Mapped[str] = mapped_column(String(40))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id", ondelete="SET NULL"),
                                                     index=True)
    order_key: Mapped[str] = mapped_column(String(100))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("ats_connections.id", ondelete="SET NULL"))
    provider: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    due_at: Mapped[datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    unsure: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    skip_reason: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(200))
    link: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


# The worker's questions: which rows are due, and what is the oldest unfinished row of a candidate.
Index("ix_outbox_items_state_due", OutboxItem.state, OutboxItem.due_at)
Index("ix_outbox_items_order", OutboxItem.order_key, OutboxItem.id)
