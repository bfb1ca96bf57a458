"""A faithful fake of the Lever Data API v1, so the Lever adapter is proven over real HTTP before it meets Lever.

It follows shared/reference/ats/lever.md: HTTP Basic with the API key as username; every payload wrapped
in `{"data": ...}`; lists paged with `limit` (1-100) and an opaque `offset` token that comes back as
`next` with `hasNext`; epoch-millisecond timestamps; errors as `{"code", "message"}`; a per-key token
bucket (10 requests/s steady, bursts of 20) answering 429; `perform_as` as a query parameter on writes;
webhooks signed with HMAC-SHA256 over `token + triggeredAt`.

Choices where the reference is silent or unconfirmed, written down so they can be revisited:
- Lever keys can be limited to selected endpoints; each route here requires one permission name, in the
  style of the names admins are given (`list-opportunities`, `create-opportunity-note`, ...). Checks run in
  this order: authentication, rate limit, permission, then existence and validation. So a write to an
  opportunity that does not exist answers 403 without the permission and 404 with it, which is how the
  adapter probes write permissions without creating anything. The default key holds every permission;
  `DOCUMENTED_PERMISSIONS` are the twelve hirebot tells admins to grant, for tests of a minimal key.
- `GET /opportunities` and `GET /opportunities/{id}` honour `expand=` (repeated key) for `applications`,
  `stage`, `owner`, `followers`, `sourcedBy` and `contact`: each id is replaced by the full object
  (applications by application objects, stage by `{id, text}`, users by user objects, contact by
  `{id, name, headline, location, emails, phones, isAnonymized}`); any other value is a 400.
- Lists are ordered by (createdAt, id) ascending; the offset token is that pair of the last item, as
  URL-encoded JSON, like the tokens Lever sends.
- 429 carries `Retry-After` (whole seconds). Lever documents no rate-limit headers, so none are sent
  unless `rate_limit_headers=True`.
- Panels and notes answer 201 on create and 204 on delete; only panels created through the API
  (`externallyManaged`) can be changed or deleted through it. Their lists page like every other list;
  a panel keeps the `note` it was given, as written.
- Faults (`Chaos`) are the kit's (fail, malformed, delay before handling, and `answer_late_next`: the
  request is carried out and only its answer is held, which is how a write "times out" yet lands). A
  malformed answer here is a cut-off page sent without carrying the request out.
- `POST /opportunities` takes JSON or multipart/form-data (resume in `resumeFile`, or `resume`; extra
  files in `files[N]`; phones as `phones[N][type]` / `phones[N][value]`).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import hmac
import json
import math
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from aiohttp import web

from adapters.sandbox.chaos import Chaos as BaseChaos
from adapters.sandbox.chaos import Fault
from adapters.sandbox.documents import minimal_pdf
from adapters.sandbox.fake import Answer, FakeAts, FakeOptions, Handler
from adapters.sandbox.lever_dataset import (
    Contact,
    FileRecord,
    LeverState,
    Opportunity,
    ResumeRecord,
    generate,
)
from adapters.sandbox.ratelimit import RateLimitHeaders, TokenBucket
from adapters.sandbox.recorder import RecordedRequest as KitRecordedRequest
from adapters.sandbox.server import serve_in_foreground
from adapters.sandbox.webhooks import WebhookSender, sign_fields

API_PREFIX = "/v1"
SANDBOX_API_KEY = "sandbox-lever-key"
DEFAULT_APP_URL = "https://hire.sandbox.lever.co"
MAX_PAGE = 100
MAX_UPLOAD_BYTES = 30 * 1024 * 1024

# The twelve permissions hirebot's docs tell admins to grant (issue 3): a key with exactly these must be
# enough to connect and sync.
DOCUMENTED_PERMISSIONS = frozenset({
    "read-opportunity", "read-opportunity-panel", "read-candidate", "list-users", "list-opportunities",
    "list-opportunity-panels", "list-candidates", "create-opportunity-panel", "update-opportunity-panel",
    "delete-opportunity-panel", "create-opportunity-note", "delete-opportunity-note",
})
WRITE_PATH_PERMISSIONS = DOCUMENTED_PERMISSIONS
# Reads that make a sync richer (job names, stage list, hired-vs-rejected, resumes, files); optional.
OPTIONAL_READ_PERMISSIONS = frozenset({
    "list-postings", "list-stages", "list-archive-reasons", "list-opportunity-resumes", "list-opportunity-files",
})
SYNC_READ_PERMISSIONS = OPTIONAL_READ_PERMISSIONS

# Every route: (method, path under /v1, the permission it needs, the LeverSandbox handler's name).
# "edit:<verb>:<what>" names the generated addTags/removeTags/addLinks/... handlers.
ROUTE_TABLE: tuple[tuple[str, str, str, str], ...] = (
    ("GET", "/opportunities/deleted", "list-deleted-opportunities", "list_deleted"),
    ("GET", "/opportunities", "list-opportunities", "list_opportunities"),
    ("POST", "/opportunities", "create-opportunity", "create_opportunity"),
    ("GET", "/opportunities/{opp}", "read-opportunity", "get_opportunity"),
    ("PUT", "/opportunities/{opp}/stage", "update-opportunity-stage", "put_stage"),
    ("PUT", "/opportunities/{opp}/archived", "update-opportunity-archived", "put_archived"),
    *(("POST", f"/opportunities/{{opp}}/{verb}{what.capitalize()}", f"{verb}-opportunity-{what}",
       f"edit:{verb}:{what}") for verb in ("add", "remove") for what in ("tags", "links", "sources")),
    ("GET", "/opportunities/{opp}/applications", "list-opportunity-applications", "list_applications"),
    ("GET", "/opportunities/{opp}/applications/{item}", "read-opportunity-application", "get_application"),
    ("GET", "/opportunities/{opp}/resumes", "list-opportunity-resumes", "list_resumes"),
    ("GET", "/opportunities/{opp}/resumes/{item}", "read-opportunity-resume", "get_resume"),
    ("GET", "/opportunities/{opp}/resumes/{item}/download", "read-opportunity-resume", "download_resume"),
    ("GET", "/opportunities/{opp}/files", "list-opportunity-files", "list_files"),
    ("POST", "/opportunities/{opp}/files", "create-opportunity-file", "upload_file"),
    ("GET", "/opportunities/{opp}/files/{item}", "read-opportunity-file", "get_file"),
    ("GET", "/opportunities/{opp}/files/{item}/download", "read-opportunity-file", "download_file"),
    ("DELETE", "/opportunities/{opp}/files/{item}", "delete-opportunity-file", "delete_file"),
    ("GET", "/opportunities/{opp}/panels", "list-opportunity-panels", "list_panels"),
    ("POST", "/opportunities/{opp}/panels", "create-opportunity-panel", "create_panel"),
    ("GET", "/opportunities/{opp}/panels/{item}", "read-opportunity-panel", "get_panel"),
    ("PUT", "/opportunities/{opp}/panels/{item}", "update-opportunity-panel", "update_panel"),
    ("DELETE", "/opportunities/{opp}/panels/{item}", "delete-opportunity-panel", "delete_panel"),
    ("GET", "/opportunities/{opp}/interviews", "list-opportunity-interviews", "list_interviews"),
    ("GET", "/opportunities/{opp}/interviews/{item}", "read-opportunity-interview", "get_interview"),
    ("GET", "/opportunities/{opp}/notes", "list-opportunity-notes", "list_notes"),
    ("POST", "/opportunities/{opp}/notes", "create-opportunity-note", "create_note"),
    ("GET", "/opportunities/{opp}/notes/{item}", "read-opportunity-note", "get_note"),
    ("DELETE", "/opportunities/{opp}/notes/{item}", "delete-opportunity-note", "delete_note"),
    ("GET", "/candidates", "list-candidates", "list_candidates"),
    ("GET", "/candidates/{opp}", "read-candidate", "get_opportunity"),
    ("GET", "/users", "list-users", "list_users"),
    ("GET", "/users/{item}", "read-user", "get_user"),
    ("GET", "/stages", "list-stages", "list_stages"),
    ("GET", "/stages/{item}", "read-stage", "get_stage"),
    ("GET", "/archive_reasons", "list-archive-reasons", "list_archive_reasons"),
    ("GET", "/archive_reasons/{item}", "read-archive-reason", "get_archive_reason"),
    ("GET", "/postings", "list-postings", "list_postings"),
    ("GET", "/postings/{item}", "read-posting", "get_posting"),
    ("GET", "/tags", "list-tags", "list_tags"),
    ("GET", "/sources", "list-sources", "list_sources"),
    ("GET", "/webhooks", "list-webhooks", "list_webhooks"),
    ("POST", "/webhooks", "create-webhook", "create_webhook"),
    ("DELETE", "/webhooks/{item}", "delete-webhook", "delete_webhook"),
)
ALL_PERMISSIONS = frozenset(permission for _, _, permission, _ in ROUTE_TABLE)
# The sandbox's default key may do everything (the 12, the optional reads, creating candidates, ...), so the
# demo is rich; tests narrow it with `permissions=` to prove hirebot works with the documented twelve.
DEFAULT_PERMISSIONS = ALL_PERMISSIONS

OPPORTUNITY_EXPANDS = frozenset({"applications", "stage", "owner", "followers", "sourcedBy", "contact"})
POSTING_EXPANDS = frozenset({"owner", "hiringManager", "followers", "user"})
POSTING_STATES = frozenset({"published", "internal", "closed", "draft", "pending", "rejected"})
ORIGINS = frozenset({"agency", "applied", "internal", "referred", "sourced", "university"})
PHONE_TYPES = frozenset({"home", "mobile", "work", "skype", "other"})
FEEDBACK_REMINDERS = frozenset({"once", "daily", "frequently", "none"})
WEBHOOK_EVENTS = frozenset({
    "applicationCreated", "candidateStageChange", "candidateArchiveChange", "candidateHired", "candidateDeleted",
    "interviewCreated", "interviewUpdated", "interviewDeleted", "contactCreated", "contactUpdated",
})
ERROR_CODES = {400: "BadRequestError", 401: "UnauthorizedError", 403: "ForbiddenError", 404: "NotFoundError",
               405: "MethodNotAllowedError", 413: "PayloadTooLargeError", 429: "TooManyRequestsError",
               500: "InternalServerError", 502: "BadGatewayError", 503: "ServiceUnavailableError"}



class LeverApiError(Exception):
    """Raised inside handlers; the middleware answers with Lever's `{"code", "message"}` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"code": ERROR_CODES.get(status, "Error"), "message": message}
    return web.json_response(body, status=status, headers=headers)


