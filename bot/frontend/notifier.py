"""The scheduler's ChatNotifier and BriefingSender, implemented once for every front end.

The job dispatcher calls `notify` and `send` on its worker threads. The bridge reads the recipient from
the store there, then runs the front end's `direct_message` on the front end's own event loop (where its
HTTP session lives) and waits for it, up to a timeout. Failures are raised as ChatDeliveryError, whose
`retryable` the dispatcher honours.

People who never wrote to hirebot are found by email on the platforms that can (`FindsPeople`, e.g. Slack's
users.lookupByEmail), and their platform id is kept on their user row. With each meeting notice the
meeting's attendees are looked up the same way (people.py), so they become users with their own zone and
get briefings; the organizer hears once about anyone the platform doesn't know.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.directory import Directory
from bot.frontend.people import (
    Attendee,
    MeetingPeople,
    UnknownAddresses,
    meeting_people,
    not_yet_reported,
    plan_briefings,
    remember_contact,
    unknown_sentence,
)
from bot.frontend.protocol import (
    Briefing,
    ChatContact,
    ChatDeliveryError,
    ChatRecipient,
    DirectMessages,
    FindsPeople,
    MeetingNotice,
    Outbound,
    TextNote,
)
from bot.replies import Reply
from scheduler.meetings import MeetingState
from store.crypto import SecretBox
from store.meeting_models import Meeting
from store.models import User, Workspace, utcnow

T = TypeVar("T")

log = logging.getLogger(__name__)

NOTIFY_TIMEOUT_SECONDS = 30.0
# Meetings the organizer can still change, so their notices offer Reschedule and Cancel.
OPEN_STATES = frozenset({MeetingState.REQUESTED, MeetingState.RESCHEDULING, MeetingState.BOOKED})


class NotifierBridge:
    """ChatNotifier (`notify`) and BriefingSender (`send`) over the direct messages of the running front
    ends; each message goes through the first one that reaches its recipient."""

    def __init__(self, sessions: sessionmaker[Session], messages: DirectMessages | Sequence[DirectMessages],
                 loop_of: Callable[[], asyncio.AbstractEventLoop | None], *,
                 timeout: float = NOTIFY_TIMEOUT_SECONDS, box: SecretBox | None = None,
                 now: Callable[[], datetime] = utcnow, unknown: UnknownAddresses | None = None) -> None:
        self.sessions = sessions
        self.directory = Directory(sessions)
        self.box = box  # to plan the briefings of attendees found by email; without it they wait for a change
        self.now = now
        self.unknown = unknown or UnknownAddresses()
        self._reporting = threading.Lock()
        self.platforms: tuple[DirectMessages, ...] = tuple(messages) if isinstance(messages, Sequence) \
            else (messages,)
        if not self.platforms:
            raise ValueError("a notifier needs at least one front end to send through")
        self.label = " or ".join(p.label for p in self.platforms)  # "Slack", "Slack or Teams"
        self.loop_of = loop_of  # the front ends' loop once they have started; None before (notices wait)
        self.timeout = timeout

    def notify(self, user_id: int, text: str, *, meeting_id: int) -> None:
        """A meeting notice to the organizer, with Reschedule and Cancel while the meeting is open; then the
        meeting's attendees are found on the platform so they get their briefings."""
        loop = self._loop()
        recipient, platform, state = self.recipient(user_id, meeting_id)
        self._deliver(loop, platform, recipient, MeetingNotice(text, meeting_id, meeting_open=state in OPEN_STATES))
        if meeting_id:
            try:
                self.introduce(meeting_id)
            except Exception:  # the notice went out; the attendees are looked up again with the next one
                log.exception("could not look up the attendees of meeting %s", meeting_id)

    def send(self, user_id: int, reply: Reply) -> None:
        """A pre-meeting briefing (or morning digest) as a direct message."""
        loop = self._loop()
        meeting_id = int(reply.extra.get("meeting_id") or 0)
        recipient, platform, _ = self.recipient(user_id, meeting_id)
        self._deliver(loop, platform, recipient, Briefing(reply, meeting_id))

    def _loop(self) -> asyncio.AbstractEventLoop:
        loop = self.loop_of()
        if loop is None or loop.is_closed():
            raise ChatDeliveryError(f"{self.label} isn't connected in this process yet.", retryable=True)
        if _running_loop() is loop:
            # Waiting here would block the very loop that has to do the posting.
            raise RuntimeError("the chat notifier must be called from a worker thread, not the event loop")
        return loop

    def recipient(self, user_id: int, meeting_id: int
                  ) -> tuple[ChatRecipient, DirectMessages, MeetingState | None]:
        """Who to message, through which front end, and the meeting's state, read from the store (on the
        calling thread, off the loop).

        Raises ChatDeliveryError (not retryable) when the front end has no way to reach them."""
        with self.sessions() as session:
            row = session.execute(
                select(User.chat_user_id, Workspace.platform, Workspace.external_id, User.email, User.workspace_id)
                .join(Workspace, Workspace.id == User.workspace_id).where(User.id == user_id)).first()
            state = session.scalar(select(Meeting.state).where(Meeting.id == meeting_id))
        if row is None:
            raise ChatDeliveryError("The organizer is no longer a hirebot user.", retryable=False)
        chat_user, platform, external_id, email, workspace_id = row
        recipient = ChatRecipient(user_id=user_id, chat_user_id=str(chat_user) if chat_user else None,
                                  platform=platform, workspace=external_id)
        through = next((p for p in self.platforms if p.reaches(recipient)), None)
        if through is None and recipient.chat_user_id is None:
            found = self.find(recipient, email)
            if found is not None:
                _, contact = found
                remember_contact(self.directory, workspace_id, email, contact)
                recipient = ChatRecipient(user_id=user_id, chat_user_id=contact.chat_user_id,
                                          platform=platform, workspace=external_id)
                through = next((p for p in self.platforms if p.reaches(recipient)), None)
            elif self._finders(recipient):
                raise ChatDeliveryError(f"{email} isn't anyone's email address in {self.label}, so there is no "
                                        "DM to send this to.", retryable=False)
        if through is None:
            log.warning("no %s DM for user %s (meeting %s): chat id %r in a %s workspace", self.label, user_id,
                        meeting_id, chat_user, platform)
            raise ChatDeliveryError(f"The organizer hasn't talked to hirebot in {self.label}, so there is no DM "
                                    "to send this to.", retryable=False)
        return recipient, through, MeetingState(state) if state is not None else None

    def find(self, recipient: ChatRecipient, email: str) -> tuple[FindsPeople, ChatContact] | None:
        """The first platform that knows `email` in the recipient's workspace, and what it said; None when
        none does (remembered for a while, so each message doesn't ask again)."""
        email = email.strip().lower()
        finders = self._finders(recipient)
        if not finders or self.unknown.recent(recipient.workspace, email):
            return None
        loop = self._loop()
        for finder in finders:
            contact = self._run(loop, finder.label, finder.find_by_email(recipient, email),
                                what=f"a lookup by email for user {recipient.user_id}")
            if contact is not None:
                return finder, contact
        self.unknown.add(recipient.workspace, email)
        return None

    def _finders(self, recipient: ChatRecipient) -> list[FindsPeople]:
        """The front ends that can look people up in the recipient's workspace."""
        return [p for p in self.platforms if isinstance(p, FindsPeople) and p.serves(recipient)]

    def introduce(self, meeting_id: int) -> list[str]:
        """Find the meeting's attendees who aren't known on the platform yet by email, make them users (with
        their platform id, name and zone) and plan their briefings; tell the organizer once about anyone the
        platform doesn't know. Returns the addresses it couldn't find."""
        people = meeting_people(self.sessions, meeting_id)
        if people is None:
            return []
        unknown: list[Attendee] = []
        for attendee in people.attendees:
            if attendee.chat_user_id:
                continue
            place = ChatRecipient(user_id=0, chat_user_id=None, platform=people.platform,
                                  workspace=people.workspace)
            found = self.find(place, attendee.email)
            if found is None:
                if self._finders(place):
                    unknown.append(attendee)
                continue
            user_id = remember_contact(self.directory, people.workspace_id, attendee.email, found[1])
            if self.box is not None:
                planned = plan_briefings(self.sessions, user_id, self.box, self.now())
                log.info("found attendee user %s of meeting %s in %s; %s briefing job(s) planned", user_id,
                         meeting_id, found[0].label, planned)
        if unknown:
            self._report_unknown(people, unknown)
        return [a.email for a in unknown]

    def _report_unknown(self, people: MeetingPeople, unknown: list[Attendee]) -> None:
        if people.organizer_user_id is None:
            return
        with self._reporting:  # SQLite has no row locks: notices on this process's threads take turns here
            fresh = set(not_yet_reported(self.sessions, people.organizer_user_id, [a.email for a in unknown]))
        if not fresh:
            return
        sentence = unknown_sentence(people, [a for a in unknown if a.email in fresh], self.label)
        recipient, platform, _ = self.recipient(people.organizer_user_id, 0)
        self._deliver(self._loop(), platform, recipient, TextNote(sentence))

    def _deliver(self, loop: asyncio.AbstractEventLoop, platform: DirectMessages, recipient: ChatRecipient,
                 event: Outbound) -> None:
        self._run(loop, platform.label, platform.direct_message(recipient, event),
                  what=f"a {type(event).__name__} for user {recipient.user_id} ({recipient.chat_user_id})")

    def _run(self, loop: asyncio.AbstractEventLoop, label: str, call: Coroutine[Any, Any, T], *,
             what: str = "a lookup") -> T:
        """Run a front end's coroutine on its loop and wait for it, up to the timeout."""
        future = asyncio.run_coroutine_threadsafe(call, loop)
        try:
            return future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            log.error("%s did not take %s within %.0f s", label, what, self.timeout)
            raise ChatDeliveryError(f"{label} didn't answer within {self.timeout:.0f} seconds.",
                                    retryable=True) from None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
