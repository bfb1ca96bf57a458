"""Greenhouse through Harvest v3: OAuth client credentials, cursor pagination, children read in batches,
the writes the meeting automation needs, and the checks for Greenhouse's webhooks.

Harvest v1/v2 were switched off on 2026-08-31, so this adapter speaks only v3. v3 no longer embeds
applications or attachments in candidates, so each page of candidates is completed with one request
per 50 candidate ids per child resource rather than one request per candidate.

Writes act as a Greenhouse user: v3 has no On-Behalf-Of header, the acting user is the token's `sub`, so
a write for another user than the connection's own `sub` gets a token of its own (a few are cached).
A POST is never sent twice blindly (adapters/http.py); when its outcome is unknown, `find_note` and
`find_interview_by_external_id` tell whether it landed. The reference leaves several v3 write shapes
unconfirmed; each is built in one function below (`_note_body`, `_interview_body`, `_candidate_body`)
next to its route, so a correction touches one place (see docs/providers.md).

Webhooks: `verify_webhook_signature` checks `Signature: sha256 <hex>` over the raw body, and
`parse_webhook` turns a delivery into a provider-neutral `WebhookTrigger` to re-read through Harvest.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import mimetypes
import random
import string
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from adapters.base import AtsAdapter, Capability, ConnectionConfig
from adapters.errors import AtsError, AuthError, ConfigError, MalformedResponse
from adapters.http import AtsHttp, Clock, CredentialsRefused, JsonReply, RetryPolicy, Sleep
from adapters.models import (
    Application,
    ApplicationStatus,
    Attachment,
    AttachmentType,
    Candidate,
    CandidateBatch,
    ContactValue,
    Interview,
    Job,
    JobInterviewStage,
    Note,
    RemoteUser,
    ScheduledInterview,
)
from adapters.webhooks import WebhookTrigger

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://harvest.greenhouse.io"
DEFAULT_AUTH_URL = "https://auth.greenhouse.io/token"
DEFAULT_APP_URL = "https://app.greenhouse.io"
PAGE_SIZE = 500
IDS_PER_REQUEST = 50  # Harvest v3 caps `ids` and `*_ids` filters at 50 values
TOKEN_REFRESH_MARGIN = 60.0
DEFAULT_TOKEN_LIFETIME = 3600.0
CREDENTIALS_ADVICE = "check the client id/secret and the credential's scopes"

# `converted` marks a prospect application that became a candidate application: the new application
# is listed on its own, so the converted one is skipped rather than shown twice.
APPLICATION_STATUSES = {
    "in_process": ApplicationStatus.ACTIVE,
    "active": ApplicationStatus.ACTIVE,
    "rejected": ApplicationStatus.REJECTED,
    "hired": ApplicationStatus.HIRED,
}
SKIPPED_APPLICATION_STATUSES = frozenset({"converted"})
ATTACHMENT_TYPES = {"resume": AttachmentType.RESUME, "cover_letter": AttachmentType.COVER_LETTER}

# Writes. Routes are Harvest v3's (reference: notes and candidates documented, interviews unconfirmed).
NOTES_ROUTE = "/v3/notes"
CANDIDATES_ROUTE = "/v3/candidates"
INTERVIEWS_ROUTE = "/v3/interviews"
# Meeting notes are routine hiring-team information the hiring manager (often not an admin) must see, so
# they are public unless the connection's `note_visibility` setting says otherwise (create vocabulary).
NOTE_VISIBILITIES = ("public", "private", "admin_only")
DEFAULT_NOTE_VISIBILITY = "public"
SOURCE_TAG = "hirebot"
EMAIL_TYPES = ("personal", "work", "other")
PHONE_TYPES = ("home", "work", "mobile", "skype", "other")
WEBSITE_TYPES = ("personal", "company", "portfolio", "blog", "other")
SOCIAL_HOSTS = ("linkedin.", "twitter.", "x.com/", "github.", "facebook.", "instagram.")
CANDIDATE_OPTIONS = frozenset({"job_remote_id", "source", "tags", "resume", "acting_user_id", "source_tag",
                               "stage_id"})
# A new candidate may be answered with ids only while Greenhouse builds it: read it back on this schedule.
CANDIDATE_POLL_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
ACTING_TOKEN_CACHE = 16
SCOPE_ACTIONS = {"GET": "list", "POST": "create", "PATCH": "update", "DELETE": "destroy"}

# Webhooks
SIGNATURE_HEADER = "Signature"
EVENT_ID_HEADER = "Greenhouse-Event-ID"
APPLICATION_EVENTS = frozenset({
    "new_candidate_application", "new_prospect_application", "application_updated", "candidate_stage_change",
    "hire_candidate", "unhire_candidate", "reject_candidate", "unreject_candidate", "delete_application",
})


@dataclass(frozen=True)
class BearerToken:
    value: str = ""
    expires_at: float = 0.0


class GreenhouseTokens:
    """Client-credentials tokens, cached until a minute before expiry; concurrent callers share a refresh."""

    def __init__(self, http: AtsHttp, *, auth_url: str, client_id: str, client_secret: str,
                 user_id: str | None, clock: Clock) -> None:
        self._http = http
        self._auth_url = auth_url
        self._basic = (client_id, client_secret)
        self._user_id = user_id
        self._clock = clock
        self._token = BearerToken()
        self._lock = asyncio.Lock()
        self.issued = 0

    @property
    def user_id(self) -> str | None:
        """The Greenhouse user these tokens act as (None: Greenhouse's Integration Service User)."""
        return self._user_id

    async def current(self) -> str:
        if self._fresh(self._token):
            return self._token.value
        async with self._lock:
            if not self._fresh(self._token):
                self._token = await self._request_token()
            return self._token.value

    async def renew(self, rejected: str) -> str:
        """Replace a token the API refused, unless another caller already did."""
        async with self._lock:
            if self._token.value == rejected or not self._fresh(self._token):
                self._token = await self._request_token()
            return self._token.value

    def _fresh(self, token: BearerToken) -> bool:
        return bool(token.value) and self._clock() < token.expires_at - TOKEN_REFRESH_MARGIN

    async def _request_token(self) -> BearerToken:
        form = {"grant_type": "client_credentials"}
        if self._user_id:
            form["sub"] = self._user_id
        try:
            reply = await self._http.request_json("POST", self._auth_url, data=form, auth=self._basic,
                                                  idempotent=True, bucket="greenhouse-token")
        except AtsError as exc:
            if exc.status == 400 and self._user_id:
                raise AuthError(f"Greenhouse would not let hirebot act as user {self._user_id} "
                                f"({_reason(exc)}): check that this Greenhouse user id exists and is active.",
                                status=400,
                                provider="greenhouse") from exc
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                raise credentials_refused(exc) from exc
            raise
        self.issued += 1
        return self._parse(reply.data)

    def _parse(self, body: Any) -> BearerToken:
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponse("Greenhouse answered the token request without an access token.",
                                    provider="greenhouse")
        now = self._clock()
        expires_at = _when(body.get("expires_at"))
        if expires_at is not None:
            return BearerToken(token, expires_at.timestamp())
        lifetime = body.get("expires_in")
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) and lifetime > 0:
            return BearerToken(token, now + float(lifetime))
        return BearerToken(token, now + DEFAULT_TOKEN_LIFETIME)


