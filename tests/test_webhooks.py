"""ATS webhooks over real HTTP: the sandboxes sign and deliver to hirebot's server on loopback, which
re-reads the named records from the same sandboxes into a real SQLite or PostgreSQL store.

One fake clock drives the sandboxes, the adapters' pacing and the receiver's idea of "now", so staleness
and retries are tested without waiting on the wall clock.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import unused_port
from sqlalchemy import select

from adapters.lever.spec import MAX_AGE as LEVER_MAX_AGE
from adapters.sandbox.greenhouse import (
    webhook_signature,
)
from bot.webhooks import REPLAY_WINDOW, Claim, WebhookReceiver, claim_delivery, finish_delivery, handle_webhook
from scheduler.sync_jobs import ConnectionSyncer
from store.db import make_engine, session_factory, transaction
from store.models import AtsConnection, WebhookDelivery
from store.webhook_secrets import add_issued_token as add_lever_token
from store.webhook_secrets import generated_secret as greenhouse_secret
from store.webhook_secrets import issued_tokens as lever_tokens
from tests.rigs.webhook_hub import (
    GREENHOUSE_SECRET,
    NOW,
    Hub,
    add_connection,
    open_runtime,
)

# -- Lever -------------------------------------------------------------------------------------------------


async def test_lever_delivery_from_the_sandbox_stores_the_new_candidate(hub: Hub) -> None:
    posting = next(iter(hub.sandbox.state.postings))
    opp = hub.sandbox.state.add_opportunity("Ngozi Okonkwo-Brandt", email="ngozi@example.org",
                                            posting_id=posting, origin="applied")
    assert await hub.sandbox.emit("applicationCreated", opp.id) == [200]

    stored = hub.stored()
    assert set(stored) == {opp.id}  # only the named opportunity was read, not the whole account
    assert stored[opp.id].full_name == "Ngozi Okonkwo-Brandt"
    assert stored[opp.id].primary_email == "ngozi@example.org"
    [delivery] = hub.deliveries()
    assert (delivery.provider, delivery.event) == ("lever", "applicationCreated")
    assert delivery.outcome == "processed"
    assert delivery.delivery_id == hub.sandbox.deliveries[-1].payload["token"]
    assert hub.receiver.deliveries[("lever", "processed")] == 1


async def test_lever_bad_or_missing_signature_is_refused_and_nothing_is_stored(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    forged = hub.lever_payload("candidateStageChange", opp.id, signature_token="not-the-token")
    unsigned = json.loads(hub.lever_payload("candidateStageChange", opp.id))
    del unsigned["signature"]
    for body in (forged, json.dumps(unsigned).encode(), b"not json at all", b""):
        status, answer = await hub.post(hub.url(), body)
        assert status == 401 and answer == {"error": "unauthorized"}
    assert hub.stored() == {} and hub.deliveries() == [] and hub.reads(opp.id) == 0
    assert hub.receiver.deliveries[("lever", "unauthorized")] == 4


async def test_lever_any_stored_signature_token_verifies(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    hired = hub.sandbox.add_webhook("candidateHired", hub.url())["configuration"]["signatureToken"]
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    body = hub.lever_payload("candidateHired", opp.id, signature_token=hired)
    assert (await hub.post(hub.url(), body))[0] == 401  # not pasted into hirebot yet
    assert add_lever_token(hub.runtime.sessions, hub.runtime.box, hub.connection_id, hired) == 2
    assert add_lever_token(hub.runtime.sessions, hub.runtime.box, hub.connection_id, f"  {hired} ") == 2
    body = hub.lever_payload("candidateHired", opp.id, signature_token=hired)
    status, answer = await hub.post(hub.url(), body)
    assert status == 200 and answer == {"status": "processed", "refreshed": 1, "deleted": 0}
    assert opp.id in hub.stored()


async def test_lever_stale_and_future_deliveries_are_refused(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    now_ms = int(hub.clock() * 1000)
    too_old = now_ms - int(LEVER_MAX_AGE.total_seconds() * 1000) - 1000
    for at in (too_old, now_ms + 10 * 60 * 1000):
        body = hub.lever_payload("candidateStageChange", opp.id, triggered_at=at)
        status, answer = await hub.post(hub.url(), body)
        assert status == 401 and answer == {"error": "stale"}
    assert hub.deliveries() == [] and hub.reads(opp.id) == 0
    almost_old = now_ms - int(LEVER_MAX_AGE.total_seconds() * 1000) + 1000
    body = hub.lever_payload("candidateStageChange", opp.id, triggered_at=almost_old)
    status, _ = await hub.post(hub.url(), body)
    assert status == 200 and opp.id in hub.stored()


async def test_lever_replayed_token_does_no_work(hub: Hub) -> None:
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    body = hub.lever_payload("candidateStageChange", opp.id, token="once-only")
    first = await hub.post(hub.url(), body)
    reads = hub.reads(opp.id)
    second = await hub.post(hub.url(), body)
    assert first == (200, {"status": "processed", "refreshed": 1, "deleted": 0})
    assert second == (200, {"status": "duplicate"})
    assert reads == 1 and hub.reads(opp.id) == 1  # the replay read nothing
    assert [d.outcome for d in hub.deliveries()] == ["processed"]


async def test_control_characters_in_a_signed_delivery_are_stored_safely(hub: Hub) -> None:
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    at, token = int(hub.clock() * 1000), "tok\x00\n-1"
    body = json.dumps({"triggeredAt": at, "event": "candidateStageChange\x00\r\nforged log line",
                       "token": token, "signature": hub.sandbox.sign(token, at, hub.signature_token),
                       "data": hub.sandbox.event_data("candidateStageChange", opp.id)}).encode()
    assert (await hub.post(hub.url(), body))[0] == 200
    assert await hub.post(hub.url(), body) == (200, {"status": "duplicate"})
    [delivery] = hub.deliveries()
    assert delivery.event == "candidateStageChangeforged log line"
    assert delivery.delivery_id.startswith("sha256:")


async def test_lever_deletion_is_confirmed_by_the_api_then_applied(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    await hub.full_sync(hub.connection_id)
    state = hub.sandbox.state
    gone, kept = [opp.id for opp in state.opportunities.values() if not opp.confidential][:2]
    assert {gone, kept} <= set(hub.stored())

    # Lever's deletion claim is unsigned data: while the API still has the opportunity, it stays.
    status, answer = await hub.post(hub.url(), hub.lever_payload("candidateDeleted", kept))
    assert status == 200 and answer["deleted"] == 0 and kept in hub.stored()

    data = hub.sandbox.event_data("candidateDeleted", gone)
    state.delete_opportunity(gone)
    at = int(hub.clock() * 1000)
    body = json.dumps({"triggeredAt": at, "event": "candidateDeleted", "token": "del-1",
                       "signature": hub.sandbox.sign("del-1", at, hub.signature_token),
                       "data": data}).encode()
    status, answer = await hub.post(hub.url(), body)
    assert status == 200 and answer == {"status": "processed", "refreshed": 0, "deleted": 1}
    assert gone not in hub.stored() and kept in hub.stored()


async def test_lever_ats_down_answers_500_then_the_retry_succeeds(hub: Hub) -> None:
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    body = hub.lever_payload("candidateStageChange", opp.id, token="retry-me")
    hub.sandbox.chaos.fail_next(503, times=2, path=f"/opportunities/{opp.id}")
    status, answer = await hub.post(hub.url(), body)
    assert status == 500 and answer == {"error": "failed"}
    assert [d.outcome for d in hub.deliveries()] == ["failed"] and hub.stored() == {}

    status, answer = await hub.post(hub.url(), body)  # the same delivery again, once Lever is back
    assert status == 200 and answer["status"] == "processed"
    assert [d.outcome for d in hub.deliveries()] == ["processed"] and opp.id in hub.stored()


async def test_unknown_inactive_or_wrong_provider_connections_are_404(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    body = hub.lever_payload("candidateStageChange", opp.id)
    inactive = add_connection(hub.runtime, "lever", "http://127.0.0.1:9/v1", {"api_key": "k"}, active=False)
    for url in (hub.url(connection_id=9999), hub.url(connection_id="abc"), hub.url(connection_id=inactive),
                hub.url("greenhouse", hub.connection_id)):
        status, answer = await hub.post(url, body, {"Signature": "sha256 00"})
        assert status == 404 and answer == {"error": "not found"}
    assert hub.deliveries() == []


async def test_huge_negative_or_non_numeric_connection_ids_are_404_not_500(hub: Hub) -> None:
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    body = hub.lever_payload("candidateStageChange", opp.id)
    for raw in ("9" * 30, str(2**63), str(2**31), "-1", "0", "1e3", "%EF%BC%91", "0x1", " 1"):
        for provider in ("lever", "greenhouse"):
            status, answer = await hub.post(hub.url(provider, connection_id=raw), body, {"Signature": "sha256 00"})
            assert (raw, status, answer) == (raw, 404, {"error": "not found"})
    assert hub.deliveries() == []


async def test_a_lever_connection_without_tokens_refuses_everything(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    bare = add_connection(hub.runtime, "lever", "http://127.0.0.1:9/v1", {"api_key": "k"})
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    status, _ = await hub.post(hub.url(connection_id=bare), hub.lever_payload("candidateStageChange", opp.id))
    assert status == 401


async def test_events_without_a_candidate_are_acknowledged_and_ignored(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    at = int(hub.clock() * 1000)
    body = json.dumps({"triggeredAt": at, "event": "contactUpdated", "token": "c-1",
                       "signature": hub.sandbox.sign("c-1", at, hub.signature_token),
                       "data": {"contactId": "c"}}).encode()
    assert await hub.post(hub.url(), body) == (200, {"status": "ignored"})
    assert hub.stored() == {}


# -- Greenhouse --------------------------------------------------------------------------------------------


def open_job_id(hub: Hub) -> int:
    return next(job_id for job_id, job in hub.greenhouse.state.jobs.items() if job["status"] == "open")


async def test_greenhouse_delivery_from_the_sandbox_stores_the_new_candidate(hub: Hub) -> None:
    row = hub.greenhouse.state.add_candidate("Zoë", "Achterberg-Nwosu", email="zoe@example.nl",
                                             job_id=open_job_id(hub))
    await hub.greenhouse.drain_webhooks()  # the sandbox delivers in the background, as Greenhouse does

    [delivery] = hub.greenhouse.deliveries
    assert (delivery.action, delivery.status) == ("new_candidate_application", 200)
    stored = hub.stored(hub.greenhouse_id)
    assert set(stored) == {str(row["id"])}
    assert stored[str(row["id"])].full_name == "Zoë Achterberg-Nwosu"
    [ledger] = hub.deliveries()
    assert (ledger.provider, ledger.delivery_id) == ("greenhouse", delivery.event_id)
    assert ledger.outcome == "processed"
    assert hub.receiver.deliveries[("greenhouse", "processed")] == 1


async def test_greenhouse_bad_or_missing_signature_is_401_and_nothing_is_stored(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    candidate_id = next(iter(hub.greenhouse.state.candidates))
    payload = {"candidate": {"id": candidate_id}}
    forged = await hub.post_greenhouse("update_candidate", payload, secret="wrong")
    assert forged == (401, {"error": "unauthorized"})
    body = json.dumps({"action": "update_candidate", "payload": payload}).encode()
    good = webhook_signature(GREENHOUSE_SECRET, body)
    for headers in ({}, {"Signature": good.replace("sha256 ", "sha1 ")}, {"Signature": good[:-2]},
                    {"Signature": webhook_signature(GREENHOUSE_SECRET, body + b" ")}):
        sent = {"Greenhouse-Event-ID": "e-1", **headers}
        status, answer = await hub.post(hub.url("greenhouse"), body, sent)
        assert (status, answer) == (401, {"error": "unauthorized"})
    assert hub.deliveries() == [] and hub.stored(hub.greenhouse_id) == {} and hub.greenhouse_reads() == 0


async def test_greenhouse_duplicate_event_id_is_not_read_twice(hub: Hub) -> None:
    candidate_id = next(iter(hub.greenhouse.state.candidates))
    payload = {"candidate": {"id": candidate_id}}
    first = await hub.post_greenhouse("update_candidate", payload, event_id="evt-42")
    reads = hub.greenhouse_reads()
    second = await hub.post_greenhouse("update_candidate", payload, event_id="evt-42")
    assert first == (200, {"status": "processed", "refreshed": 1, "deleted": 0})
    assert second == (200, {"status": "duplicate"})
    assert reads >= 1 and hub.greenhouse_reads() == reads
    assert [d.outcome for d in hub.deliveries()] == ["processed"]


async def test_a_signed_greenhouse_body_replayed_under_new_event_ids_is_not_read_again(hub: Hub) -> None:
    first_id, other_id = sorted(hub.greenhouse.state.candidates)[:2]
    payload = {"candidate": {"id": first_id}}
    assert await hub.post_greenhouse("update_candidate", payload, event_id="evt-1") == (
        200, {"status": "processed", "refreshed": 1, "deleted": 0})
    reads = hub.greenhouse_reads()
    for n in range(2, 7):  # the same signed bytes, each time under a fresh event id
        replay = await hub.post_greenhouse("update_candidate", payload, event_id=f"evt-{n}")
        assert replay == (200, {"status": "duplicate"})
    assert hub.greenhouse_reads() == reads
    other = await hub.post_greenhouse("update_candidate", {"candidate": {"id": other_id}}, event_id="evt-7")
    assert other[1]["status"] == "processed"  # another body is work as usual
    hub.clock.advance(REPLAY_WINDOW.total_seconds() + 1)
    later = await hub.post_greenhouse("update_candidate", payload, event_id="evt-8")
    assert later[1]["status"] == "processed"  # after the window the same body is read again
    assert [d.delivery_id for d in hub.deliveries()] == ["evt-1", "evt-7", "evt-8"]


async def test_greenhouse_delete_and_merge_remove_the_local_records(hub: Hub) -> None:
    await hub.full_sync(hub.greenhouse_id)
    state = hub.greenhouse.state
    deleted, merged, survivor = sorted(state.candidates)[:3]
    survivor_apps = {a for a, row in state.applications.items() if row["candidate_id"] in (merged, survivor)}

    state.delete_candidate(deleted)
    state.merge_candidates(merged, survivor)
    await hub.greenhouse.drain_webhooks()

    assert [d.status for d in hub.greenhouse.deliveries] == [200, 200]
    stored = hub.stored(hub.greenhouse_id)
    assert str(deleted) not in stored and str(merged) not in stored and str(survivor) in stored
    with hub.runtime.sessions() as session:
        from store.models import Application
        moved = set(session.scalars(select(Application.remote_id)
                                    .where(Application.candidate_id == stored[str(survivor)].id)))
    assert {str(a) for a in survivor_apps if state.applications[a]["status"] != "converted"} <= moved


async def test_greenhouse_anonymisation_is_read_back(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    await hub.full_sync(hub.greenhouse_id)
    candidate_id = sorted(hub.greenhouse.state.candidates)[0]
    hub.greenhouse.state.anonymize_candidate(candidate_id, ("full_name", "email_addresses"))
    await hub.greenhouse.drain_webhooks()
    row = hub.stored(hub.greenhouse_id)[str(candidate_id)]
    assert (row.first_name, row.last_name, row.primary_email) == ("Anonymized", "Candidate", None)


async def test_greenhouse_ats_down_answers_500_and_the_retry_succeeds(hub: Hub) -> None:
    hub.greenhouse.chaos.fail_next(503, times=2, path="/v3/candidates")  # both of the adapter's attempts
    row = hub.greenhouse.state.add_candidate("Mateus", "Quispe", email="mq@example.pe",
                                             job_id=open_job_id(hub))
    await hub.greenhouse.drain_webhooks()

    first, retry = hub.greenhouse.deliveries
    assert (first.status, retry.status) == (500, 200) and first.event_id == retry.event_id
    assert hub.clock.sleeps.count(60.0) == 1  # Greenhouse waited a minute before retrying
    assert str(row["id"]) in hub.stored(hub.greenhouse_id)
    assert [d.outcome for d in hub.deliveries()] == ["processed"]
    assert hub.receiver.deliveries == {("greenhouse", "failed"): 1, ("greenhouse", "processed"): 1}


async def test_greenhouse_ping_and_unknown_actions_are_acknowledged(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    assert await hub.post_greenhouse("ping", {}) == (200, {"status": "ignored"})
    assert await hub.post_greenhouse("offer_created", {"offer": {"id": 1}}) == (200, {"status": "ignored"})
    body = b'{"not": "an action"'
    signed = {"Signature": webhook_signature(GREENHOUSE_SECRET, body)}
    status, answer = await hub.post(hub.url("greenhouse"), body, signed)
    assert (status, answer) == (400, {"error": "malformed"})
    assert hub.greenhouse_reads() == 0


async def test_greenhouse_job_events_run_a_sync_under_the_lease(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    from store.leases import release_lease, take_lease
    assert take_lease(hub.runtime.sessions, hub.greenhouse_id, "other-process", now=hub.clock.moment(),
                      seconds=60)
    status, answer = await hub.post_greenhouse("job_created", {"job": {"id": 1}}, event_id="job-1")
    assert (status, answer) == (503, {"error": "busy"})  # Greenhouse retries later
    release_lease(hub.runtime.sessions, hub.greenhouse_id, "other-process")

    status, answer = await hub.post_greenhouse("job_created", {"job": {"id": 1}}, event_id="job-1")
    assert (status, answer) == (200, {"status": "processed"})
    with hub.runtime.sessions() as session:
        from store.models import Job
        jobs = set(session.scalars(select(Job.remote_id).where(Job.connection_id == hub.greenhouse_id)))
        connection = session.get(AtsConnection, hub.greenhouse_id)
    assert jobs == {str(job_id) for job_id in hub.greenhouse.state.jobs}
    assert connection is not None and connection.last_sync_at == hub.clock.moment()
    assert hub.receiver.syncer.outcomes == {("webhook", "busy"): 1, ("webhook", "ok"): 1}


async def test_a_store_that_does_not_answer_gives_a_plain_500(tmp_path: Path) -> None:
    runtime = open_runtime(tmp_path, f"sqlite:///{tmp_path / 'ok.sqlite3'}")
    down = make_engine(f"postgresql://hirebot@127.0.0.1:{unused_port()}/hirebot",
                       connect_args={"connect_timeout": 2})
    try:
        sessions = session_factory(down)
        receiver = WebhookReceiver(sessions, runtime.box,
                                   ConnectionSyncer(sessions, runtime.connections.adapter),
                                   adapter_factory=runtime.connections.adapter)
        assert await handle_webhook(receiver, "lever", "1", b"{}", {}) == (500, {"error": "failed"})
        answer = await handle_webhook(receiver, "greenhouse", "1", b"{}", {})
        assert answer == (500, {"error": "failed"})  # no detail of the failure reaches the sender
        await receiver.close()
    finally:
        down.dispose()
        runtime.close()


# -- the delivery ledger -----------------------------------------------------------------------------------


def test_a_delivery_is_claimed_once_and_a_failed_or_abandoned_one_can_be_claimed_again(
        tmp_path: Path, database_url: str) -> None:
    runtime = open_runtime(tmp_path, database_url)
    try:
        connection_id = add_connection(runtime, "greenhouse", "http://127.0.0.1:9", {"client_id": "x"})
        with runtime.sessions() as session:
            connection = session.get(AtsConnection, connection_id)
        assert connection is not None

        def claim(at: datetime) -> Claim:
            return claim_delivery(runtime.sessions, connection, "evt-1", "update_candidate", now=at)

        assert claim(NOW) is Claim.CLAIMED
        assert claim(NOW + timedelta(seconds=1)) is Claim.IN_PROGRESS  # a retry while the first still runs
        finish_delivery(runtime.sessions, connection_id, "evt-1", "failed")
        assert claim(NOW + timedelta(seconds=2)) is Claim.CLAIMED  # the sender's retry after our 500
        assert claim(NOW + timedelta(minutes=6)) is Claim.CLAIMED  # that process died: reclaimed
        finish_delivery(runtime.sessions, connection_id, "evt-1", "processed")
        assert claim(NOW + timedelta(minutes=7)) is Claim.DUPLICATE
        with runtime.sessions() as session:
            assert session.scalar(select(WebhookDelivery.outcome)) == "processed"
    finally:
        runtime.close()


def test_webhook_secrets_are_sealed_and_validated(tmp_path: Path) -> None:
    runtime = open_runtime(tmp_path, f"sqlite:///{tmp_path / 's.sqlite3'}")
    try:
        lever_id = add_connection(runtime, "lever", "http://127.0.0.1:9/v1", {"api_key": "k"})
        greenhouse_id = add_connection(runtime, "greenhouse", "http://127.0.0.1:9", {"client_id": "x"})
        assert add_lever_token(runtime.sessions, runtime.box, lever_id, "tok_A-1") == 1
        with runtime.sessions() as session:
            lever_row = session.get(AtsConnection, lever_id)
            greenhouse_row = session.get(AtsConnection, greenhouse_id)
        assert lever_row is not None and greenhouse_row is not None
        assert b"tok_A-1" not in (lever_row.webhook_secret or b"")  # encrypted at rest
        assert lever_tokens(runtime.box, lever_row) == ["tok_A-1"]
        assert greenhouse_secret(runtime.box, greenhouse_row) == "greenhouse-secret-key"
        from adapters.errors import ConfigError
        for bad in ("", "   ", "two words", "x" * 201, "<script>"):
            with pytest.raises(ConfigError):
                add_lever_token(runtime.sessions, runtime.box, lever_id, bad)
        with pytest.raises(ConfigError, match=r"no Lever\b[^.]* connection"):  # each ATS with issued tokens
            add_lever_token(runtime.sessions, runtime.box, greenhouse_id, "tok")
    finally:
        runtime.close()


def test_tokens_stored_under_the_old_lever_key_still_count_and_move_to_the_neutral_key(tmp_path: Path) -> None:
    runtime = open_runtime(tmp_path, f"sqlite:///{tmp_path / 'legacy.sqlite3'}")
    try:
        lever_id = add_connection(runtime, "lever", "http://127.0.0.1:9/v1", {"api_key": "k"})
        with transaction(runtime.sessions) as session:
            row = session.get(AtsConnection, lever_id)
            assert row is not None
            row.webhook_secret = runtime.box.seal({"secret": "s", "lever_signature_tokens": ["tok_old"]})
        with runtime.sessions() as session:
            row = session.get(AtsConnection, lever_id)
            assert row is not None and lever_tokens(runtime.box, row) == ["tok_old"]
        assert add_lever_token(runtime.sessions, runtime.box, lever_id, "tok_new") == 2
        with runtime.sessions() as session:
            row = session.get(AtsConnection, lever_id)
            assert row is not None and row.webhook_secret is not None
            assert runtime.box.open(row.webhook_secret) == {"secret": "s", "signature_tokens": ["tok_old", "tok_new"]}
    finally:
        runtime.close()
