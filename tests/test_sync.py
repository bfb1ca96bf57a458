"""The sync engine end to end: Greenhouse sandbox → real adapter over HTTP → SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import AtsError, ConfigError
from adapters.sandbox.greenhouse import ALL_SCOPES
from adapters.sandbox.greenhouse_dataset import generate
from store.crypto import SecretBox
from store.db import transaction
from store.models import Application, AtsConnection, AtsUser, Attachment, Candidate, Job, JobStage
from store.sync import CURSOR_OVERLAP, SyncProgress, refresh_candidates, sync_connection
from tests.rigs.greenhouse_sandbox import NOW, Rig, start_rig, stop_rig
from tests.rigs.greenhouse_sandbox import add_connection as add_greenhouse_connection

BOX = SecretBox(Fernet.generate_key())


@pytest.fixture
def rig(greenhouse_rig: Rig) -> Rig:
    """The Greenhouse sandbox rig (tests/rigs/greenhouse_sandbox.py), by the name these tests use."""
    return greenhouse_rig


def connection_row(sessions: sessionmaker[Session], connection_id: int) -> AtsConnection:
    with transaction(sessions) as session:
        row = session.get(AtsConnection, connection_id)
        assert row is not None
        return row


def count(sessions: sessionmaker[Session], model: type, connection_id: int) -> int:
    with transaction(sessions) as session:
        return int(session.scalar(select(func.count()).select_from(model)
                                  .where(model.connection_id == connection_id)) or 0)


def candidate_row(sessions: sessionmaker[Session], connection_id: int, remote_id: int | str) -> Candidate | None:
    with transaction(sessions) as session:
        return session.scalar(select(Candidate).where(Candidate.connection_id == connection_id,
                                                      Candidate.remote_id == str(remote_id)))


def applications_of(sessions: sessionmaker[Session], candidate_id: int) -> dict[str, Application]:
    with transaction(sessions) as session:
        rows = session.scalars(select(Application).where(Application.candidate_id == candidate_id))
        return {row.remote_id: row for row in rows}


def listed_applications(rig: Rig) -> int:
    return sum(1 for app in rig.state.applications.values() if app["status"] != "converted")


async def test_full_sync_stores_the_whole_account(sessions: sessionmaker[Session], rig: Rig) -> None:
    connection_id = add_greenhouse_connection(sessions, rig, BOX)
    seen: list[SyncProgress] = []
    summary = await sync_connection(sessions, connection_id, rig.adapter(), progress=seen.append,
                                    now=rig.time.moment)

    assert summary.full  # the first sync has no cursor, so it is a full one
    assert (summary.created, summary.updated, summary.unchanged, summary.deleted) == (120, 0, 0, 0)
    assert summary.jobs == len(rig.state.jobs)
    assert summary.users == len(rig.state.users) - len(rig.state.service_account_ids)
    assert summary.requests >= 3
    assert count(sessions, Candidate, connection_id) == 120
    assert count(sessions, Application, connection_id) == listed_applications(rig)
    assert count(sessions, Attachment, connection_id) == len(rig.state.attachments)
    assert count(sessions, Job, connection_id) == len(rig.state.jobs)
    assert count(sessions, JobStage, connection_id) == len(rig.state.job_interview_stages)
    assert count(sessions, AtsUser, connection_id) == summary.users
    assert [p.phase for p in seen][:4] == ["users", "users", "jobs", "jobs"]
    assert seen[-1].phase == "done" and seen[-1].done == 120

    connection = connection_row(sessions, connection_id)
    assert connection.sync_cursor == (summary.started_at - CURSOR_OVERLAP).isoformat()
    assert connection.last_sync_at is not None and connection.last_full_sync_at is not None
    assert connection.last_error is None
    assert connection.roster_version >= 1


async def test_candidate_fields_and_links_are_stored(sessions: sessionmaker[Session], rig: Rig) -> None:
    connection_id = add_greenhouse_connection(sessions, rig, BOX)
    source = next(c for c in rig.state.candidates.values() if c["email_addresses"] and any(
        "linkedin" in s["value"] for s in c["social_media_addresses"]))
    source["email_addresses"][0]["value"] = source["email_addresses"][0]["value"].upper()
    rig.state.touch()
    await sync_connection(sessions, connection_id, rig.adapter(), now=rig.time.moment)

    row = candidate_row(sessions, connection_id, source["id"])
    assert row is not None
    assert row.primary_email == source["email_addresses"][0]["value"].lower()
    assert row.linkedin_url is not None and "linkedin" in row.linkedin_url
    assert row.url == f"https://app3.greenhouse.io/people/{source['id']}"
    assert row.tags == source["tags"]
    app_source = next(a for a in rig.state.applications.values() if a["candidate_id"] == source["id"])
    stored = applications_of(sessions, row.id)[str(app_source["id"])]
    assert stored.stage_name == app_source["stage_name"]
    if app_source["job_id"]:
        with transaction(sessions) as session:
            job = session.get(Job, stored.job_id)
            assert job is not None and job.remote_id == str(app_source["job_id"])


async def test_a_second_run_changes_nothing(sessions: sessionmaker[Session], rig: Rig) -> None:
    connection_id = add_greenhouse_connection(sessions, rig, BOX)
    adapter = rig.adapter()
    await sync_connection(sessions, connection_id, adapter, now=rig.time.moment)
    version = connection_row(sessions, connection_id).roster_version
    with transaction(sessions) as session:
        link_before = session.scalars(select(Attachment.url).order_by(Attachment.id)).first()
    rig.time.advance(3600)  # attachment links are re-signed with a later expiry

    again = await sync_connection(sessions, connection_id, adapter, full=True, now=rig.time.moment)
    assert (again.created, again.updated, again.unchanged, again.deleted) == (0, 0, 120, 0)
    assert connection_row(sessions, connection_id).roster_version == version
    with transaction(sessions) as session:
        link_after = session.scalars(select(Attachment.url).order_by(Attachment.id)).first()
    assert link_after != link_before  # the fresh link was kept, without counting as a change

    rig.time.advance(3600)
    quiet = await sync_connection(sessions, connection_id, adapter, now=rig.time.moment)
    assert not quiet.full
    assert (quiet.created, quiet.updated, quiet.unchanged, quiet.deleted) == (0, 0, 0, 0)


async def test_the_same_data_from_a_new_sandbox_on_another_port_is_unchanged(
        sessions: sessionmaker[Session], rig: Rig) -> None:
    """The demo re-run: a fresh sandbox with the same roster, on a new port, so every file link's host moves."""
    connection_id = add_greenhouse_connection(sessions, rig, BOX)
    first = await sync_connection(sessions, connection_id, rig.adapter(), full=True, now=rig.time.moment)
    assert (first.created, first.updated) == (120, 0)
    rerun, server = await start_rig(generate(seed=7, candidates=120, now=NOW), rate_limit=10_000)
    try:
        assert rerun.url != rig.url
        with transaction(sessions) as session:
            row = session.get(AtsConnection, connection_id)
            assert row is not None
            row.base_url = rerun.url
        again = await sync_connection(sessions, connection_id, rerun.adapter(), full=True, now=rerun.time.moment)
        assert (again.created, again.updated, again.unchanged, again.deleted) == (0, 0, 120, 0)
        with transaction(sessions) as session:
            links = list(session.scalars(select(Attachment.url)))
        assert links and all(link.startswith(rerun.url) for link in links)  # the links follow the new host
    finally:
        await stop_rig(rerun, server)


