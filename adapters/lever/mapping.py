"""Lever records turned into the normalized models of adapters/models.py, tolerant of nulls, missing
keys and odd types.

Data model. Lever keeps a person (contact) apart from each of their candidacies (opportunities); an
opportunity has 0..n applications (links to postings). Following the reference, the **opportunity id is
our candidate key** (Lever's UI calls opportunities "candidates", legacy candidate ids equal opportunity
ids, deep links and webhooks carry opportunity ids). So:
- each opportunity is one normalized `Candidate` (`remote_id` = opportunity id, `url` = its `urls.show`,
  names, emails, phones, links and tags from the opportunity);
- each of its applications is an `Application` (`remote_id` = application id, job = the posting), with
  the opportunity's stage and archive state: archived with a reason of type "hired" → HIRED, otherwise
  archived → REJECTED, both dated `archivedAt`; not archived → ACTIVE;
- an opportunity without an application (a lead) gets one prospect `Application` whose `remote_id` is
  the opportunity id, so a lead's stage and archive state still reach the card;
- resumes become RESUME attachments, files named like a cover letter COVER_LETTER, other files OTHER.
Two opportunities of one contact are two candidate records with the same email; hirebot's core merges
records of one person by email, so siblings are not re-read here. Each batch carries its candidates whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.errors import MalformedResponse
from adapters.lever.fields import as_mapping, as_text, from_ms, id_of, strings
from adapters.lever.remote_ids import join_remote_id
from adapters.models import (
    Application,
    ApplicationStatus,
    Attachment,
    AttachmentType,
    Candidate,
    ContactValue,
    Job,
    Note,
    RemoteUser,
)

HIRED_ARCHIVE_TYPE = "hired"
POSTING_STATUS = {"published": "open", "internal": "open", "closed": "closed", "rejected": "closed",
                  "draft": "draft", "pending": "draft"}
UNKNOWN_POSTING_STATUS = "unknown"  # without list-postings: never claimed open


@dataclass(frozen=True)
class OpportunityFiles:
    """An opportunity's resumes and other files, read separately (Lever has no bulk endpoint for them)."""

    resumes: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)


def to_candidate(row: Mapping[str, Any], files: OpportunityFiles | None, app_url: str) -> Candidate | None:
    """One opportunity as one candidate: Lever repeats the contact's details on each opportunity."""
    opportunity_id = as_text(row.get("id"))
    if opportunity_id is None:
        return None
    contact = as_mapping(row.get("contact"))  # an object only when the list was asked to expand it
    first, last = _split_name(as_text(row.get("name")) or as_text(contact.get("name")) or "")
    company, title = _current_position(row, files)
    urls = as_mapping(row.get("urls"))
    emails = strings(row.get("emails")) or strings(contact.get("emails"))
    return Candidate(
        remote_id=opportunity_id, first_name=first, last_name=last, company=company, title=title,
        emails=tuple(ContactValue(email) for email in emails),
        phones=_phones(row.get("phones") or contact.get("phones")),
        links=tuple(ContactValue(link, _link_type(link)) for link in strings(row.get("links"))),
        tags=tuple(strings(row.get("tags"))),
        created_at=from_ms(row.get("createdAt")), updated_at=from_ms(row.get("updatedAt")),
        url=as_text(urls.get("show")) or f"{app_url}/candidates/{opportunity_id}",
    )