def credentials_refused(exc: AtsError) -> AuthError:
    """The one sentence an admin sees when Greenhouse turns the credentials down."""
    detail = exc.detail if isinstance(exc, CredentialsRefused) else ""
    hint = CREDENTIALS_ADVICE
    if exc.status == 403:
        hint += ", and that the acting user (sub) is a Site Admin"
    return AuthError(f"Greenhouse refused the credentials: {hint} ({detail or f'HTTP {exc.status}'}).",
                     status=exc.status, provider="greenhouse")


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
        self.base_url = _api_root(config.base_url or DEFAULT_BASE_URL)
        self.app_url = str(settings.get("app_url") or DEFAULT_APP_URL).rstrip("/")
        self.http = AtsHttp(client, provider=self.provider, display_name=self.display_name, policy=policy,
                            sleep=sleep, clock=clock, rng=rng)
        user_id = settings.get("user_id")
        self._auth_url = str(settings.get("auth_url") or DEFAULT_AUTH_URL)
        self._client = (client_id, client_secret)
        self._clock = clock
        self._sleep = sleep
        self.tokens = self._new_tokens(str(user_id) if user_id not in (None, "") else None)
        self._acting: OrderedDict[str, GreenhouseTokens] = OrderedDict()
        visibility = str(settings.get("note_visibility") or DEFAULT_NOTE_VISIBILITY)
        if visibility not in NOTE_VISIBILITIES:
            raise ConfigError(f"Greenhouse note visibility must be one of {', '.join(NOTE_VISIBILITIES)}, "
                              f"not {visibility!r}.")
        self.note_visibility = visibility

    # --- public API -----------------------------------------------------------------------------

    async def validate(self) -> None:
        try:
            await self.tokens.current()
            reply = await self._get(self._url("/v3/users"), {"per_page": 1})
        except CredentialsRefused as exc:
            raise credentials_refused(exc) from exc
        _rows(reply, "/v3/users")

    async def candidate_batches(self, *, updated_since: datetime | None = None) -> AsyncIterator[CandidateBatch]:
        since = None if updated_since is None else _filter_time(updated_since)
        listed: set[str] = set()
        mark = self.http.requests_sent
        filters = {} if since is None else {"updated_at": f"gte|{since}"}
        async for rows in self._pages("/v3/candidates", filters):
            candidates = [candidate for candidate in map(self._candidate, rows) if candidate]
            batch = await self._complete(candidates, mark)
            if since is not None:
                listed.update(candidate.remote_id for candidate in candidates)
            yield batch
            mark = self.http.requests_sent
        if since is None:
            return
        # A candidate's updated_at may stay put when only an application changes: catch those too.
        async for rows in self._pages("/v3/applications", {"updated_at": f"gte|{since}"}):
            missed = [cid for cid in dict.fromkeys(_id(row.get("candidate_id")) for row in rows)
                      if cid and cid not in listed]
            listed.update(missed)
            for chunk in _chunks(missed, IDS_PER_REQUEST):
                batch = await self._complete(await self._read_candidates(chunk), mark)
                yield batch
                mark = self.http.requests_sent
        if self.http.requests_sent > mark:
            yield CandidateBatch(candidates=(), requests=self.http.requests_sent - mark)

    async def fetch_candidates(self, remote_ids: Sequence[str]) -> CandidateBatch:
        mark = self.http.requests_sent
        wanted = [rid for rid in dict.fromkeys(str(rid).strip() for rid in remote_ids) if rid.isdigit()]
        candidates: list[Candidate] = []
        for chunk in _chunks(wanted, IDS_PER_REQUEST):
            candidates.extend(await self._read_candidates(chunk))
        return await self._complete(candidates, mark)

    async def list_jobs(self) -> list[Job]:
        managers: dict[str, list[str]] = {}
        async for rows in self._pages("/v3/job_hiring_managers", {}):
            for row in rows:
                job_id, user_id = _id(row.get("job_id")), _id(row.get("user_id"))
                if job_id and user_id and user_id not in managers.setdefault(job_id, []):
                    managers[job_id].append(user_id)
        jobs: list[Job] = []
        async for rows in self._pages("/v3/jobs", {}):
            jobs.extend(job for job in (_job(row, managers) for row in rows) if job)
        return jobs

    async def list_stages(self) -> list[JobInterviewStage]:
        interviews: dict[str, list[Interview]] = {}
        async for rows in self._pages("/v3/job_interviews", {}):
            for row in rows:
                stage_id = _id(_first(row, "job_interview_stage_id", "job_stage_id", "stage_id"))
                interview = _interview(row)
                if stage_id and interview:
                    interviews.setdefault(stage_id, []).append(interview)
        stages: list[JobInterviewStage] = []
        async for rows in self._pages("/v3/job_interview_stages", {}):
            stages.extend(stage for stage in (_stage(row, interviews) for row in rows) if stage)
        return stages

    async def list_users(self) -> list[RemoteUser]:
        emails: dict[str, list[str]] = {}
        async for rows in self._pages("/v3/user_emails", {}):
            for row in rows:
                user_id, email = _id(row.get("user_id")), _text(_first(row, "email", "value", "email_address"))
                if user_id and email:
                    emails.setdefault(user_id, []).append(email)
        users: list[RemoteUser] = []
        async for rows in self._pages("/v3/users", {}):
            users.extend(user for user in (_user(row, emails) for row in rows) if user)
        return users

    def candidate_url(self, remote_id: str) -> str:
        return f"{self.app_url}/people/{remote_id}"

    # --- writing: notes -----------------------------------------------------------------------------

    async def create_note(self, note: Note, *, acting_user_id: str | None = None,
                          visibility: str | None = None) -> Note:
        """Log a note on the candidate's activity feed, written by the acting user (the token's `sub`).

        If Greenhouse's answer cannot be read, the note is looked up by its body before giving up, so a
        caller never has to guess whether it landed.
        """
        body = _note_body(note, author=_id(note.author_remote_id) or self._actor(acting_user_id),
                          visibility=visibility or self.note_visibility)
        try:
            reply = await self._write("POST", NOTES_ROUTE, body, acting_user_id,
                                      doing=f"add a note to candidate {note.candidate_remote_id}")
            created = _note(reply.data) if isinstance(reply.data, dict) else None
        except MalformedResponse:
            created = None
        if created is None:
            created = await self.find_note(note.candidate_remote_id, note.body)
        if created is None:
            raise AtsError("Greenhouse took the note but its answer could not be read, and the note is not "
                           "listed yet; check the candidate's activity feed before adding it again.",
                           provider=self.provider)
        return created

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        """The newest note on the candidate whose body contains `marker` (to check an unsure write)."""
        candidate_id = _int_id(candidate_remote_id, "candidate")
        async for rows in self._pages("/v3/notes", {"candidate_ids": candidate_id}):
            for row in rows:
                if marker in str(row.get("body") or ""):
                    return _note(row)
        return None

    # --- writing: scheduled interviews --------------------------------------------------------------

    async def create_interview(self, interview: ScheduledInterview, *, acting_user_id: str | None = None,
                               subject: str | None = None,
                               candidate_remote_id: str | None = None) -> ScheduledInterview:
        """Schedule an interview on the application; the acting user is its organizer.

        Without `interview_remote_id` the schedulable interview step of the application's current stage
        is used. `interviewer_ids` are Greenhouse user ids or email addresses (the organizer alone when
        empty); `external_event_id` (hirebot's stable id for the meeting) is required.
        """
        step = interview.interview_remote_id or await self._required_step(interview.application_remote_id)
        body = _interview_body(interview, organizer=self._actor(acting_user_id), job_interview_id=step)
        try:
            reply = await self._write("POST", INTERVIEWS_ROUTE, body, acting_user_id,
                                      doing=f"schedule an interview on application "
                                            f"{interview.application_remote_id}")
            created = _scheduled(reply.data, _panel_ids(body)) if isinstance(reply.data, dict) else None
        except MalformedResponse:
            created = None
        if created is None:
            created = await self.find_interview_by_external_id(
                str(interview.external_event_id), application_remote_id=interview.application_remote_id)
        if created is None:
            raise AtsError("Greenhouse took the interview but its answer could not be read, and it is not "
                           "listed yet; check the application before scheduling it again.",
                           provider=self.provider)
        return created

    async def update_interview(self, remote_id: str, interview: ScheduledInterview, *,
                               acting_user_id: str | None = None, subject: str | None = None,
                               candidate_remote_id: str | None = None) -> ScheduledInterview:
        """Move or change an interview hirebot scheduled (Greenhouse refuses others, with a clear error)."""
        body = _interview_body(interview, organizer=self._actor(acting_user_id), job_interview_id=None)
        reply = await self._write("PATCH", _interview_route(remote_id), body, acting_user_id,
                                  doing=f"update interview {remote_id}")
        updated = _scheduled(reply.data, _panel_ids(body)) if isinstance(reply.data, dict) else None
        return updated or replace(interview, remote_id=str(remote_id))

    async def delete_interview(self, remote_id: str, *, acting_user_id: str | None = None,
                               candidate_remote_id: str | None = None) -> None:
        """Cancel an interview hirebot scheduled. One that is already gone counts as deleted, so a retry
        after a lost answer succeeds."""
        try:
            await self._write("DELETE", _interview_route(remote_id), None, acting_user_id,
                              doing=f"delete interview {remote_id}")
        except AtsError as exc:
            if exc.status != 404:
                raise
            log.info("Greenhouse interview %s was already gone", remote_id)

    async def list_interviews(self, application_remote_id: str) -> list[ScheduledInterview]:
        """Every scheduled interview of an application, with its interviewers (user ids, else emails)."""
        filters = {"application_ids": _int_id(application_remote_id, "application")}
        rows = [row async for page in self._pages("/v3/interviews", filters) for row in page]
        return await self._with_panels(rows)

    async def find_interview_by_external_id(self, external_event_id: str, *,
                                            application_remote_id: str | None = None,
                                            candidate_remote_id: str | None = None
                                            ) -> ScheduledInterview | None:
        """The interview hirebot scheduled under `external_event_id`, if Greenhouse has it.

        With the application, its interviews are listed and matched here (works whatever filters v3
        supports); without, the `external_event_id` filter is used (v1 had it; v3's is unconfirmed).
        `candidate_remote_id` is accepted for the shared finder signature; Greenhouse interviews hang off
        applications, so it is not needed.
        """
        filters: dict[str, Any]
        if application_remote_id is not None:
            filters = {"application_ids": _int_id(application_remote_id, "application")}
        else:
            filters = {"external_event_id": external_event_id}
        async for rows in self._pages("/v3/interviews", filters):
            found = [row for row in rows if row.get("external_event_id") == external_event_id]
            if found:
                interviews = await self._with_panels(found[:1])
                return interviews[0] if interviews else None
        return None

    async def current_stage_interview(self, application_remote_id: str) -> Interview | None:
        """The interview step to schedule for an application: the first schedulable one of its current
        stage, or None when that stage has none (or the application is no longer in a stage)."""
        app = await self._application_row(application_remote_id)
        stage_id = _id(_first(app, "stage_id", "job_interview_stage_id"))
        if stage_id is None:
            return None
        filters = {"job_interview_stage_ids": stage_id}
        steps = [row async for page in self._pages("/v3/job_interviews", filters) for row in page]
        steps.sort(key=lambda row: (_order(row), _id(row.get("id")) or ""))
        for interview in map(_interview, steps):
            if interview is not None and interview.schedulable:
                return interview
        return None

    async def hiring_managers(self, job_remote_id: str) -> list[RemoteUser]:
        """The job's hiring managers as set in Greenhouse, with their email addresses."""
        filters = {"job_ids": _int_id(job_remote_id, "job")}
        ids = [_id(row.get("user_id")) async for page in self._pages("/v3/job_hiring_managers", filters)
               for row in page]
        wanted = list(dict.fromkeys(uid for uid in ids if uid))
        users = await self._read_users(wanted)
        return [users[uid] for uid in wanted if uid in users]

    # --- writing: candidates ------------------------------------------------------------------------

    async def create_candidate(self, candidate: Candidate, **options: Any) -> Candidate:
        """Add a person to Greenhouse with an application, tags, their LinkedIn and their resume.

        Options: `job_remote_id` (none: a prospect), `stage_id` (the job stage to start in, default its
        first), `source` (a numeric source id, or a name, which becomes a tag), `tags`, `resume` as
        (filename, bytes, content type or None), `acting_user_id`, `source_tag` (default "hirebot";
        None for none). Read the new candidate's application with
        `fetch_candidates`. While Greenhouse is still building the record it is read back a few times.
        """
        unknown = sorted(set(options) - CANDIDATE_OPTIONS)
        if unknown:
            raise TypeError(f"create_candidate() got unknown options: {', '.join(unknown)}")
        body = _candidate_body(candidate, job_id=options.get("job_remote_id"), stage_id=options.get("stage_id"),
                               source=options.get("source"),
                               tags=options.get("tags") or (), resume=options.get("resume"),
                               source_tag=options.get("source_tag", SOURCE_TAG))
        try:
            reply = await self._write("POST", CANDIDATES_ROUTE, body, options.get("acting_user_id"),
                                      doing="add the candidate")
        except MalformedResponse as exc:
            raise AtsError("Greenhouse took the new candidate but its answer could not be read; search "
                           "Greenhouse for them before adding them again.", provider=self.provider) from exc
        data = reply.data if isinstance(reply.data, dict) else {}
        remote_id = _id(data.get("id"))
        if remote_id is None:
            raise AtsError("Greenhouse took the new candidate but did not say its id; search Greenhouse for "
                           "them before adding them again.", provider=self.provider)
        created = self._candidate(data) if data.get("first_name") is not None else None
        return created or await self._built_candidate(remote_id, candidate, body)

    async def _built_candidate(self, remote_id: str, candidate: Candidate,
                               body: Mapping[str, Any]) -> Candidate:
        """Greenhouse answered with ids only while it builds the record: read it back until it is listed."""
        for delay in CANDIDATE_POLL_DELAYS:
            await self._sleep(delay)
            found = await self._read_candidates([remote_id])
            if found:
                return found[0]
        log.warning("Greenhouse candidate %s is still not listed; using what was sent", remote_id)
        return replace(candidate, remote_id=remote_id, url=self.candidate_url(remote_id),
                       tags=tuple(body.get("tags") or ()))

    # --- helpers for the writes ---------------------------------------------------------------------

    async def _required_step(self, application_remote_id: str) -> str:
        step = await self.current_stage_interview(application_remote_id)
        if step is None:
            # 422: the same request stays refused until someone moves the application on in Greenhouse.
            raise AtsError(f"Application {application_remote_id}'s current stage in Greenhouse has no "
                           "interview that can be scheduled; move it to an interview stage or pick the "
                           "interview.",
                           status=422, provider=self.provider)
        return step.remote_id

    async def _application_row(self, application_remote_id: str) -> dict[str, Any]:
        filters = {"ids": _int_id(application_remote_id, "application")}
        async for rows in self._pages("/v3/applications", filters):
            if rows:
                return rows[0]
        raise AtsError(f"Greenhouse has no application {application_remote_id}.", status=404,
                       provider=self.provider)

    async def _with_panels(self, rows: Sequence[dict[str, Any]]) -> list[ScheduledInterview]:
        panels: dict[str, list[str]] = {}
        ids = [iid for iid in dict.fromkeys(_id(row.get("id")) for row in rows) if iid]
        for chunk in _chunks(ids, IDS_PER_REQUEST):
            async for page in self._pages("/v3/interviewers", {"interview_ids": ",".join(chunk)}):
                for person in page:
                    who = _id(person.get("user_id")) or _text(person.get("email"))
                    interview_id = _id(person.get("interview_id"))
                    if who and interview_id:
                        panels.setdefault(interview_id, []).append(who)
        mapped = (_scheduled(row, tuple(panels.get(_id(row.get("id")) or "", ()))) for row in rows)
        return [interview for interview in mapped if interview]

    async def _read_users(self, ids: Sequence[str]) -> dict[str, RemoteUser]:
        emails: dict[str, list[str]] = {}
        users: dict[str, RemoteUser] = {}
        for chunk in _chunks(ids, IDS_PER_REQUEST):
            async for rows in self._pages("/v3/user_emails", {"user_ids": ",".join(chunk)}):
                for row in rows:
                    user_id = _id(row.get("user_id"))
                    email = _text(_first(row, "email", "value", "email_address"))
                    if user_id and email:
                        emails.setdefault(user_id, []).append(email)
            async for rows in self._pages("/v3/users", {"ids": ",".join(chunk)}):
                for user in (_user(row, emails) for row in rows):
                    if user:
                        users[user.remote_id] = user
        return users

    # --- reading --------------------------------------------------------------------------------

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        """The newest candidate Greenhouse has with this email address (to check an unsure create)."""
        found: list[Candidate] = []
        async for rows in self._pages("/v3/candidates", {"email": email.strip()}):
            found.extend(candidate for candidate in map(self._candidate, rows) if candidate)
        return max(found, key=lambda c: (c.created_at is not None, c.created_at, int(c.remote_id)), default=None)

    async def _read_candidates(self, ids: Sequence[str]) -> list[Candidate]:
        found: list[Candidate] = []
        async for rows in self._pages("/v3/candidates", {"ids": ",".join(ids)}):
            found.extend(candidate for candidate in map(self._candidate, rows) if candidate)
        return found

    async def _complete(self, candidates: list[Candidate], mark: int) -> CandidateBatch:
        """Attach the candidates' applications and attachments, read 50 candidate ids per request."""
        ids = [candidate.remote_id for candidate in candidates]
        wanted = set(ids)
        applications: list[Application] = []
        attachments: list[Attachment] = []
        for chunk in _chunks(ids, IDS_PER_REQUEST):
            filters = {"candidate_ids": ",".join(chunk)}
            async for rows in self._pages("/v3/applications", filters):
                applications.extend(app for app in map(_application, rows)
                                    if app and app.candidate_remote_id in wanted)
            async for rows in self._pages("/v3/attachments", filters):
                attachments.extend(item for item in map(_attachment, rows)
                                   if item and item.candidate_remote_id in wanted)
        return CandidateBatch(candidates=tuple(candidates), applications=tuple(applications),
                              attachments=tuple(attachments), requests=self.http.requests_sent - mark)

    async def _pages(self, path: str, filters: dict[str, Any]) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a list; follow-ups send only the cursor URL from the Link header, as given."""
        reply = await self._get(self._url(path), {**filters, "per_page": PAGE_SIZE})
        seen_links: set[str] = set()
        while True:
            yield _rows(reply, path)
            link = reply.next_url
            if not link:
                return
            if link in seen_links:
                raise MalformedResponse(f"Greenhouse repeated a page link while listing {path}.",
                                        provider=self.provider)
            seen_links.add(link)
            self._check_link(link, path)
            reply = await self._get(link, None)

    async def _get(self, url: str, params: dict[str, Any] | None) -> JsonReply:
        return await self._call("GET", url, params=params)

    async def _call(self, method: str, url: str, *, params: dict[str, Any] | None = None, body: Any = None,
                    acting_user_id: str | None = None) -> JsonReply:
        """One request with the acting user's bearer token; on a 401 get a new token once and try again
        (safe for writes too: a refused token means nothing was applied)."""
        tokens = self._tokens_for(acting_user_id)
        token = await tokens.current()
        try:
            return await self.http.request_json(method, url, params=params, json=body, headers=_bearer(token))
        except CredentialsRefused as exc:
            if exc.status != 401:
                raise self._forbidden(exc, method, url) from exc
            log.info("Greenhouse refused the access token; requesting a new one")
        token = await tokens.renew(token)
        try:
            return await self.http.request_json(method, url, params=params, json=body, headers=_bearer(token))
        except CredentialsRefused as exc:
            refused = credentials_refused(exc) if exc.status == 401 else self._forbidden(exc, method, url)
            raise refused from exc

    def _forbidden(self, exc: CredentialsRefused, method: str, url: str) -> AuthError:
        resource = _resource(url)
        action = SCOPE_ACTIONS.get(method, "list")
        detail = f" ({exc.detail})" if exc.detail else ""
        if method == "GET":
            advice = (f"Greenhouse refused access to {resource}: check that the credential has the "
                      f"harvest:{resource}:list scope and that the acting user (sub) is a Site Admin"
                      f"{detail}.")
        else:
            advice = (f"Greenhouse refused to {action} {resource}: check that the credential has the "
                      f"harvest:{resource}:{action} scope and that the acting user is active and allowed "
                      f"to do this{detail}.")
        return CredentialsRefused(advice, status=exc.status or 403, provider=self.provider, detail=exc.detail)

    def _new_tokens(self, user_id: str | None) -> GreenhouseTokens:
        client_id, client_secret = self._client
        return GreenhouseTokens(self.http, auth_url=self._auth_url, client_id=client_id,
                                client_secret=client_secret, user_id=user_id, clock=self._clock)

    def _tokens_for(self, acting_user_id: str | None) -> GreenhouseTokens:
        """Tokens are per `sub`: the connection's own, or a cached one per acting user."""
        sub = _id(acting_user_id)
        if sub is None or sub == self.tokens.user_id:
            return self.tokens
        tokens = self._acting.pop(sub, None) or self._new_tokens(sub)
        self._acting[sub] = tokens
        while len(self._acting) > ACTING_TOKEN_CACHE:
            self._acting.popitem(last=False)
        return tokens

    def _actor(self, acting_user_id: str | None) -> str | None:
        return _id(acting_user_id) or self.tokens.user_id

    async def _write(self, method: str, path: str, body: Any, acting_user_id: str | None, *,
                     doing: str) -> JsonReply:
        """A write; the provider's refusal (4xx) is reported with what hirebot was trying to do."""
        try:
            return await self._call(method, self._url(path), body=body, acting_user_id=acting_user_id)
        except AuthError:
            raise
        except AtsError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                raise AtsError(f"Greenhouse would not {doing} ({exc.status}): {_reason(exc)}.",
                               status=exc.status, retryable=False, provider=self.provider) from exc
            raise

    def _check_link(self, link: str, path: str) -> None:
        # The bearer token goes wherever the link points, so it must stay on the API's own host.
        target, home = httpx.URL(link), httpx.URL(self.base_url)
        if (target.scheme, target.host, target.port) != (home.scheme, home.host, home.port):
            raise MalformedResponse(f"Greenhouse sent a page link for {path} that leaves the API host.",
                                    provider=self.provider)

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _candidate(self, row: dict[str, Any]) -> Candidate | None:
        return _candidate(row, self.app_url)


