"""Reading candidates for sync: jobs, every job's applicants, then the candidates page by page, each page
made into a batch of whole candidates with their applications and resumes.

Freshteam lists candidates without their stages and has no applicants list across jobs, so a sync first
reads each job's applicants (one request per 50) into an index by candidate, then pages through the
candidates and joins each page to the index: no request per candidate. The index holds one small
application per applicant, a few megabytes for a hundred thousand.

Freshteam has no `updated_since` filter, so an incremental run asks each job's applicants and then the
candidates newest change first (`sort=updated_at&sort_type=desc`, which the reference lists for some
lists), and stops a list at its first row older than the cursor. Whether the order was honoured is
checked on every row: where it was not, that list is read to its end and the changed rows kept. A
changed candidate's applications must arrive whole, so those not read on the way are read by id; a
candidate whose application changed but whose own record did not is read by id too.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.errors import AtsError
from adapters.freshteam.client import PAGE_SIZE, FreshteamClient
from adapters.freshteam.fields import as_text, id_of, parse_time
from adapters.freshteam.mapping import (
    JOB_STATUSES,
    StageRules,
    applicant_ids,
    attachments_of,
    to_application,
    to_candidate,
    to_job,
)
from adapters.models import Application, Attachment, Candidate, CandidateBatch, Job, JobInterviewStage

NEWEST_FIRST = {"sort": "updated_at", "sort_type": "desc"}


@dataclass(frozen=True, slots=True)
class Applied:
    """What the index keeps of one applicant, compactly (a full sync holds every applicant of the account):
    the fields its application is made from, as Freshteam sent them, and the cover letter if it is a file.
    The application itself is made when its candidate's page is."""

    applicant_id: str
    job_id: str | None
    stage: Any
    sub_stage: Any
    created_at: Any
    updated_at: Any
    letter: dict[str, Any] | None = None

    def application(self, candidate_id: str, rules: StageRules) -> Application | None:
        row = {"id": self.applicant_id, "job_id": self.job_id, "stage": self.stage, "sub_stage": self.sub_stage,
               "created_at": self.created_at, "updated_at": self.updated_at}
        return to_application(row, rules, candidate_id=candidate_id)


