"""`BreezyAdapter`: the AtsAdapter for BreezyHR's API v3, built from a paced client, the account (token,
company, positions), the mapping and the writes."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import httpx

from adapters.base import AtsAdapter, Capability, ConnectionConfig
from adapters.breezyhr.account import BreezyAccount
from adapters.breezyhr.client import BreezyClient, BreezyHttp, rows_of
from adapters.breezyhr.fields import as_list, as_mapping, as_text, as_time, id_of
from adapters.breezyhr.mapping import (
    APP_URL,
    Company,
    pipeline_url,
    to_application,
    to_candidate,
    to_job,
    to_resume,
    to_stages,
    to_user,
)
from adapters.breezyhr.pacing import DEFAULT_BURST, DEFAULT_PER_MINUTE, RequestPacer
from adapters.breezyhr.writes import BreezyWrites
from adapters.errors import AtsError, ConfigError, MalformedResponse
from adapters.http import Clock, RetryPolicy, Sleep
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

DEFAULT_BASE_URL = "https://api.breezy.hr/v3"
MAX_REMEMBERED = 100_000  # candidate id -> position id pairs kept for links and writes


class BreezyAdapter(AtsAdapter):
    """Syncs BreezyHR candidates position by position, and writes team notes and new candidates back."""

    provider = "breezyhr"
    display_name = "BreezyHR"
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
        credentials, settings = config.credentials, config.settings
        token = as_text(credentials.get("token"))
        email, password = as_text(credentials.get("email")), as_text(credentials.get("password"))
        if token is None and not (email and password):
            raise ConfigError("BreezyHR needs a personal access token, or an email and password to sign in with.")
        self.base_url = (config.base_url or DEFAULT_BASE_URL).strip().rstrip("/")
        self.app_url = (as_text(settings.get("app_url")) or APP_URL).rstrip("/")
        self.http = BreezyHttp(client, provider=self.provider, display_name=self.display_name,
                               policy=policy or RetryPolicy(rate_limit_reserve=1), sleep=sleep, clock=clock, rng=rng)
        per_minute = float(settings.get("requests_per_minute") or DEFAULT_PER_MINUTE)
        self.pacer = pacer or RequestPacer(per_minute / 60.0, DEFAULT_BURST, clock=clock, sleep=sleep)
        self.breezy = BreezyClient(client, self.http, base_url=self.base_url, token=token, pacer=self.pacer,
                                   sleep=sleep, clock=clock)
        self.account = BreezyAccount(self.breezy, settings=settings, email=email, password=password, clock=clock)
        self.writes = BreezyWrites(self.breezy, self.account, self._position_of, self._link)
        self._where: dict[str, str] = {}  # candidate id -> position id, as last seen

    # --- connecting -----------------------------------------------------------------------------------

    async def validate(self) -> None:
        """Sign in if asked to, check the token (`/user`), pick the company (`/companies`), then read one
        position to prove the company's plan includes API access (a 403 says so)."""
        await self.account.ensure_token()
        await self.breezy.get("/user")
        company = await self.account.company(check=True)
        await self.breezy.send("GET", f"/company/{company.remote_id}/positions", params={"page_size": 1, "page": 1})

    def stored_config(self) -> ConnectionConfig:
        """The token (a signed-in one replaces the email and password, which are never stored) and the
        company picked, so later runs need neither the sign-in nor the company list."""
        settings = {k: v for k, v in self.config.settings.items() if k != "email"}
        company = self.account.known_company
        if company is not None:
            settings.update(company=company.remote_id, company_name=company.name,
                            company_friendly_id=company.friendly_id or company.remote_id)
        return ConnectionConfig(base_url=self.config.base_url, credentials={"token": self.breezy.token or ""},
                                settings=settings)

    # --- reading --------------------------------------------------------------------------------------

    async def candidate_batches(self, *, updated_since: datetime | None = None) -> AsyncIterator[CandidateBatch]:
        """One batch per page (50) of each position's candidates, positions in BreezyHR's order.

        BreezyHR has no `updated_since` filter, so an incremental run walks the same pages and keeps the
        records changed since then; the list already carries what a card needs, so no detail is read.
        """
        company = await self.account.company()
        positions = await self.account.positions()
        mark = self.http.requests_sent
        for position in positions:
            position_id = str(id_of(position))
            path = f"/company/{company.remote_id}/position/{position_id}/candidates"
            async for rows in self.breezy.pages(path, {"sort": "created"}):
                if updated_since is not None:
                    rows = [row for row in rows if _changed_since(row, updated_since)]
                yield self._batch([(row, position) for row in rows], company, self.http.requests_sent - mark)
                mark = self.http.requests_sent

    async def fetch_candidates(self, remote_ids: Sequence[str]) -> CandidateBatch:
        """Re-read candidates by `_id` with their details. A candidate route needs its position, so each is
        looked for where it was last seen, then in the positions changed most recently; one in no position
        any more is absent from the batch (and so removed)."""
        company = await self.account.company()
        mark = self.http.requests_sent
        found: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for candidate_id in dict.fromkeys(str(rid).strip() for rid in remote_ids):
            if candidate_id:
                hit = await self._read(candidate_id)
                if hit is not None:
                    found.append(hit)
        return self._batch(found, company, self.http.requests_sent - mark)

    async def list_jobs(self) -> list[Job]:
        """Every position that is not a talent pool, with its state (`published` is open)."""
        return [job for job in map(to_job, await self.account.positions()) if job]

    async def list_stages(self) -> list[JobInterviewStage]:
        company = await self.account.company()
        path = f"/company/{company.remote_id}/pipelines"
        return to_stages(rows_of(await self.breezy.get(path), path))

    async def list_users(self) -> list[RemoteUser]:
        """The token's owner (`/user`) and every hiring-team member the positions name with an email
        (BreezyHR has no user list)."""
        owner = await self.breezy.get("/user")
        rows = [as_mapping(owner)]
        for position in await self.account.positions():
            rows.extend(as_mapping(member) for key in ("all_users", "all_admins")
                        for member in as_list(position.get(key)) if isinstance(member, dict))
        users: dict[str, RemoteUser] = {}
        for user in map(to_user, rows):
            if user is not None and (user.remote_id not in users or (user.email and not users[user.remote_id].email)):
                users[user.remote_id] = user
        return list(users.values())

    def candidate_url(self, remote_id: str) -> str:
        """The pipeline page of the candidate's position (BreezyHR has no candidate URL); before the position
        is known, the company's positions page."""
        company = self.account.known_company or self._stored_company()
        position_id = self._where.get(remote_id.strip())
        if position_id is not None:
            return pipeline_url(self.app_url, company, position_id)
        return f"{self.app_url}/app/c/{company.friendly_id or company.remote_id}/positions"

    # --- writing (adapters/breezyhr/writes.py) -------------------------------------------------------

    async def create_note(self, note: Note, *, acting_user_id: str | None = None) -> Note:
        """A team-discussion note (`.../stream`, never the candidate-facing `.../conversation`), made as the
        token's owner: BreezyHR cannot act as another user."""
        return await self.writes.create_note(note)

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        return await self.writes.find_note(candidate_remote_id, marker)

    async def create_candidate(self, candidate: Candidate, **options: Any) -> Candidate:
        """Add a person to `job_remote_id` (else the first talent pool) with `source_tag` as their source and
        a tag, the LinkedIn link, then `resume` = (name, bytes, content type) as a separate upload."""
        return await self.writes.create_candidate(candidate, options)

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        return await self.writes.find_candidate_by_email(email)

    # --- helpers ----------------------------------------------------------------------------------------

    def _batch(self, rows: list[tuple[dict[str, Any], dict[str, Any]]], company: Company,
               requests: int) -> CandidateBatch:
        candidates: dict[str, Candidate] = {}
        applications: list[Application] = []
        attachments: list[Attachment] = []
        for row, position in rows:
            position_id = str(id_of(position))
            candidate_id = id_of(row)
            if candidate_id is None:
                raise MalformedResponse("BreezyHR listed a candidate without an _id.", provider="breezyhr")
            url = self._link(position_id, candidate_id, company)
            candidate = to_candidate(row, url=url)
            application = to_application(row, position)
            if candidate is None or application is None:
                continue
            candidates[candidate.remote_id] = candidate
            applications.append(application)
            resume = to_resume(row, position_id, url)
            if resume is not None:
                attachments.append(resume)
        return CandidateBatch(tuple(candidates.values()), tuple(applications), tuple(attachments),
                              requests=requests)

    def _link(self, position_id: str, candidate_id: str, company: Company | None = None) -> str:
        """The candidate's page (their position's pipeline), remembering where they are for later writes."""
        if len(self._where) >= MAX_REMEMBERED:
            self._where.clear()
        self._where[candidate_id] = position_id
        return pipeline_url(self.app_url, company or self.account.known_company or self._stored_company(),
                            position_id)

    def _stored_company(self) -> Company:
        settings = self.config.settings
        remote_id = as_text(settings.get("company")) or "company"
        return Company(remote_id, as_text(settings.get("company_name")) or remote_id,
                       as_text(settings.get("company_friendly_id")))

    async def _read(self, candidate_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(detail, position) of a candidate: where last seen first, then the positions newest first, then
        any position made since the list was read (a candidate absent everywhere is removed, so a stale
        position list must not be the reason)."""
        company = await self.account.company()
        known = self._where.get(candidate_id)
        tried: set[str] = set()
        for fresh in (False, True):
            positions = await self.account.newest_first(fresh=fresh)
            for position in sorted(positions, key=lambda p: id_of(p) != known):
                position_id = str(id_of(position))
                if position_id in tried:
                    continue
                tried.add(position_id)
                row = await self._detail(company.remote_id, position_id, candidate_id)
                if row is not None:
                    return row, position
        self._where.pop(candidate_id, None)
        return None

    async def _detail(self, company_id: str, position_id: str, candidate_id: str) -> dict[str, Any] | None:
        try:
            row = await self.breezy.get(f"/company/{company_id}/position/{position_id}/candidate/{candidate_id}")
        except AtsError as exc:
            if exc.status in (404, 412):  # not on this position (412), or no such record
                return None
            raise
        return row if isinstance(row, dict) and id_of(row) else None

    async def _position_of(self, candidate_id: str) -> str | None:
        if candidate_id in self._where:
            return self._where[candidate_id]
        hit = await self._read(candidate_id)
        return str(id_of(hit[1])) if hit is not None else None


def _changed_since(row: dict[str, Any], since: datetime) -> bool:
    """A record without a readable date counts as changed: re-storing it is cheaper than missing it."""
    changed = as_time(row.get("updated_date")) or as_time(row.get("creation_date"))
    return changed is None or changed >= since
