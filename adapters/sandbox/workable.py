"""A faithful fake of Workable's SPI v3, so the Workable adapter is proven over real HTTP before it meets
Workable.

It follows shared/reference/ats/workable.md: `Authorization: Bearer <token>`; scopes per token (r_jobs,
r_candidates, w_candidates, w_comments); lists as `{"<collection>": [...], "paging": {"next": URL}}` with
`limit` (default 50, at most 100), `since_id`/`max_id` and, for candidates and jobs, `created_after` /
`updated_after`; the next link is absolute, built from the request's host, and the last page has no
`paging`; the candidate list gives the short form and `GET /candidates/{id}` the detail; flat error bodies
(`{"error": "Not authorized"}`); a fixed 10-second window (10 requests for account tokens) whose state
every answer carries in X-Rate-Limit-Limit / -Remaining / -Reset (epoch seconds of the next window), and
a 429 past it; webhooks signed with the hex HMAC-SHA256 of the body under the subscribing token in
`X-Workable-Signature`.

Choices where the reference is silent or unconfirmed:
- Checks run in this order: token, rate limit, injected faults, scope, then existence and validation. So
  a write to a record that does not exist answers 403 without its scope and 404 with it.
- A rate-limit 429 carries only the documented headers (no Retry-After); injected 429s (`Chaos`) also say
  Retry-After, as the contract tests ask of every fake.
- Comments answer 201 with an empty body; comments and candidate creation need `w_comments` /
  `w_candidates` (a comment takes either), and a comment's `member_id` must be an active member (422).
- `GET /candidates/{id}/activities` lists the record's feed, comments included, oldest first, unpaged.
- Talent-pool records (no job) are listed by `GET /candidates` too, with `job: null`.
- `POST /subscriptions` refuses a target already registered (409); each subscription remembers the token
  that made it, which signs its deliveries.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import bisect
import hmac
import json
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urlencode

from aiohttp import web

from adapters.sandbox.chaos import Chaos as BaseChaos
from adapters.sandbox.chaos import Fault
from adapters.sandbox.fake import Answer, FakeAts, FakeOptions, Handler, truncated
from adapters.sandbox.ratelimit import FixedWindow, RateLimitHeaders
from adapters.sandbox.server import serve_in_foreground
from adapters.sandbox.webhooks import WebhookSender, hmac_sha256_hex
from adapters.sandbox.workable_dataset import WorkableState, generate, short_form, stamp

API_PREFIX = "/spi/v3"
SANDBOX_TOKEN = "workable-sandbox-token-0f3c9a"
ALL_SCOPES = frozenset({"r_jobs", "r_candidates", "w_candidates", "w_comments", "r_account"})
ACCOUNT_RATE = 10  # requests per 10-second window for account tokens
OAUTH_RATE = 50
WINDOW_SECONDS = 10.0
RATE_HEADERS = RateLimitHeaders("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset")
DEFAULT_LIMIT, MAX_LIMIT = 50, 100
SIGNATURE_HEADER = "X-Workable-Signature"


class Chaos(BaseChaos):
    """Faults aimed at paths under the API root (`/candidates`), as the contract tables name them."""

    def __init__(self, random_rate: float = 0.0, **kwargs: Any) -> None:
        super().__init__(random_rate, matcher=_under_api, **kwargs)


def _under_api(pattern: str | None, path: str) -> bool:
    if not path.startswith(API_PREFIX + "/"):
        return False
    inner = path[len(API_PREFIX):]
    return pattern is None or inner == pattern or inner.startswith(pattern.rstrip("/") + "/")


class WorkableError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Delivery:
    """One webhook attempt as the fake sent it."""

    url: str
    body: bytes
    headers: dict[str, str]
    status: int | None


Route = tuple[str, str, str | tuple[str, ...], Callable[[web.Request], Awaitable[web.StreamResponse]]]


class WorkableSandbox(FakeAts):
    """The fake Workable API: `.app` to serve, `.state` to change, `.requests` to assert on."""

    provider = "workable"
    title = "Workable (SPI v3)"

    def __init__(self, state: WorkableState, *, token: str = SANDBOX_TOKEN,
                 tokens: dict[str, frozenset[str]] | None = None, rate_limit: int = ACCOUNT_RATE,
                 clock: Callable[[], float] = time.time, chaos: Chaos | None = None,
                 sender: WebhookSender | None = None, max_recorded: int | None = None) -> None:
        super().__init__(clock=clock, chaos=chaos or Chaos(), max_recorded=max_recorded)
        self.state = state
        self.token = token
        self.tokens = dict(tokens) if tokens is not None else {token: ALL_SCOPES}
        self.window = FixedWindow(rate_limit, WINDOW_SECONDS, clock, RATE_HEADERS)
        self.rate_limited = 0  # requests refused by the window (not by chaos)
        self.sender = sender or WebhookSender(timeout=10.0, retry_delays=(1.0, 5.0))
        self.subscriptions: dict[int, dict[str, Any]] = {}
        self.deliveries: list[Delivery] = []
        state.clock = clock
        self.app = self.build_app()

    # --- the kit's hooks -----------------------------------------------------------------------------

    @classmethod
    def build(cls, options: FakeOptions) -> Self:
        state = generate(seed=options.seed, candidates=options.candidates, now=options.now,
                         shared_people=options.shared_people)
        return cls(state, chaos=Chaos(options.chaos, seed=options.seed), max_recorded=1000)

    def connect_values(self, url: str) -> dict[str, str]:
        return {"subdomain": self.state.subdomain, "token": self.token, "base_url": f"{url}{API_PREFIX}"}

    def connection_help(self, url: str) -> str:
        return (f"connect: hirebot connect workable --subdomain {self.state.subdomain} --token {self.token} "
                f"--base-url {url}{API_PREFIX}")

    def add_routes(self, app: web.Application) -> None:
        for method, path, scope, handler in self._routes():
            app.router.add_route(method, API_PREFIX + path, self._scoped(scope, handler))

    async def respond(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The token, then the rate window, then injected faults, then the route."""
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        if self._scopes(request) is None:
            return error(401, "Not authorized")
        allowed, headers = self.window.hit()
        if not allowed:
            self.rate_limited += 1
            headers.pop(RATE_HEADERS.retry_after, None)
            return error(429, "Rate limit exceeded", headers)
        response = await self.with_faults(request.path, lambda: self._answer(request, handler))
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    def fault_response(self, fault: Fault) -> web.Response:
        headers = {"Retry-After": str(math.ceil(fault.retry_after if fault.retry_after is not None else 1))} \
            if fault.status == 429 or fault.retry_after is not None else {}
        if fault.status == 429:
            headers.update(RATE_HEADERS.render(self.window.limit, 0, self.clock() + float(headers["Retry-After"])))
        if fault.body is not None:
            return web.Response(body=fault.body, status=fault.status, headers=headers, content_type="application/json")
        return error(fault.status, "Rate limit exceeded" if fault.status == 429 else "Internal server error", headers)

    async def malformed_response(self, answer: Answer) -> web.StreamResponse:
        return truncated(await answer())

    # --- the pipeline --------------------------------------------------------------------------------

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except WorkableError as exc:
            return error(exc.status, exc.message)
        except web.HTTPException as exc:
            return error(exc.status, "Not found" if exc.status == 404 else exc.reason or "Request failed")

    def _scopes(self, request: web.Request) -> frozenset[str] | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        for known, scopes in self.tokens.items():
            if hmac.compare_digest(known.encode(), token.strip().encode()):
                return scopes
        return None

    def _scoped(self, scope: str | tuple[str, ...], handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                ) -> Handler:
        wanted = ((scope,) if scope else ()) if isinstance(scope, str) else scope

        async def handle(request: web.Request) -> web.StreamResponse:
            granted = self._scopes(request) or frozenset()
            if wanted and not granted & set(wanted):
                raise WorkableError(403, "Forbidden")
            return await handler(request)
        return handle

    def _routes(self) -> list[Route]:
        return [
            ("GET", "/accounts", "", self.accounts),
            ("GET", "/members", "r_jobs", self.members),
            ("GET", "/stages", "r_jobs", self.stages),
            ("GET", "/jobs", "r_jobs", self.jobs),
            ("GET", "/jobs/{shortcode}", "r_jobs", self.job),
            ("GET", "/jobs/{shortcode}/members", "r_jobs", self.job_members),
            ("GET", "/jobs/{shortcode}/stages", "r_jobs", self.stages),
            ("POST", "/jobs/{shortcode}/candidates", "w_candidates", self.create_on_job),
            ("POST", "/talent_pool/candidates", "w_candidates", self.create_in_pool),
            ("GET", "/candidates", "r_candidates", self.candidates),
            ("GET", "/candidates/{id}", "r_candidates", self.candidate),
            ("PATCH", "/candidates/{id}", "w_candidates", self.update),
            ("GET", "/candidates/{id}/activities", "r_candidates", self.activities),
            ("POST", "/candidates/{id}/comments", ("w_comments", "w_candidates"), self.comment),
            ("GET", "/subscriptions", "r_candidates", self.list_subscriptions),
            ("POST", "/subscriptions", "r_candidates", self.subscribe),
            ("DELETE", "/subscriptions/{id}", "r_candidates", self.unsubscribe),
        ]

    # --- reads ---------------------------------------------------------------------------------------

    async def accounts(self, request: web.Request) -> web.Response:
        return web.json_response({"accounts": [{"id": "1", "name": "Hirebot Sandbox",
                                                "subdomain": self.state.subdomain}]})

    async def members(self, request: web.Request) -> web.Response:
        status = request.query.get("status", "active")
        email = (request.query.get("email") or "").lower()
        rows = [m for m in self.state.members.values()
                if (status == "all" or m["active"] == (status == "active")) and (not email or m["email"] == email)]
        return self.page(request, "members", sorted(rows, key=lambda m: m["id"]))

    async def stages(self, request: web.Request) -> web.Response:
        if "shortcode" in request.match_info:
            self._job(request)
        return web.json_response({"stages": self.state.stages})

    async def jobs(self, request: web.Request) -> web.Response:
        state = request.query.get("state")
        after = _moment(request.query.get("updated_after"), "updated_after")
        rows = [_job_view(job) for job in self.state.jobs.values()
                if (not state or job["state"] == state) and (after is None or job["updated_at"] >= stamp(after))]
        return self.page(request, "jobs", sorted(rows, key=lambda j: j["id"]))

    async def job(self, request: web.Request) -> web.Response:
        return web.json_response(_job_view(self._job(request)))

    async def job_members(self, request: web.Request) -> web.Response:
        job = self._job(request)
        team = [{**_member_view(self.state.members[mid]), "collaboration_role": "hiring_team"}
                for mid in self.state.teams.get(job["shortcode"], [])]
        return web.json_response({"members": team})

    async def candidates(self, request: web.Request) -> web.Response:
        query = request.query
        email = (query.get("email") or "").strip().lower()
        shortcode, stage = query.get("shortcode"), query.get("stage")
        created = _moment(query.get("created_after"), "created_after")
        updated = _moment(query.get("updated_after"), "updated_after")
        created_after = stamp(created) if created else None
        updated_after = stamp(updated) if updated else None
        ids = list(self.state.candidates)  # insertion order is id order
        start = bisect.bisect_left(ids, query.get("since_id") or "")
        records = self.state.candidates
        rows = (record for cid in ids[start:] for record in [records[cid]]
                if (not email or (record.get("email") or "").lower() == email)
                and (not shortcode or (record.get("job") or {}).get("shortcode") == shortcode)
                and (not stage or record["stage"].lower().replace(" ", "_") == stage)
                and (created_after is None or record["created_at"] >= created_after)
                and (updated_after is None or record["updated_at"] >= updated_after))
        return self.page(request, "candidates", rows, view=short_form)

    async def candidate(self, request: web.Request) -> web.Response:
        record = self._candidate(request)
        return web.json_response({"candidate": self._detail(request, record)})

    async def activities(self, request: web.Request) -> web.Response:
        record = self._candidate(request)
        return web.json_response({"activities": list(self.state.activities.get(record["id"], []))})

    def page(self, request: web.Request, key: str, rows: Iterable[dict[str, Any]], *,
             view: Callable[[dict[str, Any]], dict[str, Any]] = dict) -> web.Response:
        """One page of `rows` (given oldest first, in id order) from `since_id`/`max_id`, with an absolute
        next link when more follow; only the rows shown are rendered (`view`)."""
        limit = _limit(request.query.get("limit"))
        since, most = request.query.get("since_id"), request.query.get("max_id")
        shown: list[dict[str, Any]] = []
        following: str | None = None
        for row in rows:
            row_id = str(row["id"])
            if since and row_id < since:
                continue
            if most and row_id > most:
                break
            if len(shown) == limit:
                following = row_id
                break
            shown.append(view(row))
        body: dict[str, Any] = {key: shown}
        if following is not None:
            params = {k: v for k, v in request.query.items() if k not in ("since_id", "limit")}
            params.update(limit=str(limit), since_id=following)
            body["paging"] = {"next": f"{request.scheme}://{request.host}{request.path}?{urlencode(params)}"}
        return web.json_response(body)

    # --- writes --------------------------------------------------------------------------------------

    async def comment(self, request: web.Request) -> web.Response:
        record = self._candidate(request)
        body = await _json_body(request)
        member_id = str(body.get("member_id") or "")
        text = (body.get("comment") or {}).get("body") if isinstance(body.get("comment"), dict) else None
        if member_id not in self.state.members or not self.state.members[member_id]["active"]:
            raise WorkableError(422, "member_id must be an active member of the account")
        if not isinstance(text, str) or not text.strip():
            raise WorkableError(422, "comment body is required")
        self.state.comment(record["id"], member_id, text)
        return web.Response(status=201)

    async def update(self, request: web.Request) -> web.Response:
        """`PATCH /candidates/{id}`: the given fields replace the stored ones (arrays whole, as Workable does)."""
        record = self._candidate(request)
        body = await _json_body(request)
        fields = body.get("candidate")
        if not isinstance(fields, dict):
            raise WorkableError(422, "candidate is required")
        allowed = {"firstname", "lastname", "headline", "summary", "address", "phone", "email", "tags",
                   "social_profiles", "cover_letter"}
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise WorkableError(422, f"unknown fields: {', '.join(unknown)}")
        self.state.update_candidate(record["id"], **fields)
        return web.json_response({"candidate": self._detail(request, self.state.candidates[record["id"]])})

    async def create_on_job(self, request: web.Request) -> web.Response:
        job = self._job(request)
        return await self._create(request, job["shortcode"], request.query.get("stage") or "applied")

    async def create_in_pool(self, request: web.Request) -> web.Response:
        return await self._create(request, None, "sourced")

    async def _create(self, request: web.Request, shortcode: str | None, stage: str) -> web.Response:
        body = await _json_body(request)
        fields = body.get("candidate")
        if not isinstance(fields, dict):
            raise WorkableError(422, "candidate is required")
        name = (fields.get("name") or " ".join(p for p in (fields.get("firstname"), fields.get("lastname")) if p))
        email = fields.get("email")
        if not isinstance(name, str) or not name.strip() or not isinstance(email, str) or "@" not in email:
            raise WorkableError(422, "name and email are required")
        if stage not in {s["slug"] for s in self.state.stages}:
            raise WorkableError(422, f"unknown stage {stage}")
        resume = fields.get("resume")
        content: tuple[str, bytes] | None = None
        if isinstance(resume, dict):
            try:
                data = base64.b64decode(str(resume.get("data")), validate=True)
                content = (str(resume.get("name") or "resume"), data)
            except (binascii.Error, ValueError) as exc:
                raise WorkableError(422, "resume.data must be base64") from exc
        profiles = [{"type": p.get("type"), "name": p.get("type"), "username": p.get("username"), "url": p.get("url")}
                    for p in fields.get("social_profiles") or [] if isinstance(p, dict) and p.get("url")]
        record = self.state.add_candidate(
            name.strip(), email=email.strip(), shortcode=shortcode, stage=stage,
            sourced=body.get("sourced") is not False,
            headline=fields.get("headline"), phone=fields.get("phone"), domain=fields.get("domain"),
            tags=[str(t) for t in fields.get("tags") or []], social_profiles=profiles,
            firstname=fields.get("firstname") or name.strip().split(" ")[0])
        if content is not None:
            self.state.resumes[record["id"]] = content
        return web.json_response({"status": "created", "candidate": self._detail(request, record)}, status=201)

    # --- webhooks ------------------------------------------------------------------------------------

    async def list_subscriptions(self, request: web.Request) -> web.Response:
        return web.json_response({"subscriptions": [_subscription_view(s) for s in self.subscriptions.values()]})

    async def subscribe(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        target, event = body.get("target"), body.get("event")
        if not isinstance(target, str) or not target.startswith(("http://", "https://")) or not isinstance(event, str):
            raise WorkableError(422, "target and event are required")
        token = request.headers.get("Authorization", "").partition(" ")[2]
        args = body.get("args") if isinstance(body.get("args"), dict) else {}
        return web.json_response({"id": self.add_subscription(target, event, token=token.strip(), args=args)},
                                  status=201)

    async def unsubscribe(self, request: web.Request) -> web.Response:
        try:
            self.subscriptions.pop(int(request.match_info["id"]))
        except (KeyError, ValueError) as exc:
            raise WorkableError(404, "Not found") from exc
        return web.Response(status=204)

    def add_subscription(self, target: str, event: str, *, token: str, args: dict[str, Any] | None = None) -> int:
        """Register a webhook (as `POST /subscriptions` does); deliveries are signed with `token`."""
        if any(s["target"] == target for s in self.subscriptions.values()):
            raise WorkableError(409, "Conflict: target already registered")
        number = max(self.subscriptions, default=0) + 1
        args = args or {}
        self.subscriptions[number] = {"id": number, "event": event, "target": target, "token": token,
                                      "job_shortcode": args.get("job_shortcode") or "",
                                      "stage_slug": args.get("stage_slug") or "", "created_at": stamp(self.state.now())}
        return number

    async def emit(self, event: str, candidate_id: str, *, record: dict[str, Any] | None = None) -> list[int | None]:
        """Deliver `event` about a candidate to every matching subscription; returns the final statuses.
        A deleted record's delivery carries what the caller passes (or just its id)."""
        current = record or self.state.candidates.get(candidate_id) or {"id": candidate_id}
        data = self._detail(None, current) if candidate_id in self.state.candidates else dict(current)
        statuses = []
        async with self.sender.session() as session:
            for sub in list(self.subscriptions.values()):
                if sub["event"] != event or (sub["job_shortcode"] and
                                             (current.get("job") or {}).get("shortcode") != sub["job_shortcode"]):
                    continue
                payload = {"id": uuid.uuid4().hex, "resource_type": "candidate", "event_type": event,
                           "fired_at": stamp(self.state.now()), "data": data}
                raw = json.dumps(payload).encode()
                headers = {"Content-Type": "application/json", SIGNATURE_HEADER: hmac_sha256_hex(sub["token"], raw)}

                def seen(attempt: int, status: int | None, why: str | None, url: str = sub["target"],
                         body: bytes = raw, sent: dict[str, str] = headers) -> None:
                    self.deliveries.append(Delivery(url, body, dict(sent), status))
                statuses.append(await self.sender.send(sub["target"], raw, headers, session=session, on_attempt=seen))
        return statuses

    # --- lookups -------------------------------------------------------------------------------------

    def _job(self, request: web.Request) -> dict[str, Any]:
        job = self.state.jobs.get(request.match_info["shortcode"])
        if job is None:
            raise WorkableError(404, "Not found")
        return job

    def _candidate(self, request: web.Request) -> dict[str, Any]:
        record = self.state.candidates.get(request.match_info["id"])
        if record is None:
            raise WorkableError(404, "Not found")
        return record

    def _detail(self, request: web.Request | None, record: dict[str, Any]) -> dict[str, Any]:
        """The detail form; `resume_url` points at a download this fake does not serve (Workable's own
        storage), so nothing should store it."""
        view = dict(record)
        if record["id"] in self.state.resumes:
            view["resume_url"] = (f"https://workable-files.example/{self.state.subdomain}/{record['id']}/"
                                  f"{self.state.resumes[record['id']][0]}?expires=300")
        return view


def error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def _limit(raw: str | None) -> int:
    try:
        value = int(raw) if raw else DEFAULT_LIMIT
    except ValueError as exc:
        raise WorkableError(400, "limit must be a number") from exc
    return max(1, min(value, MAX_LIMIT))


def _moment(raw: str | None, name: str) -> datetime | None:
    """ISO 8601 (extended or basic) or Unix seconds, as the reference allows."""
    if not raw:
        return None
    text = raw.strip()
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise WorkableError(400, f"{name} must be an ISO 8601 time or Unix seconds") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise WorkableError(400, "Body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise WorkableError(400, "Body must be a JSON object")
    return body


def _job_view(job: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in job.items() if key != "number"}


def _member_view(member: dict[str, Any]) -> dict[str, Any]:
    return dict(member)


def _subscription_view(sub: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in sub.items() if key != "token"}


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m adapters.sandbox.workable",
                                     description="Serve a fake Workable SPI v3 with generated data on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--candidates", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate-limit", type=int, default=ACCOUNT_RATE,
                        help=f"requests per {WINDOW_SECONDS:.0f}-second window (Workable: 10 for account tokens, "
                             "50 for OAuth)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.candidates < 0 or args.rate_limit < 1:
        parser.error("--candidates must be zero or more and --rate-limit at least 1")
    fake = WorkableSandbox(generate(seed=args.seed, candidates=args.candidates), rate_limit=args.rate_limit,
                           max_recorded=1000)
    serve_in_foreground(_serve(fake, args.host, args.port))


async def _serve(fake: WorkableSandbox, host: str, port: int) -> None:
    runner, url = await fake.start(host=host, port=port)
    print(f"{url}  {fake.title} sandbox  {fake.connection_help(url)}  (Ctrl+C to stop)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    main()
