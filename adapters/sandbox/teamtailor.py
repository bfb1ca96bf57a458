"""A fake Teamtailor JSON:API v1 for tests, demos and benchmarks, faithful to
/work/shared/reference/ats/teamtailor.md: `Authorization: Token token=KEY`, a required known `X-Api-Version`
(406 otherwise), keys with a permission level and a scope, 30-per-page paging with absolute `links`,
`include=`, the documented filters, `X-Rate-Limit-*` headers (reset = seconds left) and 429s, JSON:API error
bodies, uploads downloaded from a public URL, and `TT-Signature` (v2) webhooks.

    python -m adapters.sandbox.teamtailor [--port N] [--candidates N] [--seed N] [--rate-limit R]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import json
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from adapters.sandbox.chaos import Chaos as BaseChaos
from adapters.sandbox.chaos import Fault
from adapters.sandbox.fake import Answer, FakeAts, FakeOptions, Handler, truncated
from adapters.sandbox.server import serve_in_foreground
from adapters.sandbox.teamtailor_dataset import TeamtailorState, generate, stamp
from adapters.sandbox.webhooks import WebhookSender
from adapters.teamtailor.webhooks import signature_v2

API_PREFIX = "/v1"
SANDBOX_API_KEY = "sandbox-teamtailor-key"
KNOWN_VERSIONS = frozenset({"20161108", "20201113", "20240404", "20240904"})
MEDIA_TYPE = "application/vnd.api+json"
MAX_PAGE_SIZE = 30
DEFAULT_PAGE_SIZE = 10
ADMIN, INTERNAL, PUBLIC = "admin", "internal", "public"
READ, WRITE, READ_WRITE = "read", "write", "read/write"
# Paths (under /v1) a Public or Internal key may read: career-site data only.
CAREER_SITE = ("/company", "/jobs", "/stages")
WINDOW_SECONDS = 10.0


class TeamtailorApiError(Exception):
    def __init__(self, status: int, detail: str, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.pointer = status, detail, pointer


def error_response(status: int, detail: str, headers: dict[str, str] | None = None,
                   pointer: str | None = None) -> web.Response:
    error: dict[str, Any] = {"status": str(status), "title": _TITLES.get(status, "Error"), "detail": detail}
    if pointer:
        error["source"] = {"pointer": pointer}
    return web.Response(text=json.dumps({"errors": [error]}), status=status, headers=headers,
                        content_type=MEDIA_TYPE)


_TITLES = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 406: "Not Acceptable",
           422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error",
           503: "Service Unavailable"}


def _path_matches(pattern: str | None, path: str) -> bool:
    """Faults match paths with or without `/v1`; a pattern also covers the paths below it."""
    if pattern is None:
        return True
    bare = path[len(API_PREFIX):] if path.startswith(API_PREFIX + "/") else path
    return any(p == pattern or p.startswith(pattern.rstrip("/") + "/") for p in (path, bare))


class Chaos(BaseChaos):
    """Faults for the Teamtailor fake: the kit's, matched against paths with or without `/v1`."""

    def __init__(self, random_rate: float = 0.0, *, seed: int | None = None, timeout_seconds: float = 30.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        super().__init__(random_rate, seed=seed, timeout_seconds=timeout_seconds, sleep=sleep,
                         matcher=_path_matches)


@dataclass
class ApiKey:
    level: str = ADMIN
    scope: str = READ_WRITE


@dataclass
class Webhook:
    url: str
    signature_key: str
    events: frozenset[str]


@dataclass(frozen=True)
class Delivery:
    event: str
    url: str
    body: bytes
    status: int | None


class RateWindow:
    """A fixed window of `limit` requests per `seconds`; Reset counts the seconds left, as Teamtailor's does."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float]) -> None:
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self.start = -math.inf
        self.used = 0

    def hit(self) -> tuple[bool, dict[str, str]]:
        now = self.clock()
        start = math.floor(now / self.seconds) * self.seconds
        if start != self.start:
            self.start, self.used = start, 0
        allowed = self.used < self.limit
        if allowed:
            self.used += 1
        left = max(1, math.ceil(start + self.seconds - now))
        return allowed, {"X-Rate-Limit-Limit": str(self.limit),
                         "X-Rate-Limit-Remaining": str(max(0, self.limit - self.used)),
                         "X-Rate-Limit-Reset": str(left)}


class TeamtailorSandbox(FakeAts):
    """The fake Teamtailor API: `.app` to serve, `.state` to change, `.requests` to assert on."""

    provider = "teamtailor"
    title = "Teamtailor (JSON:API v1)"

    def __init__(self, state: TeamtailorState, *, keys: dict[str, ApiKey] | None = None,
                 rate_limit: float = 5.0, clock: Callable[[], float] = time.time, chaos: Chaos | None = None,
                 max_recorded: int | None = None, download_timeout: float = 10.0) -> None:
        super().__init__(clock=clock, chaos=chaos or Chaos(), max_recorded=max_recorded)
        self.state = state
        state.clock = clock
        self.keys = {SANDBOX_API_KEY: ApiKey()} if keys is None else dict(keys)
        self.window = RateWindow(max(1, round(rate_limit * WINDOW_SECONDS)), WINDOW_SECONDS, clock)
        self.rate_limited = 0
        self.webhooks: list[Webhook] = []
        self.deliveries: list[Delivery] = []
        self.download_timeout = download_timeout
        # Tests of client leniency: answer as a JSON:API server that ignores `include=` would.
        self.ignore_include = False
        self.sender = WebhookSender(timeout=10.0)  # Teamtailor does not retry a failed delivery
        self.app = self.build_app()

    @classmethod
    def build(cls, options: FakeOptions) -> Self:
        return cls(generate(seed=options.seed, candidates=options.candidates, now=options.now,
                            shared_people=options.shared_people),
                   chaos=Chaos(options.chaos, seed=options.seed), max_recorded=1000)

    def connect_values(self, url: str) -> dict[str, str]:
        return {"api_key": next(iter(self.keys)), "base_url": f"{url}{API_PREFIX}"}

    def connection_help(self, url: str) -> str:
        return (f"connect: hirebot connect teamtailor --api-key {next(iter(self.keys))} "
                f"--base-url {url}{API_PREFIX}")

    # -- routes ----------------------------------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/company", self.company),
            ("GET", "/candidates", self.list_candidates), ("POST", "/candidates", self.create_candidate),
            ("GET", "/candidates/{id}", self.one_candidate), ("PATCH", "/candidates/{id}", self.update_candidate),
            ("GET", "/candidates/{id}/job-applications", self.candidate_applications),
            ("GET", "/candidates/{id}/notes", self.candidate_notes),
            ("GET", "/candidates/{id}/uploads", self.candidate_uploads),
            ("GET", "/job-applications", self.list_applications),
            ("POST", "/job-applications", self.create_application),
            ("GET", "/jobs", self.list_jobs), ("GET", "/jobs/{id}", self.one_job),
            ("GET", "/stages", self.list_stages), ("GET", "/users", self.list_users),
            ("GET", "/notes", self.list_notes), ("POST", "/notes", self.create_note),
            ("POST", "/uploads", self.create_upload),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, API_PREFIX + path, handler)
        app.router.add_get("/signed/{kind}/{id}", self.signed_file)

    # -- the pipeline: faults, auth, version, rate limit, permission ---------------------------------------------
    async def respond(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        return await self.with_faults(request.path, lambda: self._answer(request, handler))

    def fault_response(self, fault: Fault) -> web.Response:
        if fault.body is not None:
            return web.Response(body=fault.body, status=fault.status, content_type=MEDIA_TYPE)
        if fault.status == 429:
            wait = str(max(1, math.ceil(fault.retry_after if fault.retry_after is not None else 1)))
            return error_response(429, "Rate limit exceeded.", {"X-Rate-Limit-Limit": str(self.window.limit),
                                                                "X-Rate-Limit-Remaining": "0",
                                                                "X-Rate-Limit-Reset": wait})
        return error_response(fault.status, "Something went wrong on our side.")

    async def malformed_response(self, answer: Answer) -> web.StreamResponse:
        return truncated(await answer())

    def internal_error(self) -> web.Response:
        return error_response(500, "Something went wrong on our side.")

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/signed/"):
            return await handler(request)
        header = request.headers.get("Authorization", "")
        given = header[len("Token token="):].strip() if header.startswith("Token token=") else ""
        key = next((k for name, k in self.keys.items() if given and hmac.compare_digest(given, name)), None)
        if key is None:
            return error_response(401, "Invalid API key or wrong region.")
        if request.headers.get("X-Api-Version", "").strip() not in KNOWN_VERSIONS:
            return error_response(406, "X-Api-Version header is missing or not a valid version.")
        allowed, rate_headers = self.window.hit()
        if not allowed:
            self.rate_limited += 1
            return error_response(429, "Rate limit exceeded.", rate_headers)
        bare = request.path[len(API_PREFIX):]
        try:
            self._check_permission(key, request.method, bare)
            response = await handler(request)
        except TeamtailorApiError as exc:
            response = error_response(exc.status, exc.detail, pointer=exc.pointer)
        response.headers.update(rate_headers)
        response.headers["X-Api-Version"] = request.headers["X-Api-Version"].strip()
        return response

    @staticmethod
    def _check_permission(key: ApiKey, method: str, path: str) -> None:
        if key.level != ADMIN and not any(path == p or path.startswith(p + "/") for p in CAREER_SITE):
            raise TeamtailorApiError(403, f"This API key's permission level ({key.level}) does not give access "
                                          "to this resource.")
        if method == "GET" and key.scope == WRITE:
            raise TeamtailorApiError(403, "This API key can only create records.")
        if method != "GET" and key.scope == READ:
            raise TeamtailorApiError(403, "This API key is read-only.")
        if method == "PATCH" and key.scope == WRITE:
            raise TeamtailorApiError(403, "This API key can create records but not update them.")

    # -- rendering -------------------------------------------------------------------------------------------
    def _base(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}{API_PREFIX}"

    def _candidate(self, request: web.Request, row: dict[str, Any]) -> dict[str, Any]:
        base, cid = self._base(request), row["id"]
        signed = f"{request.scheme}://{request.host}/signed/resume/{cid}?expires={int(self.clock()) + 30}"
        attributes = {
            "first-name": row["first_name"], "last-name": row["last_name"], "email": row["email"],
            "phone": row["phone"], "linkedin-url": row["linkedin_url"], "pitch": row["pitch"],
            "resume": signed if row["resume"] else None, "original-resume": signed if row["resume"] else None,
            "sourced": row["sourced"], "referred": False, "connected": False, "internal": False,
            "referring-site": None, "tags": list(row["tags"]), "unsubscribed": False,
            "created-at": stamp(row["created_at"]), "updated-at": stamp(row["updated_at"]),
        }
        applications = [{"type": "job-applications", "id": a["id"]} for a in self.state.applications_of(cid)]
        return {"id": cid, "type": "candidates", "links": {"self": f"{base}/candidates/{cid}"},
                "attributes": attributes,
                "relationships": {
                    "job-applications": {"links": {"related": f"{base}/candidates/{cid}/job-applications"},
                                         "data": applications},
                    "uploads": {"links": {"related": f"{base}/candidates/{cid}/uploads"}},
                    "notes": {"links": {"related": f"{base}/candidates/{cid}/notes"}}}}

    def _application(self, request: web.Request, row: dict[str, Any]) -> dict[str, Any]:
        base = self._base(request)
        return {"id": row["id"], "type": "job-applications", "links": {"self": f"{base}/job-applications/{row['id']}"},
                "attributes": {"cover-letter": row["cover_letter"], "created-at": stamp(row["created_at"]),
                               "updated-at": stamp(row["updated_at"]),
                               "changed-stage-at": stamp(row["changed_stage_at"]),
                               "rejected-at": stamp(row["rejected_at"]) if row["rejected_at"] else None,
                               "sourced": row["sourced"], "referring-site": None},
                "relationships": {"candidate": _one("candidates", row["candidate_id"]),
                                  "job": _one("jobs", row["job_id"]), "stage": _one("stages", row["stage_id"])}}

    def _job(self, request: web.Request, row: dict[str, Any]) -> dict[str, Any]:
        return {"id": row["id"], "type": "jobs",
                "links": {"careersite-job-url": f"https://example-corp.teamtailor.com/jobs/{row['id']}"},
                "attributes": {"title": row["title"], "body": row["body"], "pitch": row["pitch"],
                               "status": row["status"], "human-status": row["status"].title(),
                               "internal": row["internal"], "remote-status": "none", "tags": row["tags"],
                               "created-at": stamp(row["created_at"]), "updated-at": stamp(row["updated_at"])},
                "relationships": {"user": _one("users", row["user_id"]),
                                  "stages": {"links": {"related": f"{self._base(request)}/jobs/{row['id']}/stages"}}}}

    @staticmethod
    def _stage(row: dict[str, Any]) -> dict[str, Any]:
        return {"id": row["id"], "type": "stages",
                "attributes": {"name": row["name"], "stage-type": row["stage_type"], "row-order": row["row_order"]},
                "relationships": {"job": _one("jobs", row["job_id"])}}

    @staticmethod
    def _user(row: dict[str, Any]) -> dict[str, Any]:
        return {"id": row["id"], "type": "users",
                "attributes": {"name": row["name"], "email": row["email"], "login-email": row["login_email"],
                               "role": row["role"], "title": row["title"], "external-id": row["external_id"]}}

    @staticmethod
    def _note(row: dict[str, Any]) -> dict[str, Any]:
        return {"id": row["id"], "type": "notes",
                "attributes": {"note": row["note"], "user-id": int(row["user_id"]),
                               "candidate-id": int(row["candidate_id"]), "private-note": False,
                               "created-at": stamp(row["created_at"])},
                "relationships": {"candidate": _one("candidates", row["candidate_id"]),
                                  "user": _one("users", row["user_id"])}}

    def _upload(self, request: web.Request, row: dict[str, Any]) -> dict[str, Any]:
        signed = f"{request.scheme}://{request.host}/signed/upload/{row['id']}?expires={int(self.clock()) + 60}"
        return {"id": row["id"], "type": "uploads",
                "attributes": {"url": signed, "file-name": row["file_name"], "internal": False},
                "relationships": {"candidate": _one("candidates", row["candidate_id"])}}

    def _included(self, request: web.Request, wanted: set[str], applications: Iterable[dict[str, Any]]
                  ) -> list[dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for app in applications:
            if "job-applications" in wanted:
                found[("job-applications", app["id"])] = self._application(request, app)
            if "candidate" in wanted and app["candidate_id"] in self.state.candidates:
                found[("candidates", app["candidate_id"])] = self._candidate(
                    request, self.state.candidates[app["candidate_id"]])
            if "job" in wanted and app["job_id"] in self.state.jobs:
                found[("jobs", app["job_id"])] = self._job(request, self.state.jobs[app["job_id"]])
            if ("stage" in wanted or "job-applications.stage" in wanted) and app["stage_id"] in self.state.stages:
                found[("stages", app["stage_id"])] = self._stage(self.state.stages[app["stage_id"]])
        return list(found.values())

    # -- reads -----------------------------------------------------------------------------------------------
    async def company(self, request: web.Request) -> web.Response:
        return _document({"id": self.state.company_id, "type": "companies",
                          "attributes": {"name": self.state.company_name, "locale": "en",
                                         "website": "https://example-corp.com"}})

    async def list_candidates(self, request: web.Request) -> web.Response:
        rows = list(self.state.candidates.values())  # ids only grow, so this is id order
        rows = _time_filtered(rows, request, ("updated-at", "updated_at"), ("created-at", "created_at"))
        email = request.query.get("filter[email]")
        if email is not None:
            rows = [c for c in rows if (c["email"] or "").lower() == email.strip().lower()]
        return self._page(request, rows, lambda row: self._candidate(request, row),
                          lambda page: [a for c in page for a in self.state.applications_of(c["id"])])

    async def one_candidate(self, request: web.Request) -> web.Response:
        row = self._found(self.state.candidates, request.match_info["id"], "candidate")
        wanted = set() if self.ignore_include else _includes(request)
        included = self._included(request, wanted, self.state.applications_of(row["id"]))
        if "uploads" in wanted:
            included += [self._upload(request, u) for u in self.state.uploads.values()
                         if u["candidate_id"] == row["id"]]
        return _document(self._candidate(request, row), included)

    async def candidate_applications(self, request: web.Request) -> web.Response:
        row = self._found(self.state.candidates, request.match_info["id"], "candidate")
        rows = self.state.applications_of(row["id"])
        return self._page(request, rows, lambda app: self._application(request, app), lambda page: page)

    async def candidate_notes(self, request: web.Request) -> web.Response:
        row = self._found(self.state.candidates, request.match_info["id"], "candidate")
        rows = [n for n in self.state.notes.values() if n["candidate_id"] == row["id"]]
        return self._page(request, rows, self._note, lambda page: [])

    async def candidate_uploads(self, request: web.Request) -> web.Response:
        row = self._found(self.state.candidates, request.match_info["id"], "candidate")
        rows = [u for u in self.state.uploads.values() if u["candidate_id"] == row["id"]]
        return self._page(request, rows, lambda u: self._upload(request, u), lambda page: [])

    async def list_applications(self, request: web.Request) -> web.Response:
        rows = sorted(self.state.applications.values(), key=lambda a: int(a["id"]))
        rows = _time_filtered(rows, request, ("updated-at", "updated_at"), ("created-at", "created_at"),
                              ("changed-stage-at", "changed_stage_at"))
        kind = request.query.get("filter[stage-type]")
        if kind:
            rows = [a for a in rows if self.state.stages[a["stage_id"]]["stage_type"].lower() == kind.lower()]
        return self._page(request, rows, lambda app: self._application(request, app), lambda page: page)

    async def list_jobs(self, request: web.Request) -> web.Response:
        status = request.query.get("filter[status]", "published")
        rows = [j for j in self.state.jobs.values() if status == "all" or j["status"] == status]
        return self._page(request, rows, lambda job: self._job(request, job), lambda page: [])

    async def one_job(self, request: web.Request) -> web.Response:
        row = self._found(self.state.jobs, request.match_info["id"], "job")
        included = [self._stage(s) for s in self.state.job_stages(row["id"])] if "stages" in _includes(request) \
            else []
        return _document(self._job(request, row), included)

    async def list_stages(self, request: web.Request) -> web.Response:
        rows = sorted(self.state.stages.values(), key=lambda s: int(s["id"]))
        return self._page(request, rows, self._stage, lambda page: [])

    async def list_users(self, request: web.Request) -> web.Response:
        rows = list(self.state.users.values())
        email = request.query.get("filter[email]")
        if email is not None:
            rows = [u for u in rows if email.strip().lower() in (u["email"].lower(), u["login_email"].lower())]
        return self._page(request, rows, self._user, lambda page: [])

    async def list_notes(self, request: web.Request) -> web.Response:
        rows = sorted(self.state.notes.values(), key=lambda n: int(n["id"]),
                      reverse=request.query.get("sort") == "-created-at")
        return self._page(request, rows, self._note, lambda page: [])

    async def signed_file(self, request: web.Request) -> web.Response:
        """Signed resume/upload links, valid 30 s (resumes) or 60 s (uploads) after they were handed out."""
        expires = request.query.get("expires", "")
        if not expires.isdigit() or int(expires) < self.clock():
            return web.Response(status=403, text="Request has expired")
        kind, item_id = request.match_info["kind"], request.match_info["id"]
        if kind == "upload" and item_id in self.state.uploads:
            return web.Response(body=self.state.uploads[item_id]["content"], content_type="application/octet-stream")
        if kind == "resume" and item_id in self.state.candidates:
            return web.Response(body=b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        return web.Response(status=404, text="Not found")

    # -- writes ----------------------------------------------------------------------------------------------
    async def create_candidate(self, request: web.Request) -> web.Response:
        attributes, _ = await _body(request, "candidates")
        email = _text(attributes.get("email"))
        sourced = attributes.get("sourced") is True
        if email is None and not sourced:
            raise TeamtailorApiError(422, "Email can't be blank", "/data/attributes/email")
        existing = self.state.candidates_with_email(email) if email else []
        tags = [t for t in attributes.get("tags") or [] if isinstance(t, str)]
        if existing and attributes.get("merge") is True:
            row = existing[0]
            changes: dict[str, Any] = {k: v for k, v in (("first_name", _text(attributes.get("first-name"))),
                                         ("last_name", _text(attributes.get("last-name"))),
                                         ("phone", _text(attributes.get("phone"))),
                                         ("linkedin_url", _text(attributes.get("linkedin-url")))) if v}
            self.state.update_candidate(row["id"], tags=list(dict.fromkeys([*row["tags"], *tags])), **changes)
            return _document(self._candidate(request, row), status=201)
        if existing and not sourced:
            raise TeamtailorApiError(422, "Email has already been taken", "/data/attributes/email")
        row = self.state.add_candidate(_text(attributes.get("first-name")) or "", _text(attributes.get("last-name"))
                                       or "", email=email, tags=tags, linkedin=_text(attributes.get("linkedin-url")),
                                       phone=_text(attributes.get("phone")), resume=False, sourced=sourced)
        row["pitch"] = _text(attributes.get("pitch"))
        return _document(self._candidate(request, row), status=201)

    async def update_candidate(self, request: web.Request) -> web.Response:
        """PATCH: attributes given replace the stored ones (tags wholesale, as JSON:API attributes do)."""
        row = self._found(self.state.candidates, request.match_info["id"], "candidate")
        attributes, _ = await _body(request, "candidates")
        names = {"first-name": "first_name", "last-name": "last_name", "email": "email", "phone": "phone",
                 "linkedin-url": "linkedin_url", "pitch": "pitch"}
        changes: dict[str, Any] = {key: _text(attributes[name]) for name, key in names.items() if name in attributes}
        if isinstance(attributes.get("tags"), list):
            changes["tags"] = [t for t in attributes["tags"] if isinstance(t, str)]
        self.state.update_candidate(row["id"], **changes)
        return _document(self._candidate(request, row))

    async def create_application(self, request: web.Request) -> web.Response:
        attributes, relationships = await _body(request, "job-applications")
        candidate_id = _related(relationships, "candidate")
        job_id = _related(relationships, "job")
        if candidate_id not in self.state.candidates:
            raise TeamtailorApiError(422, "Candidate must exist", "/data/relationships/candidate")
        if job_id not in self.state.jobs:
            raise TeamtailorApiError(422, "Job must exist", "/data/relationships/job")
        row = self.state.add_application(candidate_id, job_id, sourced=attributes.get("sourced") is True,
                                         cover_letter=_text(attributes.get("cover-letter")))
        self.state.update_candidate(candidate_id)
        return _document(self._application(request, row), status=201)

    async def create_note(self, request: web.Request) -> web.Response:
        attributes, relationships = await _body(request, "notes")
        text = attributes.get("note")
        candidate_id = _related(relationships, "candidate")
        if not isinstance(text, str) or not text.strip():
            raise TeamtailorApiError(422, "Note can't be blank", "/data/attributes/note")
        if candidate_id not in self.state.candidates:
            raise TeamtailorApiError(422, "Candidate must exist", "/data/relationships/candidate")
        user_id = _related(relationships, "user") or self.state.owner_user_id()
        if user_id not in self.state.users:
            raise TeamtailorApiError(422, "User must exist", "/data/relationships/user")
        note_id = self.state.new_id()
        row = {"id": note_id, "candidate_id": candidate_id, "user_id": user_id, "note": text,
               "created_at": self.state.now()}
        self.state.notes[note_id] = row
        return _document(self._note(row), status=201)

    async def create_upload(self, request: web.Request) -> web.Response:
        """Teamtailor downloads the file from the public URL it is given, then files it with the candidate."""
        attributes, relationships = await _body(request, "uploads")
        candidate_id = _related(relationships, "candidate")
        url = _text(attributes.get("url"))
        if candidate_id not in self.state.candidates:
            raise TeamtailorApiError(422, "Candidate must exist", "/data/relationships/candidate")
        if url is None or not url.startswith(("http://", "https://")):
            raise TeamtailorApiError(422, "Url is invalid", "/data/attributes/url")
        content = await self._download(url)
        upload_id = self.state.new_id()
        row = {"id": upload_id, "candidate_id": candidate_id, "content": content, "source_url": url,
               "file_name": _text(attributes.get("file-name")) or url.rsplit("/", 1)[-1] or "upload",
               "created_at": self.state.now()}
        self.state.uploads[upload_id] = row
        return _document(self._upload(request, row), status=201)

    async def _download(self, url: str) -> bytes:
        timeout = aiohttp.ClientTimeout(total=self.download_timeout)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
                if response.status != 200:
                    raise TeamtailorApiError(422, f"Could not download the file (HTTP {response.status})",
                                             "/data/attributes/url")
                return await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TeamtailorApiError(422, "Could not download the file", "/data/attributes/url") from exc

    # -- webhooks --------------------------------------------------------------------------------------------
    def add_webhook(self, url: str, *, signature_key: str, events: Iterable[str]) -> None:
        self.webhooks.append(Webhook(url, signature_key, frozenset(events)))

    async def emit(self, event: str, resource_id: str) -> None:
        """Deliver `event` ("candidate.update", "job_application.update"...) about one record, signed (v2)."""
        kind = event.partition(".")[0]
        data: dict[str, Any] = {"id": resource_id, "type": kind.replace("_", "-") + "s"}
        if not event.endswith(".destroy"):
            data["attributes"] = self._webhook_attributes(kind, resource_id)
        async with self.sender.session() as session:
            for hook in [h for h in self.webhooks if event in h.events]:
                body = json.dumps({"payload": {"event_name": event, "data": data}}).encode()
                header = signature_v2(hook.signature_key, body, int(self.clock()))
                status = await self.sender.send(hook.url, body, {"TT-Signature": header,
                                                                 "Content-Type": "application/json"},
                                                session=session)
                self.deliveries.append(Delivery(event, hook.url, body, status))

    def _webhook_attributes(self, kind: str, resource_id: str) -> dict[str, Any]:
        if kind == "candidate" and resource_id in self.state.candidates:
            row = self.state.candidates[resource_id]
            return {"first_name": row["first_name"], "last_name": row["last_name"],
                    "updated_at": stamp(row["updated_at"])}
        if kind == "job_application" and resource_id in self.state.applications:
            row = self.state.applications[resource_id]
            stage = self.state.stages[row["stage_id"]]
            return {"updated_at": stamp(row["updated_at"]), "job_id": int(row["job_id"]),
                    "job_title": self.state.jobs[row["job_id"]]["title"], "stage_name": stage["name"],
                    "rejected_at": stamp(row["rejected_at"]) if row["rejected_at"] else None}
        return {}

    # -- helpers ---------------------------------------------------------------------------------------------
    @staticmethod
    def _found(rows: dict[str, dict[str, Any]], item_id: str, what: str) -> dict[str, Any]:
        if item_id not in rows:
            raise TeamtailorApiError(404, f"No {what} with id {item_id}.")
        return rows[item_id]

    def _page(self, request: web.Request, rows: Sequence[dict[str, Any]], render: Callable[[dict[str, Any]], Any],
              related: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> web.Response:
        size = _int(request.query.get("page[size]"), DEFAULT_PAGE_SIZE)
        size = min(max(size, 1), MAX_PAGE_SIZE)
        number = max(_int(request.query.get("page[number]"), 1), 1)
        pages = max(1, math.ceil(len(rows) / size))
        page = list(rows[(number - 1) * size: number * size])
        body: dict[str, Any] = {"data": [render(row) for row in page],
                                "meta": {"record-count": len(rows), "page-count": pages},
                                "links": self._links(request, number, pages, size)}
        wanted = set() if self.ignore_include else _includes(request)
        if wanted:
            body["included"] = self._included(request, wanted, related(page))
        return web.Response(text=json.dumps(body), content_type=MEDIA_TYPE)

    def _links(self, request: web.Request, number: int, pages: int, size: int) -> dict[str, str]:
        kept = [(k, v) for k, v in request.query.items() if not k.startswith("page[")]

        def link(n: int) -> str:
            query = urlencode([*kept, ("page[number]", str(n)), ("page[size]", str(size))])
            return f"{request.scheme}://{request.host}{request.path}?{query}"

        links = {"first": link(1), "last": link(pages)}
        if number > 1:
            links["prev"] = link(number - 1)
        if number < pages:
            links["next"] = link(number + 1)
        return links


def _one(kind: str, item_id: str | None) -> dict[str, Any]:
    return {"data": {"type": kind, "id": item_id} if item_id else None}


def _document(data: dict[str, Any], included: list[dict[str, Any]] | None = None, *, status: int = 200
              ) -> web.Response:
    body: dict[str, Any] = {"data": data}
    if included:
        body["included"] = included
    return web.Response(text=json.dumps(body), status=status, content_type=MEDIA_TYPE)


def _includes(request: web.Request) -> set[str]:
    return {part.strip() for part in request.query.get("include", "").split(",") if part.strip()}


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        raise TeamtailorApiError(400, f"{value!r} is not a number.") from None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _time_filtered(rows: list[dict[str, Any]], request: web.Request, *fields: tuple[str, str]
                   ) -> list[dict[str, Any]]:
    for name, key in fields:
        for edge in ("from", "to"):
            raw = request.query.get(f"filter[{name}][{edge}]")
            if raw is None:
                continue
            try:
                moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
            except ValueError:
                raise TeamtailorApiError(400, f"filter[{name}][{edge}] is not a valid time.") from None
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            rows = [r for r in rows if r[key] is not None and (r[key] >= moment if edge == "from"
                                                               else r[key] <= moment)]
    return rows


async def _body(request: web.Request, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if not request.content_type.startswith((MEDIA_TYPE, "application/json")):
        raise TeamtailorApiError(415, f"Send the body as {MEDIA_TYPE}.")
    try:
        body = json.loads(await request.read())
    except ValueError:
        raise TeamtailorApiError(400, "The body is not valid JSON.") from None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or data.get("type") != kind:
        raise TeamtailorApiError(422, f"The body must be a JSON:API document with data.type {kind!r}.", "/data")
    attributes, relationships = data.get("attributes"), data.get("relationships")
    return (attributes if isinstance(attributes, dict) else {},
            relationships if isinstance(relationships, dict) else {})


def _related(relationships: dict[str, Any], name: str) -> str | None:
    relationship = relationships.get(name)
    data = relationship.get("data") if isinstance(relationship, dict) else None
    return _text(str(data.get("id"))) if isinstance(data, dict) and data.get("id") is not None else None


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m adapters.sandbox.teamtailor",
                                     description="Serve a fake Teamtailor API with generated data on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--candidates", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate-limit", type=float, default=5.0, help="requests per second (fixed 10 s windows)")
    parser.add_argument("--chaos", type=float, default=0.0)
    args = parser.parse_args(argv)
    if args.rate_limit <= 0:
        parser.error("--rate-limit must be positive")
    fake = TeamtailorSandbox(generate(seed=args.seed, candidates=args.candidates), rate_limit=args.rate_limit,
                             chaos=Chaos(args.chaos, seed=args.seed), max_recorded=1000)
    with contextlib.suppress(KeyboardInterrupt):
        serve_in_foreground(_serve(fake, args.host, args.port))


async def _serve(fake: TeamtailorSandbox, host: str, port: int) -> None:
    runner, url = await fake.start(host=host, port=port)
    print(f"{url}  {fake.title} sandbox  {fake.connection_help(url)}  (Ctrl+C to stop)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    main()
