"""Opportunities read for sync: each page made into a batch of whole candidates with their applications
and files, and what the sync learns on the way (archive reason types, postings and stages seen).

The opportunities list expands `applications` and `stage` (the two references it would otherwise take a
request per opportunity to resolve); `owner` and `contact` are left as ids because nothing would be saved
by expanding them (users are read once per sync, contact fields are mirrored on the opportunity) and they
would only make pages heavier. Resumes and files have no bulk endpoint, so they cost two requests per
opportunity, sent a few at a time.

Without the optional list permissions a sync degrades instead of failing (see adapters/lever/permissions.py):
- no list-postings → jobs are named "Lever posting <id>" and never claimed open (an application only
  carries its posting's id); each batch lists the postings it introduced in `extra["jobs"]`, and
  `jobs()` returns the ones seen so far;
- no list-stages → the stage list holds the stages seen on candidates (each candidate's stage name comes
  from `expand=stage` anyway);
- no list-archive-reasons → every archived candidate is REJECTED, since Lever does not otherwise say
  whether a reason means hired;
- no list-opportunity-resumes / list-opportunity-files → those attachments are skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.errors import AtsError
from adapters.lever.client import LeverClient, data_object, first_failure
from adapters.lever.fields import as_text
from adapters.lever.mapping import (
    OpportunityFiles,
    archive_reason,
    attachments_of,
    fallback_job,
    postings_of,
    to_applications,
    to_candidate,
    to_job,
)
from adapters.models import Application, Attachment, Candidate, CandidateBatch, Job, JobInterviewStage

LIST_EXPANDS = ("applications", "stage")
ATTACHMENT_CONCURRENCY = 8
FETCH_CONCURRENCY = 4


class OpportunityReads:
    """One adapter's sync reads, with the reason types, postings and stages seen so far."""

    def __init__(self, lever: LeverClient, *, app_url: str, sync_attachments: bool) -> None:
        self._lever = lever
        self._app_url = app_url
        self._sync_attachments = sync_attachments
        self._archive_types: dict[str, str] | None = None
        self._unknown_reasons: set[str] = set()
        self._postings_seen: dict[str, str | None] = {}  # posting id → its name when Lever sent one
        self._stages_seen: dict[str, str] = {}

    async def batch(self, rows: Sequence[dict[str, Any]], mark: int) -> CandidateBatch:
        """The opportunities as whole candidates; the batch counts the requests sent since `mark`."""
        rows = [row for row in rows if as_text(row.get("id"))]
        archive_types = await self._archive_reason_types(rows)
        files = await self._attachments(rows) if self._sync_attachments else {}
        candidates: list[Candidate] = []
        applications: list[Application] = []
        attachments: list[Attachment] = []
        new_postings: list[str] = []
        for row in rows:
            candidate = to_candidate(row, files.get(str(row["id"])), self._app_url)
            if candidate is None:
                continue
            candidates.append(candidate)
            applications.extend(to_applications(row, archive_types))
            attachments.extend(attachments_of(candidate.remote_id, files.get(candidate.remote_id)))
            new_postings.extend(self._remember(row))
        extra: dict[str, object] = {"complete_candidates": True}
        if new_postings and "list-postings" in self._lever.missing:
            # Jobs this page introduced, named by id: for a store that records jobs found during the sync.
            extra["jobs"] = tuple(fallback_job(pid, self._postings_seen[pid]) for pid in new_postings)
        return CandidateBatch(candidates=tuple(candidates), applications=tuple(applications),
                              attachments=tuple(attachments), requests=self._lever.http.requests_sent - mark,
                              extra=extra)

    async def opportunity_or_none(self, opportunity_id: str) -> dict[str, Any] | None:
        try:
            reply = await self._lever.send("GET", f"/opportunities/{opportunity_id}",
                                           params={"expand": list(LIST_EXPANDS)}, permission="read-opportunity")
        except AtsError as exc:
            if exc.status in (400, 404):
                return None
            raise
        return data_object(reply, "opportunities")

    async def jobs(self, params: dict[str, Any]) -> list[Job]:
        """Lever postings; without list-postings, the postings seen on synced applications, by id."""
        rows = await self._lever.optional_rows("/postings", params, "list-postings")
        if rows is None:
            return [fallback_job(posting_id, name) for posting_id, name in self._postings_seen.items()]
        return [job for job in map(to_job, rows) if job]

    async def stages(self) -> list[JobInterviewStage]:
        """Lever's stages in pipeline order; without list-stages, the stages seen on synced candidates."""
        rows = await self._lever.optional_rows("/stages", {}, "list-stages")
        if rows is None:
            pairs = list(self._stages_seen.items())
        else:
            pairs = [(stage_id, as_text(row.get("text")) or stage_id) for row in rows
                     for stage_id in [as_text(row.get("id"))] if stage_id]
        return [JobInterviewStage(remote_id=stage_id, job_remote_id=None, name=name, sort_order=index)
                for index, (stage_id, name) in enumerate(pairs)]

    def _remember(self, row: Mapping[str, Any]) -> list[str]:
        """Note the postings and stages a row names (for the fallbacks); return postings not seen before."""
        stage = row.get("stage")
        if isinstance(stage, dict) and as_text(stage.get("id")) and as_text(stage.get("text")):
            self._stages_seen.setdefault(str(as_text(stage.get("id"))), str(as_text(stage.get("text"))))
        new: list[str] = []
        for posting_id, name in postings_of(row):
            if posting_id not in self._postings_seen:
                new.append(posting_id)
            if name or posting_id not in self._postings_seen:
                self._postings_seen[posting_id] = name or self._postings_seen.get(posting_id)
        return new

    async def _archive_reason_types(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, str] | None:
        """Archive reason id → "hired" / "non-hired", read once and again when an unknown one shows up.

        None when the key may not list archive reasons: archived then means rejected.
        """
        used = {archive_reason(row) for row in rows} - {None}
        if not used:
            return self._archive_types or {}
        fresh = used - (self._archive_types or {}).keys() - self._unknown_reasons
        if self._archive_types is None or fresh:
            rows_read = await self._lever.optional_rows("/archive_reasons", {}, "list-archive-reasons")
            if rows_read is None:
                return None
            self._archive_types = {reason_id: (as_text(row.get("type")) or "non-hired").lower()
                                   for row in rows_read for reason_id in [as_text(row.get("id"))] if reason_id}
            self._unknown_reasons |= {str(r) for r in used if r not in self._archive_types}
        return self._archive_types

    async def _attachments(self, opportunities: Sequence[Mapping[str, Any]]) -> dict[str, OpportunityFiles]:
        wanted = [p for p in ("list-opportunity-resumes", "list-opportunity-files") if p not in self._lever.missing]
        if not wanted:
            return {}
        gate = asyncio.Semaphore(ATTACHMENT_CONCURRENCY)

        async def read(opportunity_id: str) -> tuple[str, OpportunityFiles]:
            async with gate:
                base = f"/opportunities/{opportunity_id}"
                resumes = await self._lever.optional_rows(f"{base}/resumes", {}, "list-opportunity-resumes",
                                                          gone_ok=True)
                files = await self._lever.optional_rows(f"{base}/files", {}, "list-opportunity-files",
                                                        gone_ok=True)
            return opportunity_id, OpportunityFiles(resumes or [], files or [])

        ids = list(dict.fromkeys(str(row["id"]) for row in opportunities))
        return dict(await first_failure(read(opportunity_id) for opportunity_id in ids))
