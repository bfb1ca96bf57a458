"""A faithful fake of Recruitee's company API, so the Recruitee adapter is proven over real HTTP first.

It follows shared/reference/ats/recruitee.md: `Authorization: Bearer <personal API token>`; every path
under `/c/{company_id}` (an unknown id answers 422 "Company id is invalid", another company's 403);
lists wrapped by their plural key with a `references[]` sidecar (`Offer`, `Stage`, `Admin`) and
`generated_at`, single records by their singular key; `limit` + `offset` paging (the next offset is the
offset plus the rows returned; `/candidates` allows up to 1000, 100 by default); ISO 8601 UTC times with
microseconds; error bodies `{"errors": [{"message", "code"}]}`; placements carrying stage, hire and
disqualification; webhooks signed with the hex HMAC-SHA256 of the body in `X-Recruitee-Signature`, and
the unsigned `{"test": true}` handshake.

Choices where the reference is silent or unconfirmed, written down so they can be revisited:
- Rate limit: Recruitee documents none, so the fake meters each token with a token bucket (5 requests/s,
  bursts of 10 by default) and answers 429 with `Retry-After`; it sends no rate-limit headers.
- `/search/new/candidates` takes `filters` as a JSON list of `{"field": "updated_at", "gte": <unix s>}`
  (also `gt`, `lte`, `lt`) and answers `{"hits": [...], "total": N}`, newest update first; hits are
  summaries (id, name, emails, times, `adminapp_url`), without placements.
- `/search/new/quick` is fuzzy as the reference warns: any word of the query found in a name or an email
  is a hit; `candidates.hits[]` carry `emails` only with `with_emails=true`.
- `POST /candidates` downloads `remote_cv_url` before answering (Recruitee does it in the background);
  a link that cannot be fetched leaves the candidate without a CV (`cv_processing_status: "failed"`).
- `PATCH /candidates/{id}/update_cv` takes multipart `candidate[cv]`.
- `cv_url` / `cv_original_url` point at this fake's own `/files/...` route.
- Interview events are not served: the reference documents no way to move, cancel or list them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

import aiohttp
from aiohttp import web

from adapters.sandbox.chaos import Chaos as BaseChaos
from adapters.sandbox.chaos import Fault
from adapters.sandbox.documents import minimal_pdf
from adapters.sandbox.fake import FakeAts, FakeOptions, Handler
from adapters.sandbox.ratelimit import TokenBucket
from adapters.sandbox.recorder import RecordedRequest
from adapters.sandbox.recruitee_dataset import RecruiteeState, generate, iso
from adapters.sandbox.server import serve_in_foreground
from adapters.sandbox.webhooks import SignatureScheme, WebhookSender

SANDBOX_TOKEN = "sandbox-recruitee-token"
APP_URL = "https://app.recruitee.com"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
SEARCH_DEFAULT_LIMIT = 60
SIGNATURE = SignatureScheme("X-Recruitee-Signature")
OFFER_SCOPES = frozenset({"active", "archived", "not_archived", "draft", "closed", "all"})
FILTER_OPS = {"gte": float.__ge__, "gt": float.__gt__, "lte": float.__le__, "lt": float.__lt__}


class RecruiteeApiError(Exception):
    """Raised inside handlers; answered with Recruitee's `{"errors": [...]}` body."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def error_response(status: int, message: str, code: str | None = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    item = {"message": message, **({"code": code} if code else {})}
    return web.json_response({"errors": [item]}, status=status, headers=headers)