# --- mapping: tolerant of nulls, missing keys and odd types -----------------------------------------


def _candidate(row: dict[str, Any], app_url: str) -> Candidate | None:
    remote_id = _id(row.get("id"))
    if remote_id is None:
        log.warning("Skipped a Greenhouse candidate without an id")
        return None
    links = _contacts(row.get("website_addresses")) + _contacts(row.get("social_media_addresses"), "social")
    return Candidate(
        remote_id=remote_id,
        first_name=_text(row.get("first_name")) or "",
        last_name=_text(row.get("last_name")) or "",
        preferred_name=_text(row.get("preferred_name")),
        company=_text(row.get("company")),
        title=_text(row.get("title")),
        emails=_contacts(row.get("email_addresses")),
        phones=_contacts(row.get("phone_numbers")),
        links=links,
        tags=_tags(row.get("tags")),
        created_at=_when(row.get("created_at")),
        updated_at=_when(row.get("updated_at")),
        url=f"{app_url}/people/{remote_id}",
    )


def _application(row: dict[str, Any]) -> Application | None:
    remote_id, candidate_id = _id(row.get("id")), _id(row.get("candidate_id"))
    raw_status = (_text(row.get("status")) or "").lower()
    if remote_id is None or candidate_id is None or raw_status in SKIPPED_APPLICATION_STATUSES:
        return None
    status = APPLICATION_STATUSES.get(raw_status, ApplicationStatus.ACTIVE)
    return Application(
        remote_id=remote_id,
        candidate_remote_id=candidate_id,
        job_remote_id=_id(row.get("job_id")),
        status=status,
        stage_remote_id=_id(_first(row, "stage_id", "job_interview_stage_id")),
        stage_name=_text(row.get("stage_name")),
        prospect=row.get("prospect") is True,
        created_at=_when(_first(row, "created_at", "applied_at")),
        updated_at=_when(row.get("updated_at")),
        rejected_at=_when(row.get("rejected_at")),
        hired_at=_when(row.get("hired_at")),
        recruiter_remote_id=_id(row.get("recruiter_id")),
    )


