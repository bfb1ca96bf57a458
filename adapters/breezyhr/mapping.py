"""BreezyHR payloads as hirebot's normalized records.

A BreezyHR candidate always belongs to one position: a person in two positions is two candidate
records, each with its own `_id`. So each record is one hirebot candidate (remote id = `_id`) with one
application, whose remote id is "positionId:candidateId" so that writes find the position without a
lookup. Stage `disqualified` is rejected and `hired` is hired (also for custom stages of those types);
talent pools (`org_type: "pool"`) are positions, but not jobs: their people are prospects.

BreezyHR gives no candidate URL, so the link is the position's pipeline page, the best documented page;
the CV's own URLs may need the token or expire, so the attachment links to that page too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.breezyhr.fields import as_list, as_mapping, as_text, as_time, id_of, names
from adapters.models import (
    Application,
    ApplicationStatus,
    Attachment,
    AttachmentType,
    Candidate,
    ContactValue,
    Job,
    JobInterviewStage,
    RemoteUser,
)

APP_URL = "https://app.breezy.hr"
REJECTED_STAGE = "disqualified"
HIRED_STAGE = "hired"


@dataclass(frozen=True)
class Company:
    remote_id: str
    name: str
    friendly_id: str | None = None


def to_company(row: Mapping[str, Any]) -> Company | None:
    remote_id = id_of(row)
    if remote_id is None:
        return None
    return Company(remote_id, as_text(row.get("name")) or remote_id, as_text(row.get("friendly_id")))


def application_id(position_id: str, candidate_id: str) -> str:
    return f"{position_id}:{candidate_id}"


def split_application_id(remote_id: str | None) -> tuple[str | None, str | None]:
    """(position id, candidate id) of an application id this module made; (None, None) for anything else."""
    position, sep, candidate = (remote_id or "").partition(":")
    return (position.strip() or None, candidate.strip() or None) if sep else (None, None)


def pipeline_url(app_url: str, company: Company, position_id: str) -> str:
    """The position's pipeline page in the BreezyHR web app (BreezyHR has no documented candidate page)."""
    return f"{app_url}/app/c/{company.friendly_id or company.remote_id}/p/{position_id}/pipeline"


def is_pool(position: Mapping[str, Any]) -> bool:
    return as_text(position.get("org_type")) == "pool"


def split_name(full: str | None) -> tuple[str, str]:
    parts = (full or "").split()
    if not parts:
        return "", ""
    return parts[0], " ".join(parts[1:])


def _links(row: Mapping[str, Any]) -> tuple[ContactValue, ...]:
    """`social_profiles` is an object keyed by network; a list of {type, url} is read too."""
    profiles = row.get("social_profiles")
    pairs: list[tuple[str | None, str | None]] = []
    if isinstance(profiles, Mapping):
        pairs = [(str(network), as_text(url) if not isinstance(url, Mapping) else as_text(url.get("url")))
                 for network, url in profiles.items()]
    else:
        pairs = [(as_text(as_mapping(item).get("type")), as_text(as_mapping(item).get("url")))
                 for item in as_list(profiles)]
    return tuple(ContactValue(url, network) for network, url in pairs if url)


def to_candidate(row: Mapping[str, Any], *, url: str | None) -> Candidate | None:
    remote_id = id_of(row)
    if remote_id is None:
        return None
    first, last = split_name(as_text(row.get("name")))
    email = as_text(row.get("email_address"))
    phone = as_text(row.get("phone_number"))
    # Only what the position's list carries too, so a detail re-read of an unchanged record changes nothing.
    return Candidate(
        remote_id=remote_id, first_name=first, last_name=last, title=as_text(row.get("headline")),
        emails=(ContactValue(email, "personal"),) if email else (),
        phones=(ContactValue(phone, None),) if phone else (),
        links=_links(row), tags=names(row.get("tags")),
        created_at=as_time(row.get("creation_date")), updated_at=as_time(row.get("updated_date")),
        url=url)


