"""The provider table behind the adapter contract suite: how to run each fake ATS, build its adapter and
change its data, so the cases in test_adapter_contract.py stay the same for every provider.

A new provider proves itself by adding one `Provider` entry to `PROVIDERS` (and, for the write contract
suite, one `Writer` entry to `WRITERS` in tests/write_fixtures.py). The fakes and the adapters
share one fake clock: retries, rate-limit waits and pacing move it forward, and nothing waits on the
wall clock.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from aiohttp.test_utils import TestServer

from adapters import breezyhr, freshteam, greenhouse, lever, recruitee, teamtailor, workable, zoho
from adapters.base import AtsAdapter, ConnectionConfig
from adapters.http import RetryPolicy
from adapters.sandbox import breezyhr as breezy_fake
from adapters.sandbox import breezyhr_dataset
from adapters.sandbox import freshteam as freshteam_fake
from adapters.sandbox import greenhouse as greenhouse_fake
from adapters.sandbox import lever as lever_fake
from adapters.sandbox import recruitee as recruitee_fake
from adapters.sandbox import teamtailor as teamtailor_fake
from adapters.sandbox import workable as workable_fake
from adapters.sandbox import zoho as zoho_fake
from adapters.sandbox.breezyhr_dataset import generate as breezy_dataset
from adapters.sandbox.freshteam_dataset import generate as freshteam_dataset
from adapters.sandbox.greenhouse_dataset import generate as greenhouse_dataset
from adapters.sandbox.lever_dataset import Opportunity
from adapters.sandbox.lever_dataset import generate as lever_dataset
from adapters.sandbox.recruitee_dataset import generate as recruitee_dataset
from adapters.sandbox.teamtailor_dataset import generate as teamtailor_dataset
from adapters.sandbox.workable_dataset import generate as workable_dataset
from adapters.sandbox.zoho_dataset import generate as zoho_dataset
from tests.clocks import EpochClock
from tests.resume_links import ResumeLinks

# The fakes' rosters are stamped up to NOW. The shared clock starts a day later, so every generated record
# is older than the incremental cursor's overlap and an incremental run lists only what a test changed.
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
START = NOW + timedelta(days=1)
RETRY = RetryPolicy(max_attempts=4, max_delay=8.0)
WRONG_SECRET = "not-the-right-secret-0042"
WEBHOOK_SECRET = "contract-webhook-secret"


@dataclass(frozen=True)
class Seen:
    """One response the adapter's client received, as the client saw it."""

    method: str
    path: str
    status: int


@dataclass(frozen=True)
class Delivery:
    """A webhook delivery as the receiving server got it."""

    body: bytes
    headers: Mapping[str, str]


@dataclass
class Fake:
    """A running fake ATS, the recorded client that talks to it, and the provider entry that knows it."""

    provider: Provider
    sandbox: Any
    root_url: str
    client: httpx.AsyncClient
    clock: EpochClock
    seen: list[Seen] = field(default_factory=list)
    policy: RetryPolicy = RETRY  # how hard the adapters built here try, and how long they wait for answers

    def adapter(self, *, refused: bool = False) -> AtsAdapter:
        """The provider's adapter pointed at this fake; `refused` gives it a wrong secret."""
        return self.provider.build_adapter(self, WRONG_SECRET if refused else None)

    def statuses(self, path: str) -> list[int]:
        """Statuses of the responses to `path` (the path under the provider's API root), oldest first."""
        full = self.provider.api_prefix + path
        return [s.status for s in self.seen if s.path == full]

    # What the fake holds, in the adapter's vocabulary (remote ids as strings).
    def listing(self) -> list[str]:
        return self.provider.listing(self.sandbox)

    def applications(self) -> dict[str, str]:
        return self.provider.applications(self.sandbox)

    def attachments(self) -> dict[str, str]:
        return self.provider.attachments(self.sandbox)

    def loners(self) -> list[str]:
        return self.provider.loners(self.sandbox)

    # Changes made on the fake, stamped by the shared clock.
    def add_candidate(self) -> str:
        return self.provider.add_candidate(self.sandbox, self.clock.moment())

    def rename(self, remote_id: str, first_name: str) -> None:
        self.provider.rename(self.sandbox, remote_id, first_name, self.clock.moment())

    def delete(self, remote_id: str) -> None:
        self.provider.delete(self.sandbox, remote_id)

    def register_webhook(self, receiver_url: str) -> None:
        self.provider.register_webhook(self.sandbox, receiver_url)

    async def emit_webhook(self, remote_id: str, *, deleted: bool = False) -> None:
        await self.provider.emit_webhook(self.sandbox, remote_id, deleted)