# -- faults -----------------------------------------------------------------------------------------------


class Chaos(BaseChaos):
    """Faults for the Lever fake: the kit's, matched against paths with or without `/v1`."""

    def __init__(self, random_rate: float = 0.0, *, seed: int | None = None, timeout_seconds: float = 30.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        super().__init__(random_rate, seed=seed, timeout_seconds=timeout_seconds, sleep=sleep,
                         matcher=_path_matches)


def _path_matches(pattern: str | None, path: str) -> bool:
    """`None` matches all; a trailing `*` matches a prefix; paths match with or without `/v1`."""
    if pattern is None:
        return True
    bare = path[len(API_PREFIX):] if path.startswith(API_PREFIX + "/") else path
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1]) or bare.startswith(pattern[:-1])
    return pattern in (path, bare)


# -- recording and rate limiting -------------------------------------------------------------------------


class RecordedRequest(KitRecordedRequest):
    """One request as the sandbox saw it: `query` as (name, value) pairs, `body` as parsed JSON (the text
    when it is not JSON, `"<multipart>"` for uploads, None otherwise)."""

    @property
    def query(self) -> tuple[tuple[str, str], ...]:
        return self.pairs

    @property
    def body(self) -> Any:
        if self.multipart:
            return "<multipart>"
        if self.content_type != "application/json" or not self.raw:
            return None
        try:
            return json.loads(self.raw)
        except ValueError:
            return self.raw.decode("utf-8", "replace")


# Lever documents no rate-limit headers; with `rate_limit_headers=True` the fake sends these.
RATE_LIMIT_HEADERS = RateLimitHeaders()


# -- rendering: Lever's JSON shapes from the compact dataset records ----------------------------------


def _parsed_resume(seed: int, contact: Contact) -> dict[str, Any]:
    rng = random.Random(seed)
    companies = [part.strip() for part in (contact.headline or "").split(",") if part.strip()] or ["Globex"]
    positions = []
    year = 2024
    for org in companies[:3]:
        start = year - rng.randint(1, 4)
        positions.append({"org": org, "title": rng.choice(("Engineer", "Senior Engineer", "Manager", "Designer",
                                                           "Account Executive", "Analyst")),
                          "summary": "", "location": contact.location,
                          "start": {"year": start, "month": rng.randint(1, 12)},
                          "end": {"year": year, "month": rng.randint(1, 12)}})
        year = start
    schools = [{"org": rng.choice(("KTH", "ETH Zürich", "University of Lagos", "IIT Bombay", "MIT")),
                "degree": rng.choice(("BSc", "MSc", "BA", None)), "field": None, "summary": "",
                "start": {"year": year - 4, "month": 9}, "end": {"year": year, "month": 6}}]
    return {"positions": positions, "schools": schools}


