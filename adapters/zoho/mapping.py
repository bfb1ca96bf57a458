"""Zoho Recruit records turned into the normalized models, tolerant of nulls, missing keys and odd types.

Data model. A Zoho candidate record is one person (`remote_id` = its record id, the deep link its
EntityInfo page). Their candidacies are associations with job openings, each with its own status: each
becomes an `Application` ("candidateId:jobId") whose stage is that status as the org names it, HIRED or
REJECTED when the status is one of the connection's hired or rejected statuses (configurable, because orgs
rename them), dated by the association's (else the record's) modified time. A candidate with no job gets
one prospect application keyed by the candidate id, carrying the record's own status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.models import Application, ApplicationStatus, Candidate, ContactValue, Job, RemoteUser
from adapters.zoho.layout import ModuleFields
from adapters.zoho.values import as_mapping, as_text, id_of, ids_of, parse_time

DEFAULT_HIRED = ("hired", "joined", "converted - employee", "converted-employee", "offer-accepted")
DEFAULT_REJECTED = ("rejected", "rejected-for-interview", "rejected-hirable", "rejected by client",
                    "rejected-by-client", "unqualified", "not qualified", "junk candidate", "offer-declined",
                    "offer-withdrawn", "no-show")
OPEN_JOB_STATUSES = ("in-progress", "in progress", "open", "active")
DRAFT_JOB_STATUSES = ("waiting for approval", "draft", "new")


@dataclass(frozen=True)
class StatusWords:
    """Which status names mean hired and rejected in this org (lower case)."""

    hired: frozenset[str] = frozenset(DEFAULT_HIRED)
    rejected: frozenset[str] = frozenset(DEFAULT_REJECTED)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> StatusWords:
        def words(key: str, default: tuple[str, ...]) -> frozenset[str]:
            raw = settings.get(key)
            if isinstance(raw, str) and raw.strip():
                return frozenset(part.strip().lower() for part in raw.split(",") if part.strip())
            return frozenset(default)
        return cls(words("hired_statuses", DEFAULT_HIRED), words("rejected_statuses", DEFAULT_REJECTED))

    def status(self, name: str | None) -> ApplicationStatus:
        lowered = (name or "").strip().lower()
        if lowered in self.hired:
            return ApplicationStatus.HIRED
        if lowered in self.rejected:
            return ApplicationStatus.REJECTED
        return ApplicationStatus.ACTIVE


@dataclass(frozen=True)
class Association:
    """One candidate-job association as a listing reports it: the job, its status, when it last changed."""

    job_id: str
    status: str | None
    modified: datetime | None = None


def to_candidate(row: Mapping[str, Any], fields: ModuleFields, url: str) -> Candidate | None:
    candidate_id = as_text(row.get("id"))
    if candidate_id is None:
        return None

    def text(role: str) -> str | None:
        name = fields.get(role)
        return as_text(row.get(name)) if name else None

    emails = [ContactValue(value, kind) for value, kind in ((text("email"), "personal"),
                                                             (text("secondary_email"), "other")) if value]
    phones = [ContactValue(value, kind) for value, kind in ((text("mobile"), "mobile"), (text("phone"), "home"))
              if value]
    links = [ContactValue(value, kind) for value, kind in ((text("linkedin"), "linkedin"), (text("website"), "website"))
             if value and value.lower().startswith(("http://", "https://", "www.", "linkedin.com"))]
    last = text("last_name") or ""
    first = text("first_name") or ""
    if not first and not last:
        last = as_text(row.get("Full_Name")) or as_text(row.get("Candidate_ID")) or candidate_id
    return Candidate(
        remote_id=candidate_id, first_name=first, last_name=last, company=text("employer"), title=text("title"),
        emails=tuple(dict.fromkeys(emails)), phones=tuple(dict.fromkeys(phones)), links=tuple(dict.fromkeys(links)),
        tags=tags_of(row, fields), created_at=parse_time(row.get(fields.get("created") or "Created_Time")),
        updated_at=parse_time(row.get(fields.get("modified") or "Modified_Time")), url=url)


def tags_of(row: Mapping[str, Any], fields: ModuleFields) -> tuple[str, ...]:
    """The source (hirebot's own tag goes there) and the record's tags."""
    found: list[str] = []
    source = as_text(row.get(fields.get("source") or "Source"))
    if source:
        found.append(source)
    tags = row.get(fields.get("tags") or "Associated_Tags")
    for tag in tags if isinstance(tags, list) else []:
        name = as_text(as_mapping(tag).get("name")) if isinstance(tag, dict) else as_text(tag)
        if name:
            found.append(name)
    return tuple(dict.fromkeys(found))


def to_applications(candidate: Candidate, row: Mapping[str, Any], fields: ModuleFields,
                    associations: Iterable[Association], words: StatusWords) -> list[Application]:
    """The candidate's applications: one per job association, else one prospect application."""
    own_status = as_text(row.get(fields.get("status") or "Candidate_Status"))
    made: list[Application] = []
    for link in associations:
        stage = link.status or own_status
        made.append(_application(f"{candidate.remote_id}:{link.job_id}", candidate, link.job_id, stage,
                                 link.modified or candidate.updated_at, words))
    if not made:
        made.append(_application(candidate.remote_id, candidate, None, own_status, candidate.updated_at, words,
                                 prospect=True))
    return made


def _application(remote_id: str, candidate: Candidate, job_id: str | None, stage: str | None,
                 when: datetime | None, words: StatusWords, *, prospect: bool = False) -> Application:
    status = words.status(stage)
    return Application(
        remote_id=remote_id, candidate_remote_id=candidate.remote_id, job_remote_id=job_id, status=status,
        stage_remote_id=stage, stage_name=stage, prospect=prospect, created_at=candidate.created_at,
        updated_at=when, rejected_at=when if status is ApplicationStatus.REJECTED else None,
        hired_at=when if status is ApplicationStatus.HIRED else None)


def association_of(row: Mapping[str, Any], *, job_id: str | None = None) -> Association | None:
    """A row of `GET /Job_Openings/{id}/associate` (a candidate, `job_id` given) or of `GET
    /Candidates/{id}/associate` (a job) as an association."""
    job = job_id or as_text(row.get("id"))
    if job is None:
        return None
    status = next((text for key in ("Candidate_Status", "Status", "Application_Status")
                   if (text := as_text(row.get(key)))), None)
    modified = parse_time(row.get("Modified_Time") or row.get("Associated_Time") or row.get("Updated_On"))
    return Association(job, status, modified)


def to_job(row: Mapping[str, Any]) -> Job | None:
    job_id = as_text(row.get("id"))
    if job_id is None:
        return None
    name = as_text(row.get("Posting_Title")) or as_text(row.get("Job_Opening_Name")) or f"Job opening {job_id}"
    state = (as_text(row.get("Job_Opening_Status")) or "").lower()
    status = "open" if state in OPEN_JOB_STATUSES else "draft" if state in DRAFT_JOB_STATUSES else "closed"
    team = [*ids_of(row.get("Assigned_Recruiter")), *ids_of(row.get("Assigned_Recruiters")),
            *ids_of(row.get("Hiring_Manager"))]
    return Job(remote_id=job_id, name=name, status=status, hiring_manager_ids=tuple(dict.fromkeys(team)),
               updated_at=parse_time(row.get("Modified_Time")))


def to_user(row: Mapping[str, Any]) -> RemoteUser | None:
    user_id = as_text(row.get("id"))
    if user_id is None:
        return None
    email = as_text(row.get("email"))
    parts = (as_text(row.get("first_name")), as_text(row.get("last_name")))
    name = as_text(row.get("full_name")) or " ".join(filter(None, parts)) or email or user_id
    role = " ".join(filter(None, (as_text(as_mapping(row.get("role")).get("name")),
                                  as_text(as_mapping(row.get("profile")).get("name"))))).lower()
    status = (as_text(row.get("status")) or "active").lower()
    return RemoteUser(remote_id=user_id, name=name, email=email.lower() if email else None,
                      emails=(email.lower(),) if email else (), is_admin="admin" in role,
                      deactivated=status not in ("active", "confirmed"))


def owner_of(row: Mapping[str, Any], fields: ModuleFields) -> str | None:
    return id_of(row.get(fields.get("owner") or "Candidate_Owner"))