@dataclass(frozen=True)
class Provider:
    """One row of the table: everything the contract cases need to know about a provider and its fake."""

    name: str
    page_size: int  # candidates per listing page, as the adapter asks for them
    api_prefix: str  # where the API lives under the fake's root URL
    list_path: str  # the candidate listing, under the API root: where page faults are aimed
    refused_message: str  # how the AuthError for refused credentials begins
    build_sandbox: Callable[[EpochClock], Any]
    build_adapter: Callable[[Fake, str | None], AtsAdapter]
    listing: Callable[[Any], list[str]]  # candidate ids in the order the adapter pages through them
    applications: Callable[[Any], dict[str, str]]  # application id → candidate id, as synced
    attachments: Callable[[Any], dict[str, str]]  # attachment id → candidate id, as synced
    loners: Callable[[Any], list[str]]  # candidates whose change touches no other record, listing order
    add_candidate: Callable[[Any, datetime], str]
    rename: Callable[[Any, str, str, datetime], None]
    delete: Callable[[Any, str], None]
    register_webhook: Callable[[Any, str], None]  # send change and deletion events to a URL, signed
    emit_webhook: Callable[[Any, str, bool], Awaitable[None]]  # deliver "candidate changed" (or deleted)
    verify_webhook: Callable[[Delivery, str], bool]  # the adapter module's own signature check
    forge_webhook: Callable[[Delivery], Delivery]  # the same delivery with a signature nobody made
    webhook_refresh: Callable[[Delivery], tuple[str, ...]]  # ids a verified delivery hands refresh_candidates
    no_webhooks: str = ""  # why the provider sends no webhooks at all (its webhook case is skipped, saying so)


@asynccontextmanager
async def running(provider: Provider) -> AsyncIterator[Fake]:
    """Serve the provider's fake on loopback with a client that records every response it gets."""
    clock = EpochClock(START)
    sandbox = provider.build_sandbox(clock)
    seen: list[Seen] = []

    async def record(response: httpx.Response) -> None:
        seen.append(Seen(response.request.method, response.request.url.path, response.status_code))

    async with TestServer(sandbox.app, host="127.0.0.1") as server, \
            httpx.AsyncClient(event_hooks={"response": [record]}) as client:
        yield Fake(provider, sandbox, str(server.make_url("")).rstrip("/"), client, clock, seen)


# --- Greenhouse (Harvest v3) ----------------------------------------------------------------------------


def _greenhouse_sandbox(clock: EpochClock) -> greenhouse_fake.GreenhouseSandbox:
    return greenhouse_fake.GreenhouseSandbox(greenhouse_dataset(seed=7, candidates=520, now=NOW), clock=clock,
                                             chaos=greenhouse_fake.Chaos(sleep=clock.sleep))


def _greenhouse_adapter(fake: Fake, wrong_secret: str | None) -> AtsAdapter:
    config = ConnectionConfig(
        base_url=fake.root_url,
        credentials={"client_id": greenhouse_fake.SANDBOX_CLIENT_ID,
                     "client_secret": wrong_secret or greenhouse_fake.SANDBOX_CLIENT_SECRET},
        settings={"auth_url": f"{fake.root_url}/token"})
    return greenhouse.GreenhouseAdapter(config, fake.client, policy=fake.policy, sleep=fake.clock.sleep,
                                        clock=fake.clock, rng=random.Random(5))


def _greenhouse_listing(sandbox: greenhouse_fake.GreenhouseSandbox) -> list[str]:
    return [str(cid) for cid in sorted(sandbox.state.candidates, reverse=True)]  # newest id first


def _greenhouse_applications(sandbox: greenhouse_fake.GreenhouseSandbox) -> dict[str, str]:
    # A converted prospect application is listed again as the candidate application it became.
    return {str(app["id"]): str(app["candidate_id"]) for app in sandbox.state.applications.values()
            if app["status"] != "converted"}


def _greenhouse_attachments(sandbox: greenhouse_fake.GreenhouseSandbox) -> dict[str, str]:
    return {str(item["id"]): str(item["candidate_id"]) for item in sandbox.state.attachments.values()}


def _greenhouse_add(sandbox: greenhouse_fake.GreenhouseSandbox, now: datetime) -> str:
    added = sandbox.state.add_candidate("Siobhán", "Ní Bhriain", email="siobhan@example.ie", now=now)
    return str(added["id"])


def _greenhouse_rename(sandbox: greenhouse_fake.GreenhouseSandbox, remote_id: str, first_name: str,
                       now: datetime) -> None:
    sandbox.state.update_candidate(int(remote_id), now=now, first_name=first_name)


def _greenhouse_delete(sandbox: greenhouse_fake.GreenhouseSandbox, remote_id: str) -> None:
    sandbox.state.delete_candidate(int(remote_id))


def _greenhouse_register_webhook(sandbox: greenhouse_fake.GreenhouseSandbox, url: str) -> None:
    sandbox.add_webhook(url, secret_key=WEBHOOK_SECRET, events={"update_candidate", "delete_candidate"})


async def _greenhouse_emit(sandbox: greenhouse_fake.GreenhouseSandbox, remote_id: str, deleted: bool) -> None:
    await sandbox.emit_candidate_event("delete_candidate" if deleted else "update_candidate", int(remote_id))


def _greenhouse_verify(delivery: Delivery, secret: str) -> bool:
    return greenhouse.verify_webhook_signature(delivery.body, delivery.headers.get("Signature"), secret)


def _greenhouse_forge(delivery: Delivery) -> Delivery:
    return Delivery(delivery.body, {**delivery.headers, "Signature": "sha256 " + "0" * 64})


def _greenhouse_webhook_refresh(delivery: Delivery) -> tuple[str, ...]:
    trigger = greenhouse.parse_webhook(delivery.body)
    return (*trigger.candidate_ids, *trigger.deleted_candidate_ids)


