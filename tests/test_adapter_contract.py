"""One contract every ATS adapter passes, run against each provider's fake over real loopback HTTP and
stored through the real sync engine on SQLite and PostgreSQL.

The provider table lives in tests/provider_fixtures.py; a new provider proves itself by adding one entry
there. Cases: a multi-page full sync stores everything and a second one changes nothing; an incremental
sync picks up a change; 429 and 5xx are retried; refused credentials give one clear error and store
nothing; an unreadable later page fails alone and leaves the cursor; deletions propagate on a full
reconcile and through refresh_candidates; webhook signatures are checked with the adapter module's own
function, and a verified delivery's refresh updates or removes the candidate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import AuthError, MalformedResponse
from store.db import transaction
from store.models import Application, AtsConnection, AtsUser, Attachment, Candidate, Job
from store.sync import CURSOR_OVERLAP, SyncSummary, refresh_candidates, sync_connection
from tests import factories
from tests.provider_fixtures import PROVIDERS, RETRY, WEBHOOK_SECRET, WRONG_SECRET, Delivery, Fake, running

Sessions = sessionmaker[Session]
Counted = type[Candidate] | type[Application] | type[Attachment] | type[AtsUser] | type[Job]


@pytest.fixture(params=list(PROVIDERS))
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[Fake]:
    async with running(PROVIDERS[request.param]) as started:
        assert len(started.listing()) > started.provider.page_size, "the roster must span several pages"
        yield started


# --- the store, as the cases look at it ------------------------------------------------------------------


def add_connection(sessions: Sessions, fake: Fake) -> int:
    workspace = factories.workspace(sessions)
    return factories.connection(sessions, workspace, provider=fake.provider.name).id


def connection_row(sessions: Sessions, connection_id: int) -> AtsConnection:
    with transaction(sessions) as session:
        row = session.get(AtsConnection, connection_id)
        assert row is not None
        return row


def stored_candidates(sessions: Sessions, connection_id: int) -> dict[str, Candidate]:
    with transaction(sessions) as session:
        rows = session.scalars(select(Candidate).where(Candidate.connection_id == connection_id))
        return {row.remote_id: row for row in rows}


def stored_children(sessions: Sessions, connection_id: int, model: type[Application] | type[Attachment]
                    ) -> dict[str, str]:
    """Remote id of each stored application or attachment → the remote id of the candidate it hangs off."""
    with transaction(sessions) as session:
        rows = session.execute(select(model.remote_id, Candidate.remote_id)
                               .join(Candidate, model.candidate_id == Candidate.id)
                               .where(model.connection_id == connection_id))
        return {str(child): owner for child, owner in rows}


def count(sessions: Sessions, model: Counted, connection_id: int) -> int:
    with transaction(sessions) as session:
        return int(session.scalar(select(func.count()).select_from(model)
                                  .where(model.connection_id == connection_id)) or 0)


def counts(summary: SyncSummary) -> tuple[int, int, int, int]:
    return summary.created, summary.updated, summary.unchanged, summary.deleted


def only(children: dict[str, str], owners: set[str]) -> dict[str, str]:
    return {child: owner for child, owner in children.items() if owner in owners}


async def sync(sessions: Sessions, connection_id: int, fake: Fake, *, full: bool = False) -> SyncSummary:
    return await sync_connection(sessions, connection_id, fake.adapter(), full=full, now=fake.clock.moment)


def assert_mirrors(sessions: Sessions, connection_id: int, fake: Fake) -> None:
    """The store holds exactly what the fake lists: candidates, applications and attachments, each linked."""
    assert set(stored_candidates(sessions, connection_id)) == set(fake.listing())
    assert stored_children(sessions, connection_id, Application) == fake.applications()
    assert stored_children(sessions, connection_id, Attachment) == fake.attachments()


def fail_second_page(fake: Fake) -> None:
    """The first listing page answers normally; every attempt at the next one gets a cut-off body.

    Faults fire in the order they were queued, so a zero-second delay lets the first request through.
    """
    chaos = fake.sandbox.chaos
    chaos.delay_next(0, path=fake.provider.list_path)
    chaos.malformed_next(times=RETRY.max_attempts, path=fake.provider.list_path)


# --- full, repeated and incremental sync ---------------------------------------------------------------


async def test_multi_page_full_sync_stores_everything_and_a_second_changes_nothing(sessions: Sessions,
                                                                                 fake: Fake) -> None:
    connection_id = add_connection(sessions, fake)
    summary = await sync(sessions, connection_id, fake)

    listed = fake.listing()
    pages = -(-len(listed) // fake.provider.page_size)
    assert summary.full  # no cursor yet
    assert counts(summary) == (len(listed), 0, 0, 0)
    assert fake.statuses(fake.provider.list_path) == [200] * pages
    assert_mirrors(sessions, connection_id, fake)
    assert count(sessions, AtsUser, connection_id) == summary.users > 0
    assert count(sessions, Job, connection_id) == summary.jobs > 0
    connection = connection_row(sessions, connection_id)
    assert connection.sync_cursor == (summary.started_at - CURSOR_OVERLAP).isoformat()
    assert connection.last_full_sync_at is not None and connection.last_error is None

    fake.clock.advance(3600)
    again = await sync(sessions, connection_id, fake, full=True)
    assert counts(again) == (0, 0, len(listed), 0)
    quiet = await sync(sessions, connection_id, fake)
    assert not quiet.full and counts(quiet) == (0, 0, 0, 0)
    assert connection_row(sessions, connection_id).roster_version == connection.roster_version
    assert_mirrors(sessions, connection_id, fake)


async def test_incremental_sync_picks_up_a_change_made_on_the_fake(sessions: Sessions, fake: Fake) -> None:
    connection_id = add_connection(sessions, fake)
    first = await sync(sessions, connection_id, fake)
    version = connection_row(sessions, connection_id).roster_version
    fake.clock.advance(600)
    renamed = fake.loners()[3]
    fake.rename(renamed, "Zoë")
    newcomer = fake.add_candidate()
    fake.clock.advance(60)

    summary = await sync(sessions, connection_id, fake)
    assert not summary.full
    assert counts(summary) == (1, 1, 0, 0)
    stored = stored_candidates(sessions, connection_id)
    assert stored[renamed].first_name == "Zoë"
    assert stored[newcomer].primary_email == "siobhan@example.ie"
    assert_mirrors(sessions, connection_id, fake)  # the newcomer came with its application and resume
    connection = connection_row(sessions, connection_id)
    assert connection.roster_version > version
    assert connection.sync_cursor == (summary.started_at - CURSOR_OVERLAP).isoformat()
    assert connection.last_full_sync_at == first.finished_at  # only a full run moves it


# --- transient failures ---------------------------------------------------------------------------------


async def test_429_with_retry_after_is_waited_out_then_the_sync_succeeds(sessions: Sessions,
                                                                         fake: Fake) -> None:
    connection_id = add_connection(sessions, fake)
    fake.sandbox.chaos.fail_next(429, path=fake.provider.list_path, retry_after=7)
    summary = await sync(sessions, connection_id, fake)

    assert fake.statuses(fake.provider.list_path)[:2] == [429, 200]
    assert 7.0 in fake.clock.sleeps  # the server's own wait, on the injected clock
    assert summary.created == len(fake.listing())
    assert_mirrors(sessions, connection_id, fake)
    assert connection_row(sessions, connection_id).last_error is None


async def test_5xx_is_retried_with_backoff_then_the_sync_succeeds(sessions: Sessions, fake: Fake) -> None:
    connection_id = add_connection(sessions, fake)
    fake.sandbox.chaos.fail_next(503, times=2, path=fake.provider.list_path)
    summary = await sync(sessions, connection_id, fake)

    assert fake.statuses(fake.provider.list_path)[:3] == [503, 503, 200]
    waits = [wait for wait in fake.clock.sleeps if wait > 0]
    assert waits and max(waits) <= RETRY.max_delay
    assert summary.created == len(fake.listing())
    assert_mirrors(sessions, connection_id, fake)


# --- refused credentials and unreadable pages -----------------------------------------------------------


async def test_refused_credentials_give_one_clear_error_and_store_nothing(sessions: Sessions,
                                                                         fake: Fake) -> None:
    connection_id = add_connection(sessions, fake)
    with pytest.raises(AuthError) as caught:
        await sync_connection(sessions, connection_id, fake.adapter(refused=True), now=fake.clock.moment)

    message = str(caught.value)
    assert message.startswith(fake.provider.refused_message)
    assert caught.value.status == 401 and WRONG_SECRET not in message
    assert [seen.status for seen in fake.seen] == [401]  # refused credentials are not tried again
    for model in (Candidate, Application, Attachment, AtsUser, Job):
        assert count(sessions, model, connection_id) == 0
    connection = connection_row(sessions, connection_id)
    assert connection.last_error is not None and message in connection.last_error
    assert WRONG_SECRET not in connection.last_error
    assert connection.sync_cursor is None and connection.last_full_sync_at is None


async def test_an_unreadable_later_page_fails_alone_and_leaves_the_cursor(sessions: Sessions,
                                                                          fake: Fake) -> None:
    connection_id = add_connection(sessions, fake)
    page = fake.provider.page_size
    listed = fake.listing()
    first_page = set(listed[:page])
    fail_second_page(fake)
    with pytest.raises(MalformedResponse):
        await sync(sessions, connection_id, fake)

    assert set(stored_candidates(sessions, connection_id)) == first_page
    assert stored_children(sessions, connection_id, Application) == only(fake.applications(), first_page)
    assert stored_children(sessions, connection_id, Attachment) == only(fake.attachments(), first_page)
    assert fake.statuses(fake.provider.list_path) == [200] * (1 + RETRY.max_attempts)
    connection = connection_row(sessions, connection_id)
    assert connection.sync_cursor is None and connection.last_full_sync_at is None
    assert connection.last_error is not None
    assert connection.last_error.startswith("Sync failed while reading candidates:")
    assert "could not read" in connection.last_error

    healed = await sync(sessions, connection_id, fake)
    assert counts(healed) == (len(listed) - page, 0, page, 0)
    synced = connection_row(sessions, connection_id)
    assert synced.sync_cursor is not None and synced.last_error is None

    # Once synced, a failing run keeps the earlier page's changes, drops the failed page's, keeps the cursor.
    loners = fake.loners()
    early = next(rid for rid in loners if rid in first_page)
    late = next(rid for rid in reversed(loners) if rid not in first_page)
    fake.clock.advance(600)
    fake.rename(early, "Zoë")
    fake.rename(late, "Zoë")
    fail_second_page(fake)
    with pytest.raises(MalformedResponse):
        await sync(sessions, connection_id, fake, full=True)
    stored = stored_candidates(sessions, connection_id)
    assert stored[early].first_name == "Zoë" and stored[late].first_name != "Zoë"
    assert len(stored) == len(listed)  # an unfinished full run deletes nothing
    connection = connection_row(sessions, connection_id)
    assert (connection.sync_cursor, connection.last_sync_at) == (synced.sync_cursor, synced.last_sync_at)
    assert connection.last_full_sync_at == synced.last_full_sync_at and connection.last_error is not None


# --- deletions ---------------------------------------------------------------------------------------------


async def test_deletion_propagates_on_a_full_reconcile(sessions: Sessions, fake: Fake) -> None:
    connection_id = add_connection(sessions, fake)
    await sync(sessions, connection_id, fake)
    gone = fake.loners()[2]
    fake.delete(gone)
    version = connection_row(sessions, connection_id).roster_version
    fake.clock.advance(600)

    incremental = await sync(sessions, connection_id, fake)
    assert incremental.deleted == 0 and gone in stored_candidates(sessions, connection_id)

    full = await sync(sessions, connection_id, fake, full=True)
    assert counts(full) == (0, 0, len(fake.listing()), 1)
    assert gone not in stored_candidates(sessions, connection_id)
    assert gone not in stored_children(sessions, connection_id, Application).values()
    assert gone not in stored_children(sessions, connection_id, Attachment).values()
    assert_mirrors(sessions, connection_id, fake)
    assert connection_row(sessions, connection_id).roster_version > version


async def test_refresh_rereads_candidates_and_removes_deleted_ones(sessions: Sessions, fake: Fake) -> None:
    connection_id = add_connection(sessions, fake)
    await sync(sessions, connection_id, fake)
    changed, vanished, same = fake.loners()[4:7]
    fake.rename(changed, "Zoë")
    fake.delete(vanished)
    newcomer = fake.add_candidate()
    version = connection_row(sessions, connection_id).roster_version

    asked = [changed, vanished, same, newcomer, changed]
    summary = await refresh_candidates(sessions, connection_id, fake.adapter(), asked, now=fake.clock.moment)
    assert counts(summary) == (1, 1, 1, 1)
    stored = stored_candidates(sessions, connection_id)
    assert vanished not in stored and stored[changed].first_name == "Zoë" and newcomer in stored
    assert_mirrors(sessions, connection_id, fake)
    assert connection_row(sessions, connection_id).roster_version == version + 1


# --- webhooks -------------------------------------------------------------------------------------------


@dataclass
class Receiver:
    url: str
    deliveries: list[Delivery]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A stand-in for hirebot's webhook endpoint that keeps each delivery's exact bytes and headers."""
    deliveries: list[Delivery] = []

    async def receive(request: web.Request) -> web.Response:
        deliveries.append(Delivery(await request.read(), dict(request.headers)))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/webhooks/contract", receive)
    async with TestServer(app, host="127.0.0.1") as server:
        yield Receiver(str(server.make_url("/webhooks/contract")), deliveries)


