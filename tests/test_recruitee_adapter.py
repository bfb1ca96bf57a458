"""What only Recruitee does, against its fake over loopback: the Bearer token and company-scoped paths,
offset paging with `limit` always sent, `references[]` resolved into stage and job names, hired and
disqualified placements with their dates, the search filter for incremental sync, pacing that stays under
the limit, refusals that say what is wrong, HTML notes, and the CV sent by `remote_cv_url`."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.base import ConnectionConfig
from adapters.errors import AtsError, AuthError, MalformedResponse
from adapters.http import RetryPolicy
from adapters.models import ApplicationStatus, AttachmentType, Candidate, ContactValue, Note
from adapters.recruitee import RecruiteeAdapter, RequestPacer, creation_body
from adapters.sandbox.recruitee import Chaos, RecruiteeSandbox
from adapters.sandbox.recruitee_dataset import RecruiteeState, generate
from tests.clocks import EpochClock

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
RETRY = RetryPolicy(max_attempts=3, max_delay=4.0)


class World:
    """A Recruitee fake on loopback and adapters pointed at it, on one fake clock."""

    def __init__(self, sandbox: RecruiteeSandbox, root: str, client: httpx.AsyncClient, clock: EpochClock) -> None:
        self.sandbox = sandbox
        self.root = root
        self.client = client
        self.clock = clock

    @property
    def state(self) -> RecruiteeState:
        return self.sandbox.state

    @property
    def base_url(self) -> str:
        return f"{self.root}/c/{self.state.company_id}"

    def adapter(self, *, token: str | None = None, base_url: str | None = None, company: str | None = None,
                pacer: RequestPacer | None = None) -> RecruiteeAdapter:
        config = ConnectionConfig(base_url=base_url or self.base_url,
                                  credentials={"token": token or self.sandbox.token},
                                  settings={"company_id": company or str(self.state.company_id)})
        return RecruiteeAdapter(config, self.client, policy=RETRY, sleep=self.clock.sleep, clock=self.clock,
                                rng=random.Random(1), pacer=pacer)

    def api_requests(self, path: str) -> list:
        return [r for r in self.sandbox.requests if r.path == f"/c/{self.state.company_id}{path}"]


@pytest.fixture
async def world() -> AsyncIterator[World]:
    clock = EpochClock(NOW + timedelta(days=1))
    sandbox = RecruiteeSandbox(generate(seed=5, candidates=250, now=NOW), clock=clock,
                               chaos=Chaos(sleep=clock.sleep))
    async with TestServer(sandbox.app, host="127.0.0.1") as server, httpx.AsyncClient() as client:
        yield World(sandbox, str(server.make_url("")).rstrip("/"), client, clock)


async def all_batches(adapter: RecruiteeAdapter, since: datetime | None = None) -> list:
    return [batch async for batch in adapter.candidate_batches(updated_since=since)]


# --- reading ---------------------------------------------------------------------------------------------


async def test_a_full_sync_pages_candidates_with_the_bearer_token_and_explicit_limit_and_offset(
        world: World) -> None:
    batches = await all_batches(world.adapter())

    pages = world.api_requests("/candidates")
    assert [(r.param("limit"), r.param("offset")) for r in pages] == [("100", "0"), ("100", "100"), ("100", "200")]
    assert all(r.headers["Authorization"] == f"Bearer {world.sandbox.token}" for r in pages)
    assert all(r.headers["Accept"] == "application/json" for r in pages)
    assert sum(len(b.candidates) for b in batches) == 250
    assert sum(b.requests for b in batches) == 3  # the list carries placements: no detail reads
    assert not world.api_requests("/search/new/candidates")


async def test_placements_become_applications_with_stage_job_and_hired_or_rejected_dates(world: World) -> None:
    state = world.state
    offer = next(o for o in state.offers.values() if o["title"] == "Backend Engineer")
    hired = state.add_candidate("Ada Q. Lovelace", emails=["ada@example.org"], offer_ids=[offer["id"]],
                                social_links=["https://www.linkedin.com/in/ada"], links=["https://ada.dev"])
    state.hire(hired["id"], hired["placements"][0]["id"], at=NOW.timestamp())
    out = state.add_candidate("Bo Díaz", emails=["bo@example.org"], offer_ids=[offer["id"]])
    state.disqualify(out["id"], out["placements"][0]["id"], "Wrong skill set", at=NOW.timestamp() - 60)
    pool = next(o for o in state.offers.values() if o["kind"] == "talent_pool")
    state.place(out["id"], pool["id"])
    state.cvs[hired["id"]] = ("ada.pdf", b"%PDF")

    batch = await world.adapter().fetch_candidates([str(hired["id"]), str(out["id"]), "999"])

    ada = next(c for c in batch.candidates if c.remote_id == str(hired["id"]))
    assert (ada.first_name, ada.last_name) == ("Ada", "Q. Lovelace")
    assert ada.url == f"https://app.recruitee.com/#/dashboard/overview?candidate={hired['id']}&company=89564"
    assert ada.linkedin_url == "https://www.linkedin.com/in/ada"
    assert [link.value for link in ada.links] == ["https://www.linkedin.com/in/ada", "https://ada.dev"]
    apps = {app.candidate_remote_id + ":" + (app.job_remote_id or "pool"): app for app in batch.applications}
    won = apps[f"{hired['id']}:{offer['id']}"]
    assert (won.status, won.stage_name, won.hired_at) == (ApplicationStatus.HIRED, "Hired", NOW)
    lost = apps[f"{out['id']}:{offer['id']}"]
    assert lost.status is ApplicationStatus.REJECTED and lost.rejected_at == NOW - timedelta(seconds=60)
    assert lost.stage_name == "Applied"  # a disqualified placement stays in its stage
    prospect = apps[f"{out['id']}:pool"]
    assert prospect.prospect and prospect.status is ApplicationStatus.ACTIVE and prospect.stage_name == "Sourced"
    [cv] = batch.attachments
    assert cv.type is AttachmentType.RESUME and cv.url == ada.url  # the page, never the file's storage link
    assert {c.remote_id for c in batch.candidates} == {str(hired["id"]), str(out["id"])}  # 999 is gone


async def test_incremental_sync_asks_the_search_for_updates_since_the_cursor_then_reads_each(world: World) -> None:
    since = world.clock.moment()
    world.clock.advance(30)
    changed = [row["id"] for row in list(world.state.candidates.values())[:3]]
    for candidate_id in changed:
        world.state.rename(candidate_id, "Zoë Example")

    batches = await all_batches(world.adapter(), since)

    [search] = world.api_requests("/search/new/candidates")
    assert json.loads(search.param("filters")) == [{"field": "updated_at", "gte": int(since.timestamp())}]
    assert (search.param("limit"), search.param("offset")) == ("100", "0")
    assert sorted(c.remote_id for b in batches for c in b.candidates) == sorted(map(str, changed))
    assert all(c.first_name == "Zoë" for b in batches for c in b.candidates)
    assert not world.api_requests("/candidates")


async def test_jobs_are_offers_with_their_hiring_team_and_stages_each_open_jobs_pipeline(world: World) -> None:
    adapter = world.adapter()
    jobs = await adapter.list_jobs()
    stages = await adapter.list_stages()
    users = await adapter.list_users()

    offers = [o for o in world.state.offers.values() if o["kind"] == "job"]
    assert {j.remote_id for j in jobs} == {str(o["id"]) for o in offers}  # the talent pool is no job
    closed = next(j for j in jobs if j.name == "Recruiter")
    assert closed.status == "closed" and all(j.status == "open" for j in jobs if j is not closed)
    marketer = next(o for o in offers if o["title"] == "Senior Marketer")
    engineer = next(o for o in offers if o["title"] == "Backend Engineer")
    job = next(j for j in jobs if j.remote_id == str(engineer["id"]))
    assert job.hiring_manager_ids == (str(engineer["hiring_manager_id"]), str(engineer["recruiter_id"]))
    job = next(j for j in jobs if j.remote_id == str(marketer["id"]))
    assert job.hiring_manager_ids == (str(marketer["recruiter_id"]),)  # the same person, once
    own = [s.name for s in stages if s.job_remote_id == str(marketer["id"])]
    assert own == ["Applied", "Phone screen", "Interview", "Offer", "Hired"]
    assert {u.email for u in users} == {a["email"] for a in world.state.admins.values()}


# --- pacing, limits and refusals ---------------------------------------------------------------------------


async def test_pacing_keeps_a_full_sync_under_the_fakes_limit(world: World) -> None:
    adapter = world.adapter()  # the default pacer: 4.5 requests/s against the fake's 5/s, bursts of 10
    await all_batches(adapter)
    await adapter.list_jobs()
    await adapter.list_users()

    assert world.sandbox.rate_limited == 0
    assert adapter.pacer.waited > 0  # it slowed itself down rather than meeting a 429


async def test_without_pacing_the_limit_answers_429_and_retry_after_is_honoured(world: World) -> None:
    world.sandbox.bucket.burst = 1
    world.sandbox.bucket.tokens = -1.0
    unpaced = RequestPacer(10_000, 10_000, clock=world.clock, sleep=world.clock.sleep)
    adapter = world.adapter(pacer=unpaced)
    world.clock.sleeps.clear()
    batches = await all_batches(adapter)

    assert sum(len(b.candidates) for b in batches) == 250
    assert world.sandbox.rate_limited > 0
    assert 1 in world.clock.sleeps  # Retry-After: 1, waited on the injected clock


@pytest.mark.parametrize(("status", "phrase"), [(500, "kept answering 500"), (404, "no such record")])
async def test_a_failing_page_raises_instead_of_yielding_part_of_it(world: World, status: int, phrase: str) -> None:
    world.sandbox.chaos.delay_next(0, path="/candidates")
    world.sandbox.chaos.fail_next(status, times=RETRY.max_attempts, path="/candidates")
    seen = []
    with pytest.raises(AtsError) as caught:
        async for batch in world.adapter().candidate_batches():
            seen.append(batch)
    assert len(seen) == 1 and phrase in str(caught.value).lower()


async def test_a_page_without_its_envelope_is_malformed(world: World) -> None:
    world.sandbox.chaos.fail_next(200, path="/offers", body=b'{"jobs": []}')
    with pytest.raises(MalformedResponse, match="expected offers"):
        await world.adapter().list_jobs()


async def test_validate_names_a_refused_token_an_unknown_company_and_another_company(world: World) -> None:
    await world.adapter().validate()
    with pytest.raises(AuthError, match=r"^Recruitee refused the API token") as refused:
        await world.adapter(token="wrong-token-123").validate()
    assert refused.value.status == 401 and "wrong-token-123" not in str(refused.value)
    with pytest.raises(AuthError, match="does not know the company id acme"):
        await world.adapter(base_url=f"{world.root}/c/acme", company="acme").validate()
    with pytest.raises(AuthError, match="not for company 777"):
        await world.adapter(base_url=f"{world.root}/c/777", company="777").validate()


async def test_validate_names_a_role_that_may_not_read_candidates(world: World) -> None:
    world.sandbox.chaos.fail_next(403, path="/candidates",
                                  body=b'{"errors": [{"message": "Forbidden", "code": "forbidden"}]}')
    with pytest.raises(AuthError, match="may not read candidates in company 89564"):
        await world.adapter().validate()


# --- writes ------------------------------------------------------------------------------------------------


async def test_notes_are_escaped_html_and_found_again_by_their_marker(world: World) -> None:
    candidate_id = next(iter(world.state.candidates))
    text = "hirebot: <Tech> screen booked & confirmed.\nLocation: Room 4\n\n[hirebot:evt-9]"
    made = await world.adapter().create_note(Note(str(candidate_id), text), acting_user_id="ignored")

    [stored] = world.state.notes[candidate_id]
    assert stored["body"] == ("hirebot: &lt;Tech&gt; screen booked &amp; confirmed.<br>Location: Room 4<br><br>"
                              "[hirebot:evt-9]")
    [request] = [r for r in world.api_requests(f"/candidates/{candidate_id}/notes") if r.method == "POST"]
    assert request.json["note"]["visibility"] == {"level": "public"}
    found = await world.adapter().find_note(str(candidate_id), "[hirebot:evt-9]")
    assert found is not None and found.remote_id == made.remote_id and found.body == text


async def test_a_new_candidate_gets_the_cv_by_a_single_use_link_hirebot_serves(world: World) -> None:
    served: list[str] = []
    cv = b"%PDF-1.4 Lin's CV"

    async def once(request: web.Request) -> web.Response:
        served.append(request.path)
        if len(served) > 1:
            return web.Response(status=410)  # single use: a second download is refused
        return web.Response(body=cv, content_type="application/pdf")

    app = web.Application()
    app.router.add_get("/cv/{token}/lin.pdf", once)
    offer = next(o for o in world.state.offers.values() if o["title"] == "Data Analyst")
    person = Candidate("", "Lin", "Wu", emails=(ContactValue("lin@example.org"),),
                       links=(ContactValue("https://www.linkedin.com/in/linwu", "linkedin"),))
    async with TestServer(app, host="127.0.0.1") as files:
        link = str(files.make_url("/cv/s1gned/lin.pdf"))
        created = await world.adapter().create_candidate(person, job_remote_id=str(offer["id"]), source_tag="hirebot",
                                                         resume_url=link, resume=("lin.pdf", b"ignored", None))

    row = world.state.candidates[int(created.remote_id)]
    assert world.state.cvs[row["id"]][1] == cv and served == ["/cv/s1gned/lin.pdf"]
    assert row["sources"] == ["hirebot"] and row["tags"] == ["hirebot"]
    assert row["social_links"] == ["https://www.linkedin.com/in/linwu"]
    assert [p["offer_id"] for p in row["placements"]] == [offer["id"]]
    [post] = [r for r in world.api_requests("/candidates") if r.method == "POST"]
    assert post.json["candidate"]["remote_cv_url"] == link and post.json["offers"] == [offer["id"]]
    assert not world.api_requests(f"/candidates/{row['id']}/update_cv")  # nothing uploaded twice
    assert created.url == row_url(row["id"])


async def test_a_new_candidate_without_any_cv_is_created_without_one(world: World) -> None:
    person = Candidate("", "Noor", "Haddad", emails=(ContactValue("noor@example.org"),))
    created = await world.adapter().create_candidate(person, job_remote_id=None, source_tag="hirebot")
    assert int(created.remote_id) not in world.state.cvs
    assert "remote_cv_url" not in creation_body(person, {"source_tag": "hirebot"})["candidate"]
    assert not world.api_requests(f"/candidates/{created.remote_id}/update_cv")


async def test_find_by_email_keeps_only_exact_matches_of_the_fuzzy_search(world: World) -> None:
    state = world.state
    state.add_candidate("Jo March", emails=["jo.march@example.org"])
    near = state.add_candidate("Jo March", emails=["jo.march@example.org.uk"])
    adapter = world.adapter()
    assert await adapter.find_candidate_by_email("jo.marsh@example.org") is None  # fuzzy hits, none exact
    found = await adapter.find_candidate_by_email("JO.MARCH@example.org.uk")
    assert found is not None and found.remote_id == str(near["id"])
    [search] = world.api_requests("/search/new/quick")[-1:]
    assert (search.param("only"), search.param("with_emails")) == ("candidates", "true")


def row_url(candidate_id: int) -> str:
    return f"https://app.recruitee.com/#/dashboard/overview?candidate={candidate_id}&company=89564"


async def test_where_the_search_filter_is_refused_an_incremental_sync_reads_everything(world: World) -> None:
    world.sandbox.chaos.fail_next(422, path="/search/new/candidates",
                                  body=b'{"errors": [{"message": "Filters are invalid"}]}')
    batches = await all_batches(world.adapter(), world.clock.moment())
    assert sum(len(b.candidates) for b in batches) == 250
    assert [r.status for r in world.api_requests("/search/new/candidates")] == [422]


async def test_validate_goes_on_without_the_token_owner_route_and_still_names_the_company(world: World) -> None:
    world.sandbox.chaos.fail_next(404, path="/admin", body=b'{"errors": [{"message": "Not found"}]}')
    await world.adapter().validate()
    world.sandbox.chaos.fail_next(404, path="/admin", body=b'{"errors": [{"message": "Not found"}]}')
    world.sandbox.chaos.fail_next(422, path="/candidates", body=b'{"errors": [{"message": "Company id is invalid"}]}')
    with pytest.raises(AuthError, match="does not know the company id 89564"):
        await world.adapter().validate()


async def test_a_list_of_summaries_without_placements_is_completed_by_reading_each(world: World) -> None:
    row = next(r for r in world.state.candidates.values() if r["placements"])
    summary = {"candidates": [{"id": row["id"], "name": row["name"], "emails": row["emails"]}], "references": []}
    world.sandbox.chaos.fail_next(200, path="/candidates", body=json.dumps(summary).encode())

    [batch] = await all_batches(world.adapter())

    assert [c.remote_id for c in batch.candidates] == [str(row["id"])]
    assert {a.remote_id for a in batch.applications} == {str(p["id"]) for p in row["placements"]}
    assert all(a.stage_name for a in batch.applications) and batch.requests == 2
