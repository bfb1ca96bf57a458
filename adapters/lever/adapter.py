"""`LeverAdapter`: the AtsAdapter for Lever's Data API v1, built from a paced client, the sync reads and
the write helpers; the connect-time permission checks and the read methods are here."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import httpx

from adapters.base import AtsAdapter, Capability, ConnectionConfig
from adapters.errors import AuthError, ConfigError
from adapters.http import AtsHttp, Clock, RetryPolicy, Sleep
from adapters.lever.client import LeverClient, confidentiality, first_failure
from adapters.lever.fields import as_text, to_ms
from adapters.lever.mapping import to_user
from adapters.lever.pacing import DEFAULT_BURST, DEFAULT_RATE, RequestPacer
from adapters.lever.permissions import (
    CREATE_CANDIDATE_PERMISSION,
    KEY_ADVICE,
    OPTIONAL_PERMISSIONS,
    PermissionReport,
    permission_warnings,
)
from adapters.lever.probes import probe_permissions
from adapters.lever.reads import FETCH_CONCURRENCY, LIST_EXPANDS, OpportunityReads
from adapters.lever.regions import LEVER_BASE_URLS, app_url_for
from adapters.lever.remote_ids import split_remote_id
from adapters.lever.writes import LeverWrites
from adapters.models import Candidate, CandidateBatch, Job, JobInterviewStage, Note, RemoteUser, ScheduledInterview

log = logging.getLogger(__name__)


class LeverAdapter(AtsAdapter):
    """Syncs Lever opportunities as candidates, and writes panels and notes back with `perform_as`."""

    provider = "lever"
    display_name = "Lever"
    capabilities = frozenset({
        Capability.READ_CANDIDATES, Capability.READ_APPLICATIONS, Capability.READ_JOBS,
        Capability.READ_STAGES, Capability.READ_USERS, Capability.READ_ATTACHMENTS,
        Capability.INCREMENTAL_SYNC, Capability.WEBHOOKS, Capability.WRITE_NOTES,
        Capability.WRITE_INTERVIEWS, Capability.CREATE_CANDIDATES, Capability.LIST_JOBS,
    })

    def __init__(self, config: ConnectionConfig, client: httpx.AsyncClient, *,
                 policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep, clock: Clock = time.time,
                 rng: random.Random | None = None, pacer: RequestPacer | None = None) -> None:
        super().__init__(config, client)
        api_key = str(config.credentials.get("api_key") or "").strip()
        if not api_key:
            raise ConfigError("Lever needs an API key: create one under Settings > Integrations and API > "
                              "API Credentials in Lever.")
        settings = config.settings
        region = str(settings.get("region") or "us").lower()
        if region not in LEVER_BASE_URLS:
            raise ConfigError(f"Unknown Lever region {region!r}: use us, eu or sandbox.")
        self.base_url = (config.base_url or LEVER_BASE_URLS[region]).strip().rstrip("/")
        self.app_url = str(settings.get("app_url") or app_url_for(self.base_url, region)).rstrip("/")
        self.default_actor = as_text(settings.get("perform_as"))
        self.include_confidential = settings.get("include_confidential") in (True, "true", "1")
        self.sync_attachments = settings.get("sync_attachments") not in (False, "false", "0")
        self.http = AtsHttp(client, provider=self.provider, display_name=self.display_name, policy=policy,
                            sleep=sleep, clock=clock, rng=rng)
        self.pacer = pacer or RequestPacer(float(settings.get("requests_per_second") or DEFAULT_RATE),
                                           int(settings.get("burst") or DEFAULT_BURST), clock=clock, sleep=sleep)
        self.lever = LeverClient(client, self.http, base_url=self.base_url, api_key=api_key, pacer=self.pacer,
                                 sleep=sleep)
        self.reads = OpportunityReads(self.lever, app_url=self.app_url, sync_attachments=self.sync_attachments)
        self.writes = LeverWrites(self.lever, default_actor=self.default_actor, app_url=self.app_url,
                                  include_confidential=self.include_confidential)

    # --- connect-time checks ------------------------------------------------------------------------

    @property
    def optional_missing(self) -> tuple[str, ...]:
        """Optional permissions this key lacks, as far as known (after `validate()` or a degraded sync)."""
        return tuple(name for name in OPTIONAL_PERMISSIONS if name in self.lever.missing)

    @property
    def permission_warnings(self) -> list[str]:
        """Lines for the connect flow: each missing optional permission and what is lost without it."""
        return permission_warnings(self.optional_missing)

    def supports(self, capability: Capability) -> bool:
        if capability is Capability.CREATE_CANDIDATES and CREATE_CANDIDATE_PERMISSION in self.lever.missing:
            return False
        if capability is Capability.READ_ATTACHMENTS and {"list-opportunity-resumes",
                                                          "list-opportunity-files"} <= self.lever.missing:
            return False
        return super().supports(capability)

    async def validate(self) -> None:
        """Check the key, then the twelve documented permissions; name each missing one at connect time.

        Optional permissions the key lacks do not fail: they are in `optional_missing` afterwards, with a
        line each in `permission_warnings` for the connect flow to show.
        """
        report = await self.check_permissions()
        lacking = report.required_missing
        if lacking:
            raise AuthError(f"Your Lever key lacks: {', '.join(lacking)}. {KEY_ADVICE}", status=403,
                            provider=self.provider)
        for line in report.warnings():
            log.info("Lever key lacks optional %s", line)

    async def check_permissions(self) -> PermissionReport:
        """Probe each permission once (see adapters/lever/probes.py); a refused key raises AuthError."""
        return await probe_permissions(self.lever)

    # --- reading ------------------------------------------------------------------------------------

    async def candidate_batches(self, *, updated_since: datetime | None = None) -> AsyncIterator[CandidateBatch]:
        """One batch per page of opportunities (100), each opportunity a whole candidate."""
        params: dict[str, Any] = {"expand": list(LIST_EXPANDS), **confidentiality(self.include_confidential)}
        if updated_since is not None:
            params["updated_at_start"] = to_ms(updated_since)
        mark = self.http.requests_sent
        async for rows in self.lever.pages("/opportunities", params, "list-opportunities"):
            yield await self.reads.batch(rows, mark)
            mark = self.http.requests_sent

    async def fetch_candidates(self, remote_ids: Sequence[str]) -> CandidateBatch:
        """Re-read candidates by opportunity id; an id Lever no longer has is simply absent from the batch
        (as is a confidential one when this connection leaves confidential records out)."""
        mark = self.http.requests_sent
        wanted = [rid for rid in dict.fromkeys(str(rid).strip() for rid in remote_ids) if rid]
        gate = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def read(opportunity_id: str) -> dict[str, Any] | None:
            async with gate:
                return await self.reads.opportunity_or_none(opportunity_id)

        found = await first_failure(read(opportunity_id) for opportunity_id in wanted)
        rows = list({str(row["id"]): row for row in found
                     if row is not None and as_text(row.get("id")) and self._shown(row)}.values())
        return await self.reads.batch(rows, mark)

    async def list_jobs(self) -> list[Job]:
        """Lever postings; without list-postings, the postings seen on synced applications, by id."""
        return await self.reads.jobs(confidentiality(self.include_confidential))

    async def list_stages(self) -> list[JobInterviewStage]:
        """Lever's stages in pipeline order; without list-stages, the stages seen on synced candidates."""
        return await self.reads.stages()

    async def list_users(self) -> list[RemoteUser]:
        users: list[RemoteUser] = []
        async for rows in self.lever.pages("/users", {"includeDeactivated": "true"}, "list-users"):
            users.extend(user for user in map(to_user, rows) if user)
        return users

    def candidate_url(self, remote_id: str) -> str:
        """Lever's page for an opportunity: `{app}/candidates/{opportunityId}`.

        Synced candidates carry Lever's own `urls.show` in `Candidate.url`, which is the one to show;
        this builds the same link from an opportunity id (or an "opportunityId:itemId" compound id).
        """
        opportunity_id = split_remote_id(remote_id)[0] or remote_id.strip()
        return f"{self.app_url}/candidates/{opportunity_id}"

    def _shown(self, row: dict[str, Any]) -> bool:
        return self.include_confidential or row.get("confidentiality") != "confidential"

    # --- writing (adapters/lever/writes.py) ---------------------------------------------------------

    async def create_note(self, note: Note, *, acting_user_id: str | None = None) -> Note:
        """Add a note to the candidate's opportunity (`note.candidate_remote_id`)."""
        return await self.writes.create_note(note, acting_user_id=acting_user_id)

    async def delete_note(self, remote_id: str, *, acting_user_id: str | None = None,
                          candidate_remote_id: str | None = None) -> None:
        """Delete a note made through hirebot. `remote_id` is "opportunityId:noteId" as `create_note` returns."""
        await self.writes.delete_note(remote_id, acting_user_id=acting_user_id,
                                      candidate_remote_id=candidate_remote_id)

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        """The note on the opportunity whose text contains `marker`, if Lever has it (to check a note whose
        answer was lost before sending it again). Needs the key's list-opportunity-notes permission."""
        return await self.writes.find_note(candidate_remote_id, marker)

    async def create_interview(self, interview: ScheduledInterview, *, acting_user_id: str | None = None,
                               subject: str | None = None, note: str | None = None,
                               candidate_remote_id: str | None = None) -> ScheduledInterview:
        """Schedule a panel on an opportunity.

        Lever keeps panels on the opportunity (our candidate). Pass its id as `candidate_remote_id` with
        the application's id in `interview.application_remote_id` (the panel is then linked to that
        application); or leave `candidate_remote_id` out when `application_remote_id` already is an
        opportunity id, as a lead's prospect application is.
        """
        return await self.writes.create_interview(interview, acting_user_id=acting_user_id, subject=subject,
                                                  note=note, candidate_remote_id=candidate_remote_id)

    async def update_interview(self, remote_id: str, interview: ScheduledInterview, *,
                               acting_user_id: str | None = None, subject: str | None = None,
                               note: str | None = None, candidate_remote_id: str | None = None
                               ) -> ScheduledInterview:
        """Replace a panel hirebot created (Lever only lets the API change panels it created)."""
        return await self.writes.update_interview(remote_id, interview, acting_user_id=acting_user_id,
                                                  subject=subject, note=note,
                                                  candidate_remote_id=candidate_remote_id)

    async def delete_interview(self, remote_id: str, *, acting_user_id: str | None = None,
                               candidate_remote_id: str | None = None) -> None:
        """Delete a panel hirebot created. One that is already gone counts as deleted, so a retry after a
        lost answer succeeds."""
        await self.writes.delete_interview(remote_id, acting_user_id=acting_user_id,
                                           candidate_remote_id=candidate_remote_id)

    async def find_interview_by_external_id(self, external_event_id: str, *,
                                            application_remote_id: str | None = None,
                                            candidate_remote_id: str | None = None
                                            ) -> ScheduledInterview | None:
        """The panel hirebot made for the meeting `external_event_id` (its calendar UID, or a URL), if Lever
        has it: to check a panel whose answer was lost before making it again.

        Panels live on the opportunity (`candidate_remote_id`, else the one an "opportunityId:applicationId"
        or a lead's application id names). hirebot marks its panels: a URL goes to `externalUrl`, anything
        else to a `[hirebot:<id>]` line at the end of the panel's note; either is matched.
        """
        return await self.writes.find_interview_by_external_id(external_event_id,
                                                               application_remote_id=application_remote_id,
                                                               candidate_remote_id=candidate_remote_id)

    async def create_candidate(self, candidate: Candidate, **options: Any) -> Candidate:
        """Create an opportunity for a person (reusing their Lever contact when the email is known); the
        returned candidate's `remote_id` is the new opportunity's id.

        Options: `acting_user_id` (required by Lever, or the connection's `perform_as` setting),
        `job_remote_id` / `posting_id`, `source` or `source_tag` (added as a Lever source and a tag), `tags`,
        `resume` as (filename, bytes) or (filename, bytes, content type or None) as Greenhouse takes it,
        `origin` (default "sourced"), `owner_id`, `stage_id`.
        Needs the key's create-opportunity permission, beyond the twelve hirebot asks for.
        """
        return await self.writes.create_candidate(candidate, options)

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        """The newest opportunity of the person with this email, as a candidate, or None: to check whether
        a candidate hirebot added (and heard nothing back about) is in Lever before adding them again."""
        return await self.writes.find_candidate_by_email(email)