GREENHOUSE = Provider(
    name="greenhouse", page_size=greenhouse.PAGE_SIZE, api_prefix="", list_path="/v3/candidates",
    refused_message="Greenhouse refused the credentials: check the client id/secret",
    build_sandbox=_greenhouse_sandbox, build_adapter=_greenhouse_adapter, listing=_greenhouse_listing,
    applications=_greenhouse_applications, attachments=_greenhouse_attachments, loners=_greenhouse_listing,
    add_candidate=_greenhouse_add, rename=_greenhouse_rename, delete=_greenhouse_delete,
    register_webhook=_greenhouse_register_webhook, emit_webhook=_greenhouse_emit,
    verify_webhook=_greenhouse_verify, forge_webhook=_greenhouse_forge,
    webhook_refresh=_greenhouse_webhook_refresh,
)


# --- Lever (Data API v1) --------------------------------------------------------------------------------


def _lever_sandbox(clock: EpochClock) -> lever_fake.LeverSandbox:
    return lever_fake.LeverSandbox(lever_dataset(seed=9, candidates=115, now=NOW), clock=clock,
                                   chaos=lever_fake.Chaos(sleep=clock.sleep))


def _lever_adapter(fake: Fake, wrong_key: str | None) -> AtsAdapter:
    config = ConnectionConfig(base_url=f"{fake.root_url}{lever_fake.API_PREFIX}",
                              credentials={"api_key": wrong_key or lever_fake.SANDBOX_API_KEY})
    return lever.LeverAdapter(config, fake.client, policy=fake.policy, sleep=fake.clock.sleep, clock=fake.clock,
                              rng=random.Random(5))


def _lever_visible(sandbox: lever_fake.LeverSandbox) -> list[Opportunity]:
    """Opportunities the adapter lists (confidential ones are left out by default), in listing order."""
    shown = [opp for opp in sandbox.state.opportunities.values() if not opp.confidential]
    return sorted(shown, key=lambda opp: (opp.created_at, opp.id))


def _lever_listing(sandbox: lever_fake.LeverSandbox) -> list[str]:
    return [opp.id for opp in _lever_visible(sandbox)]


def _lever_applications(sandbox: lever_fake.LeverSandbox) -> dict[str, str]:
    # A lead (no application) is synced as one prospect application keyed by the opportunity id.
    return {opp.application.id if opp.application else opp.id: opp.id for opp in _lever_visible(sandbox)}


def _lever_attachments(sandbox: lever_fake.LeverSandbox) -> dict[str, str]:
    found = {resume.id: opp.id for opp in _lever_visible(sandbox) for resume in opp.resumes}
    return found | {item.id: opp.id for opp in _lever_visible(sandbox) for item in opp.files}


def _lever_loners(sandbox: lever_fake.LeverSandbox) -> list[str]:
    # Contact fields show on every opportunity of the contact, so renaming one changes its siblings too.
    siblings = sandbox.state.contact_opportunities
    return [opp.id for opp in _lever_visible(sandbox) if len(siblings[opp.contact_id]) == 1]


def _lever_add(sandbox: lever_fake.LeverSandbox, now: datetime) -> str:
    posting = next(pid for pid, p in sandbox.state.postings.items() if p["state"] == "published")
    return sandbox.state.add_opportunity("Siobhán Ní Bhriain", email="siobhan@example.ie", posting_id=posting,
                                         now=now).id


def _lever_rename(sandbox: lever_fake.LeverSandbox, remote_id: str, first_name: str, now: datetime) -> None:
    opp = sandbox.state.opportunities[remote_id]
    last_name = sandbox.state.contacts[opp.contact_id].name.split(" ", 1)[-1]
    sandbox.state.update_opportunity(remote_id, name=f"{first_name} {last_name}", now=now)


def _lever_delete(sandbox: lever_fake.LeverSandbox, remote_id: str) -> None:
    sandbox.state.delete_opportunity(remote_id)


def _lever_register_webhook(sandbox: lever_fake.LeverSandbox, url: str) -> None:
    for event in ("candidateStageChange", "candidateDeleted"):  # Lever registers one webhook per event
        sandbox.add_webhook(event, url, signature_token=WEBHOOK_SECRET)


async def _lever_emit(sandbox: lever_fake.LeverSandbox, remote_id: str, deleted: bool) -> None:
    await sandbox.emit("candidateDeleted" if deleted else "candidateStageChange", remote_id)


def _lever_verify(delivery: Delivery, secret: str) -> bool:
    return lever.verify_webhook_signature(delivery.body, secret)


def _lever_forge(delivery: Delivery) -> Delivery:
    payload = json.loads(delivery.body)
    return Delivery(json.dumps({**payload, "signature": "0" * 64}).encode(), delivery.headers)


def _lever_webhook_refresh(delivery: Delivery) -> tuple[str, ...]:
    return lever.parse_webhook(delivery.body).candidate_ids  # deletions too: a 404 on re-read confirms them


LEVER = Provider(
    name="lever", page_size=lever.PAGE_SIZE, api_prefix=lever_fake.API_PREFIX,
    list_path="/opportunities", refused_message="Lever refused the API key",
    build_sandbox=_lever_sandbox, build_adapter=_lever_adapter, listing=_lever_listing,
    applications=_lever_applications, attachments=_lever_attachments, loners=_lever_loners,
    add_candidate=_lever_add, rename=_lever_rename, delete=_lever_delete,
    register_webhook=_lever_register_webhook, emit_webhook=_lever_emit,
    verify_webhook=_lever_verify, forge_webhook=_lever_forge, webhook_refresh=_lever_webhook_refresh,
)



# --- Teamtailor (JSON:API v1) ---------------------------------------------------------------------------