async def test_a_token_without_the_user_emails_scope_still_syncs_candidates_with_a_warning(
        sessions: sessionmaker[Session]) -> None:
    scopes = ALL_SCOPES - {"harvest:user_emails:list"}
    limited, server = await start_rig(generate(seed=7, candidates=120, now=NOW), rate_limit=10_000, scopes=scopes)
    try:
        connection_id = add_greenhouse_connection(sessions, limited, BOX)
        summary = await sync_connection(sessions, connection_id, limited.adapter(), now=limited.time.moment)
        assert (summary.created, summary.users) == (120, 0) and summary.jobs == len(limited.state.jobs)
        [warning] = summary.warnings
        assert "harvest:user_emails:list" in warning
        # `hirebot connections` shows the connection's last error: here, the warning.
        assert "harvest:user_emails:list" in (connection_row(sessions, connection_id).last_error or "")
        assert connection_row(sessions, connection_id).last_sync_at is not None
    finally:
        await stop_rig(limited, server)


@pytest.mark.parametrize("status", [403, 404])
async def test_a_refused_user_read_keeps_the_stored_users_and_a_later_full_read_clears_the_warning(
        sessions: sessionmaker[Session], rig: Rig, status: int) -> None:
    connection_id = add_greenhouse_connection(sessions, rig, BOX)
    await sync_connection(sessions, connection_id, rig.adapter(), now=rig.time.moment)
    users = count(sessions, AtsUser, connection_id)
    assert users
    rig.sandbox.chaos.fail_next(status, path="/v3/user_emails")
    refused = await sync_connection(sessions, connection_id, rig.adapter(), full=True, now=rig.time.moment)
    assert refused.users == 0 and refused.unchanged == 120 and "user_emails" in refused.warnings[0]
    assert count(sessions, AtsUser, connection_id) == users
    assert (connection_row(sessions, connection_id).last_error or "").startswith("Warning: Synced without")
    again = await sync_connection(sessions, connection_id, rig.adapter(), full=True, now=rig.time.moment)
    assert again.warnings == () and connection_row(sessions, connection_id).last_error is None


