"""A fake Freshteam API, faithful to shared/reference/ats/freshteam.md: `Authorization: Bearer <key>`,
bare JSON arrays paged by `page`/`per_page` with `total-objects`, `total-pages` and `link` headers,
`x-ratelimit-total` / `x-ratelimit-remaining` / `x-ratelimit-used-currentrequest` on every answer and a
429 over the per-minute limit, and the `{"errors": [{"code", "message"}]}` envelope (401
`invalid_credentials`, 403 `forbidden`, 404 `not_found`, 406 for an `Accept` without JSON).

`closed = True` makes it answer like an account whose subscription has ended: every API request gets a
403 page that is not Freshteam's JSON (what a closed account really sends is unconfirmed; hirebot treats
any refusal without the documented codes as a closed account). Freshteam has no webhooks, and this fake
sends none. `/sandbox/...` routes change data for tests and benchmarks; they are not Freshteam's API.

    python -m adapters.sandbox.freshteam [--port N] [--candidates N] [--seed N] [--rate-limit R]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import math
import time
from collections.abc import Callable, Sequence
from typing import Any, Self
from urllib.parse import quote, urlencode

from aiohttp import web

from adapters.sandbox.chaos import Chaos as BaseChaos
from adapters.sandbox.chaos import Fault
from adapters.sandbox.documents import minimal_pdf
from adapters.sandbox.fake import Answer, FakeAts, FakeOptions, Handler
from adapters.sandbox.freshteam_dataset import ApplicantRecord, CandidateRecord, FreshteamState, generate, iso
from adapters.sandbox.ratelimit import FixedWindow, RateLimitHeaders
from adapters.sandbox.server import serve_in_foreground

API_PREFIX = "/api"
SANDBOX_API_KEY = "sandbox-freshteam-key"
SANDBOX_DOMAIN = "acme"
DEFAULT_RATE_LIMIT = 50  # requests per minute: the Growth/Pro floor
DEFAULT_PAGE = 50
MAX_PAGE = 100
RATE_HEADERS = RateLimitHeaders(limit="x-ratelimit-total", remaining="x-ratelimit-remaining", reset=None)
SORTABLE = frozenset({"id", "created_at", "updated_at"})
CLOSED_PAGE = ("<html><body><h1>This account has been suspended</h1><p>Contact your account administrator."
               "</p></body></html>")


class FreshteamApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return web.json_response({"errors": [error]}, status=status, headers=headers)


def _under_api(pattern: str | None, path: str) -> bool:
    """Faults are aimed at paths under the API root ("/candidates"); None means any API call."""
    if not path.startswith(API_PREFIX + "/"):
        return False
    inner = path[len(API_PREFIX):]
    return pattern is None or inner == pattern or inner.startswith(pattern.rstrip("/") + "/")


class Chaos(BaseChaos):
    def __init__(self, random_rate: float = 0.0, *, seed: int | None = None, timeout_seconds: float = 30.0,
                 sleep: Callable[[float], Any] = asyncio.sleep) -> None:
        super().__init__(random_rate, seed=seed, timeout_seconds=timeout_seconds, sleep=sleep, matcher=_under_api)


class FreshteamSandbox(FakeAts):
    """The fake Freshteam API: `.app` to serve, `.state` to change, `.requests` to assert on."""

    provider = "freshteam"
    title = "Freshteam"

    def __init__(self, state: FreshteamState, *, api_key: str = SANDBOX_API_KEY, domain: str = SANDBOX_DOMAIN,
                 rate_limit: int = DEFAULT_RATE_LIMIT, clock: Callable[[], float] = time.time,
                 chaos: Chaos | None = None, retry_after: bool = False, paging_headers: str = "all",
                 honour_sort: bool = True, max_recorded: int | None = None) -> None:
        super().__init__(clock=clock, chaos=chaos or Chaos(), max_recorded=max_recorded)
        self.state = state
        self.api_key = api_key
        self.domain = domain
        self.window = FixedWindow(rate_limit, 60.0, clock, RATE_HEADERS)
        self.retry_after = retry_after  # whether 429s carry Retry-After (the reference leaves it unconfirmed)
        self.closed = False
        # Which paging headers pages carry ("all": link and totals; "totals": no link; "none"), and whether
        # `sort` is honoured: the reference leaves both partly unconfirmed, so the adapter must cope with each.
        self.paging_headers = paging_headers
        self.honour_sort = honour_sort
        self.forbidden: set[str] = set()  # API paths (under /api) this key's role may not read: 403 forbidden
        self.rate_limited = 0
        self._orders: dict[tuple[str, str, int], list[int]] = {}
        state.clock = clock
        self.app = self.build_app()

    @classmethod
    def build(cls, options: FakeOptions) -> Self:
        return cls(generate(seed=options.seed, candidates=options.candidates, now=options.now,
                            shared_people=options.shared_people),
                   chaos=Chaos(options.chaos, seed=options.seed), max_recorded=1000)

    def connect_values(self, url: str) -> dict[str, str]:
        return {"domain": self.domain, "api_key": self.api_key, "base_url": f"{url}{API_PREFIX}"}

    def connection_help(self, url: str) -> str:
        return (f"connect: hirebot connect freshteam --domain {self.domain} --api-key {self.api_key} "
                f"--base-url {url}{API_PREFIX}")

    def add_routes(self, app: web.Application) -> None:
        api = [("GET", "/candidates", self.list_candidates), ("GET", "/candidates/{id}", self.get_candidate),
               ("GET", "/applicants/{id}", self.get_applicant), ("GET", "/job_postings", self.list_jobs),
               ("GET", "/job_postings/{id}", self.get_job),
               ("GET", "/job_postings/{id}/applicants", self.list_job_applicants),
               ("GET", "/employees", self.list_employees), ("GET", "/employees/{id}", self.get_employee)]
        for method, path, handler in api:
            app.router.add_route(method, API_PREFIX + path, handler)
        app.router.add_get("/resumes/{id}/{name}", self.download_file)
        app.router.add_post("/sandbox/candidates/{id}/tags", self.sandbox_add_tags)

    # -- the pipeline: faults, then the account, the key, the Accept header, the rate limit, the route ----

    async def respond(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/sandbox/"):
            return await handler(request)
        return await self.with_faults(request.path, lambda: self._answer(request, handler))

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.closed:
            return web.Response(status=403, text=CLOSED_PAGE, content_type="text/html")
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip().encode(), self.api_key.encode()):
            return error_response(401, "invalid_credentials", "Invalid credentials")
        accept = request.headers.get("Accept", "*/*").lower()
        if not any(kind in accept for kind in ("application/json", "*/*", "application/*")):
            return error_response(406, "not_acceptable", "Only application/json responses are supported")
        allowed, limits = self.window.hit()
        limits["x-ratelimit-used-currentrequest"] = "1"
        if not allowed:
            self.rate_limited += 1
            if not self.retry_after:
                limits.pop("Retry-After", None)
            return error_response(429, "rate_limit_exceeded", "Rate limit exceeded", headers=limits)
        limits.pop("Retry-After", None)
        try:
            if request.path[len(API_PREFIX):] in self.forbidden:
                raise FreshteamApiError(403, "forbidden", "You are not authorized to perform this action")
            response = await handler(request)
        except FreshteamApiError as exc:
            response = error_response(exc.status, exc.code, exc.message, exc.field)
        response.headers.update(limits)
        return response

    def fault_response(self, fault: Fault) -> web.Response:
        headers = {"Retry-After": str(math.ceil(fault.retry_after))} if fault.retry_after is not None else None
        if fault.status == 429:
            return error_response(429, "rate_limit_exceeded", "Rate limit exceeded", headers=headers)
        return error_response(fault.status, "internal_error", "Something went wrong", headers=headers)

    async def malformed_response(self, answer: Answer) -> web.StreamResponse:
        """A page cut off mid-array, with the real page's headers."""
        real = await answer()
        return web.Response(body=b'[{"id": 9000', status=200, content_type="application/json",
                            headers={k: v for k, v in real.headers.items()
                                     if k.lower() not in ("content-length", "content-type")})

    # -- rendering -----------------------------------------------------------------------------------------

    def render_candidate(self, record: CandidateRecord) -> dict[str, Any]:
        return {
            "id": record.id, "first_name": record.first_name, "middle_name": None, "last_name": record.last_name,
            "email": record.email, "mobile": record.mobile, "phone": None,
            "location": {"street": None, "city": record.city, "state": None, "country_code": None, "zip_code": None},
            "profile_links": [{"name": name, "url": url} for name, url in record.links],
            "resumes": [{"id": file_id, "content_file_name": name, "content_file_size": size,
                         "url": f"/resumes/{file_id}/{quote(name.replace(' ', '_'))}"}
                        for file_id, name, size in record.resumes],
            "tags": list(record.tags), "applicant_ids": list(record.applicant_ids),
            "total_experience_in_months": None, "description": None,
            "created_at": iso(record.created_at), "updated_at": iso(record.updated_at),
        }

    def render_applicant(self, applicant: ApplicantRecord) -> dict[str, Any]:
        letter = applicant.cover_letter
        return {
            "id": applicant.id, "candidate_id": applicant.candidate_id, "job_id": applicant.job_id,
            "stage": applicant.stage, "sub_stage": applicant.sub_stage, "source": applicant.source,
            "referral_source": None,
            "cover_letter": {"id": letter[0], "content_file_name": letter[1],
                             "url": f"/resumes/{letter[0]}/{quote(letter[1].replace(' ', '_'))}"} if letter else None,
            "created_at": iso(applicant.created_at), "updated_at": iso(applicant.updated_at),
        }

    # -- paging --------------------------------------------------------------------------------------------

    def paged(self, request: web.Request, ids: Sequence[Any], render: Callable[[Any], dict[str, Any]]
              ) -> web.Response:
        page = _positive(request, "page", 1)
        per_page = min(_positive(request, "per_page", DEFAULT_PAGE), MAX_PAGE)
        total = len(ids)
        pages = max(1, math.ceil(total / per_page))
        rows = [render(item) for item in ids[(page - 1) * per_page: page * per_page]]
        headers = {"total-objects": str(total), "total-pages": str(pages)}
        links = []
        if page < pages:
            links.append(f'<{self._page_url(request, page + 1)}>; rel="next"')
        links.append(f'<{self._page_url(request, pages)}>; rel="last"')
        headers["link"] = ", ".join(links)
        if self.paging_headers != "all":
            headers = {} if self.paging_headers == "none" else {k: v for k, v in headers.items() if k != "link"}
        return web.json_response(rows, headers=headers)

    @staticmethod
    def _page_url(request: web.Request, page: int) -> str:
        query = [(k, v) for k, v in request.query.items() if k != "page"] + [("page", str(page))]
        return f"{request.scheme}://{request.host}{request.path}?{urlencode(query)}"

    def _sorting(self, request: web.Request) -> tuple[str, str]:
        """`sort` and `sort_type` as asked (oldest id first when not asked, or when sorting is ignored)."""
        sort = request.query.get("sort", "id") if self.honour_sort else "id"
        direction = request.query.get("sort_type", "asc") if self.honour_sort else "asc"
        if sort not in SORTABLE or direction not in ("asc", "desc"):
            raise FreshteamApiError(400, "invalid_value", "Value is not valid", "sort" if sort not in SORTABLE
                                    else "sort_type")
        return sort, direction

    def _ordered(self, request: web.Request) -> list[int]:
        """Candidate ids in the asked order, cached until the data changes (lists are paged many times)."""
        sort, direction = self._sorting(request)
        key = (sort, direction, self.state.version)
        if key not in self._orders:
            self._orders = {}
            records = self.state.candidates.values()
            ordered = sorted(records, key=lambda r: (getattr(r, sort), r.id), reverse=direction == "desc")
            self._orders[key] = [record.id for record in ordered]
        return self._orders[key]

    # -- routes --------------------------------------------------------------------------------------------

    async def list_candidates(self, request: web.Request) -> web.Response:
        candidates = self.state.candidates
        return self.paged(request, self._ordered(request), lambda cid: self.render_candidate(candidates[cid]))

    async def get_candidate(self, request: web.Request) -> web.Response:
        return web.json_response(self.render_candidate(_lookup(self.state.candidates, request, "Candidate")))

    async def get_applicant(self, request: web.Request) -> web.Response:
        return web.json_response(self.render_applicant(_lookup(self.state.applicants, request, "Applicant")))

    async def list_jobs(self, request: web.Request) -> web.Response:
        status = request.query.get("status")
        if status is not None and status not in ("published", "draft", "internal", "private", "on_hold", "closed"):
            raise FreshteamApiError(400, "invalid_value", "Value is not valid", "status")
        jobs = [job for job in self.state.jobs.values() if status is None or job["status"] == status]
        return self.paged(request, jobs, _job_row)

    async def get_job(self, request: web.Request) -> web.Response:
        return web.json_response(_job_row(_lookup(self.state.jobs, request, "Job posting")))

    async def list_job_applicants(self, request: web.Request) -> web.Response:
        job = _lookup(self.state.jobs, request, "Job posting")
        sort, direction = self._sorting(request)
        applicants = sorted((a for a in self.state.applicants.values() if a.job_id == job["id"]),
                            key=lambda a: (getattr(a, sort), a.id), reverse=direction == "desc")
        return self.paged(request, applicants, self.render_applicant)

    async def list_employees(self, request: web.Request) -> web.Response:
        return self.paged(request, list(self.state.employees.values()), dict)

    async def get_employee(self, request: web.Request) -> web.Response:
        return web.json_response(_lookup(self.state.employees, request, "Employee"))

    async def download_file(self, request: web.Request) -> web.Response:
        """A resume or cover letter, behind the same bearer key (the reference leaves this unconfirmed)."""
        name = request.match_info["name"]
        return web.Response(body=minimal_pdf(name, [f"File {request.match_info['id']}"]),
                            content_type="application/pdf")

    async def sandbox_add_tags(self, request: web.Request) -> web.Response:
        """Not Freshteam's API (it has no candidate update): a test or benchmark changes a candidate here."""
        record = self.state.candidates.get(_int(request.match_info["id"]))
        if record is None:
            return error_response(404, "not_found", "Candidate not found")
        body = await request.json()
        tags = [str(tag) for tag in body.get("tags") or []] if isinstance(body, dict) else []
        self.state.update_candidate(record.id, tags=list(dict.fromkeys([*record.tags, *tags])))
        return web.json_response(self.render_candidate(record))


