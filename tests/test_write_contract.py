"""One write contract every ATS adapter passes, run against each provider's fake over real loopback HTTP and
checked in the fake's own state.

The provider table lives in tests/write_fixtures.py (with the read table in tests/provider_fixtures.py);
a new provider proves itself by adding one entry there. Cases: a note is written and found again by its
marker; an interview (Lever: a panel) is created, found by its external id, moved and cancelled; a
candidate arrives with the source tag, the CV and the LinkedIn link; a 429 is waited out as Retry-After
says; a 5xx to a write is not blindly repeated, and the outbox's look-then-write lands it once; a 5xx to an
idempotent write is retried in place; a write whose answer is lost past the client timeout is found by
the outbox's lookup, with no duplicate; and a write the adapter lacks raises a clear `NotSupported`
without sending anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from adapters.base import AtsAdapter, Capability, ConnectionConfig
from adapters.errors import AtsError, NotSupported
from adapters.models import Candidate, ContactValue, Note, ScheduledInterview
from tests.provider_fixtures import RETRY, START, Fake, running
from tests.waiting import eventually
from tests.write_fixtures import WRITERS, Subject, Writer

EXTERNAL_ID = "contract-meeting-1@hirebot"
EMAIL = "siobhan.contract@example.ie"
LINKEDIN = "https://www.linkedin.com/in/siobhan-ni-bhriain"
CV = b"%PDF-1.4\n% Siobh\xc3\xa1n N\xc3\xad Bhriain, staff engineer\n%%EOF\n"
SOURCE_TAG = "hirebot"
# How long an adapter waits for an answer in the lost-answer cases: a real client timeout, as the outbox has.
ANSWER_TIMEOUT = 0.5


@dataclass
class Rig:
    """A provider's running fake, its write table entry and the candidate the writes are about."""

    fake: Fake
    writer: Writer
    subject: Subject

    @property
    def sandbox(self) -> Any:
        return self.fake.sandbox

    def adapter(self) -> AtsAdapter:
        return self.fake.adapter()

    def writes(self, path: str) -> list[int]:
        """Statuses of the answers to writes (anything but GET) on `path`, as the adapter's client saw them."""
        full = self.fake.provider.api_prefix + path
        return [seen.status for seen in self.fake.seen if seen.path == full and seen.method != "GET"]


@pytest.fixture(params=list(WRITERS))
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    writer = WRITERS[request.param]
    async with running(writer.provider) as fake:
        yield Rig(fake, writer, writer.subject(fake.sandbox))


# --- the three writes the outbox makes, each with the lookup it runs when unsure --------------------------


@dataclass(frozen=True)
class Write:
    """One kind of write as the outbox makes it: the call, the lookup that settles an unsure one, where it
    goes on the wire, and how many copies of it the fake holds."""

    kind: str
    capability: Capability
    path: Callable[[Rig], str]
    make: Callable[[Rig, AtsAdapter], Awaitable[str | None]]  # the remote id the adapter answers with
    find: Callable[[Rig, AtsAdapter], Awaitable[str | None]]  # the remote id the lookup finds, or None
    copies: Callable[[Rig], int]


MARKER = "[hirebot:evt-contract-7]"
NOTE_BODY = f"hirebot: Phone screen booked for Tuesday.\n\n{MARKER}"


def planned(subject: Subject, *, days: int = 2) -> ScheduledInterview:
    start = START + timedelta(days=days)
    return ScheduledInterview(application_remote_id=subject.application, start=start,
                              end=start + timedelta(minutes=45), interviewer_ids=(subject.interviewer,),
                              location="Room 4", external_event_id=EXTERNAL_ID)


def interview_options(subject: Subject) -> dict[str, Any]:
    """The options the outbox passes with every interview write."""
    return {"acting_user_id": subject.actor, "subject": "Tech screen", "candidate_remote_id": subject.candidate}


