"""`TeamtailorAdapter`: the AtsAdapter for Teamtailor's JSON:API v1: connect-time checks (key, region,
permission level), paged reads, and note and candidate writes (adapters/teamtailor/writes.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx

from adapters.base import AtsAdapter, Capability, ConnectionConfig
from adapters.errors import AtsError, AuthError, ConfigError, MalformedResponse
from adapters.http import Clock, CredentialsRefused, RetryPolicy, Sleep
from adapters.models import Candidate, CandidateBatch, Job, JobInterviewStage, Note, RemoteUser
from adapters.teamtailor.client import KEY_ADVICE, PAGE_SIZE, TeamtailorClient, TeamtailorHttp, refused_key
from adapters.teamtailor.fields import as_text, related_id, to_iso
from adapters.teamtailor.mapping import to_job, to_stage, to_user
from adapters.teamtailor.pacing import DEFAULT_BURST, DEFAULT_RATE, RequestPacer
from adapters.teamtailor.reads import StageIndex, build_batch, complete
from adapters.teamtailor.regions import APP_URL, REGION_NAMES, REGION_URLS, other_region, region_of
from adapters.teamtailor.writes import ResumeHost, TeamtailorWrites

log = logging.getLogger(__name__)

CANDIDATE_INCLUDE = "job-applications"
MAX_HEADER_WAIT = 10.0  # seconds
FETCH_CONCURRENCY = 2  # the pacer spaces requests anyway; two in flight hide the round trip


async def read_ahead(pages: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """The pages, each next one already being fetched while the caller stores the last: at a paced rate the
    wait for the next request's slot overlaps the store's work instead of adding to it. A failing page
    still fails after the pages before it were handed over, never before."""
    iterator = aiter(pages)
    pending: asyncio.Future[Any] = asyncio.ensure_future(anext(iterator))
    try:
        while True:
            try:
                page = await pending
            except StopAsyncIteration:
                return
            pending = asyncio.ensure_future(anext(iterator))
            yield page
    finally:
        if not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration, Exception):
                await pending


class TeamtailorAdapter(AtsAdapter):
    """Syncs Teamtailor candidates with their job applications; writes notes and new candidates back."""

    provider = "teamtailor"
    display_name = "Teamtailor"
    capabilities = frozenset({
        Capability.READ_CANDIDATES, Capability.READ_APPLICATIONS, Capability.READ_JOBS,
        Capability.READ_STAGES, Capability.READ_USERS, Capability.READ_ATTACHMENTS,
        Capability.INCREMENTAL_SYNC, Capability.WEBHOOKS, Capability.WRITE_NOTES,
        Capability.CREATE_CANDIDATES, Capability.LIST_JOBS,
    })

    def __init__(self, config: ConnectionConfig, client: httpx.AsyncClient, *,
                 policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep, clock: Clock = time.time,
                 rng: random.Random | None = None, pacer: RequestPacer | None = None,
                 resume_host: ResumeHost | None = None) -> None:
        super().__init__(config, client)
        api_key = str(config.credentials.get("api_key") or "").strip()
        if not api_key:
            raise ConfigError("Teamtailor needs an API key: " + KEY_ADVICE)
        settings = config.settings
        region = str(settings.get("region") or "eu").lower()
        if region not in REGION_URLS:
            raise ConfigError(f"Unknown Teamtailor region {region!r}: use eu or na.")
        self.region = region
        self.base_url = (config.base_url or REGION_URLS[region]).strip().rstrip("/")
        self.company_id = as_text(settings.get("company_id"))
        base_policy = policy or RetryPolicy()
        # Slow down one request before the window runs dry, not after a 429; but wait at most 10 s at a time
        # on the headers' word, since Teamtailor's were once static placeholders (a 429 is still honoured
        # for as long as its reset says).
        base_policy = replace(base_policy, rate_limit_reserve=max(base_policy.rate_limit_reserve, 1),
                              max_rate_wait=min(base_policy.max_rate_wait, MAX_HEADER_WAIT))
        self.http = TeamtailorHttp(client, provider=self.provider, display_name=self.display_name,
                                   policy=base_policy, sleep=sleep, clock=clock, rng=rng)
        self.pacer = pacer or RequestPacer(float(settings.get("requests_per_second") or DEFAULT_RATE),
                                           int(settings.get("burst") or DEFAULT_BURST), clock=clock, sleep=sleep)
        self.tt = TeamtailorClient(self.http, base_url=self.base_url, api_key=api_key, pacer=self.pacer)
        self.stages = StageIndex(self.tt)
        self.writes = TeamtailorWrites(self.tt, self.candidate_url, resume_host)
        self.connect_notes: tuple[str, ...] = ()

    # --- connect-time checks ------------------------------------------------------------------------

    def stored_config(self) -> ConnectionConfig:
        """What to store after `validate()`: the API address and region that worked, and the company id."""
        settings = dict(self.config.settings)
        if region_of(self.base_url) is not None:
            settings["region"] = self.region
        if self.company_id:
            settings["company_id"] = self.company_id
        return ConnectionConfig(base_url=self.base_url, credentials=self.config.credentials, settings=settings)

    async def validate(self) -> None:
        """The key (in its region: a key refused in one is tried in the other when the address is a default
        one), then the permission level: reading users and candidates needs an Admin key."""
        await self._find_region()
        for path, what in (("/users", "its users"), ("/candidates", "candidates")):
            try:
                await self.tt.get(path, {"page[size]": 1})
            except CredentialsRefused as exc:
                if exc.status == 401:
                    raise self._refused(exc) from exc
                raise self._too_low(what) from exc

    def _too_low(self, what: str) -> AuthError:
        return AuthError(f"The Teamtailor API key may not read {what} (403): its permission level is Public or "
                         f"Internal, and hirebot needs Admin (with the read/write scope). {KEY_ADVICE}",
                         status=403, provider=self.provider)

    async def _find_region(self) -> None:
        region = region_of(self.base_url)
        try:
            await self._load_company()
        except CredentialsRefused as first:
            if first.status == 403:
                raise self._too_low("the company") from first
            if region is None:
                raise self._refused(first) from first
            other = other_region(region)
            self._move_to(other)
            try:
                await self._load_company()
            except CredentialsRefused as second:
                if second.status == 401:
                    self._move_to(region)
                    raise AuthError("Teamtailor refused the API key in both regions (EU and NA): check that it "
                                    "was copied whole and has not been deleted. " + KEY_ADVICE, status=401,
                                    provider=self.provider) from second
                raise self._too_low("the company") from second
            self.connect_notes = (f"The key was refused in Teamtailor's {REGION_NAMES[region]} region and works "
                                  f"in the {REGION_NAMES[other]} region ({self.base_url}); hirebot will use "
                                  f"that region.",)
            return
        if region is not None:
            self.connect_notes = (f"The key works in Teamtailor's {REGION_NAMES[region]} region "
                                  f"({self.base_url}).",)

    def _move_to(self, region: str) -> None:
        self.region = region
        self.base_url = REGION_URLS[region]
        self.tt.base_url = self.base_url

    async def _load_company(self) -> str:
        """`GET /company`: the id Teamtailor's web app puts in candidate links (once per adapter)."""
        document = await self.tt.get("/company")
        company_id = as_text(document.data[0].get("id")) if document.data else None
        if company_id is None:
            raise MalformedResponse("Teamtailor sent a company answer without its id.", provider=self.provider)
        self.company_id = company_id
        return company_id

    async def _company(self) -> None:
        if self.company_id is None:
            try:
                await self._load_company()
            except CredentialsRefused as exc:
                if exc.status == 401:
                    raise self._refused(exc) from exc
                raise

    def _refused(self, exc: CredentialsRefused) -> AuthError:
        where = (f"the {REGION_NAMES[self.region]} region" if region_of(self.base_url)
                 else f"the region {self.base_url} serves")
        return refused_key(exc, where)

    # --- reading ------------------------------------------------------------------------------------

    async def candidate_batches(self, *, updated_since: datetime | None = None) -> AsyncIterator[CandidateBatch]:
        """One batch per page of 30 candidates, each with its job applications (`include`). An incremental
        run (`filter[updated-at][from]`) also reads the job applications changed since (a stage move or a
        rejection need not touch the candidate) and re-reads those candidates that were not listed."""
        mark = self.http.requests_sent
        await self._company()
        params: dict[str, Any] = {"include": CANDIDATE_INCLUDE}
        if updated_since is not None:
            params["filter[updated-at][from]"] = to_iso(updated_since)
        listed: set[str] = set()
        async for page in read_ahead(self._guarded_pages("/candidates", params)):
            document = await complete(self.tt, page)
            batch = await build_batch(document.data, [document], self.stages, self.candidate_url, 0)
            if updated_since is not None:  # only an incremental run needs to know who was listed
                listed.update(c.remote_id for c in batch.candidates)
            yield replace(batch, requests=self.http.requests_sent - mark)
            mark = self.http.requests_sent
        if updated_since is None:
            return
        moved: list[str] = []
        async for document in self._guarded_pages("/job-applications",
                                                  {"filter[updated-at][from]": to_iso(updated_since)}):
            for application in document.data:
                owner = related_id(application, "candidate")
                if owner and owner not in listed and owner not in moved:
                    moved.append(owner)
        for start in range(0, len(moved), PAGE_SIZE):
            batch = await self.fetch_candidates(moved[start:start + PAGE_SIZE])
            yield batch

    async def fetch_candidates(self, remote_ids: Sequence[str]) -> CandidateBatch:
        """Re-read candidates by id with their applications; an id Teamtailor no longer has is left out."""
        mark = self.http.requests_sent
        await self._company()
        wanted = [rid for rid in dict.fromkeys(str(rid).strip() for rid in remote_ids) if rid]
        gate = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def read(candidate_id: str) -> Any:
            async with gate:
                try:
                    return await complete(self.tt, await self.tt.get(f"/candidates/{candidate_id}",
                                                                     {"include": CANDIDATE_INCLUDE}))
                except AtsError as exc:
                    if exc.status == 404:
                        return None
                    if isinstance(exc, CredentialsRefused) and exc.status == 401:
                        raise self._refused(exc) from exc
                    raise

        documents = [d for d in await asyncio.gather(*(read(cid) for cid in wanted)) if d is not None]
        resources = [r for d in documents for r in d.data]
        batch = await build_batch(resources, documents, self.stages, self.candidate_url, 0)
        return replace(batch, requests=self.http.requests_sent - mark)

    async def list_jobs(self) -> list[Job]:
        """Every job (published and unlisted ones are open), with its recruiter as the hiring team."""
        jobs: list[Job] = []
        async for document in self._guarded_pages("/jobs", {"filter[status]": "all", "include": "user"}):
            jobs.extend(job for job in map(to_job, document.data) if job)
        return jobs

    async def list_stages(self) -> list[JobInterviewStage]:
        """Every job's stages (Teamtailor's stages belong to one job), in each job's row order."""
        resources = await self.stages.load()
        stages = [stage for stage in map(to_stage, resources) if stage]
        return sorted(stages, key=lambda s: (s.job_remote_id or "", s.sort_order))

    async def list_users(self) -> list[RemoteUser]:
        users: list[RemoteUser] = []
        async for document in self._guarded_pages("/users", {}):
            users.extend(user for user in map(to_user, document.data) if user)
        return users

    def candidate_url(self, remote_id: str) -> str:
        """`https://app.teamtailor.com/companies/{company id}/candidates/{id}` (the company id comes from
        `GET /company`, kept in the connection's settings)."""
        company = self.company_id or "unknown-company"
        return f"{APP_URL}/companies/{company}/candidates/{remote_id.strip()}"

    async def _guarded_pages(self, path: str, params: dict[str, Any]) -> AsyncIterator[Any]:
        try:
            async for document in self.tt.pages(path, params):
                yield document
        except CredentialsRefused as exc:
            if exc.status == 401:
                raise self._refused(exc) from exc
            raise

    # --- writing (adapters/teamtailor/writes.py) ----------------------------------------------------

    async def create_note(self, note: Note, *, acting_user_id: str | None = None) -> Note:
        """A note on the candidate, by `acting_user_id` (a Teamtailor user id) when given, else by the key's
        owner."""
        return await self.writes.create_note(note, acting_user_id)

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        return await self.writes.find_note(candidate_remote_id, marker)

    async def create_candidate(self, candidate: Candidate, **options: Any) -> Candidate:
        """Add a person, tagged with `source_tag`, with the LinkedIn URL, the CV (`resume_url`, or `resume`
        published through the adapter's resume host) and, with `job_remote_id`, an application to the job."""
        await self._company()
        return await self.writes.create_candidate(candidate, options)

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        await self._company()
        return await self.writes.find_candidate_by_email(email)