# Teamtailor downloads a CV from a public URL: in these tests, a single-use link served on loopback, standing
# in for hirebot's own signed resume link.
TEAMTAILOR_RESUMES = ResumeLinks()


def _teamtailor_sandbox(clock: EpochClock) -> teamtailor_fake.TeamtailorSandbox:
    return teamtailor_fake.TeamtailorSandbox(teamtailor_dataset(seed=5, candidates=95, now=NOW), clock=clock,
                                             chaos=teamtailor_fake.Chaos(sleep=clock.sleep))


def _teamtailor_adapter(fake: Fake, wrong_key: str | None) -> AtsAdapter:
    config = ConnectionConfig(base_url=f"{fake.root_url}{teamtailor_fake.API_PREFIX}",
                              credentials={"api_key": wrong_key or teamtailor_fake.SANDBOX_API_KEY})
    return teamtailor.TeamtailorAdapter(config, fake.client, policy=fake.policy, sleep=fake.clock.sleep,
                                        clock=fake.clock, rng=random.Random(5),
                                        resume_host=TEAMTAILOR_RESUMES.publish)


def _teamtailor_listing(sandbox: teamtailor_fake.TeamtailorSandbox) -> list[str]:
    return sorted(sandbox.state.candidates, key=int)


def _teamtailor_applications(sandbox: teamtailor_fake.TeamtailorSandbox) -> dict[str, str]:
    return {aid: app["candidate_id"] for aid, app in sandbox.state.applications.items()}


def _teamtailor_attachments(sandbox: teamtailor_fake.TeamtailorSandbox) -> dict[str, str]:
    # Signed file links expire in ~30 s, so the adapter stores a link to the candidate's page per file instead.
    state = sandbox.state
    found = {f"{cid}:resume": cid for cid, row in state.candidates.items() if row["resume"]}
    return found | {f"{aid}:cover-letter": app["candidate_id"] for aid, app in state.applications.items()
                    if app["cover_letter"]}


def _teamtailor_add(sandbox: teamtailor_fake.TeamtailorSandbox, now: datetime) -> str:
    job = next(jid for jid, job in sandbox.state.jobs.items() if job["status"] == "published")
    return str(sandbox.state.add_candidate("Siobhán", "Ní Bhriain", email="siobhan@example.ie", now=now,
                                           job_id=job)["id"])


def _teamtailor_rename(sandbox: teamtailor_fake.TeamtailorSandbox, remote_id: str, first_name: str,
                       now: datetime) -> None:
    sandbox.state.update_candidate(remote_id, now=now, first_name=first_name)


def _teamtailor_delete(sandbox: teamtailor_fake.TeamtailorSandbox, remote_id: str) -> None:
    sandbox.state.delete_candidate(remote_id)


def _teamtailor_register_webhook(sandbox: teamtailor_fake.TeamtailorSandbox, url: str) -> None:
    sandbox.add_webhook(url, signature_key=WEBHOOK_SECRET, events={"candidate.update", "candidate.destroy"})


async def _teamtailor_emit(sandbox: teamtailor_fake.TeamtailorSandbox, remote_id: str, deleted: bool) -> None:
    await sandbox.emit("candidate.destroy" if deleted else "candidate.update", remote_id)


def _teamtailor_signature(delivery: Delivery) -> str | None:
    return next((v for k, v in delivery.headers.items() if k.lower() == "tt-signature"), None)


def _teamtailor_verify(delivery: Delivery, secret: str) -> bool:
    # The signature alone: the deliveries carry the fake clock's time, so the freshness check is not asked here.
    return teamtailor.verify_webhook_signature(delivery.body, _teamtailor_signature(delivery), secret,
                                               max_skew=None)


def _teamtailor_forge(delivery: Delivery) -> Delivery:
    headers = {k: v for k, v in delivery.headers.items() if k.lower() != "tt-signature"}
    return Delivery(delivery.body, {**headers, "TT-Signature": teamtailor.signature_v2("forged", delivery.body, 1)})


def _teamtailor_webhook_refresh(delivery: Delivery) -> tuple[str, ...]:
    return teamtailor.parse_webhook(delivery.body, _teamtailor_signature(delivery)).candidate_ids


TEAMTAILOR = Provider(
    name="teamtailor", page_size=teamtailor.PAGE_SIZE, api_prefix=teamtailor_fake.API_PREFIX,
    list_path="/candidates", refused_message="Teamtailor refused the API key",
    build_sandbox=_teamtailor_sandbox, build_adapter=_teamtailor_adapter, listing=_teamtailor_listing,
    applications=_teamtailor_applications, attachments=_teamtailor_attachments, loners=_teamtailor_listing,
    add_candidate=_teamtailor_add, rename=_teamtailor_rename, delete=_teamtailor_delete,
    register_webhook=_teamtailor_register_webhook, emit_webhook=_teamtailor_emit,
    verify_webhook=_teamtailor_verify, forge_webhook=_teamtailor_forge,
    webhook_refresh=_teamtailor_webhook_refresh,
)

# --- Workable (SPI v3) ----------------------------------------------------------------------------------
# The contract runs Workable's fake at the OAuth rate (50 requests per 10 s): at the account-token rate
# (10) a sync waits out whole windows, which the retry cases would read as over-long backoff. Pacing at 10
# per 10 s has its own tests (tests/test_workable_adapter.py).