def newcomer() -> Candidate:
    return Candidate(remote_id="", first_name="Siobhán", last_name="Ní Bhriain",
                     emails=(ContactValue(EMAIL, "personal"),), links=(ContactValue(LINKEDIN, "linkedin"),))


async def make_note(rig: Rig, adapter: AtsAdapter) -> str | None:
    note = Note(candidate_remote_id=rig.subject.candidate, body=NOTE_BODY,
                application_remote_id=rig.subject.application)
    return (await adapter.create_note(note, acting_user_id=rig.subject.actor)).remote_id


async def find_note(rig: Rig, adapter: AtsAdapter) -> str | None:
    found = await adapter.find_note(rig.subject.candidate, MARKER)
    return found.remote_id if found else None


async def make_interview(rig: Rig, adapter: AtsAdapter) -> str | None:
    return (await adapter.create_interview(planned(rig.subject), **interview_options(rig.subject))).remote_id


async def find_interview(rig: Rig, adapter: AtsAdapter) -> str | None:
    found = await adapter.find_interview_by_external_id(EXTERNAL_ID, application_remote_id=rig.subject.application,
                                                        candidate_remote_id=rig.subject.candidate)
    return found.remote_id if found else None


async def make_candidate(rig: Rig, adapter: AtsAdapter) -> str | None:
    created = await adapter.create_candidate(newcomer(), job_remote_id=None, source_tag=SOURCE_TAG,
                                             resume=("Siobhan CV.pdf", CV, "application/pdf"),
                                             acting_user_id=rig.subject.actor)
    return created.remote_id


async def find_candidate(rig: Rig, adapter: AtsAdapter) -> str | None:
    found = await adapter.find_candidate_by_email(EMAIL)
    return found.remote_id if found else None


NOTE = Write("note", Capability.WRITE_NOTES, lambda rig: rig.writer.note_path(rig.subject), make_note, find_note,
             lambda rig: len(rig.writer.notes_with(rig.sandbox, rig.subject, MARKER)))
INTERVIEW = Write("interview", Capability.WRITE_INTERVIEWS, lambda rig: rig.writer.interview_path(rig.subject),
                  make_interview, find_interview,
                  lambda rig: rig.writer.interviews_for(rig.sandbox, rig.subject, EXTERNAL_ID))
CANDIDATE = Write("candidate", Capability.CREATE_CANDIDATES, lambda rig: rig.writer.candidate_path,
                  make_candidate, find_candidate, lambda rig: rig.writer.people_with_email(rig.sandbox, EMAIL))
WRITES = [pytest.param(write, id=write.kind) for write in (NOTE, INTERVIEW, CANDIDATE)]


def aim(rig: Rig, write: Write) -> str:
    """The write's path, with the adapter's own earlier requests to that path let through untouched.

    Faults fire in the order they were queued, so a zero-second delay lets each such request pass.
    """
    path = write.path(rig)
    before = rig.writer.lookups_before.get(write.kind, 0)
    if before:
        rig.sandbox.chaos.delay_next(0, path=path, times=before)
    return path


def require(rig: Rig, adapter: AtsAdapter, write: Write) -> None:
    if write.capability not in adapter.capabilities:
        pytest.skip(f"{rig.writer.name} cannot {write.kind}: test_missing_writes_raise_not_supported covers it")


# --- each write, as it lands in the fake ----------------------------------------------------------------


async def test_a_note_is_written_and_found_again_by_its_marker(rig: Rig) -> None:
    adapter = rig.adapter()
    require(rig, adapter, NOTE)
    remote_id = await make_note(rig, adapter)

    assert remote_id
    assert rig.writer.notes_with(rig.sandbox, rig.subject, MARKER) == [NOTE_BODY]
    found = await adapter.find_note(rig.subject.candidate, MARKER)
    assert found is not None and found.remote_id == remote_id
    assert MARKER in found.body and found.candidate_remote_id == rig.subject.candidate
    assert await adapter.find_note(rig.subject.candidate, "[hirebot:evt-contract-8]") is None


