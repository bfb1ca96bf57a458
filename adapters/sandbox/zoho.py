"""A fake Zoho Recruit (REST v2) for tests, demos and benchmarks, faithful to the reference: Self Client token
refresh on the accounts path, `Zoho-oauthtoken` auth with scopes, `page`/`per_page` paging with
`info.more_records`, 204 for empty lists, If-Modified-Since with 304, the settings endpoints, per-record write
results, job associations, notes, attachments, interviews, the org's daily API credits (429
TOO_MANY_REQUESTS, no rate-limit headers), and unsigned webhooks carrying the parameters the admin chose.

    python -m adapters.sandbox.zoho [--port N] [--candidates N] [--seed N] [--rate-limit CREDITS] [--window S]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urlencode

from aiohttp import ClientSession, ClientTimeout, web

from adapters.sandbox.chaos import Chaos, Fault
from adapters.sandbox.fake import FakeAts, FakeOptions, Handler, retry_after
from adapters.sandbox.server import serve_in_foreground
from adapters.sandbox.zoho_dataset import LINKEDIN_FIELD, ZohoState, generate, stamp

API_PREFIX = "/recruit/v2"
TOKEN_PATH = "/oauth/v2/token"
SANDBOX_CLIENT_ID = "1000.SANDBOXZOHOCLIENT"
SANDBOX_CLIENT_SECRET = "sandbox-zoho-client-secret-0123456789"
SANDBOX_REFRESH_TOKEN = "1000.sandbox-refresh-token.0123456789abcdef"
ALL_SCOPES = frozenset({"modules", "settings", "users", "org", "search"})
MAX_TOKENS_PER_REFRESH = 30
TOKEN_LIFETIME = 3600
DEFAULT_CREDITS = 5000
DEFAULT_WINDOW = 86_400.0


def zoho_error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> web.Response:
    return web.json_response({"code": code, "details": details or {}, "message": message, "status": "error"},
                             status=status)


def result(code: str, message: str, details: dict[str, Any], *, ok: bool = True) -> dict[str, Any]:
    return {"code": code, "details": details, "message": message, "status": "success" if ok else "error"}


@dataclass
class Webhook:
    url: str
    custom: dict[str, str] = field(default_factory=dict)


@dataclass
class Delivery:
    url: str
    body: bytes
    status: int | None


class ZohoSandbox(FakeAts):
    provider = "zoho"
    title = "Zoho Recruit"

    def __init__(self, state: ZohoState, *, clock: Callable[[], float] | None = None, chaos: Chaos | None = None,
                 credits: int = DEFAULT_CREDITS, window: float = DEFAULT_WINDOW, scopes: frozenset[str] = ALL_SCOPES,
                 max_recorded: int | None = None) -> None:
        super().__init__(clock=clock or time.time, chaos=chaos or Chaos(), max_recorded=max_recorded)
        self.state = state
        self.scopes = set(scopes)
        self.credits = credits
        self.window = window
        self._window_start = -1.0
        self._spent = 0
        self.tokens: dict[str, float] = {}  # access token -> expiry (epoch seconds)
        self.token_requests = 0
        self.refusal_status: int | None = None
        self.hidden_fields: set[str] = set()  # fields this org has removed (left out of the fields settings)
        self.honours_if_modified_since = True  # the reference leaves the header unconfirmed for Recruit
        self.serves_settings = True  # False: /settings/* answers 404, as a server without them would
        self.webhooks: list[Webhook] = []
        self.deliveries: list[Delivery] = []
        self.app = self.build_app()

    # ----- kit hooks -----------------------------------------------------------------------------------
    @classmethod
    def build(cls, options: FakeOptions) -> Self:
        state = generate(seed=options.seed, candidates=options.candidates, now=options.now,
                         shared_people=options.shared_people)
        return cls(state, chaos=Chaos(options.chaos, seed=options.seed), max_recorded=1000)

    def connect_values(self, url: str) -> dict[str, str]:
        return {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET,
                "refresh_token": SANDBOX_REFRESH_TOKEN, "data_center": "us", "base_url": f"{url}{API_PREFIX}",
                "accounts_url": url}

    def connection_help(self, url: str) -> str:
        return (f"connect: hirebot connect zoho --client-id {SANDBOX_CLIENT_ID} --client-secret "
                f"{SANDBOX_CLIENT_SECRET} --refresh-token {SANDBOX_REFRESH_TOKEN} --base-url {url}{API_PREFIX} "
                f"--accounts-url {url}")

    def fault_response(self, fault: Fault) -> web.Response:
        if fault.status == 429:
            response = zoho_error(429, "TOO_MANY_REQUESTS", "too many requests")
        else:
            response = zoho_error(fault.status, "INTERNAL_ERROR", "Internal Server Error")
        response.headers.update(retry_after(fault))
        return response

    async def respond(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == TOKEN_PATH:
            return await handler(request)
        if not request.path.startswith(API_PREFIX):
            return zoho_error(404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one")
        relative = request.path[len(API_PREFIX):] or "/"
        if relative.startswith("/settings") and not self.serves_settings:
            return zoho_error(404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one")
        refused = self._authorize(request, relative)
        if refused is not None:
            return refused
        if not self._spend():
            return zoho_error(429, "TOO_MANY_REQUESTS", "You have exceeded the API credits allotted for the day")
        return await self.with_faults(relative, lambda: handler(request))

    # ----- auth and credits ----------------------------------------------------------------------------
    def _authorize(self, request: web.Request, relative: str) -> web.Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        expiry = self.tokens.get(token.strip())
        if scheme != "Zoho-oauthtoken" or expiry is None or expiry <= self.clock():
            return zoho_error(401, "INVALID_TOKEN", "invalid oauth token")
        if required_scope(relative) not in self.scopes:
            return zoho_error(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")
        return None

    def _spend(self) -> bool:
        now = self.clock()
        start = now - now % self.window
        if start != self._window_start:
            self._window_start, self._spent = start, 0
        if self._spent >= self.credits:
            return False
        self._spent += 1
        return True

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        form = dict(request.query)
        if request.content_type == "application/x-www-form-urlencoded":
            form.update({k: str(v) for k, v in (await request.post()).items()})
        if form.get("grant_type") != "refresh_token":
            return web.json_response({"error": "unsupported_grant_type"})
        # OAuth's statuses by default; Zoho has been seen answering refusals with 200 (`refusal_status`).
        if form.get("client_id") != SANDBOX_CLIENT_ID or form.get("client_secret") != SANDBOX_CLIENT_SECRET:
            return web.json_response({"error": "invalid_client"}, status=self.refusal_status or 401)
        if form.get("refresh_token") != SANDBOX_REFRESH_TOKEN:
            return web.json_response({"error": "invalid_code"}, status=self.refusal_status or 400)
        now = self.clock()
        self.tokens = {value: expiry for value, expiry in self.tokens.items() if expiry > now}
        if len(self.tokens) >= MAX_TOKENS_PER_REFRESH:
            return web.json_response({"error": "Access Denied", "error_description": "You have made too many "
                                      "requests continuously. Please try again after some time."}, status=400)
        value = "1000." + secrets.token_hex(16)
        self.tokens[value] = now + TOKEN_LIFETIME
        return web.json_response({"access_token": value, "api_domain": "https://www.zohoapis.com",
                                  "token_type": "Bearer", "expires_in": TOKEN_LIFETIME})

    # ----- routes --------------------------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        p = API_PREFIX
        app.router.add_post(TOKEN_PATH, self.token)
        app.router.add_get(p + "/org", self.org)
        app.router.add_get(p + "/users", self.users)
        app.router.add_get(p + "/settings/modules", self.modules)
        app.router.add_get(p + "/settings/fields", self.fields)
        app.router.add_get(p + "/Candidates/search", self.search)
        app.router.add_put(p + "/Candidates/actions/associate", self.associate)
        app.router.add_put(p + "/Candidates/status", self.change_status)
        app.router.add_get(p + "/Candidates", self.list_candidates)
        app.router.add_post(p + "/Candidates", self.create_candidates)
        app.router.add_get(p + r"/Candidates/{id:\d+}", self.get_candidate)
        app.router.add_put(p + r"/Candidates/{id:\d+}", self.update_candidate)
        app.router.add_get(p + r"/Candidates/{id:\d+}/associate", self.candidate_jobs)
        app.router.add_get(p + r"/Candidates/{id:\d+}/Notes", self.candidate_notes)
        app.router.add_get(p + r"/Candidates/{id:\d+}/Interviews", self.candidate_interviews)
        app.router.add_get(p + r"/Candidates/{id:\d+}/Attachments", self.list_attachments)
        app.router.add_post(p + r"/Candidates/{id:\d+}/Attachments", self.upload_attachment)
        app.router.add_get(p + "/Job_Openings", self.list_jobs)
        app.router.add_get(p + r"/Job_Openings/{id:\d+}/associate", self.job_candidates)
        app.router.add_post(p + "/Notes", self.create_notes)
        app.router.add_post(p + "/Interviews", self.create_interviews)
        app.router.add_put(p + r"/Interviews/{id:\d+}", self.update_interview)
        app.router.add_put(p + r"/Interviews/{id:\d+}/action/cancel", self.cancel_interview)

    async def org(self, request: web.Request) -> web.Response:
        return web.json_response({"org": [{"zgid": self.state.org_id, "company_name": "Example Corp",
                                           "time_zone": "UTC", "primary_email": "admin@example-corp.com",
                                           "license_details": {"paid": False}}]})

    async def users(self, request: web.Request) -> web.Response:
        rows = list(self.state.users.values())
        kind = request.query.get("type", "AllUsers")
        if kind == "CurrentUser":
            rows = rows[:1]
        elif kind == "ActiveUsers":
            rows = [row for row in rows if row["status"] == "active"]
        return page_of(request, rows, key="users")

    async def modules(self, request: web.Request) -> web.Response:
        names = (("Candidates", "Candidate"), ("Job_Openings", "Job Opening"), ("Interviews", "Interview"),
                 ("Notes", "Note"), ("Applications", "Application"))
        return web.json_response({"modules": [{"api_name": api, "module_name": api, "singular_label": single,
                                               "plural_label": single + "s", "api_supported": True}
                                              for api, single in names]})

    async def fields(self, request: web.Request) -> web.Response:
        module = request.query.get("module", "")
        if module == "Candidates":
            names = ["First_Name", "Last_Name", "Email", "Secondary_Email", "Phone", "Mobile", "Current_Employer",
                     "Current_Job_Title", "Source", "Candidate_Owner", "Skill_Set", "Associated_Tags", "Website",
                     "Created_Time", "Modified_Time", "City"]
            rows: list[dict[str, Any]] = [{"api_name": name, "field_label": name.replace("_", " "),
                                           "data_type": "text"} for name in names]
            rows.append({"api_name": LINKEDIN_FIELD, "field_label": "LinkedIn", "data_type": "website"})
            statuses = sorted({row["Candidate_Status"] for row in self.state.candidates.values()} |
                              {"New", "Qualified", "Hired", "Rejected"})
            rows.append({"api_name": "Candidate_Status", "field_label": "Candidate Status", "data_type": "picklist",
                         "pick_list_values": [{"display_value": s, "actual_value": s} for s in statuses]})
            return web.json_response({"fields": [row for row in rows if row["api_name"] not in self.hidden_fields]})
        if module == "Interviews":
            names = ["Interview_Name", "Candidate_Name", "Posting_Title", "Start_DateTime", "End_DateTime",
                     "Interviewer", "Venue", "Comments", "Interview_Status", "Interview_Owner"]
            return web.json_response({"fields": [{"api_name": n, "field_label": n.replace("_", " ")} for n in names]})
        if module in ("Job_Openings", "Notes"):
            return web.json_response({"fields": []})
        return zoho_error(400, "INVALID_MODULE", "the module name given seems to be invalid")

    # ----- candidates ----------------------------------------------------------------------------------
    async def list_candidates(self, request: web.Request) -> web.StreamResponse:
        rows = self.state.listing()
        since = request.headers.get("If-Modified-Since") if self.honours_if_modified_since else None
        if since:
            moment = parse_moment(since)
            if moment is None:
                return zoho_error(400, "INVALID_DATA", "invalid If-Modified-Since")
            rows = [row for row in rows if parse_moment(row["Modified_Time"]) > moment]  # type: ignore[operator]
            if not rows:
                return web.Response(status=304)
        sort_by = request.query.get("sort_by")
        if sort_by in ("Created_Time", "Modified_Time", "id"):
            reverse = request.query.get("sort_order", "asc") == "desc"
            rows = sorted(rows, key=lambda row: (str(row.get(sort_by) or "") if sort_by != "id" else int(row["id"]),
                                                 int(row["id"])), reverse=reverse)
        wanted = [name for name in request.query.get("fields", "").split(",") if name]
        if wanted:
            rows = [{"id": row["id"], **{name: row.get(name) for name in wanted}} for row in rows]
        return page_of(request, rows)

    async def get_candidate(self, request: web.Request) -> web.Response:
        row = self.state.candidates.get(request.match_info["id"])
        if row is None:
            return web.Response(status=204)
        return web.json_response({"data": [row]})

    async def search(self, request: web.Request) -> web.Response:
        email = request.query.get("email")
        criteria = request.query.get("criteria")
        word = request.query.get("word")
        if sum(value is not None for value in (email, criteria, word)) != 1:
            return zoho_error(400, "INVALID_QUERY", "exactly one of criteria, email, phone or word is required")
        rows = self.state.listing()
        if email is not None:
            rows = [row for row in rows if email.lower() in (str(row.get("Email") or "").lower(),
                                                             str(row.get("Secondary_Email") or "").lower())]
        elif criteria is not None:
            field_name, _, value = criteria.strip("()").partition(":equals:")
            rows = [row for row in rows if str(row.get(field_name) or "").lower() == value.lower()]
        else:
            needle = (word or "").lower()
            rows = [row for row in rows if needle in f"{row.get('First_Name')} {row.get('Last_Name')}".lower()]
        return page_of(request, rows)

    async def create_candidates(self, request: web.Request) -> web.Response:
        records = (await json_body(request)).get("data")
        if not isinstance(records, list) or not records or len(records) > 100:
            return zoho_error(400, "INVALID_DATA", "data must hold 1 to 100 records")
        now = datetime.fromtimestamp(self.clock(), UTC)
        results = []
        for record in records:
            if not isinstance(record, dict) or not record.get("Last_Name"):
                results.append(result("MANDATORY_NOT_FOUND", "required field not found", {"api_name": "Last_Name"},
                                      ok=False))
                continue
            email = str(record.get("Email") or "").lower()
            existing = next((row for row in self.state.candidates.values() if email and
                             str(row.get("Email") or "").lower() == email), None)
            if existing is not None:
                results.append(result("DUPLICATE_DATA", "duplicate data", {"api_name": "Email", "id": existing["id"]},
                                      ok=False))
                continue
            extra = {k: v for k, v in record.items() if k not in ("First_Name", "Last_Name", "Email")}
            row = self.state.add_candidate(str(record.get("First_Name") or ""), str(record["Last_Name"]),
                                           email=record.get("Email"), now=now, extra=extra)
            results.append(result("SUCCESS", "record added", {
                "id": row["id"], "Created_Time": row["Created_Time"], "Modified_Time": row["Modified_Time"],
                "Created_By": self.state.user_ref(next(iter(self.state.users)))}))
        status = 201 if all(r["status"] == "success" for r in results) else 202
        return web.json_response({"data": results}, status=status)

    async def update_candidate(self, request: web.Request) -> web.Response:
        candidate_id = request.match_info["id"]
        records = (await json_body(request)).get("data")
        if candidate_id not in self.state.candidates:
            return zoho_error(400, "INVALID_DATA", "the id given seems to be invalid")
        if not isinstance(records, list) or not records or not isinstance(records[0], dict):
            return zoho_error(400, "INVALID_DATA", "data must hold one record")
        now = datetime.fromtimestamp(self.clock(), UTC)
        values = {k: v for k, v in records[0].items() if k != "id"}
        row = self.state.update_candidate(candidate_id, now=now, **values)
        details = {"id": row["id"], "Modified_Time": row["Modified_Time"]}
        return web.json_response({"data": [result("SUCCESS", "record updated", details)]})

    async def associate(self, request: web.Request) -> web.Response:
        items = (await json_body(request)).get("data")
        now = datetime.fromtimestamp(self.clock(), UTC)
        results = []
        for item in items if isinstance(items, list) else []:
            for job_id in item.get("jobids") or []:
                for candidate_id in item.get("ids") or []:
                    if candidate_id not in self.state.candidates or job_id not in self.state.jobs:
                        results.append(result("INVALID_DATA", "invalid id", {"id": candidate_id}, ok=False))
                    elif job_id in self.state.associations.get(candidate_id, {}):
                        results.append(result("ALREADY_ASSOCIATED", "already associated", {"jobid": job_id},
                                              ok=False))
                    else:
                        self.state.associate(candidate_id, job_id, "Associated", now)
                        results.append(result("SUCCESS", "associated", {"jobid": job_id, "ids": [candidate_id]}))
        return web.json_response({"data": results})

    async def change_status(self, request: web.Request) -> web.Response:
        items = (await json_body(request)).get("data")
        now = datetime.fromtimestamp(self.clock(), UTC)
        results = []
        for item in items if isinstance(items, list) else []:
            status = str(item.get("Candidate_Status") or "")
            for candidate_id in item.get("ids") or []:
                for job_id in item.get("jobids") or []:
                    self.state.associate(candidate_id, job_id, status, now)
                if not item.get("jobids") and candidate_id in self.state.candidates:
                    self.state.update_candidate(candidate_id, now=now, Candidate_Status=status)
                results.append(result("SUCCESS", "status changed", {"id": candidate_id}))
        return web.json_response({"data": [results]})  # Zoho nests these one level deeper

    async def candidate_jobs(self, request: web.Request) -> web.Response:
        links = self.state.associations.get(request.match_info["id"], {})
        rows = [{**self.state.jobs[jid], **link} for jid, link in links.items() if jid in self.state.jobs]
        return page_of(request, rows)

    # ----- jobs ----------------------------------------------------------------------------------------
    async def list_jobs(self, request: web.Request) -> web.Response:
        return page_of(request, list(self.state.jobs.values()))

    async def job_candidates(self, request: web.Request) -> web.Response:
        job_id = request.match_info["id"]
        if job_id not in self.state.jobs:
            return zoho_error(400, "INVALID_DATA", "the id given seems to be invalid")
        rows = []
        for row in self.state.listing():
            link = self.state.associations.get(row["id"], {}).get(job_id)
            if link is not None:
                rows.append({"id": row["id"], "First_Name": row.get("First_Name"), "Last_Name": row.get("Last_Name"),
                             "Email": row.get("Email"), **link})
        return page_of(request, rows)

    # ----- notes, attachments, interviews --------------------------------------------------------------
    async def create_notes(self, request: web.Request) -> web.Response:
        records = (await json_body(request)).get("data")
        now = stamp(datetime.fromtimestamp(self.clock(), UTC))
        results = []
        for record in records if isinstance(records, list) else []:
            parent = str(record.get("Parent_Id") or "")
            if parent not in self.state.candidates or not record.get("Note_Content"):
                results.append(result("INVALID_DATA", "invalid data", {"api_name": "Parent_Id"}, ok=False))
                continue
            note_id = self.state.new_id()
            self.state.notes[note_id] = {"id": note_id, "Note_Title": record.get("Note_Title"),
                                         "Note_Content": record["Note_Content"],
                                         "Parent_Id": {"id": parent,
                                                       "name": self.state.candidates[parent]["Last_Name"]},
                                         "$se_module": record.get("se_module") or "Candidates",
                                         "Note_Owner": self.state.user_ref(next(iter(self.state.users))),
                                         "Created_Time": now}
            results.append(result("SUCCESS", "record added", {"id": note_id, "Created_Time": now}))
        return web.json_response({"data": results}, status=201 if results else 400)

    async def candidate_notes(self, request: web.Request) -> web.Response:
        candidate_id = request.match_info["id"]
        rows = [note for note in self.state.notes.values() if note["Parent_Id"]["id"] == candidate_id]
        return page_of(request, rows)

    async def list_attachments(self, request: web.Request) -> web.Response:
        candidate_id = request.match_info["id"]
        rows = [item for item in self.state.attachments.values() if item["Parent_Id"]["id"] == candidate_id]
        return page_of(request, rows)

    async def upload_attachment(self, request: web.Request) -> web.Response:
        candidate_id = request.match_info["id"]
        if candidate_id not in self.state.candidates:
            return zoho_error(400, "INVALID_DATA", "the id given seems to be invalid")
        category = request.query.get("attachments_category") or "Others"
        name, content = "attachment", b""
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if getattr(part, "name", None) == "file":
                    name = part.filename or name  # type: ignore[union-attr]
                    content = bytes(await part.read())  # type: ignore[union-attr]
        elif request.query.get("attachment_url"):
            name, content = request.query["attachment_url"].rsplit("/", 1)[-1], b"(fetched from URL)"
        else:
            return zoho_error(400, "MANDATORY_NOT_FOUND", "file or attachment_url is required")
        attachment_id = self.state.new_id()
        self.state.attachments[attachment_id] = {
            "id": attachment_id, "File_Name": name, "Size": str(len(content)), "Category": category,
            "Parent_Id": {"id": candidate_id}, "Created_Time": stamp(datetime.fromtimestamp(self.clock(), UTC))}
        self.state.files[attachment_id] = content
        return web.json_response({"data": [result("SUCCESS", "attachment uploaded successfully",
                                                  {"id": attachment_id, "filename": name})]})

    async def create_interviews(self, request: web.Request) -> web.Response:
        records = (await json_body(request)).get("data")
        results = []
        for record in records if isinstance(records, list) else []:
            candidate = record.get("Candidate_Name")
            candidate_id = str(candidate.get("id") if isinstance(candidate, dict) else candidate or "")
            if candidate_id not in self.state.candidates or not record.get("Start_DateTime"):
                results.append(result("MANDATORY_NOT_FOUND", "required field not found",
                                      {"api_name": "Candidate_Name"}, ok=False))
                continue
            interview_id = self.state.new_id()
            self.state.interviews[interview_id] = {**record, "id": interview_id, "Interview_Status": "Scheduled",
                                                   "Candidate_Name": {"id": candidate_id}}
            results.append(result("SUCCESS", "record added", {"id": interview_id}))
        return web.json_response({"data": results}, status=201 if results else 400)

    async def update_interview(self, request: web.Request) -> web.Response:
        interview = self.state.interviews.get(request.match_info["id"])
        records = (await json_body(request)).get("data")
        if interview is None or interview["Interview_Status"] == "Cancelled":
            return zoho_error(400, "INVALID_DATA", "the id given seems to be invalid")
        if isinstance(records, list) and records and isinstance(records[0], dict):
            interview.update({k: v for k, v in records[0].items() if k not in ("id", "Candidate_Name")})
        return web.json_response({"data": [result("SUCCESS", "record updated", {"id": interview["id"]})]})

    async def cancel_interview(self, request: web.Request) -> web.Response:
        interview = self.state.interviews.get(request.match_info["id"])
        if interview is None:
            return zoho_error(404, "INVALID_URL_PATTERN", "no such interview")
        if interview["Interview_Status"] == "Cancelled":
            return web.json_response({"data": [result("ALREADY_CANCELLED", "interview already cancelled",
                                                      {"id": interview["id"]}, ok=False)]})
        interview["Interview_Status"] = "Cancelled"
        return web.json_response({"data": [result("SUCCESS", "interview cancelled", {"id": interview["id"]})]})

    async def candidate_interviews(self, request: web.Request) -> web.Response:
        candidate_id = request.match_info["id"]
        rows = [row for row in self.state.interviews.values() if row["Candidate_Name"]["id"] == candidate_id]
        return page_of(request, rows)

    # ----- webhooks ------------------------------------------------------------------------------------
    def add_webhook(self, url: str, *, custom: dict[str, str] | None = None) -> None:
        """A webhook as an admin builds it in Setup > Automation > Webhooks: a URL (which may carry a secret)
        and custom parameters; entity parameters `id` and `modified` are appended to each delivery."""
        self.webhooks.append(Webhook(url, dict(custom or {})))

    async def emit(self, candidate_id: str, *, event: str | None = None) -> None:
        """Deliver one candidate's change to every webhook: POST, a form of the chosen parameters."""
        row = self.state.candidates.get(candidate_id, {})
        params = {"id": candidate_id, "modified": str(row.get("Modified_Time") or "")}
        if event:
            params["event"] = event
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            for hook in self.webhooks:
                body = {**params, **hook.custom}
                try:
                    async with session.post(hook.url, data=body) as response:
                        status: int | None = response.status
                except OSError:
                    status = None
                self.deliveries.append(Delivery(hook.url, urlencode(body).encode(), status))


