"""A fake BreezyHR API v3 on the fake-ATS kit, following shared/reference/ats/breezyhr.md.

The raw token in `Authorization` (a `Bearer` prefix is refused, as the reference advises against it);
`POST /signin` trades an email and password for a session token; company-scoped routes (403 for another
company, or for every company route when the plan lacks API access); bare JSON arrays, paged by
`page_size` (at most 50) and `page` only when asked; a fixed window of 100 requests a minute per token with
`X-RateLimit-Limit/Remaining/Reset` headers and 429s; errors as `{"error": {"type", "message"}}` (a bad
token is `invalidAccessToken`); team-discussion notes on `.../stream` and candidate-facing messages on
`.../conversation` (recorded apart, so tests can prove nothing went there); the CV as multipart `file`;
webhook endpoints with `whsec_...` secrets, and deliveries signed in `X-Hook-Signature` over compact JSON.

`python -m adapters.sandbox.breezyhr [--port N] [--candidates N] [--seed N] [--rate-limit R]` serves one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import json
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

import aiohttp
from aiohttp import web

from adapters.sandbox.breezyhr_dataset import (
    COMPANY_ID,
    SANDBOX_EMAIL,
    SANDBOX_PASSWORD,
    SANDBOX_TOKEN,
    BreezyState,
    generate,
    iso,
)
from adapters.sandbox.chaos import Chaos as BaseChaos
from adapters.sandbox.chaos import Fault
from adapters.sandbox.fake import Answer, FakeAts, FakeOptions, Handler
from adapters.sandbox.ratelimit import FixedWindow, RateLimitHeaders
from adapters.sandbox.server import serve_in_foreground
from adapters.sandbox.webhooks import SignatureScheme, WebhookSender

API_PREFIX = "/v3"
SANDBOX_CONTROL = "/_sandbox"
MAX_PAGE_SIZE = 50
STREAM_PAGE = 50
SIGNATURE = SignatureScheme("X-Hook-Signature")
# Only the reset header's name is confirmed; these are the names the fake sends.
RATE_HEADERS = RateLimitHeaders(limit="X-RateLimit-Limit", remaining="X-RateLimit-Remaining",
                                reset="X-RateLimit-Reset", retry_after="Retry-After")


def _path_matches(pattern: str | None, path: str) -> bool:
    """`None` matches every call; otherwise the exact path, with or without `/v3`."""
    if pattern is None:
        return True
    bare = path[len(API_PREFIX):] if path.startswith(API_PREFIX + "/") else path
    return pattern in (path, bare)


class Chaos(BaseChaos):
    """Faults for the BreezyHR fake: the kit's, aimed at exact paths given with or without `/v3`."""

    def __init__(self, random_rate: float = 0.0, *, seed: int | None = None, timeout_seconds: float = 30.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        super().__init__(random_rate, seed=seed, timeout_seconds=timeout_seconds, sleep=sleep,
                         matcher=_path_matches)


class BreezyError(Exception):
    def __init__(self, status: int, kind: str | None, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def error_response(status: int, kind: str | None, message: str, headers: dict[str, str] | None = None
                   ) -> web.Response:
    body = {"error": {"type": kind, "message": message}} if kind else {"error": {"message": message}}
    return web.json_response(body, status=status, headers=headers)


@dataclass
class Delivery:
    """One webhook attempt the fake made."""

    url: str
    event: str
    body: bytes
    headers: dict[str, str]
    status: int | None = None


class BreezySandbox(FakeAts):
    """The fake BreezyHR API: `.app` to serve, `.state` to change, `.requests` to assert on."""

    provider = "breezyhr"
    title = "BreezyHR (API v3)"
    client_max_size = 16 * 1024 * 1024

    def __init__(self, state: BreezyState, *, token: str = SANDBOX_TOKEN, rate_limit: int = 100,
                 window_seconds: float = 60.0, clock: Callable[[], float] = time.time, chaos: Chaos | None = None,
                 api_access: bool = True, max_recorded: int | None = None) -> None:
        super().__init__(clock=clock, chaos=chaos or Chaos(), max_recorded=max_recorded)
        self.state = state
        state.clock = clock
        self.tokens: dict[str, str] = {token: state.owner["_id"]}  # token -> user id
        self.accounts = {SANDBOX_EMAIL: SANDBOX_PASSWORD}
        self.rate_limit = rate_limit
        self.window_seconds = window_seconds
        self.windows: dict[str, FixedWindow] = {}
        self.api_access = api_access
        self.rate_limited = 0
        self.deliveries: list[Delivery] = []
        self.sender = WebhookSender(retry_delays=())
        self.app = self.build_app()

    # -- the kit's hooks -------------------------------------------------------------------------------------

    @classmethod
    def build(cls, options: FakeOptions) -> Self:
        return cls(generate(seed=options.seed, candidates=options.candidates, now=options.now,
                            shared_people=options.shared_people),
                   chaos=Chaos(options.chaos, seed=options.seed), max_recorded=1000)

    def connect_values(self, url: str) -> dict[str, str]:
        return {"token": SANDBOX_TOKEN, "base_url": f"{url}{API_PREFIX}"}

    def connection_help(self, url: str) -> str:
        return (f"connect: hirebot connect breezyhr --base-url {url}{API_PREFIX} --token {SANDBOX_TOKEN} "
                f"(or --email {SANDBOX_EMAIL} --password '{SANDBOX_PASSWORD}')")

    def add_routes(self, app: web.Application) -> None:
        company = API_PREFIX + "/company/{company_id}"
        candidate = company + "/position/{position_id}/candidate/{candidate_id}"
        routes = [
            ("POST", API_PREFIX + "/signin", self.signin), ("GET", API_PREFIX + "/signout", self.signout),
            ("GET", API_PREFIX + "/user", self.user), ("GET", API_PREFIX + "/companies", self.companies),
            ("GET", company + "/positions", self.positions),
            ("GET", company + "/position/{position_id}", self.position),
            ("GET", company + "/pipelines", self.pipelines),
            ("GET", company + "/pipeline/{pipeline_id}", self.pipeline),
            ("GET", company + "/position/{position_id}/candidates", self.candidates),
            ("POST", company + "/position/{position_id}/candidates", self.create_candidate),
            ("GET", company + "/candidates/search", self.search),
            ("GET", candidate, self.candidate), ("PUT", candidate, self.update_candidate),
            ("PUT", candidate + "/stage", self.set_stage),
            ("GET", candidate + "/stream", self.stream), ("POST", candidate + "/stream", self.add_note),
            ("GET", candidate + "/conversation", self.conversation),
            ("POST", candidate + "/conversation", self.message_candidate),
            ("POST", candidate + "/resume", self.upload_resume),
            ("GET", company + "/webhook_endpoints", self.list_webhooks),
            ("POST", company + "/webhook_endpoints", self.create_webhook),
            ("DELETE", company + "/webhook_endpoints/{webhook_id}", self.delete_webhook),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        # Not BreezyHR's: a control route for the benchmark, which changes records by id alone (BreezyHR's
        # own update route needs the position) and outside the metered API.
        app.router.add_route("PATCH", SANDBOX_CONTROL + "/candidates/{candidate_id}", self.sandbox_update)

    async def respond(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Injected faults first, then what BreezyHR answers: the token, the rate window, the route."""
        if request.path.startswith(SANDBOX_CONTROL + "/"):
            return await self._guarded(request, handler)
        return await self.with_faults(request.path, lambda: self._answer(request, handler))

    async def sandbox_update(self, request: web.Request) -> web.Response:
        candidate_id = request.match_info["candidate_id"]
        if candidate_id not in self.state.candidates:
            raise BreezyError(404, "candidateNotFound", "No such candidate.")
        body = await _json_object(request)
        return web.json_response(self.state.update_candidate(candidate_id, **body))

    def fault_response(self, fault: Fault) -> web.Response:
        headers = {"Retry-After": str(math.ceil(fault.retry_after))} if fault.retry_after is not None else None
        if fault.status == 429:
            return error_response(429, "rateLimitExceeded", "Too many requests.", headers)
        return error_response(fault.status, "serverError", "Something went wrong.", headers)

    def internal_error(self) -> web.Response:
        return error_response(500, "serverError", "Something went wrong.")

    async def malformed_response(self, answer: Answer) -> web.StreamResponse:
        response = await answer()
        body = response.body if isinstance(response, web.Response) and isinstance(response.body, bytes) else b""
        return web.Response(body=body[: max(len(body) // 2, 1)] or b"[{", status=200, content_type="application/json")

    # -- the pipeline ---------------------------------------------------------------------------------------

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == API_PREFIX + "/signin":
            return await self._guarded(request, handler)
        token = request.headers.get("Authorization", "").strip()
        if not token:
            return error_response(400, "missingAccessToken", "No access token was provided.")
        if token not in self.tokens:
            return error_response(401, "invalidAccessToken", "The access token is invalid or has expired.")
        window = self.windows.setdefault(token, FixedWindow(self.rate_limit, self.window_seconds, self.clock,
                                                            RATE_HEADERS))
        allowed, headers = window.hit()
        if not allowed:
            self.rate_limited += 1
            headers.pop("Retry-After", None)  # BreezyHR tells the wait through X-RateLimit-Reset alone
            return error_response(429, "rateLimitExceeded", "Rate limit exceeded.", headers)
        company = request.match_info.get("company_id")
        if company is not None and (company != COMPANY_ID or not self.api_access):
            response: web.StreamResponse = web.Response(status=403, text="Forbidden")
        else:
            response = await self._guarded(request, handler)
        response.headers.update(headers)
        return response

    async def _guarded(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except BreezyError as exc:
            return error_response(exc.status, exc.kind, exc.message)

    def _user_of(self, request: web.Request) -> dict[str, Any]:
        user_id = self.tokens[request.headers.get("Authorization", "").strip()]
        return next(u for u in self.state.users if u["_id"] == user_id)

    # -- account --------------------------------------------------------------------------------------------

    async def signin(self, request: web.Request) -> web.Response:
        try:
            body = await request.json() if request.content_type == "application/json" else dict(await request.post())
        except ValueError:
            body = {}
        email, password = str(body.get("email") or ""), str(body.get("password") or "")
        known = self.accounts.get(email)
        if known is None or not hmac.compare_digest(known.encode(), password.encode()):
            raise BreezyError(401, "invalidCredentials", "The email or password is incorrect.")
        token = secrets.token_hex(20)
        self.tokens[token] = self.state.owner["_id"]
        return web.json_response({"access_token": token, "user": self.state.owner})

    async def signout(self, request: web.Request) -> web.Response:
        self.tokens.pop(request.headers.get("Authorization", "").strip(), None)
        return web.json_response({"signed_out": True})

    async def user(self, request: web.Request) -> web.Response:
        return web.json_response(self._user_of(request))

    async def companies(self, request: web.Request) -> web.Response:
        return web.json_response([self.state.company])

    # -- positions and pipelines ---------------------------------------------------------------------------

    async def positions(self, request: web.Request) -> web.Response:
        state = request.query.get("state")
        rows = [p for p in self.state.positions.values() if state is None or p["state"] == state]
        return web.json_response(_paged(request, rows))

    async def position(self, request: web.Request) -> web.Response:
        return web.json_response(self._position(request))

    async def pipelines(self, request: web.Request) -> web.Response:
        return web.json_response(list(self.state.pipelines.values()))

    async def pipeline(self, request: web.Request) -> web.Response:
        pipelines = self.state.pipelines
        # An unknown pipeline id silently answers with the default pipeline, as BreezyHR does.
        return web.json_response(pipelines.get(request.match_info["pipeline_id"]) or next(iter(pipelines.values())))

    def _position(self, request: web.Request) -> dict[str, Any]:
        position = self.state.positions.get(request.match_info["position_id"])
        if position is None:
            raise BreezyError(404, "positionNotFound", "No such position.")
        return position

    # -- candidates -----------------------------------------------------------------------------------------

    async def candidates(self, request: web.Request) -> web.Response:
        position = self._position(request)
        rows = self.state.on_position(position["_id"])
        if request.query.get("sort", "").startswith("updated"):
            rows.sort(key=lambda r: (r["updated_date"], r["_id"]), reverse=True)
        else:
            rows.sort(key=lambda r: (r["creation_date"], r["_id"]))
        return web.json_response(_paged(request, [_summary(row) for row in rows]))

    async def candidate(self, request: web.Request) -> web.Response:
        return web.json_response(self._candidate(request))

    def _candidate(self, request: web.Request) -> dict[str, Any]:
        position = self._position(request)
        candidate_id = request.match_info["candidate_id"]
        if candidate_id not in self.state.candidates:
            raise BreezyError(404, "candidateNotFound", "No such candidate.")
        if self.state.placed[candidate_id] != position["_id"]:
            raise BreezyError(412, "candidateNotOnPosition", "The candidate is not on this position.")
        return self.state.candidates[candidate_id]

    async def create_candidate(self, request: web.Request) -> web.Response:
        position = self._position(request)
        body = await _json_object(request)
        name = str(body.get("name") or "").strip()
        if not name:
            raise BreezyError(400, "createCandidateMissingName", "A candidate needs a name.")
        email = body.get("email_address")
        if email and any(self.state.placed[r["_id"]] == position["_id"] for r in self.state.with_email(str(email))):
            raise BreezyError(409, "candidateExists", "The candidate is already on this position.")
        source = body.get("source")
        record = self.state.add_candidate(
            name, position_id=position["_id"], email=str(email) if email else None,
            phone_number=body.get("phone_number"), headline=body.get("headline"),
            origin=body.get("origin") or "sourced", tags=[str(t) for t in body.get("tags") or []],
            social_profiles=dict(body.get("social_profiles") or {}), summary=body.get("summary"),
            source={"id": self.state.new_id(), "name": str(source), "type": "custom"} if source else None,
            cover_letter=body.get("cover_letter"), work_history=list(body.get("work_history") or []),
            education=list(body.get("education") or []))
        self._emit_soon("candidateAdded", record["_id"])
        return web.json_response(record, status=201)

    async def update_candidate(self, request: web.Request) -> web.Response:
        record = self._candidate(request)
        body = await _json_object(request)
        allowed = {"name", "email_address", "phone_number", "headline", "summary", "address", "tags",
                   "social_profiles", "cover_letter", "work_history", "education", "custom_attributes"}
        return web.json_response(self.state.update_candidate(record["_id"], **{k: v for k, v in body.items()
                                                                               if k in allowed}))

    async def set_stage(self, request: web.Request) -> web.Response:
        record = self._candidate(request)
        body = await _json_object(request)
        stage_id = body.get("stage_id")
        if not stage_id:
            raise BreezyError(400, "setCandidateStatusMissingStageId", "stage_id is required.")
        try:
            self.state.set_stage(record["_id"], str(stage_id))
        except KeyError:
            raise BreezyError(400, "setCandidateStatusMissingStageId", "No such stage.") from None
        self._emit_soon("candidateStatusUpdated", record["_id"])
        return web.Response(status=204)

    async def search(self, request: web.Request) -> web.Response:
        email = request.query.get("email_address", "")
        hits = [{"_id": row["_id"], "name": row["name"], "email_address": row.get("email_address"),
                 "creation_date": row["creation_date"],
                 "position": {"_id": self.state.placed[row["_id"]],
                              "name": self.state.positions[self.state.placed[row["_id"]]]["name"]}}
                for row in self.state.with_email(email)] if email else []
        return web.json_response(hits)

    # -- team discussion, messages, files --------------------------------------------------------------------

    async def stream(self, request: web.Request) -> web.Response:
        record = self._candidate(request)
        items = list(reversed(self.state.streams.get(record["_id"], [])))  # newest first
        skip = _number(request.query.get("skip"), 0)
        return web.json_response(items[skip: skip + STREAM_PAGE])

    async def add_note(self, request: web.Request) -> web.Response:
        record = self._candidate(request)
        body = await _json_object(request)
        text = str(body.get("body") or "").strip()
        if not text:
            raise BreezyError(400, "postNoteMissingBody", "A note needs a body.")
        moment = iso(datetime.fromtimestamp(self.clock(), UTC))
        item = {"_id": self.state.new_id(), "type": "companyNotePosted", "stream_id": record["_id"],
                "object": {"body": text, "user": self._user_of(request)}, "timestamp": moment}
        self.state.streams.setdefault(record["_id"], []).append(item)
        return web.json_response(item)

    async def conversation(self, request: web.Request) -> web.Response:
        record = self._candidate(request)
        return web.json_response(list(self.state.conversations.get(record["_id"], [])))

    async def message_candidate(self, request: web.Request) -> web.Response:
        """BreezyHR e-mails this to the candidate; the fake keeps it apart so tests can see none was sent."""
        record = self._candidate(request)
        body = await _json_object(request)
        item = {"_id": self.state.new_id(), "type": "messageToCandidatePosted",
                "object": {"body": body.get("body"), "subject": body.get("subject"), "attachments": []}}
        self.state.conversations.setdefault(record["_id"], []).append(item)
        return web.json_response(item)

    async def upload_resume(self, request: web.Request) -> web.Response:
        record = self._candidate(request)
        if request.content_type != "multipart/form-data":
            raise BreezyError(400, "uploadMissingFile", "Upload the CV as multipart/form-data in a field named file.")
        upload = None
        async for part in (await request.multipart()):
            if isinstance(part, aiohttp.BodyPartReader) and part.name == "file":
                upload = (part.filename or "resume", bytes(await part.read()))
        if upload is None:
            raise BreezyError(400, "uploadMissingFile", "Missing the file field.")
        self.state.resumes[record["_id"]] = upload
        record["resume"] = {"file_name": upload[0], "url": f"https://breezy-files.example/{record['_id']}/cv",
                            "pdf_url": f"https://breezy-files.example/{record['_id']}/cv.pdf"}
        self.state.update_candidate(record["_id"])
        return web.json_response(record)

    # -- webhooks ---------------------------------------------------------------------------------------------

    async def list_webhooks(self, request: web.Request) -> web.Response:
        return web.json_response({"data": [_public(hook) for hook in self.state.webhooks.values()]})

    async def create_webhook(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        if not body.get("url"):
            raise BreezyError(400, "webhookMissingUrl", "A webhook endpoint needs a url.")
        hook = self.add_webhook(str(body["url"]), events=[str(e) for e in body.get("events") or []],
                                description=str(body.get("description") or ""))
        return web.json_response({**_public(hook), "secret": hook["secret"]}, status=201)

    async def delete_webhook(self, request: web.Request) -> web.Response:
        if self.state.webhooks.pop(request.match_info["webhook_id"], None) is None:
            raise BreezyError(404, "webhookNotFound", "No such webhook endpoint.")
        return web.Response(status=204)

    def add_webhook(self, url: str, *, events: list[str], secret: str | None = None,
                    description: str = "") -> dict[str, Any]:
        """An endpoint for `events` (all when empty), signed with `secret` (a new `whsec_...` if None)."""
        now = iso(datetime.fromtimestamp(self.clock(), UTC))
        hook: dict[str, Any] = {"id": self.state.new_id(), "url": url, "description": description, "events": events,
                "status": "active", "enabled": True, "secret": secret or f"whsec_{secrets.token_hex(16)}",
                "created_at": now, "updated_at": now, "is_legacy": False}
        self.state.webhooks[hook["id"]] = hook
        return hook

    def envelope(self, event: str, candidate_id: str) -> dict[str, Any]:
        """BreezyHR's envelope for a candidate event (a deleted candidate as it was)."""
        if candidate_id in self.state.candidates:
            position_id, record = self.state.placed[candidate_id], self.state.candidates[candidate_id]
        else:
            position_id, record = self.state.deleted[candidate_id]
        position = self.state.positions[position_id]
        owner = self.state.owner
        return {"_id": self.state.new_id(), "type": event,
                "creation_date": iso(datetime.fromtimestamp(self.clock(), UTC)),
                "object": {"company": self.state.company,
                           "position": {"_id": position_id, "name": position["name"],
                                        "pipeline_id": position["pipeline_id"], "all_admins": False,
                                        "location": {"name": position["location"]["name"]}},
                           "stage": record.get("stage"), "entered_stage": record.get("entered_stage"),
                           "candidate": {k: record.get(k) for k in ("_id", "name", "email_address", "phone_number",
                                                                    "profile_photo_url", "tags")},
                           "acting_user": {"_id": owner["_id"], "email_address": owner["email_address"],
                                           "name": owner["name"], "profile_photo_url": None}}}

    async def emit(self, event: str, candidate_id: str) -> list[Delivery]:
        """Deliver `event` about a candidate to every endpoint that wants it, compact JSON signed as BreezyHR
        signs it; returns the attempts."""
        made: list[Delivery] = []
        body = json.dumps(self.envelope(event, candidate_id), separators=(",", ":"), ensure_ascii=False).encode()
        for hook in list(self.state.webhooks.values()):
            if hook["events"] and event not in hook["events"]:
                continue
            headers = {**SIGNATURE.headers(hook["secret"], body), "X-Breezy-Webhook-Version": "2",
                       "Content-Type": "application/json"}
            delivery = Delivery(hook["url"], event, body, headers)
            delivery.status = await self.sender.send(hook["url"], body, headers)
            self.deliveries.append(delivery)
            made.append(delivery)
        return made

    def _emit_soon(self, event: str, candidate_id: str) -> None:
        if self.state.webhooks:
            self.run_in_background(self._emit_quietly(event, candidate_id))

    async def _emit_quietly(self, event: str, candidate_id: str) -> None:
        await self.emit(event, candidate_id)


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    """A candidate as the position's list shows it (no work history or education)."""
    keys = ("_id", "meta_id", "name", "initial", "email_address", "phone_number", "headline", "origin",
            "profile_photo_url", "resume", "source", "stage", "tags", "social_profiles", "entered_stage",
            "creation_date", "updated_date")
    return {key: row.get(key) for key in keys}


def _public(hook: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in hook.items() if k != "secret"}
    return {**shown, "secret_prefix": hook["secret"][:10]}


def _number(raw: str | None, default: int) -> int:
    try:
        return max(int(raw), 0) if raw is not None else default
    except ValueError:
        raise BreezyError(400, "invalidParameter", f"{raw!r} is not a number.") from None


def _paged(request: web.Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The whole list without a page size; else one page (`page` from 1, at most 50 rows)."""
    if "page_size" not in request.query:
        return rows
    size = min(max(_number(request.query.get("page_size"), MAX_PAGE_SIZE), 1), MAX_PAGE_SIZE)
    page = max(_number(request.query.get("page"), 1), 1)
    return rows[(page - 1) * size: page * size]


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BreezyError(400, "invalidBody", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BreezyError(400, "invalidBody", "The body must be a JSON object.")
    return body


# -- command line ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """`python -m adapters.sandbox.breezyhr`: serve a sandbox BreezyHR in the foreground."""
    parser = argparse.ArgumentParser(description="Serve a fake BreezyHR API v3 on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--candidates", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--positions", type=int, default=6)
    parser.add_argument("--rate-limit", type=float, default=100, help="requests per 60-second window")
    parser.add_argument("--chaos", type=float, default=0.0, help="share of requests that fail at random (0-1)")
    args = parser.parse_args(argv)
    sandbox = BreezySandbox(generate(seed=args.seed, candidates=args.candidates, positions=args.positions),
                            rate_limit=max(int(args.rate_limit), 1), chaos=Chaos(args.chaos, seed=args.seed),
                            max_recorded=1000)
    with contextlib.suppress(KeyboardInterrupt):
        serve_in_foreground(_serve(sandbox, args.host, args.port))


async def _serve(sandbox: BreezySandbox, host: str, port: int) -> None:
    await sandbox.serve_until_stopped(host, port, lambda url: (
        f"BreezyHR sandbox: {url}{API_PREFIX}  ({len(sandbox.state.candidates)} candidates, "
        f"{len(sandbox.state.positions)} positions)\n{sandbox.connection_help(url)}\nPress Ctrl+C to stop."))


if __name__ == "__main__":
    main()
