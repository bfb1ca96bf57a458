"""The Greenhouse write path and webhooks, against the Harvest v3 sandbox over real loopback HTTP.

Writes are checked on the wire (body and headers the sandbox recorded) and in the sandbox's state;
webhooks are checked by a small aiohttp receiver that verifies each delivery with our own check.
"""

from __future__ import annotations

import base64
import json
import random
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from adapters.base import Capability, ConnectionConfig
from adapters.errors import AtsError, AuthError, ConfigError
from adapters.greenhouse import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    GreenhouseAdapter,
    parse_webhook,
    verify_webhook_signature,
)
from adapters.http import RetryPolicy
from adapters.models import AttachmentType, Candidate, ContactValue, Note, ScheduledInterview
from adapters.sandbox.greenhouse import (
    ALL_SCOPES,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    Chaos,
    GreenhouseSandbox,
    webhook_signature,
)
from adapters.sandbox.greenhouse_dataset import generate
from adapters.sandbox.greenhouse_state import GreenhouseState
from adapters.sandbox.server import BackgroundServer
from adapters.webhooks import WebhookTrigger

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SECRET = "whsec-test-5f1c"


class FakeTime:
    """One clock for the sandbox and the adapter; it moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = NOW.timestamp()
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Rig:
    sandbox: GreenhouseSandbox
    client: httpx.AsyncClient
    url: str
    time: FakeTime
    webhook_sleeps: list[float] = field(default_factory=list)

    @property
    def state(self) -> GreenhouseState:
        return self.sandbox.state

    def adapter(self, **settings: Any) -> GreenhouseAdapter:
        settings.setdefault("user_id", self.admin)
        credentials = {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}
        config = ConnectionConfig(base_url=self.url, credentials=credentials,
                                  settings={"auth_url": f"{self.url}/token", **settings})
        return GreenhouseAdapter(config, self.client, sleep=self.time.sleep, clock=self.time.clock,
                                 rng=random.Random(3), policy=RetryPolicy(max_attempts=4, max_delay=4.0))

    @property
    def admin(self) -> int:
        return next(uid for uid, u in self.state.users.items()
                    if u["site_admin"] and u["primary_email"] and not u["deactivated"])

    def user(self, *, admin: bool = False, skip: int = 0) -> int:
        people = [uid for uid, u in self.state.users.items()
                  if u["site_admin"] is admin and u["primary_email"] and not u["deactivated"]]
        return people[skip]

    def calls(self, method: str, path: str) -> list[Any]:
        return [r for r in self.sandbox.requests if r.method == method and r.path == path]


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    time = FakeTime()
    webhook_sleeps: list[float] = []

    async def no_wait(seconds: float) -> None:
        return None

    async def record_wait(seconds: float) -> None:
        webhook_sleeps.append(seconds)

    sandbox = GreenhouseSandbox(generate(seed=7, candidates=120, now=NOW), clock=time.clock,
                                rate_limit=10_000, chaos=Chaos(sleep=no_wait),
                                webhook_retry_delays=(60.0, 900.0, 3600.0), webhook_sleep=record_wait)
    server = TestServer(sandbox.app, host="127.0.0.1")
    await server.start_server()
    async with httpx.AsyncClient() as client:
        yield Rig(sandbox, client, str(server.make_url("")).rstrip("/"), time, webhook_sleeps)
    await sandbox.drain_webhooks()
    await server.close()


def token_sub(request: Any) -> str:
    token = request.headers["Authorization"].removeprefix("Bearer ")
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def active_application(state: GreenhouseState, *, schedulable: bool = True) -> dict:
    """An active application whose current stage has (or lacks) an interview step that can be scheduled."""
    for app in state.applications.values():
        if app["status"] != "in_process" or not app["stage_id"]:
            continue
        steps = [s for s in state.job_interviews.values() if s["job_interview_stage_id"] == app["stage_id"]]
        if any(s["schedulable"] for s in steps) is schedulable:
            return app
    raise AssertionError("no such application")


def meeting(app: dict, *people: str, event: str = "hirebot-mtg-1") -> ScheduledInterview:
    return ScheduledInterview(application_remote_id=str(app["id"]), start=NOW + timedelta(days=2),
                              end=NOW + timedelta(days=2, minutes=45), interviewer_ids=people,
                              location="Zoom", video_url="https://zoom.us/j/42", external_event_id=event)


# ----- notes ------------------------------------------------------------------------------------------------


async def test_a_note_is_posted_as_the_acting_user_and_reads_back(rig: Rig) -> None:
    app = active_application(rig.state)
    adapter = rig.adapter()
    note = await adapter.create_note(Note(candidate_remote_id=str(app["candidate_id"]),
                                          application_remote_id=str(app["id"]),
                                          body="Interview booked for Tue <10:00> & confirmed [hirebot:e1]"))
    [call] = rig.calls("POST", "/v3/notes")
    assert call.json == {"candidate_id": app["candidate_id"], "application_id": app["id"],
                         "user_id": rig.admin, "visibility": "public",
                         "body": "Interview booked for Tue <10:00> & confirmed [hirebot:e1]"}
    assert call.headers["Content-Type"] == "application/json"
    assert token_sub(call) == str(rig.admin)
    stored = rig.state.notes[int(note.remote_id or 0)]
    assert stored["visibility"] == "publicly_visible" and stored["user_id"] == rig.admin
    assert note.body == stored["body"] and note.author_remote_id == str(rig.admin)
    assert note.application_remote_id == str(app["id"]) and note.created_at is not None
    assert adapter.supports(Capability.WRITE_NOTES)


async def test_each_acting_user_gets_a_token_of_their_own_once(rig: Rig) -> None:
    candidate_id = str(next(iter(rig.state.candidates)))
    manager, other = rig.user(), rig.user(skip=1)
    adapter = rig.adapter()
    for author in (manager, manager, other, None):
        await adapter.create_note(Note(candidate_id, f"by {author}"),
                                  acting_user_id=str(author) if author else None)
    subs = [call.form["sub"] for call in rig.calls("POST", "/token")]
    assert subs == [str(manager), str(other), str(rig.admin)]  # one per user, then reused
    posts = rig.calls("POST", "/v3/notes")
    assert [token_sub(call) for call in posts] == [str(manager), str(manager), str(other), str(rig.admin)]
    assert [call.json["user_id"] for call in posts] == [manager, manager, other, rig.admin]


async def test_an_unknown_acting_user_is_explained(rig: Rig) -> None:
    with pytest.raises(AuthError, match="would not let hirebot act as user 999"):
        candidate_id = str(next(iter(rig.state.candidates)))
        await rig.adapter().create_note(Note(candidate_id, "x"), acting_user_id="999")
    assert rig.calls("POST", "/v3/notes") == []


async def test_note_visibility_is_a_connection_setting(rig: Rig) -> None:
    candidate_id = next(iter(rig.state.candidates))
    note = await rig.adapter(note_visibility="private").create_note(Note(str(candidate_id), "quiet"))
    assert rig.state.notes[int(note.remote_id or 0)]["visibility"] == "privately_visible"
    with pytest.raises(ConfigError, match="public, private, admin_only"):
        rig.adapter(note_visibility="everyone")


async def test_find_note_by_marker(rig: Rig) -> None:
    candidate_id = str(next(iter(rig.state.candidates)))
    adapter = rig.adapter()
    posted = await adapter.create_note(Note(candidate_id, "Reminder sent. [hirebot:evt-42]"))
    await adapter.create_note(Note(candidate_id, "Something else. [hirebot:evt-43]"))
    found = await adapter.find_note(candidate_id, "[hirebot:evt-42]")
    assert found is not None and found.remote_id == posted.remote_id
    assert await adapter.find_note(candidate_id, "[hirebot:evt-99]") is None
    [listing, *_] = rig.calls("GET", "/v3/notes")
    assert listing.query["candidate_ids"] == candidate_id


async def test_a_post_is_not_sent_again_after_a_500(rig: Rig) -> None:
    candidate_id = next(iter(rig.state.candidates))
    before = len(rig.state.notes)
    rig.sandbox.chaos.fail_next(500, path="/v3/notes")
    with pytest.raises(AtsError) as caught:
        await rig.adapter().create_note(Note(str(candidate_id), "once"))
    assert not caught.value.retryable
    assert "may already have been applied" in str(caught.value)
    assert len(rig.calls("POST", "/v3/notes")) == 1
    assert len(rig.state.notes) == before


async def test_a_post_is_sent_again_after_a_429(rig: Rig) -> None:
    candidate_id = next(iter(rig.state.candidates))
    before = len(rig.state.notes)
    rig.sandbox.chaos.fail_next(429, path="/v3/notes", retry_after=3)
    await rig.adapter().create_note(Note(str(candidate_id), "after a pause"))
    assert [call.status for call in rig.calls("POST", "/v3/notes")] == [429, 201]
    assert 3.0 in rig.time.sleeps
    assert len(rig.state.notes) == before + 1


async def test_an_unreadable_answer_is_resolved_by_looking_the_note_up(rig: Rig) -> None:
    candidate_id = str(next(iter(rig.state.candidates)))
    before = len(rig.state.notes)
    rig.sandbox.chaos.malformed_next(path="/v3/notes")  # applied, but the answer is cut in half
    note = await rig.adapter().create_note(Note(candidate_id, "Booked. [hirebot:evt-7]"))
    assert len(rig.calls("POST", "/v3/notes")) == 1
    assert len(rig.state.notes) == before + 1
    assert note.remote_id == str(max(rig.state.notes))


# ----- interviews -------------------------------------------------------------------------------------------


async def test_an_interview_is_scheduled_under_the_current_stage(rig: Rig) -> None:
    app = active_application(rig.state)
    manager = rig.user()
    adapter = rig.adapter()
    step = await adapter.current_stage_interview(str(app["id"]))
    expected = min((s for s in rig.state.job_interviews.values()
                    if s["job_interview_stage_id"] == app["stage_id"] and s["schedulable"]),
                   key=lambda s: s["sort_order"])
    assert step is not None and step.remote_id == str(expected["id"])

    created = await adapter.create_interview(meeting(app, str(manager), "guest@example.com"),
                                             acting_user_id=str(manager))
    [call] = rig.calls("POST", "/v3/interviews")
    assert call.json == {
        "application_id": app["id"], "job_interview_id": expected["id"],
        "interviewers": [{"user_id": manager, "response_status": "accepted"},
                         {"email": "guest@example.com", "response_status": "needs_action"}],
        "starts_at": "2026-03-04T09:30:00Z", "ends_at": "2026-03-04T10:15:00Z",
        "external_event_id": "hirebot-mtg-1", "location": "Zoom",
        "video_conferencing_url": "https://zoom.us/j/42"}
    assert token_sub(call) == str(manager)
    row = rig.state.interviews[int(created.remote_id or 0)]
    assert row["organizer_id"] == manager and row["job_interview_id"] == expected["id"]
    assert created.interviewer_ids == (str(manager), "guest@example.com")
    assert created.start == NOW + timedelta(days=2) and created.interview_remote_id == str(expected["id"])

    listed = await adapter.list_interviews(str(app["id"]))
    mine = next(i for i in listed if i.remote_id == created.remote_id)
    assert set(mine.interviewer_ids) == {str(manager), "guest@example.com"}
    by_filter = await adapter.find_interview_by_external_id("hirebot-mtg-1")
    by_application = await adapter.find_interview_by_external_id("hirebot-mtg-1",
                                                                 application_remote_id=str(app["id"]))
    assert by_filter is not None and by_application is not None
    assert by_filter.remote_id == by_application.remote_id == created.remote_id
    assert await adapter.find_interview_by_external_id("hirebot-mtg-404") is None


async def test_an_interview_is_moved_then_cancelled(rig: Rig) -> None:
    app = active_application(rig.state)
    adapter = rig.adapter()
    created = await adapter.create_interview(meeting(app))  # the organizer alone is the panel
    assert rig.calls("POST", "/v3/interviews")[0].json["interviewers"] == [
        {"user_id": rig.admin, "response_status": "accepted"}]
    later = ScheduledInterview(str(app["id"]), NOW + timedelta(days=3), NOW + timedelta(days=3, hours=1),
                               interviewer_ids=("hm@example.com",), location="Room 2",
                               external_event_id="hirebot-mtg-1")
    moved = await adapter.update_interview(str(created.remote_id), later)
    [patch] = rig.calls("PATCH", f"/v3/interviews/{created.remote_id}")
    assert patch.json == {"interviewers": [{"email": "hm@example.com", "response_status": "needs_action"}],
                          "starts_at": "2026-03-05T09:30:00Z", "ends_at": "2026-03-05T10:30:00Z",
                          "external_event_id": "hirebot-mtg-1", "location": "Room 2",
                          "video_conferencing_url": None}
    row = rig.state.interviews[int(created.remote_id or 0)]
    assert row["starts_at"] == "2026-03-05T09:30:00.000Z" and row["location"] == "Room 2"
    assert moved.start == NOW + timedelta(days=3) and moved.remote_id == created.remote_id

    await adapter.delete_interview(str(created.remote_id))
    assert int(created.remote_id or 0) not in rig.state.interviews
    await adapter.delete_interview(str(created.remote_id))  # already gone: a retry still succeeds
    assert [c.status for c in rig.calls("DELETE", f"/v3/interviews/{created.remote_id}")] == [204, 404]


async def test_an_interview_booked_in_greenhouse_is_not_ours_to_change(rig: Rig) -> None:
    booked = next(iter(rig.state.interviews.values()))  # generated: booked in Greenhouse's UI
    adapter = rig.adapter()
    change = ScheduledInterview(str(booked["application_id"]), NOW, NOW + timedelta(hours=1),
                                external_event_id="hirebot-x")
    with pytest.raises(AtsError) as caught:
        await adapter.update_interview(str(booked["id"]), change)
    assert str(caught.value).startswith(f"Greenhouse would not update interview {booked['id']} (422): ")
    assert "Only interviews created through Harvest can be changed or deleted" in str(caught.value)
    assert caught.value.status == 422 and not caught.value.retryable
    with pytest.raises(AtsError, match="would not delete interview"):
        await adapter.delete_interview(str(booked["id"]))
    assert booked["id"] in rig.state.interviews


async def test_a_stage_without_a_schedulable_interview_is_explained_before_writing(rig: Rig) -> None:
    app = active_application(rig.state, schedulable=False)
    adapter = rig.adapter()
    assert await adapter.current_stage_interview(str(app["id"])) is None
    with pytest.raises(AtsError, match="has no interview that can be scheduled"):
        await adapter.create_interview(meeting(app))
    assert rig.calls("POST", "/v3/interviews") == []
    with pytest.raises(AtsError, match="no application 1"):
        await adapter.current_stage_interview("1")


async def test_a_missing_write_scope_is_named() -> None:
    time = FakeTime()
    sandbox = GreenhouseSandbox(generate(seed=7, candidates=10, now=NOW), clock=time.clock, rate_limit=10_000,
                                scopes=ALL_SCOPES - {"harvest:interviews:create"})
    server = TestServer(sandbox.app, host="127.0.0.1")
    await server.start_server()
    try:
        async with httpx.AsyncClient() as client:
            rig = Rig(sandbox, client, str(server.make_url("")).rstrip("/"), time)
            app = active_application(sandbox.state)
            with pytest.raises(AuthError, match="harvest:interviews:create scope"):
                await rig.adapter().create_interview(meeting(app))
    finally:
        await server.close()


async def test_hiring_managers_come_with_their_emails(rig: Rig) -> None:
    job_id = next(j for j, job in rig.state.jobs.items() if job["status"] == "open")
    managers = await rig.adapter().hiring_managers(str(job_id))
    expected = [r["user_id"] for r in rig.state.job_hiring_managers.values() if r["job_id"] == job_id]
    assert expected and sorted(m.remote_id for m in managers) == sorted(str(uid) for uid in expected)
    for manager in managers:
        assert manager.email == rig.state.users[int(manager.remote_id)]["primary_email"]
        assert set(manager.emails) == set(rig.state.users[int(manager.remote_id)]["emails"])


# ----- candidates -------------------------------------------------------------------------------------------

RESUME = b"%PDF-1.4\n% Ada Lovelace, Analyst \xe2\x80\x94 notes on the Engine\n%%EOF\n"


def ada() -> Candidate:
    return Candidate(remote_id="", first_name="Ada", last_name="Lovelace", company="Analytical Engines",
                     emails=(ContactValue("ada@example.com", "personal"),),
                     phones=(ContactValue("+44 20 7946 0000", "mobile"),),
                     links=(ContactValue("https://www.linkedin.com/in/ada-lovelace"),
                            ContactValue("https://ada.dev")),
                     tags=("Python",))


async def test_a_new_candidate_arrives_with_tags_linkedin_and_resume_then_syncs(rig: Rig) -> None:
    job_id = next(j for j, job in rig.state.jobs.items() if job["status"] == "open")
    recruiter = rig.user()
    adapter = rig.adapter()
    created = await adapter.create_candidate(ada(), job_remote_id=str(job_id), source="Slack",
                                             resume=("Ada Lovelace CV.pdf", RESUME, "application/pdf"),
                                             acting_user_id=str(recruiter))
    [call] = rig.calls("POST", "/v3/candidates")
    assert token_sub(call) == str(recruiter)
    assert call.json == {
        "first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Engines",
        "email_addresses": [{"value": "ada@example.com", "type": "personal"}],
        "phone_numbers": [{"value": "+44 20 7946 0000", "type": "mobile"}],
        "social_media_addresses": [{"value": "https://www.linkedin.com/in/ada-lovelace"}],
        "website_addresses": [{"value": "https://ada.dev", "type": "personal"}],
        "tags": ["Python", "Slack", "hirebot"],
        "application": {"job_id": job_id, "attachments": [{
            "filename": "Ada Lovelace CV.pdf", "type": "resume", "content": base64.b64encode(RESUME).decode(),
            "content_type": "application/pdf"}]}}
    row = rig.state.candidates[int(created.remote_id)]
    assert row["tags"] == ["Python", "Slack", "hirebot"]
    assert created.tags == ("Python", "Slack", "hirebot")
    assert created.linkedin_url == "https://www.linkedin.com/in/ada-lovelace"

    since = NOW - timedelta(seconds=1)
    batches = [batch async for batch in adapter.candidate_batches(updated_since=since)]
    synced = next(c for b in batches for c in b.candidates if c.remote_id == created.remote_id)
    assert synced.first_name == "Ada" and synced.linkedin_url == created.linkedin_url
    applications = [a for b in batches for a in b.applications if a.candidate_remote_id == created.remote_id]
    assert [a.job_remote_id for a in applications] == [str(job_id)]
    [resume] = [a for b in batches for a in b.attachments if a.candidate_remote_id == created.remote_id]
    assert resume.type is AttachmentType.RESUME and resume.filename == "Ada Lovelace CV.pdf"
    download = await rig.client.get(resume.url)
    assert download.content == RESUME and download.headers["Content-Type"].startswith("application/pdf")
    assert adapter.supports(Capability.CREATE_CANDIDATES)


async def test_a_candidate_still_being_built_is_read_back_until_listed(rig: Rig) -> None:
    rig.sandbox.candidate_build_reads = 2
    created = await rig.adapter().create_candidate(ada(), source=7)
    assert created.first_name == "Ada" and created.remote_id.isdigit()
    assert rig.time.sleeps == [1.0, 2.0, 4.0]
    reads = [c for c in rig.calls("GET", "/v3/candidates") if c.query.get("ids") == created.remote_id]
    assert len(reads) == 3  # hidden twice while being built, then listed
    body = rig.calls("POST", "/v3/candidates")[0].json
    assert body["application"] == {"prospect": True, "source_id": 7}
    assert body["tags"] == ["Python", "hirebot"]


async def test_candidate_options_are_checked(rig: Rig) -> None:
    adapter = rig.adapter()
    with pytest.raises(TypeError, match="job_id"):
        await adapter.create_candidate(ada(), job_id="1")
    with pytest.raises(ValueError, match="resume"):
        await adapter.create_candidate(ada(), resume=("cv.pdf", b""))
    assert rig.calls("POST", "/v3/candidates") == []


# ----- webhook checks ---------------------------------------------------------------------------------------

BODY = (b'{"action":"update_candidate","payload":{"candidate":{"id":42,'
        b'"title":"\\u003cb\\u003eCTO\\u003c/b\\u003e"}}}')


def test_a_good_signature_verifies() -> None:
    assert verify_webhook_signature(BODY, webhook_signature(SECRET, BODY), SECRET)
    upper = "SHA256 " + webhook_signature(SECRET, BODY).split(" ")[1].upper()
    assert verify_webhook_signature(BODY, upper, SECRET)


@pytest.mark.parametrize("header", [
    None, "", "sha256", "sha256 ", "sha1 " + "0" * 40, "sha256 " + "z" * 64, "sha256 " + "0" * 63,
    "sha256=" + "0" * 64, "sha256 " + "0" * 64,
])
def test_a_missing_or_malformed_signature_fails(header: str | None) -> None:
    assert not verify_webhook_signature(BODY, header, SECRET)


def test_a_tampered_body_or_another_secret_fails() -> None:
    header = webhook_signature(SECRET, BODY)
    assert not verify_webhook_signature(BODY.replace(b"42", b"43"), header, SECRET)
    re_encoded = json.dumps(json.loads(BODY), separators=(",", ":")).encode()  # "<" no longer escaped
    assert not verify_webhook_signature(re_encoded, header, SECRET)
    assert not verify_webhook_signature(BODY, header, "another-secret")
    assert not verify_webhook_signature(BODY, header, "")


def delivery(action: str, payload: dict[str, Any]) -> bytes:
    return json.dumps({"action": action, "payload": payload}).encode()


APPLICATION = {"application": {"id": 5, "status": "active", "candidate": {"id": 265772}, "jobs": [{"id": 3}]}}


@pytest.mark.parametrize(("action", "payload", "expected"), [
    *[(action, APPLICATION, WebhookTrigger("greenhouse", action, ("265772",)))
      for action in ("new_candidate_application", "new_prospect_application", "application_updated",
                     "candidate_stage_change", "hire_candidate", "unhire_candidate", "reject_candidate",
                     "unreject_candidate")],
    ("delete_application", {"application": {"id": 5, "candidate_id": 37031511, "job_id": 3}},
     WebhookTrigger("greenhouse", "delete_application", ("37031511",))),
    ("update_candidate", {"candidate": {"id": 15696179}}, WebhookTrigger("greenhouse", "update_candidate",
                                                                        ("15696179",))),
    ("delete_candidate", {"person": {"id": 37031511, "deleted_application_ids": [1, 2]}},
     WebhookTrigger("greenhouse", "delete_candidate", (), ("37031511",))),
    ("merge_candidate", {"person": {"id": 37031511, "new_candidate_id": 457456}},
     WebhookTrigger("greenhouse", "merge_candidate", ("457456",), ("37031511",))),
    ("merge_candidate", {"person": {"id": 37031511}, "new_candidate_id": "457456"},
     WebhookTrigger("greenhouse", "merge_candidate", ("457456",), ("37031511",))),
    ("candidate_anonymized", {"candidate_id": 37031511, "anonymized_fields": ["full_name"]},
     WebhookTrigger("greenhouse", "candidate_anonymized", ("37031511",))),
    *[(action, {"job": {"id": 3}}, WebhookTrigger("greenhouse", action, refresh_jobs=True))
      for action in ("job_created", "job_updated", "job_deleted", "job_approved",
                     "job_interview_stage_deleted", "job_post_updated")],
    ("interview_deleted", {"interview": {"id": 9}}, WebhookTrigger("greenhouse", "interview_deleted")),
    ("offer_created", {"id": 1, "application_id": 5}, WebhookTrigger("greenhouse", "offer_created")),
    ("scorecard_deleted", {"scorecard": {"id": 1}}, WebhookTrigger("greenhouse", "scorecard_deleted")),
    ("something_new", APPLICATION, WebhookTrigger("greenhouse", "something_new")),
    ("update_candidate", {"candidate": {"id": None}}, WebhookTrigger("greenhouse", "update_candidate")),
])
def test_each_action_family_becomes_its_trigger(action: str, payload: dict[str, Any],
                                                expected: WebhookTrigger) -> None:
    trigger = parse_webhook(delivery(action, payload))
    assert trigger == expected
    work = expected.candidate_ids or expected.deleted_candidate_ids or expected.refresh_jobs
    assert trigger.has_work is bool(work)


def test_odd_bodies() -> None:
    for broken in (b"", b"{", b"\xff\xfe", b"not json"):
        with pytest.raises(ValueError, match="not valid JSON"):
            parse_webhook(broken)
    for not_object in (b"[]", b'"ping"', b"7"):
        with pytest.raises(ValueError, match="not a JSON object"):
            parse_webhook(not_object)
    assert parse_webhook(b'{"payload": {}}') == WebhookTrigger("greenhouse", "")
    assert parse_webhook(b'{"action": "update_candidate", "payload": []}') == WebhookTrigger("greenhouse",
                                                                                         "update_candidate")


# ----- webhook delivery from the fake -----------------------------------------------------------------------


@dataclass
class Receiver:
    """A webhook endpoint: answers with the queued statuses (then 200) and keeps what it received."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[bytes, CIMultiDict[str]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.read(), CIMultiDict(request.headers)))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    def actions(self) -> list[str]:
        return [json.loads(body)["action"] for body, _ in self.received]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    endpoint = Receiver()
    app = web.Application()
    app.router.add_post("/webhooks/greenhouse/7", endpoint.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    endpoint.url = str(server.make_url("/webhooks/greenhouse/7"))
    yield endpoint
    await server.close()


async def test_the_fake_signs_exactly_the_bytes_it_sends(rig: Rig, receiver: Receiver) -> None:
    rig.sandbox.add_webhook(receiver.url, secret_key=SECRET)
    app = active_application(rig.state)
    rig.state.candidates[app["candidate_id"]]["title"] = "<b>R&D</b> lead"
    assert await rig.sandbox.emit_candidate_event("candidate_stage_change", app["candidate_id"],
                                                  application_id=app["id"]) == [200]
    [(body, headers)] = receiver.received
    assert b"\\u003cb\\u003eR\\u0026D\\u003c/b\\u003e" in body  # escaped the way Greenhouse escapes it
    assert verify_webhook_signature(body, headers[SIGNATURE_HEADER], SECRET)
    assert headers["Content-Type"] == "application/json" and headers["User-Agent"]
    assert headers[EVENT_ID_HEADER]
    trigger = parse_webhook(body)
    assert trigger.event == "candidate_stage_change" and trigger.candidate_ids == (str(app["candidate_id"]),)
    application = json.loads(body)["payload"]["application"]
    assert application["id"] == app["id"] and application["status"] == "active"
    assert application["current_stage"]["id"] == app["stage_id"]
    assert application["jobs"][0]["id"] == app["job_id"]
    assert application["candidate"]["url"] == f"https://app.greenhouse.io/people/{app['candidate_id']}"


async def test_a_failed_delivery_is_retried_with_the_same_event_id(rig: Rig, receiver: Receiver) -> None:
    rig.sandbox.add_webhook(receiver.url, secret_key=SECRET)
    receiver.statuses = [500, 503]
    candidate_id = next(iter(rig.state.candidates))
    assert await rig.sandbox.emit_candidate_event("update_candidate", candidate_id) == [200]
    assert len(receiver.received) == 3
    assert len({headers[EVENT_ID_HEADER] for _, headers in receiver.received}) == 1
    assert len({body for body, _ in receiver.received}) == 1
    assert rig.webhook_sleeps == [60.0, 900.0]
    assert [d.status for d in rig.sandbox.deliveries] == [500, 503, 200]

    receiver.statuses = [500] * 4
    assert await rig.sandbox.emit_candidate_event("update_candidate", candidate_id) == [500]
    assert len(receiver.received) == 3 + 4  # the first try and every retry on the schedule
    second = {headers[EVENT_ID_HEADER] for _, headers in receiver.received[3:]}
    assert len(second) == 1 and second.isdisjoint({receiver.received[0][1][EVENT_ID_HEADER]})


async def test_a_webhook_only_gets_the_events_it_asked_for(rig: Rig, receiver: Receiver) -> None:
    rig.sandbox.add_webhook(receiver.url, secret_key=SECRET, events={"delete_candidate"})
    candidate_id = next(iter(rig.state.candidates))
    assert await rig.sandbox.emit_candidate_event("update_candidate", candidate_id) == []
    assert await rig.sandbox.deliver("delete_candidate", {"person": {"id": candidate_id}}) == [200]
    assert receiver.actions() == ["delete_candidate"]


async def test_changes_through_helpers_and_writes_are_delivered_when_asked(rig: Rig,
                                                                         receiver: Receiver) -> None:
    rig.sandbox.add_webhook(receiver.url, secret_key=SECRET, auto_webhooks=True)
    app = active_application(rig.state)
    other_stage = next(s for s in rig.state.job_interview_stages.values()
                       if s["job_id"] == app["job_id"] and s["id"] != app["stage_id"])
    rig.state.move_application(app["id"], other_stage["id"])
    rig.state.set_application_status(app["id"], "rejected")
    job = next(j for j, row in rig.state.jobs.items() if row["status"] == "open")
    created = await rig.adapter().create_candidate(ada(), job_remote_id=str(job))
    await rig.sandbox.drain_webhooks()
    assert sorted(receiver.actions()) == ["candidate_stage_change", "new_candidate_application",
                                          "reject_candidate"]
    for body, headers in receiver.received:
        assert verify_webhook_signature(body, headers[SIGNATURE_HEADER], SECRET)
    triggers = {parse_webhook(body).event: parse_webhook(body) for body, _ in receiver.received}
    assert triggers["new_candidate_application"].candidate_ids == (created.remote_id,)
    assert triggers["reject_candidate"].candidate_ids == (str(app["candidate_id"]),)
    # The trigger is enough to re-read the new candidate through Harvest.
    batch = await rig.adapter().fetch_candidates(triggers["new_candidate_application"].candidate_ids)
    assert [c.first_name for c in batch.candidates] == ["Ada"]


async def test_deletes_merges_and_anonymizations_are_delivered(rig: Rig, receiver: Receiver) -> None:
    rig.sandbox.add_webhook(receiver.url, secret_key=SECRET, auto_webhooks=True,
                            events={"delete_candidate", "merge_candidate", "candidate_anonymized"})
    first, second, third, fourth = list(rig.state.candidates)[:4]
    doomed_apps = sorted(a for a, row in rig.state.applications.items() if row["candidate_id"] == first)
    rig.state.delete_candidate(first)
    rig.state.merge_candidates(second, into_id=third)
    rig.state.anonymize_candidate(fourth, ("full_name", "email_addresses"))
    rig.state.update_candidate(third, title="not asked for")
    await rig.sandbox.drain_webhooks()
    by_action = {json.loads(body)["action"]: json.loads(body)["payload"] for body, _ in receiver.received}
    assert set(by_action) == {"delete_candidate", "merge_candidate", "candidate_anonymized"}
    assert by_action["delete_candidate"]["person"]["id"] == first
    assert by_action["delete_candidate"]["person"]["deleted_application_ids"] == doomed_apps
    assert by_action["merge_candidate"]["person"]["new_candidate_id"] == third
    assert by_action["candidate_anonymized"] == {"candidate_id": fourth,
                                                 "anonymized_fields": ["full_name", "email_addresses"]}
    triggers = {t.event: t for t in (parse_webhook(body) for body, _ in receiver.received)}
    assert triggers["delete_candidate"].deleted_candidate_ids == (str(first),)
    assert triggers["merge_candidate"].candidate_ids == (str(third),)
    assert triggers["merge_candidate"].deleted_candidate_ids == (str(second),)
    assert triggers["candidate_anonymized"].candidate_ids == (str(fourth),)
    assert rig.state.candidates[fourth]["email_addresses"] == []


def test_a_server_in_a_background_thread_delivers_changes_made_elsewhere() -> None:
    """`hirebot demo` runs the fake in its own thread: a change made from another thread still arrives."""
    arrived = threading.Event()
    seen: list[bytes] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(await request.read())
        arrived.set()
        return web.Response(status=200)

    endpoint = web.Application()
    endpoint.router.add_post("/hook", handle)
    sandbox = GreenhouseSandbox(generate(seed=7, candidates=20, now=NOW))
    with BackgroundServer(endpoint) as receiving, BackgroundServer(sandbox.app) as serving:
        sandbox.add_webhook(f"{receiving.url}/hook", secret_key=SECRET, auto_webhooks=True)
        httpx.get(f"{serving.url}/v3/jobs")  # any request: the server is up and has its loop
        candidate_id = next(iter(sandbox.state.candidates))
        sandbox.state.update_candidate(candidate_id, title="Principal")
        assert arrived.wait(10), "the webhook did not arrive"
    assert parse_webhook(seen[0]).candidate_ids == (str(candidate_id),)