async def test_an_interview_is_created_found_moved_and_cancelled(rig: Rig) -> None:
    adapter = rig.adapter()
    require(rig, adapter, INTERVIEW)
    first = planned(rig.subject)
    options = interview_options(rig.subject)
    assert await find_interview(rig, adapter) is None
    created = await adapter.create_interview(first, **options)

    remote_id = created.remote_id
    assert remote_id and created.start == first.start and created.end == first.end
    assert rig.writer.interview_start(rig.sandbox, remote_id) == first.start
    assert await find_interview(rig, adapter) == remote_id

    moved = replace(first, start=first.start + timedelta(days=1), end=first.end + timedelta(days=1))
    updated = await adapter.update_interview(remote_id, moved, **options)
    assert updated.remote_id == remote_id and updated.start == moved.start
    assert rig.writer.interview_start(rig.sandbox, remote_id) == moved.start
    assert await find_interview(rig, adapter) == remote_id  # moving keeps it findable
    assert INTERVIEW.copies(rig) == 1

    await adapter.delete_interview(remote_id, acting_user_id=rig.subject.actor,
                                   candidate_remote_id=rig.subject.candidate)
    assert rig.writer.interview_start(rig.sandbox, remote_id) is None
    assert await find_interview(rig, adapter) is None
    await adapter.delete_interview(remote_id, acting_user_id=rig.subject.actor,  # already gone: still a success
                                   candidate_remote_id=rig.subject.candidate)


async def test_a_candidate_arrives_with_the_source_tag_the_cv_and_the_linkedin_link(rig: Rig) -> None:
    adapter = rig.adapter()
    require(rig, adapter, CANDIDATE)
    assert await find_candidate(rig, adapter) is None
    created = await adapter.create_candidate(newcomer(), job_remote_id=None, source_tag=SOURCE_TAG,
                                             resume=("Siobhan CV.pdf", CV, "application/pdf"),
                                             acting_user_id=rig.subject.actor)

    stored = rig.writer.person(rig.sandbox, created.remote_id)
    assert EMAIL in stored.emails
    assert SOURCE_TAG in stored.tags
    assert LINKEDIN in stored.links
    assert stored.resumes == (CV,)
    assert created.first_name == "Siobhán" and created.linkedin_url == LINKEDIN
    assert await find_candidate(rig, adapter) == created.remote_id
    assert rig.writer.people_with_email(rig.sandbox, EMAIL) == 1


# --- faults on the wire -----------------------------------------------------------------------------------


@pytest.mark.parametrize("write", WRITES)
async def test_a_429_is_waited_out_as_retry_after_says_then_the_write_lands_once(rig: Rig, write: Write) -> None:
    adapter = rig.adapter()
    require(rig, adapter, write)
    path = aim(rig, write)
    rig.sandbox.chaos.fail_next(429, path=path, retry_after=7)
    remote_id = await write.make(rig, adapter)

    assert remote_id
    statuses = rig.writes(path)
    assert statuses[0] == 429 and len(statuses) == 2 and 200 <= statuses[1] < 300
    assert 7.0 in rig.fake.clock.sleeps  # the server's own wait, on the injected clock
    assert write.copies(rig) == 1


@pytest.mark.parametrize("write", WRITES)
async def test_a_5xx_to_a_write_is_not_repeated_blindly_and_look_then_write_lands_it_once(
        rig: Rig, write: Write) -> None:
    adapter = rig.adapter()
    require(rig, adapter, write)
    path = aim(rig, write)
    rig.sandbox.chaos.fail_next(503, path=path)
    with pytest.raises(AtsError) as caught:
        await write.make(rig, adapter)

    assert caught.value.status == 503
    assert rig.writes(path) == [503]  # it may have been applied, so the adapter does not send it again
    assert write.copies(rig) == 0
    # The outbox's next attempt: look first (nothing there), then write.
    assert await write.find(rig, adapter) is None
    remote_id = await write.make(rig, adapter)
    assert remote_id and await write.find(rig, adapter) == remote_id
    assert write.copies(rig) == 1


