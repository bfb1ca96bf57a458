"""The Greenhouse adapter against the Harvest v3 sandbox over real HTTP on loopback, with time injected."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

from adapters.base import Capability, ConnectionConfig
from adapters.errors import AtsError, AuthError, ConfigError, MalformedResponse
from adapters.greenhouse import GreenhouseAdapter
from adapters.models import ApplicationStatus, AttachmentType, CandidateBatch
from adapters.registry import adapter_for, all_adapters
from adapters.sandbox.greenhouse import (
    ALL_SCOPES,
)
from adapters.sandbox.greenhouse_dataset import generate
from tests.rigs.greenhouse_sandbox import NOW, Rig, start_rig, stop_rig


@pytest.fixture
def rig(greenhouse_rig: Rig) -> Rig:
    """The Greenhouse sandbox rig (tests/rigs/greenhouse_sandbox.py), by the name these tests use."""
    return greenhouse_rig


@pytest.fixture
async def big_rig() -> AsyncIterator[Rig]:
    """More than two pages of candidates (500 per page), with Greenhouse's real rate limit."""
    running, server = await start_rig(generate(seed=11, candidates=1_100, now=NOW), rate_limit=75)
    yield running
    await stop_rig(running, server)


async def collect(adapter: GreenhouseAdapter, since: datetime | None = None) -> list[CandidateBatch]:
    return [batch async for batch in adapter.candidate_batches(updated_since=since)]


# ----- auth -------------------------------------------------------------------------------------------


async def test_token_is_requested_once_and_reused(rig: Rig) -> None:
    admin = next(uid for uid, user in rig.state.users.items() if user["site_admin"] and user["primary_email"])
    adapter = rig.adapter(user_id=admin)
    await adapter.validate()
    await adapter.list_jobs()
    assert rig.sandbox.tokens_issued == 1
    [token_call] = rig.calls("/token")
    assert token_call.form == {"grant_type": "client_credentials", "sub": str(admin)}
    assert token_call.headers["Authorization"].startswith("Basic ")
    api_calls = [r for r in rig.sandbox.requests if r.path.startswith("/v3/")]
    assert api_calls and all(r.headers["Authorization"].startswith("Bearer ") for r in api_calls)


async def test_concurrent_callers_share_one_token_request(rig: Rig) -> None:
    adapter = rig.adapter()
    await asyncio.gather(adapter.list_jobs(), adapter.list_users(), adapter.list_stages())
    assert rig.sandbox.tokens_issued == 1


async def test_token_is_renewed_a_minute_before_it_expires(rig: Rig) -> None:
    adapter = rig.adapter()
    await adapter.list_users()
    rig.time.advance(3600 - 59)  # inside the last minute of the token's hour
    await adapter.list_users()
    assert rig.sandbox.tokens_issued == 2
    assert all(r.status != 401 for r in rig.sandbox.requests)


async def test_a_401_gets_one_new_token_and_one_retry(rig: Rig) -> None:
    adapter = rig.adapter()
    await adapter.validate()
    rig.sandbox.chaos.fail_next(401, path="/v3/jobs")
    jobs = await adapter.list_jobs()
    assert jobs
    assert rig.sandbox.tokens_issued == 2
    assert [r.status for r in rig.calls("/v3/jobs")] == [401, 200]


async def test_a_401_after_a_fresh_token_is_an_auth_error(rig: Rig) -> None:
    adapter = rig.adapter()
    rig.sandbox.chaos.fail_next(401, times=2, path="/v3/users")
    with pytest.raises(AuthError) as caught:
        await adapter.list_users()
    assert str(caught.value).startswith("Greenhouse refused the credentials: check the client id/secret")
    assert rig.sandbox.tokens_issued == 2


async def test_wrong_secret_is_explained_without_repeating_it(rig: Rig) -> None:
    secret = "not-the-right-secret-123"
    with pytest.raises(AuthError) as caught:
        await rig.adapter(secret=secret).validate()
    message = str(caught.value)
    assert message.startswith("Greenhouse refused the credentials: check the client id/secret and the "
                              "credential's scopes")
    assert "Client authentication failed" in message
    assert secret not in message
    assert len(rig.calls("/token")) == 1  # a refused secret is not tried again


