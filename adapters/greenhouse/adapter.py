"""`GreenhouseAdapter`: the AtsAdapter for Harvest v3, built from a Harvest client and its tokens, with
the reads for sync here and the writes handed to `writes` and `interviews`."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import httpx

from adapters.base import AtsAdapter, Capability, ConnectionConfig
from adapters.errors import AtsError, ConfigError
from adapters.greenhouse import interviews, writes
from adapters.greenhouse.auth import DEFAULT_AUTH_URL, ActingTokens
from adapters.greenhouse.bodies import DEFAULT_NOTE_VISIBILITY, NOTE_VISIBILITIES
from adapters.greenhouse.candidates import complete, read_candidates
from adapters.greenhouse.client import DEFAULT_BASE_URL, IDS_PER_REQUEST, HarvestClient, api_root, chunks, page_rows
from adapters.greenhouse.fields import as_id, as_text, filter_time, first_of
from adapters.greenhouse.mapping import to_candidate, to_interview, to_job, to_stage, to_user
from adapters.greenhouse.refusals import credentials_refused
from adapters.http import AtsHttp, Clock, CredentialsRefused, RetryPolicy, Sleep
from adapters.models import (
    Candidate,
    CandidateBatch,
    Interview,
    Job,
    JobInterviewStage,
    Note,
    RemoteUser,
    ScheduledInterview,
)

DEFAULT_APP_URL = "https://app.greenhouse.io"


class GreenhouseAdapter(AtsAdapter):
    """Reads candidates, applications, attachments, jobs, stages and users from Harvest v3, and writes
    notes, scheduled interviews and new candidates.

    Connection settings: `user_id` (the token's `sub`; reads need a Site Admin), `auth_url`, `app_url`,
    `note_visibility` (public|private|admin_only, default public).
    """

    provider = "greenhouse"
    display_name = "Greenhouse"
    capabilities = frozenset({
        Capability.READ_CANDIDATES, Capability.READ_APPLICATIONS, Capability.READ_JOBS,
        Capability.READ_STAGES, Capability.READ_USERS, Capability.READ_ATTACHMENTS,
        Capability.INCREMENTAL_SYNC, Capability.LIST_JOBS, Capability.WRITE_NOTES,
        Capability.WRITE_INTERVIEWS, Capability.CREATE_CANDIDATES, Capability.WEBHOOKS,
    })

    def __init__(self, config: ConnectionConfig, client: httpx.AsyncClient, *,
                 policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep, clock: Clock = time.time,
                 rng: random.Random | None = None) -> None:
        super().__init__(config, client)
        client_id = str(config.credentials.get("client_id") or "").strip()
        client_secret = str(config.credentials.get("client_secret") or "").strip()
        if not client_id or not client_secret:
            raise ConfigError("Greenhouse needs a client id and client secret: create a \"Harvest V3 (OAuth)\" "
                              "credential in Greenhouse under Configure → Dev Center → API Credentials.")
        settings = config.settings
        self.base_url = api_root(config.base_url or DEFAULT_BASE_URL)
        self.app_url = str(settings.get("app_url") or DEFAULT_APP_URL).rstrip("/")
        self.http = AtsHttp(client, provider=self.provider, display_name=self.display_name, policy=policy,
                            sleep=sleep, clock=clock, rng=rng)
        user_id = settings.get("user_id")
        self.auth_url = str(settings.get("auth_url") or DEFAULT_AUTH_URL)
        # A test server or proxy as the API with Greenhouse's own token URL is usually a forgotten --auth-url.
        self.auth_url_assumed = not settings.get("auth_url") and self.base_url != api_root(DEFAULT_BASE_URL)
        acting = ActingTokens(self.http, auth_url=self.auth_url,
                              client_id=client_id, client_secret=client_secret,
                              user_id=str(user_id) if user_id not in (None, "") else None, clock=clock)
        self.tokens = acting.own
        self.harvest = HarvestClient(self.http, self.base_url, acting)
        self._sleep = sleep
        visibility = str(settings.get("note_visibility") or DEFAULT_NOTE_VISIBILITY)
        if visibility not in NOTE_VISIBILITIES:
            raise ConfigError(f"Greenhouse note visibility must be one of {', '.join(NOTE_VISIBILITIES)}, "
                              f"not {visibility!r}.")
        self.note_visibility = visibility

    # --- reading --------------------------------------------------------------------------------

    async def validate(self) -> None:
        try:
            await self.tokens.current()
        except AtsError as exc:  # CredentialsRefused included
            if self.auth_url_assumed:
                raise ConfigError(f"Could not get a Greenhouse token from {self.auth_url}, the default token URL: "
                                  f"{exc} With an API base URL of your own ({self.base_url}), also give that "
                                  "server's Token URL (--auth-url).") from exc
            if isinstance(exc, CredentialsRefused):
                raise credentials_refused(exc) from exc
            raise
        try:
            reply = await self.harvest.get(self.harvest.url("/v3/users"), {"per_page": 1})
        except CredentialsRefused as exc:
            raise credentials_refused(exc) from exc
        page_rows(reply, "/v3/users")

    async def candidate_batches(self, *, updated_since: datetime | None = None) -> AsyncIterator[CandidateBatch]:
        since = None if updated_since is None else filter_time(updated_since)
        listed: set[str] = set()
        mark = self.http.requests_sent
        filters = {} if since is None else {"updated_at": f"gte|{since}"}
        async for page in self.harvest.pages("/v3/candidates", filters):
            candidates = [candidate for candidate in map(self._candidate, page) if candidate]
            batch = await complete(self.harvest, candidates, mark)
            if since is not None:
                listed.update(candidate.remote_id for candidate in candidates)
            yield batch
            mark = self.http.requests_sent
        if since is None:
            return
        # A candidate's updated_at may stay put when only an application changes: catch those too.
        async for page in self.harvest.pages("/v3/applications", {"updated_at": f"gte|{since}"}):
            missed = [cid for cid in dict.fromkeys(as_id(row.get("candidate_id")) for row in page)
                      if cid and cid not in listed]
            listed.update(missed)
            for chunk in chunks(missed, IDS_PER_REQUEST):
                batch = await complete(self.harvest, await read_candidates(self.harvest, chunk, self.app_url), mark)
                yield batch
                mark = self.http.requests_sent
        if self.http.requests_sent > mark:
            yield CandidateBatch(candidates=(), requests=self.http.requests_sent - mark)

    async def fetch_candidates(self, remote_ids: Sequence[str]) -> CandidateBatch:
        mark = self.http.requests_sent
        wanted = [rid for rid in dict.fromkeys(str(rid).strip() for rid in remote_ids) if rid.isdigit()]
        candidates: list[Candidate] = []
        for chunk in chunks(wanted, IDS_PER_REQUEST):
            candidates.extend(await read_candidates(self.harvest, chunk, self.app_url))
        return await complete(self.harvest, candidates, mark)

    async def list_jobs(self) -> list[Job]:
        managers: dict[str, list[str]] = {}
        async for page in self.harvest.pages("/v3/job_hiring_managers", {}):
            for row in page:
                job_id, user_id = as_id(row.get("job_id")), as_id(row.get("user_id"))
                if job_id and user_id and user_id not in managers.setdefault(job_id, []):
                    managers[job_id].append(user_id)
        jobs: list[Job] = []
        async for page in self.harvest.pages("/v3/jobs", {}):
            jobs.extend(job for job in (to_job(row, managers) for row in page) if job)
        return jobs

    async def list_stages(self) -> list[JobInterviewStage]:
        steps: dict[str, list[Interview]] = {}
        async for page in self.harvest.pages("/v3/job_interviews", {}):
            for row in page:
                stage_id = as_id(first_of(row, "job_interview_stage_id", "job_stage_id", "stage_id"))
                interview = to_interview(row)
                if stage_id and interview:
                    steps.setdefault(stage_id, []).append(interview)
        stages: list[JobInterviewStage] = []
        async for page in self.harvest.pages("/v3/job_interview_stages", {}):
            stages.extend(stage for stage in (to_stage(row, steps) for row in page) if stage)
        return stages

    async def list_users(self) -> list[RemoteUser]:
        emails: dict[str, list[str]] = {}
        async for page in self.harvest.pages("/v3/user_emails", {}):
            for row in page:
                user_id, email = as_id(row.get("user_id")), as_text(first_of(row, "email", "value", "email_address"))
                if user_id and email:
                    emails.setdefault(user_id, []).append(email)
        users: list[RemoteUser] = []
        async for page in self.harvest.pages("/v3/users", {}):
            users.extend(user for user in (to_user(row, emails) for row in page) if user)
        return users

    def candidate_url(self, remote_id: str) -> str:
        return f"{self.app_url}/people/{remote_id}"

    def _candidate(self, row: dict[str, Any]) -> Candidate | None:
        return to_candidate(row, self.app_url)

    # --- writing: notes and candidates (adapters/greenhouse/writes.py) ---------------------------

    async def create_note(self, note: Note, *, acting_user_id: str | None = None,
                          visibility: str | None = None) -> Note:
        """Log a note on the candidate's activity feed, written by the acting user (the token's `sub`).

        If Greenhouse's answer cannot be read, the note is looked up by its body before giving up, so a
        caller never has to guess whether it landed.
        """
        return await writes.create_note(self.harvest, note, acting_user_id=acting_user_id,
                                        visibility=visibility or self.note_visibility)

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        """The newest note on the candidate whose body contains `marker` (to check an unsure write)."""
        return await writes.find_note(self.harvest, candidate_remote_id, marker)

    async def create_candidate(self, candidate: Candidate, **options: Any) -> Candidate:
        """Add a person to Greenhouse with an application, tags, their LinkedIn and their resume.

        Options: `job_remote_id` (none: a prospect), `stage_id` (the job stage to start in, default its
        first), `source` (a numeric source id, or a name, which becomes a tag), `tags`, `resume` as
        (filename, bytes, content type or None), `acting_user_id`, `source_tag` (default "hirebot";
        None for none). Read the new candidate's application with
        `fetch_candidates`. While Greenhouse is still building the record it is read back a few times.
        """
        return await writes.create_candidate(self.harvest, candidate, options, app_url=self.app_url,
                                             sleep=self._sleep)

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        """The newest candidate Greenhouse has with this email address (to check an unsure create)."""
        return await writes.find_candidate_by_email(self.harvest, email, self.app_url)

    # --- writing: scheduled interviews (adapters/greenhouse/interviews.py) -----------------------

    async def create_interview(self, interview: ScheduledInterview, *, acting_user_id: str | None = None,
                               subject: str | None = None,
                               candidate_remote_id: str | None = None) -> ScheduledInterview:
        """Schedule an interview on the application; the acting user is its organizer.

        Without `interview_remote_id` the schedulable interview step of the application's current stage
        is used. `interviewer_ids` are Greenhouse user ids or email addresses (the organizer alone when
        empty); `external_event_id` (hirebot's stable id for the meeting) is required.
        """
        return await interviews.create_interview(self.harvest, interview, acting_user_id=acting_user_id)

    async def update_interview(self, remote_id: str, interview: ScheduledInterview, *,
                               acting_user_id: str | None = None, subject: str | None = None,
                               candidate_remote_id: str | None = None) -> ScheduledInterview:
        """Move or change an interview hirebot scheduled (Greenhouse refuses others, with a clear error)."""
        return await interviews.update_interview(self.harvest, remote_id, interview, acting_user_id=acting_user_id)

    async def delete_interview(self, remote_id: str, *, acting_user_id: str | None = None,
                               candidate_remote_id: str | None = None) -> None:
        """Cancel an interview hirebot scheduled. One that is already gone counts as deleted, so a retry
        after a lost answer succeeds."""
        await interviews.delete_interview(self.harvest, remote_id, acting_user_id=acting_user_id)

    async def list_interviews(self, application_remote_id: str) -> list[ScheduledInterview]:
        """Every scheduled interview of an application, with its interviewers (user ids, else emails)."""
        return await interviews.list_interviews(self.harvest, application_remote_id)

    async def find_interview_by_external_id(self, external_event_id: str, *,
                                            application_remote_id: str | None = None,
                                            candidate_remote_id: str | None = None
                                            ) -> ScheduledInterview | None:
        """The interview hirebot scheduled under `external_event_id`, if Greenhouse has it.

        With the application, its interviews are listed and matched there (works whatever filters v3
        supports); without, the `external_event_id` filter is used (v1 had it; v3's is unconfirmed).
        `candidate_remote_id` is accepted for the shared finder signature; Greenhouse interviews hang off
        applications, so it is not needed.
        """
        return await interviews.find_interview_by_external_id(self.harvest, external_event_id,
                                                              application_remote_id=application_remote_id)

    async def current_stage_interview(self, application_remote_id: str) -> Interview | None:
        """The interview step to schedule for an application: the first schedulable one of its current
        stage, or None when that stage has none (or the application is no longer in a stage)."""
        return await interviews.current_stage_interview(self.harvest, application_remote_id)

    async def hiring_managers(self, job_remote_id: str) -> list[RemoteUser]:
        """The job's hiring managers as set in Greenhouse, with their email addresses."""
        return await interviews.hiring_managers(self.harvest, job_remote_id)
