"""`ZohoAdapter`: the AtsAdapter for Zoho Recruit's REST v2, built from the token cache, the credit meter,
the paged client, the org's layout and the write helpers; the reads and connect-time checks are here.

A full sync lists candidates 200 a page and takes their job associations from each job opening's
associate list (a request per job and page, not per candidate); an incremental one sends If-Modified-Since
and reads the associations of the few changed candidates one by one. Attachments are not listed: Zoho has
no bulk endpoint for them, and a request per candidate would spend a small org's daily credits on files
the card links to on the candidate's page anyway.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from adapters.base import AtsAdapter, Capability, ConnectionConfig
from adapters.errors import AtsError, ConfigError
from adapters.http import Clock, RetryPolicy, Sleep
from adapters.models import (
    Application,
    Candidate,
    CandidateBatch,
    Job,
    JobInterviewStage,
    Note,
    RemoteUser,
    ScheduledInterview,
)
from adapters.zoho.auth import ZohoTokens
from adapters.zoho.client import ZohoClient, first_failure
from adapters.zoho.credits import DEFAULT_DAILY_CREDITS, WINDOW_SECONDS, CreditMeter, meter_for
from adapters.zoho.errors import LABEL, PROVIDER, ZohoHttp, ZohoRefused, ZohoRejected
from adapters.zoho.layout import (
    CANDIDATE_FIELDS,
    CANDIDATE_LABELS,
    INTERVIEW_FIELDS,
    Layout,
    fields_of,
    module_names,
    modules_of,
    pick_fields,
    require_fields,
    standard_layout,
)
from adapters.zoho.mapping import (
    Association,
    StatusWords,
    association_of,
    to_applications,
    to_candidate,
    to_job,
    to_user,
)
from adapters.zoho.regions import accounts_url, api_base_url, data_center, web_url
from adapters.zoho.values import as_mapping, as_rows, as_text, format_time, parse_time
from adapters.zoho.writes import ZohoWrites

log = logging.getLogger(__name__)

FETCH_CONCURRENCY = 4  # Zoho also limits concurrent calls per org; a few at a time stays well inside it
ORG_ID_KEYS = ("zgid", "org_id", "id")  # the reference believes the org id of links is `zgid`
# An org's layout (and org id) is read once an hour per process, not per sync: a poll every few minutes would
# otherwise spend three credits of a small daily budget on settings that almost never change.
LAYOUT_TTL = 3600.0
# Changed candidates whose associations are read one by one before reading every job's list is cheaper.
SWITCH_TO_JOB_LISTS = 100
_LAYOUTS: dict[tuple[str, str], tuple[float, Layout]] = {}
_ORG_IDS: dict[tuple[str, str], str] = {}


def changed_since(row: Mapping[str, Any], layout: Layout, since: datetime) -> bool:
    """Whether a listed record changed after `since` (a record without a readable time counts as changed)."""
    modified = parse_time(row.get(layout.candidates.get("modified") or "Modified_Time"))
    return modified is None or modified > since


def forget_org_caches() -> None:
    """Empty the process-wide layout and org id caches (tests that restart a fake on the same address)."""
    _LAYOUTS.clear()
    _ORG_IDS.clear()


class ZohoAdapter(AtsAdapter):
    """Syncs Zoho Recruit candidates with their job associations, and writes notes, interviews and new
    candidates back as the refresh token's owner."""

    provider = PROVIDER
    display_name = LABEL
    capabilities = frozenset({
        Capability.READ_CANDIDATES, Capability.READ_APPLICATIONS, Capability.READ_JOBS, Capability.READ_STAGES,
        Capability.READ_USERS, Capability.INCREMENTAL_SYNC, Capability.WEBHOOKS, Capability.WRITE_NOTES,
        Capability.WRITE_INTERVIEWS, Capability.CREATE_CANDIDATES, Capability.LIST_JOBS,
    })

    def __init__(self, config: ConnectionConfig, client: httpx.AsyncClient, *,
                 policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep, clock: Clock = time.time,
                 rng: random.Random | None = None, meter: CreditMeter | None = None) -> None:
        super().__init__(config, client)
        creds = config.credentials
        client_id, client_secret, refresh_token = (str(creds.get(key) or "").strip()
                                                   for key in ("client_id", "client_secret", "refresh_token"))
        if not (client_id and client_secret and refresh_token):
            raise ConfigError("Zoho Recruit needs a Self Client's client id and secret and a refresh token: create "
                              "them in the Zoho API console (see docs/providers.md).")
        settings = config.settings
        self.data_center = data_center(settings.get("data_center"))
        self.base_url = (config.base_url or api_base_url(self.data_center)).strip().rstrip("/")
        self.accounts_url = str(settings.get("accounts_url") or accounts_url(self.data_center)).rstrip("/")
        self.web_url = web_url(self.data_center)
        self.org_id = as_text(settings.get("org_id"))
        self.words = StatusWords.from_settings(settings)
        self.http = ZohoHttp(client, provider=PROVIDER, display_name=LABEL, policy=policy, sleep=sleep, clock=clock,
                             rng=rng)
        self.tokens = ZohoTokens(self.http, accounts_url=self.accounts_url, client_id=client_id,
                                 client_secret=client_secret, refresh_token=refresh_token,
                                 data_center=self.data_center, clock=clock)
        budget = int(settings.get("daily_credits") or DEFAULT_DAILY_CREDITS)
        window = float(settings.get("credit_window_seconds") or WINDOW_SECONDS)
        self.meter = meter or meter_for(self.base_url, client_id, budget, window, clock)
        self.zoho = ZohoClient(self.http, self.tokens, self.meter, base_url=self.base_url,
                               data_center=self.data_center)
        self._layout: Layout | None = None
        self._clock = clock
        self._org_key = (self.base_url, client_id)
        self.org_id = self.org_id or _ORG_IDS.get(self._org_key)
        self.writes = ZohoWrites(self)

    # --- connect-time checks ------------------------------------------------------------------------

    async def validate(self) -> None:
        """A token from the refresh token, the org (its id for deep links, kept in the connection's
        settings), the org's candidate fields, one candidate and the current user: each names what is
        wrong (client, refresh token, data center, a missing scope, a missing field)."""
        await self.tokens.token()
        # Read afresh, not from the process's cache: this token's own scopes are what is being checked.
        await self.discover_org(fresh=True)
        layout = await self.layout(fresh=True)
        await self.zoho.send("GET", f"/{layout.candidates.module}", params={"page": 1, "per_page": 1})
        try:
            await self.zoho.send("GET", "/users", params={"type": "CurrentUser"})
        except ZohoRejected as exc:
            if exc.status != 404:  # a server without the users endpoint syncs without chat-user mapping
                raise
        if self.org_id:
            # The connection is stored with these settings: deep links need the org id without a call.
            self.config.settings["org_id"] = self.org_id

    async def discover_org(self, *, fresh: bool = False) -> str | None:
        """The org id deep links carry, from `GET /org` (once per adapter; a server without it leaves None)."""
        if self.org_id and not fresh:
            return self.org_id
        try:
            reply = await self.zoho.send("GET", "/org")
        except ZohoRejected as exc:
            if exc.status == 404:
                return None
            raise
        rows = as_rows(as_mapping(reply.data).get("org"))
        org = rows[0] if rows else {}
        self.org_id = next((value for key in ORG_ID_KEYS if (value := as_text(org.get(key)))), None)
        if self.org_id:
            _ORG_IDS[self._org_key] = self.org_id
        return self.org_id

    async def layout(self, *, fresh: bool = False) -> Layout:
        """The org's module and field names (read once an hour per process; see adapters/zoho/layout.py)."""
        if self._layout is not None and not fresh:
            return self._layout
        cached = _LAYOUTS.get(self._org_key)
        if cached is not None and cached[0] > self._clock() and not fresh:
            self._layout = cached[1]
            return self._layout
        self._layout = await self._read_layout()
        _LAYOUTS[self._org_key] = (self._clock() + LAYOUT_TTL, self._layout)
        return self._layout

    async def _read_layout(self) -> Layout:
        try:
            modules = module_names(modules_of((await self.zoho.send("GET", "/settings/modules")).data))
            candidate_rows = fields_of((await self.zoho.send(
                "GET", "/settings/fields", params={"module": modules["candidates"]})).data)
        except ZohoRejected as exc:
            if exc.status != 404:
                raise
            log.info("Zoho Recruit has no settings endpoints at %s; using the standard module and field names",
                     self.base_url)
            return standard_layout()
        if not candidate_rows:  # no field metadata at all (every org has fields): the standard names
            log.info("Zoho Recruit listed no candidate fields at %s; using the standard names", self.base_url)
            return standard_layout(modules)
        candidates = pick_fields(modules["candidates"], candidate_rows, CANDIDATE_FIELDS, CANDIDATE_LABELS)
        require_fields(candidates)
        interviews = standard_layout(modules).interviews
        try:
            interview_rows = fields_of((await self.zoho.send(
                "GET", "/settings/fields", params={"module": modules["interviews"]})).data)
            if interview_rows:
                interviews = pick_fields(modules["interviews"], interview_rows, INTERVIEW_FIELDS, {})
        except (ZohoRejected, ZohoRefused) as exc:
            log.info("Zoho Recruit interview fields unreadable (%s); using the standard names", exc)
        return Layout(candidates, modules["jobs"], interviews, from_settings=True)

    # --- reading ------------------------------------------------------------------------------------

    async def candidate_batches(self, *, updated_since: datetime | None = None) -> AsyncIterator[CandidateBatch]:
        """One batch per page of 200 candidates, each with its job associations.

        Incremental: If-Modified-Since, and rows not changed since then are left out too (a server that
        ignores the header must not cost an association read per unchanged candidate). Their associations
        are read per candidate until more than SWITCH_TO_JOB_LISTS changed, then job by job, whichever is
        fewer requests.
        """
        mark = self.http.requests_sent
        layout = await self.layout()
        await self.discover_org()
        module = layout.candidates.module
        # Whole records, no `fields=`: it saves bytes, not credits (Zoho counts calls), and a projection that
        # left out a field hirebot needs (or that a server applied without the id) would lose candidates.
        params = {"sort_by": "Modified_Time" if updated_since else "Created_Time", "sort_order": "asc"}
        headers = {"If-Modified-Since": format_time(updated_since)} if updated_since else None
        by_job = None if updated_since else await self._associations_by_candidate(layout)
        looked_up = 0
        async for rows in self.zoho.pages(f"/{module}", params=params, headers=headers):
            if updated_since is not None:
                rows = [row for row in rows if changed_since(row, layout, updated_since)]
            if by_job is None and looked_up + len(rows) > SWITCH_TO_JOB_LISTS:
                by_job = await self._associations_by_candidate(layout)
            if by_job is not None:
                links = by_job
            else:
                looked_up += len(rows)
                links = await self._associations_of([cid for row in rows if (cid := as_text(row.get("id")))])
            if rows:
                yield self._batch(rows, links, layout, mark)
                mark = self.http.requests_sent

    async def fetch_candidates(self, remote_ids: Sequence[str]) -> CandidateBatch:
        """Re-read candidates by record id; one Zoho no longer has is absent from the batch."""
        mark = self.http.requests_sent
        layout = await self.layout()
        await self.discover_org()
        wanted = [rid for rid in dict.fromkeys(str(rid).strip() for rid in remote_ids) if rid.isdigit()]
        gate = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def read(candidate_id: str) -> dict[str, Any] | None:
            async with gate:
                try:
                    reply = await self.zoho.send("GET", f"/{layout.candidates.module}/{candidate_id}")
                except ZohoRejected as exc:
                    if exc.status in (400, 404):
                        return None
                    raise
                rows = as_rows(as_mapping(reply.data).get("data")) if reply.status != 204 else []
                return rows[0] if rows else None

        found = [row for row in await first_failure([read(cid) for cid in wanted]) if row]
        links = await self._associations_of([str(row["id"]) for row in found if as_text(row.get("id"))])
        return self._batch(found, links, layout, mark)

    def _batch(self, rows: Sequence[Mapping[str, Any]], links: Mapping[str, list[Association]], layout: Layout,
               mark: int) -> CandidateBatch:
        candidates: list[Candidate] = []
        applications: list[Application] = []
        for row in rows:
            candidate_id = as_text(row.get("id"))
            if candidate_id is None:
                continue
            candidate = to_candidate(row, layout.candidates, self.candidate_url(candidate_id))
            if candidate is None:
                continue
            candidates.append(candidate)
            applications.extend(to_applications(candidate, row, layout.candidates, links.get(candidate_id, ()),
                                                self.words))
        return CandidateBatch(candidates=tuple(candidates), applications=tuple(applications),
                              requests=self.http.requests_sent - mark)

    async def _associations_by_candidate(self, layout: Layout) -> dict[str, list[Association]]:
        """Every candidate's job associations, read job by job (the cheap way for a full sync)."""
        links: dict[str, list[Association]] = {}
        for job in await self._job_rows(layout):
            job_id = as_text(job.get("id"))
            if job_id is None:
                continue
            async for rows in self.zoho.pages(f"/{layout.jobs_module}/{job_id}/associate", gone_ok=True):
                for row in rows:
                    candidate_id = as_text(row.get("id"))
                    link = association_of(row, job_id=job_id)
                    if candidate_id and link:
                        links.setdefault(candidate_id, []).append(link)
        return links

    async def _associations_of(self, candidate_ids: Sequence[str]) -> dict[str, list[Association]]:
        """The job associations of a few candidates, one request each."""
        layout = await self.layout()
        gate = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def read(candidate_id: str) -> tuple[str, list[Association]]:
            async with gate:
                rows = await self.zoho.rows(f"/{layout.candidates.module}/{candidate_id}/associate", gone_ok=True)
            return candidate_id, [link for row in rows if (link := association_of(row))]

        return dict(await first_failure([read(cid) for cid in dict.fromkeys(candidate_ids)]))

    async def _job_rows(self, layout: Layout) -> list[dict[str, Any]]:
        return await self.zoho.rows(f"/{layout.jobs_module}")

    async def list_jobs(self) -> list[Job]:
        layout = await self.layout()
        return [job for job in map(to_job, await self._job_rows(layout)) if job]

    async def list_stages(self) -> list[JobInterviewStage]:
        """The org's candidate statuses in order: Zoho's stages are statuses, the same for every job."""
        layout = await self.layout()
        return [JobInterviewStage(remote_id=name, job_remote_id=None, name=name, sort_order=index)
                for index, name in enumerate(layout.statuses)]

    async def list_users(self) -> list[RemoteUser]:
        rows = await self.zoho.rows("/users", params={"type": "AllUsers"}, key="users", gone_ok=True)
        return [user for user in map(to_user, rows) if user]

    def candidate_url(self, remote_id: str) -> str:
        """`https://recruit.zoho.<tld>/recruit/org{org id}/EntityInfo.do?module=Candidates&id={id}`, on the
        connection's data center (the org id is read at connect; without one, the link without it)."""
        candidate_id = remote_id.split(":", 1)[0].strip()
        org = f"/org{self.org_id}" if self.org_id else ""
        return f"{self.web_url}/recruit{org}/EntityInfo.do?module=Candidates&id={candidate_id}"

    # --- writing (adapters/zoho/writes.py) ----------------------------------------------------------

    async def create_note(self, note: Note, *, acting_user_id: str | None = None) -> Note:
        """A note on the candidate's record (as the refresh token's owner: Zoho notes take no author)."""
        return await self.writes.create_note(note)

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        return await self.writes.find_note(candidate_remote_id, marker)

    async def create_interview(self, interview: ScheduledInterview, *, acting_user_id: str | None = None,
                               subject: str | None = None,
                               candidate_remote_id: str | None = None) -> ScheduledInterview:
        """An interview in the Interviews module for the candidate (and the application's job)."""
        return await self.writes.create_interview(interview, acting_user_id=acting_user_id, subject=subject,
                                                  candidate_remote_id=candidate_remote_id)

    async def update_interview(self, remote_id: str, interview: ScheduledInterview, *,
                               acting_user_id: str | None = None, subject: str | None = None,
                               candidate_remote_id: str | None = None) -> ScheduledInterview:
        return await self.writes.update_interview(remote_id, interview, acting_user_id=acting_user_id,
                                                  subject=subject, candidate_remote_id=candidate_remote_id)

    async def delete_interview(self, remote_id: str, *, acting_user_id: str | None = None,
                               candidate_remote_id: str | None = None) -> None:
        """Cancel the interview (Zoho's cancel action); one already cancelled or gone counts as done."""
        await self.writes.cancel_interview(remote_id)

    async def find_interview_by_external_id(self, external_event_id: str, *,
                                            application_remote_id: str | None = None,
                                            candidate_remote_id: str | None = None
                                            ) -> ScheduledInterview | None:
        return await self.writes.find_interview(external_event_id, application_remote_id=application_remote_id,
                                                candidate_remote_id=candidate_remote_id)

    async def create_candidate(self, candidate: Candidate, **options: Any) -> Candidate:
        """A new candidate (source `source_tag`, LinkedIn in the org's LinkedIn field), the CV and cover letter
        as attachments with their category, then associated with `job_remote_id`."""
        return await self.writes.create_candidate(candidate, options)

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        return await self.writes.find_candidate_by_email(email)


__all__ = ["AtsError", "ZohoAdapter"]
