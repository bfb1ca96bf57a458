"""The Lever sandbox speaks the Data API as shared/reference/ats/lever.md describes, over real loopback HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.sandbox.lever import (
    ALL_PERMISSIONS,
    DEFAULT_PERMISSIONS,
    DOCUMENTED_PERMISSIONS,
    OPTIONAL_READ_PERMISSIONS,
    SANDBOX_API_KEY,
    Chaos,
    LeverSandbox,
    minimal_pdf,
)
from adapters.sandbox.lever_dataset import FileRecord, LeverState, Opportunity, generate, to_ms
from tests.clocks import EpochClock
from tests.lever_rig import NOW, LeverRig, serve_lever


@pytest.fixture
def clock() -> EpochClock:
    return EpochClock(NOW)


@pytest.fixture
async def lever(clock: EpochClock) -> AsyncIterator[LeverRig]:
    sandbox = LeverSandbox(generate(candidates=60, seed=3, now=NOW), clock=clock, burst=100_000,
                           rate_limit=100_000.0, chaos=Chaos(sleep=clock.sleep), permissions=EVERYTHING)
    async with serve_lever(sandbox, clock) as opened:
        yield opened


def visible(state: LeverState) -> list[Opportunity]:
    return sorted((o for o in state.opportunities.values() if not o.confidential),
                  key=lambda o: (o.created_at, o.id))


async def all_pages(client: httpx.AsyncClient, path: str, params: dict[str, Any] | None = None,
                    limit: int = 7) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every item of a list and every raw page, following `next` as `offset`."""
    items: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    offset = None
    while True:
        query = {**(params or {}), "limit": limit, **({"offset": offset} if offset else {})}
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        items.extend(page["data"])
        if not page["hasNext"]:
            return items, pages
        offset = page["next"]


# -- auth ------------------------------------------------------------------------------------------------