async def test_refused_credentials_still_fail_the_sync(sessions: sessionmaker[Session], rig: Rig) -> None:
    connection_id = add_greenhouse_connection(sessions, rig, BOX)
    rig.sandbox.chaos.fail_next(401, path="/v3/user_emails", times=2)
    with pytest.raises(AtsError):
        await sync_connection(sessions, connection_id, rig.adapter(), now=rig.time.moment)
    assert count(sessions, Candidate, connection_id) == 0


async def test_incremental_sync_picks_up_changes(sessions: sessionmaker[Session], rig: Rig) -> None:
    connection_id = add_greenhouse_connection(sessions, rig, BOX)
    adapter = rig.adapter()
    first = await sync_connection(sessions, connection_id, adapter, now=rig.time.moment)
    version = connection_row(sessions, connection_id).roster_version
    rig.time.advance(600)
    later = rig.time.moment()
    rows = list(rig.state.candidates.values())
    renamed, quiet = rows[5], rows[20]
    rig.state.update_candidate(renamed["id"], first_name="Zoë", now=later)
    app = next(a for a in rig.state.applications.values()
               if a["candidate_id"] == quiet["id"] and a["status"] == "in_process")
    rig.state.set_application_status(app["id"], "rejected", now=later)
    newcomer = rig.state.add_candidate("Siobhán", "Ní Bhriain", email="Siobhan@Example.ie", now=later)

    rig.time.advance(60)
    summary = await sync_connection(sessions, connection_id, adapter, now=rig.time.moment)
    assert not summary.full
    assert (summary.created, summary.updated, summary.unchanged, summary.deleted) == (1, 2, 0, 0)
    renamed_row = candidate_row(sessions, connection_id, renamed["id"])
    assert renamed_row is not None and renamed_row.first_name == "Zoë"
    quiet_row = candidate_row(sessions, connection_id, quiet["id"])
    assert quiet_row is not None
    assert applications_of(sessions, quiet_row.id)[str(app["id"])].status == "rejected"
    new_row = candidate_row(sessions, connection_id, newcomer["id"])
    assert new_row is not None and new_row.primary_email == "siobhan@example.ie"
    assert count(sessions, Candidate, connection_id) == 121
    connection = connection_row(sessions, connection_id)
    assert connection.roster_version > version
    assert connection.sync_cursor == (summary.started_at - CURSOR_OVERLAP).isoformat()
    assert connection.last_full_sync_at == first.finished_at  # incremental runs leave it alone