class Renderer:
    """Turns dataset records into the Data API's response objects for one request's base URL."""

    def __init__(self, state: LeverState, api_base: str, app_url: str) -> None:
        self.state = state
        self.api_base = api_base
        self.app_url = app_url

    def user(self, user_id: str | None) -> dict[str, Any] | None:
        return dict(self.state.users[user_id]) if user_id in self.state.users else None

    def stage(self, stage_id: str) -> dict[str, Any]:
        return dict(self.state.stages.get(stage_id) or {"id": stage_id, "text": stage_id})

    def contact(self, contact: Contact) -> dict[str, Any]:
        return {"id": contact.id, "name": contact.name, "headline": contact.headline,
                "location": {"name": contact.location} if contact.location else None,
                "emails": list(contact.emails), "phones": [{"type": t, "value": v} for t, v in contact.phones],
                "isAnonymized": contact.is_anonymized}

    def archived(self, opp: Opportunity) -> dict[str, Any] | None:
        if opp.archived_reason is None:
            return None
        return {"reason": opp.archived_reason, "archivedAt": opp.archived_at}

    def opportunity(self, opp: Opportunity, expand: frozenset[str] = frozenset()) -> dict[str, Any]:
        contact = self.state.contact_of(opp)
        applications: list[Any] = []
        if opp.application is not None:
            applications = [self.application(opp) if "applications" in expand else opp.application.id]
        return {
            "id": opp.id, "name": contact.name, "headline": contact.headline,
            "contact": self.contact(contact) if "contact" in expand else contact.id,
            "stage": self.stage(opp.stage_id) if "stage" in expand else opp.stage_id,
            "confidentiality": "confidential" if opp.confidential else "non-confidential",
            "location": contact.location,
            "phones": [{"type": t, "value": v} for t, v in contact.phones],
            "emails": list(contact.emails), "links": list(contact.links),
            "archived": self.archived(opp), "tags": list(opp.tags), "sources": list(opp.sources),
            "stageChanges": [{"toStageId": stage, "toStageIndex": self.state.stage_index(stage), "updatedAt": at,
                              "userId": user} for stage, at, user in opp.stage_changes],
            "origin": opp.origin,
            "sourcedBy": self.user(opp.sourced_by) if "sourcedBy" in expand else opp.sourced_by,
            "owner": self.user(opp.owner_id) if "owner" in expand else opp.owner_id,
            "followers": [self.user(u) for u in opp.followers] if "followers" in expand else list(opp.followers),
            "applications": applications,
            "createdAt": opp.created_at, "updatedAt": opp.updated_at,
            "lastInteractionAt": opp.last_interaction_at, "lastAdvancedAt": opp.last_advanced_at,
            "snoozedUntil": opp.snoozed_until, "isAnonymized": contact.is_anonymized, "dataProtection": None,
            "opportunityLocation": opp.location,
            "urls": {"list": f"{self.app_url}/candidates", "show": f"{self.app_url}/candidates/{opp.id}"},
        }

    def application(self, opp: Opportunity) -> dict[str, Any]:
        app = opp.application
        assert app is not None
        contact = self.state.contact_of(opp)
        posting = self.state.postings.get(app.posting_id, {})
        return {
            "id": app.id, "opportunityId": opp.id, "candidateId": opp.id, "createdAt": app.created_at,
            "type": app.type, "posting": app.posting_id, "postingOwner": posting.get("owner"),
            "postingHiringManager": posting.get("hiringManager"), "user": app.user_id, "name": contact.name,
            "email": contact.emails[0] if contact.emails else None,
            "phone": ({"type": contact.phones[0][0], "value": contact.phones[0][1]} if contact.phones else None),
            "company": None, "links": list(contact.links), "comments": app.comments, "customQuestions": [],
            "archived": self.archived(opp), "requisitionForHire": None,
        }

    def resume_bytes(self, opp: Opportunity, resume: ResumeRecord) -> bytes:
        if resume.content is not None:
            return resume.content
        contact = self.state.contact_of(opp)
        parsed = _parsed_resume(resume.seed, contact)
        lines = [", ".join(contact.emails), *(f"{p['title']} at {p['org']}" for p in parsed["positions"])]
        return minimal_pdf(f"{contact.name} - Curriculum vitae", lines)

    def resume(self, opp: Opportunity, resume: ResumeRecord) -> dict[str, Any]:
        name = resume.filename
        return {
            "id": resume.id, "createdAt": resume.created_at,
            "file": {"name": name, "ext": _ext(name),
                     "downloadUrl": f"{self.api_base}/opportunities/{opp.id}/resumes/{resume.id}/download",
                     "uploadedAt": resume.created_at, "status": "processed",
                     "size": resume.size or len(self.resume_bytes(opp, resume))},
            "parsedData": _parsed_resume(resume.seed, self.state.contact_of(opp)),
        }

    def file_bytes(self, opp: Opportunity, item: FileRecord) -> bytes:
        if item.content is not None:
            return item.content
        contact = self.state.contact_of(opp)
        return minimal_pdf(item.name, [f"From {contact.name}", "I would love to join your team."])

    def file(self, opp: Opportunity, item: FileRecord) -> dict[str, Any]:
        return {"id": item.id, "downloadUrl": f"{self.api_base}/opportunities/{opp.id}/files/{item.id}/download",
                "ext": _ext(item.name), "name": item.name, "uploadedAt": item.uploaded_at, "status": "processed",
                "size": item.size or len(self.file_bytes(opp, item))}

    def posting(self, posting: dict[str, Any], expand: frozenset[str]) -> dict[str, Any]:
        out = dict(posting)
        for name in ("owner", "hiringManager", "user"):
            if name in expand:
                out[name] = self.user(posting.get(name))
        if "followers" in expand:
            out["followers"] = [self.user(u) for u in posting.get("followers", [])]
        return out


def _ext(name: str) -> str:
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


# -- request parsing -------------------------------------------------------------------------------------


def encode_offset(key: tuple[int, str]) -> str:
    return quote(json.dumps([key[0], key[1]], separators=(",", ":")), safe="")


def decode_offset(raw: str | None) -> tuple[int, str] | None:
    if raw is None:
        return None
    text = raw.strip()
    for _ in range(2):  # clients may send the token as given (still %-encoded) or decoded once
        if text.startswith("%"):
            text = unquote(text)
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
            or isinstance(value[0], bool) or not isinstance(value[1], str)):
        raise LeverApiError(400, "Invalid offset: pass back the `next` value from the previous page.")
    return value[0], value[1]


def parse_limit(request: web.Request) -> int:
    raw = request.query.get("limit")
    if raw is None:
        return MAX_PAGE
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_PAGE:
        raise LeverApiError(400, f"Invalid limit {raw!r}: must be an integer from 1 to {MAX_PAGE}.")
    return limit


