"""Someone in no ATS yet, from Slack: a CV attached to "schedule with jane@example.com" is downloaded with the bot
token and shown on the proposal, "Change where to add them" lists the ATSs and jobs, and the Edit details form
asks where to add them and for their LinkedIn profile (docs/new_candidates.md).

Signed requests go to /slack/events over loopback; the fake Slack Web API hosts the attached files and records
every download with its token. The store is real SQLite with a Greenhouse connection (which can take new
candidates) and the scheduling stack is the real one: nothing reaches the ATS before the person books, so no ATS
server is needed here.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.models.views import View
from sqlalchemy import select

from bot.frontend.schedule_draft import ScheduleDraft
from bot.frontend.schedule_form import FormContext, ScheduleForm, edited_draft
from bot.scheduling_chat import INTAKE_SET
from bot.slack.blocks import PICK_PREFIX
from bot.slack.files import FileFetcher, SlackFile
from bot.slack.sandbox import FILE_DOWNLOAD_METHOD, FakeSlackApi, RecordedCall
from bot.slack.schedule_modal import LINKEDIN_BLOCK, TARGET_BLOCK
from store.db import transaction
from store.intake_models import CandidateIntake
from store.models import AtsConnection, Job
from tests.rigs.slack import BOT_TOKEN, NOW, Desk, button, buttons, inputs, validate

EMAIL = "jane.roe@example.com"
# As Slack delivers what Rita typed: addresses and links come wrapped in its markup.
ASK = f"schedule with <mailto:{EMAIL}|{EMAIL}>"
PDF = b"%PDF-1.4\n% Jane Roe's CV\n" + bytes(range(256)) * 40
LINKEDIN = "https://www.linkedin.com/in/jane-roe"
JOB = "Senior Backend Engineer"  # Jane Doe's job in the desk's store: the one open job


@pytest.fixture
def fake(slack_team: FakeSlackApi) -> FakeSlackApi:
    """The fake Slack team (tests/rigs/slack.py), by the name these tests use."""
    return slack_team


def fields_of(post: RecordedCall) -> dict[str, str]:
    """A proposal's card fields as Slack shows them: label -> mrkdwn value."""
    return fields_in(post.blocks)


