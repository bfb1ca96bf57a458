"""`RecruiteeAdapter`: the AtsAdapter for Recruitee's company API (`https://api.recruitee.com/c/{id}`),
built from a paced client, the mapping and the writes; the reads and the connect-time checks are here.

A full sync pages `/candidates` (whose rows carry their placements, with stages and offers in the
`references` sidecar), so it costs one request per 100 candidates. Recruitee's `/candidates` has no
updated-since filter; an incremental sync asks the search endpoint for candidates updated since the
cursor (`filters=[{"field":"updated_at","gte":<unix seconds>}]`) and re-reads those it finds whole
(`GET /candidates/{id}`), unless the hits already carry their placements.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from adapters.base import AtsAdapter, Capability, ConnectionConfig
from adapters.errors import AtsError, AuthError, ConfigError
from adapters.http import AtsHttp, Clock, RetryPolicy, Sleep
from adapters.models import (
    Application,
    Attachment,
    Candidate,
    CandidateBatch,
    Job,
    JobInterviewStage,
    Note,
    RemoteUser,
)
from adapters.recruitee.client import PROVIDER, RecruiteeClient, bad_company, envelope, single
from adapters.recruitee.fields import as_text, unix_seconds
from adapters.recruitee.mapping import (
    References,
    candidate_link,
    cv_attachment,
    to_applications,
    to_candidate,
    to_job,
    to_stages,
    to_user,
)
from adapters.recruitee.pacing import DEFAULT_BURST, DEFAULT_RATE, RequestPacer
from adapters.recruitee.writes import RecruiteeWrites

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.recruitee.com/c/{company_id}"
SEARCH_PATH = "/search/new/candidates"
FETCH_CONCURRENCY = 3
SEARCH_REFUSALS = frozenset({400, 404, 405, 422})  # the search or its filter is not there


def base_url_for(company_id: str) -> str:
    return DEFAULT_BASE_URL.format(company_id=company_id.strip())


class RecruiteeAdapter(AtsAdapter):
    """Syncs Recruitee candidates with their placements, and writes notes and new candidates back as the
    token's owner. Interview events are not written (see docs/providers.md): the booking note carries
    the time, the interviewers and the place instead."""

    provider = PROVIDER
    display_name = "Recruitee"
    capabilities = frozenset({
        Capability.READ_CANDIDATES, Capability.READ_APPLICATIONS, Capability.READ_JOBS,
        Capability.READ_STAGES, Capability.READ_USERS, Capability.READ_ATTACHMENTS,
        Capability.INCREMENTAL_SYNC, Capability.WEBHOOKS, Capability.WRITE_NOTES,
        Capability.CREATE_CANDIDATES, Capability.LIST_JOBS,
    })

    def __init__(self, config: ConnectionConfig, client: httpx.AsyncClient, *,
                 policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep, clock: Clock = time.time,
                 rng: random.Random | None = None, pacer: RequestPacer | None = None) -> None:
        super().__init__(config, client)
        token = str(config.credentials.get("token") or "").strip()
        if not token:
            raise ConfigError("Recruitee needs a personal API token: create one under Settings > Apps and "
                              "plugins > Personal API tokens.")
        settings = config.settings
        self.company_id = str(settings.get("company_id") or config.credentials.get("company_id") or "").strip()
        if not self.company_id and not config.base_url:
            raise ConfigError("Recruitee needs the company id shown next to your personal API tokens.")
        self.base_url = (config.base_url or base_url_for(self.company_id)).strip().rstrip("/")
        if not self.company_id:
            self.company_id = self.base_url.rsplit("/", 1)[-1]
        self.http = AtsHttp(client, provider=self.provider, display_name=self.display_name, policy=policy,
                            sleep=sleep, clock=clock, rng=rng)
        self.pacer = pacer or RequestPacer(float(settings.get("requests_per_second") or DEFAULT_RATE),
                                           int(settings.get("burst") or DEFAULT_BURST), clock=clock, sleep=sleep)
        self.api = RecruiteeClient(self.http, base_url=self.base_url, token=token, company_id=self.company_id,
                                   pacer=self.pacer)
        self.writes = RecruiteeWrites(self.api, sleep=sleep)
        self._listed_jobs: set[str] | None = None  # offers list_jobs returned; others come from references
        self._last_jobs: list[Job] | None = None

    # --- connect-time checks ------------------------------------------------------------------------

    async def validate(self) -> None:
        """The token owner (`GET /admin`), then one candidate and one offer: a refused token, an unknown
        company id, another company's token and a role that may not read candidates or offers each get
        their own sentence."""
        try:
            await self.api.send("GET", "/admin")
        except AuthError as exc:
            if exc.status == 401:
                raise
            raise AuthError(f"Recruitee accepted the token but not for company {self.company_id} ({exc.status}): "
                            "check the company id shown next to your personal API tokens (a token belongs to "
                            "one company).", status=exc.status, provider=PROVIDER) from exc
        except AtsError as exc:
            if exc.status != 404 and bad_company(exc):
                raise self._unknown_company(exc) from exc
            if exc.status != 404:
                raise
            # No /admin here (a proxy may not pass it): the candidate list below tells the rest.
        for path, what in (("/candidates", "candidates"), ("/offers", "jobs (offers)")):
            try:
                await self.api.send("GET", path, params={"limit": 1, "offset": 0})
            except AuthError as exc:
                if exc.status == 401:
                    raise
                raise AuthError(f"The token's Recruitee user may not read {what} in company {self.company_id}: "
                                "give the user an admin-level role, or create the token as such a user.",
                                status=exc.status, provider=PROVIDER) from exc
            except AtsError as exc:
                if bad_company(exc):
                    raise self._unknown_company(exc) from exc
                raise

    def _unknown_company(self, exc: AtsError) -> AuthError:
        return AuthError(f"Recruitee does not know the company id {self.company_id}: copy it from Settings > "
                         "Apps and plugins > Personal API tokens.", status=exc.status, provider=PROVIDER)

    # --- reading ------------------------------------------------------------------------------------

    async def candidate_batches(self, *, updated_since: datetime | None = None) -> AsyncIterator[CandidateBatch]:
        """A full sync pages `/candidates`; an incremental one pages the search for recent updates."""
        mark = self.http.requests_sent
        if updated_since is None:
            async for rows, references in self.api.pages("/candidates", "candidates"):
                yield await self._whole_batch(rows, references, mark)
                mark = self.http.requests_sent
            return
        filters = json.dumps([{"field": "updated_at", "gte": unix_seconds(updated_since)}], separators=(",", ":"))
        searched = False
        try:
            async for rows, references in self.api.pages(SEARCH_PATH, "candidates", {"filters": filters}):
                searched = True
                yield await self._whole_batch(rows, references, mark)
                mark = self.http.requests_sent
        except AtsError as exc:
            if exc.status not in SEARCH_REFUSALS or searched:
                raise
            # The search filter is unconfirmed in the reference: where the API refuses it, read everything
            # (an incremental run only adds and updates, so reading more is merely slower).
            log.warning("Recruitee refused the updated-since search (%s); reading every candidate instead", exc.status)
            async for rows, references in self.api.pages("/candidates", "candidates"):
                yield await self._whole_batch(rows, references, mark)
                mark = self.http.requests_sent

    async def fetch_candidates(self, remote_ids: Sequence[str]) -> CandidateBatch:
        """Re-read candidates by id (`GET /candidates/{id}`); one Recruitee no longer has is left out."""
        mark = self.http.requests_sent
        wanted = [rid for rid in dict.fromkeys(str(rid).strip() for rid in remote_ids) if rid]
        rows, references = await self._read_each(wanted)
        return await self._batch(rows, References.of(references), mark)

    async def list_jobs(self) -> list[Job]:
        """Offers that are jobs (not talent pools), archived ones left out."""
        jobs: list[Job] = []
        async for rows, _ in self.api.pages("/offers", "offers", {"scope": "not_archived", "view_mode": "brief"}):
            jobs.extend(job for job in map(to_job, rows) if job)
        self._listed_jobs = {job.remote_id for job in jobs}
        self._last_jobs = jobs
        return jobs

    async def list_stages(self) -> list[JobInterviewStage]:
        """Each open job's pipeline (`GET /offers/{id}/placements`), in pipeline order; the jobs are the
        ones `list_jobs` just read, when a sync has asked for them first."""
        jobs = self._last_jobs if self._last_jobs is not None else await self.list_jobs()
        offers = [job.remote_id for job in jobs if job.status == "open"]
        stages: list[JobInterviewStage] = []
        for offer_id in offers:
            path = f"/offers/{offer_id}/placements"
            try:
                rows, _ = envelope(await self.api.send("GET", path), "stages", path)
            except AtsError as exc:
                if exc.status == 404:
                    continue  # closed between the two reads
                raise
            stages.extend(to_stages(offer_id, rows))
        return stages

    async def list_users(self) -> list[RemoteUser]:
        rows, _ = envelope(await self.api.send("GET", "/admins"), "admins", "/admins")
        return [user for user in map(to_user, rows) if user]

    def candidate_url(self, remote_id: str) -> str:
        """The admin app's page for the candidate. Synced candidates carry Recruitee's own `adminapp_url`
        in `Candidate.url`, which is the one shown; this builds the same link from an id."""
        return candidate_link(remote_id.strip(), self.company_id)

    # --- batches --------------------------------------------------------------------------------------

    async def _read_each(self, ids: Iterable[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        gate = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def read(candidate_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
            path = f"/candidates/{candidate_id}"
            async with gate:
                try:
                    reply = await self.api.send("GET", path)
                except AtsError as exc:
                    if exc.status in (404, 410):
                        return None
                    raise
            return single(reply, "candidate", path)

        results = await asyncio.gather(*(read(candidate_id) for candidate_id in ids))
        found = [result for result in results if result is not None]
        return [row for row, _ in found], [ref for _, refs in found for ref in refs]

    async def _whole_batch(self, rows: Sequence[dict[str, Any]], references: Sequence[dict[str, Any]],
                           mark: int) -> CandidateBatch:
        """A batch of whole candidates: rows that come without their placements (the search's hits, or a
        list that sends summaries) are read one by one; the others are used as listed."""
        whole = [row for row in rows if "placements" in row]
        ids = [rid for row in rows if "placements" not in row for rid in [as_text(row.get("id"))] if rid]
        fetched_rows, fetched_refs = await self._read_each(ids)
        return await self._batch(whole + fetched_rows, References.of(references, fetched_refs), mark)

    async def _batch(self, rows: Sequence[Mapping[str, Any]], refs: References, mark: int) -> CandidateBatch:
        candidates: list[Candidate] = []
        applications: list[Application] = []
        attachments: list[Attachment] = []
        for row in rows:
            candidate = to_candidate(row, self.company_id)
            if candidate is None:
                continue
            candidates.append(candidate)
            applications.extend(to_applications(row, refs))
            cv = cv_attachment(row, candidate.url or self.candidate_url(candidate.remote_id))
            if cv is not None:
                attachments.append(cv)
        extra: dict[str, object] = {}
        if self._listed_jobs is not None:
            unlisted = [job for job in map(to_job, refs.of_type("Offer"))
                        if job and job.remote_id not in self._listed_jobs]
            if unlisted:
                # Offers list_jobs leaves out (archived ones) still name the applications made to them.
                extra["jobs"] = tuple(unlisted)
                self._listed_jobs |= {job.remote_id for job in unlisted}
        return CandidateBatch(candidates=tuple(candidates), applications=tuple(applications),
                              attachments=tuple(attachments), requests=self.http.requests_sent - mark, extra=extra)

    # --- writing (adapters/recruitee/writes.py) -------------------------------------------------------

    async def create_note(self, note: Note, *, acting_user_id: str | None = None) -> Note:
        """Add a note to the candidate. Recruitee has no way to write as another user: the note is the
        token owner's, whoever `acting_user_id` names."""
        return await self.writes.create_note(note)

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        """The candidate's note whose text holds `marker` (to check a note whose answer was lost)."""
        return await self.writes.find_note(candidate_remote_id, marker)

    async def create_candidate(self, candidate: Candidate, **options: Any) -> Candidate:
        """Create the person on the offer `job_remote_id` with `source_tag` as source and tag, the
        LinkedIn link and the CV: by `resume_url` (`remote_cv_url`, fetched by Recruitee) or, with only
        `resume` = (name, bytes, content type), uploaded after the create. Made as the token's owner."""
        return await self.writes.create_candidate(candidate, options)

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        """The newest candidate holding exactly this email, or None."""
        return await self.writes.find_candidate_by_email(email)
