"""Candidates read by id and completed with their applications and attachments: Harvest v3 no longer
embeds those, so each set of candidates costs one request per 50 ids per child resource."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.greenhouse.client import IDS_PER_REQUEST, HarvestClient, chunks
from adapters.greenhouse.mapping import to_application, to_attachment, to_candidate
from adapters.models import Application, Attachment, Candidate, CandidateBatch


async def read_candidates(harvest: HarvestClient, ids: Sequence[str], app_url: str) -> list[Candidate]:
    """The candidates with these ids (at most 50), without their children."""
    found: list[Candidate] = []
    async for rows in harvest.pages("/v3/candidates", {"ids": ",".join(ids)}):
        found.extend(candidate for candidate in (to_candidate(row, app_url) for row in rows) if candidate)
    return found


async def complete(harvest: HarvestClient, candidates: list[Candidate], mark: int) -> CandidateBatch:
    """Attach the candidates' applications and attachments, read 50 candidate ids per request; the batch
    counts the requests sent since `mark`."""
    ids = [candidate.remote_id for candidate in candidates]
    wanted = set(ids)
    applications: list[Application] = []
    attachments: list[Attachment] = []
    for chunk in chunks(ids, IDS_PER_REQUEST):
        filters = {"candidate_ids": ",".join(chunk)}
        async for rows in harvest.pages("/v3/applications", filters):
            applications.extend(app for app in map(to_application, rows)
                                if app and app.candidate_remote_id in wanted)
        async for rows in harvest.pages("/v3/attachments", filters):
            attachments.extend(item for item in map(to_attachment, rows)
                               if item and item.candidate_remote_id in wanted)
    return CandidateBatch(candidates=tuple(candidates), applications=tuple(applications),
                          attachments=tuple(attachments), requests=harvest.http.requests_sent - mark)
