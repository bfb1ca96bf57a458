"""What only Zoho Recruit does, against its fake over loopback: access tokens cached for their hour across a
whole sync and across adapter instances, refusals named (client, refresh token, data center, scope, a missing
field), 204/304 lists, the org's credits spent on our side before Zoho says 429, and the webhook check."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from aiohttp.test_utils import TestServer

from adapters import zoho
from adapters.base import ConnectionConfig
from adapters.errors import AuthError, ConfigError, RateLimited
from adapters.http import RetryPolicy
from adapters.models import Candidate, ContactValue
from adapters.sandbox import zoho as zoho_fake
from adapters.sandbox.zoho_dataset import ORG_ID, generate
from adapters.webhooks import URL_QUERY_HEADER, BadSignature, WebhookSecrets
from adapters.zoho.credits import CreditMeter
from adapters.zoho.layout import CANDIDATE_FIELDS, CANDIDATE_LABELS, module_names, pick_fields
from adapters.zoho.spec import ZOHO
from tests.clocks import EpochClock
from tests.provider_fixtures import NOW, START


class Rig:
    def __init__(self, sandbox: zoho_fake.ZohoSandbox, url: str, client: httpx.AsyncClient, clock: EpochClock):
        self.sandbox, self.url, self.client, self.clock = sandbox, url, client, clock

    def adapter(self, **changes: str) -> zoho.ZohoAdapter:
        credentials = {"client_id": zoho_fake.SANDBOX_CLIENT_ID, "client_secret": zoho_fake.SANDBOX_CLIENT_SECRET,
                       "refresh_token": zoho_fake.SANDBOX_REFRESH_TOKEN}
        settings = {"accounts_url": self.url, "data_center": "us", "daily_credits": "4000"}
        for key, value in changes.items():
            (credentials if key in credentials else settings)[key] = value
        config = ConnectionConfig(base_url=changes.get("base_url", f"{self.url}/recruit/v2"),
                                  credentials=credentials, settings=settings)
        return zoho.ZohoAdapter(config, self.client, policy=RetryPolicy(max_attempts=3, max_delay=2.0),
                                sleep=self.clock.sleep, clock=self.clock, rng=random.Random(1))


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    zoho.forget_all_tokens()
    zoho.forget_org_caches()
    clock = EpochClock(START)
    sandbox = zoho_fake.ZohoSandbox(generate(seed=2, candidates=450, now=NOW), clock=clock,
                                    chaos=zoho_fake.Chaos(sleep=clock.sleep))
    async with TestServer(sandbox.app, host="127.0.0.1") as server, httpx.AsyncClient() as client:
        yield Rig(sandbox, str(server.make_url("")).rstrip("/"), client, clock)


async def full_sync(adapter: zoho.ZohoAdapter) -> int:
    return sum([len(batch.candidates) async for batch in adapter.candidate_batches()])


async def test_one_token_serves_a_whole_sync_and_every_adapter_of_the_connection(rig: Rig) -> None:
    assert await full_sync(rig.adapter()) == 450
    assert await full_sync(rig.adapter()) == 450  # a second instance: the cached token, no new one
    assert rig.sandbox.token_requests == 1
    api_calls = [r for r in rig.sandbox.requests if r.path.startswith("/recruit/v2")]
    assert api_calls and all(r.headers["Authorization"].startswith("Zoho-oauthtoken ") for r in api_calls)
    rig.clock.advance(3600)  # the hour is over: exactly one new token
    assert await full_sync(rig.adapter()) == 450
    assert rig.sandbox.token_requests == 2


async def test_concurrent_reads_wait_for_one_token(rig: Rig) -> None:
    ids = [row["id"] for row in rig.sandbox.state.listing()[:12]]
    batch = await rig.adapter().fetch_candidates(ids)
    assert sorted(c.remote_id for c in batch.candidates) == sorted(ids)
    assert rig.sandbox.token_requests == 1


async def test_a_revoked_token_is_replaced_once(rig: Rig) -> None:
    adapter = rig.adapter()
    await adapter.validate()
    rig.sandbox.tokens.clear()  # revoked on Zoho's side
    assert await full_sync(adapter) == 450
    assert rig.sandbox.token_requests == 2


async def test_validate_keeps_the_org_id_for_deep_links(rig: Rig) -> None:
    adapter = rig.adapter(data_center="jp")
    await adapter.validate()
    assert adapter.config.settings["org_id"] == ORG_ID
    assert adapter.candidate_url("42") == (f"https://recruit.zoho.jp/recruit/org{ORG_ID}/EntityInfo.do?"
                                           "module=Candidates&id=42")


@pytest.mark.parametrize("refusal_status", [None, 200])  # OAuth's statuses, or Zoho's 200 with an error
async def test_a_bad_refresh_token_or_secret_is_named(rig: Rig, refusal_status: int | None) -> None:
    rig.sandbox.refusal_status = refusal_status
    with pytest.raises(AuthError, match=r"refresh token .invalid_code.: it is wrong, expired or revoked"):
        await rig.adapter(refresh_token="1000.revoked").validate()
    with pytest.raises(AuthError, match=r"invalid_client.*--data-center") as caught:
        await rig.adapter(client_secret="not-it-at-all").validate()
    assert "not-it-at-all" not in str(caught.value)


async def test_a_token_from_another_data_center_is_named(rig: Rig) -> None:
    # The token answer says zohoapis.com (US); a connection pointing at the EU Recruit host is told so.
    adapter = rig.adapter(base_url="https://recruit.zoho.eu/recruit/v2")
    with pytest.raises(AuthError, match=r"US data center.*--data-center us"):
        await adapter.validate()


async def test_a_missing_scope_is_named(rig: Rig) -> None:
    rig.sandbox.scopes.discard("settings")
    with pytest.raises(AuthError, match=r"lacks the OAuth scope ZohoRecruit\.settings\.ALL"):
        await rig.adapter().validate()


async def test_a_missing_status_field_is_a_clear_reason(rig: Rig) -> None:
    rig.sandbox.hidden_fields.add("Candidate_Status")
    with pytest.raises(ConfigError, match="no Candidate Status field"):
        await rig.adapter().validate()


async def test_without_settings_endpoints_the_standard_names_serve(rig: Rig) -> None:
    rig.sandbox.serves_settings = False
    adapter = rig.adapter()
    await adapter.validate()
    assert await full_sync(adapter) == 450
    assert adapter.candidate_url("7").endswith("/recruit/org60012345678/EntityInfo.do?module=Candidates&id=7")


def test_renamed_modules_and_fields_are_found_by_label() -> None:
    modules = module_names([
        {"api_name": "Talents", "module_name": "Talents", "singular_label": "Candidate", "plural_label": "Candidates"},
        {"api_name": "Job_Openings", "module_name": "Job_Openings"},
        {"api_name": "Meetings_X", "module_name": "Meetings", "singular_label": "Interview"}])
    assert modules == {"candidates": "Talents", "jobs": "Job_Openings", "interviews": "Meetings_X"}
    fields = pick_fields("Talents", [
        {"api_name": "Last_Name", "field_label": "Last Name"},
        {"api_name": "Stage__c", "field_label": "Candidate Status",
         "pick_list_values": [{"display_value": "-None-"}, {"display_value": "Fresh"}, {"display_value": "Signed"}]},
        {"api_name": "LinkedIn_Profile", "field_label": "LinkedIn Profile"}], CANDIDATE_FIELDS, CANDIDATE_LABELS)
    assert fields["status"] == "Stage__c" and fields["linkedin"] == "LinkedIn_Profile"
    assert fields.picklists["status"] == ("Fresh", "Signed")


async def test_incremental_sync_sends_if_modified_since_and_reads_304_as_nothing(rig: Rig) -> None:
    adapter = rig.adapter()
    assert await full_sync(adapter) == 450
    since = rig.clock.moment() - timedelta(minutes=1)
    assert [b async for b in adapter.candidate_batches(updated_since=since)] == []
    changed = rig.sandbox.state.listing()[7]["id"]
    rig.sandbox.state.update_candidate(changed, now=rig.clock.moment(), First_Name="Zoë")
    batches = [b async for b in adapter.candidate_batches(updated_since=since)]
    assert [c.remote_id for b in batches for c in b.candidates] == [changed]
    listed = [r for r in rig.sandbox.requests if r.path == "/recruit/v2/Candidates"]
    assert listed[-1].headers["If-Modified-Since"] == since.replace(microsecond=0).isoformat()


async def test_a_server_ignoring_if_modified_since_costs_no_association_reads_for_unchanged_rows(rig: Rig) -> None:
    adapter = rig.adapter()
    assert await full_sync(adapter) == 450
    rig.sandbox.honours_if_modified_since = False
    changed = rig.sandbox.state.listing()[11]["id"]
    since = rig.clock.moment()
    rig.clock.advance(60)
    rig.sandbox.state.update_candidate(changed, now=rig.clock.moment(), Current_Job_Title="Chef")
    rig.sandbox.requests.clear()
    batches = [b async for b in adapter.candidate_batches(updated_since=since)]
    assert [c.remote_id for b in batches for c in b.candidates] == [changed]
    assert [r.path for r in rig.sandbox.requests if "/associate" in r.path] == [
        f"/recruit/v2/Candidates/{changed}/associate"]


async def test_credits_are_spent_on_our_side_before_zoho_refuses(rig: Rig) -> None:
    meter = CreditMeter(5, 86_400, rig.clock)
    adapter = zoho.ZohoAdapter(rig.adapter().config, rig.client, sleep=rig.clock.sleep, clock=rig.clock, meter=meter)
    with pytest.raises(RateLimited) as caught:
        await full_sync(adapter)
    assert caught.value.retry_after > 80_000
    assert not any(r.status == 429 for r in rig.sandbox.requests)
    rig.clock.advance(86_400)
    meter.spend()  # a day later the budget is back


async def test_a_new_candidate_gets_both_files_with_their_category_and_the_job(rig: Rig) -> None:
    adapter = rig.adapter()
    job_id = next(jid for jid, job in rig.sandbox.state.jobs.items() if job["Job_Opening_Status"] == "In-progress")
    newcomer = Candidate(remote_id="", first_name="Ngozi", last_name="Okonkwo-Brandt",
                         emails=(ContactValue("ngozi@example.org"),),
                         links=(ContactValue("https://www.linkedin.com/in/ngozi-ob", "linkedin"),))
    created = await adapter.create_candidate(newcomer, job_remote_id=job_id, source_tag="hirebot", stage_id="Qualified",
                                             resume=("cv.pdf", b"%PDF-cv", "application/pdf"),
                                             cover_letter=("letter.pdf", b"%PDF-letter", "application/pdf"))
    state = rig.sandbox.state
    row = state.candidates[created.remote_id]
    assert row["Source"] == "hirebot" and row["LinkedIn__s"] == "https://www.linkedin.com/in/ngozi-ob"
    files = {item["Category"]: state.files[aid] for aid, item in state.attachments.items()
             if item["Parent_Id"]["id"] == created.remote_id}
    assert files == {"Resume": b"%PDF-cv", "Cover Letter": b"%PDF-letter"}
    assert state.associations[created.remote_id][job_id]["Candidate_Status"] == "Qualified"
    assert created.url == adapter.candidate_url(created.remote_id)
    # The same email again: Zoho's duplicate check answers with the existing record, nothing new is made.
    again = await adapter.create_candidate(newcomer, job_remote_id=job_id, source_tag="hirebot")
    assert again.remote_id == created.remote_id
    assert sum(1 for r in state.candidates.values() if r.get("Email") == "ngozi@example.org") == 1


def test_the_webhook_secret_is_checked_in_constant_time_from_the_url_or_a_parameter() -> None:
    secret = "s" * 43
    good = ZOHO.webhooks.verify(b"id=568998000000000123&modified=x", {URL_QUERY_HEADER: f"key={secret}"},
                                WebhookSecrets(secret=secret), NOW)
    assert good.candidate_ids == ("568998000000000123",)
    as_param = ZOHO.webhooks.verify(f"id=5&key={secret}".encode(), {}, WebhookSecrets(secret=secret), NOW)
    assert as_param.candidate_ids == ("5",)
    for body, query in ((b"id=5", ""), (b"id=5", "key=wrong"), (f"id=5&key={secret}".encode(), "key=wrong"),
                        (b"id=5", f"key={secret}x")):
        with pytest.raises(BadSignature):
            ZOHO.webhooks.verify(body, {URL_QUERY_HEADER: query}, WebhookSecrets(secret=secret), NOW)
    with pytest.raises(BadSignature):
        ZOHO.webhooks.verify(b"id=5", {URL_QUERY_HEADER: "key="}, WebhookSecrets(secret=""), NOW)