def _attachment(row: dict[str, Any]) -> Attachment | None:
    candidate_id, url = _id(row.get("candidate_id")), _text(row.get("url"))
    if candidate_id is None or url is None:
        return None
    kind = (_text(row.get("type")) or "").lower()
    return Attachment(
        candidate_remote_id=candidate_id,
        filename=_text(row.get("filename")) or "attachment",
        url=url,
        type=ATTACHMENT_TYPES.get(kind, AttachmentType.OTHER),
        application_remote_id=_id(row.get("application_id")),
        remote_id=_id(row.get("id")),
        created_at=_when(row.get("created_at")),
    )


def _job(row: dict[str, Any], managers: dict[str, list[str]]) -> Job | None:
    remote_id = _id(row.get("id"))
    if remote_id is None:
        return None
    return Job(remote_id=remote_id, name=_text(row.get("name")) or f"Job {remote_id}",
               status=(_text(row.get("status")) or "open").lower(),
               hiring_manager_ids=tuple(managers.get(remote_id, ())), updated_at=_when(row.get("updated_at")))


def _interview(row: dict[str, Any]) -> Interview | None:
    remote_id = _id(row.get("id"))
    if remote_id is None:
        return None
    minutes = row.get("estimated_minutes")
    schedulable = row.get("schedulable")
    if not isinstance(schedulable, bool) and isinstance(row.get("scheduling_type"), str):
        schedulable = row["scheduling_type"] == "needs_scheduling"  # v3 names the kind of step instead
    return Interview(remote_id=remote_id, name=_text(row.get("name")) or "Interview",
                     schedulable=schedulable is not False,
                     estimated_minutes=minutes if isinstance(minutes, int) and not isinstance(minutes, bool)
                     else None)