def parse_ms(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise LeverApiError(400, f"Invalid {name} {raw!r}: timestamps are integers in epoch milliseconds.") from None


def parse_bool(request: web.Request, name: str) -> bool | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise LeverApiError(400, f"Invalid {name} {raw!r}: use true or false.")


def parse_expand(request: web.Request, allowed: frozenset[str]) -> frozenset[str]:
    values = frozenset(request.query.getall("expand", []))
    unknown = sorted(values - allowed)
    if unknown:
        raise LeverApiError(400, f"Invalid expand value {unknown[0]!r}. Allowed: {', '.join(sorted(allowed))}.")
    return values


def within(value: int | None, start: int | None, end: int | None) -> bool:
    if start is None and end is None:
        return True
    if value is None:
        return False
    return (start is None or value >= start) and (end is None or value <= end)


def page_response(items: list[dict[str, Any]], has_next: bool, last_key: tuple[int, str] | None
                  ) -> web.Response:
    body: dict[str, Any] = {"data": items, "hasNext": has_next}
    if has_next and last_key is not None:
        body["next"] = encode_offset(last_key)
    return web.json_response(body)


def page_of(rows: Iterable[tuple[tuple[int, str], dict[str, Any]]], limit: int,
            after: tuple[int, str] | None) -> web.Response:
    """Page an in-memory list of (sort key, object) pairs; rows must come sorted by key."""
    out: list[dict[str, Any]] = []
    last: tuple[int, str] | None = None
    for key, item in rows:
        if after is not None and key <= after:
            continue
        if len(out) == limit:
            return page_response(out, True, last)
        out.append(item)
        last = key
    return page_response(out, False, None)


async def read_json(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    raw = await request.read()  # cached: the recorder may have read it already
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise LeverApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise LeverApiError(400, "The request body must be a JSON object.")
    return body


# -- the application -------------------------------------------------------------------------------------


@dataclass
class Delivery:
    url: str
    payload: dict[str, Any]
    status: int | None
    error: str | None = None


@dataclass
class _Route:
    method: str
    path: str
    permission: str
    handler: Handler


@dataclass
class OpportunityQuery:
    """The filters of `GET /opportunities`, parsed once per request."""

    expand: frozenset[str]
    confidentiality: str
    archived: bool | None
    snoozed: bool | None
    stage_ids: frozenset[str]
    posting_ids: frozenset[str]
    archived_posting_ids: frozenset[str]
    reason_ids: frozenset[str]
    tags: frozenset[str]
    origins: frozenset[str]
    sources: frozenset[str]
    windows: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    preselected: list[str] | None = None


class LeverSandbox(FakeAts):
    """The fake Lever Data API: `.app` to serve, `.state` to change, `.requests` to assert on."""

    provider = "lever"
    title = "Lever (Data API v1)"
    record_type = RecordedRequest
    client_max_size = MAX_UPLOAD_BYTES + 1024 * 1024

    def __init__(self, state: LeverState, *, api_key: str = SANDBOX_API_KEY,
                 permissions: frozenset[str] | None = None, rate_limit: float = 10.0, burst: int = 20,
                 clock: Callable[[], float] = time.time, chaos: Chaos | None = None,
                 app_url: str = DEFAULT_APP_URL, rate_limit_headers: bool = False,
                 max_recorded: int | None = None) -> None:
        super().__init__(clock=clock, chaos=chaos or Chaos(), max_recorded=max_recorded)
        self.state = state
        self.api_key = api_key
        self.permissions = DEFAULT_PERMISSIONS if permissions is None else frozenset(permissions)
        self.rate_limit = rate_limit
        self.burst = burst
        self.app_url = app_url.rstrip("/")
        self.rate_limit_headers = rate_limit_headers
        self.deliveries: list[Delivery] = []
        self.buckets: dict[str, TokenBucket] = {}
        self.rate_limited = 0  # requests refused with 429 by the token bucket (not by chaos)
        state.clock = clock  # writes through the API and the test helpers stamp times from the same clock
        self.routes = self._routes()
        self.app = self.build_app()

    @classmethod
    def build(cls, options: FakeOptions) -> Self:
        return cls(generate(seed=options.seed, candidates=options.candidates, now=options.now,
                            shared_people=options.shared_people),
                   chaos=Chaos(options.chaos, seed=options.seed), max_recorded=1000)

    def connect_values(self, url: str) -> dict[str, str]:
        return {"api_key": self.api_key, "base_url": f"{url}{API_PREFIX}"}

    def connection_help(self, url: str) -> str:
        return (f"connect: hirebot connect lever --base-url {url}{API_PREFIX} --api-key {self.api_key} "
                "(HTTP Basic username, empty password)")

    def add_routes(self, app: web.Application) -> None:
        for route in self.routes:
            app.router.add_route(route.method, API_PREFIX + route.path, self._guarded(route))

    @property
    def all_permissions(self) -> frozenset[str]:
        return frozenset(route.permission for route in self.routes)

    def _routes(self) -> list[_Route]:
        routes = []
        for method, path, permission, name in ROUTE_TABLE:
            if name.startswith("edit:"):
                _, verb, what = name.split(":")
                handler = self._list_edit(verb, what)
            else:
                handler = getattr(self, name)
            routes.append(_Route(method, path, permission, handler))
        return routes

    # -- the pipeline: chaos, auth, rate limit, errors ----------------------------------------------------

    async def respond(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Injected faults first, then what Lever would answer."""
        return await self.with_faults(request.path, lambda: self._answer(request, handler))

    async def malformed_response(self, answer: Answer) -> web.StreamResponse:
        """Lever's malformed answer is a cut-off page, sent without carrying the request out."""
        return web.Response(body=b'{"data": [{"id": "2087af84-f146-4535', status=200,
                            content_type="application/json")

    def fault_response(self, fault: Fault) -> web.Response:
        headers = {"Retry-After": str(math.ceil(fault.retry_after))} if fault.retry_after is not None else None
        if fault.body is not None:
            return web.Response(body=fault.body, status=fault.status, headers=headers,
                                content_type="application/json")
        message = "Too many requests" if fault.status == 429 else "Something went wrong on our side."
        return error_response(fault.status, message, headers)

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """What Lever answers: authentication, then the rate limit, then the route."""
        refused = self._authenticate(request)
        if refused is not None:
            return refused
        bucket = self.buckets.setdefault(self.api_key, TokenBucket(self.rate_limit, self.burst))
        wait = bucket.take(self.clock())
        if wait > 0:
            self.rate_limited += 1
            seconds = str(max(1, math.ceil(wait)))
            return error_response(429, "Too many requests: slow down and retry after a moment.",
                                  {"Retry-After": seconds, **self._rate_headers(bucket)})
        try:
            response = await handler(request)
        except LeverApiError as exc:
            response = error_response(exc.status, exc.message)
        except web.HTTPException as exc:
            response = error_response(exc.status, exc.reason or "Request failed")
        response.headers.update(self._rate_headers(bucket))
        return response

    def _authenticate(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            return error_response(401, "Authentication required: use HTTP Basic auth with your API key as the "
                                       "username and an empty password.",
                                  {"WWW-Authenticate": 'Basic realm="Lever API"'})
        try:
            username = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            username = ""
        if not hmac.compare_digest(username.encode(), self.api_key.encode()):
            return error_response(401, "Invalid API key.", {"WWW-Authenticate": 'Basic realm="Lever API"'})
        return None

    def _rate_headers(self, bucket: TokenBucket) -> dict[str, str]:
        if not self.rate_limit_headers:
            return {}
        return bucket.headers(self.clock(), RATE_LIMIT_HEADERS)

    def _guarded(self, route: _Route) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            if route.permission not in self.permissions:
                raise LeverApiError(403, f"This API key does not have the {route.permission} permission. "
                                         "A Super Admin can add it under Settings > Integrations and API.")
            return await route.handler(request)
        return handle

    # -- shared lookups ----------------------------------------------------------------------------------

    def renderer(self, request: web.Request) -> Renderer:
        return Renderer(self.state, f"{request.scheme}://{request.host}{API_PREFIX}", self.app_url)

    def _opportunity(self, request: web.Request) -> Opportunity:
        opp = self.state.opportunities.get(request.match_info["opp"])
        if opp is None:
            raise LeverApiError(404, "That opportunity doesn't exist on your account.")
        return opp

    def _acting_user(self, request: web.Request, *, required: bool) -> str | None:
        user_id = request.query.get("perform_as")
        if not user_id:
            if required:
                raise LeverApiError(400, "Missing perform_as: pass the id of the Lever user making this change.")
            return None
        user = self.state.users.get(user_id)
        if user is None or user["deactivatedAt"] is not None:
            raise LeverApiError(400, f"Invalid perform_as: {user_id} is not an active user on your account.")
        return user_id

    def _now(self) -> int:
        return int(self.clock() * 1000)

    # -- opportunities -----------------------------------------------------------------------------------

    async def list_opportunities(self, request: web.Request) -> web.Response:
        limit = parse_limit(request)
        after = decode_offset(request.query.get("offset"))
        query = self._opportunity_query(request)
        render = self.renderer(request)
        out: list[dict[str, Any]] = []
        last: tuple[int, str] | None = None
        for opp in self._candidates_for(query, after):
            if not self._matches(opp, query):
                continue
            if len(out) == limit:
                return page_response(out, True, last)
            out.append(render.opportunity(opp, query.expand))
            last = (opp.created_at, opp.id)
        return page_response(out, False, None)

    async def list_candidates(self, request: web.Request) -> web.Response:
        """The deprecated `/candidates` list: legacy candidate ids equal opportunity ids."""
        return await self.list_opportunities(request)

    def _opportunity_query(self, request: web.Request) -> OpportunityQuery:
        q = request.query
        confidentiality = q.get("confidentiality", "non-confidential")
        if confidentiality not in ("non-confidential", "confidential", "all"):
            raise LeverApiError(400, "Invalid confidentiality: use non-confidential, confidential or all.")
        query = OpportunityQuery(
            expand=parse_expand(request, OPPORTUNITY_EXPANDS), confidentiality=confidentiality,
            archived=parse_bool(request, "archived"), snoozed=parse_bool(request, "snoozed"),
            stage_ids=frozenset(q.getall("stage_id", [])), posting_ids=frozenset(q.getall("posting_id", [])),
            archived_posting_ids=frozenset(q.getall("archived_posting_id", [])),
            reason_ids=frozenset(q.getall("archive_reason_id", [])), tags=frozenset(q.getall("tag", [])),
            origins=frozenset(q.getall("origin", [])), sources=frozenset(q.getall("source", [])),
        )
        for name in ("updated_at", "created_at", "advanced_at", "archived_at"):
            window = (parse_ms(request, f"{name}_start"), parse_ms(request, f"{name}_end"))
            if window != (None, None):
                query.windows[name] = window
        query.preselected = self._preselect(q.getall("email", []), q.getall("contact_id", []))
        return query

    def _preselect(self, emails: list[str], contact_ids: list[str]) -> list[str] | None:
        """Opportunity ids for the `email` / `contact_id` filters, read from the indexes."""
        if not emails and not contact_ids:
            return None
        contacts: set[str] | None = None
        if emails:
            canonical = [email.strip().lower() for email in emails]
            bad = [email for email in canonical if "@" not in email or email.startswith("@") or email.endswith("@")]
            if bad:
                raise LeverApiError(400, f"Invalid email filter {bad[0]!r}: expected an email address.")
            contacts = {self.state.email_index[e] for e in canonical if e in self.state.email_index}
        if contact_ids:
            wanted = set(contact_ids)
            contacts = wanted if contacts is None else contacts & wanted
        return [opp_id for contact_id in contacts or ()
                for opp_id in self.state.contact_opportunities.get(contact_id, [])]

    def _candidates_for(self, query: OpportunityQuery, after: tuple[int, str] | None) -> Iterator[Opportunity]:
        if query.preselected is None:
            yield from self.state.opportunities_after(after)
            return
        opps = sorted((self.state.opportunities[i] for i in query.preselected if i in self.state.opportunities),
                      key=lambda o: (o.created_at, o.id))
        yield from (opp for opp in opps if after is None or (opp.created_at, opp.id) > after)

    def _matches(self, opp: Opportunity, query: OpportunityQuery) -> bool:
        if query.confidentiality != "all" and opp.confidential != (query.confidentiality == "confidential"):
            return False
        if query.archived is not None and (opp.archived_reason is not None) != query.archived:
            return False
        if query.snoozed is not None and (opp.snoozed_until is not None) != query.snoozed:
            return False
        posting = opp.application.posting_id if opp.application else None
        checks = (
            (query.stage_ids, opp.stage_id in query.stage_ids),
            (query.posting_ids, posting in query.posting_ids),
            (query.archived_posting_ids, posting in query.archived_posting_ids and opp.archived_reason),
            (query.reason_ids, opp.archived_reason in query.reason_ids),
            (query.tags, bool(query.tags & set(opp.tags))),
            (query.origins, opp.origin in query.origins),
            (query.sources, bool(query.sources & set(opp.sources))),
        )
        if any(wanted and not ok for wanted, ok in checks):
            return False
        moments = {"updated_at": opp.updated_at, "created_at": opp.created_at,
                   "advanced_at": opp.last_advanced_at, "archived_at": opp.archived_at}
        return all(within(moments[name], *window) for name, window in query.windows.items())

    async def get_opportunity(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        expand = parse_expand(request, OPPORTUNITY_EXPANDS)
        return web.json_response({"data": self.renderer(request).opportunity(opp, expand)})

    async def list_deleted(self, request: web.Request) -> web.Response:
        limit = parse_limit(request)
        after = decode_offset(request.query.get("offset"))
        start, end = parse_ms(request, "deleted_at_start"), parse_ms(request, "deleted_at_end")
        rows = sorted(((at, opp_id), {"id": opp_id, "deletedAt": at}) for opp_id, at in self.state.deleted.items()
                      if within(at, start, end))
        return page_of(rows, limit, after)

    async def create_opportunity(self, request: web.Request) -> web.Response:
        actor = self._acting_user(request, required=True)
        fields = await self._creation_fields(request)
        posting_ids = fields["postings"]
        for posting_id in posting_ids:
            if posting_id not in self.state.postings:
                raise LeverApiError(400, f"Invalid posting {posting_id}: no such posting on your account.")
        if len(posting_ids) > 1:
            raise LeverApiError(400, "An opportunity can be applied to one posting; create one per posting.")
        owner = fields.get("owner") or actor
        if parse_bool(request, "perform_as_posting_owner") and posting_ids:
            owner = self.state.postings[posting_ids[0]].get("owner") or actor
        opp = self.state.add_opportunity(
            fields.get("name") or "", emails=fields["emails"], phones=fields["phones"], links=fields["links"],
            headline=fields.get("headline"), location=fields.get("location"),
            posting_id=posting_ids[0] if posting_ids else None, stage_id=fields.get("stage"),
            tags=fields["tags"], sources=fields["sources"], origin=fields.get("origin") or "sourced",
            owner_id=owner, followers=fields["followers"], contact_id=fields.get("contact"), resume=False,
            resume_file=fields.get("resume_file"),
        )
        for name, content in fields["files"]:
            opp.files.append(FileRecord(id=self.state.new_id(), name=name, uploaded_at=opp.created_at,
                                        size=len(content), content=content))
        self._apply_creation_archive(opp, fields.get("archived"))
        return web.json_response({"data": self.renderer(request).opportunity(opp)}, status=201)

    async def _creation_fields(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "multipart/form-data":
            fields = await _multipart_fields(request)
        else:
            fields = _json_creation_fields(await read_json(request))
        if not fields.get("name") and not fields["emails"] and not fields.get("resume_file"):
            raise LeverApiError(400, "An opportunity needs at least a name, an email or a resume.")
        if fields.get("origin") and fields["origin"] not in ORIGINS:
            raise LeverApiError(400, f"Invalid origin {fields['origin']!r}: use one of {', '.join(sorted(ORIGINS))}.")
        if fields.get("stage") and fields["stage"] not in self.state.stages:
            raise LeverApiError(400, f"Invalid stage {fields['stage']!r}.")
        if fields.get("contact") and fields["contact"] not in self.state.contacts:
            raise LeverApiError(400, f"Invalid contact {fields['contact']!r}.")
        for user_id in [fields.get("owner"), *fields["followers"]]:
            if user_id and user_id not in self.state.users:
                raise LeverApiError(400, f"Invalid user {user_id!r}.")
        for phone_type, _ in fields["phones"]:
            if phone_type not in PHONE_TYPES:
                raise LeverApiError(400, f"Invalid phone type {phone_type!r}.")
        if fields.get("resume_file") and parse_bool(request, "parse") and not fields["emails"]:
            fields["emails"] = _emails_in(fields["resume_file"][1])
        return fields

    def _apply_creation_archive(self, opp: Opportunity, archived: dict[str, Any] | None) -> None:
        if not archived or not archived.get("reason"):
            return
        reason = str(archived["reason"])
        if reason not in self.state.archive_reasons:
            raise LeverApiError(400, f"Invalid archive reason {reason!r}.")
        at = archived.get("archivedAt")
        self.state.archive_opportunity(opp.id, reason_id=reason)
        if isinstance(at, int):
            opp.archived_at = at

    async def put_stage(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        self._acting_user(request, required=False)
        stage = (await read_json(request)).get("stage")
        if not isinstance(stage, str) or stage not in self.state.stages:
            raise LeverApiError(400, f"Invalid stage {stage!r}.")
        self.state.update_opportunity(opp.id, stage_id=stage)
        return web.json_response({"data": self.renderer(request).opportunity(opp)})

    async def put_archived(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        self._acting_user(request, required=False)
        body = await read_json(request)
        reason = body.get("reason")
        if reason is None:
            self.state.unarchive_opportunity(opp.id)
        elif isinstance(reason, str) and reason in self.state.archive_reasons:
            self.state.archive_opportunity(opp.id, reason_id=reason)
            if body.get("cleanInterviews"):
                self.state.panels.pop(opp.id, None)
        else:
            raise LeverApiError(400, f"Invalid archive reason {reason!r}.")
        return web.json_response({"data": self.renderer(request).opportunity(opp)})

    def _list_edit(self, verb: str, what: str) -> Handler:
        async def edit(request: web.Request) -> web.Response:
            opp = self._opportunity(request)
            self._acting_user(request, required=False)
            values = (await read_json(request)).get(what)
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise LeverApiError(400, f"Expected {{\"{what}\": [..strings..]}}.")
            current = list(self.state.contact_of(opp).links) if what == "links" else list(getattr(opp, what))
            changed = ([*current, *(v for v in values if v not in current)] if verb == "add"
                       else [v for v in current if v not in values])
            change: dict[str, Any] = {what: changed}
            self.state.update_opportunity(opp.id, **change)
            return web.json_response({"data": self.renderer(request).opportunity(opp)})
        return edit

    # -- applications, resumes, files --------------------------------------------------------------------

    async def list_applications(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        items = [self.renderer(request).application(opp)] if opp.application else []
        return page_response(items, False, None)

    async def get_application(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        if opp.application is None or opp.application.id != request.match_info["item"]:
            raise LeverApiError(404, "That application doesn't exist on this opportunity.")
        return web.json_response({"data": self.renderer(request).application(opp)})

    async def list_resumes(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        render = self.renderer(request)
        rows = [((r.created_at, r.id), render.resume(opp, r)) for r in opp.resumes]
        return page_of(sorted(rows, key=lambda row: row[0]), parse_limit(request),
                       decode_offset(request.query.get("offset")))

    def _resume(self, request: web.Request) -> tuple[Opportunity, ResumeRecord]:
        opp = self._opportunity(request)
        resume = next((r for r in opp.resumes if r.id == request.match_info["item"]), None)
        if resume is None:
            raise LeverApiError(404, "That resume doesn't exist on this opportunity.")
        return opp, resume

    async def get_resume(self, request: web.Request) -> web.Response:
        opp, resume = self._resume(request)
        return web.json_response({"data": self.renderer(request).resume(opp, resume)})

    async def download_resume(self, request: web.Request) -> web.Response:
        opp, resume = self._resume(request)
        return _file_response(self.renderer(request).resume_bytes(opp, resume), resume.filename)

    async def list_files(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        render = self.renderer(request)
        rows = [((f.uploaded_at, f.id), render.file(opp, f)) for f in opp.files]
        return page_of(sorted(rows, key=lambda row: row[0]), parse_limit(request),
                       decode_offset(request.query.get("offset")))

    def _file(self, request: web.Request) -> tuple[Opportunity, FileRecord]:
        opp = self._opportunity(request)
        item = next((f for f in opp.files if f.id == request.match_info["item"]), None)
        if item is None:
            raise LeverApiError(404, "That file doesn't exist on this opportunity.")
        return opp, item

    async def get_file(self, request: web.Request) -> web.Response:
        opp, item = self._file(request)
        return web.json_response({"data": self.renderer(request).file(opp, item)})

    async def download_file(self, request: web.Request) -> web.Response:
        opp, item = self._file(request)
        return _file_response(self.renderer(request).file_bytes(opp, item), item.name)

    async def upload_file(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        self._acting_user(request, required=True)
        if request.content_type != "multipart/form-data":
            raise LeverApiError(400, "Upload the file as multipart/form-data in a field named `file`.")
        upload = None
        async for part in (await request.multipart()):
            if isinstance(part, aiohttp.BodyPartReader) and part.name == "file":
                upload = (part.filename or "file", bytes(await part.read()))
        if upload is None:
            raise LeverApiError(400, "Missing the `file` field.")
        item = FileRecord(id=self.state.new_id(), name=upload[0], uploaded_at=self._now(), size=len(upload[1]),
                          content=upload[1])
        opp.files.append(item)
        opp.updated_at = self._now()
        return web.json_response({"data": self.renderer(request).file(opp, item)}, status=201)

    async def delete_file(self, request: web.Request) -> web.Response:
        opp, item = self._file(request)
        opp.files.remove(item)
        opp.updated_at = self._now()
        return web.Response(status=204)

    # -- panels and interviews -----------------------------------------------------------------------------

    async def list_panels(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        rows = sorted(((p["createdAt"], p["id"]), p) for p in self.state.panels.get(opp.id, {}).values())
        return page_of(rows, parse_limit(request), decode_offset(request.query.get("offset")))

    def _panel(self, request: web.Request) -> tuple[Opportunity, dict[str, Any]]:
        opp = self._opportunity(request)
        panel = self.state.panels.get(opp.id, {}).get(request.match_info["item"])
        if panel is None:
            raise LeverApiError(404, "That panel doesn't exist on this opportunity.")
        return opp, panel

    async def get_panel(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self._panel(request)[1]})

    async def create_panel(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        actor = self._acting_user(request, required=True)
        panel = self._build_panel(opp, await read_json(request), actor, self.state.new_id(), self._now())
        self.state.panels.setdefault(opp.id, {})[panel["id"]] = panel
        opp.last_interaction_at = panel["createdAt"]
        return web.json_response({"data": panel}, status=201)

    async def update_panel(self, request: web.Request) -> web.Response:
        opp, current = self._panel(request)
        actor = self._acting_user(request, required=True)
        self._require_external(current)
        panel = self._build_panel(opp, await read_json(request), actor, current["id"], current["createdAt"])
        self.state.panels[opp.id][panel["id"]] = panel
        return web.json_response({"data": panel})

    async def delete_panel(self, request: web.Request) -> web.Response:
        opp, current = self._panel(request)
        self._acting_user(request, required=False)
        self._require_external(current)
        del self.state.panels[opp.id][current["id"]]
        return web.Response(status=204)

    @staticmethod
    def _require_external(panel: dict[str, Any]) -> None:
        if not panel.get("externallyManaged"):
            raise LeverApiError(400, "Only panels created through the API can be changed through the API.")

    def _build_panel(self, opp: Opportunity, body: dict[str, Any], actor: str | None, panel_id: str,
                     created_at: int) -> dict[str, Any]:
        timezone = body.get("timezone")
        if timezone is not None:
            _check_timezone(timezone)
        reminder = body.get("feedbackReminder", "frequently")
        if reminder not in FEEDBACK_REMINDERS:
            raise LeverApiError(400, f"Invalid feedbackReminder {reminder!r}: use once, daily, frequently or none.")
        applications = body.get("applications") or []
        own = {opp.application.id} if opp.application else set()
        if not isinstance(applications, list) or any(a not in own for a in applications):
            raise LeverApiError(400, "Invalid applications: they must be applications of this opportunity.")
        for name in ("note", "externalUrl"):
            if body.get(name) is not None and not isinstance(body.get(name), str):
                raise LeverApiError(400, f"`{name}` must be text.")
        raw_interviews = body.get("interviews")
        if not isinstance(raw_interviews, list) or not raw_interviews:
            raise LeverApiError(400, "A panel needs at least one interview.")
        interviews = [self._build_interview(item, panel_id, opp, timezone, reminder, actor, created_at)
                      for item in raw_interviews]
        return {
            "id": panel_id, "applications": list(applications), "canceledAt": None, "createdAt": created_at,
            "start": min(i["date"] for i in interviews),
            "end": max(i["date"] + i["duration"] * 60_000 for i in interviews),
            "timezone": timezone, "feedbackReminder": reminder, "user": actor, "stage": opp.stage_id,
            "note": body.get("note"), "externallyManaged": True, "externalUrl": body.get("externalUrl"),
            "interviews": interviews,
        }

    def _build_interview(self, item: Any, panel_id: str, opp: Opportunity, timezone: str | None, reminder: str,
                         actor: str | None, created_at: int) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise LeverApiError(400, "Each interview must be an object.")
        date, duration = item.get("date"), item.get("duration")
        if not isinstance(date, int) or isinstance(date, bool):
            raise LeverApiError(400, "Each interview needs `date`: its start in epoch milliseconds.")
        if not isinstance(duration, int) or isinstance(duration, bool) or duration <= 0:
            raise LeverApiError(400, "Each interview needs `duration`: a positive number of minutes.")
        interviewers = item.get("interviewers")
        if not isinstance(interviewers, list) or not interviewers:
            raise LeverApiError(400, "Each interview needs at least one interviewer.")
        people = []
        for person in interviewers:
            user = self.state.users.get(str(person.get("id"))) if isinstance(person, dict) else None
            if user is None or user["deactivatedAt"] is not None:
                raise LeverApiError(400, f"Invalid interviewer {person!r}: use the id of an active Lever user.")
            people.append({"id": user["id"], "email": user["email"], "name": user["name"]})
        return {
            "id": str(item.get("id") or self.state.new_id()), "panel": panel_id,
            "subject": item.get("subject"), "note": item.get("note"), "interviewers": people,
            "timezone": timezone, "date": date, "duration": duration, "location": item.get("location"),
            "feedbackTemplate": item.get("feedbackTemplate"), "feedbackForms": [],
            "feedbackReminder": reminder, "user": actor, "stage": opp.stage_id, "canceledAt": None,
            "postings": [opp.application.posting_id] if opp.application else [], "gcalEventUrl": None,
            "createdAt": created_at,
        }

    async def list_interviews(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        rows = sorted(((i["createdAt"], i["id"]), i) for p in self.state.panels.get(opp.id, {}).values()
                      for i in p["interviews"])
        return page_of(rows, parse_limit(request), decode_offset(request.query.get("offset")))

    async def get_interview(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        wanted = request.match_info["item"]
        for panel in self.state.panels.get(opp.id, {}).values():
            for interview in panel["interviews"]:
                if interview["id"] == wanted:
                    return web.json_response({"data": interview})
        raise LeverApiError(404, "That interview doesn't exist on this opportunity.")

    # -- notes ---------------------------------------------------------------------------------------------

    async def list_notes(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        rows = sorted(((n["createdAt"], n["id"]), n) for n in self.state.notes.get(opp.id, {}).values())
        return page_of(rows, parse_limit(request), decode_offset(request.query.get("offset")))

    async def get_note(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        note = self.state.notes.get(opp.id, {}).get(request.match_info["item"])
        if note is None:
            raise LeverApiError(404, "That note doesn't exist on this opportunity.")
        return web.json_response({"data": note})

    async def create_note(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        actor = self._acting_user(request, required=False)
        body = await read_json(request)
        value = body.get("value")
        if not isinstance(value, str) or not value.strip():
            raise LeverApiError(400, "A note needs `value`: its text.")
        score = body.get("score")
        if score is not None and (not isinstance(score, int) or isinstance(score, bool)):
            raise LeverApiError(400, "`score` must be an integer.")
        given = body.get("createdAt")
        created = given if isinstance(given, int) and not isinstance(given, bool) else None
        note = self.add_note(opp.id, value, user=actor, secret=bool(body.get("secret", False)), score=score,
                             created_at=created)
        return web.json_response({"data": note}, status=201)

    def add_note(self, opportunity_id: str, value: str, *, user: str | None = None, secret: bool = False,
                 score: int | None = None, created_at: int | None = None) -> dict[str, Any]:
        """Add a note to an opportunity as `POST .../notes` does (also for tests: a note someone made in Lever)."""
        opp = self.state.opportunities[opportunity_id]
        created = self._now() if created_at is None else created_at
        note_id = self.state.new_id()
        note = {"id": note_id, "noteId": note_id, "text": "Note", "secret": secret,
                "user": user, "createdAt": created, "completedAt": created, "deletedAt": None,
                "fields": [{"type": "note", "text": "Comment", "value": value, "stage": opp.stage_id,
                            "score": score, "user": user, "createdAt": created}]}
        self.state.notes.setdefault(opp.id, {})[note_id] = note
        opp.last_interaction_at = created
        return note

    async def delete_note(self, request: web.Request) -> web.Response:
        opp = self._opportunity(request)
        self._acting_user(request, required=False)
        if self.state.notes.get(opp.id, {}).pop(request.match_info["item"], None) is None:
            raise LeverApiError(404, "That note doesn't exist on this opportunity.")
        return web.Response(status=204)

    # -- account-wide lists --------------------------------------------------------------------------------

    async def list_users(self, request: web.Request) -> web.Response:
        include_deactivated = parse_bool(request, "includeDeactivated") or False
        emails = {e.strip().lower() for e in request.query.getall("email", [])}
        roles = set(request.query.getall("accessRole", []))
        rows = sorted(((u["createdAt"], u["id"]), dict(u)) for u in self.state.users.values()
                      if (include_deactivated or u["deactivatedAt"] is None)
                      and (not emails or u["email"].lower() in emails) and (not roles or u["accessRole"] in roles))
        return page_of(rows, parse_limit(request), decode_offset(request.query.get("offset")))

    async def get_user(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self._lookup(self.state.users, request, "user")})

    async def list_stages(self, request: web.Request) -> web.Response:
        rows = [((index, stage_id), dict(stage)) for index, (stage_id, stage) in enumerate(self.state.stages.items())]
        return page_of(rows, parse_limit(request), decode_offset(request.query.get("offset")))

    async def get_stage(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self._lookup(self.state.stages, request, "stage")})

    async def list_archive_reasons(self, request: web.Request) -> web.Response:
        kind = request.query.get("type")
        rows = [((index, reason_id), dict(reason))
                for index, (reason_id, reason) in enumerate(self.state.archive_reasons.items())
                if kind is None or reason["type"] == kind]
        return page_of(rows, parse_limit(request), decode_offset(request.query.get("offset")))

    async def get_archive_reason(self, request: web.Request) -> web.Response:
        return web.json_response({"data": self._lookup(self.state.archive_reasons, request, "archive reason")})

    async def list_postings(self, request: web.Request) -> web.Response:
        q = request.query
        states = set(q.getall("state", []))
        if states - POSTING_STATES:
            raise LeverApiError(400, f"Invalid state {sorted(states - POSTING_STATES)[0]!r}.")
        expand = parse_expand(request, POSTING_EXPANDS)
        confidentiality = q.get("confidentiality", "non-confidential")
        start, end = parse_ms(request, "updated_at_start"), parse_ms(request, "updated_at_end")
        category_filters = {name: set(q.getall(name, [])) for name in ("team", "department", "location", "commitment")}
        tags = set(q.getall("tag", []))
        render = self.renderer(request)

        def wanted(p: dict[str, Any]) -> bool:
            return ((not states or p["state"] in states)
                    and (confidentiality == "all" or p["confidentiality"] == confidentiality)
                    and within(p["updatedAt"], start, end) and (not tags or bool(tags & set(p["tags"])))
                    and all(not values or p["categories"].get(name) in values
                            for name, values in category_filters.items()))

        rows = sorted(((p["createdAt"], p["id"]), render.posting(p, expand))
                      for p in self.state.postings.values() if wanted(p))
        return page_of(rows, parse_limit(request), decode_offset(q.get("offset")))

    async def get_posting(self, request: web.Request) -> web.Response:
        posting = self._lookup(self.state.postings, request, "posting")
        expand = parse_expand(request, POSTING_EXPANDS)
        return web.json_response({"data": self.renderer(request).posting(posting, expand)})

    async def list_tags(self, request: web.Request) -> web.Response:
        return self._counted(request, lambda opp: opp.tags)

    async def list_sources(self, request: web.Request) -> web.Response:
        return self._counted(request, lambda opp: opp.sources)

    def _counted(self, request: web.Request, values: Callable[[Opportunity], list[str]]) -> web.Response:
        counts: dict[str, int] = {}
        for opp in self.state.opportunities.values():
            for value in values(opp):
                counts[value] = counts.get(value, 0) + 1
        rows = [((0, text), {"text": text, "count": count}) for text, count in sorted(counts.items())]
        return page_of(rows, parse_limit(request), decode_offset(request.query.get("offset")))

    @staticmethod
    def _lookup(table: dict[str, dict[str, Any]], request: web.Request, what: str) -> dict[str, Any]:
        item = table.get(request.match_info["item"])
        if item is None:
            raise LeverApiError(404, f"That {what} doesn't exist on your account.")
        return dict(item)

    # -- webhooks ------------------------------------------------------------------------------------------

    async def list_webhooks(self, request: web.Request) -> web.Response:
        rows = sorted(((w["createdAt"], w["id"]), w) for w in self.state.webhooks.values())
        return page_of(rows, parse_limit(request), decode_offset(request.query.get("offset")))

    async def create_webhook(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        event, url = body.get("event"), body.get("url")
        if event not in WEBHOOK_EVENTS:
            raise LeverApiError(400, f"Invalid event {event!r}.")
        if not isinstance(url, str) or not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise LeverApiError(400, "Webhook URLs must use HTTPS.")
        conditions = (body.get("configuration") or {}).get("conditions") or {}
        webhook = self.add_webhook(event, url, origins=conditions.get("origins"))
        return web.json_response({"data": webhook}, status=201)

    async def delete_webhook(self, request: web.Request) -> web.Response:
        if self.state.webhooks.pop(request.match_info["item"], None) is None:
            raise LeverApiError(404, "That webhook doesn't exist on your account.")
        return web.Response(status=204)

    def add_webhook(self, event: str, url: str, *, origins: list[str] | None = None,
                    signature_token: str | None = None) -> dict[str, Any]:
        """Register a webhook as an admin would in Settings; returns it with its signature token."""
        webhook_id = self.state.new_id()
        webhook = {"id": webhook_id, "event": event, "url": url, "createdAt": self._now(),
                   "configuration": {"signatureToken": signature_token or secrets.token_hex(24),
                                     "conditions": {"origins": origins} if origins else None}}
        self.state.webhooks[webhook_id] = webhook
        return webhook

    def sign(self, token: str, triggered_at: int, signature_token: str) -> str:
        """Lever signs two fields of the payload: HMAC-SHA256 over `token + triggeredAt`."""
        return sign_fields(signature_token, token, triggered_at)

    async def deliver_webhook(self, url: str, event: str, data: dict[str, Any], signature_token: str, *,
                              triggered_at: int | None = None, token: str | None = None,
                              timeout: float = 10.0) -> int | None:
        """POST one delivery signed as Lever signs it; returns the receiver's status (None if unreachable)."""
        at = self._now() if triggered_at is None else triggered_at
        nonce = token or secrets.token_hex(20)
        payload = {"triggeredAt": at, "event": event, "token": nonce,
                   "signature": self.sign(nonce, at, signature_token), "data": data}
        delivery = Delivery(url, payload, None)
        self.deliveries.append(delivery)

        def remember(attempt: int, status: int | None, error: str | None) -> None:
            delivery.status, delivery.error = status, error

        body = json.dumps(payload).encode("utf-8")
        await WebhookSender(timeout=timeout).send(url, body, {"Content-Type": "application/json"},
                                                  on_attempt=remember)
        return delivery.status

    def event_data(self, event: str, opportunity_id: str, **extra: Any) -> dict[str, Any]:
        """The `data` Lever sends for `event` about one opportunity (see the reference's payloads)."""
        opp = self.state.opportunities.get(opportunity_id)
        data: dict[str, Any] = {"opportunityId": opportunity_id, "candidateId": opportunity_id,
                                "contactId": opp.contact_id if opp else extra.pop("contactId", None)}
        if opp is not None and event == "applicationCreated" and opp.application:
            data["applicationId"] = opp.application.id
        if opp is not None and event == "candidateStageChange":
            previous = opp.stage_changes[-2][0] if len(opp.stage_changes) > 1 else None
            data.update({"fromStageId": previous, "toStageId": opp.stage_id})
        if opp is not None and event in ("candidateArchiveChange", "candidateHired"):
            data["toArchived"] = ({"archivedAt": opp.archived_at, "reason": opp.archived_reason}
                                  if opp.archived_reason else None)
        data.update(extra)
        return data

    async def emit(self, event: str, opportunity_id: str, **extra: Any) -> list[int | None]:
        """Deliver `event` to every webhook registered for it whose origin conditions match."""
        data = self.event_data(event, opportunity_id, **extra)
        opp = self.state.opportunities.get(opportunity_id)
        statuses = []
        for webhook in list(self.state.webhooks.values()):
            origins = ((webhook["configuration"].get("conditions") or {}).get("origins")) or None
            if webhook["event"] != event or (origins and opp is not None and opp.origin not in origins):
                continue
            statuses.append(await self.deliver_webhook(webhook["url"], event, data,
                                                       webhook["configuration"]["signatureToken"]))
        return statuses


# -- multipart and JSON creation bodies -------------------------------------------------------------------


def _json_creation_fields(body: dict[str, Any]) -> dict[str, Any]:
    def strings(name: str) -> list[str]:
        value = body.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise LeverApiError(400, f"`{name}` must be a list of strings.")
        return value

    phones = []
    for phone in body.get("phones") or []:
        if not isinstance(phone, dict) or not isinstance(phone.get("value"), str):
            raise LeverApiError(400, "Each phone must be {\"value\": ..., \"type\": ...}.")
        phones.append((str(phone.get("type") or "other"), phone["value"]))
    archived = body.get("archived")
    return {"name": body.get("name"), "headline": body.get("headline"), "location": body.get("location"),
            "stage": body.get("stage"), "origin": body.get("origin"), "owner": body.get("owner"),
            "contact": body.get("contact"), "emails": strings("emails"), "links": strings("links"),
            "tags": strings("tags"), "sources": strings("sources"), "followers": strings("followers"),
            "postings": strings("postings"), "phones": phones, "files": [],
            "archived": archived if isinstance(archived, dict) else None}


async def _multipart_fields(request: web.Request) -> dict[str, Any]:
    singles: dict[str, str] = {}
    multi: dict[str, list[str]] = {name: [] for name in ("emails", "links", "tags", "sources", "followers",
                                                        "postings")}
    phones: dict[str, dict[str, str]] = {}
    files: list[tuple[str, bytes]] = []
    resume: tuple[str, bytes] | None = None
    async for part in (await request.multipart()):
        if not isinstance(part, aiohttp.BodyPartReader) or not part.name:
            continue
        name = part.name
        if part.filename is not None:
            content = bytes(await part.read())
            if name in ("resumeFile", "resume"):
                resume = (part.filename, content)
            else:
                files.append((part.filename, content))
            continue
        value = await part.text()
        if name.startswith("phones["):
            index, _, key = name[len("phones["):].partition("][")
            phones.setdefault(index, {})[key.rstrip("]")] = value
        elif name.rstrip("[]") in multi:
            multi[name.rstrip("[]")].append(value)
        elif name == "posting":
            multi["postings"].append(value)
        else:
            singles[name] = value
    archived = None
    if "archived[reason]" in singles:
        at = singles.get("archived[archivedAt]")
        archived = {"reason": singles["archived[reason]"], "archivedAt": int(at) if at and at.isdigit() else None}
    return {**{k: singles.get(k) for k in ("name", "headline", "location", "stage", "origin", "owner", "contact")},
            **multi, "phones": [(p.get("type") or "other", p["value"]) for _, p in sorted(phones.items())
                                if p.get("value")],
            "files": files, "resume_file": resume, "archived": archived}


def _emails_in(content: bytes) -> list[str]:
    text = content.decode("latin-1", "replace")
    return list(dict.fromkeys(re.findall(r"[\w.+-]+@[\w-]+\.[\w.-]+", text)))[:1]


def _check_timezone(name: Any) -> None:
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise LeverApiError(400, f"Invalid timezone {name!r}: use an IANA name such as Europe/Berlin.") from None


def _file_response(content: bytes, filename: str) -> web.Response:
    kind = "application/pdf" if filename.lower().endswith(".pdf") else "application/octet-stream"
    safe = quote(filename)
    return web.Response(body=content, content_type=kind,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{safe}"})


# -- command line ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """`python -m adapters.sandbox.lever`: serve a sandbox Lever in the foreground."""
    parser = argparse.ArgumentParser(description="Serve a fake Lever Data API on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--candidates", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate-limit", type=float, default=10.0, help="steady requests per second")
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--chaos", type=float, default=0.0, help="share of requests that fail at random (0-1)")
    parser.add_argument("--api-key", default=SANDBOX_API_KEY)
    args = parser.parse_args(argv)
    sandbox = LeverSandbox(generate(seed=args.seed, candidates=args.candidates), api_key=args.api_key,
                           rate_limit=args.rate_limit, burst=args.burst, chaos=Chaos(args.chaos, seed=args.seed),
                           max_recorded=1000)
    with contextlib.suppress(KeyboardInterrupt):
        serve_in_foreground(_serve(sandbox, args.host, args.port))


async def _serve(sandbox: LeverSandbox, host: str, port: int) -> None:
    await sandbox.serve_until_stopped(host, port, lambda url: (
        f"Lever sandbox: {url}{API_PREFIX}  ({len(sandbox.state.contacts)} people, "
        f"{len(sandbox.state.opportunities)} opportunities)\n"
        f"API key: {sandbox.api_key}  (HTTP Basic username, empty password)\nPress Ctrl+C to stop."))


if __name__ == "__main__":
    main()