async def test_acting_user_without_site_admin_is_explained(rig: Rig) -> None:
    recruiter = next(uid for uid, user in rig.state.users.items()
                     if not user["site_admin"] and not user["deactivated"])
    with pytest.raises(AuthError) as caught:
        await rig.adapter(user_id=recruiter).validate()
    assert "Site Admin" in str(caught.value)
    assert caught.value.status == 403


async def test_a_missing_scope_names_the_scope() -> None:
    state = generate(seed=7, candidates=20, now=NOW)
    rig, server = await start_rig(state, scopes=ALL_SCOPES - {"harvest:attachments:list"})
    try:
        with pytest.raises(AuthError) as caught:
            await collect(rig.adapter())
    finally:
        await stop_rig(rig, server)
    assert "harvest:attachments:list" in str(caught.value)
    assert caught.value.status == 403
    assert rig.sandbox.tokens_issued == 1  # a 403 is not a reason to fetch another token


async def test_missing_credentials_are_a_config_error() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(ConfigError, match="client id and client secret"):
            GreenhouseAdapter(ConnectionConfig("https://harvest.greenhouse.io", {"client_id": "x"}), client)


# ----- reading --------------------------------------------------------------------------------------------


async def test_full_listing_pages_by_cursor_and_batches_children(big_rig: Rig) -> None:
    batches = await collect(big_rig.adapter())
    candidates = [c for batch in batches for c in batch.candidates]
    assert len(candidates) == 1_100
    assert len({c.remote_id for c in candidates}) == 1_100
    assert [len(batch.candidates) for batch in batches] == [500, 500, 100]

    listing = big_rig.calls("/v3/candidates")
    assert len(listing) == 3
    assert listing[0].query == {"per_page": "500"}
    # Follow-ups send the cursor alone, exactly as the Link header gave it.
    assert all(set(call.query) == {"cursor"} for call in listing[1:])

    children = big_rig.calls("/v3/applications") + big_rig.calls("/v3/attachments")
    assert all(len(call.query["candidate_ids"].split(",")) <= 50 for call in children)
    assert len(children) == 2 * math.ceil(500 / 50) * 2 + 2 * math.ceil(100 / 50)
    assert sum(batch.requests for batch in batches) == len(listing) + len(children) + 1  # + the token

    applications = [a for batch in batches for a in batch.applications]
    expected = [a for a in big_rig.state.applications.values() if a["status"] != "converted"]
    assert len(applications) == len(expected)
    attachments = [a for batch in batches for a in batch.attachments]
    assert len(attachments) == len(big_rig.state.attachments)


async def test_a_rate_limited_sync_slows_down_instead_of_hitting_429() -> None:
    rig, server = await start_rig(generate(seed=11, candidates=1_100, now=NOW), rate_limit=20)
    try:
        await collect(rig.adapter())
    finally:
        await stop_rig(rig, server)
    api_calls = [r for r in rig.sandbox.requests if r.path.startswith("/v3/")]
    assert len(api_calls) > 2 * 20  # three 30-second windows' worth
    assert all(r.status == 200 for r in api_calls)
    assert len(rig.time.sleeps) == 2  # it waited for the window to turn over instead
    assert all(0 < wait <= 31 for wait in rig.time.sleeps)


async def test_candidates_are_mapped_with_contacts_links_and_deep_link(rig: Rig) -> None:
    row = next(r for r in rig.state.candidates.values()
               if r["email_addresses"] and r["phone_numbers"] and r["social_media_addresses"])
    batch = await rig.adapter().fetch_candidates([str(row["id"])])
    [candidate] = batch.candidates
    assert candidate.first_name == row["first_name"] and candidate.last_name == row["last_name"]
    assert [e.value for e in candidate.emails] == [e["value"] for e in row["email_addresses"]]
    assert candidate.emails[0].type == row["email_addresses"][0]["type"]
    assert [p.value for p in candidate.phones] == [p["value"] for p in row["phone_numbers"]]
    links = [link.value for link in candidate.links]
    assert all(s["value"] in links for s in row["social_media_addresses"] + row["website_addresses"])
    assert candidate.tags == tuple(row["tags"])
    assert candidate.url == f"https://app3.greenhouse.io/people/{row['id']}"
    assert candidate.updated_at is not None and candidate.updated_at.tzinfo is not None
    apps = [a for a in rig.state.applications.values() if a["candidate_id"] == row["id"]]
    assert {a.remote_id for a in batch.applications} == {str(a["id"]) for a in apps if a["status"] != "converted"}