def to_applications(row: Mapping[str, Any], archive_types: Mapping[str, str] | None) -> list[Application]:
    """The opportunity's applications, each with the opportunity's stage and status; a lead without
    any becomes one prospect application keyed by the opportunity id."""
    opportunity_id = str(row["id"])
    stage = row.get("stage")
    stage_id = as_text(stage.get("id")) if isinstance(stage, dict) else as_text(stage)
    stage_name = as_text(stage.get("text")) if isinstance(stage, dict) else None
    status, when = _status(row, archive_types)
    owner = row.get("owner")
    common: dict[str, Any] = {
        "candidate_remote_id": opportunity_id, "status": status, "stage_remote_id": stage_id,
        "stage_name": stage_name, "updated_at": from_ms(row.get("updatedAt")),
        "rejected_at": when if status is ApplicationStatus.REJECTED else None,
        "hired_at": when if status is ApplicationStatus.HIRED else None,
        "recruiter_remote_id": as_text(owner.get("id")) if isinstance(owner, dict) else as_text(owner),
    }
    found: dict[str, Application] = {}
    for item in row.get("applications") or []:
        if isinstance(item, dict):
            application_id, posting_id = as_text(item.get("id")), id_of(item.get("posting"))
            created = from_ms(item.get("createdAt")) or from_ms(row.get("createdAt"))
            prospect = posting_id is None
        else:  # not expanded: the id alone, its posting unknown
            application_id, posting_id, created, prospect = as_text(item), None, from_ms(row.get("createdAt")), False
        if application_id and application_id not in found:
            found[application_id] = Application(remote_id=application_id, job_remote_id=posting_id,
                                                prospect=prospect, created_at=created, **common)
    if not found:
        found[opportunity_id] = Application(remote_id=opportunity_id, job_remote_id=None, prospect=True,
                                            created_at=from_ms(row.get("createdAt")), **common)
    return list(found.values())


