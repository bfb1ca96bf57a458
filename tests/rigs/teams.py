"""The Teams rig: the fake Bot Framework (bot/teams/sandbox.py) with Rita's tenant, and a "desk" (the Teams
front end on a real store with the real scheduling stack, serving /api/messages over loopback), plus helpers
that read its Adaptive Cards. The `teams_desk` fixture is a plugin in tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.connections import ConnectionInfo, ConnectionService
from bot.core import Assistant
from bot.directory import Directory
from bot.frontend.notifier import NotifierBridge
from bot.scheduling_chat import SchedulingDesk
from bot.teams.app import TeamsFrontEnd
from bot.teams.config import MESSAGES_PATH, TeamsConfig
from bot.teams.sandbox import GOOD, ConnectorCall, FakeBotFramework, FakeMember, Signer, TeamsActivities
from scheduler.mail import Mailer
from scheduler.tokens import derive_token_key
from scheduler.wiring import Scheduling, build_scheduling
from store.db import session_factory
from store.settings import Settings
from tests import factories as f

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # a Monday morning


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class TeamsDesk:
    fake: FakeBotFramework
    http: TestClient[Any, Any]
    signer: Signer
    activities: TeamsActivities
    front: TeamsFrontEnd
    sessions: sessionmaker[Session]
    directory: Directory
    scheduling: Scheduling
    clock: Clock
    rita: FakeMember
    bob: FakeMember
    jane_id: int
    settings: Settings
    assistant: Assistant

    async def post(self, activity: dict[str, Any], variant: str = GOOD) -> ClientResponse:
        return await self.http.post(MESSAGES_PATH, json=activity, headers=self.signer.headers(activity, variant))

    async def send(self, activity: dict[str, Any]) -> ClientResponse:
        response = await self.post(activity)
        assert response.status == 200, await response.text()
        return response

    async def ask(self, text: str, *, member: FakeMember | None = None, scope: str = "personal") -> ConnectorCall:
        """Send a message and wait for hirebot's next post (reply or send)."""
        before = len(self.fake.posts())
        await self.send(self.activities.message(member or self.rita, text, scope=scope))
        await self.front.conversation.drain()
        posts = self.fake.posts()
        assert len(posts) > before, "hirebot posted nothing"
        return posts[before]

    def connections(self) -> list[ConnectionInfo]:
        rita = self.directory.person_for(self.directory.default_workspace().id, email="rita@acme.test")
        return [c for c in ConnectionService(self.sessions, f.BOX).list_for(rita) if c.scope == "user"]

    def meetings_count(self) -> int:
        rita = self.directory.person_for(self.directory.default_workspace().id, email="rita@acme.test")
        return len(self.scheduling.service.meetings_for(rita, include_past=True))

    async def click(self, post: ConnectorCall, title: str, **inputs: Any) -> dict[str, Any]:
        """Click the Action.Execute button `title` on a posted card; the invoke response body."""
        action = execute_button(post.cards[0], title)
        activity = self.activities.invoke(self.rita, action["verb"], {**action["data"], **inputs},
                                          reply_to_id=f"card-{len(self.fake.calls)}")
        response = await self.send(activity)
        body: dict[str, Any] = await response.json()
        await self.front.conversation.drain()
        return body


CARD_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "adaptive-card-1.5.schema.json"
_validator: jsonschema.Draft6Validator | None = None


def valid_card(card: dict[str, Any]) -> dict[str, Any]:
    """`card`, after checking it against the published Adaptive Card 1.5 schema (microsoft/AdaptiveCards)."""
    global _validator
    if _validator is None:
        _validator = jsonschema.Draft6Validator(json.loads(CARD_SCHEMA.read_text()))
    errors = list(_validator.iter_errors(card))
    assert not errors, jsonschema.exceptions.best_match(errors)
    assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"
    return card


def nodes(node: Any, kind: str) -> list[dict[str, Any]]:
    """Every element or action of `kind` anywhere in a card."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == kind:
            found.append(node)
        for value in node.values():
            found.extend(nodes(value, kind))
    elif isinstance(node, list):
        for item in node:
            found.extend(nodes(item, kind))
    return found


def shown(card: dict[str, Any]) -> str:
    """All the text a card shows."""
    return "\n".join(run["text"] for run in nodes(card, "TextRun"))


def filled(card: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What Teams merges into a button's data from the card's inputs: their values, with `changes` typed over."""
    values = {i["id"]: i.get("value", "") for kind in ("Input.Text", "Input.Date", "Input.ChoiceSet")
              for i in nodes(card, kind)}
    return {**values, **changes}


def execute_button(card: dict[str, Any], title: str) -> dict[str, Any]:
    return next(a for a in nodes(card, "Action.Execute") if a["title"] == title)


@contextlib.asynccontextmanager
async def running_teams_desk(tmp_path: Path, engine: Engine) -> AsyncIterator[TeamsDesk]:
    """The Teams front end on a real store (a Greenhouse connection, Jane Doe on one open job) with the real
    scheduling stack, serving /api/messages over loopback, talking to a fake Bot Framework."""
    fake = FakeBotFramework()
    rita = fake.add_member("Rita Recruiter", "rita@acme.test")
    bob = fake.add_member("Bob Builder", None, user_principal_name="Bob@Acme.test")
    await fake.start()
    sessions = session_factory(engine)
    clock = Clock(NOW)
    directory = Directory(sessions)
    connection = f.connection(sessions, directory.default_workspace())
    jane = f.candidate(sessions, connection, "Jane", "Doe", email="jane.doe@example.com",
                       job="Senior Backend Engineer")
    scheduling = build_scheduling(sessions, f.BOX, public_url="http://127.0.0.1:3000",
                                  token_key=derive_token_key(b"teams scheduling tests"),
                                  mailer=Mailer(outbox=tmp_path / "outbox"), clock=clock)
    assistant = Assistant(sessions, clock=clock, scheduling=SchedulingDesk(scheduling.service, clock))
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
                        public_url="http://127.0.0.1:3000")
    config = TeamsConfig.from_env(fake.env())
    assert config is not None
    front = TeamsFrontEnd.build(config, settings, sessions, assistant, directory, ConnectionService(sessions, f.BOX),
                                secret_box=f.BOX, core_processes=0, now=clock)
    await front.start()
    web_app = web.Application()
    web_app.add_routes(front.routes())
    http: TestClient[Any, Any] = TestClient(TestServer(web_app, host="127.0.0.1"))
    await http.start_server()
    loop = asyncio.get_running_loop()
    scheduling.set_notifier(NotifierBridge(sessions, [front.direct_messages()], lambda: loop, box=f.BOX, now=clock))
    try:
        yield TeamsDesk(fake, http, fake.signer(), fake.activities(), front, sessions, directory, scheduling, clock,
                        rita, bob, jane.id, settings, assistant)
        await front.conversation.drain()
    finally:
        await http.close()
        await front.close()
        await fake.close()


@pytest.fixture
async def teams_desk(tmp_path: Path, sqlite_engine: Engine) -> AsyncIterator[TeamsDesk]:
    """The Teams front end on a real SQLite store, talking to a fake Bot Framework."""
    async with running_teams_desk(tmp_path, sqlite_engine) as running:
        yield running