async def test_application_status_stage_and_job_are_mapped(rig: Rig) -> None:
    rows = list(rig.state.applications.values())
    active = next(a for a in rows if a["status"] == "in_process" and a["stage_id"] and a["job_id"])
    rejected = next(a for a in rows if a["status"] == "rejected")
    batch = await rig.adapter().fetch_candidates([str(active["candidate_id"]), str(rejected["candidate_id"])])
    by_id = {a.remote_id: a for a in batch.applications}
    mapped = by_id[str(active["id"])]
    assert mapped.status is ApplicationStatus.ACTIVE
    assert mapped.stage_remote_id == str(active["stage_id"]) and mapped.stage_name == active["stage_name"]
    assert mapped.job_remote_id == str(active["job_id"])
    assert by_id[str(rejected["id"])].status is ApplicationStatus.REJECTED
    assert by_id[str(rejected["id"])].rejected_at is not None


async def test_attachments_are_typed_and_linked(rig: Rig) -> None:
    row = next(a for a in rig.state.attachments.values() if a["type"] == "resume")
    batch = await rig.adapter().fetch_candidates([str(row["candidate_id"])])
    resume = next(a for a in batch.attachments if a.remote_id == str(row["id"]))
    assert resume.type is AttachmentType.RESUME
    assert resume.filename == row["filename"]
    assert resume.url.startswith(rig.url + "/files/")
    assert (await rig.client.get(resume.url)).status_code == 200


async def test_odd_payloads_do_not_break_mapping(rig: Rig) -> None:
    row = next(iter(rig.state.candidates.values()))
    row.update({"first_name": None, "last_name": "Ørsted-Nguyễn 🙂", "title": "x" * 100_000, "company": None,
                "email_addresses": None, "phone_numbers": [{"value": None, "type": "mobile"}, "not an object"],
                "website_addresses": [{"value": "https://example.com/ü", "type": None}],
                "social_media_addresses": [{}], "tags": [None, "Python", "Python", {"name": "Go"}],
                "created_at": "not a date", "updated_at": None})
    rig.state.touch()
    batch = await rig.adapter().fetch_candidates([str(row["id"])])
    [candidate] = batch.candidates
    assert candidate.first_name == "" and candidate.last_name == "Ørsted-Nguyễn 🙂"
    assert len(candidate.title or "") == 100_000
    assert candidate.emails == ()
    assert [phone.value for phone in candidate.phones] == ["not an object"]  # a bare string is a value
    assert [link.value for link in candidate.links] == ["https://example.com/ü"]
    assert candidate.tags == ("Python", "Go")
    assert candidate.created_at is None and candidate.updated_at is None


async def test_unknown_ids_are_simply_not_returned(rig: Rig) -> None:
    known = str(next(iter(rig.state.candidates)))
    batch = await rig.adapter().fetch_candidates([known, "999999999", "not-a-number", known])
    assert [c.remote_id for c in batch.candidates] == [known]


async def test_jobs_stages_and_users(rig: Rig) -> None:
    adapter = rig.adapter()
    jobs = {job.remote_id: job for job in await adapter.list_jobs()}
    assert set(jobs) == {str(i) for i in rig.state.jobs}
    managed = next(iter(rig.state.job_hiring_managers.values()))
    assert str(managed["user_id"]) in jobs[str(managed["job_id"])].hiring_manager_ids

    stages = {stage.remote_id: stage for stage in await adapter.list_stages()}
    assert set(stages) == {str(i) for i in rig.state.job_interview_stages}
    step = next(iter(rig.state.job_interviews.values()))
    interviews = stages[str(step["job_interview_stage_id"])].interviews
    assert str(step["id"]) in {interview.remote_id for interview in interviews}

    users = {user.remote_id: user for user in await adapter.list_users()}
    person = next(u for u in rig.state.users.values() if len(u["emails"]) > 1 and u["id"] in
                  {int(uid) for uid in users})
    mapped = users[str(person["id"])]
    assert mapped.email == person["primary_email"]
    assert set(mapped.emails) == set(person["emails"])
    assert mapped.name == person["name"]
    assert adapter.candidate_url("42") == "https://app3.greenhouse.io/people/42"


