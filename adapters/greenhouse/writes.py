"""Notes and new candidates written to Greenhouse as the acting user, and the lookups (note by marker,
candidate by email) that tell whether a write whose answer was lost has landed."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from adapters.errors import AtsError, MalformedResponse
from adapters.greenhouse.bodies import CANDIDATES_ROUTE, NOTES_ROUTE, SOURCE_TAG, candidate_body, note_body
from adapters.greenhouse.candidates import read_candidates
from adapters.greenhouse.client import HarvestClient
from adapters.greenhouse.fields import as_id, int_id
from adapters.greenhouse.mapping import to_candidate, to_note
from adapters.http import Sleep
from adapters.models import Candidate, Note

log = logging.getLogger(__name__)

CANDIDATE_OPTIONS = frozenset({"job_remote_id", "source", "tags", "resume", "acting_user_id", "source_tag",
                               "stage_id",
                               "resume_url"})  # a link for ATSs that download the CV; Greenhouse takes the bytes
# A new candidate may be answered with ids only while Greenhouse builds it: read it back on this schedule.
CANDIDATE_POLL_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


async def create_note(harvest: HarvestClient, note: Note, *, acting_user_id: str | None,
                      visibility: str) -> Note:
    """Log the note as the acting user; an unreadable answer is looked up by the note's body first."""
    body = note_body(note, author=as_id(note.author_remote_id) or harvest.actor(acting_user_id),
                     visibility=visibility)
    try:
        reply = await harvest.write("POST", NOTES_ROUTE, body, acting_user_id,
                                    doing=f"add a note to candidate {note.candidate_remote_id}")
        created = to_note(reply.data) if isinstance(reply.data, dict) else None
    except MalformedResponse:
        created = None
    if created is None:
        created = await find_note(harvest, note.candidate_remote_id, note.body)
    if created is None:
        raise AtsError("Greenhouse took the note but its answer could not be read, and the note is not "
                       "listed yet; check the candidate's activity feed before adding it again.",
                       provider="greenhouse")
    return created


async def find_note(harvest: HarvestClient, candidate_remote_id: str, marker: str) -> Note | None:
    candidate_id = int_id(candidate_remote_id, "candidate")
    async for rows in harvest.pages("/v3/notes", {"candidate_ids": candidate_id}):
        for row in rows:
            if marker in str(row.get("body") or ""):
                return to_note(row)
    return None


async def create_candidate(harvest: HarvestClient, candidate: Candidate, options: Mapping[str, Any], *,
                           app_url: str, sleep: Sleep) -> Candidate:
    """Send the candidate (options as `GreenhouseAdapter.create_candidate` lists them) and return it as
    Greenhouse has it, read back while Greenhouse is still building the record."""
    unknown = sorted(set(options) - CANDIDATE_OPTIONS)
    if unknown:
        raise TypeError(f"create_candidate() got unknown options: {', '.join(unknown)}")
    body = candidate_body(candidate, job_id=options.get("job_remote_id"), stage_id=options.get("stage_id"),
                          source=options.get("source"),
                          tags=options.get("tags") or (), resume=options.get("resume"),
                          source_tag=options.get("source_tag", SOURCE_TAG))
    try:
        reply = await harvest.write("POST", CANDIDATES_ROUTE, body, options.get("acting_user_id"),
                                    doing="add the candidate")
    except MalformedResponse as exc:
        raise AtsError("Greenhouse took the new candidate but its answer could not be read; search "
                       "Greenhouse for them before adding them again.", provider="greenhouse") from exc
    data = reply.data if isinstance(reply.data, dict) else {}
    remote_id = as_id(data.get("id"))
    if remote_id is None:
        raise AtsError("Greenhouse took the new candidate but did not say its id; search Greenhouse for "
                       "them before adding them again.", provider="greenhouse")
    created = to_candidate(data, app_url) if data.get("first_name") is not None else None
    return created or await _built_candidate(harvest, remote_id, candidate, body, app_url=app_url, sleep=sleep)


async def find_candidate_by_email(harvest: HarvestClient, email: str, app_url: str) -> Candidate | None:
    found: list[Candidate] = []
    async for rows in harvest.pages("/v3/candidates", {"email": email.strip()}):
        found.extend(candidate for candidate in (to_candidate(row, app_url) for row in rows) if candidate)
    return max(found, key=lambda c: (c.created_at is not None, c.created_at, int(c.remote_id)), default=None)


async def _built_candidate(harvest: HarvestClient, remote_id: str, candidate: Candidate,
                           body: Mapping[str, Any], *, app_url: str, sleep: Sleep) -> Candidate:
    """Greenhouse answered with ids only while it builds the record: read it back until it is listed."""
    for delay in CANDIDATE_POLL_DELAYS:
        await sleep(delay)
        found = await read_candidates(harvest, [remote_id], app_url)
        if found:
            return found[0]
    log.warning("Greenhouse candidate %s is still not listed; using what was sent", remote_id)
    return replace(candidate, remote_id=remote_id, url=f"{app_url}/people/{remote_id}",
                   tags=tuple(body.get("tags") or ()))