async def test_children_the_ats_dropped_are_removed(sessions: sessionmaker[Session], rig: Rig) -> None:
    connection_id = add_greenhouse_connection(sessions, rig, BOX)
    adapter = rig.adapter()
    await sync_connection(sessions, connection_id, adapter, now=rig.time.moment)
    app = next(a for a in rig.state.applications.values() if a["status"] == "in_process")
    owner = app["candidate_id"]
    del rig.state.applications[app["id"]]
    for attachment_id in [k for k, a in rig.state.attachments.items() if a["candidate_id"] == owner]:
        del rig.state.attachments[attachment_id]
    rig.time.advance(600)
    rig.state.update_candidate(owner, title="Moved on", now=rig.time.moment())

    summary = await sync_connection(sessions, connection_id, adapter, now=rig.time.moment)
    assert summary.updated == 1
    row = candidate_row(sessions, connection_id, owner)
    assert row is not None
    assert str(app["id"]) not in applications_of(sessions, row.id)
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).where(Attachment.candidate_id == row.id)) == 0


@pytest.fixture
async def big_rig() -> AsyncIterator[Rig]:
    running, server = await start_rig(generate(seed=11, candidates=1_100, now=NOW), rate_limit=10_000)
    yield running
    await stop_rig(running, server)


async def test_failure_mid_sync_keeps_earlier_pages_only(sessions: sessionmaker[Session], big_rig: Rig) -> None:
    connection_id = add_greenhouse_connection(sessions, big_rig, BOX)
    chaos = big_rig.sandbox.chaos
    # Page one reads attachments in 10 requests of 50 ids; page two's first attachments read then fails.
    chaos.delay_next(0, times=10, path="/v3/attachments")
    chaos.fail_next(500, times=5, path="/v3/attachments")
    adapter = big_rig.adapter()
    with pytest.raises(AtsError):
        await sync_connection(sessions, connection_id, adapter, now=big_rig.time.moment)

    newest_first = sorted(big_rig.state.candidates, reverse=True)
    stored = {c.remote_id for c in _all_candidates(sessions, connection_id)}
    assert stored == {str(i) for i in newest_first[:500]}
    assert count(sessions, Application, connection_id) == sum(
        1 for a in big_rig.state.applications.values()
        if a["status"] != "converted" and str(a["candidate_id"]) in stored)
    connection = connection_row(sessions, connection_id)
    assert connection.sync_cursor is None and connection.last_sync_at is None
    assert connection.last_error == ("Sync failed while reading candidates: Greenhouse kept answering 500 "
                                     "after 5 attempts.")

    retry = await sync_connection(sessions, connection_id, adapter, now=big_rig.time.moment)
    assert (retry.created, retry.unchanged) == (600, 500)
    connection = connection_row(sessions, connection_id)
    assert connection.last_error is None and connection.sync_cursor is not None


async def test_failed_incremental_keeps_the_cursor(sessions: sessionmaker[Session], rig: Rig) -> None:
    connection_id = add_greenhouse_connection(sessions, rig, BOX)
    adapter = rig.adapter()
    await sync_connection(sessions, connection_id, adapter, now=rig.time.moment)
    cursor = connection_row(sessions, connection_id).sync_cursor
    rig.time.advance(600)
    rig.sandbox.chaos.fail_next(503, times=5, path="/v3/candidates")
    with pytest.raises(AtsError):
        await sync_connection(sessions, connection_id, adapter, now=rig.time.moment)
    connection = connection_row(sessions, connection_id)
    assert connection.sync_cursor == cursor
    assert connection.last_error is not None and "503" in connection.last_error
    assert "secret" not in connection.last_error.lower()