class Chaos(BaseChaos):
    """Faults for the Recruitee fake, aimed at paths under the company root (`/candidates`), matched exactly."""

    def __init__(self, random_rate: float = 0.0, *, seed: int | None = None, timeout_seconds: float = 30.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        super().__init__(random_rate, seed=seed, timeout_seconds=timeout_seconds, sleep=sleep,
                         matcher=_path_matches)


def _path_matches(pattern: str | None, path: str) -> bool:
    if pattern is None:
        return path.startswith("/c/")
    return pattern in (path, company_path(path))


def company_path(path: str) -> str:
    """`/c/89564/candidates/5` -> `/candidates/5`."""
    parts = path.split("/", 3)
    return "/" + parts[3] if len(parts) > 3 and parts[1] == "c" else path


@dataclass
class Delivery:
    """One webhook attempt the fake made."""

    url: str
    event: str
    body: bytes
    headers: dict[str, str]
    attempt: int
    status: int | None


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str


class RecruiteeSandbox(FakeAts):
    """The fake Recruitee company API: `.app` to serve, `.state` to change, `.requests` to assert on."""

    provider = "recruitee"
    title = "Recruitee (company API)"
    record_type = RecordedRequest

    def __init__(self, state: RecruiteeState, *, token: str = SANDBOX_TOKEN, rate_limit: float = 5.0,
                 burst: int = 10, clock: Callable[[], float] = time.time, chaos: Chaos | None = None,
                 max_recorded: int | None = None, webhook_sender: WebhookSender | None = None) -> None:
        super().__init__(clock=clock, chaos=chaos or Chaos(), max_recorded=max_recorded)
        self.state = state
        self.token = token
        self.rate_limit = rate_limit
        self.burst = burst
        self.bucket = TokenBucket(rate_limit, burst)
        self.rate_limited = 0  # requests the bucket refused (not chaos)
        self.webhooks: list[Webhook] = []
        self.deliveries: list[Delivery] = []
        self.sender = webhook_sender or WebhookSender(retry_delays=(), timeout=10.0)
        state.clock = clock
        self.app = self.build_app()

    # --- kit hooks ---------------------------------------------------------------------------------------

    @classmethod
    def build(cls, options: FakeOptions) -> Self:
        state = generate(seed=options.seed, candidates=options.candidates, now=options.now,
                         shared_people=options.shared_people)
        return cls(state, chaos=Chaos(options.chaos, seed=options.seed), max_recorded=1000)

    @property
    def api_prefix(self) -> str:
        return f"/c/{self.state.company_id}"

    def connect_values(self, url: str) -> dict[str, str]:
        return {"company_id": str(self.state.company_id), "token": self.token,
                "base_url": f"{url}{self.api_prefix}"}

    def connection_help(self, url: str) -> str:
        return (f"connect: hirebot connect recruitee --company-id {self.state.company_id} --token {self.token} "
                f"--base-url {url}{self.api_prefix}")

    def add_routes(self, app: web.Application) -> None:
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/admin", self.get_admin), ("GET", "/admins", self.list_admins),
            ("GET", "/offers", self.list_offers), ("GET", "/offers/{offer}", self.get_offer),
            ("GET", "/offers/{offer}/placements", self.offer_placements),
            ("GET", "/candidates", self.list_candidates), ("POST", "/candidates", self.create_candidate),
            ("GET", "/candidates/{candidate}", self.get_candidate),
            ("PATCH", "/candidates/{candidate}", self.update_candidate),
            ("PATCH", "/candidates/{candidate}/update_cv", self.update_cv),
            ("GET", "/candidates/{candidate}/notes", self.list_notes),
            ("POST", "/candidates/{candidate}/notes", self.create_note),
            ("GET", "/search/new/candidates", self.search_candidates),
            ("GET", "/search/new/quick", self.quick_search),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, "/c/{company}" + path, handler)
        app.router.add_get("/files/{candidate}/{name}", self.download_cv)

    def fault_response(self, fault: Fault) -> web.Response:
        headers = {"Retry-After": str(math.ceil(fault.retry_after if fault.retry_after is not None else 1))} \
            if fault.status == 429 or fault.retry_after is not None else None
        if fault.body is not None:
            return web.Response(body=fault.body, status=fault.status, headers=headers,
                                content_type="application/json")
        message = "Too Many Requests" if fault.status == 429 else "Something went wrong"
        return error_response(fault.status, message, headers=headers)

    async def respond(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Faults first, then Recruitee's own order: the token, the company, the rate limit, the route."""
        if not request.path.startswith("/c/"):
            return await handler(request)
        return await self.with_faults(request.path, lambda: self._answer(request, handler))

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self.token.encode()):
            return error_response(401, "Unauthorized: invalid or revoked personal API token", "unauthorized")
        company = request.match_info.get("company", "")
        if not company.isdigit():
            return error_response(422, "Company id is invalid", "invalid_company")
        if int(company) != self.state.company_id:
            return error_response(403, "You don't have access to this company", "forbidden")
        wait = self.bucket.take(self.clock())
        if wait > 0:
            self.rate_limited += 1
            return error_response(429, "Too Many Requests", "rate_limited",
                                  {"Retry-After": str(max(1, math.ceil(wait)))})
        try:
            return await handler(request)
        except RecruiteeApiError as exc:
            return error_response(exc.status, exc.message, exc.code)

    # --- rendering -----------------------------------------------------------------------------------------

    def _candidate_link(self, candidate_id: int) -> str:
        return f"{APP_URL}/#/dashboard/overview?candidate={candidate_id}&company={self.state.company_id}"

    def _file_url(self, request: web.Request, candidate_id: int, name: str) -> str:
        return f"{request.scheme}://{request.host}/files/{candidate_id}/{name}"

    def render_candidate(self, request: web.Request, row: dict[str, Any]) -> dict[str, Any]:
        cv = self.state.cvs.get(row["id"])
        cv_url = self._file_url(request, row["id"], cv[0]) if cv else None
        return {**{k: v for k, v in row.items() if k not in ("placements", "created_at", "updated_at",
                                                             "last_activity_at")},
                "adminapp_url": self._candidate_link(row["id"]), "cv_url": cv_url, "cv_original_url": cv_url,
                "cv_processing_status": row.get("cv_processing_status", "ok"),
                "notes_count": len(self.state.notes.get(row["id"], [])), "custom_fields": [], "fields": [],
                "placements": [self.render_placement(p) for p in row["placements"]],
                "created_at": iso(row["created_at"]), "updated_at": iso(row["updated_at"]),
                "last_activity_at": iso(row["last_activity_at"])}

    @staticmethod
    def render_placement(placement: dict[str, Any]) -> dict[str, Any]:
        return {**placement, **{key: iso(placement[key]) for key in ("hired_at", "disqualified_at", "created_at",
                                                                     "updated_at")},
                "hired_in_this_placement": placement["hired_at"] is not None}

    def render_offer(self, offer: dict[str, Any]) -> dict[str, Any]:
        count = sum(1 for c in self.state.candidates.values() for p in c["placements"] if p["offer_id"] == offer["id"])
        return {**offer, **{key: iso(offer[key]) for key in ("created_at", "updated_at", "published_at",
                                                             "closed_at")},
                "adminapp_url": f"{APP_URL}/#/offers/{offer['slug']}",
                "careers_url": f"https://example-corp.recruitee.com/o/{offer['slug']}",
                "candidates_count": count, "pipeline_template": None}

    def references(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The Offer, Stage and Admin objects the candidates' placements and owners point at."""
        offers: dict[int, None] = {}
        stages: dict[int, None] = {}
        admins: dict[int, None] = {}
        for row in rows:
            admins.setdefault(row["admin_id"])
            for placement in row["placements"]:
                offers.setdefault(placement["offer_id"])
                stages.setdefault(placement["stage_id"])
        refs: list[dict[str, Any]] = []
        for offer_id in offers:
            offer = self.state.offers[offer_id]
            refs.append({"type": "Offer", **{k: offer[k] for k in ("id", "title", "slug", "status", "kind")}})
        for stage_id in stages:
            stage = self.state.stages[stage_id]
            refs.append({"type": "Stage", **{k: stage[k] for k in ("id", "name", "category", "position", "locked")}})
        for admin_id in admins:
            admin = self.state.admins.get(admin_id)
            if admin:
                refs.append({"type": "Admin", **{k: admin[k] for k in ("id", "email", "first_name", "last_name")}})
        return refs

    def _list(self, key: str, rows: list[dict[str, Any]], references: list[dict[str, Any]] | None = None
              ) -> web.Response:
        return web.json_response({key: rows, "references": references or [], "generated_at": iso(self.clock())})

    # --- admins and offers -----------------------------------------------------------------------------------

    async def get_admin(self, request: web.Request) -> web.Response:
        return web.json_response({"admin": self.state.owner(), "references": []})

    async def list_admins(self, request: web.Request) -> web.Response:
        return self._list("admins", list(self.state.admins.values()))

    async def list_offers(self, request: web.Request) -> web.Response:
        scope = request.query.get("scope", "not_archived")
        if scope not in OFFER_SCOPES:
            raise RecruiteeApiError(422, f"Scope is invalid: {scope}", "invalid_scope")
        limit, offset = _paging(request, DEFAULT_LIMIT)

        def wanted(offer: dict[str, Any]) -> bool:
            archived = offer["status"] == "archived"
            return (scope == "all" or (scope == "archived" and archived) or (scope == "not_archived" and not archived)
                    or (scope == "active" and offer["status"] in ("published", "internal"))
                    or offer["status"] == scope)

        offers = [self.render_offer(o) for o in sorted(self.state.offers.values(), key=lambda o: -o["id"]) if wanted(o)]
        return self._list("offers", offers[offset:offset + limit])

    def _offer(self, request: web.Request) -> dict[str, Any]:
        offer = self.state.offers.get(_int(request.match_info["offer"]))
        if offer is None:
            raise RecruiteeApiError(404, "Offer not found", "not_found")
        return offer

    async def get_offer(self, request: web.Request) -> web.Response:
        return web.json_response({"offer": {**self.render_offer(self._offer(request)), "description": "<p>…</p>"},
                                  "references": []})

    async def offer_placements(self, request: web.Request) -> web.Response:
        offer = self._offer(request)
        stages = []
        for stage in self.state.pipeline(offer["id"]):
            placed = [self.render_placement(p) for c in self.state.candidates.values() for p in c["placements"]
                      if p["stage_id"] == stage["id"]]
            stages.append({**{k: stage[k] for k in ("id", "name", "category", "position")}, "group": None,
                           "placements_count": len(placed), "placements": placed})
        return web.json_response({"stages": stages, "references": []})

    # --- candidates --------------------------------------------------------------------------------------------

    def _candidate(self, request: web.Request) -> dict[str, Any]:
        row = self.state.candidates.get(_int(request.match_info["candidate"]))
        if row is None:
            raise RecruiteeApiError(404, "Candidate not found", "not_found")
        return row

    async def list_candidates(self, request: web.Request) -> web.Response:
        limit, offset = _paging(request, DEFAULT_LIMIT)
        rows = sorted(self.state.candidates.values(), key=lambda c: (c["created_at"], c["id"]), reverse=True)
        if request.query.get("ids"):
            wanted = {_int(part) for part in request.query["ids"].split(",") if part.strip()}
            rows = [row for row in rows if row["id"] in wanted]
        if request.query.get("offer_id"):
            offer_id = _int(request.query["offer_id"])
            rows = [row for row in rows if any(p["offer_id"] == offer_id for p in row["placements"])]
        if request.query.get("created_after"):
            after = _time(request.query["created_after"])
            rows = [row for row in rows if row["created_at"] > after]
        page = rows[offset:offset + limit]
        return self._list("candidates", [self.render_candidate(request, row) for row in page], self.references(page))

    async def get_candidate(self, request: web.Request) -> web.Response:
        row = self._candidate(request)
        return web.json_response({"candidate": self.render_candidate(request, row),
                                  "references": self.references([row])})

    async def create_candidate(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        fields = body.get("candidate")
        if not isinstance(fields, dict) or not str(fields.get("name") or "").strip():
            raise RecruiteeApiError(422, "Name can't be blank", "blank")
        offers = body.get("offers") or []
        if not isinstance(offers, list) or any(_int(o) not in self.state.offers for o in offers):
            raise RecruiteeApiError(422, "Offers are invalid", "invalid")
        row = self.state.add_candidate(
            str(fields["name"]).strip(), emails=_strings(fields.get("emails")), phones=_strings(fields.get("phones")),
            social_links=_strings(fields.get("social_links")), links=_strings(fields.get("links")),
            tags=_strings(fields.get("tags")), sources=_strings(fields.get("sources")), source="manual",
            offer_ids=[_int(o) for o in offers])
        row["cover_letter"] = fields.get("cover_letter")
        remote = fields.get("remote_cv_url")
        if isinstance(remote, str) and remote:
            content = await _download(remote)
            if content is None:
                row["cv_processing_status"] = "failed"
            else:
                self.state.set_cv(row["id"], remote.split("?")[0].rsplit("/", 1)[-1] or "cv.pdf", content)
        return web.json_response({"candidate": self.render_candidate(request, row),
                                  "references": self.references([row])}, status=201)

    async def update_candidate(self, request: web.Request) -> web.Response:
        """`PATCH /candidates/{id}`: the given fields replace the stored ones (arrays too, as documented)."""
        row = self._candidate(request)
        fields = (await _json_body(request)).get("candidate")
        if not isinstance(fields, dict):
            raise RecruiteeApiError(422, "Candidate can't be blank", "blank")
        if "name" in fields and not str(fields["name"] or "").strip():
            raise RecruiteeApiError(422, "Name can't be blank", "blank")
        for key in ("emails", "phones", "social_links", "links", "tags", "sources"):
            if key in fields:
                row[key] = _strings(fields[key])
        if "name" in fields:
            row["name"] = str(fields["name"]).strip()
        self.state.touch(row["id"])
        return web.json_response({"candidate": self.render_candidate(request, row),
                                  "references": self.references([row])})

    async def update_cv(self, request: web.Request) -> web.Response:
        row = self._candidate(request)
        if request.content_type != "multipart/form-data":
            raise RecruiteeApiError(422, "Cv can't be blank", "blank")
        reader = await request.multipart()
        found: tuple[str, bytes] | None = None
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader):
                continue
            if part.name != "candidate[cv]":
                raise RecruiteeApiError(500, "Internal Server Error")  # as Recruitee does for odd field names
            found = (part.filename or "cv", bytes(await part.read()))
        if found is None:
            raise RecruiteeApiError(422, "Cv can't be blank", "blank")
        self.state.set_cv(row["id"], *found)
        return web.json_response({"candidate": self.render_candidate(request, row), "references": []})

    async def download_cv(self, request: web.Request) -> web.Response:
        candidate_id = _int(request.match_info["candidate"])
        cv = self.state.cvs.get(candidate_id)
        if cv is None:
            raise web.HTTPNotFound()
        name, content = cv
        if not content:
            row = self.state.candidates[candidate_id]
            content = minimal_pdf(f"{row['name']} - CV", row["emails"])
        return web.Response(body=content, content_type="application/pdf",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})

    # --- notes -------------------------------------------------------------------------------------------------

    async def list_notes(self, request: web.Request) -> web.Response:
        row = self._candidate(request)
        notes = [{**note, "created_at": iso(note["created_at"])}
                 for note in reversed(self.state.notes.get(row["id"], []))]
        return self._list("notes", notes)

    async def create_note(self, request: web.Request) -> web.Response:
        row = self._candidate(request)
        body = await _json_body(request)
        note = body.get("note")
        text = note.get("body") if isinstance(note, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise RecruiteeApiError(422, "Body can't be blank", "blank")
        made = self.state.add_note(row["id"], text)
        return web.json_response({"note": {**made, "created_at": iso(made["created_at"])}, "references": []},
                                 status=201)

    # --- search ------------------------------------------------------------------------------------------------

    async def search_candidates(self, request: web.Request) -> web.Response:
        limit, offset = _paging(request, SEARCH_DEFAULT_LIMIT)
        rows = list(self.state.candidates.values())
        for item in _filters(request.query.get("filters")):
            field_name = item.get("field")
            if field_name not in ("updated_at", "created_at"):
                raise RecruiteeApiError(422, f"Filter field is invalid: {field_name}", "invalid_filter")
            for op, compare in FILTER_OPS.items():
                if op in item:
                    bound = float(_number(item[op]))
                    rows = [row for row in rows if compare(float(row[field_name]), bound)]
        rows.sort(key=lambda c: (c["updated_at"], c["id"]), reverse=True)
        hits = [{"id": row["id"], "name": row["name"], "emails": row["emails"],
                 "adminapp_url": self._candidate_link(row["id"]), "created_at": iso(row["created_at"]),
                 "updated_at": iso(row["updated_at"])} for row in rows[offset:offset + limit]]
        return web.json_response({"hits": hits, "total": len(rows)})

    async def quick_search(self, request: web.Request) -> web.Response:
        query = request.query.get("query", "").strip().lower()
        words = [w for w in query.replace("@", " ").replace(".", " ").split() if len(w) > 2]
        with_emails = request.query.get("with_emails") == "true"
        hits = []
        for row in sorted(self.state.candidates.values(), key=lambda c: -c["id"]):
            text = " ".join([row["name"].lower(), *(e.lower() for e in row["emails"])])
            if query and (query in text or any(word in text for word in words)):
                hit = {"id": row["id"], "name": row["name"], "adminapp_url": self._candidate_link(row["id"]),
                       "created_at": iso(row["created_at"])}
                if with_emails:
                    hit["emails"] = row["emails"]
                hits.append(hit)
        return web.json_response({"candidates": {"hits": hits[:20], "total": len(hits)}})

    # --- webhooks ----------------------------------------------------------------------------------------------

    def add_webhook(self, url: str, secret: str) -> None:
        self.webhooks.append(Webhook(url, secret))

    def event_body(self, event_type: str, candidate_id: int, subtype: str | None = None) -> dict[str, Any]:
        row = self.state.candidates.get(candidate_id) or {"id": candidate_id, "name": None, "emails": [],
                                                          "placements": []}
        placement = row["placements"][-1] if row["placements"] else None
        payload: dict[str, Any] = {"candidate": {"id": candidate_id, "name": row["name"], "emails": row["emails"]}}
        if placement is not None:
            offer = self.state.offers[placement["offer_id"]]
            stage = self.state.stages[placement["stage_id"]]
            payload["offer"] = {"id": offer["id"], "title": offer["title"]}
            payload["placement"] = {"id": placement["id"], "stage_id": stage["id"]}
            payload["details"] = {"to_stage": {k: stage[k] for k in ("id", "name", "category")}}
        return {"event_type": event_type, "event_subtype": subtype, "created_at": iso(self.clock()),
                "attempt_count": 1, "payload": payload}

    async def emit(self, event_type: str, candidate_id: int, subtype: str | None = None) -> list[int | None]:
        """Send a signed event to every webhook; returns each one's final status."""
        body = json.dumps(self.event_body(event_type, candidate_id, subtype)).encode()
        return [await self._deliver(hook.url, event_type, body, {"Content-Type": "application/json",
                                                                  "User-Agent": "Recruitee-Webhooks",
                                                                  **SIGNATURE.headers(hook.secret, body)})
                for hook in self.webhooks]

    async def send_test(self, url: str) -> int | None:
        """The setup dialog's handshake: unsigned `{"test": true}`, which must get a 200."""
        return await self._deliver(url, "test", b'{"test": true}', {"Content-Type": "application/json",
                                                                    "User-Agent": "Recruitee-Webhooks"})

    async def _deliver(self, url: str, event: str, body: bytes, headers: dict[str, str]) -> int | None:
        def remember(attempt: int, status: int | None, error: str | None) -> None:
            self.deliveries.append(Delivery(url, event, body, headers, attempt, status))

        return await self.sender.send(url, body, headers, on_attempt=remember)


# --- request helpers ---------------------------------------------------------------------------------------


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise RecruiteeApiError(404, "Not found", "not_found") from None


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RecruiteeApiError(422, "Filter value is invalid", "invalid_filter")
    try:
        return float(value)
    except ValueError:
        raise RecruiteeApiError(422, "Filter value is invalid", "invalid_filter") from None


def _time(value: str) -> float:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise RecruiteeApiError(422, f"Created after is invalid: {value}", "invalid") from None


def _paging(request: web.Request, default: int) -> tuple[int, int]:
    try:
        limit = int(request.query.get("limit", default))
        offset = int(request.query.get("offset", 0))
    except ValueError:
        raise RecruiteeApiError(422, "Limit and offset must be numbers", "invalid") from None
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise RecruiteeApiError(422, f"Limit must be between 1 and {MAX_LIMIT}", "invalid")
    return limit, offset


def _filters(raw: str | None) -> list[dict[str, Any]]:
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        raise RecruiteeApiError(422, "Filters are invalid", "invalid_filter") from None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise RecruiteeApiError(422, "Filters are invalid", "invalid_filter")
    return value


def _strings(value: Any) -> list[str]:
    return [str(item).strip() for item in value if str(item).strip()] if isinstance(value, list) else []


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise RecruiteeApiError(400, "Body is not valid JSON", "bad_request") from None
    if not isinstance(body, dict):
        raise RecruiteeApiError(400, "Body must be a JSON object", "bad_request")
    return body


async def _download(url: str) -> bytes | None:
    """Fetch a `remote_cv_url` as Recruitee does: a plain GET, no credentials."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session, \
                session.get(url) as response:
            return await response.read() if response.status == 200 else None
    except (aiohttp.ClientError, TimeoutError):
        return None


# --- command line --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """`python -m adapters.sandbox.recruitee`: serve a sandbox Recruitee in the foreground."""
    parser = argparse.ArgumentParser(description="Serve a fake Recruitee company API on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--candidates", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate-limit", type=float, default=5.0, help="steady requests per second per token")
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--chaos", type=float, default=0.0, help="share of requests that fail at random (0-1)")
    parser.add_argument("--token", default=SANDBOX_TOKEN)
    args = parser.parse_args(argv)
    sandbox = RecruiteeSandbox(generate(seed=args.seed, candidates=args.candidates), token=args.token,
                               rate_limit=args.rate_limit, burst=args.burst, chaos=Chaos(args.chaos, seed=args.seed),
                               max_recorded=1000)
    with contextlib.suppress(KeyboardInterrupt):
        serve_in_foreground(_serve(sandbox, args.host, args.port))


async def _serve(sandbox: RecruiteeSandbox, host: str, port: int) -> None:
    await sandbox.serve_until_stopped(host, port, lambda url: (
        f"Recruitee sandbox: {url}{sandbox.api_prefix}  ({len(sandbox.state.candidates)} candidates)\n"
        f"{sandbox.connection_help(url)}\nPress Ctrl+C to stop."))


if __name__ == "__main__":
    main()