def _stage(row: dict[str, Any], interviews: dict[str, list[Interview]]) -> JobInterviewStage | None:
    remote_id = _id(row.get("id"))
    if remote_id is None:
        return None
    return JobInterviewStage(remote_id=remote_id, job_remote_id=_id(row.get("job_id")),
                             name=_text(row.get("name")) or f"Stage {remote_id}", sort_order=_order(row),
                             interviews=tuple(interviews.get(remote_id, ())))


def _user(row: dict[str, Any], emails: dict[str, list[str]]) -> RemoteUser | None:
    remote_id = _id(row.get("id"))
    if remote_id is None:
        return None
    primary = _text(_first(row, "primary_email", "primary_email_address"))
    everything = tuple(dict.fromkeys(e for e in (primary, *emails.get(remote_id, ())) if e))
    full_name = " ".join(p for p in (_text(row.get("first_name")), _text(row.get("last_name"))) if p)
    return RemoteUser(
        remote_id=remote_id,
        name=_text(row.get("name")) or full_name or primary or f"User {remote_id}",
        email=primary or (everything[0] if everything else None),
        emails=everything,
        is_admin=row.get("site_admin") is True,
        deactivated=row.get("deactivated") is True or row.get("disabled") is True,
        updated_at=_when(row.get("updated_at")),
    )