def fields_in(blocks: list[dict[str, Any]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for block in blocks:
        for field in block.get("fields") or ():
            label, _, value = field["text"].partition("\n")
            found[label.strip("*")] = value
    return found


def intake_rows(desk: Desk) -> list[CandidateIntake]:
    with desk.sessions() as session:
        rows = list(session.scalars(select(CandidateIntake).order_by(CandidateIntake.id)))
        for row in rows:
            _ = row.resume  # deferred: load before the session closes
        return rows


def job_remote_id(desk: Desk) -> str:
    with desk.sessions() as session:
        remote_id = session.scalar(select(Job.remote_id).where(Job.name == JOB))
    assert remote_id is not None
    return remote_id


async def click(desk: Desk, element: dict[str, Any], key: str) -> RecordedCall:
    """Click a button (or pick from a select) on an ephemeral-free DM message; the answer comes by response_url."""
    answered = len(desk.fake.calls_to("response_url"))
    await desk.send(desk.slack.block_action("U0RITA", element, channel="D0DIRECT",
                                            response_url=desk.fake.response_url(key)))
    return (await desk.fake.wait_for("response_url", count=answered + 1))[-1]


# ------------------------------------------------------------------------------------ files in chat


async def test_a_cv_attached_to_a_dm_is_downloaded_with_the_bot_token_and_shown_on_the_proposal(desk: Desk) -> None:
    cv = desk.fake.upload_file("Jane Roe CV.pdf", PDF, user="U0RITA")
    post = await desk.propose(ASK, files=[cv])

    [download] = desk.fake.calls_to(FILE_DOWNLOAD_METHOD)
    assert download.token == BOT_TOKEN and download.args["file"] == cv["id"]
    assert "/download/" in download.args["path"]
    shown = fields_of(post)
    assert shown["CV"] == "Jane Roe CV.pdf"
    assert shown["Adds to"] == "Greenhouse (no job: a prospect)"
    assert [b["text"]["text"] for b in buttons(post.blocks)] == [
        "Send the request", "Edit details", "Change where to add them", "Don't send"]
    validate(post.blocks)
    [row] = intake_rows(desk)
    assert (row.resume_name, row.resume_type, row.resume) == ("Jane Roe CV.pdf", "application/pdf", PDF)

    answer = await click(desk, {**button(post.blocks, "Send the request"), "type": "button"}, "send")
    assert "a meeting request at jane.roe@example.com" in answer.args["text"]
    [meeting] = desk.meetings()
    [row] = intake_rows(desk)
    assert row.state == "waiting" and row.meeting_id == meeting.id


async def test_a_file_slack_refuses_is_explained_and_the_proposal_still_comes(desk: Desk) -> None:
    cv = desk.fake.upload_file("cv.pdf", PDF, user="U0RITA")
    desk.fake.fail_download(status=403)
    await desk.send(desk.slack.direct_message("U0RITA", ASK, files=[cv]))
    note, proposal = await desk.fake.wait_for("chat.postMessage", count=2)

    assert note.args["text"] == ("I couldn't read the file you attached (cv.pdf: Slack refused to hand it over "
                                 "(HTTP 403); hirebot may be missing the files:read permission); the request will "
                                 "go without a CV.")
    assert "CV" not in fields_of(proposal) and fields_of(proposal)["Adds to"]
    assert "Send the request" in [b["text"]["text"] for b in buttons(proposal.blocks)]
    [row] = intake_rows(desk)
    assert row.resume is None


async def test_a_sign_in_page_instead_of_the_file_is_not_taken_for_a_cv(desk: Desk) -> None:
    cv = desk.fake.upload_file("cv.pdf", PDF, user="U0RITA")
    desk.fake.fail_download(status=200)  # what Slack serves a token it won't accept
    await desk.send(desk.slack.direct_message("U0RITA", ASK, files=[cv]))
    note, proposal = await desk.fake.wait_for("chat.postMessage", count=2)
    assert "sent its sign-in page instead of the file" in note.args["text"]
    assert "CV" not in fields_of(proposal)


async def test_file_names_are_escaped_on_the_proposal_and_in_notes(desk: Desk) -> None:
    hostile = "<!channel> Jane & <https://evil.example|CV>.pdf"
    cv = desk.fake.upload_file(hostile, PDF, user="U0RITA")
    broken = desk.fake.upload_file("<!here>.pdf", PDF, user="U0RITA")
    broken["url_private_download"] = broken["url_private"] = "https://evil.example/steal-the-token.pdf"
    await desk.send(desk.slack.direct_message("U0RITA", ASK, files=[cv, broken]))
    note, proposal = await desk.fake.wait_for("chat.postMessage", count=2)

    assert fields_of(proposal)["CV"] == "&lt;!channel&gt; Jane &amp; &lt;https://evil.example|CV&gt;.pdf"
    assert note.args["text"] == "I couldn't read the file you attached (&lt;!here&gt;.pdf: it isn't stored in Slack)."
    for post in (note, proposal):
        rendered = json.dumps(post.args)
        assert "<!channel>" not in rendered and "<!here>" not in rendered and "<https://evil" not in rendered
    # The token went only to the fake Slack's own file host, once.
    assert [c.args["file"] for c in desk.fake.calls_to(FILE_DOWNLOAD_METHOD)] == [cv["id"]]


async def test_files_over_ten_mb_are_not_downloaded_and_at_most_three_are_read(desk: Desk) -> None:
    huge = desk.fake.upload_file("huge.pdf", b"%PDF-1.4 small here", user="U0RITA")
    huge["size"] = 11 * 1024 * 1024  # what Slack says it is
    photos = [desk.fake.upload_file(f"photo{i}.png", b"\x89PNG", mimetype="image/png", user="U0RITA")
              for i in range(3)]
    await desk.send(desk.slack.direct_message("U0RITA", ASK, files=[huge, *photos]))
    note, proposal = await desk.fake.wait_for("chat.postMessage", count=2)

    assert [c.args["file"] for c in desk.fake.calls_to(FILE_DOWNLOAD_METHOD)] == [p["id"] for p in photos[:2]]
    assert note.args["text"] == ("I couldn't read some of the files you attached (photo2.png: I read at most 3 files "
                                 "from one message; huge.pdf: it is larger than 10 MB).")
    assert "CV" not in fields_of(proposal)


async def test_a_mention_with_a_cv_in_a_channel_answers_the_asker_only(desk: Desk) -> None:
    cv = desk.fake.upload_file("cv.docx", PDF, user="U0RITA",
                               mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    await desk.send(desk.slack.mention("U0RITA", ASK, files=[cv]))
    [proposal] = await desk.fake.wait_for("chat.postEphemeral")
    assert proposal.args["user"] == "U0RITA" and fields_of(proposal)["CV"] == "cv.docx"
    assert desk.fake.calls_to(FILE_DOWNLOAD_METHOD)[0].token == BOT_TOKEN


async def test_files_with_other_questions_are_not_downloaded_and_need_no_note(desk: Desk) -> None:
    cv = desk.fake.upload_file("cv.pdf", PDF, user="U0RITA")
    desk.fake.fail_download(status=403)
    await desk.send(desk.slack.direct_message("U0RITA", "who is Jane Doe", files=[cv]))
    [answer] = await desk.fake.wait_for("chat.postMessage")
    await desk.front.conversation.drain()
    assert "Jane Doe" in answer.args["text"] and len(desk.fake.calls_to("chat.postMessage")) == 1
    assert desk.fake.calls_to(FILE_DOWNLOAD_METHOD) == []


# ------------------------------------------------------------------------------------ the fake's file hosting


async def test_the_fake_serves_a_file_only_to_a_valid_bot_token(fake: FakeSlackApi) -> None:
    cv = fake.upload_file("cv.pdf", PDF)
    fake.revoked_tokens.add("xoxb-revoked")
    async with aiohttp.ClientSession() as http:
        async def status(url: str, token: str | None) -> tuple[int, bytes]:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with http.get(url, headers=headers, allow_redirects=False) as response:
                return response.status, await response.read()

        assert await status(cv["url_private_download"], BOT_TOKEN) == (200, PDF)
        assert (await status(cv["url_private"], BOT_TOKEN))[0] == 200
        for token in (None, "xoxb-revoked", "not-a-slack-token"):
            assert (await status(cv["url_private_download"], token))[0] == 403, token
        assert (await status(cv["url_private_download"].replace(cv["id"], "F0MISSING"), BOT_TOKEN))[0] == 404
    assert [c.token for c in fake.calls_to(FILE_DOWNLOAD_METHOD)][:2] == [BOT_TOKEN, BOT_TOKEN]


def test_the_token_goes_only_to_slacks_file_hosts_or_the_configured_fake() -> None:
    real = FileFetcher()
    assert real.trusted("https://files.slack.com/files-pri/T1-F1/download/cv.pdf")
    assert real.trusted("https://files.slack-gov.com/files-pri/T1-F1/download/cv.pdf")
    assert not real.trusted("http://files.slack.com/files-pri/T1-F1/download/cv.pdf")
    assert not real.trusted("https://files.slack.com.evil.example/cv.pdf")
    assert not real.trusted("http://127.0.0.1:3100/files-pri/T1-F1/download/cv.pdf")
    sandbox = FileFetcher("http://127.0.0.1:3100/api/")
    assert sandbox.trusted("http://127.0.0.1:3100/files-pri/T1-F1/download/cv.pdf")
    assert not sandbox.trusted("http://127.0.0.1:3101/files-pri/T1-F1/download/cv.pdf")


async def test_a_file_slack_sends_more_of_than_announced_is_cut_off() -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/pdf"})
        await response.prepare(request)
        for _ in range(20):
            await response.write(b"0" * 128 * 1024)
        return response

    app = web.Application()
    app.router.add_get("/files-pri/{key}/download/{name}", endless)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        base = str(server.make_url("/"))
        fetcher = FileFetcher(base + "api/", max_bytes=1024 * 1024)
        item = SlackFile(name="cv.pdf", mimetype="application/pdf", size=1024,
                         url=base + "files-pri/T1-F1/download/cv.pdf")
        read, problems = await fetcher.fetch_all([item], BOT_TOKEN, None)
    finally:
        await server.close()
    assert read == () and problems == ("cv.pdf: it is larger than 1 MB",)


# ------------------------------------------------------------------------------------ where to add them


async def test_change_where_to_add_them_lists_the_targets_and_a_pick_proposes_again(desk: Desk) -> None:
    post = await desk.propose(ASK, files=[desk.fake.upload_file("cv.pdf", PDF, user="U0RITA")])
    change = button(post.blocks, "Change where to add them")
    assert change["action_id"] == f"{PICK_PREFIX}intake_targets.1"

    targets = await click(desk, {**change, "type": "button"}, "targets")
    assert targets.args["replace_original"] is True
    assert "Where should I add jane.roe@example.com when they book?" in targets.args["text"]
    rows = [b for b in targets.args["blocks"] if b.get("accessory")]
    assert [r["text"]["text"] for r in rows] == [f"*Greenhouse \u00b7 {JOB}*", "*Greenhouse (no job: a prospect)*"]
    assert all(r["accessory"]["text"]["text"] == "Pick" for r in rows)
    validate(targets.args["blocks"])

    again = await click(desk, {**rows[0]["accessory"], "type": "button"}, "picked")
    assert again.args["replace_original"] is True
    shown = fields_in(again.args["blocks"])
    assert shown["Adds to"] == f"Greenhouse \u00b7 {JOB}" and shown["CV"] == "cv.pdf"
    [row] = intake_rows(desk)
    assert row.job_remote_id == job_remote_id(desk)


async def test_many_targets_come_as_a_select_menu_that_works_too(desk: Desk) -> None:
    with transaction(desk.sessions) as session:
        connection = session.scalars(select(AtsConnection)).one()
        session.add_all(Job(connection_id=connection.id, remote_id=f"J-extra-{i}", name=f"Extra role {i:02d}",
                            status="open", hiring_manager_remote_ids=[]) for i in range(10))
    post = await desk.propose(ASK)
    targets = await click(desk, {**button(post.blocks, "Change where to add them"), "type": "button"}, "targets")
    [menu] = [b for b in targets.args["blocks"] if b.get("block_id") == "choices"]
    select_menu = menu["accessory"]
    assert menu["text"]["text"] == "Pick where to add them:"
    assert select_menu["action_id"] == f"{PICK_PREFIX}{INTAKE_SET}.select"
    assert len(select_menu["options"]) == 12
    validate(targets.args["blocks"])

    chosen = next(o for o in select_menu["options"] if o["text"]["text"] == "Greenhouse \u00b7 Extra role 03")
    again = await click(desk, {"action_id": select_menu["action_id"], "block_id": "choices",
                               "type": "static_select", "selected_option": chosen}, "picked")
    assert fields_in(again.args["blocks"])["Adds to"] == "Greenhouse \u00b7 Extra role 03"
    [row] = intake_rows(desk)
    assert row.job_remote_id == "J-extra-3"


# ------------------------------------------------------------------------------------ the Edit details form


async def test_the_form_asks_where_to_add_them_and_sends_what_was_picked(desk: Desk) -> None:
    cv = desk.fake.upload_file("cv.pdf", PDF, user="U0RITA")
    post = await desk.propose(f"{ASK} <{LINKEDIN}|linkedin.com/in/jane-roe>", files=[cv])
    await desk.send(desk.slack.block_action("U0RITA", {**button(post.blocks, "Edit details"), "type": "button"},
                                            channel="D0DIRECT"))
    [opened] = await desk.fake.wait_for("views.open")
    view = dict(opened.args["view"])
    View(**view).validate_json()
    fields = inputs(view)
    add_to = fields[TARGET_BLOCK]
    [group] = add_to["option_groups"]
    assert group["label"]["text"] == "Greenhouse"
    assert [o["text"]["text"] for o in group["options"]] == [JOB, "No job (add as a prospect)"]
    assert add_to["initial_option"] == group["options"][1]  # the proposal's own choice
    assert fields[LINKEDIN_BLOCK]["type"] == "url_text_input"
    assert fields[LINKEDIN_BLOCK]["initial_value"] == LINKEDIN

    job = group["options"][0]["value"]
    await desk.submit(view, target=job, linkedin="https://www.linkedin.com/in/jane-roe-2", title="Intro call")
    await desk.fake.wait_for("views.update")
    [meeting] = desk.meetings()
    assert meeting.title == "Intro call"
    [row] = intake_rows(desk)
    assert row.meeting_id == meeting.id and row.state == "waiting"  # the draft kept "i": she will be added
    assert row.job_remote_id == job_remote_id(desk) and row.job_name == JOB
    assert row.linkedin_url == "https://www.linkedin.com/in/jane-roe-2" and row.resume == PDF


async def test_a_bad_linkedin_link_is_flagged_next_to_its_field(desk: Desk) -> None:
    view = await desk.open_modal(ASK)
    response = await desk.submit(view, linkedin="https://example.com/jane")
    assert await response.json() == {"response_action": "errors", "errors": {
        LINKEDIN_BLOCK: "That isn't a LinkedIn profile link; it looks like https://www.linkedin.com/in/\u2026"}}
    assert desk.meetings() == []


async def test_a_form_shown_again_after_a_problem_keeps_the_pick(desk: Desk) -> None:
    view = await desk.open_modal(ASK)
    job = inputs(view)[TARGET_BLOCK]["option_groups"][0]["options"][0]
    await desk.submit(view, target=job["value"], people=("U0SHY",))  # Slack shares no email for Shy
    [update] = await desk.fake.wait_for("views.update")
    shown = update.args["view"]
    assert shown["blocks"][0]["block_id"] == "error"
    assert inputs(shown)[TARGET_BLOCK]["initial_option"] == job
    assert ScheduleDraft.from_dict(json.loads(shown["private_metadata"])["draft"]).target == job["value"]
    assert desk.meetings() == []


async def test_edit_details_after_the_request_went_out_says_so(desk: Desk) -> None:
    post = await desk.propose(ASK)
    await click(desk, {**button(post.blocks, "Send the request"), "type": "button"}, "send")
    await desk.send(desk.slack.block_action("U0RITA", {**button(post.blocks, "Edit details"), "type": "button"},
                                            channel="D0DIRECT"))
    [opened] = await desk.fake.wait_for("views.open")
    assert "already sent or has expired" in json.dumps(opened.args["view"])


def test_a_draft_keeps_who_to_add_where_and_their_linkedin_through_the_form() -> None:
    draft = ScheduleDraft(window_start=NOW, window_end=NOW.replace(day=30), email=EMAIL, title="Interview",
                          duration=30, intake_id=41)
    assert ScheduleDraft.from_json(draft.to_json()) == draft
    assert json.loads(draft.to_json())["intake_id"] == 41 and "target" not in json.loads(draft.to_json())
    context = FormContext(draft, "Europe/Berlin")
    form = ScheduleForm(title="Interview", duration=45, first_day=NOW.date().replace(day=24),
                        last_day=NOW.date().replace(day=30))
    kept = edited_draft(context, form, ())  # a form drawn without the ATS fields
    assert (kept.intake_id, kept.target, kept.linkedin_url) == (41, None, None)
    picked = edited_draft(context, ScheduleForm(**{**form.__dict__, "target": "3:J9", "linkedin": ""}), ())
    assert json.loads(picked.to_json())["intake_id"] == 41
    assert (picked.target, picked.linkedin_url) == ("3:J9", "")  # "" removes the LinkedIn profile
    assert ScheduleDraft.from_json(picked.to_json()) == picked
    assert isinstance(picked.window_start, datetime)
