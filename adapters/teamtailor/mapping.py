"""Teamtailor's JSON:API resources turned into hirebot's models, tolerant of nulls and missing fields.

Data model. A Teamtailor candidate is one person, unique by email; each of their job applications ties them
to one job, and status lives on the application: `rejected-at` set means rejected (rejection is not a
stage), a stage of type `Hired` means hired, anything else (Inbox, In process, or a type Teamtailor adds
later) is active. Stages belong to a job; their names and types come from `/stages` (`StageIndex`).

Files. Teamtailor's resume links are signed and expire in about 30 seconds, so they are never stored: a
candidate with a resume gets a RESUME attachment that links to their page in Teamtailor, where it opens
fresh, and an application with a cover letter (text in Teamtailor) a COVER_LETTER one to the same page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.errors import MalformedResponse
from adapters.models import (
    Application,
    ApplicationStatus,
    Attachment,
    AttachmentType,
    Candidate,
    ContactValue,
    Job,
    JobInterviewStage,
    Note,
    RemoteUser,
)
from adapters.teamtailor.fields import (
    as_text,
    attribute,
    parse_time,
    related_id,
    strings,
    text_attribute,
)

HIRED_STAGE_TYPE = "hired"
# Job status -> hirebot's: published and unlisted jobs take applicants.
JOB_STATUS = {"published": "open", "unlisted": "open", "archived": "closed", "draft": "draft",
              "scheduled": "draft"}
ADMIN_ROLES = frozenset({"admin"})


@dataclass(frozen=True)
class StageInfo:
    name: str | None
    stage_type: str | None
    job_id: str | None
    row_order: int


def to_stage_info(resource: Mapping[str, Any]) -> StageInfo:
    order = attribute(resource, "row-order")
    return StageInfo(name=text_attribute(resource, "name"), stage_type=text_attribute(resource, "stage-type"),
                     job_id=related_id(resource, "job"),
                     row_order=order if isinstance(order, int) and not isinstance(order, bool) else 0)


def to_candidate(resource: Mapping[str, Any], url: str) -> Candidate | None:
    candidate_id = as_text(resource.get("id"))
    if candidate_id is None:
        return None
    email = text_attribute(resource, "email")
    phone = text_attribute(resource, "phone")
    linkedin = text_attribute(resource, "linkedin-url")
    return Candidate(
        remote_id=candidate_id,
        first_name=text_attribute(resource, "first-name") or "",
        last_name=text_attribute(resource, "last-name") or "",
        emails=(ContactValue(email),) if email else (),
        phones=(ContactValue(phone),) if phone else (),
        links=(ContactValue(linkedin, "linkedin"),) if linkedin else (),
        tags=tuple(strings(attribute(resource, "tags"))),
        created_at=parse_time(attribute(resource, "created-at")),
        updated_at=parse_time(attribute(resource, "updated-at")),
        url=url,
    )


def to_application(resource: Mapping[str, Any], candidate_id: str, stages: Mapping[str, StageInfo]
                   ) -> Application | None:
    application_id = as_text(resource.get("id"))
    if application_id is None:
        return None
    stage_id = related_id(resource, "stage")
    stage = stages.get(stage_id) if stage_id else None
    rejected_at = parse_time(attribute(resource, "rejected-at"))
    moved_at = parse_time(attribute(resource, "changed-stage-at"))
    hired = stage is not None and (stage.stage_type or "").strip().lower() == HIRED_STAGE_TYPE
    if rejected_at is not None:
        status = ApplicationStatus.REJECTED
    elif hired:
        status = ApplicationStatus.HIRED
    else:
        status = ApplicationStatus.ACTIVE
    return Application(
        remote_id=application_id, candidate_remote_id=candidate_id, job_remote_id=related_id(resource, "job"),
        status=status, stage_remote_id=stage_id,
        stage_name=(stage.name if stage else None) or text_attribute(resource, "stage-name"),
        created_at=parse_time(attribute(resource, "created-at")),
        updated_at=parse_time(attribute(resource, "updated-at")),
        rejected_at=rejected_at,
        hired_at=(moved_at or parse_time(attribute(resource, "updated-at"))) if status is ApplicationStatus.HIRED
        else None,
    )


def attachments_of(resource: Mapping[str, Any], applications: Sequence[Mapping[str, Any]], url: str
                   ) -> list[Attachment]:
    """Links to the candidate's page for their resume and each cover letter (never the signed file URLs)."""
    candidate_id = str(as_text(resource.get("id")))
    found: list[Attachment] = []
    if text_attribute(resource, "resume") or text_attribute(resource, "original-resume"):
        found.append(Attachment(candidate_remote_id=candidate_id, filename="Resume (open in Teamtailor)", url=url,
                                type=AttachmentType.RESUME, remote_id=f"{candidate_id}:resume"))
    for application in applications:
        application_id = as_text(application.get("id"))
        if application_id and text_attribute(application, "cover-letter"):
            found.append(Attachment(candidate_remote_id=candidate_id, filename="Cover letter (open in Teamtailor)",
                                    url=url, type=AttachmentType.COVER_LETTER, application_remote_id=application_id,
                                    remote_id=f"{application_id}:cover-letter"))
    return found