async def test_full_sync_deletes_candidates_gone_from_the_ats(sessions: sessionmaker[Session], rig: Rig) -> None:
    connection_id = add_greenhouse_connection(sessions, rig, BOX)
    adapter = rig.adapter()
    await sync_connection(sessions, connection_id, adapter, now=rig.time.moment)
    gone = next(iter(rig.state.candidates))
    gone_row = candidate_row(sessions, connection_id, gone)
    assert gone_row is not None
    rig.state.delete_candidate(gone)
    version = connection_row(sessions, connection_id).roster_version

    rig.time.advance(600)
    incremental = await sync_connection(sessions, connection_id, adapter, now=rig.time.moment)
    assert incremental.deleted == 0 and candidate_row(sessions, connection_id, gone) is not None

    full = await sync_connection(sessions, connection_id, adapter, full=True, now=rig.time.moment)
    assert full.deleted == 1 and full.unchanged == 119
    assert candidate_row(sessions, connection_id, gone) is None
    assert applications_of(sessions, gone_row.id) == {}  # removed with the candidate
    assert connection_row(sessions, connection_id).roster_version > version


async def test_an_empty_full_listing_deletes_nothing(sessions: sessionmaker[Session], rig: Rig) -> None:
    connection_id = add_greenhouse_connection(sessions, rig, BOX)
    adapter = rig.adapter()
    await sync_connection(sessions, connection_id, adapter, now=rig.time.moment)
    for candidate_id in list(rig.state.candidates):
        rig.state.delete_candidate(candidate_id)
    # An account that suddenly lists nobody is far likelier a permissions problem than an emptied ATS.
    summary = await sync_connection(sessions, connection_id, adapter, full=True, now=rig.time.moment)
    assert summary.deleted == 0
    assert count(sessions, Candidate, connection_id) == 120


async def test_refresh_candidates_rereads_and_deletes(sessions: sessionmaker[Session], rig: Rig) -> None:
    connection_id = add_greenhouse_connection(sessions, rig, BOX)
    adapter = rig.adapter()
    await sync_connection(sessions, connection_id, adapter, now=rig.time.moment)
    ids = list(rig.state.candidates)
    changed, gone = ids[0], ids[1]
    rig.state.update_candidate(changed, title="Staff Engineer", now=rig.time.moment())
    rig.state.delete_candidate(gone)
    version = connection_row(sessions, connection_id).roster_version

    summary = await refresh_candidates(sessions, connection_id, adapter, [str(changed), str(gone), str(changed)])
    assert (summary.created, summary.updated, summary.unchanged, summary.deleted) == (0, 1, 0, 1)
    assert summary.requests >= 3
    row = candidate_row(sessions, connection_id, changed)
    assert row is not None and row.title == "Staff Engineer"
    assert candidate_row(sessions, connection_id, gone) is None
    assert connection_row(sessions, connection_id).roster_version == version + 1

    again = await refresh_candidates(sessions, connection_id, adapter, [str(changed)])
    assert (again.updated, again.unchanged) == (0, 1)
    assert connection_row(sessions, connection_id).roster_version == version + 1


async def test_odd_values_fit_every_database(sessions: sessionmaker[Session], rig: Rig) -> None:
    connection_id = add_greenhouse_connection(sessions, rig, BOX)
    source = next(iter(rig.state.candidates.values()))
    source.update({"first_name": "Ana\x00Lucía", "last_name": "🙂" * 400, "title": "x" * 100_000,
                   "tags": ["C++", "naïve\x00tag"]})
    rig.state.touch()
    await sync_connection(sessions, connection_id, rig.adapter(), now=rig.time.moment)
    row = candidate_row(sessions, connection_id, source["id"])
    assert row is not None
    assert row.first_name == "AnaLucía"
    assert row.last_name == "🙂" * 300
    assert row.title == "x" * 500
    assert row.tags == ["C++", "naïvetag"]


async def test_unknown_connection_is_a_config_error(sessions: sessionmaker[Session], rig: Rig) -> None:
    with pytest.raises(ConfigError, match="no ATS connection"):
        await sync_connection(sessions, 987_654, rig.adapter())


def _all_candidates(sessions: sessionmaker[Session], connection_id: int) -> list[Candidate]:
    with transaction(sessions) as session:
        return list(session.scalars(select(Candidate).where(Candidate.connection_id == connection_id)))