def _workable_sandbox(clock: EpochClock) -> workable_fake.WorkableSandbox:
    return workable_fake.WorkableSandbox(workable_dataset(seed=11, candidates=130, now=NOW), clock=clock,
                                         rate_limit=workable_fake.OAUTH_RATE,
                                         chaos=workable_fake.Chaos(sleep=clock.sleep))


def _workable_adapter(fake: Fake, wrong_token: str | None) -> AtsAdapter:
    config = ConnectionConfig(base_url=f"{fake.root_url}{workable_fake.API_PREFIX}",
                              credentials={"token": wrong_token or workable_fake.SANDBOX_TOKEN},
                              settings={"subdomain": "hirebot-sandbox"})
    return workable.WorkableAdapter(config, fake.client, policy=fake.policy, sleep=fake.clock.sleep,
                                    clock=fake.clock, rng=random.Random(5))


def _workable_listing(sandbox: workable_fake.WorkableSandbox) -> list[str]:
    return sorted(sandbox.state.candidates)  # ids grow with insertion: oldest first, as Workable lists


def _workable_applications(sandbox: workable_fake.WorkableSandbox) -> dict[str, str]:
    return {cid: cid for cid in sandbox.state.candidates}  # one record is one person on one job


def _workable_attachments(sandbox: workable_fake.WorkableSandbox) -> dict[str, str]:
    return {}  # resumes are linked through the profile page, never stored (their URL's lifetime is unknown)


def _workable_loners(sandbox: workable_fake.WorkableSandbox) -> list[str]:
    # Records a detail read shows as the list does: the list lacks tags, social profiles and the
    # disqualification date, so re-reading another record (by design) adds those and counts as a change.
    return [cid for cid in _workable_listing(sandbox)
            if not (record := sandbox.state.candidates[cid])["tags"] and not record["social_profiles"]
            and not record["disqualified"]]


def _workable_add(sandbox: workable_fake.WorkableSandbox, now: datetime) -> str:
    return str(sandbox.state.add_candidate("Siobhán Ní Bhriain", email="siobhan@example.ie", shortcode="HBOT001",
                                           now=now)["id"])


def _workable_rename(sandbox: workable_fake.WorkableSandbox, remote_id: str, first_name: str, now: datetime) -> None:
    sandbox.state.update_candidate(remote_id, firstname=first_name, now=now)


def _workable_delete(sandbox: workable_fake.WorkableSandbox, remote_id: str) -> None:
    sandbox.state.delete_candidate(remote_id)


def _workable_register_webhook(sandbox: workable_fake.WorkableSandbox, url: str) -> None:
    for event in ("candidate_moved", "candidate_deleted"):  # Workable takes each target URL once
        sandbox.add_subscription(f"{url}?event={event}", event, token=WEBHOOK_SECRET)


async def _workable_emit(sandbox: workable_fake.WorkableSandbox, remote_id: str, deleted: bool) -> None:
    await sandbox.emit("candidate_deleted" if deleted else "candidate_moved", remote_id)


def _workable_verify(delivery: Delivery, secret: str) -> bool:
    return workable.verify_webhook_signature(delivery.body, delivery.headers.get("X-Workable-Signature"), secret)


def _workable_forge(delivery: Delivery) -> Delivery:
    return Delivery(delivery.body, {**delivery.headers, "X-Workable-Signature": "0" * 64})


def _workable_webhook_refresh(delivery: Delivery) -> tuple[str, ...]:
    trigger = workable.parse_webhook(delivery.body)
    return (*trigger.candidate_ids, *trigger.deleted_candidate_ids)


WORKABLE = Provider(
    name="workable", page_size=workable.PAGE_SIZE, api_prefix=workable_fake.API_PREFIX, list_path="/candidates",
    refused_message="Workable refused the access token",
    build_sandbox=_workable_sandbox, build_adapter=_workable_adapter, listing=_workable_listing,
    applications=_workable_applications, attachments=_workable_attachments, loners=_workable_loners,
    add_candidate=_workable_add, rename=_workable_rename, delete=_workable_delete,
    register_webhook=_workable_register_webhook, emit_webhook=_workable_emit,
    verify_webhook=_workable_verify, forge_webhook=_workable_forge, webhook_refresh=_workable_webhook_refresh,
)


# --- Freshteam (read-only; no webhooks) -----------------------------------------------------------------


def _freshteam_sandbox(clock: EpochClock) -> freshteam_fake.FreshteamSandbox:
    return freshteam_fake.FreshteamSandbox(freshteam_dataset(seed=11, candidates=130, now=NOW), clock=clock,
                                           chaos=freshteam_fake.Chaos(sleep=clock.sleep))


def _freshteam_adapter(fake: Fake, wrong_key: str | None) -> AtsAdapter:
    config = ConnectionConfig(base_url=f"{fake.root_url}{freshteam_fake.API_PREFIX}",
                              credentials={"api_key": wrong_key or freshteam_fake.SANDBOX_API_KEY},
                              settings={"domain": freshteam_fake.SANDBOX_DOMAIN})
    return freshteam.FreshteamAdapter(config, fake.client, policy=fake.policy, sleep=fake.clock.sleep,
                                      clock=fake.clock, rng=random.Random(5))


def _freshteam_listing(sandbox: freshteam_fake.FreshteamSandbox) -> list[str]:
    return [str(cid) for cid in sorted(sandbox.state.candidates)]  # the list's own order: oldest id first


def _freshteam_applications(sandbox: freshteam_fake.FreshteamSandbox) -> dict[str, str]:
    return {str(a.id): str(a.candidate_id) for a in sandbox.state.applicants.values()}


