"""`FreshteamAdapter`: the AtsAdapter for Freshteam, read-only because Freshworks is closing Freshteam.

It reads candidates, their applicants (stage and sub-stage per job), job postings, resumes and employees
(to map chat people); it writes nothing back, so every write answers NotSupported (see policy.py for what
the organizer is told).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import datetime

import httpx

from adapters.base import AtsAdapter, Capability, ConnectionConfig
from adapters.errors import AtsError, ConfigError
from adapters.freshteam.accounts import app_url, bare_domain, default_base_url
from adapters.freshteam.client import AccountUnavailable, FreshteamClient, FreshteamHttp
from adapters.freshteam.mapping import StageRules, to_user
from adapters.freshteam.pacing import MinutePacer
from adapters.freshteam.reads import CandidateReads
from adapters.http import Clock, RetryPolicy, Sleep
from adapters.models import CandidateBatch, Job, JobInterviewStage, RemoteUser

# A 429 without Retry-After: back off about a minute, as the reference says open-source clients do.
RATE_LIMITED_WAIT = 60.0


class FreshteamAdapter(AtsAdapter):
    """Reads one Freshteam account with an admin's API key; writes nothing."""

    provider = "freshteam"
    display_name = "Freshteam"
    capabilities = frozenset({
        Capability.READ_CANDIDATES, Capability.READ_APPLICATIONS, Capability.READ_JOBS, Capability.READ_USERS,
        Capability.READ_ATTACHMENTS, Capability.INCREMENTAL_SYNC, Capability.LIST_JOBS,
    })

    def __init__(self, config: ConnectionConfig, client: httpx.AsyncClient, *,
                 policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep, clock: Clock = time.time,
                 rng: random.Random | None = None, pacer: MinutePacer | None = None) -> None:
        super().__init__(config, client)
        api_key = str(config.credentials.get("api_key") or "").strip()
        if not api_key:
            raise ConfigError("Freshteam needs an API key: each user finds theirs under Profile > API Settings > "
                              "Your API Key in Freshteam (use an admin's).")
        domain = str(config.settings.get("domain") or "").strip()
        if not domain:
            raise ConfigError("Freshteam needs the account's domain: acme for https://acme.freshteam.com.")
        self.domain = bare_domain(domain)
        self.base_url = (config.base_url or default_base_url(self.domain)).strip().rstrip("/")
        self.app_url = app_url(self.domain)
        policy = policy or RetryPolicy()
        if policy.rate_limit_wait is None:
            policy = replace(policy, rate_limit_wait=RATE_LIMITED_WAIT)
        self.http = FreshteamHttp(client, provider=self.provider, display_name=self.display_name, policy=policy,
                                  sleep=sleep, clock=clock, rng=rng)
        self.pacer = pacer or MinutePacer(clock=clock, sleep=sleep)
        self.freshteam = FreshteamClient(self.http, base_url=self.base_url, api_key=api_key, pacer=self.pacer)
        self.reads = CandidateReads(self.freshteam, app_url=self.app_url,
                                    rules=StageRules.from_settings(config.settings))
        self.permission_warnings: list[str] = []

    async def validate(self) -> None:
        """One cheap read each of candidates and job postings (required), then employees (without them the
        connection works, but organizers are not matched to Freshteam users: a warning)."""
        for path in ("/candidates", "/job_postings"):
            await self.freshteam.get(path, {"page": 1, "per_page": 1})
        try:
            await self.freshteam.get("/employees", {"page": 1, "per_page": 1})
        except AccountUnavailable:
            raise
        except AtsError as exc:
            if exc.status not in (403, 404):
                raise
            self.permission_warnings = [f"employees: {exc} Without them, organizers are not matched to "
                                        "Freshteam users."]

    def candidate_batches(self, *, updated_since: datetime | None = None) -> AsyncIterator[CandidateBatch]:
        """One batch per page of candidates (50), each with every application and resume it has."""
        return self.reads.batches(updated_since)

    async def fetch_candidates(self, remote_ids: Sequence[str]) -> CandidateBatch:
        return await self.reads.fetch(remote_ids)

    async def list_jobs(self) -> list[Job]:
        return await self.reads.jobs()

    async def list_stages(self) -> list[JobInterviewStage]:
        """Freshteam has no stage list: the stages seen on applicants so far (none before a sync)."""
        return self.reads.seen_stages()

    async def list_users(self) -> list[RemoteUser]:
        users: dict[str, RemoteUser] = {}
        async for rows in self.freshteam.pages("/employees"):
            for row in rows:
                user = to_user(row)
                if user is not None:
                    users.setdefault(user.remote_id, user)
        return list(users.values())

    def candidate_url(self, remote_id: str) -> str:
        """The account's hiring home: the candidate's own page path is unconfirmed, and without their
        applications there is no job to link (synced candidates link their job, see mapping.py)."""
        return f"{self.app_url}/hire"
