"""A Greenhouse Harvest v3 server for demos and tests, faithful enough that an adapter written against it
works on the real Greenhouse by changing only the base URL and the credentials.

One aiohttp application serves both halves of the real service:
- `POST /token` (auth.greenhouse.io): OAuth client credentials with HTTP Basic, `sub` = acting user.
- `GET /v3/<resource>` (harvest.greenhouse.io): bare JSON arrays, newest id first, cursor paging through
  `Link: <...>; rel="next"` only, `per_page` 1-500, `ids`/`*_ids` (max 50), pipe date filters.
- The write routes hirebot needs, and `/files/...`: signed, expiring attachment links (like S3's).

Behaviour the real service has and the sandbox copies: unknown paths answer 404 before any auth; a body
on a GET is refused (403); list calls need a Site Admin acting user (403); a fixed 30 s rate-limit window
with `X-RateLimit-*` headers on every response and `429 + Retry-After` past the limit; a cursor must be
the only query parameter (422); JSON escapes `<`, `>` and `&` as `\\u003c`-style sequences, as Rails does.

Choices made where the reference gives no answer (documented so adapters do not depend on accidents):
- Unknown query parameters and unknown body fields are refused with 422 instead of being ignored, so
  an adapter cannot come to rely on a filter the real API might silently drop.
- `status` on applications accepts only active|rejected|hired|converted; `status` on jobs open|closed|draft.
- Interviews: `POST /v3/interviews` takes `application_id, job_interview_id, interviewers[{user_id|email,
  response_status}], starts_at, ends_at, external_event_id, location?, video_conferencing_url?` (v3 read
  names; not `start`/`end`). `PATCH /v3/interviews/{id}` takes the same fields, all optional, and
  `interviewers` replaces the panel. `DELETE` answers 204. Only interviews created through the API may
  be changed (422 otherwise). Create/update answer the interview row as `/v3/interviews` lists it.
- `POST /v3/notes` takes `candidate_id, application_id?, user_id?, body, visibility (public|private|
  admin_only, default admin_only), type? (NOTE|EMAIL|ACTIVITY), subject?, email_to?, email_from?,
  email_cc?`; it answers 201 with the note as listed (visibility in the read vocabulary).
- `POST /v3/candidates` (optional nested `application{job_id, source_id, recruiter_id, coordinator_id,
  referrer_id, initial_stage_id, prospect, attachments[]}`) and `PATCH /v3/candidates/{id}` answer the
  candidate row. `attachments[]` items are `{filename, type, content (base64), content_type}` with the
  application-level types; their links then serve exactly those bytes. A `url` instead of `content` is
  refused: the sandbox fetches nothing. With `candidate_build_reads = N`, creation answers a truncated
  body (`{"id": ...}`) and the candidate stays out of `/v3/candidates` for its next N appearances, as a
  record still being built does.
- `GET /v3/interviews` also filters on `external_event_id` (v1 had that filter; v3's is unconfirmed).
- `POST /v3/applications/{id}/reject|hire|move` answer 204; `move` takes `from_stage_id` (compare-and-
  swap guard) and `to_stage_id`. Their scopes are `harvest:applications:reject|hire|move`.
- Token answers carry `expires_at` (ISO-8601), not `expires_in`. Token errors use OAuth's
  `{"error": ..., "error_description": ...}`: 401 invalid_client, 400 invalid_request/invalid_grant/
  unsupported_grant_type/invalid_scope. The token endpoint has its own 60 s window.
- `Chaos` faults with no `path` hit only `/v3/...` calls; give `path="/token"` or a file path to hit those.

Webhooks are delivered as Greenhouse delivers them: `add_webhook(url, secret_key=...)` registers an
endpoint (Greenhouse configures them in its UI, so there is no HTTP route for it); `deliver(action,
payload)` POSTs `{"action": ..., "payload": ...}` with `Signature: sha256 <hex HMAC-SHA256 of the exact
body bytes>`, `Greenhouse-Event-ID` (new per delivery, the same on its retries), `Content-Type` and
`User-Agent`. The body is escaped the Rails way and signed as sent. A delivery that gets no 2xx answer is
retried on Greenhouse's schedule (1 min, 15 min, 1 h, 2 h, 4 h, 8 h; pass `webhook_retry_delays` and
`webhook_sleep` to make it instant). `emit_candidate_event(action, candidate_id)` builds the payload from
the state in Greenhouse's webhook shapes; with `auto_webhooks=True` on a webhook, every change made
through the state's helpers (or the write routes) is delivered to it in the background, on the server's
event loop, so the helpers stay synchronous. Greenhouse's ping on saving a webhook is not sent (its
payload is unconfirmed).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import parse_qsl, quote
from xml.sax.saxutils import escape as xml_escape

import aiohttp
from aiohttp import web
from multidict import MultiMapping

from adapters.sandbox.chaos import Chaos as BaseChaos
from adapters.sandbox.chaos import Fault
from adapters.sandbox.documents import ascii_pdf, docx
from adapters.sandbox.fake import FakeAts, FakeOptions, Handler, retry_after
from adapters.sandbox.greenhouse_dataset import generate
from adapters.sandbox.greenhouse_state import (
    NOTE_TYPES,
    RESPONSE_STATUSES,
    GreenhouseState,
    InvalidChange,
    StateChange,
    iso,
    iso_from,
    parse_iso,
)
from adapters.sandbox.ratelimit import FixedWindow
from adapters.sandbox.recorder import RecordedRequest as KitRecordedRequest
from adapters.sandbox.server import serve_in_foreground
from adapters.sandbox.webhooks import SignatureScheme, WebhookSender

log = logging.getLogger(__name__)

SANDBOX_CLIENT_ID = "hirebot-sandbox"
SANDBOX_CLIENT_SECRET = "sandbox-secret"
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500
MAX_IDS = 50
TOKEN_WINDOW_SECONDS = 60.0
ATTACHMENT_LINK_SECONDS = 7 * 86_400.0
DATE_OPERATORS = ("gte", "lte", "gt", "lt")
CURSOR_ALONE = "When passing a cursor, do not include other query params."
APP_URL = "https://app.greenhouse.io"
# Greenhouse retries a failed delivery 6 times over ~15 hours (its docs add a little random jitter).
WEBHOOK_RETRY_DELAYS = (60.0, 900.0, 3600.0, 7200.0, 14_400.0, 28_800.0)
WEBHOOK_USER_AGENT = "Greenhouse-Webhooks (hirebot sandbox)"
APPLICATION_ATTACHMENT_TYPES = ("resume", "cover_letter", "other", "take_home_test", "offer_letter",
                                "signed_offer_letter")
# Webhook actions whose payload is `application{..., candidate{...}, jobs[], current_stage{...}}`.
APPLICATION_ACTIONS = frozenset({
    "new_candidate_application", "new_prospect_application", "application_updated", "candidate_stage_change",
    "hire_candidate", "unhire_candidate", "reject_candidate", "unreject_candidate",
})



# =====================================================================================================
# What each list endpoint accepts
# =====================================================================================================

@dataclass(frozen=True)
class Resource:
    """One `GET /v3/<name>` endpoint: which `*_ids` filters map to which row field, and what else it takes."""

    name: str
    id_filters: Mapping[str, str] = field(default_factory=dict)
    dates: tuple[str, ...] = ("created_at", "updated_at")
    extras: frozenset[str] = frozenset()


RESOURCES: dict[str, Resource] = {r.name: r for r in (
    Resource("candidates", dates=("created_at", "updated_at", "last_activity_at"), extras=frozenset({"email"})),
    Resource("applications", {"candidate_ids": "candidate_id", "job_ids": "job_id"},
             ("created_at", "updated_at", "last_activity_at"), frozenset({"status"})),
    Resource("application_stages", {"application_ids": "application_id",
                                    "job_interview_stage_ids": "job_interview_stage_id"}),
    Resource("attachments", {"candidate_ids": "candidate_id", "application_ids": "application_id"}),
    Resource("notes", {"candidate_ids": "candidate_id", "application_ids": "application_id",
                       "user_ids": "user_id"}),
    Resource("jobs", extras=frozenset({"status"})),
    Resource("job_interview_stages", {"job_ids": "job_id"}),
    Resource("job_interviews", {"job_ids": "job_id", "job_interview_stage_ids": "job_interview_stage_id"}),
    Resource("users", extras=frozenset({"show_service_accounts"})),
    Resource("user_emails", {"user_ids": "user_id"}),
    Resource("job_hiring_managers", {"job_ids": "job_id", "user_ids": "user_id"}),
    Resource("job_owners", {"job_ids": "job_id", "user_ids": "user_id"}),
    Resource("interviews", {"application_ids": "application_id", "job_ids": "job_id"},
             extras=frozenset({"external_event_id"})),
    Resource("interviewers", {"interview_ids": "interview_id", "user_ids": "user_id"}),
    Resource("candidate_tags"),
    Resource("applied_candidate_tags", {"candidate_ids": "candidate_id", "candidate_tag_ids": "candidate_tag_id"}),
)}

WRITE_SCOPES = ("harvest:notes:create", "harvest:candidates:create", "harvest:candidates:update",
                "harvest:interviews:create", "harvest:interviews:update", "harvest:interviews:destroy",
                "harvest:applications:reject", "harvest:applications:hire", "harvest:applications:move")
ALL_SCOPES = frozenset({f"harvest:{name}:list" for name in RESOURCES} | set(WRITE_SCOPES))

_STATUS_FILTERS = {"applications": {"active": "in_process", "rejected": "rejected", "hired": "hired",
                                    "converted": "converted"},
                   "jobs": {"open": "open", "closed": "closed", "draft": "draft"}}
_NOTE_VISIBILITY = {"public": "publicly_visible", "private": "privately_visible", "admin_only": "admin_only_visible"}
_CONTACT_TYPES = {"email_addresses": ("personal", "work", "other"),
                  "phone_numbers": ("home", "work", "mobile", "skype", "other"),
                  "addresses": ("home", "work", "other"),
                  "website_addresses": ("personal", "company", "portfolio", "blog", "other"),
                  "social_media_addresses": None}


class Invalid(Exception):
    """A request the real service would answer with 422; `errors` go into the body as they are."""

    def __init__(self, *errors: str | dict[str, str]) -> None:
        super().__init__(str(errors))
        self.errors = list(errors)


# =====================================================================================================
# Recording, rate limiting, faults
# =====================================================================================================

class RecordedRequest(KitRecordedRequest):
    """One request as the sandbox saw it: `query` as a dict (first value of each name), `body` as raw bytes."""

    @property
    def query(self) -> dict[str, str]:
        first: dict[str, str] = {}
        for key, value in self.pairs:
            first.setdefault(key, value)
        return first

    @property
    def body(self) -> bytes:
        return self.raw


def _greenhouse_path(pattern: str | None, path: str) -> bool:
    """A fault without a path hits only Harvest calls (`/v3/…`), never the token endpoint or file links."""
    if pattern is None:
        return path.startswith("/v3/")
    return path == pattern or path.startswith(pattern.rstrip("/") + "/")


class Chaos(BaseChaos):
    """Faults for the Greenhouse fake: queued ones for tests (`fail_next`…) and random ones for `--chaos`."""

    def __init__(self, random_rate: float = 0.0, *, seed: int | None = None, timeout_seconds: float = 30.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        super().__init__(random_rate, seed=seed, timeout_seconds=timeout_seconds, sleep=sleep,
                         matcher=_greenhouse_path)


# =====================================================================================================
# Webhooks
# =====================================================================================================

@dataclass(frozen=True)
class Webhook:
    """One endpoint registered as in Greenhouse's UI: where to POST, the secret key, which actions."""

    url: str
    secret_key: str = field(repr=False)
    events: frozenset[str] | None = None  # None: every action
    auto: bool = False  # also deliver the changes made through the state's helpers

    def wants(self, action: str) -> bool:
        return self.events is None or action in self.events


