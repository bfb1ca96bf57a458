"""The Greenhouse sandbox behaves like Harvest v3 over real HTTP, and its generated data is realistic."""

from __future__ import annotations

import asyncio
import base64
import collections
import io
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer

from adapters.sandbox.greenhouse import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    Chaos,
    GreenhouseSandbox,
)
from adapters.sandbox.greenhouse_dataset import generate
from adapters.sandbox.greenhouse_state import GreenhouseState, StateChange, iso_from
from adapters.sandbox.server import BackgroundServer
from tests.clocks import EpochClock

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Harness:
    sandbox: GreenhouseSandbox
    client: httpx.AsyncClient
    clock: EpochClock
    url: str
    slept: list[float] = field(default_factory=list)

    @property
    def state(self) -> GreenhouseState:
        return self.sandbox.state

    async def token(self, sub: int | None = None) -> str:
        data = {"grant_type": "client_credentials", **({"sub": str(sub)} if sub is not None else {})}
        response = await self.client.post("/token", data=data, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    async def get(self, path: str, *, token: str | None = None, **params: Any) -> httpx.Response:
        token = token or self.sandbox.mint_token()
        # httpx drops a URL's own query string when given params, even empty ones.
        return await self.client.get(path, params=params or None, headers={"Authorization": f"Bearer {token}"})

    async def send(self, method: str, path: str, body: Any = None, *, token: str | None = None) -> httpx.Response:
        token = token or self.sandbox.mint_token()
        return await self.client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def state() -> GreenhouseState:
    return generate(candidates=120, now=NOW)


async def _serve(sandbox: GreenhouseSandbox, clock: EpochClock, slept: list[float]) -> AsyncIterator[Harness]:
    server = TestServer(sandbox.app, host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    async with httpx.AsyncClient(base_url=base) as client:
        yield Harness(sandbox, client, clock, base, slept)
    await server.close()


def _sandbox(state: GreenhouseState, clock: EpochClock, slept: list[float], **options: Any) -> GreenhouseSandbox:
    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    options.setdefault("chaos", Chaos(sleep=fake_sleep))
    options.setdefault("rate_limit", 10_000)
    return GreenhouseSandbox(state, clock=clock, **options)


@pytest.fixture
async def gh(state: GreenhouseState) -> AsyncIterator[Harness]:
    clock, slept = EpochClock(NOW.timestamp()), []
    async for harness in _serve(_sandbox(state, clock, slept), clock, slept):
        yield harness


def next_link(response: httpx.Response) -> str | None:
    header = response.headers.get("Link")
    if header is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', header)
    assert match, header
    return match.group(1)


def jwt_claims(token: str) -> dict[str, Any]:
    header, payload, signature = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "=="))["alg"] == "HS256"
    assert signature
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


async def follow_all(gh: Harness, path: str, **params: Any) -> list[dict]:
    response = await gh.get(path, **params)
    rows = []
    while True:
        assert response.status_code == 200, response.text
        rows += response.json()
        link = next_link(response)
        if link is None:
            return rows
        response = await gh.get(link)


# ----- auth ----------------------------------------------------------------------------------------------

