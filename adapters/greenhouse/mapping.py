"""Harvest v3 records turned into the normalized models of adapters/models.py, tolerant of nulls,
missing keys and odd types: a record that cannot be used is skipped (None), never guessed."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from adapters.greenhouse.fields import as_id, as_text, as_time, first_of
from adapters.models import (
    Application,
    ApplicationStatus,
    Attachment,
    AttachmentType,
    Candidate,
    ContactValue,
    Interview,
    Job,
    JobInterviewStage,
    Note,
    RemoteUser,
    ScheduledInterview,
)

log = logging.getLogger(__name__)

# `converted` marks a prospect application that became a candidate application: the new application
# is listed on its own, so the converted one is skipped rather than shown twice.
APPLICATION_STATUSES = {
    "in_process": ApplicationStatus.ACTIVE,
    "active": ApplicationStatus.ACTIVE,
    "rejected": ApplicationStatus.REJECTED,
    "hired": ApplicationStatus.HIRED,
}
SKIPPED_APPLICATION_STATUSES = frozenset({"converted"})
ATTACHMENT_TYPES = {"resume": AttachmentType.RESUME, "cover_letter": AttachmentType.COVER_LETTER}


def to_candidate(row: dict[str, Any], app_url: str) -> Candidate | None:
    remote_id = as_id(row.get("id"))
    if remote_id is None:
        log.warning("Skipped a Greenhouse candidate without an id")
        return None
    links = _contacts(row.get("website_addresses")) + _contacts(row.get("social_media_addresses"), "social")
    return Candidate(
        remote_id=remote_id,
        first_name=as_text(row.get("first_name")) or "",
        last_name=as_text(row.get("last_name")) or "",
        preferred_name=as_text(row.get("preferred_name")),
        company=as_text(row.get("company")),
        title=as_text(row.get("title")),
        emails=_contacts(row.get("email_addresses")),
        phones=_contacts(row.get("phone_numbers")),
        links=links,
        tags=_tags(row.get("tags")),
        created_at=as_time(row.get("created_at")),
        updated_at=as_time(row.get("updated_at")),
        url=f"{app_url}/people/{remote_id}",
    )


def to_application(row: dict[str, Any]) -> Application | None:
    remote_id, candidate_id = as_id(row.get("id")), as_id(row.get("candidate_id"))
    raw_status = (as_text(row.get("status")) or "").lower()
    if remote_id is None or candidate_id is None or raw_status in SKIPPED_APPLICATION_STATUSES:
        return None
    status = APPLICATION_STATUSES.get(raw_status, ApplicationStatus.ACTIVE)
    return Application(
        remote_id=remote_id,
        candidate_remote_id=candidate_id,
        job_remote_id=as_id(row.get("job_id")),
        status=status,
        stage_remote_id=as_id(first_of(row, "stage_id", "job_interview_stage_id")),
        stage_name=as_text(row.get("stage_name")),
        prospect=row.get("prospect") is True,
        created_at=as_time(first_of(row, "created_at", "applied_at")),
        updated_at=as_time(row.get("updated_at")),
        rejected_at=as_time(row.get("rejected_at")),
        hired_at=as_time(row.get("hired_at")),
        recruiter_remote_id=as_id(row.get("recruiter_id")),
    )


def to_attachment(row: dict[str, Any]) -> Attachment | None:
    candidate_id, url = as_id(row.get("candidate_id")), as_text(row.get("url"))
    if candidate_id is None or url is None:
        return None
    kind = (as_text(row.get("type")) or "").lower()
    return Attachment(
        candidate_remote_id=candidate_id,
        filename=as_text(row.get("filename")) or "attachment",
        url=url,
        type=ATTACHMENT_TYPES.get(kind, AttachmentType.OTHER),
        application_remote_id=as_id(row.get("application_id")),
        remote_id=as_id(row.get("id")),
        created_at=as_time(row.get("created_at")),
    )


def to_job(row: dict[str, Any], managers: dict[str, list[str]]) -> Job | None:
    remote_id = as_id(row.get("id"))
    if remote_id is None:
        return None
    return Job(remote_id=remote_id, name=as_text(row.get("name")) or f"Job {remote_id}",
               status=(as_text(row.get("status")) or "open").lower(),
               hiring_manager_ids=tuple(managers.get(remote_id, ())), updated_at=as_time(row.get("updated_at")))


def to_interview(row: dict[str, Any]) -> Interview | None:
    remote_id = as_id(row.get("id"))
    if remote_id is None:
        return None
    minutes = row.get("estimated_minutes")
    schedulable = row.get("schedulable")
    if not isinstance(schedulable, bool) and isinstance(row.get("scheduling_type"), str):
        schedulable = row["scheduling_type"] == "needs_scheduling"  # v3 names the kind of step instead
    return Interview(remote_id=remote_id, name=as_text(row.get("name")) or "Interview",
                     schedulable=schedulable is not False,
                     estimated_minutes=minutes if isinstance(minutes, int) and not isinstance(minutes, bool)
                     else None)


def to_stage(row: dict[str, Any], interviews: dict[str, list[Interview]]) -> JobInterviewStage | None:
    remote_id = as_id(row.get("id"))
    if remote_id is None:
        return None
    return JobInterviewStage(remote_id=remote_id, job_remote_id=as_id(row.get("job_id")),
                             name=as_text(row.get("name")) or f"Stage {remote_id}", sort_order=sort_order(row),
                             interviews=tuple(interviews.get(remote_id, ())))


def to_user(row: dict[str, Any], emails: dict[str, list[str]]) -> RemoteUser | None:
    remote_id = as_id(row.get("id"))
    if remote_id is None:
        return None
    primary = as_text(first_of(row, "primary_email", "primary_email_address"))
    everything = tuple(dict.fromkeys(e for e in (primary, *emails.get(remote_id, ())) if e))
    full_name = " ".join(p for p in (as_text(row.get("first_name")), as_text(row.get("last_name"))) if p)
    return RemoteUser(
        remote_id=remote_id,
        name=as_text(row.get("name")) or full_name or primary or f"User {remote_id}",
        email=primary or (everything[0] if everything else None),
        emails=everything,
        is_admin=row.get("site_admin") is True,
        deactivated=row.get("deactivated") is True or row.get("disabled") is True,
        updated_at=as_time(row.get("updated_at")),
    )


def to_note(row: Mapping[str, Any]) -> Note | None:
    remote_id, candidate_id = as_id(row.get("id")), as_id(row.get("candidate_id"))
    if remote_id is None or candidate_id is None:
        return None
    return Note(candidate_remote_id=candidate_id, body=str(row.get("body") or ""), remote_id=remote_id,
                application_remote_id=as_id(row.get("application_id")),
                author_remote_id=as_id(row.get("user_id")), created_at=as_time(row.get("created_at")))


def to_scheduled(row: Mapping[str, Any], panel: tuple[str, ...]) -> ScheduledInterview | None:
    """A v3 interview row; all-day interviews carry dates instead of times."""
    remote_id, application_id = as_id(row.get("id")), as_id(row.get("application_id"))
    start = as_time(first_of(dict(row), "starts_at", "all_day_start_on"))
    end = as_time(first_of(dict(row), "ends_at", "all_day_end_on"))
    if remote_id is None or application_id is None or start is None or end is None:
        return None
    return ScheduledInterview(application_remote_id=application_id, start=start, end=end,
                              interview_remote_id=as_id(row.get("job_interview_id")), interviewer_ids=panel,
                              location=as_text(row.get("location")),
                              video_url=as_text(row.get("video_conferencing_url")),
                              external_event_id=as_text(row.get("external_event_id")), remote_id=remote_id,
                              status=as_text(row.get("status")) or "scheduled")


def sort_order(row: Mapping[str, Any]) -> int:
    order = first_of(dict(row), "sort_order", "priority")
    return order if isinstance(order, int) and not isinstance(order, bool) else 0


def _contacts(value: Any, default_type: str | None = None) -> tuple[ContactValue, ...]:
    if not isinstance(value, list):
        return ()
    found: list[ContactValue] = []
    for item in value:
        if isinstance(item, str):
            text, kind = as_text(item), default_type
        elif isinstance(item, dict):
            text, kind = as_text(item.get("value")), as_text(item.get("type")) or default_type
        else:
            continue
        if text:
            found.append(ContactValue(value=text, type=kind))
    return tuple(found)


def _tags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    names = (as_text(item.get("name")) if isinstance(item, dict) else as_text(item) for item in value)
    return tuple(dict.fromkeys(name for name in names if name))