def _freshteam_attachments(sandbox: freshteam_fake.FreshteamSandbox) -> dict[str, str]:
    state = sandbox.state
    found = {str(file_id): str(c.id) for c in state.candidates.values() for file_id, _, _ in c.resumes}
    return found | {str(a.cover_letter[0]): str(a.candidate_id) for a in state.applicants.values() if a.cover_letter}


def _freshteam_add(sandbox: freshteam_fake.FreshteamSandbox, now: datetime) -> str:
    return str(sandbox.state.add_candidate("Siobhán", "Ní Bhriain", email="siobhan@example.ie", now=now).id)


def _freshteam_rename(sandbox: freshteam_fake.FreshteamSandbox, remote_id: str, first_name: str,
                      now: datetime) -> None:
    sandbox.state.update_candidate(int(remote_id), first_name=first_name, now=now)


def _freshteam_delete(sandbox: freshteam_fake.FreshteamSandbox, remote_id: str) -> None:
    sandbox.state.delete_candidate(int(remote_id))


def _freshteam_no_webhooks(*args: Any) -> Any:
    raise AssertionError("Freshteam sends no webhooks")


FRESHTEAM = Provider(
    name="freshteam", page_size=freshteam.PAGE_SIZE, api_prefix=freshteam_fake.API_PREFIX,
    list_path="/candidates", refused_message="Freshteam refused the API key",
    build_sandbox=_freshteam_sandbox, build_adapter=_freshteam_adapter, listing=_freshteam_listing,
    applications=_freshteam_applications, attachments=_freshteam_attachments, loners=_freshteam_listing,
    add_candidate=_freshteam_add, rename=_freshteam_rename, delete=_freshteam_delete,
    register_webhook=_freshteam_no_webhooks, emit_webhook=_freshteam_no_webhooks,
    verify_webhook=_freshteam_no_webhooks, forge_webhook=_freshteam_no_webhooks,
    webhook_refresh=_freshteam_no_webhooks,
    no_webhooks="Freshteam documents no webhooks: hirebot polls it",
)


# --- Recruitee (company API) ----------------------------------------------------------------------------

RECRUITEE_PREFIX = f"/c/{recruitee_fake.RecruiteeState().company_id}"


def _recruitee_sandbox(clock: EpochClock) -> recruitee_fake.RecruiteeSandbox:
    return recruitee_fake.RecruiteeSandbox(recruitee_dataset(seed=11, candidates=230, now=NOW), clock=clock,
                                           chaos=recruitee_fake.Chaos(sleep=clock.sleep))


def _recruitee_adapter(fake: Fake, wrong_token: str | None) -> AtsAdapter:
    sandbox: recruitee_fake.RecruiteeSandbox = fake.sandbox
    config = ConnectionConfig(base_url=f"{fake.root_url}{sandbox.api_prefix}",
                              credentials={"token": wrong_token or sandbox.token},
                              settings={"company_id": str(sandbox.state.company_id)})
    return recruitee.RecruiteeAdapter(config, fake.client, policy=fake.policy, sleep=fake.clock.sleep,
                                      clock=fake.clock, rng=random.Random(5))


def _recruitee_listing(sandbox: recruitee_fake.RecruiteeSandbox) -> list[str]:
    rows = sorted(sandbox.state.candidates.values(), key=lambda row: (row["created_at"], row["id"]), reverse=True)
    return [str(row["id"]) for row in rows]  # newest first, as /candidates sorts by date


def _recruitee_applications(sandbox: recruitee_fake.RecruiteeSandbox) -> dict[str, str]:
    return {str(p["id"]): str(row["id"]) for row in sandbox.state.candidates.values() for p in row["placements"]}


def _recruitee_attachments(sandbox: recruitee_fake.RecruiteeSandbox) -> dict[str, str]:
    # A CV is linked by the candidate's Recruitee page, one per candidate that has one.
    return {f"cv-{cid}": str(cid) for cid in sandbox.state.cvs if cid in sandbox.state.candidates}


def _recruitee_add(sandbox: recruitee_fake.RecruiteeSandbox, now: datetime) -> str:
    state = sandbox.state
    row = state.add_candidate("Siobhán Ní Bhriain", emails=["siobhan@example.ie"], offer_ids=state.job_offers()[:1],
                              at=now.timestamp())
    state.cvs[row["id"]] = ("Siobhan CV.pdf", b"%PDF-1.4 cv")
    return str(row["id"])


def _recruitee_rename(sandbox: recruitee_fake.RecruiteeSandbox, remote_id: str, first_name: str,
                      now: datetime) -> None:
    row = sandbox.state.candidates[int(remote_id)]
    row["name"] = f"{first_name} {row['name'].split(' ', 1)[-1]}"
    sandbox.state.touch(int(remote_id), now.timestamp())


def _recruitee_delete(sandbox: recruitee_fake.RecruiteeSandbox, remote_id: str) -> None:
    sandbox.state.delete_candidate(int(remote_id))


def _recruitee_register_webhook(sandbox: recruitee_fake.RecruiteeSandbox, url: str) -> None:
    sandbox.add_webhook(url, WEBHOOK_SECRET)


async def _recruitee_emit(sandbox: recruitee_fake.RecruiteeSandbox, remote_id: str, deleted: bool) -> None:
    if deleted:
        await sandbox.emit("candidate_deleted", int(remote_id))
    else:
        await sandbox.emit("candidate_moved", int(remote_id), "stage_changed")