async def test_a_5xx_to_an_idempotent_write_is_retried_in_place(rig: Rig) -> None:
    adapter = rig.adapter()
    require(rig, adapter, INTERVIEW)
    remote_id = await make_interview(rig, adapter)
    assert remote_id
    path = rig.writer.interview_item_path(rig.subject, remote_id)
    rig.sandbox.chaos.fail_next(503, times=2, path=path)
    await adapter.delete_interview(remote_id, acting_user_id=rig.subject.actor,
                                   candidate_remote_id=rig.subject.candidate)

    statuses = rig.writes(path)
    assert statuses[:2] == [503, 503] and len(statuses) == 3 and 200 <= statuses[2] < 300
    waits = [wait for wait in rig.fake.clock.sleeps if wait > 0]
    assert waits and max(waits) <= RETRY.max_delay
    assert rig.writer.interview_start(rig.sandbox, remote_id) is None


async def lose_the_answer(rig: Rig, write: Write) -> tuple[AtsAdapter, Exception]:
    """Make the write the way the outbox meets a lost answer: the ATS applies it, but its answer is held past
    the adapter's client timeout. Returns the adapter (already talking to the ATS) and what the write raised."""
    adapter = rig.adapter()
    assert await write.find(rig, adapter) is None  # the outbox's adapter has tokens and pacing under way
    release = asyncio.Event()

    async def hold(seconds: float) -> None:
        if seconds > 0:
            await release.wait()

    rig.sandbox.chaos.sleep = hold
    rig.fake.policy = replace(RETRY, timeout=ANSWER_TIMEOUT)
    rig.fake.client.timeout = httpx.Timeout(ANSWER_TIMEOUT)  # for requests sent without the policy's timeout
    adapter = rig.adapter()
    path = aim(rig, write)
    rig.writer.lose_answer(rig.sandbox, path)
    with pytest.raises(Exception) as caught:  # any failure: the outbox treats each as "maybe applied"
        await write.make(rig, adapter)
    release.set()  # the held request goes on: the ATS keeps the write whose answer never came
    await eventually(lambda: write.copies(rig) == 1)
    return adapter, caught.value


@pytest.mark.parametrize("write", WRITES)
async def test_a_write_whose_answer_is_lost_is_found_by_the_lookup_with_no_duplicate(rig: Rig, write: Write) -> None:
    require(rig, rig.adapter(), write)
    adapter, _ = await lose_the_answer(rig, write)

    found = await write.find(rig, adapter)
    assert found is not None
    assert write.copies(rig) == 1  # the lookup found it: the outbox will not write it again
    assert rig.writes(write.path(rig)) == []  # and nothing was written twice: the only write got no answer


@pytest.mark.parametrize("write", [pytest.param(NOTE, id="note"), pytest.param(INTERVIEW, id="interview"),
                                   pytest.param(CANDIDATE, id="candidate")])
async def test_a_lost_answer_is_reported_as_an_ats_error_not_to_be_repeated(
        rig: Rig, write: Write) -> None:
    require(rig, rig.adapter(), write)
    _, raised = await lose_the_answer(rig, write)

    assert isinstance(raised, AtsError), f"{type(raised).__name__} is not an AtsError"
    assert raised.status is None and not raised.retryable  # not to be sent again blindly


# --- what an adapter cannot do --------------------------------------------------------------------------