def _rows(reply: JsonReply, path: str) -> list[dict[str, Any]]:
    """A v3 list page is a bare array of objects; anything else means the page cannot be trusted."""
    data = reply.data
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise MalformedResponse(f"Greenhouse sent a page we could not read for {path} "
                                "(expected a list of records).", provider="greenhouse")
    return data


def _contacts(value: Any, default_type: str | None = None) -> tuple[ContactValue, ...]:
    if not isinstance(value, list):
        return ()
    found: list[ContactValue] = []
    for item in value:
        if isinstance(item, str):
            text, kind = _text(item), default_type
        elif isinstance(item, dict):
            text, kind = _text(item.get("value")), _text(item.get("type")) or default_type
        else:
            continue
        if text:
            found.append(ContactValue(value=text, type=kind))
    return tuple(found)


def _tags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    names = (_text(item.get("name")) if isinstance(item, dict) else _text(item) for item in value)
    return tuple(dict.fromkeys(name for name in names if name))


def _first(row: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if row.get(key) is not None:
            return row[key]
    return None


def _id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _filter_time(moment: datetime) -> str:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def _api_root(base_url: str) -> str:
    """Accept the base URL with or without a trailing /v3 (admins paste either)."""
    root = base_url.strip().rstrip("/")
    return root[: -len("/v3")] if root.endswith("/v3") else root


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


# --- write bodies: each v3 shape is built here and nowhere else (see docs/providers.md) ---------------


def _note_body(note: Note, *, author: str | None, visibility: str) -> dict[str, Any]:
    """`POST /v3/notes` (documented route; request field names are v3's read names, as the reference says)."""
    if visibility not in NOTE_VISIBILITIES:
        raise ValueError(f"note visibility must be one of {', '.join(NOTE_VISIBILITIES)}")
    body: dict[str, Any] = {"candidate_id": _int_id(note.candidate_remote_id, "candidate"), "body": note.body,
                            "visibility": visibility}
    if note.application_remote_id:
        body["application_id"] = _int_id(note.application_remote_id, "application")
    if author:
        body["user_id"] = _int_id(author, "user")
    return body


def _interview_route(remote_id: str) -> str:
    return f"{INTERVIEWS_ROUTE}/{_int_id(remote_id, 'interview')}"


def _interview_body(interview: ScheduledInterview, *, organizer: str | None,
                    job_interview_id: str | None) -> dict[str, Any]:
    """`POST /v3/interviews` (with `job_interview_id`) or `PATCH /v3/interviews/{id}` (without).

    Unconfirmed in the reference: v2's scheduled-interview body with v3's read names (`job_interview_id`
    for v2's `interview_id`, `starts_at`/`ends_at` for `start`/`end`), as the sandbox implements it.
    """
    if not interview.external_event_id:
        raise ValueError("a Greenhouse interview needs hirebot's external_event_id")
    body: dict[str, Any] = {
        "interviewers": _panel(interview.interviewer_ids, organizer),
        "starts_at": _api_time(interview.start), "ends_at": _api_time(interview.end),
        "external_event_id": interview.external_event_id, "location": interview.location,
        "video_conferencing_url": interview.video_url,
    }
    if job_interview_id is None:
        return body
    return {"application_id": _int_id(interview.application_remote_id, "application"),
            "job_interview_id": _int_id(job_interview_id, "interview step"), **body}


def _panel(people: Sequence[str], organizer: str | None) -> list[dict[str, Any]]:
    """Interviewers by user id or email; the organizer has accepted their own meeting, others are asked."""
    wanted = list(dict.fromkeys(p.strip() for p in people if p and p.strip()))
    if not wanted and organizer:
        wanted = [organizer]
    if not wanted:
        raise ValueError("a Greenhouse interview needs at least one interviewer")
    panel: list[dict[str, Any]] = []
    for person in wanted:
        status = "accepted" if person == organizer else "needs_action"
        if person.isdigit():
            panel.append({"user_id": int(person), "response_status": status})
        elif "@" in person:
            panel.append({"email": person, "response_status": status})
        else:
            raise ValueError(f"interviewer {person!r} is neither a Greenhouse user id nor an email address")
    return panel


def _panel_ids(body: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(p.get("user_id") or p.get("email")) for p in body.get("interviewers") or ())


def _candidate_body(candidate: Candidate, *, job_id: str | None, source: Any, tags: Sequence[str],
                    resume: Any, source_tag: str | None, stage_id: str | None = None) -> dict[str, Any]:
    """`POST /v3/candidates`: the reference's v1 create-candidate example translated to v3.

    v1's `applications[]` becomes v3's single nested `application` (a prospect without a job); the resume
    goes into that application's `attachments[]` as base64 `content` with `content_type`, as in v1;
    LinkedIn and other social profiles go to `social_media_addresses`, other links to `website_addresses`.
    A numeric `source` is the application's `source_id`; a source name becomes a tag, since v3 documents
    no list to look source names up in. The attachment and source fields are unconfirmed for v3.
    """
    numeric = isinstance(source, int) or (isinstance(source, str) and source.strip().isdigit())
    source_id = _id(source) if numeric else None
    source_name = _text(source) if source_id is None and isinstance(source, str) else None
    names = [*candidate.tags, *tags, source_name, source_tag]
    social = [link for link in candidate.links if _is_social(link)]
    body: dict[str, Any] = {
        "first_name": candidate.first_name, "last_name": candidate.last_name,
        "email_addresses": [{"value": e.value, "type": e.type if e.type in EMAIL_TYPES else "personal"}
                            for e in candidate.emails if e.value],
        "phone_numbers": [{"value": p.value, "type": _phone_type(p.type)}
                          for p in candidate.phones if p.value],
        "social_media_addresses": [{"value": link.value} for link in social],
        "website_addresses": [{"value": link.value,
                               "type": link.type if link.type in WEBSITE_TYPES else "personal"}
                              for link in candidate.links if link.value and link not in social],
        "tags": list(dict.fromkeys(n.strip() for n in names if n and n.strip())),
    }
    for key in ("preferred_name", "company", "title"):
        if getattr(candidate, key):
            body[key] = getattr(candidate, key)
    application: dict[str, Any] = {"job_id": _int_id(job_id, "job")} if job_id else {"prospect": True}
    if job_id and stage_id:
        application["initial_stage_id"] = _int_id(stage_id, "stage")
    if source_id:
        application["source_id"] = int(source_id)
    if resume:
        application["attachments"] = [_resume_attachment(resume)]
    body["application"] = application
    return body


def _resume_attachment(resume: Any) -> dict[str, Any]:
    try:
        filename, content, content_type = resume
    except (TypeError, ValueError) as exc:
        raise ValueError("resume must be (filename, bytes, content type or None)") from exc
    if not isinstance(content, bytes | bytearray) or not content or not str(filename or "").strip():
        raise ValueError("resume needs a file name and some bytes")
    kind = content_type or mimetypes.guess_type(str(filename))[0] or "application/octet-stream"
    return {"filename": str(filename).strip(), "type": "resume",
            "content": base64.b64encode(content).decode("ascii"), "content_type": kind}


def _is_social(link: ContactValue) -> bool:
    value = link.value.lower()
    return link.type == "social" or any(host in value for host in SOCIAL_HOSTS)


def _phone_type(kind: str | None) -> str:
    if kind in PHONE_TYPES:
        return kind
    return "mobile" if kind is None else "other"


def _api_time(moment: datetime) -> str:
    return _filter_time(moment)


def _reason(exc: AtsError) -> str:
    """Greenhouse's own words from a refusal ("Greenhouse rejected the request (422): <words>.")."""
    text = str(exc).strip().rstrip(".")
    return text.split(": ", 1)[1] if ": " in text else text


def _int_id(value: Any, what: str) -> int:
    """Harvest ids are integers; anything else is a caller's mistake, caught before it is sent."""
    text = _id(value)
    if text is None or not text.isdigit():
        raise ValueError(f"{value!r} is not a Greenhouse {what} id")
    return int(text)


# --- mapping written records ------------------------------------------------------------------------


def _note(row: Mapping[str, Any]) -> Note | None:
    remote_id, candidate_id = _id(row.get("id")), _id(row.get("candidate_id"))
    if remote_id is None or candidate_id is None:
        return None
    return Note(candidate_remote_id=candidate_id, body=str(row.get("body") or ""), remote_id=remote_id,
                application_remote_id=_id(row.get("application_id")),
                author_remote_id=_id(row.get("user_id")), created_at=_when(row.get("created_at")))


def _scheduled(row: Mapping[str, Any], panel: tuple[str, ...]) -> ScheduledInterview | None:
    """A v3 interview row; all-day interviews carry dates instead of times."""
    remote_id, application_id = _id(row.get("id")), _id(row.get("application_id"))
    start = _when(_first(dict(row), "starts_at", "all_day_start_on"))
    end = _when(_first(dict(row), "ends_at", "all_day_end_on"))
    if remote_id is None or application_id is None or start is None or end is None:
        return None
    return ScheduledInterview(application_remote_id=application_id, start=start, end=end,
                              interview_remote_id=_id(row.get("job_interview_id")), interviewer_ids=panel,
                              location=_text(row.get("location")),
                              video_url=_text(row.get("video_conferencing_url")),
                              external_event_id=_text(row.get("external_event_id")), remote_id=remote_id,
                              status=_text(row.get("status")) or "scheduled")


def _order(row: Mapping[str, Any]) -> int:
    order = _first(dict(row), "sort_order", "priority")
    return order if isinstance(order, int) and not isinstance(order, bool) else 0


def _resource(url: str) -> str:
    """`/v3/interviews/12` -> `interviews`: the resource a scope is named after."""
    parts = httpx.URL(url).path.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "v3" else parts[-1]


# --- webhooks -------------------------------------------------------------------------------------------


def verify_webhook_signature(raw_body: bytes, signature_header: str | None, secret: str) -> bool:
    """Greenhouse's check: `Signature: sha256 <hex>` is the HMAC-SHA256 of the exact raw body (the whole
    body, as sent, with Greenhouse's `\\u003c` escapes) keyed with the webhook's secret key.

    Compared in constant time; anything missing or malformed is simply not valid.
    """
    if not secret or not signature_header or not isinstance(raw_body, bytes | bytearray):
        return False
    algorithm, _, digest = signature_header.strip().partition(" ")
    digest = digest.strip().lower()
    if algorithm.lower() != "sha256" or len(digest) != 64 or not all(c in string.hexdigits for c in digest):
        return False
    expected = hmac.new(secret.encode("utf-8"), bytes(raw_body), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest)


def parse_webhook(raw_body: bytes) -> WebhookTrigger:
    """What a (verified) Greenhouse delivery asks hirebot to re-read. Raises ValueError for a body that is
    not a JSON object; an action hirebot has no use for gives a trigger with nothing to do."""
    try:
        message = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("The Greenhouse webhook body is not valid JSON.") from exc
    if not isinstance(message, dict):
        raise ValueError("The Greenhouse webhook body is not a JSON object.")
    action = message["action"] if isinstance(message.get("action"), str) else ""
    refresh, deleted = _webhook_candidates(action, _mapping(message.get("payload")))
    return WebhookTrigger(provider="greenhouse", event=action, candidate_ids=refresh,
                          deleted_candidate_ids=deleted, refresh_jobs=action.startswith("job_"))


def _webhook_candidates(action: str, payload: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(ids to re-read, ids deleted) for one action, per the payload shapes in Greenhouse's webhook docs.

    merge_candidate: `person.id` is the merged-away record and `person.new_candidate_id` the survivor
    (documented); a top-level `new_candidate_id` is accepted too.
    """
    if action in APPLICATION_EVENTS:
        application = _mapping(payload.get("application"))
        return _ids(_mapping(application.get("candidate")).get("id"), application.get("candidate_id")), ()
    if action == "update_candidate":
        return _ids(_mapping(payload.get("candidate")).get("id"), payload.get("candidate_id")), ()
    if action == "candidate_anonymized":
        return _ids(payload.get("candidate_id"), _mapping(payload.get("candidate")).get("id")), ()
    person = _mapping(payload.get("person"))
    if action == "delete_candidate":
        return (), _ids(person.get("id"), _mapping(payload.get("candidate")).get("id"))
    if action == "merge_candidate":
        return _ids(person.get("new_candidate_id"), payload.get("new_candidate_id")), _ids(person.get("id"))
    return (), ()


def _ids(*values: Any) -> tuple[str, ...]:
    """The first usable (numeric) id among the places a payload may carry it."""
    for value in values:
        text = _id(value)
        if text and text.isdigit():
            return (text,)
    return ()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
