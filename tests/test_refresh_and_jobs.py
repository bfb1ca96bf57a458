"""'refresh Jane' re-reads from the ATS; 'open jobs' lists jobs with active candidates. Sandbox over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from cryptography.fernet import Fernet

from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate
from adapters.sandbox.greenhouse_state import GreenhouseState
from bot.connections import ConnectionService
from bot.core import Assistant
from bot.directory import Directory
from bot.messages import IncomingMessage, Person
from bot.replies import MatchStatus, Reply
from store.crypto import SecretBox
from store.db import make_engine, session_factory, upgrade


class World:
    def __init__(self, state: GreenhouseState, assistant: Assistant, admin: Person) -> None:
        self.state, self.assistant, self.admin = state, assistant, admin

    async def ask(self, text: str) -> Reply:
        # The core is synchronous and may call the ATS itself (refresh), so front ends run it in a thread.
        return await asyncio.to_thread(self.assistant.handle, IncomingMessage(text=text, sender=self.admin))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    state = generate(seed=5, candidates=60)
    server = TestServer(GreenhouseSandbox(state).app, host="127.0.0.1")
    await server.start_server()
    engine = make_engine(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    upgrade(engine)
    sessions = session_factory(engine)
    connections = ConnectionService(sessions, SecretBox(Fernet.generate_key()))
    admin = Directory(sessions).local_admin()
    url = str(server.make_url("")).rstrip("/")
    info = await connections.connect(admin, "greenhouse", {
        "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET, "base_url": url,
        "auth_url": f"{url}/token"}, scope="org")
    await connections.sync(info.id)
    yield World(state, Assistant(sessions, refresher=connections.refresh_now), admin)
    await server.close()
    engine.dispose()


def _someone(state: GreenhouseState) -> dict:
    names = [f"{c['first_name']} {c['last_name']}" for c in state.candidates.values()]
    return next(c for c in state.candidates.values()
                if names.count(f"{c['first_name']} {c['last_name']}") == 1 and c["last_name"].isascii())


async def test_refresh_rereads_the_candidate_now(world: World) -> None:
    person = _someone(world.state)
    world.state.update_candidate(person["id"], title="Chief Sandbox Officer")
    stale = await world.ask(f"who is {person['first_name']} {person['last_name']}")
    assert stale.cards[0].subtitle is None or "Chief Sandbox Officer" not in stale.cards[0].subtitle

    fresh = await world.ask(f"refresh {person['first_name']} {person['last_name']}")
    assert fresh.intent == "refresh" and fresh.status is MatchStatus.MATCH
    assert "just now" in fresh.text
    assert "Chief Sandbox Officer" in (fresh.cards[0].subtitle or "")
    assert "synced just now" in fresh.cards[0].context[0]


async def test_refresh_of_a_deleted_candidate_removes_the_local_copy(world: World) -> None:
    person = _someone(world.state)
    name = f"{person['first_name']} {person['last_name']}"
    world.state.delete_candidate(person["id"])
    reply = await world.ask(f"refresh {name}")
    assert "no longer in the ATS" in reply.text
    assert (await world.ask(f"who is {name}")).status is MatchStatus.NONE


async def test_open_jobs_lists_jobs_with_active_candidate_counts(world: World) -> None:
    reply = await world.ask("open jobs")
    assert reply.intent == "jobs"
    (card,) = reply.cards
    shown = {field.label: field.value for field in card.fields}
    open_jobs = {j["id"]: j["name"] for j in world.state.jobs.values() if j["status"] == "open"}
    assert set(shown) == set(open_jobs.values())
    for job_id, name in open_jobs.items():
        active = sum(1 for a in world.state.applications.values()
                     if a["job_id"] == job_id and a["status"] == "in_process" and a["candidate_id"]
                     in world.state.candidates)
        assert shown[name] == f"{active} active candidate{'s' if active != 1 else ''}"
    assert "synced" in card.context[0]
    assert (await world.ask("jobs for lever")).text.startswith("No Lever connection")