def required_scope(relative: str) -> str:
    if relative.startswith("/settings"):
        return "settings"
    if relative.startswith("/users"):
        return "users"
    if relative.startswith("/org"):
        return "org"
    if relative.endswith("/search"):
        return "search"
    return "modules"


def parse_moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def page_of(request: web.Request, rows: list[dict[str, Any]], *, key: str = "data") -> web.Response:
    """Zoho's paging: `page` (from 1) and `per_page` (at most 200); 204 with no body when nothing matches."""
    try:
        number = int(request.query.get("page", "1"))
        size = int(request.query.get("per_page", "200"))
    except ValueError:
        return zoho_error(400, "INVALID_DATA", "page and per_page must be numbers")
    if number < 1 or not 1 <= size <= 200:
        return zoho_error(400, "INVALID_DATA", "per_page must be between 1 and 200")
    if not rows:
        return web.Response(status=204)
    chunk = rows[(number - 1) * size: number * size]
    if not chunk:
        return web.Response(status=204)
    more = number * size < len(rows)
    return web.json_response({key: chunk, "info": {"per_page": size, "count": len(chunk), "page": number,
                                                   "more_records": more}})


def main(argv: list[str] | None = None) -> None:
    """`python -m adapters.sandbox.zoho`: serve a sandbox Zoho Recruit in the foreground."""
    parser = argparse.ArgumentParser(description="Serve a fake Zoho Recruit (REST v2) on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--candidates", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate-limit", type=int, default=DEFAULT_CREDITS, help="API credits per window")
    parser.add_argument("--window", type=float, default=DEFAULT_WINDOW, help="credit window in seconds (24 h)")
    parser.add_argument("--chaos", type=float, default=0.0, help="share of requests that fail at random (0-1)")
    args = parser.parse_args(argv)
    sandbox = ZohoSandbox(generate(seed=args.seed, candidates=args.candidates), credits=args.rate_limit,
                          window=args.window, chaos=Chaos(args.chaos, seed=args.seed), max_recorded=1000)
    with contextlib.suppress(KeyboardInterrupt):
        serve_in_foreground(_serve(sandbox, args.host, args.port))


async def _serve(sandbox: ZohoSandbox, host: str, port: int) -> None:
    runner, url = await sandbox.start(host=host, port=port)
    print(f"Zoho Recruit sandbox: {url}{API_PREFIX}  ({len(sandbox.state.candidates)} candidates)")
    print(sandbox.connection_help(url), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    main()