@dataclass(frozen=True)
class WebhookDelivery:
    """One POST the sandbox made to a webhook; `status` is None when no HTTP answer came back."""

    url: str
    action: str
    event_id: str
    attempt: int
    body: bytes
    headers: Mapping[str, str]
    status: int | None


# The `Signature` header Greenhouse sends: the algorithm, one space, the hex HMAC of the whole body.
WEBHOOK_SIGNATURE = SignatureScheme("Signature", "sha256 {digest}")


def webhook_signature(secret_key: str, body: bytes) -> str:
    return WEBHOOK_SIGNATURE.sign(secret_key, body)


def _hook_time(stamp: str | None) -> str | None:
    """Webhook payloads write times without milliseconds: 2017-10-27T14:44:42Z."""
    return f"{stamp[:19]}Z" if stamp else None


# =====================================================================================================
# The application
# =====================================================================================================

@dataclass(frozen=True)
class Caller:
    """Who a request acts as (the token's `sub`) and what its token may do."""

    user: dict
    scopes: frozenset[str]


# Set for the duration of one API request; handlers run in the task that set it.
_CALLER: ContextVar[Caller] = ContextVar("greenhouse_sandbox_caller")


class GreenhouseSandbox(FakeAts):
    """The fake Greenhouse: `app` serves `state`; `requests` records every request it received."""

    provider = "greenhouse"
    title = "Greenhouse (Harvest v3)"
    record_type = RecordedRequest

    def __init__(self, state: GreenhouseState, *, client_id: str = SANDBOX_CLIENT_ID,
                 client_secret: str = SANDBOX_CLIENT_SECRET, rate_limit: int = 75, window_seconds: float = 30.0,
                 token_lifetime: float = 3600.0, clock: Callable[[], float] = time.time,
                 chaos: Chaos | None = None, scopes: frozenset[str] | None = None,
                 token_rate_limit: int = 30, app_url: str = APP_URL,
                 webhook_retry_delays: Sequence[float] = WEBHOOK_RETRY_DELAYS,
                 webhook_sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 webhook_timeout: float = 30.0) -> None:
        super().__init__(clock=clock, chaos=chaos or Chaos())
        self.state = state
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.scopes = frozenset(scopes) if scopes is not None else ALL_SCOPES
        self.tokens_issued = 0
        self.api_window = FixedWindow(rate_limit, window_seconds, clock)
        self.token_window = FixedWindow(token_rate_limit, TOKEN_WINDOW_SECONDS, clock)
        self._key = hashlib.sha256(b"hirebot-sandbox:" + client_secret.encode()).digest()
        self._views = _Views(state)
        self.app_url = app_url.rstrip("/")
        # Created candidates answer a truncated body and stay unlisted for this many list appearances.
        self.candidate_build_reads = 0
        self._building: dict[int, int] = {}
        self.webhooks: list[Webhook] = []
        self.deliveries: list[WebhookDelivery] = []
        self.webhook_sender = WebhookSender(timeout=webhook_timeout, retry_delays=webhook_retry_delays,
                                            sleep=webhook_sleep)
        state.listeners.append(self._on_change)
        self.app = self.build_app()

    @classmethod
    def build(cls, options: FakeOptions) -> Self:
        return cls(generate(seed=options.seed, candidates=options.candidates, now=options.now,
                            shared_people=options.shared_people), chaos=Chaos(options.chaos))

    def connect_values(self, url: str) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret, "base_url": url,
                "auth_url": f"{url}/token"}

    def connection_help(self, url: str) -> str:
        return (f"connect: hirebot connect greenhouse --client-id {self.client_id} "
                f"--client-secret {self.client_secret} --base-url {url} --auth-url {url}/token")

    # ----- plumbing ----------------------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        add = app.router.add_route
        add("POST", "/token", self._token, name="token")
        for name in RESOURCES:
            app.router.add_get(f"/v3/{name}", self._list, name=f"{name}:list", allow_head=False)
        add("POST", "/v3/notes", self._create_note, name="notes:create")
        add("POST", "/v3/candidates", self._create_candidate, name="candidates:create")
        add("PATCH", r"/v3/candidates/{id:\d+}", self._update_candidate, name="candidates:update")
        add("POST", "/v3/interviews", self._create_interview, name="interviews:create")
        add("PATCH", r"/v3/interviews/{id:\d+}", self._update_interview, name="interviews:update")
        add("DELETE", r"/v3/interviews/{id:\d+}", self._delete_interview, name="interviews:destroy")
        for action in ("reject", "hire", "move"):
            add("POST", rf"/v3/applications/{{id:\d+}}/{action}", self._application_action,
                name=f"applications:{action}")
        app.router.add_get(r"/files/{attachment_id:\d+}/{filename}", self._file, name="file", allow_head=False)

    def internal_error(self) -> web.Response:
        return _json({"message": "Internal Server Error"}, 500)

    def fault_response(self, fault: Fault) -> web.Response:
        return _fault_response(fault)

    async def respond(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Greenhouse meters first, then answers unknown paths 404 and refuses GET bodies, then the faults."""
        path = request.path
        body = await request.read()
        if path.startswith("/files/") and request.match_info.http_exception is None:
            return await self._with_chaos(request, handler, path)  # signed links: no auth, no metering
        allowed, limits = (self.token_window if path == "/token" else self.api_window).hit()
        response: web.StreamResponse
        if not allowed:
            response = _json({"message": "Too Many Requests",
                              "errors": [f"Rate limit exceeded. Retry after {limits['Retry-After']} seconds."]}, 429)
        elif request.match_info.http_exception is not None:
            response = _json({"message": "Resource not found"}, 404)
        elif request.method == "GET" and body:
            response = _json({"message": "Forbidden", "errors": ["A GET request must not have a body."]}, 403)
        else:
            response = await self._with_chaos(request, handler, path)
        for name, value in limits.items():
            response.headers.setdefault(name, value)
        return response

    async def _with_chaos(self, request: web.Request, handler: Handler, path: str) -> web.StreamResponse:
        return await self.with_faults(path, lambda: self._authorized(request, handler))

    async def _authorized(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/v3/"):
            return await handler(request)
        caller = self._authenticate(request)
        if isinstance(caller, web.Response):
            return caller
        refusal = self._permission_problem(request, caller)
        if refusal:
            return _json({"message": "Forbidden", "errors": [refusal]}, 403)
        acting = _CALLER.set(caller)
        try:
            return await handler(request)
        except Invalid as exc:
            return _json({"message": "Unprocessable Content", "errors": exc.errors}, 422)
        except InvalidChange as exc:
            return _json({"message": "Unprocessable Content", "errors": [{exc.field: exc.message}]}, 422)
        finally:
            _CALLER.reset(acting)

    def _permission_problem(self, request: web.Request, caller: Caller) -> str | None:
        user = caller.user
        scope = f"harvest:{_route_name(request)}"
        if user["deactivated"]:
            return f"The acting user ({user['id']}) is deactivated."
        if request.method == "GET" and not user["site_admin"]:
            return f"The acting user ({user['id']}) must be a Site Admin to list records."
        if scope not in caller.scopes:
            return f"This token is missing the {scope} scope."
        return None

    # ----- tokens ------------------------------------------------------------------------------------
    def mint_token(self, sub: int | None = None, scopes: frozenset[str] | None = None) -> str:
        """A valid access token without the HTTP round trip (for tests that are about something else)."""
        user_id = sub if sub is not None else self.state.service_user_id
        now = int(self.clock())
        claims = {"iss": "https://auth.greenhouse.io", "aud": "https://harvest.greenhouse.io/v3",
                  "sub": str(user_id), "iat": now, "exp": now + int(self.token_lifetime),
                  "jti": f"tok_{self.tokens_issued + 1}", "scopes": sorted(scopes or self.scopes)}
        self.tokens_issued += 1
        return _jwt_encode(claims, self._key)

    async def _token(self, request: web.Request) -> web.Response:
        if not self._client_ok(request.headers.get("Authorization", "")):
            return _oauth_error("invalid_client", "Client authentication failed.", 401,
                                {"WWW-Authenticate": 'Basic realm="Greenhouse"'})
        if request.content_type != "application/x-www-form-urlencoded":
            return _oauth_error("invalid_request", "Send the form as application/x-www-form-urlencoded.", 400)
        form = dict(parse_qsl((await request.read()).decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type", "Only grant_type=client_credentials is supported.", 400)
        sub = form.get("sub") or None
        if sub is not None:
            user = self.state.users.get(int(sub)) if sub.isdigit() else None
            if user is None:
                return _oauth_error("invalid_request", f"sub {sub!r} is not a Greenhouse user id.", 400)
            if user["deactivated"]:
                return _oauth_error("invalid_grant", f"User {sub} is deactivated.", 400)
        wanted = frozenset(form["scope"].split()) if form.get("scope") else self.scopes
        if not wanted <= self.scopes:
            missing = " ".join(sorted(wanted - self.scopes))
            return _oauth_error("invalid_scope", f"These scopes are not granted to this client: {missing}", 400)
        token = self.mint_token(int(sub) if sub else None, wanted)
        expires = iso(self.clock() + self.token_lifetime)[:19] + "Z"
        return _json({"access_token": token, "token_type": "Bearer", "expires_at": expires}, 200,
                     {"Cache-Control": "no-store"})

    def _client_ok(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            client_id, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(client_id.encode(), self.client_id.encode()) and \
            hmac.compare_digest(secret.encode(), self.client_secret.encode())

    def _authenticate(self, request: web.Request) -> Caller | web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthorized("Token could not be decoded. Send it as 'Authorization: Bearer <access token>'.")
        claims = _jwt_decode(token.strip(), self._key)
        if claims is None:
            return _unauthorized("Token could not be decoded. It is not a token this server issued.")
        if claims.get("exp", 0) <= self.clock():
            return _unauthorized("Token could not be decoded. It expired; request a new access token.")
        sub = str(claims.get("sub", ""))
        user = self.state.users.get(int(sub)) if sub.isdigit() else None
        if user is None:
            return _unauthorized("Token could not be decoded. Its user no longer exists.")
        return Caller(user, frozenset(claims.get("scopes") or ()))

    # ----- list endpoints ----------------------------------------------------------------------------
    async def _list(self, request: web.Request) -> web.Response:
        resource = RESOURCES[_route_name(request).split(":")[0]]
        query = request.query
        after = None
        if "cursor" in query:
            if len(query) > 1:
                raise Invalid(CURSOR_ALONE)
            params, after = self._open_cursor(query["cursor"], resource.name)
        else:
            params = _single_values(query)
        selection = _Selection.parse(resource, params, after)
        rows, more = self._views.select(resource, selection)
        if resource.name == "candidates" and self._building:
            rows = [row for row in rows if not self._still_building(row["id"])]
        headers = {}
        if more:
            cursor = self._seal_cursor(resource.name, params, rows[-1]["id"])
            origin = str(request.url.origin())
            headers["Link"] = f'<{origin}/v3/{resource.name}?cursor={quote(cursor, safe="")}>; rel="next"'
        if resource.name == "attachments":
            origin = str(request.url.origin())
            rows = [{**row, "url": self._signed_url(row, origin)} for row in rows]
        return _json(rows, 200, headers)

    def _still_building(self, candidate_id: int) -> bool:
        left = self._building.get(candidate_id, 0)
        if left <= 0:
            return False
        if left == 1:
            del self._building[candidate_id]
        else:
            self._building[candidate_id] = left - 1
        return True

    def _seal_cursor(self, resource: str, params: Mapping[str, str], after: int) -> str:
        payload = json.dumps({"r": resource, "p": dict(params), "a": after}, separators=(",", ":")).encode()
        encoded = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{encoded}.{self._sign('cursor', encoded)[:24]}"

    def _open_cursor(self, cursor: str, resource: str) -> tuple[dict[str, str], int]:
        encoded, _, signature = cursor.partition(".")
        if not signature or not hmac.compare_digest(signature, self._sign("cursor", encoded)[:24]):
            raise Invalid({"cursor": "is invalid or has expired"})
        payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        if payload.get("r") != resource:
            raise Invalid({"cursor": f"belongs to another endpoint, not /v3/{resource}"})
        return {str(k): str(v) for k, v in payload["p"].items()}, int(payload["a"])

    def _sign(self, purpose: str, text: str) -> str:
        return hmac.new(self._key, f"{purpose}:{text}".encode(), hashlib.sha256).hexdigest()

    # ----- attachments -------------------------------------------------------------------------------
    def _signed_url(self, row: dict, origin: str) -> str:
        expires = int(self.clock() + ATTACHMENT_LINK_SECONDS)
        signature = self._sign("file", f"{row['id']}/{row['filename']}/{expires}")[:40]
        path = f"/files/{row['id']}/{quote(row['filename'], safe='')}"
        return f"{origin}{path}?expires={expires}&signature={signature}"

    async def _file(self, request: web.Request) -> web.Response:
        attachment_id = int(request.match_info["attachment_id"])
        filename = request.match_info["filename"]
        expires = request.query.get("expires", "")
        expected = self._sign("file", f"{attachment_id}/{filename}/{expires}")[:40]
        if not expires.isdigit() or not hmac.compare_digest(request.query.get("signature", ""), expected):
            return _s3_error("SignatureDoesNotMatch", "The request signature we calculated does not match.")
        if int(expires) <= self.clock():
            return _s3_error("AccessDenied", "Request has expired")
        row = self.state.attachments.get(attachment_id)
        if row is None or row["filename"] != filename:
            return _s3_error("NoSuchKey", "The specified key does not exist.", 404)
        uploaded = self.state.attachment_files.get(attachment_id)
        content, content_type = uploaded or _document(row, self.state.candidates.get(row["candidate_id"]))
        disposition = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
        return web.Response(body=content, content_type=content_type,
                            headers={"Content-Disposition": disposition})

    # ----- writes ------------------------------------------------------------------------------------
    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def _create_note(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        _only(body, {"candidate_id", "application_id", "user_id", "body", "visibility", "type", "subject",
                     "email_to", "email_from", "email_cc"})
        candidate_id = _existing(body, "candidate_id", self.state.candidates)
        application_id = _optional_existing(body, "application_id", self.state.applications)
        if application_id and self.state.applications[application_id]["candidate_id"] != candidate_id:
            raise Invalid({"application_id": "belongs to another candidate"})
        author = _optional_existing(body, "user_id", self.state.users) or _CALLER.get().user["id"]
        text = _text(body, "body", required=True)
        visibility = body.get("visibility", "admin_only")
        if visibility not in _NOTE_VISIBILITY:
            raise Invalid({"visibility": "must be one of public, private, admin_only"})
        kind = body.get("type", "NOTE")
        if kind not in NOTE_TYPES:
            raise Invalid({"type": f"must be one of {', '.join(NOTE_TYPES)}"})
        email = {k: _text(body, k, required=kind == "EMAIL") for k in ("subject", "email_to", "email_from")}
        note = self.state.add_note(candidate_id, text or "", user_id=author, application_id=application_id,
                                   visibility=_NOTE_VISIBILITY[visibility], note_type=kind,
                                   email_cc=_strings(body, "email_cc"), now=self._now(), **email)
        return _json(note, 201)

    async def _create_candidate(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        fields = _candidate_fields(body, creating=True)
        application = body.get("application")
        if application is not None:
            application = self._application_fields(application)
        candidate = self.state.create_candidate(fields, application=application, now=self._now())
        if self.candidate_build_reads > 0:
            self._building[candidate["id"]] = self.candidate_build_reads
            return _json({"id": candidate["id"]}, 201)
        return _json(candidate, 201)

    async def _update_candidate(self, request: web.Request) -> web.Response:
        candidate_id = int(request.match_info["id"])
        if candidate_id not in self.state.candidates:
            return _json({"message": "Resource not found"}, 404)
        fields = _candidate_fields(await _json_body(request), creating=False)
        return _json(self.state.update_candidate(candidate_id, now=self._now(), **fields), 200)

    def _application_fields(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise Invalid({"application": "must be an object"})
        _only(raw, {"job_id", "source_id", "recruiter_id", "coordinator_id", "referrer_id", "initial_stage_id",
                    "prospect", "attachments"}, prefix="application.")
        fields: dict[str, Any] = {k: _int(raw, k) for k in ("job_id", "source_id", "referrer_id",
                                                             "initial_stage_id") if raw.get(k) is not None}
        for key in ("recruiter_id", "coordinator_id"):
            if raw.get(key) is not None:
                fields[key] = _existing(raw, key, self.state.users)
        if "prospect" in raw:
            if not isinstance(raw["prospect"], bool):
                raise Invalid({"application.prospect": "must be true or false"})
            fields["prospect"] = raw["prospect"]
        if raw.get("attachments") is not None:
            files = raw["attachments"]
            if not isinstance(files, list):
                raise Invalid({"application.attachments": "must be a list"})
            fields["attachments"] = [_upload(item, f"application.attachments[{n}]")
                                     for n, item in enumerate(files)]
        return fields

    async def _create_interview(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        _only(body, {"application_id", "job_interview_id", "interviewers", "starts_at", "ends_at",
                     "external_event_id", "location", "video_conferencing_url"})
        app_id = _existing(body, "application_id", self.state.applications)
        app = self.state.applications[app_id]
        if app["status"] != "in_process" or app["job_id"] is None:
            raise Invalid({"application_id": "must be an active application on a job"})
        step_id = _existing(body, "job_interview_id", self.state.job_interviews)
        step = self.state.job_interviews[step_id]
        if step["job_id"] != app["job_id"]:
            raise Invalid({"job_interview_id": "is not an interview of this application's job"})
        if not step["schedulable"]:
            raise Invalid({"job_interview_id": f"'{step['name']}' is not an interview that can be scheduled"})
        starts_at, ends_at = _time_range(body, required=True)
        interview = self.state.schedule_interview(
            app_id, step_id, starts_at=starts_at, ends_at=ends_at, interviewers=self._panel(body, required=True),
            organizer_id=_CALLER.get().user["id"], external_event_id=_text(body, "external_event_id",
                                                                             required=True),
            location=_text(body, "location"), video_conferencing_url=_text(body, "video_conferencing_url"),
            now=self._now())
        return _json(interview, 201)

    async def _update_interview(self, request: web.Request) -> web.Response:
        interview_id = int(request.match_info["id"])
        problem = self._interview_problem(interview_id)
        if problem is not None:
            return problem
        body = await _json_body(request)
        _only(body, {"interviewers", "starts_at", "ends_at", "external_event_id", "location",
                     "video_conferencing_url"})
        current = self.state.interviews[interview_id]
        changes: dict[str, Any] = {k: _text(body, k) for k in ("external_event_id", "location",
                                                               "video_conferencing_url") if k in body}
        if "starts_at" in body or "ends_at" in body:
            merged = {"starts_at": current["starts_at"], "ends_at": current["ends_at"], **body}
            changes["starts_at"], changes["ends_at"] = _time_range(merged, required=True)
        panel = self._panel(body, required=False) if "interviewers" in body else None
        row = self.state.update_interview(interview_id, now=self._now(), interviewers=panel, **changes)
        return _json(row, 200)

    async def _delete_interview(self, request: web.Request) -> web.Response:
        interview_id = int(request.match_info["id"])
        problem = self._interview_problem(interview_id)
        if problem is not None:
            return problem
        self.state.delete_interview(interview_id)
        return web.Response(status=204)

    def _interview_problem(self, interview_id: int) -> web.Response | None:
        interview = self.state.interviews.get(interview_id)
        if interview is None:
            return _json({"message": "Resource not found"}, 404)
        if interview_id not in self.state.harvest_interview_ids:
            raise Invalid("Only interviews created through Harvest can be changed or deleted.")
        if interview["status"] not in ("scheduled", "awaiting_feedback"):
            raise Invalid(f"An interview in status {interview['status']} can no longer be changed.")
        return None

    def _panel(self, body: Mapping[str, Any], *, required: bool) -> list[dict[str, Any]]:
        people = body.get("interviewers")
        if not isinstance(people, list) or (required and not people):
            raise Invalid({"interviewers": "must be a non-empty list"})
        panel = []
        for position, person in enumerate(people):
            where = f"interviewers[{position}]"
            if not isinstance(person, dict):
                raise Invalid({where: "must be an object"})
            _only(person, {"user_id", "email", "response_status"}, prefix=f"{where}.")
            status = person.get("response_status", "needs_action")
            if status not in RESPONSE_STATUSES:
                raise Invalid({f"{where}.response_status": f"must be one of {', '.join(RESPONSE_STATUSES)}"})
            if person.get("user_id") is not None:
                user_id = _existing(person, "user_id", self.state.users, where=f"{where}.user_id")
                if self.state.users[user_id]["deactivated"]:
                    raise Invalid({f"{where}.user_id": "is a deactivated user"})
                panel.append({"user_id": user_id, "response_status": status})
            elif isinstance(person.get("email"), str) and "@" in person["email"]:
                panel.append({"email": person["email"], "response_status": status})
            else:
                raise Invalid({where: "needs a user_id or an email"})
        return panel

    async def _application_action(self, request: web.Request) -> web.Response:
        action = _route_name(request).split(":")[1]
        app = self.state.applications.get(int(request.match_info["id"]))
        if app is None:
            return _json({"message": "Resource not found"}, 404)
        body = await _json_body(request, optional=True)
        if app["status"] != "in_process":
            raise Invalid({"application_id": f"is {app['status']}, not active"})
        if action == "reject":
            _only(body, {"rejection_reason_id", "notes"})
            self.state.set_application_status(app["id"], "rejected", now=self._now())
            app["rejection_reason_id"] = _int(body, "rejection_reason_id") if body.get("rejection_reason_id") else None
            if _text(body, "notes"):
                self.state.add_note(app["candidate_id"], body["notes"], user_id=_CALLER.get().user["id"],
                                    application_id=app["id"], now=self._now())
        elif action == "hire":
            _only(body, {"start_date", "opening_id", "close_reason_id"})
            self.state.set_application_status(app["id"], "hired", now=self._now())
        else:
            _only(body, {"from_stage_id", "to_stage_id"})
            if _int(body, "from_stage_id", required=True) != app["stage_id"]:
                raise Invalid({"from_stage_id": "does not match the application's current stage"})
            to_stage = _int(body, "to_stage_id", required=True)
            self.state.move_application(app["id"], int(to_stage or 0), now=self._now())
        return web.Response(status=204)

    # ----- webhooks ----------------------------------------------------------------------------------
    def add_webhook(self, url: str, *, secret_key: str, events: set[str] | frozenset[str] | None = None,
                    auto_webhooks: bool = False) -> Webhook:
        """Register an endpoint, as an admin does in Greenhouse's UI (Configure > Dev Center > Web Hooks)."""
        if not secret_key:
            raise ValueError("a webhook needs a secret key")
        hook = Webhook(url, secret_key, frozenset(events) if events is not None else None, auto_webhooks)
        self.webhooks.append(hook)
        return hook

    async def deliver(self, action: str, payload: Mapping[str, Any]) -> list[int]:
        """POST `{"action", "payload"}` to every webhook that takes `action`; the final status of each
        (0 when it never answered), after retries."""
        hooks = [hook for hook in self.webhooks if hook.wants(action)]
        return await self._deliver(hooks, action, payload)

    async def emit_candidate_event(self, action: str, candidate_id: int, *, application_id: int | None = None,
                                   merged_into: int | None = None,
                                   anonymized_fields: Sequence[str] = ()) -> list[int]:
        """Deliver `action` about a candidate, with the payload Greenhouse would build from the state."""
        change = StateChange(action, candidate_id, application_id, merged_into=merged_into,
                             anonymized_fields=tuple(anonymized_fields))
        payload = self.webhook_payload(change)
        if payload is None:
            raise ValueError(f"candidate {candidate_id} has no application to send {action} about")
        return await self.deliver(action, payload)

    async def drain_webhooks(self) -> None:
        """Wait until every background (auto) delivery started so far has finished, retries included."""
        await self.drain_background()

    def webhook_payload(self, change: StateChange) -> dict[str, Any] | None:
        """The `payload` Greenhouse sends for a change, or None when its record no longer exists."""
        action, state = change.action, self.state
        if action in APPLICATION_ACTIONS or action == "delete_application":
            app = state.applications.get(change.application_id or 0) or self._latest_application(change)
            if app is None:
                return None
            if action == "delete_application":
                keys = ("id", "candidate_id", "job_id", "source_id", "referrer_id", "prospect")
                times = {key: _hook_time(app[key]) for key in ("created_at", "rejected_at")}
                return {"application": {key: app.get(key) for key in keys} | times}
            return {"application": self._hook_application(app)}
        if action == "update_candidate":
            row = state.candidates.get(change.candidate_id or 0)
            return {"candidate": self._hook_candidate(row)} if row else None
        if action in ("delete_candidate", "merge_candidate"):
            person = dict(change.person or self._person(change.candidate_id))
            if action == "merge_candidate":
                person["new_candidate_id"] = change.merged_into
            return {"person": person}
        if action == "candidate_anonymized":
            return {"candidate_id": change.candidate_id, "anonymized_fields": list(change.anonymized_fields)}
        if action == "interview_deleted":
            return {"interview": {"id": change.interview_id}}
        raise ValueError(f"the sandbox builds no {action} payload; call deliver() with one")

    def _on_change(self, change: StateChange) -> None:
        hooks = [hook for hook in self.webhooks if hook.auto and hook.wants(change.action)]
        if hooks:
            self.run_in_background(self._deliver_change(hooks, change))

    async def _deliver_change(self, hooks: list[Webhook], change: StateChange) -> None:
        # Built when delivered, not when changed: Greenhouse also renders webhooks in a background job.
        payload = self.webhook_payload(change)
        if payload is None:
            log.info("sandbox webhook %s skipped: its record is gone", change.action)
            return
        await self._deliver(hooks, change.action, payload)

    async def _deliver(self, hooks: Sequence[Webhook], action: str, payload: Mapping[str, Any]) -> list[int]:
        body = dumps({"action": action, "payload": payload}).encode("utf-8")
        async with self.webhook_sender.session() as session:
            sends = (self._deliver_one(session, hook, action, body) for hook in hooks)
            return list(await asyncio.gather(*sends))

    async def _deliver_one(self, session: aiohttp.ClientSession, hook: Webhook, action: str,
                           body: bytes) -> int:
        headers = {"Content-Type": "application/json", "User-Agent": WEBHOOK_USER_AGENT,
                   "Greenhouse-Event-ID": str(uuid.uuid4()), **WEBHOOK_SIGNATURE.headers(hook.secret_key, body)}

        def remember(attempt: int, status: int | None, error: str | None) -> None:
            self.deliveries.append(WebhookDelivery(hook.url, action, headers["Greenhouse-Event-ID"], attempt,
                                                   body, dict(headers), status))

        status = await self.webhook_sender.send(hook.url, body, headers, session=session, on_attempt=remember)
        return status or 0

    def _latest_application(self, change: StateChange) -> dict | None:
        mine = [a for a in self.state.applications.values() if a["candidate_id"] == change.candidate_id]
        return max(mine, key=lambda a: a["id"]) if mine else None

    def _person(self, candidate_id: int | None) -> dict[str, Any]:
        if candidate_id in self.state.candidates:
            return self.state.person_snapshot(int(candidate_id or 0))
        return {"id": candidate_id, "deleted_application_ids": []}

    def _hook_application(self, app: dict) -> dict[str, Any]:
        stage = self.state.last_stage(app["id"])
        job = self.state.jobs.get(app["job_id"]) if app["job_id"] is not None else None
        return {
            "id": app["id"], "rejected_at": _hook_time(app["rejected_at"]), "prospect": app["prospect"],
            "status": "active" if app["status"] == "in_process" else app["status"],
            "applied_at": _hook_time(app["created_at"]),
            "last_activity_at": _hook_time(app["last_activity_at"]),
            "url": f"{self.app_url}/people/{app['candidate_id']}?application_id={app['id']}",
            "source": {"id": app["source_id"], "public_name": None} if app["source_id"] else None,
            "credited_to": self._hook_user(app["referrer_id"]), "rejection_reason": None,
            "rejection_details": None, "current_stage": self._hook_stage(app, stage) if stage else None,
            "prospect_detail": {"prospect_pool": None, "prospect_stage": None, "prospect_owner": None},
            "custom_fields": {},
            "candidate": self._hook_candidate(self.state.candidates[app["candidate_id"]]),
            "jobs": [self._hook_job(job)] if job else [],
        }

    def _hook_stage(self, app: dict, stage: dict) -> dict[str, Any]:
        booked = {i["job_interview_id"]: i["status"] for i in self.state.interviews.values()
                  if i["application_id"] == app["id"]}
        steps = sorted((s for s in self.state.job_interviews.values()
                        if s["job_interview_stage_id"] == stage["id"]), key=lambda s: s["sort_order"])
        return {"id": stage["id"], "name": stage["name"], "interviews": [
            {"id": step["id"], "name": step["name"], "status": booked.get(step["id"], "to_be_scheduled"),
             "interview_kit": {"url": None, "content": "", "questions": []}, "interviewers": []}
            for step in steps]}

    def _hook_candidate(self, row: dict) -> dict[str, Any]:
        apps = sorted((a for a in self.state.applications.values() if a["candidate_id"] == row["id"]),
                      key=lambda a: a["id"])
        latest = apps[-1] if apps else {}
        origin = self.public_url or ""
        files = [{"filename": f["filename"], "url": self._signed_url(f, origin), "type": f["type"]}
                 for f in self.state.attachments.values() if f["candidate_id"] == row["id"]]
        return {
            "id": row["id"], "first_name": row["first_name"], "last_name": row["last_name"],
            "title": row["title"],
            "company": row["company"], "created_at": _hook_time(row["created_at"]), "external_id": None,
            "photo_url": None, "url": f"{self.app_url}/people/{row['id']}", "is_private": row["private"],
            "can_email": row["can_email"], **{key: list(row.get(key) or []) for key in _CONTACT_TYPES},
            "educations": [], "employments": [], "recruiter": self._hook_user(latest.get("recruiter_id")),
            "coordinator": self._hook_user(latest.get("coordinator_id")), "attachments": files,
            "tags": list(row["tags"]), "custom_fields": {},
        }

    def _hook_user(self, user_id: int | None) -> dict[str, Any] | None:
        user = self.state.users.get(user_id) if user_id is not None else None
        if user is None:
            return None
        return {"id": user["id"], "email": user["primary_email"], "name": user["name"],
                "employee_id": user["employee_id"]}

    def _hook_job(self, job: dict) -> dict[str, Any]:
        return {"id": job["id"], "name": job["name"], "requisition_id": job["requisition_id"],
                "notes": job["notes"], "confidential": job["confidential"], "status": job["status"],
                "created_at": _hook_time(job["created_at"]), "opened_at": _hook_time(job["opened_at"]),
                "closed_at": _hook_time(job["closed_at"]), "departments": [], "offices": [],
                "custom_fields": {}}


# =====================================================================================================
# Selecting rows for list endpoints
# =====================================================================================================

@dataclass(frozen=True)
class _Selection:
    """A validated list request: filters, page size, and where the previous page stopped."""

    per_page: int
    id_sets: tuple[tuple[str, frozenset[int]], ...]  # (row field, allowed ids)
    dates: tuple[tuple[str, str, str], ...]  # (row field, operator, timestamp)
    email: str | None = None
    status: str | None = None
    show_service_accounts: bool = False
    external_event_id: str | None = None
    after: int | None = None

    @classmethod
    def parse(cls, resource: Resource, params: Mapping[str, str], after: int | None = None) -> _Selection:
        errors: list[str | dict[str, str]] = []
        known = {"per_page", "ids", *resource.id_filters, *resource.dates, *resource.extras}
        errors += [{name: "is not a permitted parameter"} for name in params if name not in known]
        per_page = _per_page(params.get("per_page"), errors)
        id_sets = []
        for name, row_field in {"ids": "id", **resource.id_filters}.items():
            if name in params:
                id_sets.append((row_field, _id_list(name, params[name], errors)))
        dates = [clause for name in resource.dates if name in params
                 for clause in _date_clauses(name, params[name], errors)]
        status = None
        if "status" in params:
            allowed = _STATUS_FILTERS[resource.name]
            status = allowed.get(params["status"])
            if status is None:
                errors.append({"status": f"must be one of {', '.join(allowed)}"})
        flag = params.get("show_service_accounts", "false")
        if flag not in ("true", "false"):
            errors.append({"show_service_accounts": "must be true or false"})
        if errors:
            raise Invalid(*errors)
        return cls(per_page, tuple(id_sets), tuple(dates), params.get("email", "").strip().lower() or None,
                   status, flag == "true", params.get("external_event_id"), after)


class _Views:
    """Sorted keys and parent-id indexes over the state's dicts, rebuilt when the state changes."""

    def __init__(self, state: GreenhouseState) -> None:
        self.state = state
        self._cache: dict[tuple[str, str], tuple[tuple[int, int], Any]] = {}

    def select(self, resource: Resource, selection: _Selection) -> tuple[list[dict], bool]:
        """The next page (ids descending) and whether more rows follow it."""
        table = self.state.table(resource.name)
        ids = self._candidate_ids(resource.name, table, selection)
        wanted = selection.per_page + 1
        rows: list[dict] = []
        hidden = self.state.service_account_ids if resource.name == "users" and \
            not selection.show_service_accounts else ()
        for row_id in ids:
            row = table.get(row_id)
            if row is None or row_id in hidden or not _row_matches(row, selection):
                continue
            rows.append(row)
            if len(rows) == wanted:
                break
        return rows[: selection.per_page], len(rows) == wanted

    def _candidate_ids(self, name: str, table: dict[int, dict], selection: _Selection) -> Any:
        narrowed: set[int] | None = None
        for row_field, allowed in selection.id_sets:
            found = set(allowed) if row_field == "id" else \
                {i for value in allowed for i in self._index(name, table, row_field).get(value, ())}
            narrowed = found if narrowed is None else narrowed & found
        if selection.email is not None:
            found = set(self._email_index(table).get(selection.email, ()))
            narrowed = found if narrowed is None else narrowed & found
        after = selection.after
        if narrowed is not None:
            return sorted((i for i in narrowed if after is None or i < after), reverse=True)
        ascending = self._sorted(name, table)
        stop = len(ascending) if after is None else _bisect_left(ascending, after)
        return (ascending[i] for i in range(stop - 1, -1, -1))

    def _cached(self, key: tuple[str, str], table: dict[int, dict], build: Callable[[], Any]) -> Any:
        stamp = (self.state.revision, len(table))
        hit = self._cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = build()
        self._cache[key] = (stamp, value)
        return value

    def _sorted(self, name: str, table: dict[int, dict]) -> list[int]:
        ascending: list[int] = self._cached((name, ""), table, lambda: sorted(table))
        return ascending

    def _index(self, name: str, table: dict[int, dict], row_field: str) -> dict[int, list[int]]:
        def build() -> dict[int, list[int]]:
            index: dict[int, list[int]] = {}
            for row_id, row in table.items():
                index.setdefault(row[row_field], []).append(row_id)
            return index
        index: dict[int, list[int]] = self._cached((name, row_field), table, build)
        return index

    def _email_index(self, table: dict[int, dict]) -> dict[str, list[int]]:
        def build() -> dict[str, list[int]]:
            index: dict[str, list[int]] = {}
            for row_id, row in table.items():
                for address in row.get("email_addresses") or ():
                    index.setdefault(str(address.get("value", "")).lower(), []).append(row_id)
            return index
        index: dict[str, list[int]] = self._cached(("candidates", "email"), table, build)
        return index


def _row_matches(row: dict, selection: _Selection) -> bool:
    for row_field, operator, value in selection.dates:
        stamp = row.get(row_field)
        if stamp is None:
            return False
        if (operator == "gte" and not stamp >= value) or (operator == "lte" and not stamp <= value) or \
                (operator == "gt" and not stamp > value) or (operator == "lt" and not stamp < value):
            return False
    wanted_event = selection.external_event_id
    if wanted_event is not None and row.get("external_event_id") != wanted_event:
        return False
    return selection.status is None or row.get("status") == selection.status


def _bisect_left(ascending: Sequence[int], value: int) -> int:
    low, high = 0, len(ascending)
    while low < high:
        middle = (low + high) // 2
        if ascending[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low


def _per_page(raw: str | None, errors: list[str | dict[str, str]]) -> int:
    if raw is None:
        return DEFAULT_PER_PAGE
    if raw.isdigit() and 1 <= int(raw) <= MAX_PER_PAGE:
        return int(raw)
    errors.append({"per_page": f"must be an integer between 1 and {MAX_PER_PAGE}"})
    return DEFAULT_PER_PAGE


def _id_list(name: str, raw: str, errors: list[str | dict[str, str]]) -> frozenset[int]:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        errors.append({name: "must be a comma-separated list of integer ids"})
    elif len(parts) > MAX_IDS:
        errors.append({name: f"must not contain more than {MAX_IDS} ids"})
    return frozenset(int(p) for p in parts if p.isdigit())


def _date_clauses(name: str, raw: str, errors: list[str | dict[str, str]]) -> list[tuple[str, str, str]]:
    tokens = raw.split("|")
    clauses = []
    if len(tokens) % 2 == 0:
        for operator, value in zip(tokens[::2], tokens[1::2], strict=True):
            try:
                moment = parse_iso(value)
            except ValueError:
                break
            if operator not in DATE_OPERATORS:
                break
            clauses.append((name, operator, iso_from(moment)))
        else:
            return clauses
    errors.append({name: "must look like gte|2024-01-01T00:00:00Z (operators gte, lte, gt, lt; "
                         "two-sided: gte|A|lte|B)"})
    return []


def _route_name(request: web.Request) -> str:
    return request.match_info.route.name or ""


def _single_values(query: MultiMapping[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name in query:
        values = query.getall(name)
        if len(values) > 1:
            raise Invalid({name: "was given more than once"})
        params[name] = values[0]
    return params


# =====================================================================================================
# Request bodies
# =====================================================================================================

async def _json_body(request: web.Request, *, optional: bool = False) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        if optional:
            return {}
        raise Invalid("A JSON object body is required.")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise Invalid(f"The body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise Invalid("The body must be a JSON object.")
    return body


def _only(body: Mapping[str, Any], allowed: set[str], prefix: str = "") -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Invalid(*({f"{prefix}{name}": "is not a permitted parameter"} for name in unknown))


def _int(body: Mapping[str, Any], key: str, *, required: bool = False) -> int | None:
    value = body.get(key)
    if value is None:
        if required:
            raise Invalid({key: "is required"})
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid({key: "must be an integer id"})
    return value


def _existing(body: Mapping[str, Any], key: str, table: Mapping[int, Any], *, where: str | None = None) -> int:
    value = _int(body, key, required=True)
    if value is None or value not in table:
        raise Invalid({where or key: f"{value} does not exist"})
    return value


def _optional_existing(body: Mapping[str, Any], key: str, table: Mapping[int, Any]) -> int | None:
    return _existing(body, key, table) if body.get(key) is not None else None


def _text(body: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid({key: "can't be blank"})
        return None
    if not isinstance(value, str):
        raise Invalid({key: "must be a string"})
    return value


def _strings(body: Mapping[str, Any], key: str) -> list[str]:
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid({key: "must be a list of strings"})
    return value


def _time_range(body: Mapping[str, Any], *, required: bool) -> tuple[str, str]:
    moments = []
    for key in ("starts_at", "ends_at"):
        text = _text(body, key, required=required)
        try:
            moments.append(iso_from(parse_iso(text or "")))
        except ValueError as exc:
            raise Invalid({key: "must be an ISO-8601 timestamp"}) from exc
    if moments[0] >= moments[1]:
        raise Invalid({"ends_at": "must be after starts_at"})
    return moments[0], moments[1]


def _upload(item: Any, where: str) -> dict[str, Any]:
    """One attachment sent inline: base64 `content` with its `content_type`, as Harvest takes them."""
    if not isinstance(item, dict):
        raise Invalid({where: "must be an object"})
    _only(item, {"filename", "type", "content", "content_type", "url"}, prefix=f"{where}.")
    if item.get("url") is not None:
        raise Invalid({f"{where}.url": "the sandbox fetches nothing; send the file as base64 content"})
    for key in ("filename", "content", "content_type"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise Invalid({f"{where}.{key}": "can't be blank"})
    filename, encoded, content_type = item["filename"], item["content"], item["content_type"]
    if item.get("type") not in APPLICATION_ATTACHMENT_TYPES:
        raise Invalid({f"{where}.type": f"must be one of {', '.join(APPLICATION_ATTACHMENT_TYPES)}"})
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid({f"{where}.content": "must be base64"}) from exc
    return {"filename": filename, "type": item["type"], "content": content, "content_type": content_type}


def _candidate_fields(body: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    _only(body, {"first_name", "last_name", "preferred_name", "company", "title", "time_zone", "tags",
                 "private", "can_email", *_CONTACT_TYPES} | ({"application"} if creating else set()))
    fields: dict[str, Any] = {}
    for key in ("first_name", "last_name", "preferred_name", "company", "title", "time_zone"):
        if key in body:
            fields[key] = _text(body, key, required=creating and key in ("first_name", "last_name"))
        elif creating and key in ("first_name", "last_name"):
            raise Invalid({key: "can't be blank"})
    for key in ("private", "can_email"):
        if key in body:
            if not isinstance(body[key], bool):
                raise Invalid({key: "must be true or false"})
            fields[key] = body[key]
    for key, kinds in _CONTACT_TYPES.items():
        if key in body:
            fields[key] = _contacts(body[key], key, kinds)
    if "tags" in body:
        fields["tags"] = _strings(body, "tags")
    return fields


def _contacts(raw: Any, key: str, kinds: tuple[str, ...] | None) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        raise Invalid({key: "must be a list"})
    items = []
    for position, item in enumerate(raw):
        where = f"{key}[{position}]"
        if not isinstance(item, dict) or not isinstance(item.get("value"), str) or not item["value"].strip():
            raise Invalid({where: "needs a non-empty value"})
        _only(item, {"value", "type"} if kinds else {"value"}, prefix=f"{where}.")
        if kinds is None:
            items.append({"value": item["value"]})
            continue
        kind = item.get("type")
        if kind not in kinds:
            raise Invalid({f"{where}.type": f"must be one of {', '.join(kinds)}"})
        items.append({"value": item["value"], "type": kind})
    return items


# =====================================================================================================
# Responses
# =====================================================================================================

def dumps(value: Any) -> str:
    """JSON the way Rails writes it: UTF-8, compact, with <, > and & escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _json(value: Any, status: int, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(text=dumps(value), status=status, content_type="application/json", charset="utf-8",
                        headers=headers)


def _unauthorized(reason: str) -> web.Response:
    return _json({"message": "Unauthorized", "errors": [reason]}, 401,
                 {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _oauth_error(code: str, description: str, status: int,
                 headers: Mapping[str, str] | None = None) -> web.Response:
    return _json({"error": code, "error_description": description}, status, headers)


def _s3_error(code: str, message: str, status: int = 403) -> web.Response:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{xml_escape(message)}</Message></Error>")
    return web.Response(text=body, status=status, content_type="application/xml")


def _fault_response(fault: Fault) -> web.Response:
    headers = retry_after(fault)
    if fault.body is not None:
        return web.Response(body=fault.body, status=fault.status, headers=headers,
                            content_type="application/json")
    if fault.status in (502, 503, 504):  # what a load balancer in front of the API sends: HTML
        reason = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}[fault.status]
        return web.Response(text=f"<html><body><h1>{fault.status} {reason}</h1></body></html>",
                            status=fault.status, content_type="text/html", headers=headers)
    message = "Too Many Requests" if fault.status == 429 else "Internal Server Error"
    return _json({"message": message}, fault.status, headers)


# =====================================================================================================
# Tokens and documents
# =====================================================================================================

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt_encode(claims: Mapping[str, Any], key: bytes) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _jwt_decode(token: str, key: bytes) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    expected = _b64(hmac.new(key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, parts[2]):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def _document(attachment: dict, candidate: dict | None) -> tuple[bytes, str]:
    """A small but real file for an attachment: what a resume parser would be fed."""
    name = f"{candidate['first_name']} {candidate['last_name']}" if candidate else "Candidate"
    lines = [name, f"{candidate.get('title') or 'Professional'} at {candidate.get('company') or 'a company'}"
             if candidate else "", *(e["value"] for e in (candidate or {}).get("email_addresses", [])),
             "", "Experience", "- Led projects end to end.", "- Mentored teammates.",
             f"({attachment['type'].replace('_', ' ')})"]
    filename = attachment["filename"].lower()
    if filename.endswith(".pdf"):
        return ascii_pdf(lines), "application/pdf"
    if filename.endswith(".docx"):
        return docx(lines), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return "\n".join(lines).encode(), "text/plain"


# =====================================================================================================
# Command line
# =====================================================================================================

def main(argv: Sequence[str] | None = None) -> None:
    """`python -m adapters.sandbox.greenhouse`: serve a sandbox in the foreground until Ctrl+C."""
    parser = argparse.ArgumentParser(prog="python -m adapters.sandbox.greenhouse",
                                     description="Serve a fake Greenhouse (Harvest v3) with realistic data.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--candidates", type=int, default=400, help="how many candidates to generate")
    parser.add_argument("--seed", type=int, default=7, help="seed for the generated data")
    parser.add_argument("--rate-limit", type=int, default=75, help="requests allowed per 30-second window")
    parser.add_argument("--chaos", type=float, default=0.0,
                        help="share of API requests (0..1) that fail at random: 429, 5xx, timeouts, bad JSON")
    args = parser.parse_args(argv)
    if not 0.0 <= args.chaos <= 1.0:
        parser.error("--chaos must be between 0 and 1")
    state = generate(seed=args.seed, candidates=args.candidates)
    sandbox = GreenhouseSandbox(state, rate_limit=args.rate_limit, chaos=Chaos(args.chaos))
    try:
        serve_in_foreground(_serve(sandbox, args.host, args.port, args.chaos))
    except KeyboardInterrupt:
        print("Stopped.")


async def _serve(sandbox: GreenhouseSandbox, host: str, port: int, chaos: float) -> None:
    admin = next(u for u in sandbox.state.users.values()
                 if u["site_admin"] and u["id"] not in sandbox.state.service_account_ids)

    def banner(url: str) -> str:
        return "\n".join((
            f"Greenhouse sandbox (Harvest v3) at {url}",
            f"  token URL:      {url}/token",
            f"  client id:      {sandbox.client_id}",
            f"  client secret:  {sandbox.client_secret}",
            f"  acting user:    sub={sandbox.state.service_user_id} (Integration Service User, the default) "
            f"or sub={admin['id']} ({admin['name']}, site admin)",
            f"  data:           {len(sandbox.state.candidates)} candidates, {len(sandbox.state.jobs)} jobs; "
            f"rate limit {sandbox.api_window.limit} per {sandbox.api_window.seconds:g} s; chaos {chaos:g}",
            "Press Ctrl+C to stop.",
        ))

    await sandbox.serve_until_stopped(host, port, banner)


if __name__ == "__main__":
    main()