def status_of(stage: Mapping[str, Any]) -> ApplicationStatus:
    kinds = {as_text(stage.get("id")), as_text(as_mapping(stage.get("type")).get("id"))}
    if REJECTED_STAGE in kinds:
        return ApplicationStatus.REJECTED
    if HIRED_STAGE in kinds:
        return ApplicationStatus.HIRED
    return ApplicationStatus.ACTIVE


def to_application(row: Mapping[str, Any], position: Mapping[str, Any]) -> Application | None:
    candidate_id, position_id = id_of(row), id_of(position)
    if candidate_id is None or position_id is None:
        return None
    stage = as_mapping(row.get("stage"))
    status = status_of(stage)
    # The date the candidate entered the stage where given, else the record's last change.
    entered = as_time(row.get("entered_stage")) or as_time(row.get("stage_entered_date")) \
        or as_time(row.get("updated_date"))
    pool = is_pool(position)
    return Application(
        remote_id=application_id(position_id, candidate_id), candidate_remote_id=candidate_id,
        job_remote_id=None if pool else position_id, status=status,
        stage_remote_id=as_text(stage.get("id")), stage_name=as_text(stage.get("name")), prospect=pool,
        created_at=as_time(row.get("creation_date")), updated_at=as_time(row.get("updated_date")),
        rejected_at=entered if status is ApplicationStatus.REJECTED else None,
        hired_at=entered if status is ApplicationStatus.HIRED else None)


def to_resume(row: Mapping[str, Any], position_id: str, url: str) -> Attachment | None:
    """The CV as a record that links to BreezyHR's page (its own URLs may be short-lived or need the token)."""
    candidate_id = id_of(row)
    resume = as_mapping(row.get("resume"))
    if candidate_id is None or not resume:
        return None
    filename = as_text(resume.get("file_name")) or "resume"
    return Attachment(candidate_remote_id=candidate_id, filename=filename, url=url, type=AttachmentType.RESUME,
                      application_remote_id=application_id(position_id, candidate_id),
                      remote_id=f"{candidate_id}:resume")


def team_ids(position: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """Hiring-team user ids from `all_users` / `all_admins`, given as ids or user objects (or `false`)."""
    found = (id_of(item) for item in as_list(position.get(key)))
    return tuple(dict.fromkeys(item for item in found if item))


def to_job(position: Mapping[str, Any]) -> Job | None:
    remote_id = id_of(position)
    if remote_id is None or is_pool(position):
        return None
    state = as_text(position.get("state")) or "published"
    return Job(remote_id=remote_id, name=as_text(position.get("name")) or remote_id,
               status="open" if state == "published" else state,
               hiring_manager_ids=team_ids(position, "all_admins"),
               updated_at=as_time(position.get("updated_date")))


def to_stages(pipelines: list[dict[str, Any]]) -> list[JobInterviewStage]:
    """Every stage of every pipeline, once each: BreezyHR's built-in stage ids (`applied`, `hired`...) are
    shared by all pipelines, so stages belong to no one job."""
    stages: dict[str, JobInterviewStage] = {}
    for pipeline in pipelines:
        for order, stage in enumerate(as_list(pipeline.get("stages"))):
            stage_id = id_of(stage)
            if stage_id and stage_id not in stages:
                name = as_text(as_mapping(stage).get("name")) or stage_id
                stages[stage_id] = JobInterviewStage(remote_id=stage_id, job_remote_id=None, name=name,
                                                     sort_order=order)
    return list(stages.values())


def to_user(row: Mapping[str, Any]) -> RemoteUser | None:
    remote_id = id_of(row)
    email = as_text(row.get("email_address")) or as_text(row.get("email"))
    if remote_id is None:
        return None
    return RemoteUser(remote_id=remote_id, name=as_text(row.get("name")) or email or remote_id,
                      email=email.lower() if email else None, emails=(email.lower(),) if email else ())
