"""BreezyHR through hirebot's outbox: a booked meeting is logged as one team-discussion note carrying the
time, the people and the place (BreezyHR has no interview API, so no interview write is planned), and
nothing is ever sent to the candidate-facing conversation."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import ConnectionConfig
from adapters.breezyhr import BreezyAdapter
from adapters.http import RetryPolicy
from adapters.sandbox.breezyhr import API_PREFIX, BreezySandbox, Chaos
from adapters.sandbox.breezyhr_dataset import COMPANY_FRIENDLY_ID, COMPANY_ID, SANDBOX_TOKEN, generate
from adapters.sandbox.server import start_site
from scheduler.outbox import OutboxSettings, OutboxWorker
from store.crypto import SecretBox
from store.db import transaction
from store.models import Application, AtsConnection, AtsUser, Candidate, Workspace
from store.sync import sync_connection
from tests.outbox_events import happen, items
from tests.rigs.greenhouse_outbox import make_meeting
from tests.rigs.greenhouse_sandbox import NOW, FakeTime

BOX = SecretBox(Fernet.generate_key())
SLOT = NOW + timedelta(days=2)


@dataclass
class BreezyRig:
    """What tests/rigs/greenhouse_outbox.make_meeting and tests/outbox_events need, for BreezyHR."""

    sandbox: BreezySandbox
    client: httpx.AsyncClient
    time: FakeTime
    sessions: sessionmaker[Session]
    workspace_id: int
    connection_id: int
    runners: list[web.AppRunner] = field(default_factory=list)

    def adapter(self, connection: AtsConnection) -> BreezyAdapter:
        config = ConnectionConfig(base_url=connection.base_url, credentials=BOX.open(connection.credentials),
                                  settings=dict(connection.settings))
        return BreezyAdapter(config, self.client, sleep=self.time.sleep, clock=self.time.clock,
                             rng=random.Random(3), policy=RetryPolicy(max_attempts=1))

    def moment(self) -> datetime:
        return self.time.moment()

    def worker(self, **settings: Any) -> OutboxWorker:
        return OutboxWorker(self.sessions, self.adapter, settings=OutboxSettings(**settings), clock=self.time.moment)


@pytest.fixture
async def rig(sessions: sessionmaker[Session]) -> AsyncIterator[BreezyRig]:
    time = FakeTime()

    async def no_wait(seconds: float) -> None:
        return None

    sandbox = BreezySandbox(generate(seed=8, candidates=20, now=NOW, positions=2), clock=time.clock,
                            chaos=Chaos(sleep=no_wait))
    runner, url = await start_site(sandbox.app)
    with transaction(sessions) as session:
        workspace = Workspace(name="Acme", platform="test", external_id=uuid.uuid4().hex)
        session.add(workspace)
        session.flush()
        connection = AtsConnection(workspace_id=workspace.id, provider="breezyhr", name="BreezyHR",
                                   base_url=url.rstrip("/") + API_PREFIX,
                                   settings={"company": COMPANY_ID, "company_friendly_id": COMPANY_FRIENDLY_ID},
                                   credentials=BOX.seal({"token": SANDBOX_TOKEN}))
        session.add(connection)
        session.flush()
        ids = workspace.id, connection.id
    client = httpx.AsyncClient()
    built = BreezyRig(sandbox, client, time, sessions, *ids)
    with sessions() as session:
        stored = session.get(AtsConnection, built.connection_id)
        assert stored is not None
        await sync_connection(sessions, built.connection_id, built.adapter(stored), now=time.moment)
    sandbox.requests.clear()
    yield built
    await client.aclose()
    await runner.cleanup()


def _candidate(rig: BreezyRig) -> tuple[Candidate, Application, AtsUser]:
    with rig.sessions() as session:
        candidate, application = session.execute(
            select(Candidate, Application).join(Application, Application.candidate_id == Candidate.id)
            .where(Candidate.connection_id == rig.connection_id, Application.status == "active",
                   Candidate.primary_email.is_not(None)).order_by(Candidate.id)).first()  # type: ignore[misc]
        owner = session.scalars(select(AtsUser).where(AtsUser.connection_id == rig.connection_id,
                                                      AtsUser.email.is_not(None))).first()
        assert owner is not None
        return candidate, application, owner


async def test_a_booked_meeting_is_one_team_note_and_never_a_message_to_the_candidate(rig: BreezyRig) -> None:
    candidate, application, owner = _candidate(rig)
    setup = make_meeting(rig, candidate, application, owner)  # type: ignore[arg-type]
    happen(rig, setup.meeting_id, "request_sent")
    happen(rig, setup.meeting_id, "booked", actor="candidate", book=SLOT)
    happen(rig, setup.meeting_id, "cancelled", actor="organizer", reason="Role filled")
    await rig.worker().run_until_idle()

    planned = [(i.event_kind, i.action, i.state) for i in items(rig, setup.meeting_id)]
    assert planned == [("request_sent", "note", "sent"), ("time_selected", "note", "sent"),
                       ("booked", "note", "sent"), ("cancelled", "note", "sent")]  # no interview writes
    posts = [r for r in rig.sandbox.requests if r.method != "GET"]
    position_id = application.remote_id.split(":")[0]
    stream = f"{API_PREFIX}/company/{COMPANY_ID}/position/{position_id}/candidate/{candidate.remote_id}/stream"
    assert posts and {r.path for r in posts} == {stream}
    assert not any("conversation" in r.path for r in rig.sandbox.requests)
    assert rig.sandbox.state.conversations == {}
    notes = [item["object"]["body"] for item in rig.sandbox.state.streams[candidate.remote_id]
             if item["type"] == "companyNotePosted"]
    booked = next(note for note in notes if " booked for " in note)
    assert "Wed 4 Mar 2026" in booked and "Location: Zoom https://zoom.example/j/1" in booked
    assert f" with {str(owner.email).split('@')[0]}." in booked  # the people invited, by their hirebot names
