"""The Zoho Recruit fake itself: people shared with other fakes come first, paging and 204 as the reference
says, and the org's credits run out with 429 TOO_MANY_REQUESTS (no rate-limit headers)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp.test_utils import TestServer

from adapters.sandbox import zoho as zoho_fake
from adapters.sandbox.fake import FakeOptions
from adapters.sandbox.people import PeopleGenerator
from tests.clocks import EpochClock
from tests.provider_fixtures import NOW


def test_shared_people_come_first_with_their_names_and_emails() -> None:
    shared = tuple(PeopleGenerator(99).people(3))
    sandbox = zoho_fake.ZohoSandbox.build(FakeOptions(candidates=20, seed=4, shared_people=shared))
    first = sandbox.state.listing()
    rows = sorted(sandbox.state.candidates.values(), key=lambda row: int(row["id"]))[:3]
    assert [(r["First_Name"], r["Last_Name"], r["Email"]) for r in rows] == [
        (p.first, p.last, p.emails[0].value if p.emails else None) for p in shared]
    assert len(first) == 20


@pytest.fixture
async def served() -> AsyncIterator[tuple[zoho_fake.ZohoSandbox, httpx.AsyncClient, str]]:
    clock = EpochClock(NOW)
    sandbox = zoho_fake.ZohoSandbox(zoho_fake.generate(seed=1, candidates=250, now=NOW), clock=clock, credits=5,
                                    window=60)
    async with TestServer(sandbox.app, host="127.0.0.1") as server, httpx.AsyncClient() as client:
        root = str(server.make_url("")).rstrip("/")
        token = (await client.post(f"{root}/oauth/v2/token", params={
            "grant_type": "refresh_token", "client_id": zoho_fake.SANDBOX_CLIENT_ID,
            "client_secret": zoho_fake.SANDBOX_CLIENT_SECRET, "refresh_token": zoho_fake.SANDBOX_REFRESH_TOKEN})).json()
        client.headers["Authorization"] = f"Zoho-oauthtoken {token['access_token']}"
        yield sandbox, client, f"{root}/recruit/v2"


async def test_paging_204_and_credits(served: tuple[zoho_fake.ZohoSandbox, httpx.AsyncClient, str]) -> None:
    sandbox, client, api = served
    first = (await client.get(f"{api}/Candidates", params={"page": 1, "per_page": 200})).json()
    assert len(first["data"]) == 200 and first["info"] == {"per_page": 200, "count": 200, "page": 1,
                                                          "more_records": True}
    second = (await client.get(f"{api}/Candidates", params={"page": 2, "per_page": 200})).json()
    assert len(second["data"]) == 50 and second["info"]["more_records"] is False
    assert (await client.get(f"{api}/Candidates", params={"page": 3})).status_code == 204
    assert (await client.get(f"{api}/Candidates/search", params={"email": "nobody@nowhere.example"})).status_code \
        == 204
    assert (await client.get(f"{api}/Candidates", params={"per_page": 201})).status_code == 400
    refused = await client.get(f"{api}/Candidates")  # five credits spent above: the budget is gone
    assert refused.status_code == 429 and refused.json()["code"] == "TOO_MANY_REQUESTS"
    assert not any(name.lower().startswith("x-ratelimit") for name in refused.headers)
    sandbox.clock.advance(60)  # type: ignore[attr-defined]
    assert (await client.get(f"{api}/org")).status_code == 200
