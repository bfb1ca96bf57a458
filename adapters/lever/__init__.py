"""Lever through its Data API v1: the read path for sync, the panel and note write path, and webhook checks.

Data model. Lever keeps a person (contact) apart from each of their candidacies (opportunities); an
opportunity has 0..n applications (links to postings). Following the reference, the **opportunity id is
our candidate key** (Lever's UI calls opportunities "candidates", legacy candidate ids equal opportunity
ids, deep links and webhooks carry opportunity ids). So:
- each opportunity is one normalized `Candidate` (`remote_id` = opportunity id, `url` = its `urls.show`,
  names, emails, phones, links and tags from the opportunity);
- each of its applications is an `Application` (`remote_id` = application id, job = the posting), with
  the opportunity's stage and archive state: archived with a reason of type "hired" → HIRED, otherwise
  archived → REJECTED, both dated `archivedAt`; not archived → ACTIVE;
- an opportunity without an application (a lead) gets one prospect `Application` whose `remote_id` is
  the opportunity id, so a lead's stage and archive state still reach the card;
- resumes become RESUME attachments, files named like a cover letter COVER_LETTER, other files OTHER.
Two opportunities of one contact are two candidate records with the same email; hirebot's core merges
records of one person by email, so siblings are not re-read here. Each batch carries its candidates whole.

Requests. The opportunities list expands `applications` and `stage` (the two references it would
otherwise take a request per opportunity to resolve); `owner` and `contact` are left as ids because
nothing would be saved by expanding them (users are read once per sync, contact fields are mirrored on
the opportunity) and they would only make pages heavier. Resumes and files have no bulk endpoint, so they
cost two requests per opportunity, sent a few at a time. Requests are paced on our side (Lever documents
10 requests/s per key and sends no rate-limit headers) and go through adapters.http for retries. Writes
use `perform_as` as a query parameter.

Permissions. Lever keys can be limited to selected endpoints. `DOCUMENTED_PERMISSIONS` are the twelve
admins are told to grant; `validate()` insists on exactly those and names each one missing. The reads in
`OPTIONAL_PERMISSIONS` make a sync richer, and without them it degrades instead of failing:
- no list-postings → jobs are named "Lever posting <id>" and never claimed open (an application only
  carries its posting's id); each batch lists the postings it introduced in `extra["jobs"]`, and
  `list_jobs` returns the ones seen so far;
- no list-stages → the stage list holds the stages seen on candidates (each candidate's stage name comes
  from `expand=stage` anyway);
- no list-archive-reasons → every archived candidate is REJECTED, since Lever does not otherwise say
  whether a reason means hired;
- no list-opportunity-resumes / list-opportunity-files → those attachments are skipped.
Creating candidates needs `create-opportunity`; checking a note whose answer was lost needs
`list-opportunity-notes` (without it such a note is parked for an admin, never sent twice). After
`validate()`, `optional_missing` and `permission_warnings` (one line per missing optional permission) are
there for the connect flow.

Unsure writes. When a write's answer is lost (a timeout), the outbox looks it up before trying again:
`find_note` by the marker at the end of the note, `find_interview_by_external_id` by the meeting's calendar
UID, which panels carry as a `[hirebot:<uid>]` last line of their note (a URL goes to `externalUrl`),
and `find_candidate_by_email` by email. Each returns remote ids in the form the create call returns.

`check_permissions()` probes each permission without creating anything: reads ask for one item, writes
target an id that cannot exist, so a granted permission answers 404 (or 400) and a missing one 403.
Limit: this relies on Lever checking permissions before looking the record up, as the sandbox does; were
it the other way round, a missing write permission would surface as a 403 on first use (with the
permission named) instead of at connect time. An optional permission that was not
probed is discovered on its first 403 and not asked for again by that adapter.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx

from adapters.base import AtsAdapter, Capability, ConnectionConfig
from adapters.errors import AtsError, AuthError, ConfigError, MalformedResponse, RateLimited
from adapters.http import AtsHttp, Clock, CredentialsRefused, JsonReply, RetryPolicy, Sleep, provider_message
from adapters.models import (
    Application,
    ApplicationStatus,
    Attachment,
    AttachmentType,
    Candidate,
    CandidateBatch,
    ContactValue,
    Job,
    JobInterviewStage,
    Note,
    RemoteUser,
    ScheduledInterview,
)
from adapters.webhooks import WebhookTrigger

log = logging.getLogger(__name__)
_T = TypeVar("_T")

LEVER_BASE_URLS = {
    "us": "https://api.lever.co/v1",
    "eu": "https://api.eu.lever.co/v1",
    "sandbox": "https://api.sandbox.lever.co/v1",
}
LEVER_APP_URLS = {
    "us": "https://hire.lever.co",
    "eu": "https://hire.eu.lever.co",
    "sandbox": "https://hire.sandbox.lever.co",
}

# The twelve permissions admins are told to grant (issue 3); a key with exactly these passes validate().
DOCUMENTED_PERMISSIONS = (
    "read-opportunity", "read-opportunity-panel", "read-candidate", "list-users", "list-opportunities",
    "list-opportunity-panels", "list-candidates", "create-opportunity-panel", "update-opportunity-panel",
    "delete-opportunity-panel", "create-opportunity-note", "delete-opportunity-note",
)
REQUIRED_PERMISSIONS = DOCUMENTED_PERMISSIONS
CREATE_CANDIDATE_PERMISSION = "create-opportunity"
NOTE_LOOKUP_PERMISSION = "list-opportunity-notes"
# Permission → what hirebot loses without it (one line each, for the connect flow's warning).
OPTIONAL_PERMISSIONS: dict[str, str] = {
    "list-postings": "jobs show as \"Lever posting <id>\" and \"open jobs\" lists nothing from Lever",
    "list-stages": "no full stage list (each candidate's current stage name still shows)",
    "list-archive-reasons": "hired candidates show as rejected (Lever only says they were archived)",
    "list-opportunity-resumes": "resumes are not synced (company comes from the headline instead)",
    "list-opportunity-files": "other files, such as cover letters, are not synced",
    CREATE_CANDIDATE_PERMISSION: "adding candidates to Lever from chat is off",
    NOTE_LOOKUP_PERMISSION: ("when Lever does not answer while a note is saved, hirebot cannot check whether it "
                             "landed, so that note waits for an admin instead of being sent again"),
}
SYNC_PERMISSIONS = tuple(name for name in OPTIONAL_PERMISSIONS
                         if name not in (CREATE_CANDIDATE_PERMISSION, NOTE_LOOKUP_PERMISSION))
KEY_ADVICE = ("Ask a Lever Super Admin to edit the key under Settings > Integrations and API > "
              "API Credentials and tick them.")

PAGE_SIZE = 100
ATTACHMENT_CONCURRENCY = 8
FETCH_CONCURRENCY = 4
PROBE_CONCURRENCY = 6
# An id no Lever record can have: write probes aimed at it can never change anything.
PROBE_ID = "00000000-0000-0000-0000-000000000000"
DEFAULT_RATE = 9.5  # requests/s: just under Lever's 10/s, so our pacing and theirs never disagree
DEFAULT_BURST = 10
LIST_EXPANDS = ("applications", "stage")
DEFAULT_SUBJECT = "Interview scheduled with hirebot"
HIRED_ARCHIVE_TYPE = "hired"
POSTING_STATUS = {"published": "open", "internal": "open", "closed": "closed", "rejected": "closed",
                  "draft": "draft", "pending": "draft"}
UNKNOWN_POSTING_STATUS = "unknown"  # without list-postings: never claimed open
REMOTE_ID_SEPARATOR = ":"


# -- values the webhook endpoint, the connect flow and the scheduler use -------------------------------


@dataclass(frozen=True)
class PermissionReport:
    """Which of the permissions hirebot probes a key has."""

    granted: frozenset[str]
    missing: frozenset[str]

    def lacking(self, wanted: Iterable[str]) -> list[str]:
        return [name for name in wanted if name in self.missing]

    @property
    def required_missing(self) -> tuple[str, ...]:
        """Missing documented permissions, in the documented order: the key is refused."""
        return tuple(self.lacking(DOCUMENTED_PERMISSIONS))

    @property
    def optional_missing(self) -> tuple[str, ...]:
        """Missing optional permissions: the connection works, with less (see `warnings`)."""
        return tuple(self.lacking(OPTIONAL_PERMISSIONS))

    def warnings(self) -> list[str]:
        return permission_warnings(self.optional_missing)


def permission_warnings(missing: Iterable[str]) -> list[str]:
    """One line per missing optional permission: its name and what hirebot cannot do without it."""
    return [f"{name}: {OPTIONAL_PERMISSIONS[name]}." for name in missing if name in OPTIONAL_PERMISSIONS]


# -- pacing ------------------------------------------------------------------------------------------------


class RequestPacer:
    """Client-side rate limit (GCRA): `rate` requests/s with bursts of `burst`, without a lock.

    Each caller reserves its slot before awaiting, so concurrent tasks on one loop never overlap, and
    an injected sleep that does not advance the clock cannot make it spin.
    """

    def __init__(self, rate: float, burst: int, *, clock: Clock, sleep: Sleep) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self.waited = 0.0

    async def wait(self) -> None:
        now = self._clock()
        arrival = max(self._next, now)
        start = arrival - self.tolerance
        self._next = arrival + self.interval
        if start > now:
            self.waited += start - now
            await self._sleep(start - now)


# -- the adapter -----------------------------------------------------------------------------------------


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
        self.app_url = str(settings.get("app_url") or _app_url_for(self.base_url, region)).rstrip("/")
        self.default_actor = _text(settings.get("perform_as"))
        self.include_confidential = settings.get("include_confidential") in (True, "true", "1")
        self.sync_attachments = settings.get("sync_attachments") not in (False, "false", "0")
        self._auth = (api_key, "")
        self._sleep = sleep
        self.http = AtsHttp(client, provider=self.provider, display_name=self.display_name, policy=policy,
                            sleep=sleep, clock=clock, rng=rng)
        self.pacer = pacer or RequestPacer(float(settings.get("requests_per_second") or DEFAULT_RATE),
                                           int(settings.get("burst") or DEFAULT_BURST), clock=clock, sleep=sleep)
        self._missing: set[str] = set()  # optional permissions known to be missing: not asked for again
        self._archive_types: dict[str, str] | None = None
        self._unknown_reasons: set[str] = set()
        self._postings_seen: dict[str, str | None] = {}  # posting id → its name when Lever sent one
        self._stages_seen: dict[str, str] = {}

    # --- connect-time checks ------------------------------------------------------------------------

    @property
    def optional_missing(self) -> tuple[str, ...]:
        """Optional permissions this key lacks, as far as known (after `validate()` or a degraded sync)."""
        return tuple(name for name in OPTIONAL_PERMISSIONS if name in self._missing)

    @property
    def permission_warnings(self) -> list[str]:
        """Lines for the connect flow: each missing optional permission and what is lost without it."""
        return permission_warnings(self.optional_missing)

    def supports(self, capability: Capability) -> bool:
        if capability is Capability.CREATE_CANDIDATES and CREATE_CANDIDATE_PERMISSION in self._missing:
            return False
        if capability is Capability.READ_ATTACHMENTS and {"list-opportunity-resumes",
                                                          "list-opportunity-files"} <= self._missing:
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
        """Probe each permission once (see the module docstring); a refused key raises AuthError."""
        gate = asyncio.Semaphore(PROBE_CONCURRENCY)

        async def probe(name: str) -> tuple[str, bool]:
            async with gate:
                return name, await self._probe(name)

        first = "list-users"  # probed alone first, so a wrong key fails fast with one request
        results = [(first, await self._probe(first))]
        names = [n for n in (*DOCUMENTED_PERMISSIONS, *OPTIONAL_PERMISSIONS) if n != first]
        results += await _first_failure(probe(name) for name in names)
        report = PermissionReport(granted=frozenset(n for n, ok in results if ok),
                                  missing=frozenset(n for n, ok in results if not ok))
        self._missing = (self._missing - report.granted) | set(report.optional_missing)
        return report

    async def _probe(self, permission: str) -> bool:
        method, path, params, body = PERMISSION_PROBES[permission]
        try:
            await self._send(method, path, params=params, json_body=body, permission=None)
        except CredentialsRefused as exc:
            if exc.status == 401:
                raise self._key_refused(exc) from exc
            return False
        except AtsError as exc:
            if exc.status in (400, 404, 409, 422):  # got past the permission check: it is granted
                return True
            raise
        return True

    # --- reading ------------------------------------------------------------------------------------

    async def candidate_batches(self, *, updated_since: datetime | None = None) -> AsyncIterator[CandidateBatch]:
        """One batch per page of opportunities (100), each opportunity a whole candidate."""
        params: dict[str, Any] = {"expand": list(LIST_EXPANDS), **self._confidentiality()}
        if updated_since is not None:
            params["updated_at_start"] = _ms(updated_since)
        mark = self.http.requests_sent
        async for rows in self._pages("/opportunities", params, "list-opportunities"):
            yield await self._batch(rows, mark)
            mark = self.http.requests_sent

    async def fetch_candidates(self, remote_ids: Sequence[str]) -> CandidateBatch:
        """Re-read candidates by opportunity id; an id Lever no longer has is simply absent from the batch
        (as is a confidential one when this connection leaves confidential records out)."""
        mark = self.http.requests_sent
        wanted = [rid for rid in dict.fromkeys(str(rid).strip() for rid in remote_ids) if rid]
        gate = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def read(opportunity_id: str) -> dict[str, Any] | None:
            async with gate:
                return await self._opportunity_or_none(opportunity_id)

        found = await _first_failure(read(opportunity_id) for opportunity_id in wanted)
        rows = list({str(row["id"]): row for row in found
                     if row is not None and _text(row.get("id")) and self._shown(row)}.values())
        return await self._batch(rows, mark)

    async def list_jobs(self) -> list[Job]:
        """Lever postings; without list-postings, the postings seen on synced applications, by id."""
        rows = await self._optional_rows("/postings", self._confidentiality(), "list-postings")
        if rows is None:
            return [_fallback_job(posting_id, name) for posting_id, name in self._postings_seen.items()]
        return [job for job in map(_job, rows) if job]

    async def list_stages(self) -> list[JobInterviewStage]:
        """Lever's stages in pipeline order; without list-stages, the stages seen on synced candidates."""
        rows = await self._optional_rows("/stages", {}, "list-stages")
        if rows is None:
            pairs = list(self._stages_seen.items())
        else:
            pairs = [(stage_id, _text(row.get("text")) or stage_id) for row in rows
                     for stage_id in [_text(row.get("id"))] if stage_id]
        return [JobInterviewStage(remote_id=stage_id, job_remote_id=None, name=name, sort_order=index)
                for index, (stage_id, name) in enumerate(pairs)]

    async def list_users(self) -> list[RemoteUser]:
        users: list[RemoteUser] = []
        async for rows in self._pages("/users", {"includeDeactivated": "true"}, "list-users"):
            users.extend(user for user in map(_user, rows) if user)
        return users

    def candidate_url(self, remote_id: str) -> str:
        """Lever's page for an opportunity: `{app}/candidates/{opportunityId}`.

        Synced candidates carry Lever's own `urls.show` in `Candidate.url`, which is the one to show;
        this builds the same link from an opportunity id (or an "opportunityId:itemId" compound id).
        """
        opportunity_id = split_remote_id(remote_id)[0] or remote_id.strip()
        return f"{self.app_url}/candidates/{opportunity_id}"

    # --- writing: notes -----------------------------------------------------------------------------

    async def create_note(self, note: Note, *, acting_user_id: str | None = None) -> Note:
        """Add a note to the candidate's opportunity (`note.candidate_remote_id`)."""
        opportunity_id = _text(note.candidate_remote_id) or _opportunity_in(note.application_remote_id)
        if opportunity_id is None:
            raise ConfigError("A Lever note needs the candidate (opportunity) it is about.")
        params = self._actor_params(acting_user_id, required=False)
        reply = await self._send("POST", f"/opportunities/{opportunity_id}/notes", params=params,
                                 json_body={"value": note.body, "secret": False, "notifyFollowers": False},
                                 permission="create-opportunity-note")
        return _note(_data_object(reply, "notes"), opportunity_id, note.body, note.application_remote_id)

    async def delete_note(self, remote_id: str, *, acting_user_id: str | None = None,
                          candidate_remote_id: str | None = None) -> None:
        """Delete a note made through hirebot. `remote_id` is "opportunityId:noteId" as `create_note` returns."""
        opportunity_id, note_id = self._locate(remote_id, candidate_remote_id, "note")
        await self._send("DELETE", f"/opportunities/{opportunity_id}/notes/{note_id}",
                         params=self._actor_params(acting_user_id, required=False),
                         permission="delete-opportunity-note")

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        """The note on the opportunity whose text contains `marker`, if Lever has it (to check a note whose
        answer was lost before sending it again). Needs the key's list-opportunity-notes permission."""
        opportunity_id = _opportunity_in(candidate_remote_id)
        if opportunity_id is None:
            raise ConfigError("A Lever note needs the candidate (opportunity) it is about.")
        async for rows in self._pages(f"/opportunities/{opportunity_id}/notes", {}, NOTE_LOOKUP_PERMISSION):
            for row in rows:
                text = next((t for t in _note_texts(row) if marker in t), None)
                if text is not None:
                    return _note(row, opportunity_id, text)
        return None

    # --- writing: panels (scheduled interviews) -----------------------------------------------------

    async def create_interview(self, interview: ScheduledInterview, *, acting_user_id: str | None = None,
                               subject: str | None = None, note: str | None = None,
                               candidate_remote_id: str | None = None) -> ScheduledInterview:
        """Schedule a panel on an opportunity.

        Lever keeps panels on the opportunity (our candidate). Pass its id as `candidate_remote_id` with
        the application's id in `interview.application_remote_id` (the panel is then linked to that
        application); or leave `candidate_remote_id` out when `application_remote_id` already is an
        opportunity id, as a lead's prospect application is.
        """
        opportunity_id, application_id = _panel_target(interview.application_remote_id, candidate_remote_id)
        body = _panel_body(interview, subject, note, application_id)  # no interviewer is the deeper problem
        try:
            reply = await self._send("POST", f"/opportunities/{opportunity_id}/panels",
                                     params=self._actor_params(acting_user_id, required=True), json_body=body,
                                     permission="create-opportunity-panel")
        except AtsError as exc:
            if exc.status == 404 and candidate_remote_id is None:
                raise AtsError(f"Lever has no opportunity {opportunity_id}: to schedule against an application, "
                               "pass the candidate's (opportunity) id as candidate_remote_id.", status=404,
                               provider=self.provider) from exc
            raise
        return _scheduled(_data_object(reply, "panels"), opportunity_id, interview)

    async def update_interview(self, remote_id: str, interview: ScheduledInterview, *,
                               acting_user_id: str | None = None, subject: str | None = None,
                               note: str | None = None, candidate_remote_id: str | None = None
                               ) -> ScheduledInterview:
        """Replace a panel hirebot created (Lever only lets the API change panels it created)."""
        opportunity_id, panel_id = self._locate(remote_id, candidate_remote_id, "interview")
        application_id = _panel_target(interview.application_remote_id, opportunity_id)[1]
        body = _panel_body(interview, subject, note, application_id)
        reply = await self._send("PUT", f"/opportunities/{opportunity_id}/panels/{panel_id}",
                                 params=self._actor_params(acting_user_id, required=True), json_body=body,
                                 permission="update-opportunity-panel")
        return _scheduled(_data_object(reply, "panels"), opportunity_id, interview)

    async def delete_interview(self, remote_id: str, *, acting_user_id: str | None = None,
                               candidate_remote_id: str | None = None) -> None:
        """Delete a panel hirebot created. One that is already gone counts as deleted, so a retry after a
        lost answer succeeds."""
        opportunity_id, panel_id = self._locate(remote_id, candidate_remote_id, "interview")
        try:
            await self._send("DELETE", f"/opportunities/{opportunity_id}/panels/{panel_id}",
                             params=self._actor_params(acting_user_id, required=False),
                             permission="delete-opportunity-panel")
        except AtsError as exc:
            if exc.status != 404:
                raise
            log.info("Lever panel %s was already gone", remote_id)

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
        opportunity_id = _text(candidate_remote_id) or _opportunity_in(application_remote_id)
        if opportunity_id is None:
            raise ConfigError("A Lever interview needs the candidate (opportunity) it is for.")
        async for rows in self._pages(f"/opportunities/{opportunity_id}/panels", {}, "list-opportunity-panels"):
            for row in rows:
                if _made_for(row, external_event_id):
                    return _scheduled(row, opportunity_id, None, external_event_id=external_event_id)
        return None

    # --- writing: candidates ------------------------------------------------------------------------

    async def create_candidate(self, candidate: Candidate, **options: Any) -> Candidate:
        """Create an opportunity for a person (reusing their Lever contact when the email is known); the
        returned candidate's `remote_id` is the new opportunity's id.

        Options: `acting_user_id` (required by Lever, or the connection's `perform_as` setting),
        `job_remote_id` / `posting_id`, `source` or `source_tag` (added as a Lever source and a tag), `tags`,
        `resume` as (filename, bytes) or (filename, bytes, content type or None) as Greenhouse takes it,
        `origin` (default "sourced"), `owner_id`, `stage_id`.
        Needs the key's create-opportunity permission, beyond the twelve hirebot asks for.
        """
        params = self._actor_params(options.get("acting_user_id"), required=True)
        fields = await self._creation_fields(candidate, options)
        resume = options.get("resume")
        try:
            if resume:
                reply = await self._post_multipart("/opportunities", params, fields, resume)
            else:
                reply = await self._send("POST", "/opportunities", params=params, json_body=fields,
                                         permission=None)
        except AuthError as exc:
            if exc.status == 403:
                self._missing.add(CREATE_CANDIDATE_PERMISSION)
                raise AuthError(f"Adding candidates to Lever needs the {CREATE_CANDIDATE_PERMISSION} permission, "
                                f"which is not among the ones hirebot asks for by default. {KEY_ADVICE}",
                                status=403, provider=self.provider) from exc
            raise
        created = _candidate(_data_object(reply, "opportunities"), None, self.app_url)
        if created is None:
            raise MalformedResponse("Lever created the candidate but sent back no id.", provider=self.provider)
        return created

    async def _creation_fields(self, candidate: Candidate, options: Mapping[str, Any]) -> dict[str, Any]:
        name = " ".join(p for p in (candidate.first_name, candidate.last_name) if p).strip()
        source = _text(options.get("source")) or _text(options.get("source_tag"))
        tags = list(dict.fromkeys([*candidate.tags, *(options.get("tags") or ()), *([source] if source else [])]))
        emails = [e.value for e in candidate.emails if e.value]
        posting = _text(options.get("job_remote_id") or options.get("posting_id"))
        fields: dict[str, Any] = {
            "name": name or candidate.preferred_name,
            "headline": candidate.company or candidate.title, "emails": emails,
            "phones": [{"value": p.value, "type": _phone_type(p.type)} for p in candidate.phones if p.value],
            "links": [link.value for link in candidate.links if link.value], "tags": tags,
            "sources": [source] if source else [], "origin": _text(options.get("origin")) or "sourced",
            "postings": [posting] if posting else [],
        }
        for key, option in (("owner", "owner_id"), ("stage", "stage_id")):
            if _text(options.get(option)):
                fields[key] = _text(options.get(option))
        contact = await self._existing_contact(emails)
        if contact:
            fields["contact"] = contact
        return {k: v for k, v in fields.items() if v not in (None, "")}

    async def _existing_contact(self, emails: Sequence[str]) -> str | None:
        """Lever is said to dedupe by email, but not confirmed: look the person up and attach explicitly."""
        for email in emails[:3]:
            reply = await self._send("GET", "/opportunities",
                                     params={"email": email, "limit": 1, **self._confidentiality()},
                                     permission="list-opportunities")
            rows, _, _ = _page(reply, "/opportunities")
            contact = next((cid for cid in map(_contact_id, rows) if cid), None)
            if contact:
                return contact
        return None

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        """The newest opportunity of the person with this email, as a candidate, or None: to check whether
        a candidate hirebot added (and heard nothing back about) is in Lever before adding them again."""
        address = email.strip()
        if not address:
            return None
        newest: dict[str, Any] | None = None
        async for rows in self._pages("/opportunities", {"email": address, **self._confidentiality()},
                                      "list-opportunities"):
            for row in rows:
                if _text(row.get("id")) and (newest is None or _created_key(row) > _created_key(newest)):
                    newest = row
        return _candidate(newest, None, self.app_url) if newest is not None else None

    # --- internals: reading -------------------------------------------------------------------------

    async def _opportunity_or_none(self, opportunity_id: str) -> dict[str, Any] | None:
        try:
            reply = await self._send("GET", f"/opportunities/{opportunity_id}",
                                     params={"expand": list(LIST_EXPANDS)}, permission="read-opportunity")
        except AtsError as exc:
            if exc.status in (400, 404):
                return None
            raise
        return _data_object(reply, "opportunities")

    def _shown(self, row: Mapping[str, Any]) -> bool:
        return self.include_confidential or row.get("confidentiality") != "confidential"

    async def _batch(self, rows: Sequence[dict[str, Any]], mark: int) -> CandidateBatch:
        rows = [row for row in rows if _text(row.get("id"))]
        archive_types = await self._archive_reason_types(rows)
        files = await self._attachments(rows) if self.sync_attachments else {}
        candidates: list[Candidate] = []
        applications: list[Application] = []
        attachments: list[Attachment] = []
        new_postings: list[str] = []
        for row in rows:
            candidate = _candidate(row, files.get(str(row["id"])), self.app_url)
            if candidate is None:
                continue
            candidates.append(candidate)
            applications.extend(_applications(row, archive_types))
            attachments.extend(_attachments_of(candidate.remote_id, files.get(candidate.remote_id)))
            new_postings.extend(self._remember(row))
        extra: dict[str, object] = {"complete_candidates": True}
        if new_postings and "list-postings" in self._missing:
            # Jobs this page introduced, named by id: for a store that records jobs found during the sync.
            extra["jobs"] = tuple(_fallback_job(pid, self._postings_seen[pid]) for pid in new_postings)
        return CandidateBatch(candidates=tuple(candidates), applications=tuple(applications),
                              attachments=tuple(attachments), requests=self.http.requests_sent - mark,
                              extra=extra)

    def _remember(self, row: Mapping[str, Any]) -> list[str]:
        """Note the postings and stages a row names (for the fallbacks); return postings not seen before."""
        stage = row.get("stage")
        if isinstance(stage, dict) and _text(stage.get("id")) and _text(stage.get("text")):
            self._stages_seen.setdefault(str(_text(stage.get("id"))), str(_text(stage.get("text"))))
        new: list[str] = []
        for posting_id, name in _postings_of(row):
            if posting_id not in self._postings_seen:
                new.append(posting_id)
            if name or posting_id not in self._postings_seen:
                self._postings_seen[posting_id] = name or self._postings_seen.get(posting_id)
        return new

    async def _archive_reason_types(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, str] | None:
        """Archive reason id → "hired" / "non-hired", read once and again when an unknown one shows up.

        None when the key may not list archive reasons: archived then means rejected.
        """
        used = {_archive_reason(row) for row in rows} - {None}
        if not used:
            return self._archive_types or {}
        fresh = used - (self._archive_types or {}).keys() - self._unknown_reasons
        if self._archive_types is None or fresh:
            rows_read = await self._optional_rows("/archive_reasons", {}, "list-archive-reasons")
            if rows_read is None:
                return None
            self._archive_types = {reason_id: (_text(row.get("type")) or "non-hired").lower()
                                   for row in rows_read for reason_id in [_text(row.get("id"))] if reason_id}
            self._unknown_reasons |= {str(r) for r in used if r not in self._archive_types}
        return self._archive_types

    async def _attachments(self, opportunities: Sequence[Mapping[str, Any]]) -> dict[str, _Files]:
        wanted = [p for p in ("list-opportunity-resumes", "list-opportunity-files") if p not in self._missing]
        if not wanted:
            return {}
        gate = asyncio.Semaphore(ATTACHMENT_CONCURRENCY)

        async def read(opportunity_id: str) -> tuple[str, _Files]:
            async with gate:
                base = f"/opportunities/{opportunity_id}"
                resumes = await self._optional_rows(f"{base}/resumes", {}, "list-opportunity-resumes",
                                                    gone_ok=True)
                files = await self._optional_rows(f"{base}/files", {}, "list-opportunity-files", gone_ok=True)
            return opportunity_id, _Files(resumes or [], files or [])

        ids = list(dict.fromkeys(str(row["id"]) for row in opportunities))
        return dict(await _first_failure(read(opportunity_id) for opportunity_id in ids))

    async def _optional_rows(self, path: str, params: dict[str, Any], permission: str, *,
                             gone_ok: bool = False) -> list[dict[str, Any]] | None:
        """Every row of a list the key may not be allowed to read: None (and not asked again) on a 403.

        With `gone_ok`, a 404 (the opportunity went away between the list and this read) is an empty list.
        """
        if permission in self._missing:
            return None
        found: list[dict[str, Any]] = []
        try:
            async for rows in self._pages(path, params, None):
                found.extend(rows)
        except CredentialsRefused as exc:
            if exc.status == 401:
                raise self._key_refused(exc) from exc
            if permission not in self._missing:
                self._missing.add(permission)
                log.warning("Lever key lacks %s; syncing without it: %s", permission, OPTIONAL_PERMISSIONS[permission])
            return None
        except AtsError as exc:
            if gone_ok and exc.status == 404:
                return []
            raise
        return found

    async def _pages(self, path: str, params: dict[str, Any], permission: str | None
                     ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a list: pass `next` back as `offset` until `hasNext` is false."""
        offset: str | None = None
        seen: set[str] = set()
        while True:
            query = {**params, "limit": PAGE_SIZE, **({"offset": offset} if offset else {})}
            reply = await self._send("GET", path, params=query, permission=permission)
            rows, has_next, token = _page(reply, path)
            yield rows
            if not has_next:
                return
            if not token or token in seen:
                raise MalformedResponse(f"Lever said more of {path} follows but sent no new offset.",
                                        provider=self.provider)
            seen.add(token)
            offset = token

    async def _send(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                    json_body: Any = None, permission: str | None) -> JsonReply:
        """One paced request. With `permission`, a 403 becomes an AuthError naming it; without, the raw
        CredentialsRefused goes up for the caller to judge."""
        await self.pacer.wait()
        try:
            return await self.http.request_json(method, f"{self.base_url}{path}", params=params, json=json_body,
                                                auth=self._auth)
        except CredentialsRefused as exc:
            if permission is None:
                raise
            if exc.status == 401:
                raise self._key_refused(exc) from exc
            raise AuthError(f"Your Lever key lacks the {permission} permission, so hirebot cannot "
                            f"{PERMISSION_PURPOSE.get(permission, 'do that')}. {KEY_ADVICE}",
                            status=403, provider=self.provider) from exc

    async def _post_multipart(self, path: str, params: Mapping[str, Any], fields: dict[str, Any],
                              resume: Sequence[Any]) -> JsonReply:
        """POST multipart/form-data (Lever's way to send a resume with a new candidate). Sent once, and
        again only after a 429, which means Lever did not process it."""
        form = _form_fields(fields)
        filename, content = str(resume[0]), bytes(resume[1])
        kind = str(resume[2]) if len(resume) > 2 and resume[2] else _mime(filename)
        for attempt in range(2):
            await self.pacer.wait()
            response = await self.client.post(f"{self.base_url}{path}", params=dict(params), data=form,
                                              files={"resumeFile": (filename, content, kind)},
                                              auth=self._auth)
            self.http.requests_sent += 1
            if response.status_code == 429 and attempt == 0:
                await self._sleep(_retry_after(response) or 1.0)
                continue
            return self._multipart_reply(response)
        raise RateLimited("Lever kept asking us to slow down while adding the candidate.",
                          retry_after=_retry_after(response) or 1.0, provider=self.provider)

    def _multipart_reply(self, response: httpx.Response) -> JsonReply:
        detail = provider_message(response)
        said = f": {detail}" if detail else ""
        if response.status_code in (401, 403):
            raise CredentialsRefused(f"Lever refused the request ({response.status_code}){said}.",
                                     status=response.status_code, provider=self.provider, detail=detail)
        if not response.is_success:
            raise AtsError(f"Lever rejected the new candidate ({response.status_code}){said}.",
                           status=response.status_code, retryable=response.status_code >= 500,
                           provider=self.provider)
        try:
            data = response.json()
        except ValueError as exc:
            raise MalformedResponse("Lever answered the new candidate with a body we could not read.",
                                    provider=self.provider) from exc
        return JsonReply(data=data, status=response.status_code, headers=response.headers, next_url=None)

    def _key_refused(self, exc: CredentialsRefused) -> AuthError:
        detail = f" ({exc.detail})" if exc.detail else ""
        return AuthError(f"Lever refused the API key{detail}: check that it was copied whole, has not been "
                         "revoked, and belongs to this region (us, eu or sandbox).", status=401,
                         provider=self.provider)

    def _confidentiality(self) -> dict[str, str]:
        return {"confidentiality": "all"} if self.include_confidential else {}

    def _actor_params(self, acting_user_id: str | None, *, required: bool) -> dict[str, str]:
        actor = _text(acting_user_id) or self.default_actor
        if actor is None and required:
            raise ConfigError("Lever needs to know which Lever user makes this change: link your hirebot "
                              "account to your Lever user, or set the connection's perform_as user.")
        return {"perform_as": actor} if actor else {}

    @staticmethod
    def _locate(remote_id: str, opportunity_id: str | None, what: str) -> tuple[str, str]:
        found_opportunity, item_id = split_remote_id(remote_id)
        opportunity = found_opportunity or _text(opportunity_id)
        if not opportunity or not item_id:
            raise ConfigError(f"Cannot find that Lever {what}: its id should look like "
                              "\"<opportunity id>:<id>\" as hirebot stored it.")
        return opportunity, item_id


# -- probes and purposes -------------------------------------------------------------------------------

_Probe = tuple[str, str, dict[str, Any] | None, Any]
_NOWHERE = f"/opportunities/{PROBE_ID}"
PERMISSION_PROBES: dict[str, _Probe] = {
    "list-users": ("GET", "/users", {"limit": 1}, None),
    "list-opportunities": ("GET", "/opportunities", {"limit": 1}, None),
    "read-opportunity": ("GET", _NOWHERE, None, None),
    "list-candidates": ("GET", "/candidates", {"limit": 1}, None),
    "read-candidate": ("GET", f"/candidates/{PROBE_ID}", None, None),
    "list-opportunity-panels": ("GET", f"{_NOWHERE}/panels", {"limit": 1}, None),
    "read-opportunity-panel": ("GET", f"{_NOWHERE}/panels/{PROBE_ID}", None, None),
    "create-opportunity-panel": ("POST", f"{_NOWHERE}/panels", None, {}),
    "update-opportunity-panel": ("PUT", f"{_NOWHERE}/panels/{PROBE_ID}", None, {}),
    "delete-opportunity-panel": ("DELETE", f"{_NOWHERE}/panels/{PROBE_ID}", None, None),
    "create-opportunity-note": ("POST", f"{_NOWHERE}/notes", None, {}),
    "delete-opportunity-note": ("DELETE", f"{_NOWHERE}/notes/{PROBE_ID}", None, None),
    "list-postings": ("GET", "/postings", {"limit": 1}, None),
    "list-stages": ("GET", "/stages", {"limit": 1}, None),
    "list-archive-reasons": ("GET", "/archive_reasons", {"limit": 1}, None),
    "list-opportunity-resumes": ("GET", f"{_NOWHERE}/resumes", {"limit": 1}, None),
    "list-opportunity-files": ("GET", f"{_NOWHERE}/files", {"limit": 1}, None),
    NOTE_LOOKUP_PERMISSION: ("GET", f"{_NOWHERE}/notes", {"limit": 1}, None),
    # Without perform_as Lever cannot create anything, so this answers 400 when granted, 403 when not.
    "create-opportunity": ("POST", "/opportunities", None, {}),
}
PERMISSION_PURPOSE = {
    "list-opportunities": "list candidates", "read-opportunity": "read a candidate",
    "list-users": "list Lever users", "list-postings": "list jobs", "list-stages": "list stages",
    "list-archive-reasons": "tell hired from rejected candidates",
    "list-opportunity-resumes": "read resumes", "list-opportunity-files": "read candidate files",
    "create-opportunity-note": "add notes", "delete-opportunity-note": "delete notes",
    NOTE_LOOKUP_PERMISSION: "check whether a note it sent without hearing back was saved",
    "create-opportunity-panel": "schedule interviews", "update-opportunity-panel": "reschedule interviews",
    "delete-opportunity-panel": "cancel interviews",
}


# -- webhooks ----------------------------------------------------------------------------------------------


def verify_webhook_signature(body: bytes | str | Mapping[str, Any], signature_token: str | Sequence[str], *,
                             now: float | None = None, max_age_seconds: float | None = None) -> bool:
    """Lever's documented check: hex HMAC-SHA256 of `token + str(triggeredAt)` keyed with the webhook's
    signature token, compared in constant time. The signature covers only those two fields, never `data`.

    Lever issues one signature token per webhook (per event), so a connection may hold several: pass
    them all and any one may match. With `max_age_seconds`, older deliveries are refused too.
    """
    payload = _webhook_payload(body)
    keys = [signature_token] if isinstance(signature_token, str) else list(signature_token)
    keys = [key for key in keys if key]
    if payload is None or not keys:
        return False
    token, triggered, signature = payload.get("token"), payload.get("triggeredAt"), payload.get("signature")
    if not isinstance(token, str) or not isinstance(signature, str):
        return False
    if isinstance(triggered, bool) or not (isinstance(triggered, int)
                                           or (isinstance(triggered, str) and triggered.isdigit())):
        return False
    given = signature.strip().lower().encode()
    plain = f"{token}{triggered}".encode()
    matches = [hmac.compare_digest(hmac.new(key.encode(), plain, hashlib.sha256).hexdigest().encode(), given)
               for key in keys]  # every key is tried, so timing does not tell which one matched
    if not any(matches):
        return False
    if max_age_seconds is not None:
        age = (time.time() if now is None else now) - int(triggered) / 1000.0
        return age <= max_age_seconds
    return True


def parse_webhook(body: bytes | str | Mapping[str, Any]) -> WebhookTrigger:
    """What a (verified) delivery asks us to re-read; raises MalformedResponse if unreadable.

    Every event is about one opportunity (`opportunityId`, or the legacy `candidateId`, which equals it).
    """
    payload = _webhook_payload(body)
    event = _text(payload.get("event")) if payload else None
    if payload is None or event is None:
        raise MalformedResponse("Lever sent a webhook we could not read (no event).", provider="lever")
    data = _mapping(payload.get("data"))
    opportunity = _text(data.get("opportunityId")) or _text(data.get("candidateId"))
    # Lever's signature covers only token + triggeredAt, so a deletion is not taken from `data`: the id is
    # re-read, and `refresh_candidates` removes it once the API no longer has it.
    return WebhookTrigger(provider="lever", event=event, candidate_ids=(opportunity,) if opportunity else (),
                          delivery_id=_text(payload.get("token")), occurred_at=_from_ms(payload.get("triggeredAt")))


def _webhook_payload(body: bytes | str | Mapping[str, Any]) -> dict[str, Any] | None:
    if isinstance(body, Mapping):
        return dict(body)
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


# -- remote ids for writes -----------------------------------------------------------------------------


def join_remote_id(opportunity_id: str, item_id: str) -> str:
    """Panels and notes live under an opportunity, so hirebot stores their ids as "opportunityId:itemId"."""
    return f"{opportunity_id}{REMOTE_ID_SEPARATOR}{item_id}"


def split_remote_id(remote_id: str) -> tuple[str | None, str]:
    opportunity, separator, item = remote_id.strip().partition(REMOTE_ID_SEPARATOR)
    return (opportunity, item) if separator else (None, opportunity)


# -- mapping: tolerant of nulls, missing keys and odd types ----------------------------------------------


@dataclass(frozen=True)
class _Files:
    resumes: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)


def _page(reply: JsonReply, path: str) -> tuple[list[dict[str, Any]], bool, str | None]:
    body = reply.data
    rows = body.get("data") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise MalformedResponse(f"Lever sent a page we could not read for {path} (expected data: [...]).",
                                provider="lever")
    return rows, body.get("hasNext") is True, _text(body.get("next"))


def _data_object(reply: JsonReply, what: str) -> dict[str, Any]:
    body = reply.data
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise MalformedResponse(f"Lever sent a {what} answer we could not read.", provider="lever")
    return data


def _contact_id(row: Mapping[str, Any] | None) -> str | None:
    if not row:
        return None
    contact = row.get("contact")
    return _text(contact.get("id")) if isinstance(contact, dict) else _text(contact)


def _archive_reason(row: Mapping[str, Any]) -> str | None:
    archived = row.get("archived")
    return _text(archived.get("reason")) if isinstance(archived, dict) else None


def _candidate(row: Mapping[str, Any], files: _Files | None, app_url: str) -> Candidate | None:
    """One opportunity as one candidate: Lever repeats the contact's details on each opportunity."""
    opportunity_id = _text(row.get("id"))
    if opportunity_id is None:
        return None
    contact = _mapping(row.get("contact"))  # an object only when the list was asked to expand it
    first, last = _split_name(_text(row.get("name")) or _text(contact.get("name")) or "")
    company, title = _current_position(row, files)
    urls = _mapping(row.get("urls"))
    emails = _strings(row.get("emails")) or _strings(contact.get("emails"))
    return Candidate(
        remote_id=opportunity_id, first_name=first, last_name=last, company=company, title=title,
        emails=tuple(ContactValue(email) for email in emails),
        phones=_phones(row.get("phones") or contact.get("phones")),
        links=tuple(ContactValue(link, _link_type(link)) for link in _strings(row.get("links"))),
        tags=tuple(_strings(row.get("tags"))),
        created_at=_from_ms(row.get("createdAt")), updated_at=_from_ms(row.get("updatedAt")),
        url=_text(urls.get("show")) or f"{app_url}/candidates/{opportunity_id}",
    )


def _split_name(name: str) -> tuple[str, str]:
    """Lever keeps one `name`; the first word is taken as the given name (a guess for some cultures)."""
    parts = name.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def _current_position(row: Mapping[str, Any], files: _Files | None) -> tuple[str | None, str | None]:
    """Company and title from a parsed resume's latest position, else the headline's first entry."""
    for resume in files.resumes if files else []:
        parsed = _mapping(resume.get("parsedData"))
        positions = [p for p in parsed.get("positions") or [] if isinstance(p, dict)]
        if positions:
            return _text(positions[0].get("org")), _text(positions[0].get("title"))
    headline = _text(row.get("headline"))
    return (headline.split(",")[0].strip() or None if headline else None), None


def _status(row: Mapping[str, Any], archive_types: Mapping[str, str] | None
            ) -> tuple[ApplicationStatus, datetime | None]:
    """ACTIVE unless archived; archived is HIRED when its reason has type "hired", else REJECTED (also
    when the reasons cannot be read: `archive_types` None)."""
    archived = row.get("archived")
    if not isinstance(archived, dict):
        return ApplicationStatus.ACTIVE, None
    reason = _text(archived.get("reason"))
    hired = reason is not None and (archive_types or {}).get(reason) == HIRED_ARCHIVE_TYPE
    return (ApplicationStatus.HIRED if hired else ApplicationStatus.REJECTED), _from_ms(archived.get("archivedAt"))


def _applications(row: Mapping[str, Any], archive_types: Mapping[str, str] | None) -> list[Application]:
    """The opportunity's applications, each with the opportunity's stage and status; a lead without
    any becomes one prospect application keyed by the opportunity id."""
    opportunity_id = str(row["id"])
    stage = row.get("stage")
    stage_id = _text(stage.get("id")) if isinstance(stage, dict) else _text(stage)
    stage_name = _text(stage.get("text")) if isinstance(stage, dict) else None
    status, when = _status(row, archive_types)
    owner = row.get("owner")
    common: dict[str, Any] = {
        "candidate_remote_id": opportunity_id, "status": status, "stage_remote_id": stage_id,
        "stage_name": stage_name, "updated_at": _from_ms(row.get("updatedAt")),
        "rejected_at": when if status is ApplicationStatus.REJECTED else None,
        "hired_at": when if status is ApplicationStatus.HIRED else None,
        "recruiter_remote_id": _text(owner.get("id")) if isinstance(owner, dict) else _text(owner),
    }
    found: dict[str, Application] = {}
    for item in row.get("applications") or []:
        if isinstance(item, dict):
            application_id, posting_id = _text(item.get("id")), _posting_id(item.get("posting"))
            created = _from_ms(item.get("createdAt")) or _from_ms(row.get("createdAt"))
            prospect = posting_id is None
        else:  # not expanded: the id alone, its posting unknown
            application_id, posting_id, created, prospect = _text(item), None, _from_ms(row.get("createdAt")), False
        if application_id and application_id not in found:
            found[application_id] = Application(remote_id=application_id, job_remote_id=posting_id,
                                                prospect=prospect, created_at=created, **common)
    if not found:
        found[opportunity_id] = Application(remote_id=opportunity_id, job_remote_id=None, prospect=True,
                                            created_at=_from_ms(row.get("createdAt")), **common)
    return list(found.values())


def _posting_id(value: Any) -> str | None:
    return _id_of(value)


def _id_of(value: Any) -> str | None:
    """The id of a reference Lever sends as an id or, expanded, as an object."""
    return _text(value.get("id")) if isinstance(value, dict) else _text(value)


def _postings_of(row: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    """(posting id, its name if Lever sent one) for each expanded application of the row."""
    for item in row.get("applications") or []:
        if isinstance(item, dict):
            posting = item.get("posting")
            posting_id = _posting_id(posting)
            if posting_id:
                yield posting_id, _text(posting.get("text")) if isinstance(posting, dict) else None


def _attachments_of(opportunity_id: str, files: _Files | None) -> Iterator[Attachment]:
    """Resumes and files hang off the opportunity, i.e. the candidate, not one of its applications."""
    if files is None:
        return
    for resume in files.resumes:
        meta = resume.get("file") if isinstance(resume.get("file"), dict) else None
        url = _text(meta.get("downloadUrl")) if meta else None
        if meta is None or url is None:
            continue  # a resume parsed from a profile, with no file behind it
        yield Attachment(candidate_remote_id=opportunity_id, filename=_text(meta.get("name")) or "resume", url=url,
                         type=AttachmentType.RESUME, remote_id=_text(resume.get("id")),
                         created_at=_from_ms(resume.get("createdAt") or meta.get("uploadedAt")))
    for item in files.files:
        url = _text(item.get("downloadUrl"))
        if url is None:
            continue
        name = _text(item.get("name")) or "file"
        kind = AttachmentType.COVER_LETTER if "cover" in name.lower() else AttachmentType.OTHER
        yield Attachment(candidate_remote_id=opportunity_id, filename=name, url=url, type=kind,
                         remote_id=_text(item.get("id")), created_at=_from_ms(item.get("uploadedAt")))


def _fallback_job(posting_id: str, name: str | None) -> Job:
    """A posting known only by id (the key may not list postings): never claimed to be open."""
    return Job(remote_id=posting_id, name=name or f"Lever posting {posting_id[:8]}", status=UNKNOWN_POSTING_STATUS)


def _job(row: Mapping[str, Any]) -> Job | None:
    posting_id = _text(row.get("id"))
    if posting_id is None:
        return None
    manager = row.get("hiringManager")
    manager_id = _text(manager.get("id")) if isinstance(manager, dict) else _text(manager)
    state = (_text(row.get("state")) or "published").lower()
    return Job(remote_id=posting_id, name=_text(row.get("text")) or f"Posting {posting_id}",
               status=POSTING_STATUS.get(state, "open"), hiring_manager_ids=(manager_id,) if manager_id else (),
               updated_at=_from_ms(row.get("updatedAt")))


def _user(row: Mapping[str, Any]) -> RemoteUser | None:
    user_id = _text(row.get("id"))
    if user_id is None:
        return None
    email = _text(row.get("email"))
    role = (_text(row.get("accessRole")) or "").lower()
    return RemoteUser(remote_id=user_id, name=_text(row.get("name")) or email or f"User {user_id}", email=email,
                      emails=(email,) if email else (), is_admin=role in ("super admin", "admin"),
                      deactivated=row.get("deactivatedAt") is not None)


def _opportunity_in(remote_id: str | None) -> str | None:
    """The opportunity of an "opportunityId:itemId" compound id, or the plain id itself."""
    if not _text(remote_id):
        return None
    opportunity, item = split_remote_id(str(remote_id))
    return opportunity or item


def _panel_target(application_remote_id: str | None, candidate_remote_id: str | None) -> tuple[str, str | None]:
    """(opportunity id, application id to link or None) for a panel."""
    application = _text(application_remote_id)
    opportunity = _text(candidate_remote_id)
    if application and REMOTE_ID_SEPARATOR in application:
        found_opportunity, application = split_remote_id(application)
        opportunity = opportunity or found_opportunity
    if opportunity is None:
        if application is None:
            raise ConfigError("A Lever interview needs the candidate (opportunity) it is for.")
        return application, None
    return opportunity, application if application and application != opportunity else None


def _panel_body(interview: ScheduledInterview, subject: str | None, note: str | None,
                application_id: str | None = None) -> dict[str, Any]:
    if not interview.interviewer_ids:
        raise ConfigError("Lever needs at least one interviewer who is a Lever user, and none was given: invite "
                          "someone with a Lever account (hirebot matches them by email).")
    minutes = max(1, round((interview.end - interview.start).total_seconds() / 60))
    entry: dict[str, Any] = {
        "subject": subject or DEFAULT_SUBJECT, "date": _ms(interview.start), "duration": minutes,
        "interviewers": [{"id": user_id} for user_id in interview.interviewer_ids],
    }
    where = interview.video_url or interview.location
    if where:
        entry["location"] = where
    if note:
        entry["note"] = note
    if interview.interview_remote_id:
        entry["feedbackTemplate"] = interview.interview_remote_id
    body: dict[str, Any] = {"timezone": _zone_name(interview.start), "feedbackReminder": "frequently",
                            "interviews": [entry]}
    external = _text(interview.external_event_id)
    panel_note = note
    if external and _is_url(external):
        body["externalUrl"] = external
    elif external:  # a calendar UID has no field of its own: a last line of the note makes the panel findable
        panel_note = f"{note}\n\n{panel_marker(external)}" if note else panel_marker(external)
    if panel_note:
        body["note"] = panel_note
    if application_id:
        body["applications"] = [application_id]
    return body


def panel_marker(external_event_id: str) -> str:
    """The line hirebot ends a panel's note with, so `find_interview_by_external_id` can find the panel."""
    return f"[hirebot:{external_event_id.strip()}]"


def _made_for(panel: Mapping[str, Any], external_event_id: str) -> bool:
    """Whether hirebot made `panel` for the meeting `external_event_id` (by externalUrl or note marker)."""
    wanted = external_event_id.strip()
    if wanted and _text(panel.get("externalUrl")) == wanted:
        return True
    marker = panel_marker(wanted)
    return any(line.strip() == marker for line in str(panel.get("note") or "").splitlines())


def _is_url(value: str) -> bool:
    return value.startswith(("https://", "http://"))


def _scheduled(panel: Mapping[str, Any], opportunity_id: str, sent: ScheduledInterview | None, *,
               external_event_id: str | None = None) -> ScheduledInterview:
    """A panel as a ScheduledInterview whose `remote_id` is "opportunityId:panelId". Fields Lever leaves out
    come from `sent`, the interview just written, or (when found by lookup) from the panel's first interview."""
    panel_id = _text(panel.get("id"))
    if panel_id is None:
        raise MalformedResponse("Lever saved the interview but did not say its id.", provider="lever")
    interviews = [i for i in panel.get("interviews") or [] if isinstance(i, dict)]
    first = interviews[0] if interviews else {}
    interviewers = tuple(dict.fromkeys(
        uid for i in interviews for p in i.get("interviewers") or [] if isinstance(p, dict)
        for uid in [_text(p.get("id"))] if uid)) or (sent.interviewer_ids if sent else ())
    start = _from_ms(panel.get("start")) or (sent.start if sent else None)
    end = _from_ms(panel.get("end")) or (sent.end if sent else None)
    if start is None or end is None:
        raise MalformedResponse(f"Lever sent panel {panel_id} without its start and end.", provider="lever")
    linked = next((a for a in map(_id_of, panel.get("applications") or []) if a), None)
    return ScheduledInterview(
        application_remote_id=(sent.application_remote_id if sent else linked) or opportunity_id,
        start=start, end=end,
        interview_remote_id=sent.interview_remote_id if sent else _text(first.get("feedbackTemplate")),
        interviewer_ids=interviewers, location=sent.location if sent else _text(first.get("location")),
        video_url=sent.video_url if sent else None,
        external_event_id=sent.external_event_id if sent else external_event_id,
        remote_id=join_remote_id(opportunity_id, panel_id),
        status="canceled" if panel.get("canceledAt") else "scheduled",
    )


def _note(row: Mapping[str, Any], opportunity_id: str, body: str,
          application_remote_id: str | None = None) -> Note:
    """A Lever note as a Note whose `remote_id` is "opportunityId:noteId"."""
    note_id = _text(row.get("id")) or _text(row.get("noteId"))
    if note_id is None:
        raise MalformedResponse("Lever sent a note without its id.", provider="lever")
    return Note(candidate_remote_id=opportunity_id, body=body, remote_id=join_remote_id(opportunity_id, note_id),
                application_remote_id=application_remote_id, author_remote_id=_text(row.get("user")),
                created_at=_from_ms(row.get("createdAt")))


def _note_texts(row: Mapping[str, Any]) -> list[str]:
    """A note's text: Lever keeps it in `fields[].value` (some answers also carry a top-level `value`)."""
    fields = [f for f in row.get("fields") or [] if isinstance(f, dict)]
    return [text for text in (row.get("value"), *(f.get("value") for f in fields)) if isinstance(text, str)]


def _created_key(row: Mapping[str, Any]) -> tuple[int, str]:
    created = row.get("createdAt")
    moment = created if isinstance(created, int) and not isinstance(created, bool) else 0
    return moment, str(row.get("id") or "")


def _phones(value: Any) -> tuple[ContactValue, ...]:
    found = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and _text(item.get("value")):
            found.append(ContactValue(str(_text(item.get("value"))), _text(item.get("type"))))
        elif isinstance(item, str) and item.strip():
            found.append(ContactValue(item.strip()))
    return tuple(found)


def _phone_type(kind: str | None) -> str:
    kind = (kind or "").lower()
    return kind if kind in ("home", "mobile", "work", "skype", "other") else "other"


def _link_type(url: str) -> str:
    lowered = url.lower()
    for marker, kind in (("linkedin.", "linkedin"), ("github.", "github"), ("twitter.", "twitter"),
                         ("x.com/", "twitter")):
        if marker in lowered:
            return kind
    return "website"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return list(dict.fromkeys(text for text in (_text(item) for item in value) if text))


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _from_ms(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value / 1000.0, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _ms(moment: datetime) -> int:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return int(moment.timestamp() * 1000)


def _zone_name(moment: datetime) -> str:
    """Lever wants an IANA zone for display; the instant itself travels as epoch milliseconds."""
    zone = moment.tzinfo
    return zone.key if isinstance(zone, ZoneInfo) else "UTC"


def _app_url_for(base_url: str, region: str) -> str:
    host = httpx.URL(base_url).host
    for name, api in LEVER_BASE_URLS.items():
        if httpx.URL(api).host == host:
            return LEVER_APP_URLS[name]
    return LEVER_APP_URLS.get(region, LEVER_APP_URLS["us"])


def _form_fields(fields: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """JSON creation fields as Lever's multipart names: repeated keys, `phones[N][type|value]`."""
    form: dict[str, str | list[str]] = {}
    for key, value in fields.items():
        if key == "phones":
            for index, phone in enumerate(value):
                form[f"phones[{index}][type]"] = phone["type"]
                form[f"phones[{index}][value]"] = phone["value"]
        elif isinstance(value, list):
            form[key] = [str(item) for item in value]
        else:
            form[key] = str(value)
    return form


def _mime(filename: str) -> str:
    lowered = filename.lower()
    if lowered.endswith(".pdf"):
        return "application/pdf"
    if lowered.endswith(".docx"):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return "application/octet-stream"


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    try:
        return max(float(raw), 0.0) if raw is not None else None
    except ValueError:
        return None


async def _first_failure(coroutines: Iterable[Awaitable[_T]]) -> list[_T]:
    """Run concurrently; on the first failure cancel the rest and raise that failure as itself."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_awaited(c)) for c in coroutines]
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]


async def _awaited(awaitable: Awaitable[_T]) -> _T:
    return await awaitable