async def test_webhook_signatures_are_checked_and_good_ones_refresh_and_delete(
        sessions: Sessions, fake: Fake, receiver: Receiver) -> None:
    if fake.provider.no_webhooks:
        pytest.skip(fake.provider.no_webhooks)
    connection_id = add_connection(sessions, fake)
    await sync(sessions, connection_id, fake)
    fake.register_webhook(receiver.url)
    subject, doomed = fake.loners()[5:7]
    fake.rename(subject, "Zoë")
    await fake.emit_webhook(subject)
    fake.delete(doomed)
    await fake.emit_webhook(doomed, deleted=True)

    changed, deleted = receiver.deliveries
    verify = fake.provider.verify_webhook
    for delivery in (changed, deleted):
        assert verify(delivery, WEBHOOK_SECRET)
        assert not verify(delivery, "some-other-secret")
        assert not verify(delivery, "")
        assert not verify(fake.provider.forge_webhook(delivery), WEBHOOK_SECRET)

    assert fake.provider.webhook_refresh(changed) == (subject,)
    assert fake.provider.webhook_refresh(deleted) == (doomed,)
    ids = fake.provider.webhook_refresh(changed) + fake.provider.webhook_refresh(deleted)
    summary = await refresh_candidates(sessions, connection_id, fake.adapter(), ids, now=fake.clock.moment)
    assert counts(summary) == (0, 1, 0, 1)
    stored = stored_candidates(sessions, connection_id)
    assert stored[subject].first_name == "Zoë" and doomed not in stored
    assert_mirrors(sessions, connection_id, fake)
