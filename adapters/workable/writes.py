"""Comments and new candidates written to Workable, and the lookups that tell whether a write whose
answer was lost has landed.

A comment is posted in a member's name (`member_id`): Workable has no anonymous comment, so the organizer's
member is used, else the connection's `member_id` setting, else the write is refused with a reason. The
comment endpoint answers with no body, so a comment's remote id is made from what hirebot wrote:
"candidateId:[hirebot:...]" (the marker the outbox ends every note with), which `find_note` rebuilds from the
candidate's activity feed. Workable has no API to create interviews (its events API is read-only), so the
meeting log's comments carry the time, the interviewers and the location instead.

New people go on a job (`POST /jobs/{shortcode}/candidates`) or, without one, into the talent pool, as
`sourced` (Workable then sends them no "thanks for applying" email), tagged and with `domain` set to the
source tag, their LinkedIn in `social_profiles`, and the CV uploaded as base64 (`resume: {name, data}`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.errors import ConfigError, MalformedResponse
from adapters.models import Candidate, Note
from adapters.workable.client import WorkableClient, one
from adapters.workable.fields import as_text, parse_time
from adapters.workable.mapping import to_candidate

MARKER = re.compile(r"\[hirebot:[^\]\s]+\]")
SOCIAL_TYPES = frozenset({"linkedin", "github", "twitter", "facebook", "dribbble", "behance", "stackoverflow",
                          "xing", "angellist", "google", "youtube", "instagram", "pinterest", "medium"})


class WorkableWrites:
    """One connection's writes, with the member who acts when no organizer is mapped (if set)."""

    def __init__(self, api: WorkableClient, *, default_member: str | None) -> None:
        self._api = api
        self._default_member = default_member

    async def create_note(self, note: Note, *, acting_user_id: str | None) -> Note:
        candidate_id = _required(note.candidate_remote_id)
        member = as_text(acting_user_id) or self._default_member
        if member is None:
            raise ConfigError("Workable posts a comment only in a member's name: link your hirebot account to "
                              "your Workable member (same email), or set the connection's member_id.")
        await self._api.post_action(f"/candidates/{candidate_id}/comments",
                                    {"member_id": member, "comment": {"body": note.body}})
        return Note(candidate_remote_id=candidate_id, body=note.body, remote_id=note_id(candidate_id, note.body),
                    application_remote_id=note.application_remote_id, author_remote_id=member)

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        candidate_id = _required(candidate_remote_id)
        async for found in self._api.pages(f"/candidates/{candidate_id}/activities", {}, "activities"):
            for activity in found:
                body = _text_of(activity.get("body"))
                if body and marker in body:
                    member = activity.get("member")
                    author = as_text(member.get("id")) if isinstance(member, dict) else None
                    return Note(candidate_remote_id=candidate_id, body=body, remote_id=note_id(candidate_id, body),
                                author_remote_id=author, created_at=parse_time(activity.get("created_at")))
        return None

    async def create_candidate(self, candidate: Candidate, options: Mapping[str, Any]) -> Candidate:
        job = as_text(options.get("job_remote_id"))
        path = f"/jobs/{job}/candidates" if job else "/talent_pool/candidates"
        stage = as_text(options.get("stage_id"))
        reply = await self._api.post(path, {"sourced": True, "candidate": creation_fields(candidate, options)},
                                     params={"stage": stage} if stage and job else None)
        created = to_candidate(one(reply, "candidate", "new candidate"))
        if created is None:
            raise MalformedResponse("Workable created the candidate but sent back no id.", provider="workable")
        return created

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        address = email.strip()
        if not address:
            return None
        newest: tuple[str, Candidate] | None = None
        async for found in self._api.pages("/candidates", {"email": address}, "candidates"):
            for row in found:
                candidate = to_candidate(row)
                if candidate is None or address.lower() not in {e.value.lower() for e in candidate.emails}:
                    continue
                key = as_text(row.get("created_at")) or ""
                if newest is None or key >= newest[0]:
                    newest = (key, candidate)
        return newest[1] if newest else None


def creation_fields(candidate: Candidate, options: Mapping[str, Any]) -> dict[str, Any]:
    """The `candidate` object of a create request."""
    source = as_text(options.get("source_tag")) or as_text(options.get("source"))
    tags = list(dict.fromkeys([*candidate.tags, *(options.get("tags") or ()), *([source] if source else [])]))
    email = next((e.value for e in candidate.emails if e.value), None)
    if email is None:
        raise ConfigError("Workable needs an email address to add a candidate.")
    name = " ".join(p for p in (candidate.first_name, candidate.last_name) if p).strip() or candidate.preferred_name
    fields: dict[str, Any] = {
        "name": name, "firstname": candidate.first_name or None, "lastname": candidate.last_name or None,
        "email": email, "headline": candidate.title, "phone": next((p.value for p in candidate.phones), None),
        "tags": tags, "domain": source, "social_profiles": _social_profiles(candidate),
    }
    resume = options.get("resume")
    if resume:
        fields["resume"] = _resume(resume)
    elif as_text(options.get("resume_url")):
        fields["resume_url"] = as_text(options.get("resume_url"))
    return {key: value for key, value in fields.items() if value not in (None, "", [])}


def note_id(candidate_id: str, body: str) -> str:
    """"candidateId:[hirebot:...]" for a comment hirebot marked, else "candidateId:sha-…" of its text."""
    markers = MARKER.findall(body)
    tail = markers[-1] if markers else "sha-" + hashlib.sha256(body.encode()).hexdigest()[:16]
    return f"{candidate_id}:{tail}"


def _social_profiles(candidate: Candidate) -> list[dict[str, str]]:
    profiles: list[dict[str, str]] = []
    for link in candidate.links:
        kind = (link.type or "").lower()
        if "linkedin." in link.value.lower():
            kind = "linkedin"
        if kind in SOCIAL_TYPES:
            profiles.append({"type": kind, "url": link.value})
    return profiles


def _resume(resume: Sequence[Any]) -> dict[str, str]:
    name, content = str(resume[0] or "resume"), bytes(resume[1])
    return {"name": name, "data": base64.b64encode(content).decode("ascii")}


def _text_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # a comment's body may come as {"body": ...}
        return _text_of(value.get("body"))
    return None


def _required(candidate_id: str | None) -> str:
    text = as_text(candidate_id)
    if text is None:
        raise ConfigError("A Workable comment needs the candidate it is about.")
    return text.split(":", 1)[0]