def _recruitee_verify(delivery: Delivery, secret: str) -> bool:
    return recruitee.verify_webhook_signature(delivery.body, delivery.headers.get(recruitee.SIGNATURE_HEADER),
                                              secret)


def _recruitee_forge(delivery: Delivery) -> Delivery:
    return Delivery(delivery.body, {**delivery.headers, recruitee.SIGNATURE_HEADER: "0" * 64})


def _recruitee_webhook_refresh(delivery: Delivery) -> tuple[str, ...]:
    trigger = recruitee.parse_webhook(delivery.body)
    return (*trigger.candidate_ids, *trigger.deleted_candidate_ids)


RECRUITEE = Provider(
    name="recruitee", page_size=recruitee.PAGE_SIZE, api_prefix=RECRUITEE_PREFIX, list_path="/candidates",
    refused_message="Recruitee refused the API token",
    build_sandbox=_recruitee_sandbox, build_adapter=_recruitee_adapter, listing=_recruitee_listing,
    applications=_recruitee_applications, attachments=_recruitee_attachments, loners=_recruitee_listing,
    add_candidate=_recruitee_add, rename=_recruitee_rename, delete=_recruitee_delete,
    register_webhook=_recruitee_register_webhook, emit_webhook=_recruitee_emit,
    verify_webhook=_recruitee_verify, forge_webhook=_recruitee_forge, webhook_refresh=_recruitee_webhook_refresh,
)


# --- Zoho Recruit (REST v2) ------------------------------------------------------------------------------


def _zoho_sandbox(clock: EpochClock) -> zoho_fake.ZohoSandbox:
    zoho.forget_all_tokens()  # a fake started on a port an earlier one used knows none of its tokens
    zoho.forget_org_caches()
    return zoho_fake.ZohoSandbox(zoho_dataset(seed=5, candidates=450, now=NOW), clock=clock,
                                 chaos=zoho_fake.Chaos(sleep=clock.sleep))


def _zoho_adapter(fake: Fake, wrong_secret: str | None) -> AtsAdapter:
    config = ConnectionConfig(
        base_url=f"{fake.root_url}{zoho_fake.API_PREFIX}",
        credentials={"client_id": zoho_fake.SANDBOX_CLIENT_ID,
                     "client_secret": wrong_secret or zoho_fake.SANDBOX_CLIENT_SECRET,
                     "refresh_token": zoho_fake.SANDBOX_REFRESH_TOKEN},
        settings={"accounts_url": fake.root_url, "data_center": "us"})
    return zoho.ZohoAdapter(config, fake.client, policy=fake.policy, sleep=fake.clock.sleep, clock=fake.clock,
                            rng=random.Random(5))


def _zoho_listing(sandbox: zoho_fake.ZohoSandbox) -> list[str]:
    return [row["id"] for row in sandbox.state.listing()]


def _zoho_applications(sandbox: zoho_fake.ZohoSandbox) -> dict[str, str]:
    # One application per job association ("candidateId:jobId"); a candidate with none has a prospect one.
    found: dict[str, str] = {}
    for candidate_id in _zoho_listing(sandbox):
        jobs = sandbox.state.associations.get(candidate_id) or {}
        found.update({f"{candidate_id}:{job_id}": candidate_id for job_id in jobs} or {candidate_id: candidate_id})
    return found


def _zoho_add(sandbox: zoho_fake.ZohoSandbox, now: datetime) -> str:
    return str(sandbox.state.add_candidate("Siobhán", "Ní Bhriain", email="siobhan@example.ie", now=now)["id"])


def _zoho_rename(sandbox: zoho_fake.ZohoSandbox, remote_id: str, first_name: str, now: datetime) -> None:
    sandbox.state.update_candidate(remote_id, now=now, First_Name=first_name)


def _zoho_register_webhook(sandbox: zoho_fake.ZohoSandbox, url: str) -> None:
    # The secret as a custom parameter (the receiver here keeps bodies, not URLs); `hirebot webhooks` puts it in
    # the URL, which the same check reads.
    sandbox.add_webhook(url, custom={"key": WEBHOOK_SECRET})


async def _zoho_emit(sandbox: zoho_fake.ZohoSandbox, remote_id: str, deleted: bool) -> None:
    await sandbox.emit(remote_id, event="deleted" if deleted else None)


def _zoho_headers(delivery: Delivery) -> dict[str, str]:
    return {name.lower(): value for name, value in delivery.headers.items()}


def _zoho_verify(delivery: Delivery, secret: str) -> bool:
    return zoho.verify_webhook_secret(delivery.body, _zoho_headers(delivery), secret)


def _zoho_forge(delivery: Delivery) -> Delivery:
    params = [(name, "0" * 43 if name == "key" else value) for name, value in parse_qsl(delivery.body.decode())]
    return Delivery(urlencode(params).encode(), delivery.headers)


def _zoho_webhook_refresh(delivery: Delivery) -> tuple[str, ...]:
    return zoho.parse_webhook(delivery.body, _zoho_headers(delivery)).candidate_ids  # a 404 on re-read deletes