def to_job(resource: Mapping[str, Any]) -> Job | None:
    job_id = as_text(resource.get("id"))
    if job_id is None:
        return None
    status = (text_attribute(resource, "status") or "").lower()
    recruiter = related_id(resource, "user")
    return Job(remote_id=job_id, name=text_attribute(resource, "title") or f"Teamtailor job {job_id}",
               status=JOB_STATUS.get(status, status or "unknown"),
               hiring_manager_ids=(recruiter,) if recruiter else (),
               updated_at=parse_time(attribute(resource, "updated-at")))


def to_stage(resource: Mapping[str, Any]) -> JobInterviewStage | None:
    stage_id = as_text(resource.get("id"))
    if stage_id is None:
        return None
    info = to_stage_info(resource)
    return JobInterviewStage(remote_id=stage_id, job_remote_id=info.job_id, name=info.name or f"Stage {stage_id}",
                             sort_order=info.row_order)


def to_user(resource: Mapping[str, Any]) -> RemoteUser | None:
    user_id = as_text(resource.get("id"))
    if user_id is None:
        return None
    emails = [e.lower() for e in (text_attribute(resource, "email"), text_attribute(resource, "login-email")) if e]
    unique = tuple(dict.fromkeys(emails))
    role = (text_attribute(resource, "role") or "").lower()
    return RemoteUser(remote_id=user_id, name=text_attribute(resource, "name") or (unique[0] if unique else user_id),
                      email=unique[0] if unique else None, emails=unique, is_admin=role in ADMIN_ROLES,
                      deactivated=role == "no_access")


def to_note(resource: Mapping[str, Any], candidate_id: str, body: str | None = None) -> Note:
    note_id = as_text(resource.get("id"))
    if note_id is None:
        raise MalformedResponse("Teamtailor sent a note without its id.", provider="teamtailor")
    return Note(candidate_remote_id=related_id(resource, "candidate") or text_attribute(resource, "candidate-id")
                or candidate_id, body=body if body is not None else note_text(resource),
                remote_id=note_id,
                author_remote_id=related_id(resource, "user") or text_attribute(resource, "user-id"),
                created_at=parse_time(attribute(resource, "created-at")))


def note_candidate(resource: Mapping[str, Any]) -> str | None:
    return related_id(resource, "candidate") or text_attribute(resource, "candidate-id")


def note_text(resource: Mapping[str, Any]) -> str:
    """A note's text exactly as Teamtailor keeps it (a marker at its end must survive)."""
    text = attribute(resource, "note")
    return text if isinstance(text, str) else ""
