"""People hirebot is to add to an ATS: someone scheduled by email who is in no connected ATS yet.

A row is made when the proposal is shown (`draft`, holding the CV so a chat button carries only the row's
id), tied to the meeting when the request goes out (`waiting`), and finished by the outbox: `created` with
the ATS's ids once the person booked, or `not_created` when the meeting ended without a booking.
See docs/new_candidates.md. Times are UTC (`UtcDateTime` via `Base`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

import store.meeting_models  # noqa: F401  (the meeting table this one points at)
from store.models import Base, utcnow


class CandidateIntake(Base):
    """Who to add, where (connection and job), with which CV and LinkedIn profile, and how it went."""

    __tablename__ = "candidate_intakes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    organizer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    email: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("ats_connections.id", ondelete="SET NULL"))
    job_remote_id: Mapped[str | None] = mapped_column(String(100))
    job_name: Mapped[str | None] = mapped_column(String(500))
    linkedin_url: Mapped[str | None] = mapped_column(String(1000))
    resume_name: Mapped[str | None] = mapped_column(String(300))
    resume_type: Mapped[str | None] = mapped_column(String(200))
    resume: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # What the proposal was made from (duration, window, attendees...), to propose again for another job.
    draft: Mapped[dict[str, Any]] = mapped_column(default=dict)
    candidate_remote_id: Mapped[str | None] = mapped_column(String(100))
    application_remote_id: Mapped[str | None] = mapped_column(String(100))
    candidate_url: Mapped[str | None] = mapped_column(String(1000))
    problem: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class DocumentLink(Base):
    """A signed, short-lived, single-use link to an intake's CV, for an ATS that downloads the file itself
    (store/document_links.py). Only the token's SHA-256 is kept; `used_at` is set by the one download."""

    __tablename__ = "document_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("candidate_intakes.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
