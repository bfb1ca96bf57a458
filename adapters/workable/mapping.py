"""Workable payloads as hirebot's records.

A Workable candidate is one person on one job: someone who applied to two jobs is two candidate records
with different ids (hirebot merges people by email across records and ATSs). So each record is a
candidate with exactly one application, keyed by the same id; a talent-pool record (no job) is a
prospect. Status: `disqualified` is rejected (dated by `disqualified_at` where given), a hired-kind stage
or `hired_at` is hired, anything else is active; the stage is shown as Workable names it.

The list gives a short form (no tags, social profiles or resume); the detail adds them. Both are read with
the same rules, and a field a payload lacks is simply empty. The resume link is never stored: Workable does
not say how long it lives, so cards link the candidate's `profile_url` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.models import (
    Application,
    ApplicationStatus,
    Candidate,
    ContactValue,
    Job,
    JobInterviewStage,
    RemoteUser,
)
from adapters.workable.fields import as_mapping, as_text, parse_time, rows

HIRED_KIND = "hired"
OPEN_STATE = "published"


def to_candidate(row: Mapping[str, Any]) -> Candidate | None:
    remote_id = as_text(row.get("id"))
    if remote_id is None:
        return None
    first, last = _names(row)
    email = as_text(row.get("email"))
    phone = as_text(row.get("phone"))
    links = tuple(ContactValue(url, as_text(profile.get("type")))
                  for profile in rows(row.get("social_profiles")) for url in [as_text(profile.get("url"))] if url)
    return Candidate(
        remote_id=remote_id, first_name=first, last_name=last, title=as_text(row.get("headline")),
        emails=(ContactValue(email, None),) if email else (), phones=(ContactValue(phone, None),) if phone else (),
        links=tuple(dict.fromkeys(links)), tags=_tags(row.get("tags")),
        created_at=parse_time(row.get("created_at")), updated_at=parse_time(row.get("updated_at")),
        url=as_text(row.get("profile_url")))


def to_application(row: Mapping[str, Any]) -> Application | None:
    remote_id = as_text(row.get("id"))
    if remote_id is None:
        return None
    job = as_mapping(row.get("job"))
    shortcode = as_text(job.get("shortcode"))
    stage = as_text(row.get("stage"))
    hired_at = parse_time(row.get("hired_at"))
    if row.get("disqualified") is True:
        status = ApplicationStatus.REJECTED
    elif (as_text(row.get("stage_kind")) or "").lower() == HIRED_KIND or hired_at is not None:
        status = ApplicationStatus.HIRED
    else:
        status = ApplicationStatus.ACTIVE
    return Application(
        remote_id=remote_id, candidate_remote_id=remote_id, job_remote_id=shortcode, status=status,
        stage_name=stage, prospect=shortcode is None,
        created_at=parse_time(row.get("created_at")), updated_at=parse_time(row.get("updated_at")),
        rejected_at=parse_time(row.get("disqualified_at")) if status is ApplicationStatus.REJECTED else None,
        hired_at=hired_at if status is ApplicationStatus.HIRED else None)


def job_of(row: Mapping[str, Any]) -> tuple[str, str] | None:
    """(shortcode, title) of the job a candidate record names, if any."""
    job = as_mapping(row.get("job"))
    shortcode = as_text(job.get("shortcode"))
    return (shortcode, as_text(job.get("title")) or shortcode) if shortcode else None


def to_job(row: Mapping[str, Any], team: tuple[str, ...] = ()) -> Job | None:
    shortcode = as_text(row.get("shortcode"))
    if shortcode is None:
        return None
    state = (as_text(row.get("state")) or "").lower()
    name = as_text(row.get("title")) or as_text(row.get("full_title")) or shortcode
    return Job(remote_id=shortcode, name=name, status="open" if state == OPEN_STATE else (state or "unknown"),
               hiring_manager_ids=team, updated_at=parse_time(row.get("updated_at") or row.get("created_at")))


def to_stage(row: Mapping[str, Any], index: int) -> JobInterviewStage | None:
    slug = as_text(row.get("slug"))
    name = as_text(row.get("name")) or slug
    if slug is None or name is None:
        return None
    position = row.get("position")
    order = position if isinstance(position, int) and not isinstance(position, bool) else index
    return JobInterviewStage(remote_id=slug, job_remote_id=None, name=name, sort_order=order)


def to_user(row: Mapping[str, Any]) -> RemoteUser | None:
    remote_id = as_text(row.get("id"))
    if remote_id is None:
        return None
    email = as_text(row.get("email"))
    listed = row.get("roles")
    roles = {str(role).lower() for role in listed} if isinstance(listed, list) else set()
    role = (as_text(row.get("role")) or "").lower()
    return RemoteUser(remote_id=remote_id, name=as_text(row.get("name")) or email or remote_id,
                      email=email.lower() if email else None, emails=(email.lower(),) if email else (),
                      is_admin="admin" in roles or role == "admin", deactivated=row.get("active") is False)


def _names(row: Mapping[str, Any]) -> tuple[str, str]:
    first, last = as_text(row.get("firstname")), as_text(row.get("lastname"))
    if first or last:
        return first or "", last or ""
    whole = as_text(row.get("name")) or ""
    given, _, family = whole.partition(" ")
    return given, family.strip()


def _tags(value: Any) -> tuple[str, ...]:
    """Tags as strings, whether Workable sends names or `{name}` objects."""
    if not isinstance(value, list):
        return ()
    names = (as_text(item.get("name")) if isinstance(item, dict) else as_text(item) for item in value)
    return tuple(dict.fromkeys(name for name in names if name))
