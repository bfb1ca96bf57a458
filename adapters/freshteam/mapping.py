"""Freshteam records turned into the normalized models of adapters/models.py, tolerant of nulls, missing
keys and odd types.

Data model. A Freshteam candidate is a person; each of their applications to a job is an applicant, and
the stage (with its sub-stage) lives on the applicant. So:
- each candidate is one `Candidate` (`remote_id` = the candidate id), with its emails, phones, profile
  links, tags and resumes;
- each applicant is an `Application` (`remote_id` = the applicant id, job = its job posting), its stage
  named as the account names it ("Interview: Technical round" with the sub-stage);
- stage names are free text per account, so hired and rejected are told by name: a stage in
  `StageRules.hired` (default "Hired") is HIRED, one in `StageRules.rejected` (default "Rejected",
  "Archived", "Dropped", "Disqualified") is REJECTED, each dated by the applicant's `updated_at` (the
  API gives no decision date); everything else is ACTIVE;
- resumes become RESUME attachments, their relative URLs made absolute against the account's address.

Links. The API returns no web-app URL, and the reference leaves the candidate page's path unconfirmed, so
the candidate's link is the page the reference does give: the job posting of their most recently updated
application (`https://{domain}.freshteam.com/hire/jobs/{job_id}`), or the account's hiring home
(`/hire`) for someone in no job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from adapters.freshteam.fields import as_text, id_of, name_of, parse_time
from adapters.models import (
    Application,
    ApplicationStatus,
    Attachment,
    AttachmentType,
    Candidate,
    ContactValue,
    Job,
    RemoteUser,
)

DEFAULT_HIRED = ("hired",)
DEFAULT_REJECTED = ("rejected", "archived", "dropped", "disqualified")
JOB_STATUS = {"published": "open", "internal": "open", "private": "open", "draft": "draft", "on_hold": "on_hold",
              "closed": "closed"}
JOB_STATUSES = tuple(JOB_STATUS)
INACTIVE_EMPLOYEE = frozenset({"inactive", "terminated", "archived", "deleted", "deactivated", "resigned"})
# Query names that make a download link signed and short-lived: such a link is never stored.
SIGNED_QUERY = frozenset({"x-amz-signature", "signature", "expires", "x-amz-expires", "token", "sig"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class StageRules:
    """Which stage names (case ignored) mean hired and rejected in this account."""

    hired: frozenset[str] = frozenset(DEFAULT_HIRED)
    rejected: frozenset[str] = frozenset(DEFAULT_REJECTED)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> StageRules:
        """`hired_stages` / `rejected_stages`, comma-separated, replace the defaults when set."""
        return cls(hired=_names(settings.get("hired_stages"), DEFAULT_HIRED),
                   rejected=_names(settings.get("rejected_stages"), DEFAULT_REJECTED))

    def status(self, stage: str | None) -> ApplicationStatus:
        name = (stage or "").strip().lower()
        if name in self.hired:
            return ApplicationStatus.HIRED
        if name in self.rejected:
            return ApplicationStatus.REJECTED
        return ApplicationStatus.ACTIVE


def to_application(row: Mapping[str, Any], rules: StageRules, *, candidate_id: str | None = None,
                   job_id: str | None = None) -> Application | None:
    """One applicant as an application of its candidate; None without an id or a candidate. `job_id` is the
    job it was listed under, for an applicant that does not repeat it."""
    applicant_id = as_text(row.get("id"))
    owner = candidate_id or id_of(row.get("candidate_id")) or id_of(row.get("candidate"))
    if applicant_id is None or owner is None:
        return None
    stage, sub_stage = name_of(row.get("stage")), name_of(row.get("sub_stage"))
    status = rules.status(stage)
    updated = parse_time(row.get("updated_at"))
    decided = updated if status is not ApplicationStatus.ACTIVE else None
    return Application(
        remote_id=applicant_id, candidate_remote_id=owner, job_remote_id=id_of(row.get("job_id")) or
        id_of(row.get("job")) or job_id, status=status, stage_name=_stage_label(stage, sub_stage),
        created_at=parse_time(row.get("created_at")), updated_at=updated,
        rejected_at=decided if status is ApplicationStatus.REJECTED else None,
        hired_at=decided if status is ApplicationStatus.HIRED else None)


def to_candidate(row: Mapping[str, Any], applications: Sequence[Application], app_url: str) -> Candidate | None:
    candidate_id = as_text(row.get("id"))
    if candidate_id is None:
        return None
    first = " ".join(filter(None, (as_text(row.get("first_name")), as_text(row.get("middle_name")))))
    return Candidate(
        remote_id=candidate_id, first_name=first, last_name=as_text(row.get("last_name")) or "",
        emails=_emails(row), phones=_phones(row), links=_links(row.get("profile_links")),
        tags=tuple(dict.fromkeys(t for t in (name_of(tag) for tag in _list(row.get("tags"))) if t)),
        created_at=parse_time(row.get("created_at")), updated_at=parse_time(row.get("updated_at")),
        url=candidate_page(app_url, applications))


def candidate_page(app_url: str, applications: Sequence[Application]) -> str:
    """The job posting of the most recently updated application, else the account's hiring home."""
    jobs = [app for app in applications if app.job_remote_id]
    if not jobs:
        return f"{app_url}/hire"
    latest = max(jobs, key=lambda app: (app.updated_at or app.created_at or _EPOCH, app.remote_id))
    return f"{app_url}/hire/jobs/{latest.job_remote_id}"