async def test_token_flow_issues_a_bearer_jwt_for_the_integration_user(gh: Harness) -> None:
    response = await gh.client.post("/token", data={"grant_type": "client_credentials"},
                                    auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert datetime.fromisoformat(body["expires_at"]) == NOW + timedelta(hours=1)
    claims = jwt_claims(body["access_token"])
    assert claims["sub"] == str(gh.state.service_user_id)
    assert claims["exp"] - claims["iat"] == 3600
    assert "harvest:candidates:list" in claims["scopes"]
    assert gh.sandbox.tokens_issued == 1
    assert gh.sandbox.requests[-1].form == {"grant_type": "client_credentials"}
    assert "X-RateLimit-Limit" in response.headers

    listed = await gh.get("/v3/jobs", token=body["access_token"])
    assert listed.status_code == 200
    assert len(listed.json()) == len(gh.state.jobs)


async def test_token_endpoint_refuses_bad_clients_and_users(gh: Harness) -> None:
    wrong = await gh.client.post("/token", data={"grant_type": "client_credentials"},
                                 auth=(SANDBOX_CLIENT_ID, "not-the-secret"))
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    basic = (SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
    unknown = await gh.client.post("/token", data={"grant_type": "client_credentials", "sub": "123"}, auth=basic)
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_request"
    gone = next(u["id"] for u in gh.state.users.values() if u["deactivated"])
    deactivated = await gh.client.post("/token", data={"grant_type": "client_credentials", "sub": str(gone)},
                                       auth=basic)
    assert (deactivated.status_code, deactivated.json()["error"]) == (400, "invalid_grant")
    grant = await gh.client.post("/token", data={"grant_type": "password"}, auth=basic)
    assert grant.json()["error"] == "unsupported_grant_type"
    as_json = await gh.client.post("/token", json={"grant_type": "client_credentials"}, auth=basic)
    assert as_json.status_code == 400
    assert gh.sandbox.tokens_issued == 0


async def test_api_answers_401_without_a_valid_unexpired_token(gh: Harness) -> None:
    missing = await gh.client.get("/v3/candidates")
    assert missing.status_code == 401
    assert missing.json()["message"] == "Unauthorized"
    assert missing.json()["errors"][0].startswith("Token could not be decoded.")
    forged = await gh.client.get("/v3/candidates", headers={"Authorization": "Bearer aaa.bbb.ccc"})
    assert forged.status_code == 401

    token = await gh.token()
    assert (await gh.get("/v3/candidates", token=token)).status_code == 200
    gh.clock.advance(3600)
    expired = await gh.get("/v3/candidates", token=token)
    assert expired.status_code == 401
    assert "expired" in expired.json()["errors"][0]


async def test_unknown_paths_are_404_before_auth(gh: Harness) -> None:
    for path in ("/v3/nope", "/v1/candidates", "/v3/candidates/1"):
        response = await gh.client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"message": "Resource not found"}
        assert "X-RateLimit-Remaining" in response.headers


async def test_a_body_on_a_get_is_forbidden(gh: Harness) -> None:
    response = await gh.client.request("GET", "/v3/candidates", content=b'{"per_page": 5}',
                                       headers={"Authorization": f"Bearer {gh.sandbox.mint_token()}"})
    assert response.status_code == 403


async def test_lists_need_a_site_admin_acting_user(gh: Harness) -> None:
    recruiter = next(u for u in gh.state.users.values() if not u["site_admin"] and not u["deactivated"])
    refused = await gh.get("/v3/candidates", token=await gh.token(recruiter["id"]))
    assert refused.status_code == 403
    assert "Site Admin" in refused.json()["errors"][0]
    admin = next(u for u in gh.state.users.values()
                 if u["site_admin"] and u["id"] not in gh.state.service_account_ids)
    assert (await gh.get("/v3/candidates", token=await gh.token(admin["id"]))).status_code == 200


async def test_scopes_limit_what_a_token_may_call(state: GreenhouseState) -> None:
    clock, slept = EpochClock(NOW.timestamp()), []
    sandbox = _sandbox(state, clock, slept, scopes=frozenset({"harvest:candidates:list"}))
    async for gh in _serve(sandbox, clock, slept):
        token = await gh.token()
        assert (await gh.get("/v3/candidates", token=token)).status_code == 200
        refused = await gh.get("/v3/jobs", token=token)
        assert refused.status_code == 403
        assert "harvest:jobs:list" in refused.json()["errors"][0]


# ----- paging and filters --------------------------------------------------------------------------------

@pytest.mark.parametrize("resource", ["candidates", "applications", "application_stages", "attachments"])
async def test_cursor_paging_walks_every_row_newest_first(gh: Harness, resource: str) -> None:
    rows = await follow_all(gh, f"/v3/{resource}", per_page=17)
    ids = [row["id"] for row in rows]
    assert ids == sorted(gh.state.table(resource), reverse=True)
    follow_ups = [r for r in gh.sandbox.requests if r.path == f"/v3/{resource}"][1:]
    assert follow_ups, "expected more than one page"
    assert all(list(r.query) == ["cursor"] for r in follow_ups)
    assert all(r.headers["Host"] == gh.url.removeprefix("http://") for r in follow_ups)


async def test_last_page_has_no_link_even_when_it_is_full(gh: Harness) -> None:
    count = len(gh.state.jobs)
    exact = await gh.get("/v3/jobs", per_page=count)
    assert len(exact.json()) == count
    assert next_link(exact) is None
    short = await gh.get("/v3/jobs", per_page=count - 1)
    assert next_link(short) is not None


async def test_a_cursor_must_travel_alone(gh: Harness) -> None:
    first = await gh.get("/v3/candidates", per_page=5)
    cursor = httpx.URL(next_link(first) or "").params["cursor"]
    response = await gh.get("/v3/candidates", cursor=cursor, per_page=5)
    assert response.status_code == 422
    assert response.json() == {"message": "Unprocessable Content",
                               "errors": ["When passing a cursor, do not include other query params."]}
    assert (await gh.get("/v3/candidates", cursor="garbled")).status_code == 422
    assert (await gh.get("/v3/candidates", cursor=cursor[:-2] + "00")).status_code == 422
    assert (await gh.get("/v3/jobs", cursor=cursor)).status_code == 422


@pytest.mark.parametrize("per_page", ["0", "501", "-3", "ten"])
async def test_per_page_outside_1_to_500_is_422(gh: Harness, per_page: str) -> None:
    response = await gh.get("/v3/candidates", per_page=per_page)
    assert response.status_code == 422
    assert "per_page" in response.json()["errors"][0]


async def test_per_page_defaults_to_100_and_allows_500(gh: Harness) -> None:
    assert len((await gh.get("/v3/candidates")).json()) == 100
    assert len((await gh.get("/v3/candidates", per_page=500)).json()) == len(gh.state.candidates)


async def test_ids_filters_select_rows_and_stop_at_50(gh: Harness) -> None:
    wanted = sorted(gh.state.candidates)[3:6]
    response = await gh.get("/v3/candidates", ids=",".join(map(str, wanted)))
    assert [c["id"] for c in response.json()] == sorted(wanted, reverse=True)
    too_many = await gh.get("/v3/candidates", ids=",".join(map(str, sorted(gh.state.candidates)[:51])))
    assert too_many.status_code == 422
    assert (await gh.get("/v3/candidates", ids="12,abc")).status_code == 422

    candidate_id = next(a["candidate_id"] for a in gh.state.applications.values())
    apps = await gh.get("/v3/applications", candidate_ids=str(candidate_id))
    expected = sorted((a["id"] for a in gh.state.applications.values() if a["candidate_id"] == candidate_id),
                      reverse=True)
    assert [a["id"] for a in apps.json()] == expected
    assert (await gh.get("/v3/applications", job_ids=",".join(["1"] * 51))).status_code == 422


async def test_unknown_filters_are_refused(gh: Harness) -> None:
    response = await gh.get("/v3/candidates", updated_after="2025-01-01T00:00:00Z")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"updated_after": "is not a permitted parameter"}]


