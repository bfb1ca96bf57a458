"""The Harvest v3 write bodies, each built here and nowhere else: the reference leaves several v3 write
shapes unconfirmed, so a correction touches one function next to its route (see docs/providers.md)."""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from adapters.greenhouse.fields import as_id, as_text, filter_time, int_id
from adapters.models import Candidate, ContactValue, Note, ScheduledInterview

# Routes are Harvest v3's (reference: notes and candidates documented, interviews unconfirmed).
NOTES_ROUTE = "/v3/notes"
CANDIDATES_ROUTE = "/v3/candidates"
INTERVIEWS_ROUTE = "/v3/interviews"
# Meeting notes are routine hiring-team information the hiring manager (often not an admin) must see, so
# they are public unless the connection's `note_visibility` setting says otherwise (create vocabulary).
NOTE_VISIBILITIES = ("public", "private", "admin_only")
DEFAULT_NOTE_VISIBILITY = "public"
SOURCE_TAG = "hirebot"
EMAIL_TYPES = ("personal", "work", "other")
PHONE_TYPES = ("home", "work", "mobile", "skype", "other")
WEBSITE_TYPES = ("personal", "company", "portfolio", "blog", "other")
SOCIAL_HOSTS = ("linkedin.", "twitter.", "x.com/", "github.", "facebook.", "instagram.")


def note_body(note: Note, *, author: str | None, visibility: str) -> dict[str, Any]:
    """`POST /v3/notes` (documented route; request field names are v3's read names, as the reference says)."""
    if visibility not in NOTE_VISIBILITIES:
        raise ValueError(f"note visibility must be one of {', '.join(NOTE_VISIBILITIES)}")
    body: dict[str, Any] = {"candidate_id": int_id(note.candidate_remote_id, "candidate"), "body": note.body,
                            "visibility": visibility}
    if note.application_remote_id:
        body["application_id"] = int_id(note.application_remote_id, "application")
    if author:
        body["user_id"] = int_id(author, "user")
    return body


def interview_route(remote_id: str) -> str:
    return f"{INTERVIEWS_ROUTE}/{int_id(remote_id, 'interview')}"


def interview_body(interview: ScheduledInterview, *, organizer: str | None,
                   job_interview_id: str | None) -> dict[str, Any]:
    """`POST /v3/interviews` (with `job_interview_id`) or `PATCH /v3/interviews/{id}` (without).

    Unconfirmed in the reference: v2's scheduled-interview body with v3's read names (`job_interview_id`
    for v2's `interview_id`, `starts_at`/`ends_at` for `start`/`end`), as the sandbox implements it.
    """
    if not interview.external_event_id:
        raise ValueError("a Greenhouse interview needs hirebot's external_event_id")
    body: dict[str, Any] = {
        "interviewers": _panel(interview.interviewer_ids, organizer),
        "starts_at": _api_time(interview.start), "ends_at": _api_time(interview.end),
        "external_event_id": interview.external_event_id, "location": interview.location,
        "video_conferencing_url": interview.video_url,
    }
    if job_interview_id is None:
        return body
    return {"application_id": int_id(interview.application_remote_id, "application"),
            "job_interview_id": int_id(job_interview_id, "interview step"), **body}


def panel_ids(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The interviewers an interview body names (user ids, else emails), for the interview it returns."""
    return tuple(str(p.get("user_id") or p.get("email")) for p in body.get("interviewers") or ())


def candidate_body(candidate: Candidate, *, job_id: str | None, source: Any, tags: Sequence[str],
                   resume: Any, source_tag: str | None, stage_id: str | None = None) -> dict[str, Any]:
    """`POST /v3/candidates`: the reference's v1 create-candidate example translated to v3.

    v1's `applications[]` becomes v3's single nested `application` (a prospect without a job); the resume
    goes into that application's `attachments[]` as base64 `content` with `content_type`, as in v1;
    LinkedIn and other social profiles go to `social_media_addresses`, other links to `website_addresses`.
    A numeric `source` is the application's `source_id`; a source name becomes a tag, since v3 documents
    no list to look source names up in. The attachment and source fields are unconfirmed for v3.
    """
    numeric = isinstance(source, int) or (isinstance(source, str) and source.strip().isdigit())
    source_id = as_id(source) if numeric else None
    source_name = as_text(source) if source_id is None and isinstance(source, str) else None
    names = [*candidate.tags, *tags, source_name, source_tag]
    social = [link for link in candidate.links if _is_social(link)]
    body: dict[str, Any] = {
        "first_name": candidate.first_name, "last_name": candidate.last_name,
        "email_addresses": [{"value": e.value, "type": e.type if e.type in EMAIL_TYPES else "personal"}
                            for e in candidate.emails if e.value],
        "phone_numbers": [{"value": p.value, "type": _phone_type(p.type)}
                          for p in candidate.phones if p.value],
        "social_media_addresses": [{"value": link.value} for link in social],
        "website_addresses": [{"value": link.value,
                               "type": link.type if link.type in WEBSITE_TYPES else "personal"}
                              for link in candidate.links if link.value and link not in social],
        "tags": list(dict.fromkeys(n.strip() for n in names if n and n.strip())),
    }
    for key in ("preferred_name", "company", "title"):
        if getattr(candidate, key):
            body[key] = getattr(candidate, key)
    application: dict[str, Any] = {"job_id": int_id(job_id, "job")} if job_id else {"prospect": True}
    if job_id and stage_id:
        application["initial_stage_id"] = int_id(stage_id, "stage")
    if source_id:
        application["source_id"] = int(source_id)
    if resume:
        application["attachments"] = [_resume_attachment(resume)]
    body["application"] = application
    return body


def _panel(people: Sequence[str], organizer: str | None) -> list[dict[str, Any]]:
    """Interviewers by user id or email; the organizer has accepted their own meeting, others are asked."""
    wanted = list(dict.fromkeys(p.strip() for p in people if p and p.strip()))
    if not wanted and organizer:
        wanted = [organizer]
    if not wanted:
        raise ValueError("a Greenhouse interview needs at least one interviewer")
    panel: list[dict[str, Any]] = []
    for person in wanted:
        status = "accepted" if person == organizer else "needs_action"
        if person.isdigit():
            panel.append({"user_id": int(person), "response_status": status})
        elif "@" in person:
            panel.append({"email": person, "response_status": status})
        else:
            raise ValueError(f"interviewer {person!r} is neither a Greenhouse user id nor an email address")
    return panel


def _resume_attachment(resume: Any) -> dict[str, Any]:
    try:
        filename, content, content_type = resume
    except (TypeError, ValueError) as exc:
        raise ValueError("resume must be (filename, bytes, content type or None)") from exc
    if not isinstance(content, bytes | bytearray) or not content or not str(filename or "").strip():
        raise ValueError("resume needs a file name and some bytes")
    kind = content_type or mimetypes.guess_type(str(filename))[0] or "application/octet-stream"
    return {"filename": str(filename).strip(), "type": "resume",
            "content": base64.b64encode(content).decode("ascii"), "content_type": kind}


def _is_social(link: ContactValue) -> bool:
    value = link.value.lower()
    return link.type == "social" or any(host in value for host in SOCIAL_HOSTS)


def _phone_type(kind: str | None) -> str:
    if kind in PHONE_TYPES:
        return kind
    return "mobile" if kind is None else "other"


def _api_time(moment: datetime) -> str:
    return filter_time(moment)
