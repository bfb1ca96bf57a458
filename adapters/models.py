"""Normalized ATS records, named after the unified ATS API vocabulary.

Every adapter turns its provider's payloads into these frozen values; the store and the bot
never see a provider's raw shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ApplicationStatus(StrEnum):
    ACTIVE = "active"
    REJECTED = "rejected"
    HIRED = "hired"


class AttachmentType(StrEnum):
    RESUME = "resume"
    COVER_LETTER = "cover_letter"
    OTHER = "other"


@dataclass(frozen=True)
class ContactValue:
    """An email, phone or link with its provider-given type (personal, work, linkedin...)."""

    value: str
    type: str | None = None


@dataclass(frozen=True)
class RemoteUser:
    remote_id: str
    name: str
    email: str | None = None
    emails: tuple[str, ...] = ()
    is_admin: bool = False
    deactivated: bool = False
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Interview:
    """An interview step of a stage (Greenhouse `job_interviews`): what a scheduled interview is for."""

    remote_id: str
    name: str
    schedulable: bool = True
    estimated_minutes: int | None = None


@dataclass(frozen=True)
class JobInterviewStage:
    remote_id: str
    job_remote_id: str | None
    name: str
    sort_order: int = 0
    interviews: tuple[Interview, ...] = ()


@dataclass(frozen=True)
class Job:
    remote_id: str
    name: str
    status: str = "open"
    hiring_manager_ids: tuple[str, ...] = ()
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Candidate:
    remote_id: str
    first_name: str
    last_name: str
    preferred_name: str | None = None
    company: str | None = None
    title: str | None = None
    emails: tuple[ContactValue, ...] = ()
    phones: tuple[ContactValue, ...] = ()
    links: tuple[ContactValue, ...] = ()
    tags: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    url: str | None = None

    @property
    def linkedin_url(self) -> str | None:
        for link in self.links:
            if "linkedin." in link.value.lower():
                return link.value
        return None


@dataclass(frozen=True)
class Application:
    remote_id: str
    candidate_remote_id: str
    job_remote_id: str | None
    status: ApplicationStatus
    stage_remote_id: str | None = None
    stage_name: str | None = None
    prospect: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    rejected_at: datetime | None = None
    hired_at: datetime | None = None
    recruiter_remote_id: str | None = None


@dataclass(frozen=True)
class Attachment:
    candidate_remote_id: str
    filename: str
    url: str
    type: AttachmentType
    application_remote_id: str | None = None
    remote_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Tag:
    remote_id: str
    name: str


@dataclass(frozen=True)
class Note:
    candidate_remote_id: str
    body: str
    remote_id: str | None = None
    application_remote_id: str | None = None
    author_remote_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class ScheduledInterview:
    application_remote_id: str
    start: datetime
    end: datetime
    interview_remote_id: str | None = None
    interviewer_ids: tuple[str, ...] = ()
    location: str | None = None
    video_url: str | None = None
    external_event_id: str | None = None
    remote_id: str | None = None
    status: str = "scheduled"


@dataclass(frozen=True)
class CandidateBatch:
    """One page of candidates with their children, stored in one transaction by the sync engine."""

    candidates: tuple[Candidate, ...]
    applications: tuple[Application, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    requests: int = 0
    extra: dict[str, object] = field(default_factory=dict)