# ----- incremental ------------------------------------------------------------------------------------------


async def test_incremental_catches_profile_and_application_only_changes(rig: Rig) -> None:
    adapter = rig.adapter()
    await collect(adapter)
    since = rig.time.moment()
    rig.time.advance(120)
    later = rig.time.moment()
    rows = list(rig.state.candidates.values())
    edited, quiet = rows[3], rows[10]
    rig.state.update_candidate(edited["id"], title="Principal Engineer", now=later)
    app = next(a for a in rig.state.applications.values()
               if a["candidate_id"] == quiet["id"] and a["status"] == "in_process")
    rig.state.set_application_status(app["id"], "rejected", now=later)
    assert quiet["updated_at"] < since.isoformat()  # the candidate itself did not move

    batches = await collect(adapter, since)
    changed = {c.remote_id: c for batch in batches for c in batch.candidates}
    assert set(changed) == {str(edited["id"]), str(quiet["id"])}
    assert changed[str(edited["id"])].title == "Principal Engineer"
    statuses = {a.remote_id: a.status for batch in batches for a in batch.applications}
    assert statuses[str(app["id"])] is ApplicationStatus.REJECTED
    updated_filter = [call.query.get("updated_at") for call in rig.calls("/v3/candidates")
                      if "updated_at" in call.query]
    assert updated_filter == [f"gte|{since.strftime('%Y-%m-%dT%H:%M:%SZ')}"]


# ----- failures ----------------------------------------------------------------------------------------------


async def test_429_and_5xx_are_retried_with_the_servers_wait(rig: Rig) -> None:
    rig.sandbox.chaos.fail_next(429, path="/v3/candidates", retry_after=7)
    rig.sandbox.chaos.fail_next(503, times=2, path="/v3/applications")
    batches = await collect(rig.adapter())
    assert sum(len(batch.candidates) for batch in batches) == 120
    assert 7.0 in rig.time.sleeps
    assert [r.status for r in rig.calls("/v3/applications")][:3] == [503, 503, 200]


async def test_5xx_that_does_not_stop_is_reported_plainly(rig: Rig) -> None:
    rig.sandbox.chaos.fail_next(502, times=5, path="/v3/attachments")
    with pytest.raises(AtsError) as caught:
        await collect(rig.adapter())
    assert str(caught.value) == "Greenhouse kept answering 502 after 5 attempts."
    assert caught.value.retryable


async def test_truncated_page_is_read_again_and_persistent_garbage_fails(rig: Rig) -> None:
    rig.sandbox.chaos.malformed_next(path="/v3/candidates")
    assert sum(len(b.candidates) for b in await collect(rig.adapter())) == 120
    rig.sandbox.chaos.malformed_next(times=5, path="/v3/jobs")
    with pytest.raises(MalformedResponse):
        await rig.adapter().list_jobs()


async def test_a_page_that_is_not_a_list_is_malformed(rig: Rig) -> None:
    rig.sandbox.chaos.fail_next(200, path="/v3/candidates", body=b'{"candidates": []}')
    with pytest.raises(MalformedResponse, match="expected a list"):
        await collect(rig.adapter())


# ----- registry ------------------------------------------------------------------------------------------------


async def test_registry_builds_adapters_by_provider_name() -> None:
    config = ConnectionConfig("https://harvest.greenhouse.io", {"client_id": "a", "client_secret": "b"})
    async with httpx.AsyncClient() as client:
        adapter = adapter_for(" Greenhouse ", config, client)
        assert isinstance(adapter, GreenhouseAdapter)
        assert adapter.supports(Capability.INCREMENTAL_SYNC) and adapter.supports(Capability.WRITE_NOTES)
        assert all_adapters()["greenhouse"] is GreenhouseAdapter
        with pytest.raises(ConfigError, match=r"Known providers: .*greenhouse"):
            adapter_for("taleo", config, client)


async def test_base_url_may_include_the_version() -> None:
    config = ConnectionConfig("https://harvest.greenhouse.io/v3/", {"client_id": "a", "client_secret": "b"})
    async with httpx.AsyncClient() as client:
        assert GreenhouseAdapter(config, client).base_url == "https://harvest.greenhouse.io"