class CandidateReads:
    """The sync's reads, and the stages they saw."""

    def __init__(self, client: FreshteamClient, *, app_url: str, rules: StageRules) -> None:
        self.client = client
        self.app_url = app_url
        self.rules = rules
        self.stages: dict[tuple[str | None, str], None] = {}  # (job, stage name) seen, in order
        self._listed: list[Job] | None = None  # kept from `list_jobs` for the candidate read of one sync
        self._counted = 0

    # --- jobs ------------------------------------------------------------------------------------------

    async def jobs(self) -> list[Job]:
        """Every job posting, whatever its status, without deleted ones; kept for the candidate read that
        follows in the same sync.

        The list is asked for once per status the reference names, because it does not say what the list
        holds without one (a server that ignores `status` gives repeats, which are dropped; one that refuses
        a status with a 400 has no jobs in it). Refused every time, the list is read once without one.
        """
        found: dict[str, Job] = {}
        refused = 0
        for status in JOB_STATUSES:
            try:
                await self._collect_jobs(found, {"status": status}, status)
            except AtsError as exc:
                if exc.status != 400:
                    raise
                refused += 1
        if refused == len(JOB_STATUSES):
            await self._collect_jobs(found, {}, None)
        self._listed = list(found.values())
        return list(found.values())

    async def _collect_jobs(self, found: dict[str, Job], params: Mapping[str, Any], status: str | None) -> None:
        async for rows in self.client.pages("/job_postings", params):
            for row in rows:
                job = to_job(row, status)
                if job is not None:
                    found.setdefault(job.remote_id, job)

    # --- candidates ------------------------------------------------------------------------------------

    async def batches(self, since: datetime | None) -> AsyncIterator[CandidateBatch]:
        self._counted = self.client.http.requests_sent
        listed, self._listed = self._listed, None
        job_ids = {job.remote_id for job in (listed if listed is not None else await self.jobs())}
        if since is None:
            index = await self._applicants(job_ids)
            async for rows in self.client.pages("/candidates"):
                yield self._batch(rows, index)
            return
        index, touched = await self._changed_applicants(job_ids, since)
        seen: set[str] = set()
        async for rows in self._recent_pages("/candidates", since):
            picked = [row for row in rows if _changed(row, since) or as_text(row.get("id")) in touched]
            seen.update(filter(None, (as_text(row.get("id")) for row in picked)))
            if picked:
                await self._complete(picked, index, job_ids)
                yield self._batch(picked, index)
        rest = [cid for cid in touched if cid not in seen]
        for start in range(0, len(rest), PAGE_SIZE):
            rows = [row for row in [await self.client.get_object(f"/candidates/{cid}", "candidate")
                                    for cid in rest[start:start + PAGE_SIZE]] if row is not None]
            await self._complete(rows, index, job_ids)
            yield self._batch(rows, index)

    async def _recent_pages(self, path: str, since: datetime) -> AsyncGenerator[list[dict[str, Any]]]:
        """Pages of a list asked for newest change first, up to the first row older than `since` while the
        order holds (every row is checked); to the end when it does not."""
        ordered, previous, started = True, None, False
        try:
            async with aclosing(self.client.pages(path, NEWEST_FIRST)) as pages:
                async for rows in pages:
                    started = True
                    for row in rows:
                        moment = parse_time(row.get("updated_at"))
                        if moment is None or (previous is not None and moment > previous):
                            ordered = False
                        previous = moment if moment is not None else previous
                    yield rows
                    if ordered and previous is not None and previous < since:
                        return
        except AtsError as exc:
            if started or exc.status != 400:
                raise
            # A list that refuses to be sorted (the reference lists `sort` for some lists only): read it all.
            async for rows in self.client.pages(path):
                yield rows

    async def _changed_applicants(self, job_ids: Iterable[str], since: datetime
                                  ) -> tuple[dict[str, list[Applied]], set[str]]:
        """Applicants read on the way (an index by candidate), and the candidates whose applicants changed."""
        index: dict[str, list[Applied]] = {}
        touched: set[str] = set()
        for job_id in job_ids:
            async for rows in self._job_applicants(job_id, since):
                for row in rows:
                    application = self._index_one(index, row, None, job_id)
                    if application is not None and _moved(application, since):
                        touched.add(application.candidate_remote_id)
        return index, touched

    async def _complete(self, rows: Iterable[Mapping[str, Any]], index: dict[str, list[Applied]],
                        job_ids: set[str]) -> None:
        """Read by id each applicant of these candidates not read yet (on a job that is listed, as a full sync
        would have it), so every candidate goes to the store with all its applications."""
        for row in rows:
            candidate_id = as_text(row.get("id"))
            if candidate_id is None:
                continue
            known = {entry.applicant_id for entry in index.get(candidate_id, [])}
            for applicant_id in applicant_ids(row):
                if applicant_id in known:
                    continue
                applicant = await self.client.get_object(f"/applicants/{applicant_id}", "applicant")
                job_id = id_of(applicant.get("job_id")) if applicant is not None else None
                if applicant is not None and (job_id is None or job_id in job_ids):
                    self._index_one(index, applicant, candidate_id, None)

    async def fetch(self, remote_ids: Sequence[str]) -> CandidateBatch:
        """Candidates by id with each of their applicants read by id; ids Freshteam no longer has are left out."""
        self._counted = self.client.http.requests_sent
        rows: list[dict[str, Any]] = []
        index: dict[str, list[Applied]] = {}
        for remote_id in dict.fromkeys(remote_ids):
            row = await self.client.get_object(f"/candidates/{remote_id}", "candidate")
            if row is None or as_text(row.get("id")) is None:
                continue
            rows.append(row)
            candidate_id = str(as_text(row.get("id")))
            for applicant_id in applicant_ids(row):
                applicant = await self.client.get_object(f"/applicants/{applicant_id}", "applicant")
                if applicant is not None:
                    self._index_one(index, applicant, candidate_id, None)
        return self._batch(rows, index)

    # --- the index and the batches ---------------------------------------------------------------------

    async def _applicants(self, job_ids: Iterable[str]) -> dict[str, list[Applied]]:
        index: dict[str, list[Applied]] = {}
        for job_id in job_ids:
            async for rows in self._job_applicants(job_id):
                for row in rows:
                    self._index_one(index, row, None, job_id)
        return index

    async def _job_applicants(self, job_id: str, since: datetime | None = None
                              ) -> AsyncGenerator[list[dict[str, Any]]]:
        """A job's applicants (newest change first with `since`); a job gone since it was listed has none."""
        path = f"/job_postings/{job_id}/applicants"
        try:
            async with aclosing(self._recent_pages(path, since) if since else self.client.pages(path)) as pages:
                async for rows in pages:
                    yield rows
        except AtsError as exc:
            if exc.status != 404:
                raise

    def _index_one(self, index: dict[str, list[Applied]], row: Mapping[str, Any], candidate_id: str | None,
                   job_id: str | None) -> Application | None:
        application = to_application(row, self.rules, candidate_id=candidate_id, job_id=job_id)
        if application is None:
            return None
        entries = index.setdefault(application.candidate_remote_id, [])
        if any(entry.applicant_id == application.remote_id for entry in entries):
            return application
        letter = row.get("cover_letter")
        entries.append(Applied(application.remote_id, _kept(application.job_remote_id), _kept(row.get("stage")),
                               _kept(row.get("sub_stage")), row.get("created_at"), row.get("updated_at"),
                               {"id": row.get("id"), "cover_letter": letter} if isinstance(letter, dict | list)
                               else None))
        if application.stage_name:
            self.stages.setdefault((application.job_remote_id, application.stage_name), None)
        return application

    def _batch(self, rows: Iterable[Mapping[str, Any]], index: Mapping[str, list[Applied]]) -> CandidateBatch:
        candidates: list[Candidate] = []
        applications: list[Application] = []
        attachments: list[Attachment] = []
        for row in rows:
            candidate_id = id_of(row.get("id"))
            entries = index.get(candidate_id or "", [])
            made = (entry.application(candidate_id or "", self.rules) for entry in entries)
            mine = [application for application in made if application is not None]
            candidate = to_candidate(row, mine, self.app_url)
            if candidate is None:
                continue
            candidates.append(candidate)
            applications.extend(mine)
            letters = [entry.letter for entry in entries if entry.letter is not None]
            attachments.extend(attachments_of(row, self.app_url, candidate.url or self.app_url, letters))
        sent = self.client.http.requests_sent
        requests, self._counted = sent - self._counted, sent
        return CandidateBatch(tuple(candidates), tuple(applications), tuple(attachments), requests=requests)

    def seen_stages(self) -> list[JobInterviewStage]:
        return [JobInterviewStage(remote_id=f"{job or ''}:{name}", job_remote_id=job, name=name, sort_order=number)
                for number, (job, name) in enumerate(self.stages)]


def _kept(value: Any) -> Any:
    """Texts repeated across applicants (job ids, stage names) kept once."""
    return sys.intern(value) if isinstance(value, str) else value


def _changed(row: Mapping[str, Any], since: datetime) -> bool:
    moment = parse_time(row.get("updated_at"))
    return moment is None or moment >= since


def _moved(application: Application, since: datetime) -> bool:
    return any(moment is not None and moment >= since
               for moment in (application.updated_at, application.created_at))