async def test_basic_auth_with_the_key_as_username_is_required(lever: LeverRig) -> None:
    assert (await lever.client.get("/users")).status_code == 200
    async with httpx.AsyncClient(base_url=str(lever.client.base_url)) as anonymous:
        missing = await anonymous.get("/users")
        wrong = await anonymous.get("/users", auth=("not-the-key", ""))
        bearer = await anonymous.get("/users", headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"})
    for response in (missing, wrong, bearer):
        assert response.status_code == 401
        assert response.json()["code"] == "UnauthorizedError"
        assert response.json()["message"]
        assert response.headers["WWW-Authenticate"].startswith("Basic")


async def test_unknown_paths_answer_404_with_lever_error_body(lever: LeverRig) -> None:
    response = await lever.client.get("/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "NotFoundError"
    missing = await lever.client.get("/opportunities/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert set(missing.json()) == {"code", "message"}


# -- permissions -----------------------------------------------------------------------------------------


def _seed_children(state: LeverState) -> dict[str, str]:
    """An opportunity with every kind of child, so each route has something real to address."""
    posting = next(iter(state.postings))
    opp = state.add_opportunity("Probe Person", email="probe@example.com", posting_id=posting, tags=["x"])
    state.update_opportunity(opp.id, stage_id="offer")
    opp.files.append(FileRecord(id=state.new_id(), name="Cover letter.pdf", uploaded_at=opp.created_at, size=0))
    user = state.active_user_ids()[0]
    interview: dict[str, Any] = {"id": state.new_id(), "createdAt": opp.created_at}
    panel: dict[str, Any] = {"id": state.new_id(), "createdAt": opp.created_at, "externallyManaged": True,
                             "interviews": [interview]}
    state.panels[opp.id] = {panel["id"]: panel}
    note: dict[str, Any] = {"id": state.new_id(), "createdAt": opp.created_at}
    state.notes[opp.id] = {note["id"]: note}
    webhook: dict[str, Any] = {"id": state.new_id(), "event": "candidateHired", "url": "https://x.example/h",
                               "createdAt": 1, "configuration": {"signatureToken": "t", "conditions": None}}
    state.webhooks[webhook["id"]] = webhook
    assert opp.application is not None
    return {"opp": opp.id, "applications": opp.application.id, "resumes": opp.resumes[0].id,
            "files": opp.files[0].id, "panels": panel["id"], "interviews": interview["id"], "notes": note["id"],
            "users": user, "stages": next(iter(state.stages)), "archive_reasons": next(iter(state.archive_reasons)),
            "postings": posting, "webhooks": webhook["id"]}


def _concrete(path: str, ids: dict[str, str]) -> str:
    parts = path.strip("/").split("/")
    out = []
    for index, part in enumerate(parts):
        if part == "{opp}":
            out.append(ids["opp"])
        elif part == "{item}":
            out.append(ids[parts[index - 1]])
        else:
            out.append(part)
    return "/" + "/".join(out)


ROUTES = [(route.method, route.path, route.permission)
          for route in LeverSandbox(generate(candidates=1, now=NOW)).routes]
EVERYTHING = frozenset(permission for _, _, permission in ROUTES)


@pytest.mark.parametrize(("method", "path", "permission"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
async def test_every_route_requires_its_permission(clock: EpochClock, method: str, path: str,
                                                   permission: str) -> None:
    state = generate(candidates=4, seed=5, now=NOW)
    url = _concrete(path, _seed_children(state))
    body: dict[str, Any] | None = {} if method in ("POST", "PUT") else None
    sandbox = LeverSandbox(state, permissions=EVERYTHING - {permission}, clock=clock)
    async with serve_lever(sandbox, clock) as lever:
        refused = await lever.client.request(method, url, json=body)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "ForbiddenError"
        assert permission in refused.json()["message"]
        sandbox.permissions = EVERYTHING
        allowed = await lever.client.request(method, url, json=body)
        assert allowed.status_code != 403, allowed.text
        if method == "GET":
            assert allowed.status_code == 200, allowed.text


def test_the_default_key_may_do_everything_and_the_documented_twelve_are_a_subset() -> None:
    route_permissions = {p for _, _, p in ROUTES}
    assert DEFAULT_PERMISSIONS == ALL_PERMISSIONS == route_permissions == EVERYTHING
    assert LeverSandbox(generate(candidates=1, now=NOW)).permissions == route_permissions
    issue_names = {
        "read-opportunity", "read-opportunity-panel", "read-candidate", "list-users", "list-opportunities",
        "list-opportunity-panels", "list-candidates", "create-opportunity-panel", "update-opportunity-panel",
        "delete-opportunity-panel", "create-opportunity-note", "delete-opportunity-note"}
    assert issue_names == DOCUMENTED_PERMISSIONS and route_permissions > DOCUMENTED_PERMISSIONS
    assert route_permissions > OPTIONAL_READ_PERMISSIONS and not OPTIONAL_READ_PERMISSIONS & DOCUMENTED_PERMISSIONS
    assert "create-opportunity" in route_permissions - DOCUMENTED_PERMISSIONS


async def test_a_documented_only_key_reads_opportunities_but_not_the_optional_lists(clock: EpochClock) -> None:
    state = generate(candidates=5, seed=3, now=NOW)
    opp = next(o for o in state.opportunities.values() if not o.confidential)
    sandbox = LeverSandbox(state, clock=clock, permissions=DOCUMENTED_PERMISSIONS)
    async with serve_lever(sandbox, clock) as lever:
        listed = await lever.client.get("/opportunities", params={"expand": ["applications", "stage"]})
        assert listed.status_code == 200 and listed.json()["data"]
        for path in ("/postings", "/stages", "/archive_reasons", f"/opportunities/{opp.id}/resumes",
                     f"/opportunities/{opp.id}/files"):
            refused = await lever.client.get(path)
            assert refused.status_code == 403 and refused.json()["code"] == "ForbiddenError", path


# -- pagination and filters ------------------------------------------------------------------------------


async def test_pagination_follows_opaque_offsets_to_the_end(lever: LeverRig) -> None:
    items, pages = await all_pages(lever.client, "/opportunities", limit=7)
    expected = visible(lever.state)
    assert [item["id"] for item in items] == [o.id for o in expected]
    assert len(pages) == -(-len(expected) // 7)
    assert all(page["hasNext"] and page["next"].startswith("%5B") for page in pages[:-1])
    assert pages[-1]["hasNext"] is False and "next" not in pages[-1]
    token = json.loads(unquote(pages[0]["next"]))
    assert token == [expected[6].created_at, expected[6].id]
    everything, _ = await all_pages(lever.client, "/opportunities", {"confidentiality": "all"}, limit=100)
    assert len(everything) == len(lever.state.opportunities) > len(expected)


async def test_offset_may_come_back_decoded_and_bad_ones_are_refused(lever: LeverRig) -> None:
    first = (await lever.client.get("/opportunities", params={"limit": 5})).json()
    raw = (await lever.client.get("/opportunities", params={"limit": 5, "offset": first["next"]})).json()
    decoded = (await lever.client.get("/opportunities",
                                      params={"limit": 5, "offset": unquote(first["next"])})).json()
    assert [o["id"] for o in raw["data"]] == [o["id"] for o in decoded["data"]]
    assert raw["data"][0]["id"] not in {o["id"] for o in first["data"]}
    for bad in ("garbage", "%5B1%5D", '["x", "y"]'):
        response = await lever.client.get("/opportunities", params={"offset": bad})
        assert response.status_code == 400 and response.json()["code"] == "BadRequestError"
    for limit in ("0", "101", "ten"):
        assert (await lever.client.get("/opportunities", params={"limit": limit})).status_code == 400


async def test_updated_at_filters_are_inclusive_milliseconds(lever: LeverRig) -> None:
    opps = sorted(visible(lever.state), key=lambda o: o.updated_at)
    middle = opps[len(opps) // 2].updated_at
    late, _ = await all_pages(lever.client, "/opportunities", {"updated_at_start": middle}, limit=100)
    early, _ = await all_pages(lever.client, "/opportunities", {"updated_at_end": middle}, limit=100)
    exact, _ = await all_pages(lever.client, "/opportunities",
                               {"updated_at_start": middle, "updated_at_end": middle}, limit=100)
    assert {o["id"] for o in late} == {o.id for o in opps if o.updated_at >= middle}
    assert {o["id"] for o in early} == {o.id for o in opps if o.updated_at <= middle}
    assert {o["id"] for o in exact} == {o.id for o in opps if o.updated_at == middle}
    assert all(isinstance(o["updatedAt"], int) for o in late)
    bad = await lever.client.get("/opportunities", params={"updated_at_start": "2026-01-01"})
    assert bad.status_code == 400


async def test_email_posting_stage_tag_archived_and_contact_filters(lever: LeverRig) -> None:
    state = lever.state
    target = next(o for o in visible(state) if o.application and o.tags)
    contact = state.contact_of(target)
    by_email, _ = await all_pages(lever.client, "/opportunities", {"email": f"  {contact.emails[0].upper()} "})
    assert target.id in {o["id"] for o in by_email}
    assert {o["contact"] for o in by_email} == {contact.id}
    bad = await lever.client.get("/opportunities", params={"email": "not-an-email"})
    assert bad.status_code == 400 and bad.json()["code"] == "BadRequestError"

    assert target.application is not None
    posting = target.application.posting_id
    by_posting, _ = await all_pages(lever.client, "/opportunities", {"posting_id": posting}, limit=100)
    assert {o["id"] for o in by_posting} == {o.id for o in visible(state)
                                            if o.application and o.application.posting_id == posting}
    by_stage, _ = await all_pages(lever.client, "/opportunities", {"stage_id": target.stage_id}, limit=100)
    assert {o["stage"] for o in by_stage} == {target.stage_id}
    by_tag, _ = await all_pages(lever.client, "/opportunities", {"tag": target.tags[0]}, limit=100)
    assert {o["id"] for o in by_tag} == {o.id for o in visible(state) if target.tags[0] in o.tags}
    archived, _ = await all_pages(lever.client, "/opportunities", {"archived": "true"}, limit=100)
    active, _ = await all_pages(lever.client, "/opportunities", {"archived": "false"}, limit=100)
    assert archived and all(o["archived"]["reason"] for o in archived)
    assert all(o["archived"] is None for o in active)
    assert len(archived) + len(active) == len(visible(state))
    two = [*[c for c, opps in state.contact_opportunities.items() if len(opps) > 1][:2], contact.id]
    by_contacts, _ = await all_pages(lever.client, "/opportunities", {"contact_id": two, "confidentiality": "all"})
    assert {o["id"] for o in by_contacts} == {i for c in two for i in state.contact_opportunities[c]}


async def test_expand_replaces_ids_with_objects(lever: LeverRig) -> None:
    target = next(o for o in visible(lever.state) if o.application)
    plain = (await lever.client.get(f"/opportunities/{target.id}")).json()["data"]
    assert plain["stage"] == target.stage_id and plain["applications"] == [target.application.id]  # type: ignore[union-attr]
    expanded = (await lever.client.get(f"/opportunities/{target.id}",
                                       params={"expand": ["applications", "stage", "owner", "contact"]})).json()["data"]
    assert expanded["stage"] == lever.state.stages[target.stage_id]
    assert expanded["applications"][0]["posting"] == target.application.posting_id  # type: ignore[union-attr]
    assert expanded["applications"][0]["opportunityId"] == target.id
    assert expanded["owner"]["id"] == target.owner_id
    assert expanded["contact"]["id"] == target.contact_id and "emails" in expanded["contact"]
    assert expanded["urls"]["show"].endswith(f"/candidates/{target.id}")
    bad = await lever.client.get("/opportunities", params={"expand": "everything"})
    assert bad.status_code == 400


async def test_the_opportunities_list_expands_applications_stage_owner_and_contact(lever: LeverRig) -> None:
    state = lever.state
    expand = ["applications", "stage", "owner", "contact"]
    plain, _ = await all_pages(lever.client, "/opportunities", limit=100)
    expanded, pages = await all_pages(lever.client, "/opportunities", {"expand": expand}, limit=25)
    assert [o["id"] for o in expanded] == [o["id"] for o in plain] and len(pages) > 1
    for row, bare in zip(expanded, plain, strict=True):
        opp = state.opportunities[row["id"]]
        assert isinstance(bare["stage"], str) and isinstance(bare["contact"], str)
        assert row["stage"] == {"id": opp.stage_id, "text": state.stages[opp.stage_id]["text"]}
        assert row["owner"] == state.users[opp.owner_id]  # type: ignore[index]
        assert row["contact"]["id"] == opp.contact_id
        assert row["contact"]["emails"] == state.contact_of(opp).emails == row["emails"]
        if opp.application is None:
            assert row["applications"] == bare["applications"] == []
        else:
            (application,) = row["applications"]
            assert bare["applications"] == [opp.application.id]
            assert application["id"] == opp.application.id and application["opportunityId"] == opp.id
            assert application["posting"] == opp.application.posting_id
            assert application["archived"] == row["archived"]
    only_stage = (await lever.client.get("/opportunities", params={"expand": "stage", "limit": 3})).json()["data"]
    assert all(isinstance(o["stage"], dict) and isinstance(o["contact"], str) for o in only_stage)
    assert all(not o["applications"] or isinstance(o["applications"][0], str) for o in only_stage)


async def test_users_postings_stages_and_archive_reasons(lever: LeverRig) -> None:
    users, _ = await all_pages(lever.client, "/users")
    with_deactivated, _ = await all_pages(lever.client, "/users", {"includeDeactivated": "true"})
    assert len(with_deactivated) == len(lever.state.users) == len(users) + 1
    postings, _ = await all_pages(lever.client, "/postings", limit=100)
    assert {p["state"] for p in postings} >= {"published", "closed", "draft"}
    assert all(p["confidentiality"] == "non-confidential" for p in postings)
    published, _ = await all_pages(lever.client, "/postings", {"state": "published"}, limit=100)
    assert published and {p["state"] for p in published} == {"published"}
    stages, _ = await all_pages(lever.client, "/stages", limit=100)
    assert [s["id"] for s in stages] == list(lever.state.stages)
    assert stages[0] == {"id": "lead-new", "text": "New lead"}
    reasons, _ = await all_pages(lever.client, "/archive_reasons", limit=100)
    assert {r["type"] for r in reasons} == {"hired", "non-hired"}


# -- rate limit and chaos --------------------------------------------------------------------------------


async def test_token_bucket_answers_429_with_retry_after_then_recovers(clock: EpochClock) -> None:
    sandbox = LeverSandbox(generate(candidates=3, now=NOW), clock=clock)
    async with serve_lever(sandbox, clock) as lever:
        statuses = [(await lever.client.get("/stages")).status_code for _ in range(21)]
        assert statuses == [200] * 20 + [429]
        limited = await lever.client.get("/stages")
        assert limited.status_code == 429
        assert limited.json()["code"] == "TooManyRequestsError"
        assert limited.headers["Retry-After"] == "1"
        assert "X-RateLimit-Remaining" not in limited.headers  # Lever documents no such headers
        clock.now += 0.1  # 10 per second: one more token
        assert (await lever.client.get("/stages")).status_code == 200
        assert (await lever.client.get("/stages")).status_code == 429
        clock.now += 5
        assert [(await lever.client.get("/stages")).status_code for _ in range(20)] == [200] * 20


async def test_rate_headers_only_when_asked(clock: EpochClock) -> None:
    sandbox = LeverSandbox(generate(candidates=3, now=NOW), clock=clock, rate_limit_headers=True)
    async with serve_lever(sandbox, clock) as lever:
        response = await lever.client.get("/stages")
        assert response.headers["X-RateLimit-Limit"] == "20"
        assert response.headers["X-RateLimit-Remaining"] == "19"


async def test_chaos_fail_malformed_and_delay(clock: EpochClock) -> None:
    chaos = Chaos(sleep=clock.sleep)
    sandbox = LeverSandbox(generate(candidates=3, now=NOW), clock=clock, chaos=chaos, burst=1000,
                           permissions=EVERYTHING)
    async with serve_lever(sandbox, clock) as lever:
        chaos.fail_next(503, times=2, path="/opportunities", retry_after=3)
        chaos.malformed_next(path="/users")
        chaos.delay_next(12.5, path="/stages")
        assert (await lever.client.get("/stages/lead-new")).status_code == 200  # other paths are untouched
        first, second = await lever.client.get("/opportunities"), await lever.client.get("/opportunities")
        assert first.status_code == second.status_code == 503
        assert first.headers["Retry-After"] == "3" and first.json()["code"] == "ServiceUnavailableError"
        assert (await lever.client.get("/opportunities")).status_code == 200
        malformed = await lever.client.get("/users")
        assert malformed.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            malformed.json()
        assert (await lever.client.get("/stages")).status_code == 200
        assert clock.sleeps == [12.5]
        assert chaos.pending == 0
        assert [what for _, what in chaos.injected] == ["fail:503", "fail:503", "malformed", "delay"]
        assert [r.status for r in sandbox.requests] == [200, 503, 503, 200, 200, 200]  # as answered


async def test_a_late_answer_is_held_only_after_the_write_is_applied(clock: EpochClock) -> None:
    notes_when_held: list[int] = []
    sandbox = LeverSandbox(generate(candidates=3, now=NOW), clock=clock, permissions=EVERYTHING)

    async def hold(seconds: float) -> None:
        notes_when_held.append(len(sandbox.state.notes.get(opp.id, {})))
        await clock.sleep(seconds)

    sandbox.chaos = Chaos(sleep=hold)
    opp = visible(sandbox.state)[0]
    async with serve_lever(sandbox, clock) as lever:
        sandbox.chaos.answer_late_next(45, path=f"/opportunities/{opp.id}/notes")
        created = await lever.client.post(f"/opportunities/{opp.id}/notes", json={"value": "late"})
        again = await lever.client.post(f"/opportunities/{opp.id}/notes", json={"value": "on time"})
    assert created.status_code == again.status_code == 201
    assert notes_when_held == [1]  # the note was saved before its answer was held
    assert clock.sleeps == [45] and [what for _, what in sandbox.chaos.injected] == ["late"]
    assert len(sandbox.state.notes[opp.id]) == 2


async def test_random_chaos_hits_every_request_at_rate_one(clock: EpochClock) -> None:
    chaos = Chaos(random_rate=1.0, seed=4, sleep=clock.sleep, timeout_seconds=35.0)
    sandbox = LeverSandbox(generate(candidates=3, now=NOW), clock=clock, chaos=chaos)
    async with serve_lever(sandbox, clock) as lever:
        outcomes: list[int | str] = []
        for _ in range(40):
            response = await lever.client.get("/stages")
            try:
                response.json()
                outcomes.append(response.status_code)
            except ValueError:
                outcomes.append("malformed")
        assert any(o in (429, 500, 502, 503) for o in outcomes) and "malformed" in outcomes
        assert 35.0 in clock.sleeps  # timeouts are delays, made through the injected sleep
        assert len(chaos.injected) == 40


# -- writes ----------------------------------------------------------------------------------------------


async def test_notes_with_and_without_perform_as(lever: LeverRig) -> None:
    opp = visible(lever.state)[0]
    user = lever.state.active_user_ids()[1]
    created = await lever.client.post(f"/opportunities/{opp.id}/notes", params={"perform_as": user},
                                      json={"value": "Booked from Slack", "secret": False, "notifyFollowers": False})
    assert created.status_code == 201
    note = created.json()["data"]
    assert note["id"] == note["noteId"] and note["user"] == user
    assert note["fields"][0]["value"] == "Booked from Slack" and isinstance(note["createdAt"], int)
    anonymous = (await lever.client.post(f"/opportunities/{opp.id}/notes", json={"value": "x"})).json()["data"]
    assert anonymous["user"] is None
    listed = (await lever.client.get(f"/opportunities/{opp.id}/notes")).json()["data"]
    assert {n["id"] for n in listed} == {note["id"], anonymous["id"]}
    assert (await lever.client.post(f"/opportunities/{opp.id}/notes", json={})).status_code == 400
    bad_user = await lever.client.post(f"/opportunities/{opp.id}/notes", params={"perform_as": "nobody"},
                                       json={"value": "x"})
    assert bad_user.status_code == 400
    assert (await lever.client.delete(f"/opportunities/{opp.id}/notes/{note['id']}")).status_code == 204
    assert (await lever.client.get(f"/opportunities/{opp.id}/notes/{note['id']}")).status_code == 404


def _panel_body(state: LeverState, start: datetime) -> dict[str, Any]:
    interviewer = state.active_user_ids()[2]
    return {"timezone": "Europe/Berlin", "note": "Loop", "externalUrl": "https://bot.example/m/1",
            "feedbackReminder": "daily",
            "interviews": [{"subject": "Tech screen", "date": to_ms(start), "duration": 45,
                            "location": "https://meet.example/abc", "interviewers": [{"id": interviewer}]}]}


async def test_panel_create_update_delete(lever: LeverRig) -> None:
    opp = next(o for o in visible(lever.state) if o.application)
    actor = lever.state.active_user_ids()[0]
    start = NOW + timedelta(days=2)
    url = f"/opportunities/{opp.id}/panels"
    missing_actor = await lever.client.post(url, json=_panel_body(lever.state, start))
    assert missing_actor.status_code == 400 and "perform_as" in missing_actor.json()["message"]
    created = await lever.client.post(url, params={"perform_as": actor}, json=_panel_body(lever.state, start))
    assert created.status_code == 201
    panel = created.json()["data"]
    assert panel["externallyManaged"] is True and panel["user"] == actor
    assert panel["start"] == to_ms(start) and panel["end"] == to_ms(start + timedelta(minutes=45))
    assert panel["interviews"][0]["interviewers"][0]["email"].endswith("@example-corp.com")

    moved = _panel_body(lever.state, start + timedelta(days=1))
    updated = await lever.client.put(f"{url}/{panel['id']}", params={"perform_as": actor}, json=moved)
    assert updated.status_code == 200 and updated.json()["data"]["start"] == to_ms(start + timedelta(days=1))
    assert updated.json()["data"]["id"] == panel["id"]
    interviews = (await lever.client.get(f"/opportunities/{opp.id}/interviews")).json()["data"]
    assert len(interviews) == 1 and interviews[0]["panel"] == panel["id"]

    assert (await lever.client.delete(f"{url}/{panel['id']}", params={"perform_as": actor})).status_code == 204
    assert (await lever.client.get(f"{url}/{panel['id']}")).status_code == 404


async def test_panel_validation_and_ui_panels_are_read_only(lever: LeverRig) -> None:
    opp = visible(lever.state)[0]
    actor = lever.state.active_user_ids()[0]
    url = f"/opportunities/{opp.id}/panels"
    body = _panel_body(lever.state, NOW)
    for broken in ({**body, "interviews": []},
                   {**body, "interviews": [{**body["interviews"][0], "interviewers": []}]},
                   {**body, "interviews": [{**body["interviews"][0], "duration": None}]},
                   {**body, "timezone": "Mars/Olympus"}, {**body, "feedbackReminder": "hourly"}):
        response = await lever.client.post(url, params={"perform_as": actor}, json=broken)
        assert response.status_code == 400, broken
    deactivated = next(u for u in lever.state.users.values() if u["deactivatedAt"] is not None)
    gone = {**body, "interviews": [{**body["interviews"][0], "interviewers": [{"id": deactivated["id"]}]}]}
    assert (await lever.client.post(url, params={"perform_as": actor}, json=gone)).status_code == 400
    lever.state.panels[opp.id] = {"ui": {"id": "ui", "createdAt": 1, "externallyManaged": False, "interviews": []}}
    assert (await lever.client.put(f"{url}/ui", params={"perform_as": actor}, json=body)).status_code == 400
    assert (await lever.client.delete(f"{url}/ui")).status_code == 400


async def test_notes_and_panels_page_like_every_list_and_a_panel_keeps_its_note(lever: LeverRig) -> None:
    opp = next(o for o in visible(lever.state) if o.application)
    actor = lever.state.active_user_ids()[0]
    made = []
    for number in range(9):
        made.append(lever.sandbox.add_note(opp.id, f"note {number}")["id"])
        lever.clock.advance(1)
    notes, pages = await all_pages(lever.client, f"/opportunities/{opp.id}/notes", limit=4)
    assert [n["id"] for n in notes] == made and len(pages) == 3
    assert pages[0]["hasNext"] and pages[0]["next"] and "next" not in pages[-1]

    url = f"/opportunities/{opp.id}/panels"
    note = "Bring a laptop.\n\n[hirebot:abc@hirebot]"
    for number in range(5):
        body = {**_panel_body(lever.state, NOW + timedelta(days=number)), "note": note, "externalUrl": None}
        assert (await lever.client.post(url, params={"perform_as": actor}, json=body)).status_code == 201
        lever.clock.advance(1)
    panels, pages = await all_pages(lever.client, url, limit=2)
    assert len(panels) == 5 and len(pages) == 3
    assert [p["start"] for p in panels] == [to_ms(NOW + timedelta(days=n)) for n in range(5)]
    assert all(p["note"] == note and p["externalUrl"] is None for p in panels)
    bad = await lever.client.post(url, params={"perform_as": actor}, json={**_panel_body(lever.state, NOW),
                                                                             "note": 5})
    assert bad.status_code == 400 and "note" in bad.json()["message"]


async def test_create_opportunity_json_and_dedupe_by_email(clock: EpochClock) -> None:
    sandbox = LeverSandbox(generate(candidates=10, seed=3, now=NOW), clock=clock, permissions=EVERYTHING)
    async with serve_lever(sandbox, clock) as lever:
        state = lever.state
        actor, posting = state.active_user_ids()[0], next(iter(state.postings))
        body = {"name": "Ada Lovelace", "headline": "Analytical Engines", "emails": ["ada@example.com"],
                "phones": [{"value": "+44 20 0000", "type": "mobile"}], "links": ["https://linkedin.com/in/ada"],
                "tags": ["Slack sourced", "Python"], "sources": ["Referral bot"], "origin": "sourced",
                "postings": [posting]}
        assert (await lever.client.post("/opportunities", json=body)).status_code == 400  # perform_as required
        created = await lever.client.post("/opportunities", params={"perform_as": actor}, json=body)
        assert created.status_code == 201
        opp = created.json()["data"]
        assert opp["tags"] == ["Slack sourced", "Python"] and opp["sources"] == ["Referral bot"]
        assert opp["links"] == ["https://linkedin.com/in/ada"] and opp["owner"] == actor
        assert opp["phones"] == [{"type": "mobile", "value": "+44 20 0000"}]
        assert opp["stage"] == "applicant-new" and len(opp["applications"]) == 1
        again = await lever.client.post("/opportunities", params={"perform_as": actor},
                                        json={"name": "Ada L.", "emails": ["ADA@example.com"]})
        assert again.json()["data"]["contact"] == opp["contact"]
        assert again.json()["data"]["name"] == "Ada Lovelace"  # the existing contact's details win
        for broken in ({**body, "origin": "magic"}, {**body, "postings": ["nope"]}, {"headline": "nobody"}):
            assert (await lever.client.post("/opportunities", params={"perform_as": actor},
                                            json=broken)).status_code == 400


async def test_create_opportunity_multipart_with_resume(clock: EpochClock) -> None:
    sandbox = LeverSandbox(generate(candidates=5, seed=3, now=NOW), clock=clock, permissions=EVERYTHING)
    async with serve_lever(sandbox, clock) as lever:
        actor = lever.state.active_user_ids()[0]
        pdf = minimal_pdf("Grace Hopper", ["grace@navy.example"])
        response = await lever.client.post(
            "/opportunities", params={"perform_as": actor, "parse": "true"},
            data={"name": "Grace Hopper", "tags": ["COBOL", "Navy"], "links": ["https://www.linkedin.com/in/grace"],
                  "phones[0][type]": "work", "phones[0][value]": "+1 555 0101"},
            files={"resumeFile": ("grace.pdf", pdf, "application/pdf")})
        assert response.status_code == 201, response.text
        opp = response.json()["data"]
        assert opp["tags"] == ["COBOL", "Navy"] and opp["emails"] == ["grace@navy.example"]
        assert opp["phones"] == [{"type": "work", "value": "+1 555 0101"}]
        resumes = (await lever.client.get(f"/opportunities/{opp['id']}/resumes")).json()["data"]
        assert resumes[0]["file"]["name"] == "grace.pdf" and resumes[0]["file"]["size"] == len(pdf)
        download = await lever.client.get(resumes[0]["file"]["downloadUrl"])
        assert download.content == pdf and download.headers["content-type"] == "application/pdf"


async def test_resume_and_file_downloads_are_real_pdfs(clock: EpochClock) -> None:
    sandbox = LeverSandbox(generate(candidates=30, seed=3, now=NOW), clock=clock, permissions=EVERYTHING)
    async with serve_lever(sandbox, clock) as lever:
        opp = next(o for o in visible(lever.state) if o.resumes and o.files)
        resume = (await lever.client.get(f"/opportunities/{opp.id}/resumes")).json()["data"][0]
        assert resume["parsedData"]["positions"] and resume["file"]["ext"] == ".pdf"
        content = (await lever.client.get(resume["file"]["downloadUrl"])).content
        assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
        assert len(content) == resume["file"]["size"]
        item = (await lever.client.get(f"/opportunities/{opp.id}/files")).json()["data"][0]
        assert (await lever.client.get(item["downloadUrl"])).content.startswith(b"%PDF")


# -- state helpers ---------------------------------------------------------------------------------------


async def test_mutations_bump_updated_at_archive_and_delete(lever: LeverRig, clock: EpochClock) -> None:
    state = lever.state
    opp = next(o for o in visible(state) if o.archived_reason is None and o.application)
    later = NOW + timedelta(hours=1)
    state.update_opportunity(opp.id, name="Renamed Person", now=later)
    changed, _ = await all_pages(lever.client, "/opportunities", {"updated_at_start": to_ms(later)})
    assert [o["id"] for o in changed if o["id"] == opp.id] and changed[0]["name"] == "Renamed Person"

    state.archive_opportunity(opp.id, hired=True, now=later)
    data = (await lever.client.get(f"/opportunities/{opp.id}")).json()["data"]
    assert state.archive_reasons[data["archived"]["reason"]]["type"] == "hired"
    assert data["archived"]["archivedAt"] == to_ms(later) and data["stage"] == "offer"
    other = next(o for o in visible(state) if o.archived_reason is None and o.id != opp.id)
    state.archive_opportunity(other.id, now=later)
    assert state.archive_reasons[other.archived_reason or ""]["type"] == "non-hired"

    clock.now = (later + timedelta(minutes=5)).timestamp()
    lever.sandbox.permissions = EVERYTHING
    single = next(c for c, opps in state.contact_opportunities.items() if len(opps) == 1)
    gone = state.contact_opportunities[single][0]
    state.delete_opportunity(gone)
    assert (await lever.client.get(f"/opportunities/{gone}")).status_code == 404
    assert single not in state.contacts
    deleted = (await lever.client.get("/opportunities/deleted")).json()["data"]
    assert {"id": gone, "deletedAt": int(clock.now * 1000)} in deleted


# -- webhooks --------------------------------------------------------------------------------------------


async def test_webhooks_are_signed_over_token_and_triggered_at(lever: LeverRig) -> None:
    received: list[bytes] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(status=200)

    receiver = web.Application()
    receiver.router.add_post("/hook", hook)
    async with TestServer(receiver, host="127.0.0.1") as server:
        url = str(server.make_url("/hook"))
        opp = visible(lever.state)[0]
        status = await lever.sandbox.deliver_webhook(url, "candidateStageChange",
                                                     lever.sandbox.event_data("candidateStageChange", opp.id),
                                                     "whsec-1")
        registered = lever.sandbox.add_webhook("candidateHired", url, signature_token="whsec-2")
        statuses = await lever.sandbox.emit("candidateHired", opp.id)
        await lever.sandbox.emit("candidateDeleted", opp.id)  # no webhook for it: nothing sent
    assert status == 200 and statuses == [200] and len(received) == 2
    for raw, secret in zip(received, ("whsec-1", registered["configuration"]["signatureToken"]), strict=True):
        payload = json.loads(raw)
        expected = hmac.new(secret.encode(), f"{payload['token']}{payload['triggeredAt']}".encode(),
                            hashlib.sha256).hexdigest()
        assert payload["signature"] == expected
        assert isinstance(payload["triggeredAt"], int)
        assert payload["data"]["opportunityId"] == opp.id and payload["data"]["contactId"] == opp.contact_id
    first = json.loads(received[0])
    assert first["event"] == "candidateStageChange" and first["data"]["toStageId"] == opp.stage_id


async def test_webhook_api_create_list_delete(lever: LeverRig) -> None:
    lever.sandbox.permissions = EVERYTHING
    created = await lever.client.post("/webhooks", json={"event": "candidateStageChange",
                                                         "url": "https://bot.example/webhooks/lever/1",
                                                         "configuration": {"conditions": {"origins": ["applied"]}}})
    assert created.status_code == 201
    hook = created.json()["data"]
    assert len(hook["configuration"]["signatureToken"]) >= 32
    assert hook["configuration"]["conditions"] == {"origins": ["applied"]}
    assert (await lever.client.post("/webhooks", json={"event": "x", "url": "https://a"})).status_code == 400
    assert (await lever.client.post("/webhooks", json={"event": "candidateHired",
                                                       "url": "http://plain.example"})).status_code == 400
    listed = (await lever.client.get("/webhooks")).json()["data"]
    assert [w["id"] for w in listed] == [hook["id"]]
    assert (await lever.client.delete(f"/webhooks/{hook['id']}")).status_code == 204


# -- the roster ------------------------------------------------------------------------------------------


def test_roster_is_deterministic_and_varied() -> None:
    one, two = generate(seed=11, candidates=400, now=NOW), generate(seed=11, candidates=400, now=NOW)
    assert list(one.opportunities) == list(two.opportunities)
    assert [c.name for c in one.contacts.values()] == [c.name for c in two.contacts.values()]
    assert list(generate(seed=12, candidates=50, now=NOW).opportunities) != list(one.opportunities)[:50]
    names = [c.name for c in one.contacts.values()]
    assert len(names) != len(set(names))  # at least one full name shared by two people
    assert any(any(ch in name for ch in "éøłćüõ") for name in names)
    assert any("'" in name for name in names) and any("-" in name for name in names)
    assert {"John Smith", "Jon Smyth"} <= set(names)
    opps = list(one.opportunities.values())
    assert any(len(ids) > 1 for ids in one.contact_opportunities.values())
    assert any(o.application is None and o.stage_id.startswith("lead-") for o in opps)
    kinds = {one.archive_reasons[o.archived_reason]["type"] for o in opps if o.archived_reason}
    assert kinds == {"hired", "non-hired"}
    assert any(o.confidential for o in opps)
    assert all(o.updated_at >= o.created_at for o in opps)
    assert all(o.created_at <= to_ms(NOW) for o in opps)
    assert sum(bool(o.resumes) for o in opps) > len(opps) * 0.7
    assert any(f.name.startswith("Cover letter") for o in opps for f in o.files)
    links = [link for c in one.contacts.values() for link in c.links]
    assert sum("linkedin.com/in/" in link for link in links) > len(one.contacts) / 2


def test_generator_scales_to_thousands_quickly() -> None:
    state = generate(seed=2, candidates=5000, now=NOW)
    assert len(state.opportunities) == 5000  # candidates are opportunities, as Lever's UI counts them
    assert 4000 < len(state.contacts) < 5000
    assert len(state.email_index) >= len(state.contacts)


async def test_stage_archive_tag_link_and_file_edits(lever: LeverRig) -> None:
    state = lever.state
    opp = next(o for o in visible(state) if o.archived_reason is None and o.application)
    url = f"/opportunities/{opp.id}"
    moved = (await lever.client.put(f"{url}/stage", json={"stage": "offer"})).json()["data"]
    assert moved["stage"] == "offer" and moved["stageChanges"][-1]["toStageId"] == "offer"
    assert (await lever.client.put(f"{url}/stage", json={"stage": "nowhere"})).status_code == 400
    hired = state.hired_reason_id()
    archived = (await lever.client.put(f"{url}/archived", json={"reason": hired})).json()["data"]
    assert archived["archived"]["reason"] == hired and isinstance(archived["archived"]["archivedAt"], int)
    assert (await lever.client.put(f"{url}/archived", json={"reason": None})).json()["data"]["archived"] is None
    tagged = (await lever.client.post(f"{url}/addTags", json={"tags": ["Shortlist"]})).json()["data"]
    assert "Shortlist" in tagged["tags"]
    untagged = (await lever.client.post(f"{url}/removeTags", json={"tags": ["Shortlist"]})).json()["data"]
    assert "Shortlist" not in untagged["tags"]
    linked = (await lever.client.post(f"{url}/addLinks", json={"links": ["https://ada.dev"]})).json()["data"]
    assert "https://ada.dev" in linked["links"] and "https://ada.dev" in state.contact_of(opp).links
    assert (await lever.client.post(f"{url}/addSources", json={"sources": "x"})).status_code == 400

    counts = {t["text"]: t["count"] for t in (await lever.client.get("/tags")).json()["data"]}
    assert counts == {tag: sum(tag in o.tags for o in state.opportunities.values())
                      for tag in {t for o in state.opportunities.values() for t in o.tags}}

    actor = state.active_user_ids()[0]
    uploaded = await lever.client.post(f"{url}/files", params={"perform_as": actor},
                                       files={"file": ("notes.txt", b"hello", "text/plain")})
    assert uploaded.status_code == 201
    item = uploaded.json()["data"]
    assert (item["name"], item["ext"], item["size"]) == ("notes.txt", ".txt", 5)
    assert (await lever.client.get(item["downloadUrl"])).content == b"hello"
    assert (await lever.client.delete(f"{url}/files/{item['id']}")).status_code == 204
    assert (await lever.client.get(f"{url}/files/{item['id']}")).status_code == 404
    legacy = (await lever.client.get(f"/candidates/{opp.id}")).json()["data"]
    assert legacy["id"] == opp.id and legacy["contact"] == opp.contact_id