async def test_updated_at_filters_use_pipe_syntax(gh: Harness) -> None:
    stamps = sorted(c["updated_at"] for c in gh.state.candidates.values())
    low, high = stamps[30], stamps[80]

    async def count(value: str) -> int:
        return len(await follow_all(gh, "/v3/candidates", updated_at=value, per_page=40))

    assert await count(f"gte|{low}") == sum(s >= low for s in stamps)
    assert await count(f"lte|{high}") == sum(s <= high for s in stamps)
    assert await count(f"gt|{low}") == sum(s > low for s in stamps)
    assert await count(f"gte|{low}|lte|{high}") == 51
    as_offset = datetime.fromisoformat(low.replace("Z", "+00:00")).astimezone(timezone(timedelta(hours=2))).isoformat()
    assert await count(f"gte|{as_offset}") == sum(s >= low for s in stamps)
    for bad in ("after|2025-01-01", "gte", "gte|yesterday", "gte|2025-01-01|lte"):
        assert (await gh.get("/v3/candidates", updated_at=bad)).status_code == 422, bad


async def test_application_status_filter_speaks_active_but_answers_in_process(gh: Harness) -> None:
    active = await follow_all(gh, "/v3/applications", status="active", per_page=500)
    assert active and {a["status"] for a in active} == {"in_process"}
    assert len(active) == sum(a["status"] == "in_process" for a in gh.state.applications.values())
    rejected = await follow_all(gh, "/v3/applications", status="rejected")
    assert rejected and all(a["status"] == "rejected" and a["rejected_at"] for a in rejected)
    assert (await gh.get("/v3/applications", status="in_process")).status_code == 422


async def test_email_filter_finds_a_candidate_case_insensitively(gh: Harness) -> None:
    person = next(c for c in gh.state.candidates.values() if c["email_addresses"])
    address = person["email_addresses"][0]["value"]
    found = await gh.get("/v3/candidates", email=address.upper())
    assert [c["id"] for c in found.json()] == [person["id"]]


async def test_service_accounts_are_hidden_unless_asked_for(gh: Harness) -> None:
    service = gh.state.service_user_id
    default = [u["id"] for u in (await gh.get("/v3/users", per_page=500)).json()]
    assert service not in default
    assert len(default) == len(gh.state.users) - 1
    shown = (await gh.get("/v3/users", per_page=500, show_service_accounts="true")).json()
    assert next(u for u in shown if u["id"] == service)["primary_email"] == ""


async def test_rows_have_the_v3_field_names(gh: Harness) -> None:
    candidate = (await gh.get("/v3/candidates", per_page=1)).json()[0]
    assert {"preferred_name", "time_zone", "last_activity_at", "private"} <= candidate.keys()
    assert not {"applications", "application_ids", "attachments", "recruiter", "is_private"} & candidate.keys()
    application = (await gh.get("/v3/applications", per_page=1)).json()[0]
    assert {"stage_id", "stage_name", "job_id", "status", "created_at", "rejected_at", "recruiter_id"} \
        <= application.keys()
    user = (await gh.get("/v3/users", per_page=1)).json()[0]
    assert {"primary_email", "deactivated", "site_admin"} <= user.keys()
    step = (await gh.get("/v3/job_interviews", per_page=1)).json()[0]
    assert {"job_interview_stage_id", "name", "schedulable", "estimated_minutes"} <= step.keys()


# ----- rate limiting and chaos ---------------------------------------------------------------------------

async def test_rate_limit_headers_on_every_response_and_429_until_the_window_resets(state: GreenhouseState) -> None:
    clock, slept = EpochClock(1_800_000_000.0 + 12), []  # 12 s into a 30 s window
    sandbox = _sandbox(state, clock, slept, rate_limit=3, window_seconds=30.0)
    async for gh in _serve(sandbox, clock, slept):
        token = sandbox.mint_token()
        remaining = []
        for _ in range(2):
            response = await gh.get("/v3/jobs", token=token)
            remaining.append(response.headers["X-RateLimit-Remaining"])
        unauthorized = await gh.client.get("/v3/jobs")
        assert unauthorized.status_code == 401
        assert unauthorized.headers["X-RateLimit-Limit"] == "3"
        assert [*remaining, unauthorized.headers["X-RateLimit-Remaining"]] == ["2", "1", "0"]
        limited = await gh.get("/v3/jobs", token=token)
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "18"
        assert limited.headers["X-RateLimit-Reset"] == str(1_800_000_000 + 30)
        assert (await gh.client.post("/token", data={"grant_type": "client_credentials"},
                                     auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))).status_code == 200
        clock.advance(18)
        recovered = await gh.get("/v3/jobs", token=token)
        assert recovered.status_code == 200
        assert recovered.headers["X-RateLimit-Remaining"] == "2"