LOOKUPS_AND_WRITES: dict[str, tuple[Capability, Callable[[AtsAdapter, Subject], Awaitable[Any]]]] = {
    "create_note": (Capability.WRITE_NOTES, lambda a, s: a.create_note(Note(s.candidate, NOTE_BODY))),
    "find_note": (Capability.WRITE_NOTES, lambda a, s: a.find_note(s.candidate, MARKER)),
    "delete_note": (Capability.WRITE_NOTES, lambda a, s: a.delete_note(f"{s.candidate}:1", acting_user_id=s.actor)),
    "create_interview": (Capability.WRITE_INTERVIEWS,
                         lambda a, s: a.create_interview(planned(s), **interview_options(s))),
    "update_interview": (Capability.WRITE_INTERVIEWS,
                         lambda a, s: a.update_interview(f"{s.candidate}:1", planned(s), **interview_options(s))),
    "delete_interview": (Capability.WRITE_INTERVIEWS,
                         lambda a, s: a.delete_interview(f"{s.candidate}:1", acting_user_id=s.actor)),
    "find_interview_by_external_id": (Capability.WRITE_INTERVIEWS,
                                      lambda a, s: a.find_interview_by_external_id(EXTERNAL_ID)),
    "create_candidate": (Capability.CREATE_CANDIDATES,
                         lambda a, s: a.create_candidate(newcomer(), acting_user_id=s.actor)),
    "find_candidate_by_email": (Capability.CREATE_CANDIDATES, lambda a, s: a.find_candidate_by_email(EMAIL)),
}


def missing(writer: Writer, adapter: AtsAdapter) -> list[str]:
    """The writes and lookups the adapter lacks: those the table names, and all of a capability it lacks."""
    return [name for name, (capability, _) in LOOKUPS_AND_WRITES.items()
            if name in writer.unsupported or capability not in adapter.capabilities]


async def test_missing_writes_raise_not_supported_and_send_nothing(rig: Rig) -> None:
    adapter = rig.adapter()
    lacking = missing(rig.writer, adapter)
    for name in lacking:
        capability, call = LOOKUPS_AND_WRITES[name]
        with pytest.raises(NotSupported) as caught:
            await call(adapter, rig.subject)
        assert caught.value.capability == capability.value and caught.value.provider == adapter.display_name
        assert str(caught.value) == f"{adapter.display_name} does not support {capability.value.replace('_', ' ')}."
    assert rig.fake.seen == []  # refused before anything was sent
    # Everything else the adapter implements itself: the table's list of what it lacks is the whole list.
    for name in LOOKUPS_AND_WRITES.keys() - set(lacking):
        assert getattr(type(adapter), name) is not getattr(AtsAdapter, name), f"{name} is not implemented"


class ReadsOnly(AtsAdapter):
    """An adapter built without any write capability: every write falls through to the base class."""

    provider = "readsonly"
    display_name = "Reads Only"
    capabilities = frozenset({Capability.READ_CANDIDATES})

    async def validate(self) -> None:
        raise AssertionError("not called")

    def candidate_batches(self, *, updated_since: Any = None) -> Any:
        raise AssertionError("not called")

    async def fetch_candidates(self, remote_ids: Any) -> Any:
        raise AssertionError("not called")

    async def list_jobs(self) -> Any:
        raise AssertionError("not called")

    async def list_stages(self) -> Any:
        raise AssertionError("not called")

    async def list_users(self) -> Any:
        raise AssertionError("not called")

    def candidate_url(self, remote_id: str) -> str:
        return f"https://ats.example/{remote_id}"


async def test_an_adapter_built_without_write_capabilities_refuses_every_write_by_name() -> None:
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request)

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as client:
        adapter = ReadsOnly(ConnectionConfig(base_url="https://ats.example", credentials={}), client)
        subject = Subject(candidate="11", application="12", actor="13", interviewer="14")
        assert missing(WRITERS["lever"], adapter) == list(LOOKUPS_AND_WRITES)
        for capability, call in LOOKUPS_AND_WRITES.values():
            words = capability.value.replace("_", " ")
            with pytest.raises(NotSupported, match=f"^Reads Only does not support {words}[.]$") as caught:
                await call(adapter, subject)
            assert caught.value.capability == capability.value and caught.value.provider == "Reads Only"
    assert seen == []