def postings_of(row: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    """(posting id, its name if Lever sent one) for each expanded application of the row."""
    for item in row.get("applications") or []:
        if isinstance(item, dict):
            posting = item.get("posting")
            posting_id = id_of(posting)
            if posting_id:
                yield posting_id, as_text(posting.get("text")) if isinstance(posting, dict) else None


def attachments_of(opportunity_id: str, files: OpportunityFiles | None) -> Iterator[Attachment]:
    """Resumes and files hang off the opportunity, i.e. the candidate, not one of its applications."""
    if files is None:
        return
    for resume in files.resumes:
        meta = resume.get("file") if isinstance(resume.get("file"), dict) else None
        url = as_text(meta.get("downloadUrl")) if meta else None
        if meta is None or url is None:
            continue  # a resume parsed from a profile, with no file behind it
        yield Attachment(candidate_remote_id=opportunity_id, filename=as_text(meta.get("name")) or "resume", url=url,
                         type=AttachmentType.RESUME, remote_id=as_text(resume.get("id")),
                         created_at=from_ms(resume.get("createdAt") or meta.get("uploadedAt")))
    for item in files.files:
        url = as_text(item.get("downloadUrl"))
        if url is None:
            continue
        name = as_text(item.get("name")) or "file"
        kind = AttachmentType.COVER_LETTER if "cover" in name.lower() else AttachmentType.OTHER
        yield Attachment(candidate_remote_id=opportunity_id, filename=name, url=url, type=kind,
                         remote_id=as_text(item.get("id")), created_at=from_ms(item.get("uploadedAt")))


def archive_reason(row: Mapping[str, Any]) -> str | None:
    archived = row.get("archived")
    return as_text(archived.get("reason")) if isinstance(archived, dict) else None


def fallback_job(posting_id: str, name: str | None) -> Job:
    """A posting known only by id (the key may not list postings): never claimed to be open."""
    return Job(remote_id=posting_id, name=name or f"Lever posting {posting_id[:8]}", status=UNKNOWN_POSTING_STATUS)


def to_job(row: Mapping[str, Any]) -> Job | None:
    posting_id = as_text(row.get("id"))
    if posting_id is None:
        return None
    manager = row.get("hiringManager")
    manager_id = as_text(manager.get("id")) if isinstance(manager, dict) else as_text(manager)
    state = (as_text(row.get("state")) or "published").lower()
    return Job(remote_id=posting_id, name=as_text(row.get("text")) or f"Posting {posting_id}",
               status=POSTING_STATUS.get(state, "open"), hiring_manager_ids=(manager_id,) if manager_id else (),
               updated_at=from_ms(row.get("updatedAt")))


def to_user(row: Mapping[str, Any]) -> RemoteUser | None:
    user_id = as_text(row.get("id"))
    if user_id is None:
        return None
    email = as_text(row.get("email"))
    role = (as_text(row.get("accessRole")) or "").lower()
    return RemoteUser(remote_id=user_id, name=as_text(row.get("name")) or email or f"User {user_id}", email=email,
                      emails=(email,) if email else (), is_admin=role in ("super admin", "admin"),
                      deactivated=row.get("deactivatedAt") is not None)


def to_note(row: Mapping[str, Any], opportunity_id: str, body: str,
            application_remote_id: str | None = None) -> Note:
    """A Lever note as a Note whose `remote_id` is "opportunityId:noteId"."""
    note_id = as_text(row.get("id")) or as_text(row.get("noteId"))
    if note_id is None:
        raise MalformedResponse("Lever sent a note without its id.", provider="lever")
    return Note(candidate_remote_id=opportunity_id, body=body, remote_id=join_remote_id(opportunity_id, note_id),
                application_remote_id=application_remote_id, author_remote_id=as_text(row.get("user")),
                created_at=from_ms(row.get("createdAt")))


def note_texts(row: Mapping[str, Any]) -> list[str]:
    """A note's text: Lever keeps it in `fields[].value` (some answers also carry a top-level `value`)."""
    fields = [f for f in row.get("fields") or [] if isinstance(f, dict)]
    return [text for text in (row.get("value"), *(f.get("value") for f in fields)) if isinstance(text, str)]


def contact_id(row: Mapping[str, Any] | None) -> str | None:
    if not row:
        return None
    contact = row.get("contact")
    return as_text(contact.get("id")) if isinstance(contact, dict) else as_text(contact)


def created_key(row: Mapping[str, Any]) -> tuple[int, str]:
    created = row.get("createdAt")
    moment = created if isinstance(created, int) and not isinstance(created, bool) else 0
    return moment, str(row.get("id") or "")


def phone_type(kind: str | None) -> str:
    kind = (kind or "").lower()
    return kind if kind in ("home", "mobile", "work", "skype", "other") else "other"


def _split_name(name: str) -> tuple[str, str]:
    """Lever keeps one `name`; the first word is taken as the given name (a guess for some cultures)."""
    parts = name.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def _current_position(row: Mapping[str, Any], files: OpportunityFiles | None) -> tuple[str | None, str | None]:
    """Company and title from a parsed resume's latest position, else the headline's first entry."""
    for resume in files.resumes if files else []:
        parsed = as_mapping(resume.get("parsedData"))
        positions = [p for p in parsed.get("positions") or [] if isinstance(p, dict)]
        if positions:
            return as_text(positions[0].get("org")), as_text(positions[0].get("title"))
    headline = as_text(row.get("headline"))
    return (headline.split(",")[0].strip() or None if headline else None), None


def _status(row: Mapping[str, Any], archive_types: Mapping[str, str] | None
            ) -> tuple[ApplicationStatus, datetime | None]:
    """ACTIVE unless archived; archived is HIRED when its reason has type "hired", else REJECTED (also
    when the reasons cannot be read: `archive_types` None)."""
    archived = row.get("archived")
    if not isinstance(archived, dict):
        return ApplicationStatus.ACTIVE, None
    reason = as_text(archived.get("reason"))
    hired = reason is not None and (archive_types or {}).get(reason) == HIRED_ARCHIVE_TYPE
    return (ApplicationStatus.HIRED if hired else ApplicationStatus.REJECTED), from_ms(archived.get("archivedAt"))


def _phones(value: Any) -> tuple[ContactValue, ...]:
    found = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and as_text(item.get("value")):
            found.append(ContactValue(str(as_text(item.get("value"))), as_text(item.get("type"))))
        elif isinstance(item, str) and item.strip():
            found.append(ContactValue(item.strip()))
    return tuple(found)


def _link_type(url: str) -> str:
    lowered = url.lower()
    for marker, kind in (("linkedin.", "linkedin"), ("github.", "github"), ("twitter.", "twitter"),
                         ("x.com/", "twitter")):
        if marker in lowered:
            return kind
    return "website"
