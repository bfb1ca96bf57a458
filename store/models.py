"""SQLAlchemy 2.0 models: the synced copy of each ATS plus the tenants and people who ask about it.

Remote records are keyed by (connection, remote id) so several ATSs, and several accounts of the
same ATS, live side by side. Times are stored as UTC and always come back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone, PostgreSQL's is normalized the same way."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a zone first")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Workspace(Base):
    """A tenant: one Slack workspace, one Teams tenant, or the local console."""

    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(20), default="local")
    external_id: Mapped[str] = mapped_column(String(100))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="workspace")


class User(Base):
    """A person who talks to hirebot, known by chat identity and email."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str | None] = mapped_column(String(200))
    chat_user_id: Mapped[str | None] = mapped_column(String(100), index=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    workspace: Mapped[Workspace] = relationship(back_populates="users")


class AtsConnection(Base):
    """One connected ATS account, org-wide for a workspace or personal to one user."""

    __tablename__ = "ats_connections"
    # Never reuse an id (SQLite would reuse the highest after a delete): webhook URLs name connections by id.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(10), default="org")
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str] = mapped_column(String(500))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    credentials: Mapped[bytes] = mapped_column(LargeBinary)
    webhook_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    sync_cursor: Mapped[str | None] = mapped_column(String(100))
    last_sync_at: Mapped[datetime | None] = mapped_column()
    last_full_sync_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    roster_version: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Which process may sync this connection, until when (scheduler/sync_jobs.py): one sync at a time.
    sync_lease_until: Mapped[datetime | None] = mapped_column()
    sync_lease_owner: Mapped[str | None] = mapped_column(String(100))

    def __repr__(self) -> str:
        # Credentials stay out of reprs, so they never reach a log line or a traceback.
        return f"AtsConnection(id={self.id!r}, provider={self.provider!r}, scope={self.scope!r})"


class AtsUser(Base):
    """A user of the ATS (recruiter, hiring manager), mapped to chat users by email."""

    __tablename__ = "ats_users"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("ats_connections.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    emails: Mapped[list[Any]] = mapped_column(default=list)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    deactivated: Mapped[bool] = mapped_column(Boolean, default=False)
    remote_updated_at: Mapped[datetime | None] = mapped_column()


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("ats_connections.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(30), default="open")
    hiring_manager_remote_ids: Mapped[list[Any]] = mapped_column(default=list)
    remote_updated_at: Mapped[datetime | None] = mapped_column()


class JobStage(Base):
    __tablename__ = "job_stages"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("ats_connections.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    remote_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    interviews: Mapped[list[Any]] = mapped_column(default=list)


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("ats_connections.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(300), default="")
    last_name: Mapped[str] = mapped_column(String(300), default="")
    preferred_name: Mapped[str | None] = mapped_column(String(300))
    company: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str | None] = mapped_column(String(500))
    primary_email: Mapped[str | None] = mapped_column(String(320), index=True)
    emails: Mapped[list[Any]] = mapped_column(default=list)
    phones: Mapped[list[Any]] = mapped_column(default=list)
    links: Mapped[list[Any]] = mapped_column(default=list)
    linkedin_url: Mapped[str | None] = mapped_column(String(1000))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    url: Mapped[str | None] = mapped_column(String(1000))
    remote_created_at: Mapped[datetime | None] = mapped_column()
    remote_updated_at: Mapped[datetime | None] = mapped_column()
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)

    applications: Mapped[list[Application]] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", passive_deletes=True
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part).strip()


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("connection_id", "remote_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("ats_connections.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(100))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), index=True)
    job_remote_id: Mapped[str | None] = mapped_column(String(100))
    stage_remote_id: Mapped[str | None] = mapped_column(String(100))
    stage_name: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="active")
    prospect: Mapped[bool] = mapped_column(Boolean, default=False)
    remote_created_at: Mapped[datetime | None] = mapped_column()
    remote_updated_at: Mapped[datetime | None] = mapped_column()
    rejected_at: Mapped[datetime | None] = mapped_column()
    hired_at: Mapped[datetime | None] = mapped_column()

    candidate: Mapped[Candidate] = relationship(back_populates="applications")
    job: Mapped[Job | None] = relationship()


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("ats_connections.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    application_remote_id: Mapped[str | None] = mapped_column(String(100))
    remote_id: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(30))
    remote_created_at: Mapped[datetime | None] = mapped_column()

    candidate: Mapped[Candidate] = relationship(back_populates="attachments")


Index("ix_candidates_connection", Candidate.connection_id)
# The name index re-reads only the candidates synced since it was current (bot/roster.py).
Index("ix_candidates_connection_synced", Candidate.connection_id, Candidate.synced_at)
Index("ix_applications_connection_job", Application.connection_id, Application.job_id)


class WebhookDelivery(Base):
    """One webhook delivery taken in, so a retried or replayed one does no work twice.

    `delivery_id` is Greenhouse's `Greenhouse-Event-ID` or Lever's per-delivery `token`. `outcome` is
    "processing" while the work runs, then what it did ("processed", "ignored") or "failed", which
    lets the sender's retry run it again.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("connection_id", "delivery_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("ats_connections.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(40))
    delivery_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    event: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20), default="processing")
