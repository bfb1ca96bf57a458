"""Recruitee records turned into the normalized models of adapters/models.py, tolerant of nulls, missing
keys and odd types.

Data model. A Recruitee candidate is one person; each of their **placements** links them to an offer (a
job or a talent pool) and carries the stage and the outcome there. So each candidate is one `Candidate`
(`remote_id` = candidate id, `url` = its `adminapp_url` as given) and each placement one `Application`
(`remote_id` = placement id, job = the offer). Stage names and offer titles are not on the placement:
they come from the envelope's `references[]` sidecar, joined on (`type`, `id`).

Status, from the placement: `hired_at` set (or a stage of category `hire`) is HIRED; `disqualified_at`
(or a disqualify reason or kind) is REJECTED, dated `disqualified_at`; anything else ACTIVE. A placement
on a talent pool is a prospect application without a job.

Files: `cv_url` is a storage link whose lifetime Recruitee does not promise, so it is never stored; a
candidate with a CV gets one RESUME attachment that links to their Recruitee page instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

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
from adapters.recruitee.fields import as_mapping, as_rows, as_text, parse_time, strings

APP_URL = "https://app.recruitee.com"
HIRE_CATEGORY = "hire"
TALENT_POOL = "talent_pool"
OPEN_STATUSES = frozenset({"published", "internal"})
JOB_STATUS = {"published": "open", "internal": "open", "draft": "draft", "closed": "closed", "archived": "closed"}


@dataclass(frozen=True)
class References:
    """The `references[]` sidecar of one answer, indexed by (type, id)."""

    by_key: Mapping[tuple[str, str], Mapping[str, Any]]

    @classmethod
    def of(cls, *groups: Iterable[Mapping[str, Any]]) -> References:
        found: dict[tuple[str, str], Mapping[str, Any]] = {}
        for group in groups:
            for row in group:
                kind, ref_id = as_text(row.get("type")), as_text(row.get("id"))
                if kind and ref_id:
                    found[(kind.lower(), ref_id)] = row
        return cls(found)

    def get(self, kind: str, ref_id: Any) -> Mapping[str, Any]:
        key = as_text(ref_id)
        return self.by_key.get((kind.lower(), key), {}) if key else {}

    def of_type(self, kind: str) -> list[Mapping[str, Any]]:
        return [row for (k, _), row in self.by_key.items() if k == kind.lower()]


def candidate_link(candidate_id: str, company_id: str) -> str:
    """The admin app's page for a candidate, as Recruitee's `adminapp_url` spells it (used only when a
    record comes without one)."""
    return f"{APP_URL}/#/dashboard/overview?candidate={candidate_id}&company={company_id}"


def to_candidate(row: Mapping[str, Any], company_id: str) -> Candidate | None:
    candidate_id = as_text(row.get("id"))
    if candidate_id is None:
        return None
    first, last = split_name(as_text(row.get("name")) or "")
    social = [ContactValue(link, link_type(link)) for link in strings(row.get("social_links"))]
    other = [ContactValue(link, link_type(link)) for link in strings(row.get("links"))]
    return Candidate(
        remote_id=candidate_id, first_name=first, last_name=last,
        emails=tuple(ContactValue(email) for email in strings(row.get("emails"))),
        phones=tuple(ContactValue(phone) for phone in strings(row.get("phones"))),
        links=tuple(dict.fromkeys([*social, *other])), tags=tuple(tag_names(row.get("tags"))),
        created_at=parse_time(row.get("created_at")), updated_at=parse_time(row.get("updated_at")),
        url=as_text(row.get("adminapp_url")) or candidate_link(candidate_id, company_id),
    )


def to_applications(row: Mapping[str, Any], refs: References) -> list[Application]:
    candidate_id = str(as_text(row.get("id")))
    found: dict[str, Application] = {}
    for placement in as_rows(row.get("placements")):
        placement_id = as_text(placement.get("id"))
        if placement_id is None or placement_id in found:
            continue
        offer_id = as_text(placement.get("offer_id"))
        offer = refs.get("Offer", offer_id)
        pool = as_text(offer.get("kind")) == TALENT_POOL
        stage_id = as_text(placement.get("stage_id"))
        stage = refs.get("Stage", stage_id)
        status, when = placement_status(placement, stage)
        found[placement_id] = Application(
            remote_id=placement_id, candidate_remote_id=candidate_id, job_remote_id=None if pool else offer_id,
            status=status, stage_remote_id=stage_id, stage_name=as_text(stage.get("name")), prospect=pool,
            created_at=parse_time(placement.get("created_at")), updated_at=parse_time(placement.get("updated_at")),
            rejected_at=when if status is ApplicationStatus.REJECTED else None,
            hired_at=when if status is ApplicationStatus.HIRED else None,
        )
    return list(found.values())


def placement_status(placement: Mapping[str, Any], stage: Mapping[str, Any]
                     ) -> tuple[ApplicationStatus, datetime | None]:
    updated = parse_time(placement.get("updated_at"))
    hired_at = parse_time(placement.get("hired_at"))
    if hired_at is not None:
        return ApplicationStatus.HIRED, hired_at
    disqualified_at = parse_time(placement.get("disqualified_at"))
    if disqualified_at is not None or any(placement.get(key) for key in ("disqualify_reason", "disqualify_kind")):
        return ApplicationStatus.REJECTED, disqualified_at or updated
    if as_text(stage.get("category")) == HIRE_CATEGORY:
        return ApplicationStatus.HIRED, updated
    return ApplicationStatus.ACTIVE, None


def cv_attachment(row: Mapping[str, Any], page_url: str) -> Attachment | None:
    """The candidate's CV as a link to their Recruitee page (the file's own URL may not last)."""
    candidate_id = as_text(row.get("id"))
    original = as_text(row.get("cv_original_url")) or as_text(row.get("cv_url"))
    if candidate_id is None or original is None:
        return None
    name = urlsplit(original).path.rsplit("/", 1)[-1] or "CV"
    return Attachment(candidate_remote_id=candidate_id, filename=name, url=page_url, type=AttachmentType.RESUME,
                      remote_id=f"cv-{candidate_id}", created_at=parse_time(row.get("updated_at")))


def to_job(row: Mapping[str, Any]) -> Job | None:
    offer_id = as_text(row.get("id"))
    if offer_id is None or as_text(row.get("kind")) == TALENT_POOL:
        return None
    status = (as_text(row.get("status")) or "").lower()
    team = [as_text(row.get(key)) for key in ("hiring_manager_id", "recruiter_id")]
    team += [as_text(member.get("id")) if isinstance(member, dict) else as_text(member)
             for member in row.get("hiring_team") or [] if isinstance(row.get("hiring_team"), list)]
    return Job(remote_id=offer_id, name=as_text(row.get("title")) or f"Offer {offer_id}",
               status=JOB_STATUS.get(status, "open" if not status else "closed"),
               hiring_manager_ids=tuple(dict.fromkeys(member for member in team if member)),
               updated_at=parse_time(row.get("updated_at")))


def to_stages(offer_id: str, stages: Iterable[Mapping[str, Any]]) -> list[JobInterviewStage]:
    rows = [row for row in stages if as_text(row.get("id"))]
    rows.sort(key=_position)
    return [JobInterviewStage(remote_id=str(as_text(row.get("id"))), job_remote_id=offer_id,
                              name=as_text(row.get("name")) or "Stage", sort_order=index)
            for index, row in enumerate(rows)]


def _position(row: Mapping[str, Any]) -> int:
    position = row.get("position")
    return position if isinstance(position, int) and not isinstance(position, bool) else 0


def to_user(row: Mapping[str, Any]) -> RemoteUser | None:
    admin_id = as_text(row.get("id"))
    if admin_id is None:
        return None
    email = as_text(row.get("email"))
    name = " ".join(part for part in (as_text(row.get("first_name")), as_text(row.get("last_name"))) if part)
    role = as_text(as_mapping(row.get("role")).get("name")) or as_text(row.get("role")) or ""
    return RemoteUser(remote_id=admin_id, name=name or as_text(row.get("name")) or email or f"User {admin_id}",
                      email=email, emails=(email.lower(),) if email else (), is_admin="admin" in role.lower(),
                      deactivated=bool(row.get("deactivated") or row.get("deleted_at")))


def to_note(row: Mapping[str, Any], candidate_id: str, body: str,
            application_remote_id: str | None = None) -> Note | None:
    note_id = as_text(row.get("id"))
    if note_id is None:
        return None
    admin = as_mapping(row.get("admin"))
    return Note(candidate_remote_id=candidate_id, body=body, remote_id=note_id,
                application_remote_id=application_remote_id,
                author_remote_id=as_text(admin.get("id")) or as_text(row.get("admin_id")),
                created_at=parse_time(row.get("created_at")))


def tag_names(value: Any) -> list[str]:
    """Tags come as strings, or as objects with a name."""
    names = [as_text(item.get("name")) if isinstance(item, dict) else as_text(item)
             for item in value] if isinstance(value, list) else []
    return list(dict.fromkeys(name for name in names if name))


def split_name(name: str) -> tuple[str, str]:
    """Recruitee keeps one full `name`; the first word is taken as the given name."""
    parts = name.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def link_type(url: str) -> str:
    lowered = url.lower()
    for marker, kind in (("linkedin.", "linkedin"), ("github.", "github"), ("twitter.", "twitter"),
                         ("x.com/", "twitter")):
        if marker in lowered:
            return kind
    return "website"
