"""What hirebot writes to BreezyHR, and the lookups that settle a write whose answer was lost.

Meeting activity goes to the candidate's team discussion (`POST .../stream`), never to `.../conversation`,
which e-mails the candidate. BreezyHR documents no interview API, so no interviews are written: the
booked note carries the time, the people and the place. New people are added to a position (or, without
one, to the first talent pool) with `origin: sourced` (an `applied` candidate may be refused with a 202 and
an e-mail to finish applying), the source tag as source and tag, the LinkedIn link among
`social_profiles`, then the CV as a separate multipart upload. BreezyHR has no way to act as another user:
every write is made as the token's owner.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from adapters.breezyhr.account import BreezyAccount
from adapters.breezyhr.client import BreezyClient, rows_of
from adapters.breezyhr.fields import as_list, as_mapping, as_text, as_time, id_of
from adapters.breezyhr.mapping import is_pool, split_application_id, to_candidate
from adapters.errors import AtsError, ConfigError, MalformedResponse
from adapters.models import Candidate, Note

log = logging.getLogger(__name__)

Locate = Callable[[str], Awaitable[str | None]]
Link = Callable[[str, str], str]
STREAM_PAGE = 50  # the activity stream pages by `skip`, 50 at a time
NOTE_EVENT = "companyNotePosted"
MIME_BY_SUFFIX = {".pdf": "application/pdf", ".doc": "application/msword",
                  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def candidate_body(candidate: Candidate, source_tag: str | None, tags: list[str]) -> dict[str, Any]:
    """The create body: name, contacts, `origin: sourced`, the source, tags and `social_profiles` by network."""
    name = " ".join(part for part in (candidate.first_name, candidate.last_name) if part).strip()
    body: dict[str, Any] = {"name": name or (candidate.emails[0].value if candidate.emails else "Candidate"),
                            "origin": "sourced"}
    if candidate.emails:
        body["email_address"] = candidate.emails[0].value
    if candidate.phones:
        body["phone_number"] = candidate.phones[0].value
    if candidate.title:
        body["headline"] = candidate.title
    if source_tag:
        body["source"] = source_tag
    wanted = list(dict.fromkeys([*(candidate.tags or ()), *tags, *([source_tag] if source_tag else [])]))
    if wanted:
        body["tags"] = wanted
    profiles: dict[str, str] = {}
    for link in candidate.links:
        network = "linkedin" if "linkedin." in link.value.lower() else (link.type or "website").lower()
        profiles.setdefault(network, link.value)
    if profiles:
        body["social_profiles"] = profiles
    return body


class BreezyWrites:
    """Notes, new candidates and the lookups behind them, for one connection."""

    def __init__(self, client: BreezyClient, account: BreezyAccount, locate: Locate, link: Link) -> None:
        self.client = client
        self.account = account
        self._locate = locate  # candidate id -> position id, or None (the adapter's search)
        self._link = link  # (position id, candidate id) -> the page to link

    async def _candidate_path(self, candidate_id: str, application_remote_id: str | None) -> str:
        position_id, named = split_application_id(application_remote_id)
        if position_id is None or named != candidate_id:
            position_id = await self._locate(candidate_id)
        if position_id is None:
            raise AtsError(f"BreezyHR has no candidate {candidate_id} in any position.", status=404,
                           provider="breezyhr")
        company = await self.account.company()
        return f"/company/{company.remote_id}/position/{position_id}/candidate/{candidate_id}"

    async def create_note(self, note: Note) -> Note:
        path = await self._candidate_path(note.candidate_remote_id, note.application_remote_id)
        reply = await self.client.send("POST", f"{path}/stream", json_body={"body": note.body})
        item = as_mapping(reply.data)
        remote_id = id_of(item)
        if remote_id is None:
            raise MalformedResponse("BreezyHR answered the note without an id.", provider="breezyhr")
        return Note(candidate_remote_id=note.candidate_remote_id, body=note.body, remote_id=remote_id,
                    application_remote_id=note.application_remote_id,
                    created_at=as_time(item.get("timestamp")) or as_time(item.get("creation_date")))

    async def find_note(self, candidate_id: str, marker: str) -> Note | None:
        """The team-discussion note holding `marker`: the stream is read 50 items at a time (`skip`) until a
        short page or the candidate's first activity."""
        path = await self._candidate_path(candidate_id, None)
        skip = 0
        while True:
            rows = rows_of(await self.client.get(f"{path}/stream", {"skip": skip}), f"{path}/stream")
            for item in rows:
                text = _note_text(item)
                if text is not None and marker in text and id_of(item):
                    return Note(candidate_remote_id=candidate_id, body=text, remote_id=id_of(item),
                                created_at=as_time(item.get("timestamp")))
            if len(rows) < STREAM_PAGE or any(item.get("first_activity") is True for item in rows):
                return None
            skip += STREAM_PAGE

    async def create_candidate(self, candidate: Candidate, options: Mapping[str, Any]) -> Candidate:
        position_id = as_text(options.get("job_remote_id")) or await self._pool_id()
        company = await self.account.company()
        tags = [str(tag) for tag in as_list(options.get("tags"))]
        source = as_text(options.get("source_tag")) or as_text(options.get("source"))
        base = f"/company/{company.remote_id}/position/{position_id}"
        try:
            reply = await self.client.send("POST", f"{base}/candidates",
                                           json_body=candidate_body(candidate, source, tags))
        except AtsError as exc:
            if exc.status != 409:
                raise
            existing = await self.find_candidate_by_email(candidate.emails[0].value) if candidate.emails else None
            if existing is None:
                raise
            return existing  # already on this position: the record BreezyHR has is the one asked for
        row = as_mapping(reply.data)
        if reply.status == 202 or id_of(row) is None:
            raise AtsError("BreezyHR accepted the candidate without adding them (the position's application "
                           "form wants more details).", status=reply.status, provider="breezyhr")
        candidate_id = str(id_of(row))
        stage_id = as_text(options.get("stage_id"))
        if stage_id:
            await self.client.send("PUT", f"{base}/candidate/{candidate_id}/stage", json_body={"stage_id": stage_id})
        resume = options.get("resume")
        if resume:
            await self._upload_resume(f"{base}/candidate/{candidate_id}/resume", resume)
        made = to_candidate(row, url=self._link(position_id, candidate_id))
        assert made is not None
        return made

    async def _upload_resume(self, path: str, resume: Any) -> None:
        """The CV, after the candidate exists. A failed upload leaves the candidate in place (a second
        create would add them twice) and is logged for the admin."""
        filename, content = str(resume[0]), bytes(resume[1])
        kind = str(resume[2]) if len(resume) > 2 and resume[2] else _mime(filename)
        try:
            await self.client.upload(path, "file", (filename, content, kind))
        except AtsError as exc:
            log.warning("BreezyHR candidate added, but the CV upload failed: %s", exc)

    async def _pool_id(self) -> str:
        """Where a person without a job goes: the company's first talent pool."""
        pool = next((p for p in await self.account.positions() if is_pool(p) and id_of(p)), None)
        if pool is None:
            raise ConfigError("BreezyHR adds people to a position: pick a job for them, or create a talent pool "
                              "in BreezyHR for people without one.")
        return str(id_of(pool))

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        """The newest record with this email in any position (BreezyHR's exact, immediately consistent
        search), or None."""
        company = await self.account.company()
        path = f"/company/{company.remote_id}/candidates/search"
        hits = rows_of(await self.client.get(path, {"email_address": email}), path)
        hits = [hit for hit in hits if id_of(hit) and id_of(hit.get("position"))]
        if not hits:
            return None
        newest = max(hits, key=lambda hit: as_text(hit.get("creation_date")) or "")
        position_id = str(id_of(newest.get("position")))
        row = {**newest, "email_address": newest.get("email_address") or email}
        return to_candidate(row, url=self._link(position_id, str(id_of(newest))))


def _note_text(item: Mapping[str, Any]) -> str | None:
    """The text of a team-discussion note in the activity stream (other activity has none)."""
    if as_text(item.get("type")) not in (NOTE_EVENT, None):
        return None
    inner = as_mapping(item.get("object"))
    return as_text(inner.get("body")) or as_text(inner.get("text")) or as_text(item.get("body"))


def _mime(filename: str) -> str:
    lowered = filename.lower()
    return next((kind for suffix, kind in MIME_BY_SUFFIX.items() if lowered.endswith(suffix)),
                "application/octet-stream")