async def test_chaos_fail_next_answers_the_status_then_recovers(gh: Harness) -> None:
    gh.sandbox.chaos.fail_next(503, retry_after=7)
    failed = await gh.get("/v3/candidates")
    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "7"
    assert "X-RateLimit-Remaining" in failed.headers
    assert (await gh.get("/v3/candidates")).status_code == 200

    gh.sandbox.chaos.fail_next(429, times=2)
    assert [(await gh.get("/v3/jobs")).status_code for _ in range(3)] == [429, 429, 200]
    gh.sandbox.chaos.fail_next(500, path="/v3/jobs", body=b'{"message":"boom"}')
    assert (await gh.get("/v3/candidates")).status_code == 200
    boom = await gh.get("/v3/jobs")
    assert (boom.status_code, boom.json()) == (500, {"message": "boom"})
    assert [r.status for r in gh.sandbox.requests[-2:]] == [200, 500]


async def test_chaos_malformed_next_sends_truncated_json(gh: Harness) -> None:
    gh.sandbox.chaos.malformed_next()
    broken = await gh.get("/v3/candidates", per_page=5)
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)
    assert len((await gh.get("/v3/candidates", per_page=5)).json()) == 5


async def test_chaos_delay_next_waits_through_the_injected_sleep(gh: Harness) -> None:
    gh.sandbox.chaos.delay_next(2.5, path="/v3/jobs")
    assert (await gh.get("/v3/candidates")).status_code == 200
    assert gh.slept == []
    assert (await gh.get("/v3/jobs")).status_code == 200
    assert gh.slept == [2.5]


async def test_chaos_delay_provokes_a_client_timeout(state: GreenhouseState) -> None:
    never = asyncio.Event()

    async def stuck(seconds: float) -> None:
        await never.wait()

    clock = EpochClock(NOW.timestamp())
    async for gh in _serve(_sandbox(state, clock, [], chaos=Chaos(sleep=stuck)), clock, []):
        gh.sandbox.chaos.delay_next(60)
        with pytest.raises(httpx.ReadTimeout):
            await gh.client.get("/v3/jobs", timeout=0.2,
                                headers={"Authorization": f"Bearer {gh.sandbox.mint_token()}"})


async def test_random_chaos_hits_api_calls_only(state: GreenhouseState) -> None:
    clock, slept = EpochClock(NOW.timestamp()), []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    chaos = Chaos(1.0, seed=11, sleep=fake_sleep)
    async for gh in _serve(_sandbox(state, clock, slept, chaos=chaos), clock, slept):
        token = await gh.token()
        outcomes = [(await gh.get("/v3/jobs", token=token)) for _ in range(12)]
        assert len(chaos.injected) == 12
        kinds = {what for _, what in chaos.injected}
        assert len(kinds) > 2
        for response, (_, what) in zip(outcomes, chaos.injected, strict=True):
            if what in ("random:500", "random:502", "random:503", "random:429"):
                assert response.status_code == int(what.split(":")[1])
            elif what == "random:timeout":
                assert response.status_code == 200
        assert slept.count(chaos.timeout_seconds) == sum(w == "random:timeout" for _, w in chaos.injected)


# ----- writes --------------------------------------------------------------------------------------------

async def test_create_note_reads_back_in_the_v3_vocabulary(gh: Harness) -> None:
    candidate = next(iter(gh.state.candidates.values()))
    gh.clock.advance(60)
    created = await gh.send("POST", "/v3/notes", {"candidate_id": candidate["id"], "body": "Spoke <b>today</b>",
                                                  "visibility": "private"})
    assert created.status_code == 201, created.text
    assert "\\u003cb\\u003e" in created.text  # escaped the way Rails escapes it
    note = created.json()
    assert note["visibility"] == "privately_visible"
    assert note["user_id"] == gh.state.service_user_id
    assert gh.sandbox.requests[-1].json["visibility"] == "private"
    listed = await gh.get("/v3/notes", candidate_ids=str(candidate["id"]))
    assert note["id"] in [n["id"] for n in listed.json()]
    assert candidate["last_activity_at"] == iso_from(NOW + timedelta(seconds=60))

    default = await gh.send("POST", "/v3/notes", {"candidate_id": candidate["id"], "body": "Default"})
    assert default.json()["visibility"] == "admin_only_visible"
    for bad in ({"candidate_id": candidate["id"], "body": "x", "visibility": "secret"},
                {"candidate_id": 1, "body": "x"}, {"candidate_id": candidate["id"]},
                {"candidate_id": candidate["id"], "body": "x", "visiblity": "public"}):
        assert (await gh.send("POST", "/v3/notes", bad)).status_code == 422, bad


