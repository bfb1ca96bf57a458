"""The Slack front end end to end: signed requests to /slack/events over loopback, the real core and store,
and a fake Slack Web API that records what hirebot calls.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer
from slack_bolt.async_app import AsyncApp
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import ConfigError
from bot.connections import ConnectionService
from bot.core import Assistant
from bot.directory import Directory
from bot.frontend.runner import ProcessCore
from bot.slack.app import SlackFrontEnd, build_slack_app, slack_routes
from bot.slack.blocks import LINK_PREFIX
from bot.slack.config import slack_mode
from bot.slack.conversation import SlackConversation, slash_command_text
from bot.slack.home import ADD_ACTION, CONNECT_CALLBACK, REMOVE_ACTION, SCOPE_BLOCK
from bot.slack.installation import SEALED_PREFIX, DatabaseInstallationStore
from bot.slack.sandbox import FILE_DOWNLOAD_METHOD, FakeSlackApi, RecordedCall, SlackRequests
from bot.slack.scopes import SUBSCRIBED_EVENTS
from store.db import session_factory
from store.models import AtsConnection
from store.settings import Settings
from tests import factories as f
from tests.rigs.slack import BOT_TOKEN, SECRET, make_settings

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("no_slack_environment")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    api.add_user("U0RITA", email="rita@acme.test", name="Rita Recruiter")
    api.add_user("U0ADA", email="ada@acme.test", name="Ada Admin", is_admin=True)
    await api.start()
    yield api
    await api.close()


@dataclass
class Harness:
    fake: FakeSlackApi
    http: TestClient[Any, Any]
    slack: SlackRequests
    app: AsyncApp
    sessions: sessionmaker[Session]
    directory: Directory
    sleeps: list[float]

    @property
    def conversation(self) -> SlackConversation:
        return self.app.conversation  # type: ignore[attr-defined]

    async def send(self, request: tuple[bytes, str], *, timestamp: int | None = None,
                   signature: str | None = None, drop: tuple[str, ...] = ()) -> ClientResponse:
        body, content_type = request
        headers = self.slack.headers(body, content_type, timestamp=timestamp, signature=signature)
        for name in drop:
            headers.pop(name)
        return await self.http.post("/slack/events", data=body, headers=headers)


async def start_harness(settings: Settings, sessions: sessionmaker[Session], fake: FakeSlackApi,
                        *, engine: Engine | None = None) -> Harness:
    directory = Directory(sessions)
    connections = ConnectionService(sessions, f.BOX)
    sleeps: list[float] = []

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    app = build_slack_app(settings, sessions, Assistant(sessions, clock=lambda: NOW), directory, connections,
                          secret_box=f.BOX, engine=engine, sleep=record_sleep)
    web_app = web.Application()
    web_app.add_routes(slack_routes(app))
    http: TestClient[Any, Any] = TestClient(TestServer(web_app, host="127.0.0.1"))
    await http.start_server()
    return Harness(fake, http, SlackRequests(SECRET, team_id=fake.team_id), app, sessions, directory, sleeps)


@pytest.fixture
async def harness(tmp_path: Path, sqlite_engine: Engine, fake: FakeSlackApi) -> AsyncIterator[Harness]:
    h = await start_harness(make_settings(tmp_path, fake), session_factory(sqlite_engine), fake)
    yield h
    await h.conversation.drain()
    await h.http.close()


@dataclass
class World:
    workspace_id: int
    connection: AtsConnection
    ids: dict[str, int]


@pytest.fixture
def world(harness: Harness) -> World:
    """The default workspace (single-workspace mode) with an org-wide Greenhouse connection."""
    ws = harness.directory.default_workspace()
    conn = f.connection(harness.sessions, ws)
    people = {
        "jane": f.candidate(harness.sessions, conn, "Jane", "Doe", email="jane.doe@example.com",
                            job="Senior Backend Engineer", stage="Onsite", tags=("Python",)),
        "maria1": f.candidate(harness.sessions, conn, "Maria", "Rossi", email="maria@one.example"),
        "maria2": f.candidate(harness.sessions, conn, "Maria", "Rossi", email="maria@two.example", job="Recruiter"),
        "evil": f.candidate(harness.sessions, conn, "<!channel>", "<https://evil.example|click>",
                            email="evil@example.com", tags=("<@U0ADA>",)),
    }
    return World(ws.id, conn, {k: v.id for k, v in people.items()})


def headers_of(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "header"]


def mrkdwn_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str) else []
        return own + [t for v in node.values() for t in mrkdwn_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in mrkdwn_texts(v)]
    return []


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    return found + [b["accessory"] for b in blocks if b.get("accessory", {}).get("type") == "button"]


# ------------------------------------------------------------------------------------ conversation


async def test_url_verification_answers_the_challenge(harness: Harness) -> None:
    response = await harness.send(harness.slack.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7"))
    assert response.status == 200
    assert (await response.json())["challenge"] == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7"


async def test_dm_who_is_gets_the_card_in_the_dm(harness: Harness, world: World) -> None:
    response = await harness.send(harness.slack.direct_message("U0RITA", "who is Jane Doe?"))
    assert response.status == 200
    [post] = await harness.fake.wait_for("chat.postMessage")
    assert post.token == BOT_TOKEN and post.args["channel"] == "D0DIRECT"
    assert harness.fake.calls_to("users.info")[0].args["user"] == "U0RITA"
    assert harness.fake.calls_to("auth.test")
    assert headers_of(post.blocks) == ["Jane Doe"]
    fields = next(b["fields"] for b in post.blocks if "fields" in b)
    assert "*Stage*\nOnsite" in [fl["text"] for fl in fields]
    context = next(b for b in post.blocks if b["type"] == "context")
    assert "Greenhouse" in context["elements"][0]["text"]
    labels = {b["text"]["text"]: b for b in buttons(post.blocks)}
    assert labels["Open in Greenhouse"]["url"].startswith("https://app.greenhouse.io/people/")
    assert labels["Resume"]["url"].endswith("/resume.pdf") and labels["Cover letter"]["url"].endswith("/cover.pdf")
    assert labels["Schedule"]["value"] == str(world.ids["jane"])
    assert post.args["text"] == "Here's Jane Doe."


async def test_mention_in_a_channel_answers_the_asker_only(harness: Harness, world: World) -> None:
    await harness.send(harness.slack.mention("U0RITA", "who is Jane Doe", channel="C0GENERAL"))
    [ephemeral] = await harness.fake.wait_for("chat.postEphemeral")
    assert ephemeral.args["channel"] == "C0GENERAL" and ephemeral.args["user"] == "U0RITA"
    assert "thread_ts" not in ephemeral.args
    assert headers_of(ephemeral.blocks) == ["Jane Doe"]
    assert harness.fake.calls_to("chat.postMessage") == []


async def test_mention_inside_a_thread_is_answered_in_that_thread(harness: Harness, world: World) -> None:
    await harness.send(harness.slack.mention("U0RITA", "who is Jane Doe", thread_ts="1700000000.000001"))
    [ephemeral] = await harness.fake.wait_for("chat.postEphemeral")
    assert ephemeral.args["thread_ts"] == "1700000000.000001"


async def test_a_workspace_may_allow_cards_in_channels(harness: Harness, world: World) -> None:
    harness.directory.set_workspace_setting(world.workspace_id, "share_cards_in_channels", True)
    body = harness.slack.mention("U0RITA", "who is Jane Doe")
    await harness.send(body)
    [post] = await harness.fake.wait_for("chat.postMessage")
    assert post.args["thread_ts"] == json.loads(body[0])["event"]["ts"]
    assert headers_of(post.blocks) == ["Jane Doe"]


async def test_answers_without_candidate_details_go_in_the_thread(harness: Harness, world: World) -> None:
    body = harness.slack.mention("U0RITA", "help")
    await harness.send(body)
    [post] = await harness.fake.wait_for("chat.postMessage")
    assert post.args["channel"] == "C0GENERAL"
    assert post.args["thread_ts"] == json.loads(body[0])["event"]["ts"]
    assert "who is" in post.args["text"]


async def test_slash_command_acks_at_once_then_answers_only_the_asker(harness: Harness, world: World) -> None:
    started = time.perf_counter()
    response = await harness.send(harness.slack.slash_command("U0RITA", "who Jane Doe",
                                                              response_url=harness.fake.response_url("cmd")))
    assert response.status == 200 and await response.text() == ""
    assert time.perf_counter() - started < 3
    [answer] = await harness.fake.wait_for("response_url")
    assert answer.args["key"] == "cmd" and answer.args["response_type"] == "ephemeral"
    assert headers_of(answer.blocks) == ["Jane Doe"]


async def test_slash_command_in_a_dm_between_people_never_posts_there(harness: Harness, world: World) -> None:
    await harness.send(harness.slack.slash_command("U0RITA", "who Jane Doe", channel="D0RITAANDBOB",
                                                   response_url=harness.fake.response_url("dm")))
    [answer] = await harness.fake.wait_for("response_url")
    assert answer.args["response_type"] == "ephemeral" and headers_of(answer.blocks) == ["Jane Doe"]
    assert harness.fake.calls_to("chat.postMessage") == []


async def test_a_button_on_an_ephemeral_card_in_someones_dm_answers_ephemerally(harness: Harness,
                                                                                world: World) -> None:
    await harness.send(harness.slack.block_action(
        "U0RITA", {"action_id": "hirebot.do.schedule.4", "value": str(world.ids["jane"]), "type": "button"},
        channel="D0RITAANDBOB", response_url=harness.fake.response_url("eph"),
        container={"type": "message", "channel_id": "D0RITAANDBOB", "is_ephemeral": True}))
    [answer] = await harness.fake.wait_for("response_url")
    assert answer.args["replace_original"] is False and "Jane Doe" in answer.args["text"]
    assert harness.fake.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(("typed", "meant"), [("who Jane Doe", "who is Jane Doe"), ("", "help"),
                                              ("who is Jane", "who is Jane"), ("schedule Ann", "schedule Ann")])
def test_slash_command_words(typed: str, meant: str) -> None:
    assert slash_command_text(typed) == meant


async def test_ambiguity_becomes_buttons_and_a_pick_replaces_it_with_the_card(harness: Harness,
                                                                              world: World) -> None:
    await harness.send(harness.slack.direct_message("U0RITA", "who is Maria Rossi?"))
    [question] = await harness.fake.wait_for("chat.postMessage")
    picks = [b for b in buttons(question.blocks) if b["action_id"].startswith("hirebot.pick.who_is.")]
    assert {p["value"] for p in picks} == {str(world.ids["maria1"]), str(world.ids["maria2"])}
    chosen = next(p for p in picks if p["value"] == str(world.ids["maria2"]))
    response = await harness.send(harness.slack.block_action(
        "U0RITA", {"action_id": chosen["action_id"], "value": chosen["value"], "type": "button"},
        channel="D0DIRECT", response_url=harness.fake.response_url("pick"),
        container={"type": "message", "channel_id": "D0DIRECT", "message_ts": "1.2"}))
    assert response.status == 200
    [answer] = await harness.fake.wait_for("response_url")
    assert answer.args["replace_original"] is True
    assert headers_of(answer.blocks) == ["Maria Rossi"]
    assert any("maria@two.example" in t for t in mrkdwn_texts(answer.blocks))


async def test_a_pick_from_a_select_menu_shows_the_card(harness: Harness, world: World) -> None:
    await harness.send(harness.slack.block_action(
        "U0RITA", {"action_id": "hirebot.pick.who_is.select", "type": "static_select",
                   "selected_option": {"value": str(world.ids["jane"])}},
        channel="C0GENERAL", response_url=harness.fake.response_url("select")))
    [answer] = await harness.fake.wait_for("response_url")
    assert headers_of(answer.blocks) == ["Jane Doe"] and answer.args["response_type"] == "ephemeral"


async def test_a_card_command_button_answers_with_a_new_message(harness: Harness, world: World) -> None:
    await harness.send(harness.slack.block_action(
        "U0RITA", {"action_id": "hirebot.do.schedule.4", "value": str(world.ids["jane"]), "type": "button"},
        channel="D0DIRECT", response_url=harness.fake.response_url("do"),
        container={"type": "message", "channel_id": "D0DIRECT"}))
    [post] = await harness.fake.wait_for("chat.postMessage")
    assert post.args["channel"] == "D0DIRECT" and "Jane Doe" in post.args["text"]
    assert harness.fake.calls_to("response_url") == []


async def test_url_button_clicks_are_only_acknowledged(harness: Harness, world: World) -> None:
    response = await harness.send(harness.slack.block_action(
        "U0RITA", {"action_id": f"{LINK_PREFIX}0.0", "type": "button", "url": "https://app.greenhouse.io/x"},
        channel="D0DIRECT"))
    assert response.status == 200
    assert harness.fake.methods_called() <= {"auth.test"}


@pytest.mark.parametrize("tamper", ["wrong secret", "missing signature", "stale timestamp"])
async def test_unsigned_or_stale_requests_get_401_and_do_nothing(harness: Harness, world: World,
                                                                 tamper: str) -> None:
    request = harness.slack.direct_message("U0RITA", "who is Jane Doe?")
    if tamper == "wrong secret":
        response = await harness.send(request, signature=SlackRequests("another-secret").headers(
            request[0], request[1])["X-Slack-Signature"])
    elif tamper == "missing signature":
        response = await harness.send(request, drop=("X-Slack-Signature",))
    else:
        response = await harness.send(request, timestamp=int(time.time()) - 6 * 60)
    assert response.status == 401
    assert harness.fake.calls == []


async def test_injected_markup_in_ats_data_renders_as_text(harness: Harness, world: World) -> None:
    await harness.send(harness.slack.direct_message("U0RITA", "who is evil@example.com"))
    [post] = await harness.fake.wait_for("chat.postMessage")
    texts = [*mrkdwn_texts(post.blocks), post.args["text"]]
    for text_value in texts:
        for live in ("<!channel>", "<https://evil", "<@U0ADA>"):
            assert live not in text_value
    assert any("&lt;@U0ADA&gt;" in t for t in texts)
    assert headers_of(post.blocks) == ["<!channel> <https://evil.example|click>"]  # plain_text: never parsed


async def test_a_rate_limited_post_is_retried_after_retry_after(harness: Harness, world: World) -> None:
    harness.fake.rate_limit("chat.postMessage", retry_after=7)
    await harness.send(harness.slack.direct_message("U0RITA", "who is Jane Doe?"))
    first, second = await harness.fake.wait_for("chat.postMessage", count=2)
    assert first.args == second.args
    assert harness.sleeps == [7.0]


async def test_a_slack_error_is_logged_and_answered_with_an_apology(harness: Harness, world: World,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    harness.fake.fail("chat.postMessage", "invalid_blocks")
    await harness.send(harness.slack.direct_message("U0RITA", "who is Jane Doe?"))
    refused, apology = await harness.fake.wait_for("chat.postMessage", count=2)
    assert refused.blocks and "Sorry" in apology.args["text"] and "invalid_blocks" in apology.args["text"]
    assert any("invalid_blocks" in r.getMessage() and "D0DIRECT" in r.getMessage() for r in caplog.records)


async def test_someone_slack_shares_no_email_for_is_told_why(harness: Harness, world: World) -> None:
    harness.fake.add_user("U0NOMAIL", email=None, name="No Mail")
    await harness.send(harness.slack.direct_message("U0NOMAIL", "who is Jane Doe?"))
    [post] = await harness.fake.wait_for("chat.postMessage")
    assert "users:read.email" in post.args["text"] and not headers_of(post.blocks)


async def test_people_from_another_workspace_see_no_candidates(harness: Harness, world: World) -> None:
    harness.fake.add_user("U0GUEST", email="guest@other.example", name="Guest", team_id="T0OTHER")
    await harness.send(harness.slack.direct_message("U0GUEST", "who is Jane Doe?"))
    [post] = await harness.fake.wait_for("chat.postMessage")
    assert "only answer people from the workspace" in post.args["text"] and not headers_of(post.blocks)


async def test_every_subscribed_event_has_a_listener(harness: Harness) -> None:
    for name in SUBSCRIBED_EVENTS:
        event: dict[str, Any] = {"type": name.split(".")[0], "user": "U0RITA", "channel": "C0X", "ts": "1.1",
                                 "text": "hi", "tab": "messages", "event_ts": "1.1"}
        if name == "message.im":
            event.update(channel_type="im", channel="D0X", subtype="message_changed")
        if name == "tokens_revoked":
            event["tokens"] = {"bot": ["U0HIREBOT"]}
        response = await harness.send(harness.slack.event(event))
        assert response.status == 200, f"{name} is subscribed in the manifest but not handled"


async def test_a_redelivered_event_is_answered_once(harness: Harness, world: World) -> None:
    body = json.loads(harness.slack.direct_message("U0RITA", "who is Jane Doe?")[0])
    client = harness.app.client
    await harness.conversation.on_message(body, body["event"], client)
    await harness.conversation.on_message(body, body["event"], client)
    await harness.conversation.drain()
    assert len(harness.fake.calls_to("chat.postMessage")) == 1


async def test_a_full_question_queue_answers_busy_at_once(harness: Harness, world: World) -> None:
    conversation = harness.conversation
    questions = conversation.desk.questions
    questions.worker_count, questions.backlog = 0, 1  # nobody answering, room for one question
    first = json.loads(harness.slack.direct_message("U0RITA", "who is Jane Doe?")[0])
    second = json.loads(harness.slack.direct_message("U0RITA", "who is Maria Rossi?")[0])
    await conversation.on_message(first, first["event"], harness.app.client)
    await conversation.on_message(second, second["event"], harness.app.client)
    [busy] = harness.fake.calls_to("chat.postMessage")
    assert "answering a lot of questions" in busy.args["text"]
    await conversation.cancel_background()


@pytest.mark.slow
async def test_questions_can_be_answered_in_a_separate_core_process(tmp_path: Path, sqlite_engine: Engine,
                                                                    fake: FakeSlackApi) -> None:
    sessions = session_factory(sqlite_engine)
    settings = make_settings(tmp_path, fake, database_url=str(sqlite_engine.url), secret_key="test-key")
    f.candidate(sessions, f.connection(sessions, Directory(sessions).default_workspace()), "Jane", "Doe",
                email="jane@example.com")
    front = SlackFrontEnd.from_settings(settings, sessions, Assistant(sessions), Directory(sessions),
                                        ConnectionService(sessions, f.BOX), core_processes=1)
    assert front is not None
    await front.start()
    web_app = web.Application()
    web_app.add_routes(front.routes())
    http: TestClient[Any, Any] = TestClient(TestServer(web_app, host="127.0.0.1"))
    await http.start_server()
    try:
        requests = SlackRequests(SECRET, team_id=fake.team_id)
        body, content_type = requests.direct_message("U0RITA", "who is Jane Doe?")
        response = await http.post("/slack/events", data=body, headers=requests.headers(body, content_type))
        assert response.status == 200
        [post] = await fake.wait_for("chat.postMessage", timeout=60)
        assert headers_of(post.blocks) == ["Jane Doe"]
    finally:
        await http.close()
        await front.close()


# ------------------------------------------------------------------------------------ App Home


async def test_home_tab_lists_providers_and_the_workspace_connection(harness: Harness, world: World) -> None:
    await harness.send(harness.slack.event({"type": "app_home_opened", "user": "U0RITA", "tab": "home",
                                            "channel": "D0DIRECT", "event_ts": "1.1"}))
    [publish] = await harness.fake.wait_for("views.publish")
    assert publish.args["user_id"] == "U0RITA" and publish.args["view"]["type"] == "home"
    blocks = {b.get("block_id"): b for b in publish.args["view"]["blocks"]}
    assert blocks["provider.greenhouse"]["accessory"]["action_id"] == ADD_ACTION
    assert "4 candidates" in blocks[f"connection.{world.connection.id}"]["text"]["text"]
    assert "accessory" not in blocks[f"connection.{world.connection.id}"]  # not an admin: no Remove


@pytest.mark.parametrize(("user", "offered"), [("U0ADA", True), ("U0RITA", False)])
async def test_add_opens_the_provider_modal(harness: Harness, user: str, offered: bool) -> None:
    await harness.send(harness.slack.block_action(user, {"action_id": ADD_ACTION, "value": "greenhouse",
                                                         "type": "button"}, container={"type": "view"}))
    [opened] = await harness.fake.wait_for("views.open")
    view = opened.args["view"]
    assert opened.args["trigger_id"].startswith("trigger.")
    assert view["callback_id"] == CONNECT_CALLBACK and view["title"]["text"] == "Add Greenhouse"
    assert any(b.get("block_id") == SCOPE_BLOCK for b in view["blocks"]) is offered


def submission(provider: str, values: dict[str, str], *, scope: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {f"field.{k}": {"value": {"type": "plain_text_input", "value": v}}
                             for k, v in values.items()}
    if scope:
        state[SCOPE_BLOCK] = {"value": {"type": "radio_buttons", "selected_option": {"value": scope}}}
    return {"id": "V0MODAL", "type": "modal", "callback_id": CONNECT_CALLBACK, "hash": "1.2",
            "private_metadata": json.dumps({"provider": provider}), "state": {"values": state}}


async def test_blank_required_fields_are_flagged_in_the_modal(harness: Harness) -> None:
    response = await harness.send(harness.slack.view_submission(
        "U0ADA", submission("greenhouse", {"client_id": "abc", "client_secret": "  "})))
    assert response.status == 200
    assert await response.json() == {"response_action": "errors",
                                     "errors": {"field.client_secret": "Client secret is required."}}


@pytest.fixture
async def fake_greenhouse() -> AsyncIterator[dict[str, Any]]:
    """The two Greenhouse endpoints a credential check touches, plus empty lists for the first sync."""
    state: dict[str, Any] = {"accept": True}

    async def token(request: web.Request) -> web.Response:
        if not state["accept"]:
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response({"access_token": "gh-token", "token_type": "bearer", "expires_in": 3600})

    async def listing(request: web.Request) -> web.Response:
        return web.json_response([])

    app = web.Application()
    app.router.add_post("/token", token)
    app.router.add_get("/v3/{path:.*}", listing)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state["url"] = str(server.make_url("")).rstrip("/")
    yield state
    await server.close()


async def test_refused_credentials_are_shown_in_the_modal(harness: Harness, fake_greenhouse: dict[str, Any]) -> None:
    fake_greenhouse["accept"] = False
    values = {"client_id": "abc", "client_secret": "wrong", "base_url": fake_greenhouse["url"],
              "auth_url": fake_greenhouse["url"] + "/token"}
    response = await harness.send(harness.slack.view_submission("U0ADA", submission("greenhouse", values,
                                                                                     scope="org")))
    body = await response.json()
    assert body["response_action"] == "update" and "Checking" in json.dumps(body["view"])
    [update] = await harness.fake.wait_for("views.update")
    view = update.args["view"]
    assert update.args["view_id"] == "V0MODAL" and view["blocks"][0]["block_id"] == "error"
    assert "Greenhouse" in view["blocks"][0]["text"]["text"]
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["field.client_id"]["initial_value"] == "abc" and "initial_value" not in inputs[
        "field.client_secret"]
    with harness.sessions() as session:
        assert session.query(AtsConnection).count() == 0


async def test_a_saved_connection_syncs_in_the_background_and_reports_by_dm(
        harness: Harness, fake_greenhouse: dict[str, Any]) -> None:
    values = {"client_id": "abc", "client_secret": "right", "base_url": fake_greenhouse["url"],
              "auth_url": fake_greenhouse["url"] + "/token"}
    await harness.send(harness.slack.view_submission("U0ADA", submission("greenhouse", values, scope="org")))
    [update] = await harness.fake.wait_for("views.update")
    assert "is connected for everyone in this workspace" in json.dumps(update.args["view"])
    [dm] = await harness.fake.wait_for("chat.postMessage")
    assert dm.args["channel"] == "U0ADA" and "Greenhouse is synced" in dm.args["text"]
    with harness.sessions() as session:
        [row] = session.query(AtsConnection).all()
        assert row.scope == "org" and row.workspace_id == harness.directory.default_workspace().id
    await harness.fake.wait_for("views.publish", count=2)


async def test_a_member_connects_greenhouse_for_themselves_only(harness: Harness,
                                                                fake_greenhouse: dict[str, Any]) -> None:
    values = {"client_id": "abc", "client_secret": "right", "base_url": fake_greenhouse["url"],
              "auth_url": fake_greenhouse["url"] + "/token"}
    await harness.send(harness.slack.view_submission("U0RITA", submission("greenhouse", values, scope="org")))
    [dm] = await harness.fake.wait_for("chat.postMessage")
    assert dm.args["channel"] == "U0RITA" and "synced" in dm.args["text"]
    with harness.sessions() as session:
        [row] = session.query(AtsConnection).all()
        assert row.scope == "user"


async def test_remove_deletes_the_connection_and_refreshes_home(harness: Harness, world: World) -> None:
    await harness.send(harness.slack.block_action("U0ADA", {"action_id": REMOVE_ACTION, "type": "button",
                                                            "value": str(world.connection.id)},
                                                  container={"type": "view"}))
    [publish] = await harness.fake.wait_for("views.publish")
    assert f"connection.{world.connection.id}" not in json.dumps(publish.args["view"])
    with harness.sessions() as session:
        assert session.get(AtsConnection, world.connection.id) is None


async def test_a_member_cannot_remove_the_workspace_connection(harness: Harness, world: World) -> None:
    await harness.send(harness.slack.block_action("U0RITA", {"action_id": REMOVE_ACTION, "type": "button",
                                                             "value": str(world.connection.id)},
                                                  container={"type": "view"}))
    [dm] = await harness.fake.wait_for("chat.postMessage")
    assert dm.args["channel"] == "U0RITA" and "admin" in dm.args["text"]
    with harness.sessions() as session:
        assert session.get(AtsConnection, world.connection.id) is not None


# ------------------------------------------------------------------------------------ modes


def test_settings_choose_the_mode_or_say_what_is_missing(tmp_path: Path) -> None:
    base = Settings(data_dir=tmp_path, database_url="sqlite://")
    assert slack_mode(base) is None
    http = slack_mode(Settings(data_dir=tmp_path, database_url="sqlite://", slack_bot_token=BOT_TOKEN,
                               slack_signing_secret=SECRET, slack_api_url="http://127.0.0.1:9"))
    assert http is not None and not http.socket_mode and http.api_url == "http://127.0.0.1:9/api/"
    socket = slack_mode(Settings(data_dir=tmp_path, database_url="sqlite://", slack_bot_token=BOT_TOKEN,
                                 slack_app_token="xapp-1-A-1-abc"))
    assert socket is not None and socket.socket_mode and not socket.serve_http_events
    assert "Socket Mode" in socket.describe("http://x")[0]
    cases: list[tuple[dict[str, Any], str]] = [
        (dict(slack_bot_token=BOT_TOKEN), "SLACK_SIGNING_SECRET"),
        (dict(slack_signing_secret=SECRET), "SLACK_BOT_TOKEN"),
        (dict(slack_bot_token="xoxp-user", slack_signing_secret=SECRET), "xoxb-"),
        (dict(slack_client_id="1.2"), "SLACK_CLIENT_SECRET"),
        (dict(slack_bot_token=BOT_TOKEN, slack_app_token="xoxb-nope"), "xapp-")]
    for broken, hint in cases:
        with pytest.raises(ConfigError, match=hint):
            slack_mode(Settings(data_dir=tmp_path, database_url="sqlite://", **broken))


async def test_socket_mode_without_signing_secret_serves_no_http_events(tmp_path: Path, sqlite_engine: Engine,
                                                                        fake: FakeSlackApi) -> None:
    sessions = session_factory(sqlite_engine)
    settings = make_settings(tmp_path, fake, slack_signing_secret=None, slack_app_token="xapp-1-A-1-abc")
    front = SlackFrontEnd.from_settings(settings, sessions, Assistant(sessions), Directory(sessions),
                                        ConnectionService(sessions, f.BOX), secret_box=f.BOX, core_processes=0)
    assert front is not None and front.routes() == []
    assert front.describe()[0].startswith("Slack: Socket Mode")


async def test_socket_mode_receives_events_over_the_websocket_and_acks_them(
        tmp_path: Path, sqlite_engine: Engine, fake: FakeSlackApi) -> None:
    sessions = session_factory(sqlite_engine)
    f.candidate(sessions, f.connection(sessions, Directory(sessions).default_workspace()), "Jane", "Doe",
                email="jane@example.com")
    settings = make_settings(tmp_path, fake, slack_signing_secret=None, slack_app_token="xapp-1-A0HIREBOT-1-abc")
    front = SlackFrontEnd.from_settings(settings, sessions, Assistant(sessions, clock=lambda: NOW),
                                        Directory(sessions), ConnectionService(sessions, f.BOX), core_processes=0)
    assert front is not None
    await front.start()
    try:
        await fake.wait_for_socket()
        [opened] = fake.calls_to("apps.connections.open")
        assert opened.token == "xapp-1-A0HIREBOT-1-abc"
        body = json.loads(SlackRequests(SECRET, team_id=fake.team_id).direct_message("U0RITA", "who is Jane Doe?")[0])
        envelope_id = await fake.send_envelope("events_api", body)
        [ack] = await fake.wait_for("socket_ack")
        assert ack.args["envelope_id"] == envelope_id
        [post] = await fake.wait_for("chat.postMessage")
        assert post.token == BOT_TOKEN and headers_of(post.blocks) == ["Jane Doe"]
    finally:
        await front.close()


# ------------------------------------------------------------------------------------ multi-workspace


@pytest.fixture
async def oauth_harness(tmp_path: Path, engine: Engine, fake: FakeSlackApi) -> AsyncIterator[Harness]:
    settings = make_settings(tmp_path, fake, slack_bot_token=None, slack_client_id="111.222",
                             slack_client_secret="client-secret")
    h = await start_harness(settings, session_factory(engine), fake, engine=engine)
    yield h
    await h.conversation.drain()
    await h.http.close()


async def test_oauth_install_stores_sealed_tokens_and_serves_that_workspace(oauth_harness: Harness,
                                                                           engine: Engine) -> None:
    h = oauth_harness
    install = await h.http.get("/slack/install", allow_redirects=False)
    assert install.status in (200, 302)
    authorize = install.headers.get("Location") or (await install.text())
    state = parse_qs(urlsplit(authorize.split('href="')[-1].split('"')[0].replace("&amp;", "&")).query)["state"][0]
    scopes = parse_qs(urlsplit(authorize.split('href="')[-1].split('"')[0].replace("&amp;", "&")).query)["scope"][0]
    assert set(scopes.split(",")) == {"app_mentions:read", "chat:write", "commands", "files:read", "im:history",
                                      "users:read", "users:read.email"}
    # The state cookie is marked Secure (Slack installs run over https), so carry it by hand over loopback http.
    cookie = install.headers["Set-Cookie"].split(";", 1)[0]
    callback = await h.http.get(f"/slack/oauth_redirect?code=abc&state={state}", allow_redirects=False,
                                headers={"Cookie": cookie})
    assert callback.status == 200, await callback.text()
    [exchange] = h.fake.calls_to("oauth.v2.access")
    assert exchange.args["code"] == "abc"
    with engine.connect() as conn:
        stored = conn.execute(text("select bot_token, bot_refresh_token from slack_bots")).one()
    assert all(value.startswith(SEALED_PREFIX) for value in stored)

    workspace = Directory(h.sessions).workspace_for("slack", h.fake.team_id, "Acme")
    f.candidate(h.sessions, f.connection(h.sessions, workspace), "Jane", "Doe", email="jane@example.com")
    await h.send(h.slack.direct_message("U0RITA", "who is Jane Doe?"))
    [post] = await h.fake.wait_for("chat.postMessage")
    assert post.token is not None and post.token.startswith("xoxe.xoxb-1-installed-")
    assert headers_of(post.blocks) == ["Jane Doe"]
    # Files attached to a message (a CV with a scheduling request) are fetched with that workspace's own token.
    cv = h.fake.upload_file("cv.pdf", b"%PDF-1.4 cv", user="U0RITA")
    await h.send(h.slack.direct_message("U0RITA", "schedule with jane.new@example.com", files=[cv]))
    await h.conversation.drain()
    assert [c.token for c in h.fake.calls_to(FILE_DOWNLOAD_METHOD)] == [post.token]


async def test_a_bot_token_about_to_expire_is_rotated_and_saved(oauth_harness: Harness, engine: Engine) -> None:
    store = DatabaseInstallationStore("111.222", engine, f.BOX)
    store.save_bot(Bot(app_id="A0HIREBOT", team_id=oauth_harness.fake.team_id, bot_token="xoxe.xoxb-1-old",
                       bot_id="B0HIREBOT", bot_user_id="U0HIREBOT", bot_scopes="chat:write",
                       bot_refresh_token="xoxe-1-refresh-old", installed_at=time.time(),
                       bot_token_expires_at=int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())))
    await oauth_harness.send(oauth_harness.slack.direct_message("U0RITA", "help"))
    [post] = await oauth_harness.fake.wait_for("chat.postMessage")
    [refresh] = oauth_harness.fake.calls_to("oauth.v2.access")
    assert refresh.args["grant_type"] == "refresh_token" and refresh.args["refresh_token"] == "xoxe-1-refresh-old"
    assert post.token is not None and post.token.startswith("xoxe.xoxb-1-rotated-")
    bot = store.find_bot(enterprise_id=None, team_id=oauth_harness.fake.team_id)
    assert bot is not None and bot.bot_token == post.token


async def test_installation_store_round_trips_through_the_database(engine: Engine) -> None:
    store = DatabaseInstallationStore("111.222", engine, f.BOX)
    bot = Bot(app_id="A1", team_id="T1", bot_token="xoxb-secret", bot_id="B1", bot_user_id="U1",
              bot_scopes=["chat:write", "commands"], installed_at=time.time())
    await store.async_save_bot(bot)
    found = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token == "xoxb-secret" and found.bot_scopes == ["chat:write", "commands"]
    await store.async_delete_all(enterprise_id=None, team_id="T1")
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None


def test_recorded_calls_expose_their_blocks() -> None:
    call = RecordedCall("chat.postMessage", {"blocks": [{"type": "divider"}]})
    assert call.blocks == [{"type": "divider"}]


def test_a_core_process_reply_that_changed_a_meeting_wakes_this_processes_job_runner(tmp_path: Path) -> None:
    from bot.replies import Reply

    core = ProcessCore(Settings(data_dir=tmp_path, database_url="sqlite://"))  # no process starts until used
    woken: list[str] = []
    core.on_meeting_change = lambda: woken.append("now")
    try:
        core._noticed(Reply(text="Here's Jane.", intent="who_is"))
        assert woken == []
        core._noticed(Reply(text="Sent Jane a meeting request.", intent="schedule", extra={"meeting_id": 7}))
        assert woken == ["now"]
    finally:
        core.close()


@pytest.mark.parametrize("timestamp", ["soon", "", "1.7e9", "9" * 400])
async def test_a_signed_request_with_a_non_numeric_timestamp_gets_401(harness: Harness, world: World,
                                                                       timestamp: str) -> None:
    body, content_type = harness.slack.direct_message("U0RITA", "who is Jane Doe?")
    signed = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body) or ""
    response = await harness.http.post("/slack/events", data=body, headers={
        "Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signed})
    assert response.status == 401
    assert harness.fake.calls == []


@pytest.mark.parametrize(("body", "content_type"), [
    (b'{"type": "event_callback", "event": ', "application/json"),
    (b"[1, 2]", "application/json"),
    (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
    (b"\xff\xfe\x00", "application/json"),
])
async def test_a_signed_but_malformed_body_gets_400(harness: Harness, world: World, body: bytes,
                                                    content_type: str) -> None:
    timestamp = str(int(time.time()))
    # Signed over the raw bytes as Slack does (slack_sdk's helper can only sign UTF-8 text).
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    response = await harness.http.post("/slack/events", data=body, headers={
        "Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature})
    assert response.status == 400
    assert harness.fake.calls == []


async def test_a_malformed_body_without_a_good_signature_is_still_401(harness: Harness, world: World) -> None:
    body = b'{"type": '
    headers = harness.slack.headers(body, "application/json", signature="v0=00")
    response = await harness.http.post("/slack/events", data=body, headers=headers)
    assert response.status == 401
