"""`WorkableAdapter`: the AtsAdapter for Workable's SPI v3: list-page syncs, detail re-reads, connect-time
checks that name what is wrong, and the comment and candidate writes (adapters/workable/writes.py)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import httpx

from adapters.base import AtsAdapter, Capability, ConnectionConfig
from adapters.errors import AtsError, AuthError, ConfigError
from adapters.http import AtsHttp, Clock, RetryPolicy, Sleep
from adapters.models import (
    Application,
    Candidate,
    CandidateBatch,
    Job,
    JobInterviewStage,
    Note,
    RemoteUser,
)
from adapters.workable.client import WorkableClient, not_found, one
from adapters.workable.fields import as_mapping, as_text, iso, rows
from adapters.workable.mapping import OPEN_STATE, to_application, to_candidate, to_job, to_stage, to_user
from adapters.workable.scopes import R_CANDIDATES, R_JOBS, TOKEN_ADVICE, W_CANDIDATES, W_COMMENTS
from adapters.workable.writes import WorkableWrites

log = logging.getLogger(__name__)

PROBE_ID = "hirebot-scope-check"  # an id no record has: write probes are refused by scope or not found
REMEMBERED_LINKS = 2000


def default_base_url(subdomain: str) -> str:
    return f"https://{subdomain.strip()}.workable.com/spi/v3"


class WorkableAdapter(AtsAdapter):
    """Syncs Workable candidates (one record per person and job), and comments and adds candidates."""

    provider = "workable"
    display_name = "Workable"
    capabilities = frozenset({
        Capability.READ_CANDIDATES, Capability.READ_APPLICATIONS, Capability.READ_JOBS,
        Capability.READ_STAGES, Capability.READ_USERS, Capability.INCREMENTAL_SYNC, Capability.WEBHOOKS,
        Capability.WRITE_NOTES, Capability.CREATE_CANDIDATES, Capability.LIST_JOBS,
    })

    def __init__(self, config: ConnectionConfig, client: httpx.AsyncClient, *,
                 policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep, clock: Clock = time.time,
                 rng: random.Random | None = None) -> None:
        super().__init__(config, client)
        token = str(config.credentials.get("token") or "").strip()
        if not token:
            raise ConfigError("Workable needs an API access token: create one under Settings > Integrations > "
                              "Apps > API Access Tokens in Workable.")
        settings = config.settings
        self.subdomain = as_text(settings.get("subdomain"))
        if not config.base_url and not self.subdomain:
            raise ConfigError("Workable needs the account's subdomain (the NAME in NAME.workable.com).")
        self.base_url = (config.base_url or default_base_url(self.subdomain or "")).strip().rstrip("/")
        self.http = AtsHttp(client, provider=self.provider, display_name=self.display_name, policy=policy,
                            sleep=sleep, clock=clock, rng=rng)
        self.api = WorkableClient(self.http, base_url=self.base_url, token=token, subdomain=self.subdomain)
        self.writes = WorkableWrites(self.api, default_member=as_text(settings.get("member_id")))
        self.missing_scopes: set[str] = set()
        self._links: OrderedDict[str, str] = OrderedDict()  # recent candidate id → profile_url

    # --- connect-time checks ------------------------------------------------------------------------

    async def validate(self) -> None:
        """Check the subdomain and token, then each scope with a request that changes nothing.

        r_jobs and r_candidates are required, and one of w_comments / w_candidates (to comment); a token
        without w_candidates still connects, and `permission_warnings` says what it cannot do.
        """
        await self._check_account()
        for scope, path in ((R_JOBS, "/members"), (R_CANDIDATES, "/candidates")):
            try:
                await self.api.get(path, {"limit": 1})
            except AuthError as exc:
                if exc.status != 403:
                    raise
                self.missing_scopes.add(scope)
            except AtsError as exc:
                if not_found(exc):
                    raise self._nowhere() from exc
                raise
        probes: tuple[tuple[str, str], ...] = ((W_COMMENTS, f"/candidates/{PROBE_ID}/comments"),
                                               (W_CANDIDATES, f"/jobs/{PROBE_ID}/candidates"))
        for scope, path in probes:
            if await self._refused(path, {}):
                self.missing_scopes.add(scope)
        lacking = [s for s in (R_JOBS, R_CANDIDATES) if s in self.missing_scopes]
        if {W_COMMENTS, W_CANDIDATES} <= self.missing_scopes:
            lacking.append(W_COMMENTS)
        if lacking:
            raise AuthError(f"Your Workable token lacks the {' and '.join(lacking)} scope"
                            f"{'s' if len(lacking) > 1 else ''}. {TOKEN_ADVICE}", status=403, provider=self.provider)

    @property
    def permission_warnings(self) -> list[str]:
        if W_CANDIDATES in self.missing_scopes:
            return ["w_candidates: hirebot cannot add candidates to Workable (comments still work)."]
        return []

    def supports(self, capability: Capability) -> bool:
        if capability is Capability.CREATE_CANDIDATES and W_CANDIDATES in self.missing_scopes:
            return False
        return super().supports(capability)

    async def _check_account(self) -> None:
        """`GET /accounts`: the accounts the token sees must include the subdomain; a bad token answers 401. A
        token without r_account may not read it (403), and a 404 is left to the next reads to explain."""
        try:
            reply = await self.api.get("/accounts")
        except AuthError as exc:
            if exc.status == 401:
                raise
            return
        except AtsError as exc:
            if not_found(exc):
                return  # the next reads tell a wrong address from a server without this endpoint
            raise
        known = [s for s in (as_text(a.get("subdomain")) for a in rows(as_mapping(reply.data).get("accounts")))
                 if s]
        if self.subdomain and known and self.subdomain.lower() not in {s.lower() for s in known}:
            raise ConfigError(f"This Workable token belongs to {', '.join(known)}, not {self.subdomain}: connect "
                              f"with --subdomain {known[0]}.")

    def _nowhere(self) -> ConfigError:
        return ConfigError(f"Workable has no API at {self.base_url}: check the subdomain (the NAME in "
                           "NAME.workable.com).")

    async def _refused(self, path: str, body: dict[str, Any]) -> bool:
        """Whether a write probe is refused for its scope (403). Anything else (a 404 for the made-up id, a
        422) means the scope is there; nothing is created because the target does not exist."""
        try:
            await self.api.post_action(path, body)
        except AuthError as exc:
            if exc.status == 401:
                raise
            return exc.status == 403
        except AtsError:
            return False
        log.warning("Workable accepted a scope check write to %s", path)
        return False

    # --- reading ------------------------------------------------------------------------------------

    async def candidate_batches(self, *, updated_since: datetime | None = None) -> AsyncIterator[CandidateBatch]:
        """One batch per list page (100 records). The list carries what a card needs, so no detail reads."""
        params = {"updated_after": iso(updated_since)} if updated_since is not None else {}
        mark = self.http.requests_sent
        async for page in self.api.pages("/candidates", params, "candidates"):
            yield self._batch(page, mark)
            mark = self.http.requests_sent

    async def fetch_candidates(self, remote_ids: Sequence[str]) -> CandidateBatch:
        """Re-read records by id with their full detail (tags, social profiles); an id Workable no longer
        has is absent from the batch."""
        mark = self.http.requests_sent
        found: list[dict[str, Any]] = []
        for remote_id in dict.fromkeys(str(rid).strip().split(":", 1)[0] for rid in remote_ids):
            if not remote_id:
                continue
            try:
                reply = await self.api.get(f"/candidates/{remote_id}")
            except AtsError as exc:
                if not_found(exc):
                    continue
                raise
            found.append(one(reply, "candidate", "candidate"))
        return self._batch(found, mark)

    async def list_jobs(self) -> list[Job]:
        """Every job, open ones (published) with their hiring team's member ids."""
        jobs: list[Job] = []
        async for page in self.api.pages("/jobs", {}, "jobs"):
            for row in page:
                team: tuple[str, ...] = ()
                shortcode = as_text(row.get("shortcode"))
                if shortcode and (as_text(row.get("state")) or "").lower() == OPEN_STATE:
                    team = await self._hiring_team(shortcode)
                job = to_job(row, team)
                if job is not None:
                    jobs.append(job)
        return jobs

    async def list_stages(self) -> list[JobInterviewStage]:
        reply = await self.api.get("/stages")
        stages = (to_stage(row, index) for index, row in enumerate(rows(as_mapping(reply.data).get("stages"))))
        return [stage for stage in stages if stage is not None]

    async def list_users(self) -> list[RemoteUser]:
        users: list[RemoteUser] = []
        async for page in self.api.pages("/members", {}, "members"):
            users.extend(user for user in map(to_user, page) if user)
        return users

    def candidate_url(self, remote_id: str) -> str:
        """The record's `profile_url` as Workable gave it (its numbers are not the API ids, so it cannot be
        built); for a record not read by this adapter, the account's Workable home."""
        remote_id = remote_id.split(":", 1)[0]
        known = self._links.get(remote_id)
        if known:
            return known
        return f"https://{self.subdomain}.workable.com/backend" if self.subdomain else self.base_url

    async def _hiring_team(self, shortcode: str) -> tuple[str, ...]:
        try:
            reply = await self.api.get(f"/jobs/{shortcode}/members")
        except AtsError as exc:
            if not_found(exc):
                return ()
            raise
        ids = (as_text(row.get("id")) for row in rows(as_mapping(reply.data).get("members")))
        return tuple(dict.fromkeys(i for i in ids if i))

    def _batch(self, page: Sequence[dict[str, Any]], mark: int) -> CandidateBatch:
        candidates: list[Candidate] = []
        applications: list[Application] = []
        for row in page:
            candidate, application = to_candidate(row), to_application(row)
            if candidate is None or application is None:
                continue
            candidates.append(candidate)
            applications.append(application)
            if candidate.url:
                self._remember(candidate.remote_id, candidate.url)
        return CandidateBatch(candidates=tuple(candidates), applications=tuple(applications),
                              requests=self.http.requests_sent - mark)

    def _remember(self, remote_id: str, url: str) -> None:
        self._links[remote_id] = url
        self._links.move_to_end(remote_id)
        while len(self._links) > REMEMBERED_LINKS:
            self._links.popitem(last=False)

    # --- writing (adapters/workable/writes.py) ------------------------------------------------------

    async def create_note(self, note: Note, *, acting_user_id: str | None = None) -> Note:
        """Comment on the candidate as the member `acting_user_id` (or the connection's member_id)."""
        return await self.writes.create_note(note, acting_user_id=acting_user_id)

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        """The candidate's comment holding `marker`, from its activity feed."""
        return await self.writes.find_note(candidate_remote_id, marker)

    async def create_candidate(self, candidate: Candidate, **options: Any) -> Candidate:
        """Add a sourced candidate on `job_remote_id` (a shortcode; the talent pool without one), tagged with
        `source_tag`, with `resume` as (filename, bytes[, content type]) uploaded as base64, or else a
        public `resume_url` Workable downloads; `stage_id` is a stage slug."""
        created = await self.writes.create_candidate(candidate, options)
        if created.url:
            self._remember(created.remote_id, created.url)
        return created

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        """The newest record with this email (`GET /candidates?email=`), or None."""
        found = await self.writes.find_candidate_by_email(email)
        if found is not None and found.url:
            self._remember(found.remote_id, found.url)
        return found

