"""Greenhouse through Harvest v3: OAuth client credentials, cursor pagination, children read in batches.

Harvest v1/v2 were switched off on 2026-08-31, so this adapter speaks only v3. v3 no longer embeds
applications or attachments in candidates, so each page of candidates is completed with one request
per 50 candidate ids per child resource rather than one request per candidate.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
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
    RemoteUser,
)

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
    """Reads candidates, applications, attachments, jobs, stages and users from Harvest v3."""

    provider = "greenhouse"
    display_name = "Greenhouse"
    capabilities = frozenset({
        Capability.READ_CANDIDATES, Capability.READ_APPLICATIONS, Capability.READ_JOBS,
        Capability.READ_STAGES, Capability.READ_USERS, Capability.READ_ATTACHMENTS,
        Capability.INCREMENTAL_SYNC, Capability.LIST_JOBS,
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
        self.tokens = GreenhouseTokens(
            self.http, auth_url=str(settings.get("auth_url") or DEFAULT_AUTH_URL), client_id=client_id,
            client_secret=client_secret, user_id=str(user_id) if user_id not in (None, "") else None,
            clock=clock)

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

    # --- reading --------------------------------------------------------------------------------

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
        """GET with the bearer token; on a 401 fetch a new token once and try again."""
        token = await self.tokens.current()
        try:
            return await self.http.request_json("GET", url, params=params, headers=_bearer(token))
        except CredentialsRefused as exc:
            if exc.status != 401:
                raise self._forbidden(exc, url) from exc
            log.info("Greenhouse refused the access token; requesting a new one")
        token = await self.tokens.renew(token)
        try:
            return await self.http.request_json("GET", url, params=params, headers=_bearer(token))
        except CredentialsRefused as exc:
            refused = credentials_refused(exc) if exc.status == 401 else self._forbidden(exc, url)
            raise refused from exc

    def _forbidden(self, exc: CredentialsRefused, url: str) -> AuthError:
        resource = httpx.URL(url).path.rstrip("/").rsplit("/", 1)[-1]
        detail = f" ({exc.detail})" if exc.detail else ""
        return CredentialsRefused(
            f"Greenhouse refused access to {resource}: check that the credential has the "
            f"harvest:{resource}:list scope and that the acting user (sub) is a Site Admin{detail}.",
            status=exc.status or 403, provider=self.provider, detail=exc.detail)

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
    return Interview(remote_id=remote_id, name=_text(row.get("name")) or "Interview",
                     schedulable=row.get("schedulable") is not False,
                     estimated_minutes=minutes if isinstance(minutes, int) and not isinstance(minutes, bool)
                     else None)


def _stage(row: dict[str, Any], interviews: dict[str, list[Interview]]) -> JobInterviewStage | None:
    remote_id = _id(row.get("id"))
    if remote_id is None:
        return None
    order = _first(row, "sort_order", "priority")
    return JobInterviewStage(remote_id=remote_id, job_remote_id=_id(row.get("job_id")),
                             name=_text(row.get("name")) or f"Stage {remote_id}",
                             sort_order=order if isinstance(order, int) and not isinstance(order, bool) else 0,
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
