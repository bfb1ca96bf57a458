"""Notes and new candidates written to Teamtailor, and the lookups (note by marker, candidate by email) that
tell whether a write whose answer was lost has landed.

Notes name their author (`user`): the organizer's Teamtailor user when hirebot knows it, else none, and
Teamtailor then shows the key's owner. Teamtailor has no interview resource in its public API, so a booking
is a note carrying the time, the interviewers and the place.

A new candidate is created with `merge: true` (Teamtailor then merges into a person with the same email
instead of refusing), tagged with the source, with the LinkedIn URL; the CV follows as an upload, which
Teamtailor downloads from a public URL (`resume_url`: a signed single-use link on hirebot's own server),
and the job application last.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from adapters.errors import AtsError, AuthError, ConfigError, MalformedResponse
from adapters.models import Candidate, Note
from adapters.teamtailor.client import KEY_ADVICE, Document, TeamtailorClient
from adapters.teamtailor.fields import as_text, attribute, parse_time
from adapters.teamtailor.mapping import note_candidate, note_text, to_candidate, to_note

log = logging.getLogger(__name__)

NOTE_PAGES = 10  # newest notes of the whole company searched for a marker when the candidate route is unknown

# Publishes resume bytes (name, content, content type) at a public URL Teamtailor can download once.
ResumeHost = Callable[[Sequence[Any]], Awaitable[str]]
WRITE_SCOPE = ("Teamtailor refused the write (403): the API key's scope must be read/write (a read-only or "
               "public key cannot add notes or candidates). " + KEY_ADVICE)


def _ref(kind: str, resource_id: str) -> dict[str, Any]:
    return {"data": {"type": kind, "id": resource_id}}


class TeamtailorWrites:
    """One connection's writes; `url_for` gives a candidate's page in Teamtailor."""

    def __init__(self, client: TeamtailorClient, url_for: Callable[[str], str],
                 resume_host: ResumeHost | None) -> None:
        self._client = client
        self._url_for = url_for
        self._resume_host = resume_host

    async def create_note(self, note: Note, acting_user_id: str | None) -> Note:
        candidate_id = as_text(note.candidate_remote_id)
        if candidate_id is None:
            raise ConfigError("A Teamtailor note needs the candidate it is about.")
        relationships = {"candidate": _ref("candidates", candidate_id)}
        actor = as_text(acting_user_id)
        if actor:
            relationships["user"] = _ref("users", actor)
        body = {"data": {"type": "notes", "attributes": {"note": note.body}, "relationships": relationships}}
        document = await self._write("POST", "/notes", body)
        return to_note(_one(document, "note"), candidate_id, note.body)

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        """The candidate's note holding `marker`: through the candidate's notes relationship, or, where that
        route is unknown (404), the notes list filtered here by candidate."""
        candidate_id = candidate_remote_id.strip()
        try:
            return await self._note_in(f"/candidates/{candidate_id}/notes", {}, candidate_id, marker,
                                       everyone=False)
        except AtsError as exc:
            if exc.status != 404:
                raise
        # The note looked for was sent minutes ago: the newest notes hold it, if it landed at all.
        return await self._note_in("/notes", {"sort": "-created-at"}, candidate_id, marker, everyone=True,
                                   max_pages=NOTE_PAGES)

    async def _note_in(self, path: str, params: dict[str, Any], candidate_id: str, marker: str, *,
                       everyone: bool, max_pages: int | None = None) -> Note | None:
        pages = 0
        async for document in self._client.pages(path, params):
            pages += 1
            for resource in document.data:
                if everyone and note_candidate(resource) not in (candidate_id, None):
                    continue
                text = note_text(resource)
                if marker in text:
                    return to_note(resource, candidate_id, text)
            if max_pages is not None and pages >= max_pages:
                break
        return None

    async def create_candidate(self, candidate: Candidate, options: Mapping[str, Any]) -> Candidate:
        email = next((e.value for e in candidate.emails if e.value), None)
        if email is None:
            raise ConfigError("Teamtailor needs an email address to add a candidate.")
        source = as_text(options.get("source_tag")) or as_text(options.get("source"))
        tags = list(dict.fromkeys([*candidate.tags, *(options.get("tags") or ()), *([source] if source else [])]))
        attributes: dict[str, Any] = {
            "first-name": candidate.first_name or candidate.preferred_name or email.split("@")[0],
            "last-name": candidate.last_name, "email": email, "tags": tags, "sourced": True, "merge": True,
            "send-welcome-message": False,
        }
        phone = next((p.value for p in candidate.phones if p.value), None)
        if phone:
            attributes["phone"] = phone
        if candidate.linkedin_url:
            attributes["linkedin-url"] = candidate.linkedin_url
        document = await self._write("POST", "/candidates", {"data": {"type": "candidates",
                                                                      "attributes": attributes}})
        created = to_candidate(_one(document, "candidate"), "")
        if created is None:
            raise MalformedResponse("Teamtailor created the candidate but sent back no id.", provider="teamtailor")
        created = replace(created, url=self._url_for(created.remote_id))
        await self._follow_up(created, options)
        return created

    async def _follow_up(self, created: Candidate, options: Mapping[str, Any]) -> None:
        """The CV upload and the job application; a failure says the candidate itself was added."""
        step = "upload the CV"
        try:
            resume_url = await self._resume_url(options)
            if resume_url:
                name = str((options.get("resume") or ("resume.pdf",))[0] or "resume.pdf")
                body = {"data": {"type": "uploads", "attributes": {"url": resume_url, "file-name": name},
                                 "relationships": {"candidate": _ref("candidates", created.remote_id)}}}
                await self._write("POST", "/uploads", body)
            job_id = as_text(options.get("job_remote_id"))
            if job_id:
                step = f"put them on job {job_id}"
                body = {"data": {"type": "job-applications", "attributes": {"sourced": True},
                                 "relationships": {"candidate": _ref("candidates", created.remote_id),
                                                   "job": _ref("jobs", job_id)}}}
                await self._write("POST", "/job-applications", body)
        except AtsError as exc:
            raise AtsError(f"Teamtailor added the candidate ({created.remote_id}) but hirebot could not {step}: "
                           f"{exc}", status=exc.status, retryable=False, provider="teamtailor") from exc

    async def _resume_url(self, options: Mapping[str, Any]) -> str | None:
        given = as_text(options.get("resume_url"))
        if given:
            return given
        resume = options.get("resume")
        if resume and self._resume_host is not None:
            return await self._resume_host(resume)
        if resume:
            log.info("Teamtailor downloads CVs from a public link and none was given: adding without the CV")
        return None

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        address = email.strip()
        if not address:
            return None
        newest: dict[str, Any] | None = None
        async for document in self._client.pages("/candidates", {"filter[email]": address}):
            for resource in document.data:
                email = str(attribute(resource, "email") or "").strip().lower()
                if as_text(resource.get("id")) and email == address.lower() and \
                        (newest is None or _created(resource) > _created(newest)):
                    newest = resource
        if newest is None:
            return None
        return to_candidate(newest, self._url_for(str(as_text(newest.get("id")))))

    async def _write(self, method: str, path: str, body: Mapping[str, Any]) -> Document:
        try:
            return await self._client.send(method, path, body)
        except AuthError as exc:
            if exc.status == 403:
                raise AuthError(WRITE_SCOPE, status=403, provider="teamtailor") from exc
            raise


def _one(document: Document, what: str) -> dict[str, Any]:
    if len(document.data) != 1:
        raise MalformedResponse(f"Teamtailor sent a {what} answer we could not read.", provider="teamtailor")
    return document.data[0]


def _created(resource: Mapping[str, Any]) -> tuple[float, int]:
    moment = parse_time(attribute(resource, "created-at"))
    text = as_text(resource.get("id")) or "0"
    return (moment.timestamp() if moment else 0.0, int(text) if text.isdigit() else 0)