def _job_row(job: dict[str, Any]) -> dict[str, Any]:
    return dict(job)


def _positive(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    value = _int(raw)
    if value < 1:
        raise FreshteamApiError(400, "invalid_value", "Value is not valid", name)
    return value


def _int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        return 0


def _lookup(table: dict[int, Any], request: web.Request, what: str) -> Any:
    found = table.get(_int(request.match_info["id"]))
    if found is None:
        raise FreshteamApiError(404, "not_found", f"{what} not found")
    return found


# -- command line ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """`python -m adapters.sandbox.freshteam`: serve a sandbox Freshteam in the foreground."""
    parser = argparse.ArgumentParser(description="Serve a fake Freshteam API on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--candidates", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate-limit", type=int, default=DEFAULT_RATE_LIMIT, help="requests per minute")
    parser.add_argument("--retry-after", action="store_true", help="send Retry-After with 429s")
    parser.add_argument("--chaos", type=float, default=0.0, help="share of requests that fail at random (0-1)")
    parser.add_argument("--api-key", default=SANDBOX_API_KEY)
    args = parser.parse_args(argv)
    sandbox = FreshteamSandbox(generate(seed=args.seed, candidates=args.candidates), api_key=args.api_key,
                               rate_limit=args.rate_limit, retry_after=args.retry_after,
                               chaos=Chaos(args.chaos, seed=args.seed), max_recorded=1000)
    with contextlib.suppress(KeyboardInterrupt):
        serve_in_foreground(_serve(sandbox, args.host, args.port))


async def _serve(sandbox: FreshteamSandbox, host: str, port: int) -> None:
    await sandbox.serve_until_stopped(host, port, lambda url: (
        f"Freshteam sandbox: {url}{API_PREFIX}  ({len(sandbox.state.candidates)} candidates, "
        f"{len(sandbox.state.applicants)} applicants, {sandbox.window.limit} requests/min)\n"
        f"{sandbox.connection_help(url)}\nPress Ctrl+C to stop."))


if __name__ == "__main__":
    main()
