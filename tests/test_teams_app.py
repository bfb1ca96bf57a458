"""The Teams front end over HTTP on loopback, with real signed JWTs and the fake Bot Framework: "who is" answered
with an Adaptive Card through the connector at the activity's serviceUrl, badly signed requests refused with
nothing posted, buttons (adaptiveCard/action invokes) answered 200, channel privacy, mentions and escaping,
identity by email, conversation references from install events, and the integration directory.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.sandbox.greenhouse import GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate
from bot.frontend.conversation import BUSY_TEXT
from bot.frontend.privacy import SHARE_SETTING
from bot.teams.cards import CONNECT_FORM_VERB, CONNECT_VERB, FIELD_INPUT_PREFIX
from bot.teams.config import MESSAGES_PATH, TeamsConfig
from bot.teams.conversation import message_text
from bot.teams.directory import directory_request
from bot.teams.sandbox import BAD_VARIANTS, CREATE_CONVERSATION, MEMBER, REPLY, SEND, UPDATE
from store.teams_references import reference_for_user
from tests.rigs.teams import TeamsDesk, execute_button, filled, nodes, shown, valid_card
from tests.waiting import eventually


def open_urls(card: dict[str, Any]) -> set[str]:
    return {a["url"] for a in nodes(card, "Action.OpenUrl")}


async def test_who_is_in_a_personal_chat_is_answered_with_a_card_at_the_service_url(teams_desk: TeamsDesk) -> None:
    post = await teams_desk.ask("who is Jane Doe?")
    assert post.kind == REPLY and post.service_path == "/amer"
    activity = teams_desk.activities.message(teams_desk.rita, "x")
    assert post.conversation_id == activity["conversation"]["id"]
    [card] = post.cards
    assert card["version"] == "1.5" and "Jane Doe" in shown(card)
    assert any(url.startswith("https://app.greenhouse.io/people/") for url in open_urls(card))
    assert post.token is not None  # a bearer token from the token endpoint
    assert teams_desk.fake.tokens_issued == 1


async def test_replies_thread_under_the_question(teams_desk: TeamsDesk) -> None:
    activity = teams_desk.activities.message(teams_desk.rita, "who is Jane Doe")
    await teams_desk.send(activity)
    await teams_desk.front.conversation.drain()
    [post] = teams_desk.fake.posts()
    assert post.activity_id == activity["id"]


@pytest.mark.parametrize("variant", BAD_VARIANTS)
async def test_badly_signed_requests_get_401_and_nothing_is_posted(teams_desk: TeamsDesk, variant: str) -> None:
    for activity in (teams_desk.activities.message(teams_desk.rita, "who is Jane Doe"),
                     teams_desk.activities.invoke(teams_desk.rita, "hirebot.do",
                                                  {"command": "schedule", "value": str(teams_desk.jane_id)}),
                     teams_desk.activities.installation_update(teams_desk.rita)):
        response = await teams_desk.post(activity, variant)
        assert response.status == 401, variant
    await teams_desk.front.conversation.drain()
    assert teams_desk.fake.calls == []
    assert reference_for_user(teams_desk.sessions, tenant_id=teams_desk.fake.tenant_id,
                              user_id=teams_desk.rita.id) is None


async def test_bad_bodies_get_4xx_never_500(teams_desk: TeamsDesk) -> None:
    http = teams_desk.http
    assert (await http.post(MESSAGES_PATH, data=b"who is Jane", headers={"Content-Type": "text/plain"})).status == 415
    assert (await http.post(MESSAGES_PATH, data=b"{not json", headers={"Content-Type": "application/json"})).status \
        == 401
    assert (await http.post(MESSAGES_PATH, data=b"[1, 2]", headers={"Content-Type": "application/json"})).status \
        == 401
    signed = teams_desk.activities.message(teams_desk.rita, "hi")
    headers = teams_desk.signer.headers(signed)
    del signed["from"]
    assert (await http.post(MESSAGES_PATH, json=signed, headers=headers)).status == 400
    assert teams_desk.fake.posts() == []


async def test_a_card_button_click_gets_200_and_its_answer(teams_desk: TeamsDesk) -> None:
    post = await teams_desk.ask("who is Jane Doe")
    before = len(teams_desk.fake.posts())
    body = await teams_desk.click(post, "Schedule")
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.activity.message"
    proposal = teams_desk.fake.posts()[before]
    titles = [a["title"] for a in proposal.cards[0]["actions"]]
    assert titles[:2] == ["Send the request", "Edit details"] and titles[-1] == "Don't send"


async def test_edit_details_becomes_the_form_in_place_and_is_checked_field_by_field(teams_desk: TeamsDesk) -> None:
    post = await teams_desk.ask("schedule with Jane Doe")
    body = await teams_desk.click(post, "Edit details")
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    form = body["value"]
    assert any(i["id"] == "title" for i in nodes(form, "Input.Text"))
    send = execute_button(form, "Send request")
    problem = teams_desk.activities.invoke(teams_desk.rita, send["verb"], {**send["data"], **filled(
        form, title="", emails="not-an-address")})
    checked = await (await teams_desk.send(problem)).json()
    assert "Give the meeting a title." in shown(checked["value"])
    assert "isn't an email address" in shown(checked["value"])
    assert teams_desk.meetings_count() == 0

    valid = teams_desk.activities.invoke(teams_desk.rita, send["verb"], {**send["data"], **filled(
        form, title="Chat with Jane", emails="bob@acme.test")},
                                         reply_to_id="card-9")
    sending = await (await teams_desk.send(valid)).json()
    assert "sending the request" in shown(sending["value"])
    await teams_desk.front.conversation.drain()
    updates = teams_desk.fake.accepted(UPDATE)
    assert updates[-1].activity_id == "card-9" and "Sent." in shown(updates[-1].cards[0])
    assert teams_desk.meetings_count() == 1


async def test_in_a_channel_candidate_details_go_to_the_askers_personal_chat(teams_desk: TeamsDesk) -> None:
    await teams_desk.send(teams_desk.activities.message(teams_desk.rita, "who is Jane Doe", scope="channel"))
    await teams_desk.front.conversation.drain()
    [opened] = teams_desk.fake.accepted(CREATE_CONVERSATION)
    assert opened.body["members"] == [{"id": teams_desk.rita.id}]
    [private] = teams_desk.fake.accepted(SEND)
    assert "Jane Doe" in shown(private.cards[0])
    [public] = teams_desk.fake.accepted(REPLY)
    assert "Jane" not in json.dumps(public.body) and "1:1 chat" in shown(public.cards[0])
    assert public.conversation_id.startswith("19:general")


async def test_in_a_channel_cards_are_shared_when_the_admin_allows_it(teams_desk: TeamsDesk) -> None:
    workspace = teams_desk.directory.default_workspace()
    teams_desk.directory.set_workspace_setting(workspace.id, SHARE_SETTING, True)
    post = await teams_desk.ask("who is Jane Doe", scope="groupChat")
    assert post.kind == REPLY and "Jane Doe" in shown(post.cards[0])
    assert teams_desk.fake.accepted(SEND) == []


async def test_only_hirebots_own_mention_is_dropped_and_no_mention_is_echoed(teams_desk: TeamsDesk) -> None:
    post = await teams_desk.ask("who is <at>Boss Person</at>", scope="personal")
    assert "<at>" not in json.dumps(post.body).lower()
    assert "Boss Person" in shown(post.cards[0])


async def test_people_are_mapped_by_email_or_user_principal_name(teams_desk: TeamsDesk) -> None:
    await teams_desk.ask("who is Jane Doe", member=teams_desk.bob)
    people = {p.email for p in (teams_desk.directory.person_for(teams_desk.directory.default_workspace().id,
                                                                 email="bob@acme.test"),)}
    assert people == {"bob@acme.test"}
    lookups = teams_desk.fake.accepted(MEMBER)
    await teams_desk.ask("who is Jane Doe", member=teams_desk.bob)
    assert len(teams_desk.fake.accepted(MEMBER)) == len(lookups)  # cached
    # Without an address Teams still proved who they are: an identity of their own, the workspace's connections.
    nobody = teams_desk.fake.add_member("No Mail", None, user_principal_name="not-an-address")
    post = await teams_desk.ask("who is Jane Doe", member=nobody)
    assert "Jane Doe" in shown(post.cards[0])
    person = teams_desk.directory.person_for(teams_desk.directory.default_workspace().id,
                                             email=f"{nobody.aad_object_id}@users.teams.invalid")
    assert person.display_name == "No Mail"


async def test_without_a_member_lookup_the_sender_is_known_by_their_entra_id(teams_desk: TeamsDesk) -> None:
    teams_desk.fake.fail(MEMBER, 404, code="NotFound", times=5)
    post = await teams_desk.ask("who is Jane Doe")
    assert "Jane Doe" in shown(post.cards[0])
    assert teams_desk.directory.person_for(teams_desk.directory.default_workspace().id,
                                           email="rita@acme.test").display_name is None


async def test_guests_and_lookup_outages_are_told_why(teams_desk: TeamsDesk) -> None:
    guest = teams_desk.fake.add_member("Gus Guest", "gus@partner.example")
    teams_desk.fake.members[guest.id] = guest
    original = guest.to_json

    def as_guest() -> dict[str, Any]:
        return {**original(), "userRole": "guest"}

    guest.to_json = as_guest  # type: ignore[method-assign]
    post = await teams_desk.ask("who is Jane Doe", member=guest)
    assert "not guests" in shown(post.cards[0]) and "Jane Doe" not in shown(post.cards[0])
    teams_desk.fake.fail(MEMBER, 503, times=3)
    post = await teams_desk.ask("who is Jane Doe", member=teams_desk.bob)
    assert "try again" in shown(post.cards[0]) and "Jane Doe" not in shown(post.cards[0])


async def test_install_events_keep_a_conversation_reference(teams_desk: TeamsDesk) -> None:
    await teams_desk.send(teams_desk.activities.installation_update(teams_desk.rita))
    await teams_desk.send(teams_desk.activities.conversation_update(teams_desk.bob, scope="channel"))
    await teams_desk.front.conversation.drain()
    rita = reference_for_user(teams_desk.sessions, tenant_id=teams_desk.fake.tenant_id, user_id=teams_desk.rita.id)
    assert rita is not None and rita.email == "rita@acme.test"
    assert rita.service_url == teams_desk.fake.service_url()
    assert rita.conversation_id == teams_desk.activities.personal_conversation_id(teams_desk.rita)
    bob = reference_for_user(teams_desk.sessions, tenant_id=teams_desk.fake.tenant_id,
                             user_id=teams_desk.bob.aad_object_id)
    assert bob is not None and bob.conversation_id is None and bob.email == "bob@acme.test"
    assert teams_desk.fake.posts() == []


async def test_connect_shows_the_directory_and_each_provider_form(teams_desk: TeamsDesk) -> None:
    post = await teams_desk.ask("connect")
    card = post.cards[0]
    assert "Applicant tracking systems" in shown(card) and "Greenhouse" in shown(card)
    add = next(a for a in nodes(card, "Action.Execute")
               if a["verb"] == CONNECT_FORM_VERB and a["data"]["provider"] == "greenhouse")
    form = (await teams_desk.send(teams_desk.activities.invoke(teams_desk.rita, add["verb"], add["data"]))).json
    body = await form()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    connect = execute_button(body["value"], "Connect")
    assert connect["verb"] == CONNECT_VERB
    blank = await (await teams_desk.send(teams_desk.activities.invoke(teams_desk.rita, CONNECT_VERB,
                                                                      connect["data"]))).json()
    assert "is required." in shown(blank["value"])
    # In a channel the directory is not shown: credentials are typed in the personal chat only.
    post = await teams_desk.ask("my integrations", scope="channel")
    assert "1:1 chat" in shown(post.cards[0]) and "Greenhouse" not in shown(post.cards[0])


async def test_a_redelivered_activity_is_answered_once(teams_desk: TeamsDesk) -> None:
    activity = teams_desk.activities.message(teams_desk.rita, "who is Jane Doe")
    await teams_desk.send(activity)
    await teams_desk.send(activity)
    await teams_desk.front.conversation.drain()
    assert len(teams_desk.fake.posts()) == 1



async def test_connecting_greenhouse_checks_the_credentials_saves_and_reports_the_first_sync(
        teams_desk: TeamsDesk) -> None:
    sandbox = GreenhouseSandbox(generate(seed=3, candidates=30))
    server = TestServer(sandbox.app, host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("")).rstrip("/")
        post = await teams_desk.ask("connect greenhouse")
        connect = execute_button(post.cards[0], "Connect")
        values = {FIELD_INPUT_PREFIX + name: value for name, value in sandbox.connect_values(url).items()}

        wrong = {**connect["data"], **values, FIELD_INPUT_PREFIX + "client_secret": "wrong"}
        checking = await (await teams_desk.send(teams_desk.activities.invoke(
            teams_desk.rita, CONNECT_VERB, wrong, reply_to_id="card-1"))).json()
        assert "Checking the Greenhouse credentials" in shown(checking["value"])
        await teams_desk.front.conversation.drain()
        [refused] = teams_desk.fake.accepted(UPDATE)
        assert refused.activity_id == "card-1" and "⚠" in shown(refused.cards[0])
        assert "wrong" not in json.dumps(refused.body)  # the secret is never drawn again
        assert teams_desk.connections() == []

        await teams_desk.send(teams_desk.activities.invoke(teams_desk.rita, CONNECT_VERB,
                                                           {**connect["data"], **values}, reply_to_id="card-2"))
        await teams_desk.front.conversation.drain()
        [saved] = teams_desk.connections()
        assert saved.scope == "user" and saved.candidate_count == 30
        updates = [u for u in teams_desk.fake.accepted(UPDATE) if u.activity_id == "card-2"]
        assert "connected for you" in shown(updates[0].cards[0])
        assert "30 candidates added" in shown(updates[-1].cards[0])
        reports = [p for p in teams_desk.fake.posts() if "Greenhouse is synced" in shown(p.cards[0])]
        assert len(reports) == 1
    finally:
        await server.close()


async def test_action_submit_clicks_from_older_clients_work_too(teams_desk: TeamsDesk) -> None:
    post = await teams_desk.ask("who is Jane Doe")
    schedule = execute_button(post.cards[0], "Schedule")
    before = len(teams_desk.fake.posts())
    submit = teams_desk.activities.submit(teams_desk.rita, schedule["fallback"]["data"], reply_to_id="card-7")
    await teams_desk.send(submit)
    await teams_desk.front.conversation.drain()
    proposal = teams_desk.fake.posts()[before]
    assert "Edit details" in json.dumps(proposal.cards)
    edit = execute_button(proposal.cards[0], "Edit details")
    await teams_desk.send(teams_desk.activities.submit(teams_desk.rita, edit["fallback"]["data"],
                                                       reply_to_id="card-8"))
    await teams_desk.front.conversation.drain()
    [form] = [u for u in teams_desk.fake.accepted(UPDATE) if u.activity_id == "card-8"]
    assert any(i["id"] == "title" for i in nodes(form.cards[0], "Input.Text"))


async def test_unknown_buttons_and_other_invokes_get_200(teams_desk: TeamsDesk) -> None:
    stale = await (await teams_desk.send(teams_desk.activities.invoke(teams_desk.rita, "old.verb", {}))).json()
    assert stale["statusCode"] == 200 and "Please ask me again" in stale["value"]
    other = teams_desk.activities.invoke(teams_desk.rita, "x")
    other["name"] = "composeExtension/query"
    assert (await teams_desk.send(other)).status == 200
    missing = teams_desk.activities.invoke(teams_desk.rita, "hirebot.pick", {"command": "who_is"})
    assert "Please ask me again" in (await (await teams_desk.send(missing)).json())["value"]


async def test_a_cv_attached_in_the_personal_chat_is_read_for_a_new_person(teams_desk: TeamsDesk) -> None:
    async def cv(request: web.Request) -> web.Response:
        if request.match_info["name"] == "gone.pdf":
            return web.Response(status=404)
        return web.Response(body=b"%PDF-1.4 Sam's CV", content_type="application/pdf")

    files = web.Application()
    files.router.add_get("/download/{name}", cv)
    server = TestServer(files, host="127.0.0.1")
    await server.start_server()
    try:
        def attachment(name: str) -> dict[str, Any]:
            return {"contentType": "application/vnd.microsoft.teams.file.download.info", "name": name,
                    "content": {"downloadUrl": str(server.make_url(f"/download/{name}")), "fileType": "pdf",
                                "uniqueId": name}}

        message = teams_desk.activities.message(teams_desk.rita, "schedule with sam.new@example.com")
        message["attachments"] = [attachment("Sam_CV.pdf"), attachment("gone.pdf")]
        await teams_desk.send(message)
        await teams_desk.front.conversation.drain()
        texts = [shown(p.cards[0]) for p in teams_desk.fake.posts()]
        assert any("gone.pdf" in t and "HTTP 404" in t for t in texts)  # the one that couldn't be read, said
        proposal = next(t for t in texts if "sam.new@example.com" in t)
        assert "Sam_CV.pdf" in proposal
    finally:
        await server.close()


async def test_a_reply_teams_refuses_is_apologised_for(teams_desk: TeamsDesk) -> None:
    teams_desk.fake.fail(REPLY, 403, code="Forbidden")
    await teams_desk.send(teams_desk.activities.message(teams_desk.rita, "who is Jane Doe"))
    await teams_desk.front.conversation.drain()
    [apology] = teams_desk.fake.posts()
    assert "wouldn't let me post that answer" in shown(apology.cards[0])
    assert "Jane Doe" not in shown(apology.cards[0])


async def test_removing_the_app_from_the_personal_chat_forgets_the_reference(teams_desk: TeamsDesk) -> None:
    await teams_desk.send(teams_desk.activities.installation_update(teams_desk.rita))
    await teams_desk.front.conversation.drain()
    assert reference_for_user(teams_desk.sessions, tenant_id=teams_desk.fake.tenant_id,
                              user_id=teams_desk.rita.id) is not None
    await teams_desk.send(teams_desk.activities.installation_update(teams_desk.rita, action="remove"))
    await teams_desk.front.conversation.drain()
    assert reference_for_user(teams_desk.sessions, tenant_id=teams_desk.fake.tenant_id,
                              user_id=teams_desk.rita.id) is None


@pytest.mark.parametrize("question", ["help", "hi", "my settings", "open jobs", "my meetings",
                                      "what did you log for Jane Doe?", "why didn't Jane Doe get a reminder?",
                                      "who is Jnae Deo", "who is Nobody Atall", "refresh Jane Doe"])
async def test_every_answer_is_a_valid_adaptive_card(teams_desk: TeamsDesk, question: str) -> None:
    post = await teams_desk.ask(question)
    [card] = post.cards
    valid_card(card)
    assert shown(card).strip()


async def test_an_activity_without_an_id_is_answered_in_its_conversation(teams_desk: TeamsDesk) -> None:
    activity = teams_desk.activities.message(teams_desk.rita, "who is Jane Doe")
    del activity["id"]
    await teams_desk.send(activity)
    await teams_desk.front.conversation.drain()
    [post] = teams_desk.fake.posts()
    assert post.kind == SEND and post.conversation_id == activity["conversation"]["id"]
    assert "Jane Doe" in shown(post.cards[0])


async def test_an_admin_may_connect_greenhouse_for_the_whole_workspace(teams_desk: TeamsDesk) -> None:
    member_form = (await teams_desk.ask("connect greenhouse", member=teams_desk.bob)).cards[0]
    assert not [i for i in nodes(member_form, "Input.ChoiceSet") if i["id"] == "scope"]
    # Teams has no organisation-admin role for bots to read: hirebot's own admin flag on the user counts.
    teams_desk.directory.person_for(teams_desk.directory.default_workspace().id, email="rita@acme.test",
                                    is_admin=True)
    admin_form = (await teams_desk.ask("connect greenhouse")).cards[0]
    [scope] = [i for i in nodes(admin_form, "Input.ChoiceSet") if i["id"] == "scope"]
    assert scope["value"] == "org" and {c["value"] for c in scope["choices"]} == {"org", "user"}


async def test_people_named_in_hirebot_teams_admins_are_admins(teams_desk: TeamsDesk) -> None:
    teams_desk.front.conversation.identities.admins = frozenset({"bob@acme.test"})  # HIREBOT_TEAMS_ADMINS
    admin_form = (await teams_desk.ask("connect greenhouse", member=teams_desk.bob)).cards[0]
    assert [i for i in nodes(admin_form, "Input.ChoiceSet") if i["id"] == "scope"]


def test_hirebot_teams_admins_is_a_list_of_emails() -> None:
    environ = {"TEAMS_APP_ID": "app", "TEAMS_APP_PASSWORD": "pw", "TEAMS_APP_TENANT_ID": "t1",
               "HIREBOT_TEAMS_ADMINS": " Rita@Acme.test, ,bob@acme.test "}
    config = TeamsConfig.from_env(environ)
    assert config is not None and config.admins == {"rita@acme.test", "bob@acme.test"}
    del environ["HIREBOT_TEAMS_ADMINS"]
    assert TeamsConfig.from_env(environ).admins == frozenset()  # type: ignore[union-attr]


def test_message_text_drops_only_hirebots_own_mention() -> None:
    bot = {"id": "28:bot", "name": "hirebot"}
    mention = {"type": "mention", "text": "<at>hirebot</at>", "mentioned": bot}
    activity = {"text": "<at>hirebot</at> <at>Jane Doe</at> who?", "recipient": bot, "entities": [mention]}
    assert message_text(activity) == "@Jane Doe who?"
    activity = {"text": "ask <at>hirebot</at> who is Jane", "recipient": bot, "entities": [mention]}
    assert message_text(activity) == "ask who is Jane"
    assert message_text({"text": "<at>hirebot</at> who is Jane", "recipient": bot}) == "who is Jane"
    assert message_text({"text": None}) == ""


async def test_a_full_question_queue_says_busy_once_per_person_after_the_ack(teams_desk: TeamsDesk) -> None:
    questions = teams_desk.front.conversation.desk.questions
    questions.worker_count, questions.backlog = 0, 1  # nobody answers: the second question finds it full
    try:
        for _ in range(4):
            await teams_desk.send(teams_desk.activities.message(teams_desk.rita, "who is Jane Doe"))
        await teams_desk.send(teams_desk.activities.message(teams_desk.bob, "who is Jane Doe"))
        await eventually(lambda: len(teams_desk.fake.posts()) >= 2)
        await teams_desk.front.conversation.desk.background_done()  # every note decided on has gone out
        busy = [p for p in teams_desk.fake.posts() if BUSY_TEXT in shown(p.cards[0])]
        assert len(busy) == 2 and len(teams_desk.fake.posts()) == 2  # one for Rita, one for Bob
    finally:
        await questions.close()


@pytest.mark.parametrize(("text", "expected"), [
    ("connect", (True, None)), ("Connect an ATS", (True, None)), ("connect greenhouse", (True, "greenhouse")),
    ("my integrations", (True, None)), ("integrations?", (True, None)), ("my connections", (True, None)),
    ("who is Connie Connect", (False, None)), ("schedule with Jane", (False, None)),
])
def test_directory_requests_are_recognised(text: str, expected: tuple[bool, str | None]) -> None:
    assert directory_request(text) == expected