def attachments_of(row: Mapping[str, Any], app_url: str, page: str,
                   applicants: Iterable[Mapping[str, Any]] = ()) -> list[Attachment]:
    """The candidate's resumes, and any cover letter file an applicant carries, with absolute URLs."""
    candidate_id = str(row["id"])
    found: list[Attachment] = []
    for item in _list(row.get("resumes")):
        if not isinstance(item, dict):
            continue
        url = absolute_url(as_text(item.get("url")), app_url, page)
        if url is None:
            continue
        found.append(Attachment(candidate_remote_id=candidate_id, url=url, type=AttachmentType.RESUME,
                                filename=as_text(item.get("content_file_name")) or as_text(item.get("name")) or
                                "resume", remote_id=as_text(item.get("id")),
                                created_at=parse_time(item.get("created_at"))))
    for applicant in applicants:
        letter = applicant.get("cover_letter")
        letters = letter if isinstance(letter, list) else [letter]
        for item in letters:
            url = absolute_url(as_text(item.get("url")) if isinstance(item, dict) else None, app_url, page)
            if url is None or not isinstance(item, dict):
                continue  # a cover letter typed as text has no file to link
            found.append(Attachment(candidate_remote_id=candidate_id, url=url, type=AttachmentType.COVER_LETTER,
                                    filename=as_text(item.get("content_file_name")) or "cover letter",
                                    application_remote_id=as_text(applicant.get("id")),
                                    remote_id=as_text(item.get("id"))))
    return found


def absolute_url(url: str | None, app_url: str, page: str) -> str | None:
    """A resume URL as a whole address: relative ones hang off the account's address; a signed, expiring
    link is replaced by the candidate's page (it would stop working soon after it was stored)."""
    if url is None:
        return None
    whole = url if url.lower().startswith(("http://", "https://")) else f"{app_url}/{url.lstrip('/')}"
    query = {name.lower() for name in parse_qs(urlsplit(whole).query)}
    return page if query & SIGNED_QUERY else whole


def to_job(row: Mapping[str, Any], listed_as: str | None = None) -> Job | None:
    job_id = as_text(row.get("id"))
    if job_id is None or row.get("deleted") is True:
        return None
    state = (as_text(row.get("status")) or listed_as or "published").lower()
    managers = [id_of(manager) for requisition in _list(row.get("requisitions")) if isinstance(requisition, dict)
                for manager in _list(requisition.get("hiring_managers"))]
    return Job(remote_id=job_id, name=as_text(row.get("title")) or f"Freshteam job {job_id}",
               status=JOB_STATUS.get(state, "open"), hiring_manager_ids=tuple(dict.fromkeys(m for m in managers if m)),
               updated_at=parse_time(row.get("updated_at")))


def to_user(row: Mapping[str, Any]) -> RemoteUser | None:
    user_id = as_text(row.get("id"))
    if user_id is None:
        return None
    emails = tuple(dict.fromkeys(e.lower() for e in (as_text(row.get(key)) for key in
                                                      ("official_email", "email", "personal_email")) if e))
    name = " ".join(filter(None, (as_text(row.get("first_name")), as_text(row.get("last_name")))))
    status = (as_text(row.get("status")) or "").lower()
    gone = status in INACTIVE_EMPLOYEE or row.get("deleted") is True or row.get("terminated") is True
    return RemoteUser(remote_id=user_id, name=name or (emails[0] if emails else f"Employee {user_id}"),
                      email=emails[0] if emails else None, emails=emails, deactivated=gone,
                      updated_at=parse_time(row.get("updated_at")))


def applicant_ids(row: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys(i for i in (id_of(item) for item in _list(row.get("applicant_ids"))) if i))


def _stage_label(stage: str | None, sub_stage: str | None) -> str | None:
    if stage and sub_stage and sub_stage.lower() != stage.lower():
        return f"{stage}: {sub_stage}"
    return stage or sub_stage


def _emails(row: Mapping[str, Any]) -> tuple[ContactValue, ...]:
    values = [as_text(row.get("email")), *(name_of(e) if not isinstance(e, dict) else as_text(e.get("email"))
                                            for e in _list(row.get("emails")))]
    return tuple(ContactValue(email) for email in dict.fromkeys(v for v in values if v))


def _phones(row: Mapping[str, Any]) -> tuple[ContactValue, ...]:
    found: dict[str, str] = {}
    for key in ("mobile", "phone"):
        value = as_text(row.get(key))
        if value:
            found.setdefault(value, key)
    return tuple(ContactValue(value, kind) for value, kind in found.items())


def _links(value: Any) -> tuple[ContactValue, ...]:
    found: dict[str, str | None] = {}
    for item in _list(value):
        url = as_text(item.get("url")) if isinstance(item, dict) else as_text(item)
        if url:
            kind = as_text(item.get("name")) if isinstance(item, dict) else None
            found.setdefault(url, kind.lower() if kind else ("linkedin" if "linkedin." in url.lower() else None))
    return tuple(ContactValue(url, kind) for url, kind in found.items())


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _names(value: Any, default: tuple[str, ...]) -> frozenset[str]:
    text = as_text(value)
    if text is None:
        return frozenset(default)
    return frozenset(name.strip().lower() for name in text.split(",") if name.strip())