ZOHO = Provider(
    name="zoho", page_size=zoho.PAGE_SIZE, api_prefix=zoho_fake.API_PREFIX, list_path="/Candidates",
    refused_message="Zoho refused the client id or client secret",
    build_sandbox=_zoho_sandbox, build_adapter=_zoho_adapter, listing=_zoho_listing,
    applications=_zoho_applications, attachments=lambda sandbox: {}, loners=_zoho_listing,
    add_candidate=_zoho_add, rename=_zoho_rename, delete=lambda sandbox, rid: sandbox.state.delete_candidate(rid),
    register_webhook=_zoho_register_webhook, emit_webhook=_zoho_emit,
    verify_webhook=_zoho_verify, forge_webhook=_zoho_forge, webhook_refresh=_zoho_webhook_refresh,
)


# --- BreezyHR (API v3) ----------------------------------------------------------------------------------

# The contract roster sits on one position (with an empty talent pool beside it), so its candidate list is
# one listing path, paged like the others'.
BREEZY_POSITION = next(iter(breezy_dataset(seed=13, candidates=0, now=NOW, positions=1).positions))
BREEZY_LIST = f"/company/{breezyhr_dataset.COMPANY_ID}/position/{BREEZY_POSITION}/candidates"


def _breezy_sandbox(clock: EpochClock) -> breezy_fake.BreezySandbox:
    return breezy_fake.BreezySandbox(breezy_dataset(seed=13, candidates=120, now=NOW, positions=1), clock=clock,
                                     chaos=breezy_fake.Chaos(sleep=clock.sleep))


def _breezy_adapter(fake: Fake, wrong_token: str | None) -> AtsAdapter:
    config = ConnectionConfig(base_url=f"{fake.root_url}{breezy_fake.API_PREFIX}",
                              credentials={"token": wrong_token or breezyhr_dataset.SANDBOX_TOKEN})
    return breezyhr.BreezyAdapter(config, fake.client, policy=fake.policy, sleep=fake.clock.sleep,
                                  clock=fake.clock, rng=random.Random(5))


def _breezy_listing(sandbox: breezy_fake.BreezySandbox) -> list[str]:
    state = sandbox.state
    return [row["_id"] for position_id in state.positions
            for row in sorted(state.on_position(position_id), key=lambda r: (r["creation_date"], r["_id"]))]


def _breezy_applications(sandbox: breezy_fake.BreezySandbox) -> dict[str, str]:
    return {breezyhr.application_id(sandbox.state.placed[cid], cid): cid for cid in _breezy_listing(sandbox)}


def _breezy_attachments(sandbox: breezy_fake.BreezySandbox) -> dict[str, str]:
    rows = sandbox.state.candidates
    return {f"{cid}:resume": cid for cid in _breezy_listing(sandbox) if rows[cid].get("resume")}


def _breezy_add(sandbox: breezy_fake.BreezySandbox, now: datetime) -> str:
    return str(sandbox.state.add_candidate("Siobhán Ní Bhriain", position_id=BREEZY_POSITION,
                                           email="siobhan@example.ie", now=now)["_id"])


def _breezy_rename(sandbox: breezy_fake.BreezySandbox, remote_id: str, first_name: str, now: datetime) -> None:
    last = str(sandbox.state.candidates[remote_id]["name"]).split(" ", 1)[-1]
    sandbox.state.update_candidate(remote_id, now=now, name=f"{first_name} {last}")


def _breezy_delete(sandbox: breezy_fake.BreezySandbox, remote_id: str) -> None:
    sandbox.state.delete_candidate(remote_id)


def _breezy_register_webhook(sandbox: breezy_fake.BreezySandbox, url: str) -> None:
    sandbox.add_webhook(url, events=["candidateStatusUpdated", "candidateDeleted"], secret=WEBHOOK_SECRET)


async def _breezy_emit(sandbox: breezy_fake.BreezySandbox, remote_id: str, deleted: bool) -> None:
    await sandbox.emit("candidateDeleted" if deleted else "candidateStatusUpdated", remote_id)


def _breezy_verify(delivery: Delivery, secret: str) -> bool:
    return breezyhr.verify_webhook_signature(delivery.body, delivery.headers.get("X-Hook-Signature"), secret)


def _breezy_forge(delivery: Delivery) -> Delivery:
    return Delivery(delivery.body, {**delivery.headers, "X-Hook-Signature": "0" * 64})


def _breezy_webhook_refresh(delivery: Delivery) -> tuple[str, ...]:
    trigger = breezyhr.parse_webhook(delivery.body)
    return (*trigger.candidate_ids, *trigger.deleted_candidate_ids)


BREEZYHR = Provider(
    name="breezyhr", page_size=breezyhr.PAGE_SIZE, api_prefix=breezy_fake.API_PREFIX, list_path=BREEZY_LIST,
    refused_message="BreezyHR refused the token",
    build_sandbox=_breezy_sandbox, build_adapter=_breezy_adapter, listing=_breezy_listing,
    applications=_breezy_applications, attachments=_breezy_attachments, loners=_breezy_listing,
    add_candidate=_breezy_add, rename=_breezy_rename, delete=_breezy_delete,
    register_webhook=_breezy_register_webhook, emit_webhook=_breezy_emit,
    verify_webhook=_breezy_verify, forge_webhook=_breezy_forge, webhook_refresh=_breezy_webhook_refresh,
)


PROVIDERS: dict[str, Provider] = {provider.name: provider for provider in (
    GREENHOUSE,
    LEVER,
    TEAMTAILOR,
    WORKABLE,
    FRESHTEAM,
    RECRUITEE,
    ZOHO,
    BREEZYHR,
)}
