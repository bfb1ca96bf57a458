"""Scheduling from Slack end to end: the proposal with its buttons, the pre-filled modal and its submission, and
the organizer's DMs (with Reschedule and Cancel) sent by the job dispatcher.

Signed requests go to /slack/events over loopback; the fake Slack Web API records what hirebot calls. The
store is real SQLite, and the meeting service, scheduling desk, job dispatcher and mail outbox are the real
ones, on an injected clock.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine, select

from bot.briefing_card import RenderingBriefingSender
from bot.connections import ConnectionService
from bot.core import Assistant
from bot.directory import Directory
from bot.frontend.notifier import NotifierBridge
from bot.frontend.protocol import ChatDeliveryError
from bot.frontend.schedule_draft import ScheduleDraft
from bot.frontend.schedule_form import ScheduleForm, typed_emails
from bot.replies import Card, Choice, Reply
from bot.slack.app import SlackFrontEnd, build_slack_app
from bot.slack.blocks import EDIT_ACTION, PICK_PREFIX, render_reply
from bot.slack.config import slack_mode
from bot.slack.installation import DatabaseInstallationStore
from bot.slack.notices import SlackDirectMessages
from bot.slack.sandbox import FakeSlackApi
from bot.slack.schedule_modal import (
    DURATION_BLOCK,
    EMAILS_BLOCK,
    FIRST_DAY_BLOCK,
    LAST_DAY_BLOCK,
    LOCATION_BLOCK,
    PEOPLE_BLOCK,
    SCHEDULE_CALLBACK,
    TITLE_BLOCK,
    form_errors,
)
from bot.slack.web_api import BotTokens
from scheduler.meetings import MeetingView
from scheduler.user_settings import update_settings
from store.db import session_factory, transaction
from store.models import User
from tests import factories as f
from tests.rigs.slack import (
    BOT_TOKEN,
    NOW,
    Desk,
    button,
    buttons,
    inputs,
    make_settings,
    submission,
    validate,
)

BERLIN = ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.usefixtures("no_slack_environment")


@pytest.fixture
def fake(slack_team: FakeSlackApi) -> FakeSlackApi:
    """The fake Slack team (tests/rigs/slack.py), by the name these tests use."""
    return slack_team


# ------------------------------------------------------------------------------------ the proposal


async def test_a_proposal_has_send_edit_and_dont_send_buttons(desk: Desk) -> None:
    post = await desk.propose()
    assert post.args["channel"] == "D0DIRECT"
    assert [b["text"]["text"] for b in buttons(post.blocks)] == ["Send the request", "Edit details", "Don't send"]
    send, edit, discard = buttons(post.blocks)
    assert send["action_id"] == f"{PICK_PREFIX}send_request.0" and send["style"] == "primary"
    assert edit["action_id"] == EDIT_ACTION and discard["value"]
    draft = ScheduleDraft.from_json(edit["value"])
    assert send["value"] == edit["value"]
    assert draft.candidate_id == desk.jane_id and draft.email == "jane.doe@example.com" and draft.duration == 30
    assert draft.title == "Interview: Jane Doe, Senior Backend Engineer"
    texts = json.dumps(post.blocks)
    assert "Shall I send the request?" in texts and "Email the candidate a link" in texts
    validate(post.blocks)


async def test_send_the_request_sends_as_proposed(desk: Desk) -> None:
    post = await desk.propose()
    send = button(post.blocks, "Send the request")
    await desk.send(desk.slack.block_action("U0RITA", {**send, "type": "button"}, channel="D0DIRECT",
                                            response_url=desk.fake.response_url("send")))
    [answer] = await desk.fake.wait_for("response_url")
    assert answer.args["replace_original"] is True and "Sent Jane Doe a meeting request" in answer.args["text"]
    [meeting] = desk.meetings()
    assert meeting.state == "requested" and meeting.duration_minutes == 30
    assert meeting.window_start == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # Tuesday 00:00 in Berlin


async def test_dont_send_creates_nothing(desk: Desk) -> None:
    post = await desk.propose()
    discard = button(post.blocks, "Don't send")
    await desk.send(desk.slack.block_action("U0RITA", {**discard, "type": "button"}, channel="D0DIRECT",
                                            response_url=desk.fake.response_url("no")))
    [answer] = await desk.fake.wait_for("response_url")
    assert answer.args["text"] == "OK, I won't send it."
    assert desk.meetings() == []


async def test_a_typed_yes_or_no_answers_the_proposal_as_its_buttons_do(desk: Desk) -> None:
    await desk.propose()
    await desk.send(desk.slack.direct_message("U0RITA", "no"))
    declined = await desk.fake.wait_for("chat.postMessage", count=2)
    assert declined[-1].args["text"] == "OK, I won't send it." and desk.meetings() == []
    await desk.propose()
    await desk.send(desk.slack.direct_message("U0RITA", "yes"))
    [*_, sent] = await desk.fake.wait_for("chat.postMessage", count=4)
    assert "Sent Jane Doe a meeting request" in sent.args["text"]
    [meeting] = desk.meetings()
    assert meeting.state == "requested"


# ------------------------------------------------------------------------------------ the modal


async def test_edit_details_opens_the_modal_pre_filled_in_the_organizers_zone(desk: Desk) -> None:
    view = await desk.open_modal()
    [opened] = desk.fake.calls_to("views.open")
    assert opened.args["trigger_id"].startswith("trigger.")
    assert view["callback_id"] == SCHEDULE_CALLBACK
    fields = inputs(view)
    assert fields[TITLE_BLOCK]["initial_value"] == "Interview: Jane Doe, Senior Backend Engineer"
    assert fields[DURATION_BLOCK]["initial_option"]["value"] == "30"
    assert [o["value"] for o in fields[DURATION_BLOCK]["options"]] == ["15", "30", "45", "60", "90"]
    # The default window, Tuesday to the next Monday, as days in Berlin.
    assert (fields[FIRST_DAY_BLOCK]["initial_date"], fields[LAST_DAY_BLOCK]["initial_date"]) == (
        "2026-11-24", "2026-11-30")
    assert fields[PEOPLE_BLOCK]["type"] == "multi_users_select"
    assert "initial_value" not in fields[EMAILS_BLOCK] and "initial_value" not in fields[LOCATION_BLOCK]
    assert "Europe/Berlin" in json.dumps(view) and "jane.doe@example.com" in json.dumps(view)
    View(**view).validate_json()


async def test_a_submitted_modal_sends_the_edited_request_and_dms_the_organizer(desk: Desk) -> None:
    view = await desk.open_modal()
    started = time.perf_counter()
    response = await desk.submit(view, title="Backend interview", duration="45", first="2026-12-01",
                                 last="2026-12-03", people=("U0BOB",), emails="sam@example.com; <Alex@Example.com>",
                                 location="https://meet.example/jane")
    assert time.perf_counter() - started < 3  # acknowledged before the slow work
    body = await response.json()
    assert body["response_action"] == "update" and "sending the request" in json.dumps(body["view"])
    await desk.fake.wait_for("chat.postMessage", count=2)  # the proposal, then the result
    dm = desk.fake.calls_to("chat.postMessage")[-1]
    assert dm.args["channel"] == "U0RITA" and "Sent Jane Doe a meeting request" in dm.args["text"]
    assert [b["text"]["text"] for b in buttons(dm.blocks)] == ["Reschedule", "Cancel"]
    [update] = await desk.fake.wait_for("views.update")
    assert update.args["view_id"] == "V0SCHEDULE" and "Sent." in json.dumps(update.args["view"])

    [meeting] = desk.meetings()
    view_now = desk.scheduling.service.view(meeting.id)
    assert view_now.title == "Backend interview" and view_now.duration_minutes == 45
    assert view_now.window_start == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # Dec 1, 00:00 in Berlin
    assert view_now.window_end == datetime(2026, 12, 3, 23, 0, tzinfo=UTC)  # after Dec 3 in Berlin
    assert view_now.location == "https://meet.example/jane"
    assert {a.email for a in view_now.attendees} == {"rita@acme.test", "bob@acme.test", "sam@example.com",
                                                     "alex@example.com"}
    assert view_now.slots and all(date(2026, 12, 1) <= s.astimezone(BERLIN).date() <= date(2026, 12, 3)
                                  for s in view_now.slots)
    assert [b["value"] for b in buttons(dm.blocks)] == [str(meeting.id)] * 2


async def test_days_are_read_in_the_zone_of_the_organizers_scheduling_settings(desk: Desk) -> None:
    await desk.send(desk.slack.direct_message("U0RITA", "help"))
    await desk.fake.wait_for("chat.postMessage")
    with transaction(desk.sessions) as session:
        update_settings(session, desk.rita().user_id, f.BOX, timezone="America/New_York")
    view = await desk.open_modal()
    [last_day] = [b for b in view["blocks"] if b.get("block_id") == LAST_DAY_BLOCK]
    assert "America/New_York" in last_day["hint"]["text"]
    await desk.submit(view, last="2026-12-02")  # only the last day changed
    await desk.fake.wait_for("views.update")
    [meeting] = desk.meetings()
    # The untouched first day keeps the proposal's own start (Tuesday 00:00 in New York); the new last day
    # ends at midnight New York time.
    assert meeting.window_start == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    assert meeting.window_end == datetime(2026, 12, 3, 5, 0, tzinfo=UTC)


def proposal_reply(draft: str, choices: tuple[Choice, ...]) -> Reply:
    return Reply(text="Here's the meeting I'd propose.", intent="schedule", choices=choices, private=True,
                 cards=(Card(title="Interview: Jane Doe", kind="meeting_proposal"),), extra={"draft": draft})


def test_a_proposal_without_free_times_offers_only_edit_details() -> None:
    draft = ScheduleDraft(window_start=NOW, window_end=NOW.replace(day=28), title="Interview").to_json()
    blocks = render_reply(proposal_reply(draft, ())).blocks
    [edit] = buttons(blocks)
    assert edit["text"]["text"] == "Edit details" and edit["style"] == "primary" and edit["value"] == draft
    validate(blocks)


def test_a_draft_too_long_for_a_button_is_not_cut() -> None:
    draft = ScheduleDraft(window_start=NOW, window_end=NOW.replace(day=28), title="x" * 2100).to_json()
    choices = (Choice("Send the request", draft, None, "send_request"), Choice("Don't send", "", None,
                                                                               "discard_request"))
    blocks = render_reply(proposal_reply(draft, choices)).blocks
    assert buttons(blocks) == [] and "too long" in json.dumps(blocks)


def test_typed_addresses_may_come_as_mail_clients_copy_them() -> None:
    assert typed_emails("Alex Smith <Alex@Example.com>, sam@example.com;\nmailto:z@example.org sam@example.com") \
        == (("alex@example.com", "sam@example.com", "z@example.org"), ())
    assert typed_emails("sam at example dot com") == ((), ("sam", "at", "example", "dot", "com"))


def test_a_search_of_more_than_sixty_days_is_refused() -> None:
    form = ScheduleForm(title="Interview", duration=30, first_day=date(2026, 12, 1), last_day=date(2027, 1, 30))
    assert form_errors(form, today=date(2026, 11, 23)) == {LAST_DAY_BLOCK: "Keep the search to 60 days or fewer."}
    fits = ScheduleForm(title="Interview", duration=30, first_day=date(2026, 12, 1), last_day=date(2027, 1, 29))
    assert form_errors(fits, today=date(2026, 11, 23)) == {}


async def test_bad_dates_length_and_emails_are_flagged_next_to_their_fields(desk: Desk) -> None:
    view = await desk.open_modal()
    response = await desk.submit(view, first="2026-12-03", last="2026-12-01", duration="999",
                                 emails="sam@example.com, not-an-address")
    assert await response.json() == {"response_action": "errors", "errors": {
        LAST_DAY_BLOCK: "The last day can't be before the first day.",
        DURATION_BLOCK: "Pick a length between 5 minutes and 8 hours.",
        EMAILS_BLOCK: "\u201cnot-an-address\u201d isn't an email address.",
    }}
    past = await desk.submit(view, first="2026-11-20", title="   ")
    assert await past.json() == {"response_action": "errors", "errors": {
        TITLE_BLOCK: "Give the meeting a title.",
        FIRST_DAY_BLOCK: "That day has passed; pick today or a later day."}}
    await desk.front.conversation.drain()
    assert desk.meetings() == [] and desk.fake.calls_to("views.update") == []


async def test_someone_slack_shares_no_email_for_keeps_the_form_open_with_the_reason(desk: Desk) -> None:
    view = await desk.open_modal()
    await desk.submit(view, title="Kept title", people=("U0SHY", "U0APP"))
    [update] = await desk.fake.wait_for("views.update")
    shown = update.args["view"]
    assert shown["blocks"][0]["block_id"] == "error"
    assert "Shy Person's email address" in shown["blocks"][0]["text"]["text"]
    assert "Some App is an app" in shown["blocks"][0]["text"]["text"]
    assert inputs(shown)[TITLE_BLOCK]["initial_value"] == "Kept title"
    assert inputs(shown)[PEOPLE_BLOCK]["initial_users"] == ["U0SHY", "U0APP"]
    assert desk.meetings() == []


async def test_a_window_with_no_free_time_is_explained_in_the_form(desk: Desk) -> None:
    view = await desk.open_modal()
    await desk.submit(view, first="2026-11-28", last="2026-11-29")  # a weekend: nobody works
    [update] = await desk.fake.wait_for("views.update")
    error = update.args["view"]["blocks"][0]
    assert error["block_id"] == "error" and "no free times" in error["text"]["text"]
    assert inputs(update.args["view"])[FIRST_DAY_BLOCK]["initial_date"] == "2026-11-28"
    assert desk.meetings() == []


async def test_a_tampered_form_is_refused_without_sending(desk: Desk) -> None:
    view = await desk.open_modal()
    response = await desk.send(desk.slack.view_submission("U0RITA", {**submission(view),
                                                                     "private_metadata": "{not json"}))
    body = await response.json()
    assert body["response_action"] == "update" and "can't be read any more" in json.dumps(body["view"])
    assert desk.meetings() == []


# ------------------------------------------------------------------------------------ notices


async def request_and_book(desk: Desk) -> MeetingView:
    post = await desk.propose()
    send = button(post.blocks, "Send the request")
    await desk.send(desk.slack.block_action("U0RITA", {**send, "type": "button"}, channel="D0DIRECT",
                                            response_url=desk.fake.response_url("send")))
    await desk.fake.wait_for("response_url")
    [meeting] = desk.meetings()
    return await desk.scheduling.service.select_time(meeting.id, meeting.slots[0])


async def test_a_booking_notice_is_a_dm_with_reschedule_and_cancel_and_cancel_works(desk: Desk) -> None:
    booked = await request_and_book(desk)
    assert await desk.scheduling.dispatcher.run_due() >= 1
    # Other notices (e.g. about logging to the ATS) may come too; this one says the meeting is booked.
    [notice] = [c for c in desk.fake.calls_to("chat.postMessage")
                if c.args["channel"] == "U0RITA" and "Jane Doe booked" in c.args["text"]]
    assert notice.token == BOT_TOKEN
    reschedule, cancel = buttons(notice.blocks)
    assert (reschedule["text"]["text"], cancel["text"]["text"]) == ("Reschedule", "Cancel")
    assert reschedule["value"] == cancel["value"] == str(booked.id)
    assert cancel["confirm"]["confirm"]["text"] == "Cancel meeting"
    validate(notice.blocks)

    posted = len(desk.fake.calls_to("chat.postMessage"))
    await desk.send(desk.slack.block_action("U0RITA", {**cancel, "type": "button"}, channel="D0RITA"))
    answer = (await desk.fake.wait_for("chat.postMessage", count=posted + 1))[-1]
    assert answer.args["channel"] == "D0RITA" and "Cancelled" in answer.args["text"]
    assert desk.scheduling.service.view(booked.id).state == "cancelled"
    assert buttons(answer.blocks) == []  # a cancelled meeting offers nothing more to click


async def test_notices_about_closed_meetings_have_no_buttons_and_text_is_escaped(desk: Desk) -> None:
    booked = await request_and_book(desk)
    desk.scheduling.service.cancel(booked.id, actor="candidate")
    notifier = desk.front.notifier()
    rita = desk.rita()
    await asyncio.to_thread(notifier.notify, rita.user_id, "<!channel> Jane cancelled", meeting_id=booked.id)
    post = desk.fake.calls_to("chat.postMessage")[-1]
    assert post.args["channel"] == "U0RITA" and buttons(post.blocks) == []
    assert post.blocks[0]["text"]["text"] == "&lt;!channel&gt; Jane cancelled"


async def test_a_notice_for_someone_slack_does_not_know_fails_for_good(desk: Desk) -> None:
    stranger = f.user(desk.sessions, desk.directory.default_workspace(), "stranger@acme.test")
    notifier = desk.front.notifier()
    with pytest.raises(ChatDeliveryError) as failure:
        await asyncio.to_thread(notifier.notify, stranger.id, "Hello", meeting_id=1)
    assert failure.value.retryable is False
    assert "stranger@acme.test isn't anyone's email address in Slack" in str(failure.value)
    assert [c.args["email"] for c in desk.fake.calls_to("users.lookupByEmail")] == ["stranger@acme.test"]
    with pytest.raises(ChatDeliveryError):
        await asyncio.to_thread(notifier.notify, stranger.id, "Hello again", meeting_id=1)
    assert len(desk.fake.calls_to("users.lookupByEmail")) == 1  # the answer is remembered for a while


async def test_the_fake_looks_people_up_by_email_as_slack_documents(desk: Desk) -> None:
    desk.fake.add_user("U0GUEST", email="guest@partner.test", name="Guest", team_id="T0PARTNER")
    client = AsyncWebClient(token=BOT_TOKEN, base_url=desk.fake.api_url)
    found = await client.users_lookupByEmail(email="BOB@acme.TEST")
    assert found["user"]["id"] == "U0BOB" and found["user"]["profile"]["email"] == "Bob@Acme.test"
    for email, error in (("guest@partner.test", "users_not_found"), ("nobody@acme.test", "users_not_found"),
                         ("", "invalid_arguments")):
        with pytest.raises(SlackApiError) as refused:
            await client.users_lookupByEmail(email=email)
        assert refused.value.response["error"] == error


async def test_a_notice_reaches_an_organizer_who_never_wrote_to_hirebot_found_by_email(desk: Desk) -> None:
    bob = f.user(desk.sessions, desk.directory.default_workspace(), "bob@acme.test")  # e.g. scheduled from the CLI
    notifier = desk.front.notifier()
    await asyncio.to_thread(notifier.notify, bob.id, "Jane booked", meeting_id=404)
    await asyncio.to_thread(notifier.notify, bob.id, "Jane booked again", meeting_id=404)
    first, second = desk.fake.calls_to("chat.postMessage")
    assert first.args["channel"] == second.args["channel"] == "U0BOB"
    assert [c.args["email"] for c in desk.fake.calls_to("users.lookupByEmail")] == ["bob@acme.test"]
    with desk.sessions() as session:
        stored = session.get(User, bob.id)
        assert stored is not None and (stored.chat_user_id, stored.display_name) == ("U0BOB", "Bob Builder")


async def test_attendees_who_never_wrote_to_hirebot_get_briefings_in_their_own_zone(desk: Desk) -> None:
    desk.fake.users["U0BOB"].tz = "America/Los_Angeles"
    desk.scheduling.set_briefing_sender(RenderingBriefingSender(desk.front.notifier()))
    view = await desk.open_modal()
    await desk.submit(view, emails="bob@acme.test, nobody@acme.test")
    await desk.fake.wait_for("views.update")
    [meeting] = desk.meetings()
    booked = await desk.scheduling.service.select_time(meeting.id, meeting.slots[0])
    assert booked.booked_start is not None
    await desk.scheduling.dispatcher.run_due()  # the booking notice to Rita; Bob and nobody@ are looked up

    looked_up = {c.args["email"] for c in desk.fake.calls_to("users.lookupByEmail")}
    assert {"bob@acme.test", "nobody@acme.test"} <= looked_up
    to_rita = [c.args["text"] for c in desk.fake.calls_to("chat.postMessage") if c.args["channel"] == "U0RITA"]
    [unknown] = [t for t in to_rita if "couldn't find" in t]
    assert unknown.startswith("I couldn't find nobody@acme.test in Slack, so I can't send them the briefing")
    with desk.sessions() as session:
        [bob] = session.scalars(select(User).where(User.email == "bob@acme.test")).all()
        assert (bob.chat_user_id, bob.timezone) == ("U0BOB", "America/Los_Angeles")

    desk.clock.now = booked.booked_start - timedelta(minutes=10)
    await desk.scheduling.dispatcher.run_due()
    [briefing] = [c for c in desk.fake.calls_to("chat.postMessage") if c.args["channel"] == "U0BOB"]
    start_there = booked.booked_start.astimezone(ZoneInfo("America/Los_Angeles"))
    assert f"{start_there:%H:%M}" in str(briefing.blocks) and "America/Los_Angeles" in str(briefing.blocks)

    await asyncio.to_thread(desk.front.notifier().notify, desk.rita().user_id, "Jane is on her way",
                            meeting_id=booked.id)
    to_rita = [c.args["text"] for c in desk.fake.calls_to("chat.postMessage") if c.args["channel"] == "U0RITA"]
    assert len([t for t in to_rita if "couldn't find" in t]) == 1  # told once


async def test_slack_refusing_a_notice_is_raised_for_the_job_to_record(desk: Desk) -> None:
    await desk.send(desk.slack.direct_message("U0RITA", "help"))  # Rita becomes known to hirebot
    await desk.fake.wait_for("chat.postMessage")
    notifier, rita = desk.front.notifier(), desk.rita()
    desk.fake.fail("chat.postMessage", "user_not_found")
    with pytest.raises(ChatDeliveryError) as gone:
        await asyncio.to_thread(notifier.notify, rita.user_id, "Hello", meeting_id=1)
    assert gone.value.retryable is False and "user_not_found" in str(gone.value)
    desk.fake.fail("chat.postMessage", "internal_error", status=500)
    with pytest.raises(ChatDeliveryError) as flaky:
        await asyncio.to_thread(notifier.notify, rita.user_id, "Hello", meeting_id=1)
    assert flaky.value.retryable is True


async def test_notify_refuses_to_block_the_event_loop_and_waits_for_a_started_front_end(desk: Desk) -> None:
    notifier = desk.front.notifier()
    with pytest.raises(RuntimeError):
        notifier.notify(1, "Hello", meeting_id=1)  # on the loop itself: would deadlock
    idle = NotifierBridge(desk.sessions, desk.front.direct_messages(), lambda: None)
    with pytest.raises(ChatDeliveryError) as early:
        await asyncio.to_thread(idle.notify, 1, "Hello", meeting_id=1)
    assert early.value.retryable is True


async def test_a_slack_that_does_not_answer_times_out_as_retryable(desk: Desk) -> None:
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": True})

    silent_app = web.Application()
    silent_app.router.add_post("/api/{method}", hang)
    server = TestServer(silent_app, host="127.0.0.1")
    await server.start_server()
    client = AsyncWebClient(token=BOT_TOKEN, base_url=str(server.make_url("/api/")))
    await desk.send(desk.slack.direct_message("U0RITA", "help"))
    await desk.fake.wait_for("chat.postMessage")
    loop = asyncio.get_running_loop()
    notifier = NotifierBridge(desk.sessions, SlackDirectMessages(client, BotTokens(client, token=BOT_TOKEN),
                                                                 multi_workspace=False), lambda: loop, timeout=0.2)
    try:
        with pytest.raises(ChatDeliveryError) as late:
            await asyncio.to_thread(notifier.notify, desk.rita().user_id, "Hello", meeting_id=1)
        assert late.value.retryable is True and "didn't answer" in str(late.value)
    finally:
        release.set()
        await server.close()


async def test_in_oauth_mode_a_notice_uses_that_workspaces_installation(tmp_path: Path, sqlite_engine: Engine,
                                                                         fake: FakeSlackApi) -> None:
    sessions = session_factory(sqlite_engine)
    settings = make_settings(tmp_path, fake, slack_bot_token=None, slack_client_id="111.222",
                             slack_client_secret="client-secret")
    directory = Directory(sessions)
    app = build_slack_app(settings, sessions, Assistant(sessions), directory, ConnectionService(sessions, f.BOX),
                          secret_box=f.BOX, engine=sqlite_engine)
    mode = slack_mode(settings)
    assert mode is not None and mode.multi_workspace
    front = SlackFrontEnd(app, mode, settings)
    await front.start()
    try:
        DatabaseInstallationStore("111.222", sqlite_engine, f.BOX).save_bot(Bot(
            app_id="A0HIREBOT", team_id=fake.team_id, bot_token="xoxb-installed-here", bot_id="B0HIREBOT",
            bot_user_id="U0HIREBOT", bot_scopes="chat:write", installed_at=NOW.timestamp()))
        here = directory.workspace_for("slack", fake.team_id, "Sandbox")
        rita = directory.person_for(here.id, email="rita@acme.test", chat_user_id="U0RITA")
        elsewhere = directory.workspace_for("slack", "T0GONE", "Uninstalled")
        gone = directory.person_for(elsewhere.id, email="rita@acme.test", chat_user_id="U0RITA")
        notifier = front.notifier()

        await asyncio.to_thread(notifier.notify, rita.user_id, "Jane booked", meeting_id=404)
        [post] = fake.calls_to("chat.postMessage")
        assert post.token == "xoxb-installed-here" and post.args["channel"] == "U0RITA"
        with pytest.raises(ChatDeliveryError) as uninstalled:
            await asyncio.to_thread(notifier.notify, gone.user_id, "Jane booked", meeting_id=404)
        assert uninstalled.value.retryable is False and "no longer installed" in str(uninstalled.value)
    finally:
        await front.close()


async def test_a_briefing_reply_is_delivered_as_a_dm_with_its_card(desk: Desk) -> None:
    from bot.replies import Card, Field, Link, Reply

    booked = await request_and_book(desk)
    rita = desk.rita()
    briefing = Reply(text="In 15 minutes: interview with <!channel> Jane", intent="briefing", private=True,
                     cards=(Card(title="Interview: Jane Doe", fields=(Field("When", "Tue 8 Dec, 15:00"),),
                                 links=(Link("Resume", "https://files.example/r.pdf"),), kind="meeting"),),
                     extra={"meeting_id": booked.id})
    sender = desk.front.notifier()
    await asyncio.to_thread(sender.send, rita.user_id, briefing)
    post = desk.fake.calls_to("chat.postMessage")[-1]
    assert post.args["channel"] == "U0RITA"
    rendered = str(post.blocks)
    assert "Interview: Jane Doe" in rendered and "https://files.example/r.pdf" in rendered
    assert "<!channel>" not in rendered
    validate(post.blocks)
