"""The Slack rigs: the fake Slack Web API with Rita's team, and a "desk" (the Slack front end on a real store
with the real scheduling stack, serving /slack/events over loopback), plus the helpers that read and fill
its Block Kit. The `slack_team`, `desk` and `no_slack_environment` fixtures are a plugin in tests/conftest.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.models.blocks import Block
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from adapters.sandbox.server import BackgroundServer
from bot.connections import ConnectionService
from bot.core import Assistant
from bot.directory import Directory
from bot.messages import Person
from bot.scheduling_chat import SchedulingDesk
from bot.slack.app import SlackFrontEnd, build_slack_app
from bot.slack.config import slack_mode
from bot.slack.sandbox import FakeSlackApi, RecordedCall, SlackRequests
from bot.slack.schedule_modal import (
    DURATION_BLOCK,
    EMAILS_BLOCK,
    FIRST_DAY_BLOCK,
    INPUT_ACTION,
    LAST_DAY_BLOCK,
    LINKEDIN_BLOCK,
    LOCATION_BLOCK,
    PEOPLE_BLOCK,
    TARGET_BLOCK,
    TITLE_BLOCK,
)
from scheduler.mail import Mailer
from scheduler.meetings import MeetingView
from scheduler.tokens import derive_token_key
from scheduler.wiring import Scheduling, build_scheduling
from store.db import session_factory
from store.settings import Settings
from tests import factories as f

SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-bot-token"
SLACK_ENV = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET",
             "SLACK_SCOPES", "SLACK_USER_SCOPES", "SLACK_REDIRECT_URI", "SLACK_INSTALL_PATH")


@pytest.fixture
def no_slack_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bolt reads SLACK_* variables when arguments are missing; a developer's own must not leak in."""
    for name in SLACK_ENV:
        monkeypatch.delenv(name, raising=False)


def make_settings(tmp_path: Path, fake: FakeSlackApi, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
                                  slack_bot_token=BOT_TOKEN, slack_signing_secret=SECRET,
                                  slack_api_url=fake.base_url, public_url="http://127.0.0.1:3000")
    values.update(overrides)
    return Settings(**values)


NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday, 08:00 in Berlin (Rita's zone in Slack)
class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextlib.asynccontextmanager
async def running_fake() -> AsyncIterator[FakeSlackApi]:
    """The fake Slack Web API with Rita (the organizer) and a few colleagues."""
    api = FakeSlackApi()
    api.add_user("U0RITA", email="rita@acme.test", name="Rita Recruiter", tz="Europe/Berlin")
    api.add_user("U0BOB", email="Bob@Acme.test", name="Bob Builder")
    api.add_user("U0SHY", email=None, name="Shy Person")
    api.add_user("U0APP", email="app@acme.test", name="Some App", is_bot=True)
    await api.start()
    try:
        yield api
    finally:
        await api.close()


@pytest.fixture
async def slack_team() -> AsyncIterator[FakeSlackApi]:
    """The fake Slack Web API with Rita (the organizer) and a few colleagues."""
    async with running_fake() as api:
        yield api


@dataclass
class Desk:
    fake: FakeSlackApi
    http: TestClient[Any, Any]
    slack: SlackRequests
    front: SlackFrontEnd
    sessions: sessionmaker[Session]
    directory: Directory
    scheduling: Scheduling
    clock: Clock
    jane_id: int

    async def send(self, request: tuple[bytes, str]) -> ClientResponse:
        body, content_type = request
        response = await self.http.post("/slack/events", data=body,
                                        headers=self.slack.headers(body, content_type))
        assert response.status == 200, await response.text()
        return response

    def rita(self) -> Person:
        return self.directory.person_for(self.directory.default_workspace().id, email="rita@acme.test")

    def meetings(self) -> list[MeetingView]:
        return self.scheduling.service.meetings_for(self.rita(), include_past=True)

    async def propose(self, text: str = "schedule with Jane Doe", *,
                      files: list[dict[str, Any]] | None = None) -> RecordedCall:
        posted = len(self.fake.calls_to("chat.postMessage"))
        await self.send(self.slack.direct_message("U0RITA", text, files=files))
        return (await self.fake.wait_for("chat.postMessage", count=posted + 1))[-1]

    async def open_modal(self, text: str = "schedule with Jane Doe") -> dict[str, Any]:
        post = await self.propose(text)
        edit = button(post.blocks, "Edit details")
        await self.send(self.slack.block_action("U0RITA", {**edit, "type": "button"}, channel="D0DIRECT"))
        [opened] = await self.fake.wait_for("views.open")
        return dict(opened.args["view"])

    async def submit(self, view: dict[str, Any], **changes: Any) -> ClientResponse:
        return await self.send(self.slack.view_submission("U0RITA", submission(view, **changes)))


@contextlib.asynccontextmanager
async def running_desk(tmp_path: Path, engine: Engine, fake: FakeSlackApi) -> AsyncIterator[Desk]:
    """The Slack front end on a real store (a Greenhouse connection, Jane Doe on one open job) with the real
    scheduling stack, serving /slack/events over loopback."""
    sessions = session_factory(engine)
    clock = Clock(NOW)
    directory = Directory(sessions)
    connection = f.connection(sessions, directory.default_workspace())
    jane = f.candidate(sessions, connection, "Jane", "Doe", email="jane.doe@example.com",
                       job="Senior Backend Engineer")
    scheduling = build_scheduling(sessions, f.BOX, public_url="http://127.0.0.1:3000",
                                  token_key=derive_token_key(b"slack scheduling tests"),
                                  mailer=Mailer(outbox=tmp_path / "outbox"), clock=clock)
    assistant = Assistant(sessions, clock=clock, scheduling=SchedulingDesk(scheduling.service, clock))
    settings = make_settings(tmp_path, fake)
    app = build_slack_app(settings, sessions, assistant, directory, ConnectionService(sessions, f.BOX),
                          secret_box=f.BOX, now=clock)
    mode = slack_mode(settings)
    assert mode is not None
    front = SlackFrontEnd(app, mode, settings)
    await front.start()
    scheduling.set_notifier(front.notifier())
    web_app = web.Application()
    web_app.add_routes(front.routes())
    http: TestClient[Any, Any] = TestClient(TestServer(web_app, host="127.0.0.1"))
    await http.start_server()
    try:
        yield Desk(fake, http, SlackRequests(SECRET, team_id=fake.team_id), front, sessions, directory, scheduling,
                   clock, jane.id)
        await front.conversation.drain()
    finally:
        await http.close()
        await front.close()


@pytest.fixture
async def desk(tmp_path: Path, sqlite_engine: Engine, slack_team: FakeSlackApi) -> AsyncIterator[Desk]:
    """The Slack front end on a real SQLite store, talking to `slack_team`."""
    async with running_desk(tmp_path, sqlite_engine, slack_team) as running:
        yield running


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def button(blocks: list[dict[str, Any]], label: str) -> dict[str, Any]:
    return next(b for b in buttons(blocks) if b["text"]["text"] == label)


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def submission(view: dict[str, Any], *, title: str | None = None, duration: str | None = None,
               first: str | None = None, last: str | None = None, people: tuple[str, ...] | None = None,
               emails: str | None = None, location: str | None = None, target: str | None = None,
               linkedin: str | None = None) -> dict[str, Any]:
    """The view as Slack submits it: what was pre-filled, with the changes the organizer made (`target` is
    the value of an "Add to" option)."""
    fields = inputs(view)
    state = {
        TITLE_BLOCK: {"type": "plain_text_input", "value": title if title is not None
                      else fields[TITLE_BLOCK].get("initial_value")},
        DURATION_BLOCK: {"type": "static_select", "selected_option": (
            {"text": {"type": "plain_text", "text": f"{duration} min"}, "value": duration} if duration is not None
            else fields[DURATION_BLOCK].get("initial_option"))},
        FIRST_DAY_BLOCK: {"type": "datepicker", "selected_date": first or fields[FIRST_DAY_BLOCK]["initial_date"]},
        LAST_DAY_BLOCK: {"type": "datepicker", "selected_date": last or fields[LAST_DAY_BLOCK]["initial_date"]},
        PEOPLE_BLOCK: {"type": "multi_users_select", "selected_users": list(people or ())},
        EMAILS_BLOCK: {"type": "plain_text_input", "value": emails if emails is not None
                       else fields[EMAILS_BLOCK].get("initial_value")},
        LOCATION_BLOCK: {"type": "plain_text_input", "value": location if location is not None
                         else fields[LOCATION_BLOCK].get("initial_value")},
    }
    if TARGET_BLOCK in fields:
        options = [o for group in fields[TARGET_BLOCK]["option_groups"] for o in group["options"]]
        state[TARGET_BLOCK] = {"type": "static_select", "selected_option": (
            next(o for o in options if o["value"] == target) if target is not None
            else fields[TARGET_BLOCK].get("initial_option"))}
    if LINKEDIN_BLOCK in fields:
        state[LINKEDIN_BLOCK] = {"type": "url_text_input", "value": linkedin if linkedin is not None
                                 else fields[LINKEDIN_BLOCK].get("initial_value")}
    return {**view, "id": "V0SCHEDULE", "hash": "1.2",
            "state": {"values": {block: {INPUT_ACTION: value} for block, value in state.items()}}}


def validate(blocks: list[dict[str, Any]]) -> None:
    for block in blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]


RUN_SIGNING_SECRET = "run-test-signing-secret"  # what the `hirebot run` processes in tests verify Slack with


@pytest.fixture
def fake_slack_server() -> Iterator[tuple[FakeSlackApi, str]]:
    """The fake Slack Web API on a loopback port, with one recruiter, for a real `hirebot run` process."""
    fake = FakeSlackApi()
    fake.add_user("U0RECRUIT", email="rita@acme.test", name="Rita Recruiter")
    with BackgroundServer(fake.web_app()) as server:
        fake.base_url = server.url
        yield fake, server.url