async def test_writes_need_an_active_acting_user(gh: Harness) -> None:
    candidate_id = next(iter(gh.state.candidates))
    user = next(u for u in gh.state.users.values() if not u["site_admin"] and not u["deactivated"])
    token = gh.sandbox.mint_token(user["id"])
    assert (await gh.send("POST", "/v3/notes", {"candidate_id": candidate_id, "body": "hi"},
                          token=token)).status_code == 201
    user["deactivated"] = True
    assert (await gh.send("POST", "/v3/notes", {"candidate_id": candidate_id, "body": "hi"},
                          token=token)).status_code == 403
    del gh.state.users[user["id"]]
    assert (await gh.send("POST", "/v3/notes", {"candidate_id": candidate_id, "body": "hi"},
                          token=token)).status_code == 401


def _schedulable(state: GreenhouseState) -> tuple[dict, dict]:
    for app in state.applications.values():
        if app["status"] == "in_process" and app["job_id"]:
            for step in state.job_interviews.values():
                if step["job_id"] == app["job_id"] and step["schedulable"]:
                    return app, step
    raise AssertionError("no schedulable application")


async def test_interviews_can_be_created_changed_and_deleted(gh: Harness) -> None:
    app, step = _schedulable(gh.state)
    panel_user = next(u for u in gh.state.users.values() if not u["deactivated"] and u["primary_email"])
    body = {"application_id": app["id"], "job_interview_id": step["id"], "external_event_id": "gcal-42",
            "starts_at": "2025-06-05T15:00:00Z", "ends_at": "2025-06-05T15:45:00Z", "location": "Zoom",
            "interviewers": [{"user_id": panel_user["id"], "response_status": "accepted"},
                             {"email": "guest@example.com"}]}
    created = await gh.send("POST", "/v3/interviews", body)
    assert created.status_code == 201, created.text
    interview = created.json()
    assert interview["starts_at"] == "2025-06-05T15:00:00.000Z"
    assert interview["organizer_id"] == gh.state.service_user_id
    panel = (await gh.get("/v3/interviewers", interview_ids=str(interview["id"]))).json()
    assert sorted(p["email"] for p in panel) == sorted([panel_user["primary_email"], "guest@example.com"])

    moved = await gh.send("PATCH", f"/v3/interviews/{interview['id']}",
                          {"starts_at": "2025-06-06T10:00:00+02:00", "ends_at": "2025-06-06T11:00:00+02:00",
                           "interviewers": [{"email": "other@example.com"}]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"] == "2025-06-06T08:00:00.000Z"
    panel = (await gh.get("/v3/interviewers", interview_ids=str(interview["id"]))).json()
    assert [p["email"] for p in panel] == ["other@example.com"]

    assert (await gh.send("DELETE", f"/v3/interviews/{interview['id']}")).status_code == 204
    assert (await gh.send("DELETE", f"/v3/interviews/{interview['id']}")).status_code == 404
    assert (await gh.get("/v3/interviewers", interview_ids=str(interview["id"]))).json() == []


async def test_interview_writes_are_validated(gh: Harness) -> None:
    app, step = _schedulable(gh.state)
    good = {"application_id": app["id"], "job_interview_id": step["id"], "external_event_id": "e1",
            "starts_at": "2025-06-05T15:00:00Z", "ends_at": "2025-06-05T16:00:00Z",
            "interviewers": [{"email": "a@example.com"}]}
    for change in ({"ends_at": "2025-06-05T14:00:00Z"}, {"interviewers": []}, {"start": "2025-06-05T15:00:00Z"},
                   {"interviewers": [{"email": "a@example.com", "response_status": "maybe"}]},
                   {"job_interview_id": 1}, {"external_event_id": None}):
        response = await gh.send("POST", "/v3/interviews", {**good, **change})
        assert response.status_code == 422, change
    booked_in_ui = next(iter(gh.state.interviews))
    refused = await gh.send("PATCH", f"/v3/interviews/{booked_in_ui}", {"location": "Room 2"})
    assert refused.status_code == 422
    assert "created through Harvest" in refused.json()["errors"][0]


async def test_create_candidate_with_an_application_and_tags(gh: Harness) -> None:
    job = next(j for j in gh.state.jobs.values() if j["status"] == "open")
    created = await gh.send("POST", "/v3/candidates", {
        "first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Engines",
        "email_addresses": [{"value": "ada@example.com", "type": "personal"}],
        "social_media_addresses": [{"value": "linkedin.com/in/ada"}], "tags": ["Slack sourced", "Python"],
        "application": {"job_id": job["id"]}})
    assert created.status_code == 201, created.text
    candidate = created.json()
    assert candidate["tags"] == ["Slack sourced", "Python"]
    apps = (await gh.get("/v3/applications", candidate_ids=str(candidate["id"]))).json()
    assert [(a["job_id"], a["status"], a["stage_name"]) for a in apps] == [(job["id"], "in_process",
                                                                            "Application Review")]
    applied = (await gh.get("/v3/applied_candidate_tags", candidate_ids=str(candidate["id"]))).json()
    assert len(applied) == 2
    found = await gh.get("/v3/candidates", email="ADA@example.com")
    assert [c["id"] for c in found.json()] == [candidate["id"]]
    bad = await gh.send("POST", "/v3/candidates", {"first_name": "No", "last_name": "Type",
                                                   "email_addresses": [{"value": "x@example.com"}]})
    assert bad.status_code == 422


async def test_reject_hire_and_move_answer_204(gh: Harness) -> None:
    active = [a for a in gh.state.applications.values() if a["status"] == "in_process" and a["job_id"]]
    first, second = active[0], active[1]
    stages = sorted((s for s in gh.state.job_interview_stages.values() if s["job_id"] == first["job_id"]),
                    key=lambda s: s["sort_order"])
    target = next(s for s in stages if s["id"] != first["stage_id"])
    stale = await gh.send("POST", f"/v3/applications/{first['id']}/move",
                          {"from_stage_id": target["id"], "to_stage_id": target["id"]})
    assert stale.status_code == 422
    moved = await gh.send("POST", f"/v3/applications/{first['id']}/move",
                          {"from_stage_id": first["stage_id"], "to_stage_id": target["id"]})
    assert (moved.status_code, moved.content) == (204, b"")
    assert first["stage_name"] == target["name"]

    rejected = await gh.send("POST", f"/v3/applications/{first['id']}/reject", {"notes": "Not now"})
    assert rejected.status_code == 204
    assert first["status"] == "rejected" and first["rejected_at"] == iso_from(NOW)
    assert (await gh.send("POST", f"/v3/applications/{first['id']}/reject")).status_code == 422
    assert (await gh.send("POST", f"/v3/applications/{second['id']}/hire")).status_code == 204
    assert second["status"] == "hired"
    assert (await gh.send("POST", "/v3/applications/1/hire")).status_code == 404


async def test_a_candidate_can_arrive_with_a_resume_uploaded_inline(gh: Harness) -> None:
    job = next(j for j in gh.state.jobs.values() if j["status"] == "open")
    content = b"%PDF-1.4 a real upload \xc3\xa9\n%%EOF"
    upload = {"filename": "cv.pdf", "type": "resume", "content": base64.b64encode(content).decode(),
              "content_type": "application/pdf"}
    application = {"job_id": job["id"], "attachments": [upload]}
    created = await gh.send("POST", "/v3/candidates", {"first_name": "Ada", "last_name": "L",
                                                       "application": application})
    assert created.status_code == 201, created.text
    [row] = (await gh.get("/v3/attachments", candidate_ids=str(created.json()["id"]))).json()
    assert (row["filename"], row["type"]) == ("cv.pdf", "resume") and row["application_id"] is not None
    assert (await gh.client.get(row["url"])).content == content
    for change, field_name in (({"content": "not base64!"}, "content"), ({"type": "portfolio"}, "type"),
                               ({"url": "https://example.com/cv.pdf"}, "url"),
                               ({"content_type": None}, "content_type")):
        bad = await gh.send("POST", "/v3/candidates", {"first_name": "B", "last_name": "C", "application": {
            "job_id": job["id"], "attachments": [{**upload, **change}]}})
        assert bad.status_code == 422, change
        assert f"application.attachments[0].{field_name}" in bad.text


async def test_a_candidate_being_built_answers_ids_only_and_shows_up_later(gh: Harness) -> None:
    gh.sandbox.candidate_build_reads = 2
    created = await gh.send("POST", "/v3/candidates", {"first_name": "Slow", "last_name": "Build"})
    assert created.status_code == 201 and set(created.json()) == {"id"}
    ids = str(created.json()["id"])
    seen = [len((await gh.get("/v3/candidates", ids=ids)).json()) for _ in range(3)]
    assert seen == [0, 0, 1]


async def test_interviews_filter_on_external_event_id(gh: Harness) -> None:
    app, step = _schedulable(gh.state)
    body = {"application_id": app["id"], "job_interview_id": step["id"], "external_event_id": "hb-77",
            "starts_at": "2025-06-05T15:00:00Z", "ends_at": "2025-06-05T15:45:00Z",
            "interviewers": [{"email": "a@example.com"}]}
    created = (await gh.send("POST", "/v3/interviews", body)).json()
    found = (await gh.get("/v3/interviews", external_event_id="hb-77")).json()
    assert [i["id"] for i in found] == [created["id"]]
    assert (await gh.get("/v3/interviews", external_event_id="nope")).json() == []


def test_helpers_announce_their_changes_as_webhook_actions(state: GreenhouseState) -> None:
    changes: list[StateChange] = []
    state.listeners.append(changes.append)
    app = next(a for a in state.applications.values() if a["status"] == "in_process" and a["job_id"])
    state.set_application_status(app["id"], "rejected")
    state.set_application_status(app["id"], "in_process")
    state.set_application_status(app["id"], "hired")
    state.set_application_status(app["id"], "in_process")
    added = state.add_candidate("Zoë", "Ångström", job_id=app["job_id"])
    survivor = next(c for c in state.candidates if c != added["id"])
    state.merge_candidates(added["id"], into_id=survivor)
    state.anonymize_candidate(survivor, ("full_name", "tags"))
    doomed = sorted(a for a, row in state.applications.items() if row["candidate_id"] == survivor)
    state.delete_candidate(survivor)
    assert [c.action for c in changes] == [
        "reject_candidate", "unreject_candidate", "hire_candidate", "unhire_candidate",
        "new_candidate_application", "merge_candidate", "candidate_anonymized", "delete_candidate"]
    merge, deletion = changes[5], changes[7]
    assert (merge.candidate_id, merge.merged_into) == (added["id"], survivor)
    assert deletion.person is not None and deletion.person["id"] == survivor
    assert deletion.person["deleted_application_ids"] == doomed
    assert len(doomed) >= 2  # its own application and the merged-away one's
    assert not any(a["candidate_id"] in (added["id"], survivor) for a in state.applications.values())


def test_merging_moves_everything_to_the_survivor(state: GreenhouseState) -> None:
    merged, survivor = list(state.candidates)[:2]
    apps = {a for a, row in state.applications.items() if row["candidate_id"] in (merged, survivor)}
    files = {f for f, row in state.attachments.items() if row["candidate_id"] in (merged, survivor)}
    tags = list(dict.fromkeys(state.candidates[survivor]["tags"] + state.candidates[merged]["tags"]))
    state.merge_candidates(merged, into_id=survivor)
    assert merged not in state.candidates
    assert {a for a, row in state.applications.items() if row["candidate_id"] == survivor} == apps
    assert {f for f, row in state.attachments.items() if row["candidate_id"] == survivor} == files
    assert state.candidates[survivor]["tags"] == tags


# ----- attachments ---------------------------------------------------------------------------------------

async def test_attachment_links_are_signed_files_that_expire(gh: Harness) -> None:
    rows = await follow_all(gh, "/v3/attachments", per_page=500)
    pdf = next(r for r in rows if r["filename"].endswith(".pdf"))
    docx = next(r for r in rows if r["filename"].endswith(".docx"))
    assert pdf["url"].startswith(f"{gh.url}/files/{pdf['id']}/")
    downloaded = await gh.client.get(pdf["url"])  # no Authorization: links are pre-signed
    assert downloaded.status_code == 200
    assert downloaded.headers["Content-Type"] == "application/pdf"
    assert downloaded.content.startswith(b"%PDF-1.4") and downloaded.content.rstrip().endswith(b"%%EOF")
    word = await gh.client.get(docx["url"])
    assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(word.content)).namelist()

    tampered = await gh.client.get(pdf["url"].replace("signature=", "signature=0"))
    assert tampered.status_code == 403
    gh.clock.advance(7 * 86_400 + 1)
    expired = await gh.client.get(pdf["url"])
    assert expired.status_code == 403
    assert b"Request has expired" in expired.content


# ----- the state and its helpers -------------------------------------------------------------------------

def test_mutation_helpers_bump_timestamps_like_greenhouse(state: GreenhouseState) -> None:
    later = NOW + timedelta(days=1)
    candidate = next(c for c in state.candidates.values())
    state.update_candidate(candidate["id"], now=later, title="Principal Engineer")
    assert candidate["title"] == "Principal Engineer"
    assert candidate["updated_at"] == candidate["last_activity_at"] == iso_from(later)

    app = next(a for a in state.applications.values() if a["status"] == "in_process" and a["job_id"])
    owner = state.candidates[app["candidate_id"]]
    before = owner["updated_at"]
    even_later = later + timedelta(hours=2)
    state.set_application_status(app["id"], "rejected", now=even_later)
    assert app["updated_at"] == app["rejected_at"] == iso_from(even_later)
    assert owner["last_activity_at"] == iso_from(even_later)
    assert owner["updated_at"] == before  # application activity does not move the candidate's updated_at
    state.set_application_status(app["id"], "in_process", now=even_later + timedelta(hours=1))
    assert app["rejected_at"] is None and app["stage_id"] is not None

    history = len([s for s in state.application_stages.values() if s["application_id"] == app["id"]])
    other = next(s for s in state.job_interview_stages.values()
                 if s["job_id"] == app["job_id"] and s["id"] != app["stage_id"])
    state.move_application(app["id"], other["id"], now=even_later + timedelta(hours=2))
    rows = [s for s in state.application_stages.values() if s["application_id"] == app["id"]]
    assert len(rows) == history + 1
    assert [r["current"] for r in rows].count(True) == 1

    added = state.add_candidate("Zoë", "Ångström", email="zoe@example.com", now=later)
    assert any(a["candidate_id"] == added["id"] and a["prospect"] for a in state.applications.values())
    assert any(f["candidate_id"] == added["id"] and f["type"] == "resume" for f in state.attachments.values())
    state.delete_candidate(added["id"])
    assert added["id"] not in state.candidates
    assert not any(a["candidate_id"] == added["id"] for a in state.applications.values())
    assert not any(f["candidate_id"] == added["id"] for f in state.attachments.values())


async def test_changes_made_through_helpers_show_up_in_filtered_lists(gh: Harness) -> None:
    cutoff = iso_from(NOW + timedelta(minutes=5))
    assert (await gh.get("/v3/candidates", updated_at=f"gte|{cutoff}")).json() == []
    target = sorted(gh.state.candidates)[7]
    gh.state.update_candidate(target, now=NOW + timedelta(minutes=10), company="Initech")
    changed = (await gh.get("/v3/candidates", updated_at=f"gte|{cutoff}")).json()
    assert [(c["id"], c["company"]) for c in changed] == [(target, "Initech")]


def test_generation_is_deterministic_for_a_seed() -> None:
    one, two = generate(seed=3, candidates=150, now=NOW), generate(seed=3, candidates=150, now=NOW)
    for table in one.TABLES:
        assert one.table(table) == two.table(table), table
    other = generate(seed=4, candidates=150, now=NOW)
    assert [c["first_name"] for c in other.candidates.values()] != [c["first_name"] for c in one.candidates.values()]


def test_generated_people_are_varied_and_awkward() -> None:
    state = generate(candidates=400, now=NOW)
    people = list(state.candidates.values())
    full_names = collections.Counter((c["first_name"], c["last_name"]) for c in people)
    twins = [c for c in people if (c["first_name"], c["last_name"]) == ("John", "Smith")]
    assert len(twins) >= 2
    assert len({c["email_addresses"][0]["value"] for c in twins}) == len(twins)
    assert ("Jon", "Smyth") in full_names
    names = " ".join(f"{c['first_name']} {c['last_name']}" for c in people)
    for fragment in ("José García", "Zoë", "Łukasz Wójcik", "François", "Søren", "Nguyễn", "Đorđe",
                     "Anne-Marie", "O'Connor", "D'Angelo", "van der Berg", "de la Cruz", "García Márquez",
                     "bin Abdullah"):
        assert fragment in names, fragment
    assert sum(1 for c in people if c["preferred_name"]) >= 10
    first_names = collections.Counter(c["first_name"] for c in people)
    assert first_names["Priya"] >= 2
    assert any(c["first_name"] in ("Robert", "William", "Elizabeth", "Katherine", "Margaret") for c in people)
    assert any(not c["email_addresses"] for c in people)
    assert any(c["social_media_addresses"] and "linkedin.com/in/" in c["social_media_addresses"][0]["value"]
               for c in people)
    assert any(c["website_addresses"] for c in people) and any(c["tags"] for c in people)
    assert all(c["updated_at"] >= c["created_at"] for c in people)
    year_ago = iso_from(NOW - timedelta(days=366))
    assert all(year_ago <= c["created_at"] <= iso_from(NOW) for c in people)


def test_generated_pipeline_covers_every_state() -> None:
    state = generate(candidates=400, now=NOW)
    apps = list(state.applications.values())
    assert {a["status"] for a in apps} == {"in_process", "rejected", "hired"}
    assert any(a["prospect"] and a["job_id"] is None and a["stage_id"] is None for a in apps)
    assert all(a["rejected_at"] for a in apps if a["status"] == "rejected")
    assert all(a["updated_at"] >= a["created_at"] for a in apps)
    per_candidate = collections.Counter(a["candidate_id"] for a in apps)
    assert set(per_candidate.values()) == {1, 2}
    with_resume = {f["candidate_id"] for f in state.attachments.values() if f["type"] == "resume"}
    assert 0.7 * len(state.candidates) < len(with_resume) < len(state.candidates)
    assert any(f["type"] == "cover_letter" for f in state.attachments.values())
    assert {j["status"] for j in state.jobs.values()} == {"open", "closed", "draft"}
    assert 10 <= len(state.jobs) <= 14
    for job_id in state.jobs:
        stages = [s for s in state.job_interview_stages.values() if s["job_id"] == job_id]
        assert 4 <= len(stages) <= 6
        for stage in stages:
            steps = [i for i in state.job_interviews.values() if i["job_interview_stage_id"] == stage["id"]]
            assert 1 <= len(steps) <= 3
        assert any(m["job_id"] == job_id for m in state.job_hiring_managers.values())
    users = list(state.users.values())
    assert 18 <= len(users) <= 24
    assert sum(u["deactivated"] for u in users) == 1
    assert any(u["site_admin"] for u in users if u["id"] not in state.service_account_ids)
    assert len(state.user_emails) > len(users) - 1  # some users have secondary emails
    assert state.notes and state.interviews and state.interviewers and state.applied_candidate_tags


@pytest.mark.slow
def test_generating_100k_candidates_works() -> None:
    state = generate(candidates=100_000, now=NOW)
    assert len(state.candidates) == 100_000
    assert len(state.applications) > 100_000
    assert len({c["id"] for c in state.candidates.values()}) == 100_000


# ----- running it ----------------------------------------------------------------------------------------

def test_background_server_serves_an_app_on_a_free_port(state: GreenhouseState) -> None:
    sandbox = GreenhouseSandbox(state)
    with BackgroundServer(sandbox.app) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        token = httpx.post(f"{server.url}/token", data={"grant_type": "client_credentials"},
                           auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)).json()["access_token"]
        jobs = httpx.get(f"{server.url}/v3/jobs", headers={"Authorization": f"Bearer {token}"})
        assert len(jobs.json()) == len(state.jobs)
    with pytest.raises(RuntimeError):
        _ = server.url


def test_command_line_serves_until_stopped() -> None:
    process = subprocess.Popen([sys.executable, "-m", "adapters.sandbox.greenhouse", "--candidates", "30",
                                "--port", "0"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert url, first
        banner = "".join(process.stdout.readline() for _ in range(5))
        assert SANDBOX_CLIENT_ID in banner and SANDBOX_CLIENT_SECRET in banner
        assert httpx.get(f"{url.group(0)}/v3/nope").status_code == 404
    finally:
        process.terminate()
        process.wait(timeout=10)
