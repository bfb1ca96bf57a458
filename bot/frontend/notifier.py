"""The scheduler's ChatNotifier and BriefingSender, implemented once for every front end.

The job dispatcher calls `notify` and `send` on its worker threads. The bridge reads the recipient from
the store there, then runs the front end's `direct_message` on the front end's own event loop (where its
HTTP session lives) and waits for it, up to a timeout. Failures are raised as ChatDeliveryError, whose
`retryable` the dispatcher honours.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.frontend.protocol import Briefing, ChatDeliveryError, ChatRecipient, DirectMessages, MeetingNotice, Outbound
from bot.replies import Reply
from scheduler.meetings import MeetingState
from store.meeting_models import Meeting
from store.models import User, Workspace

log = logging.getLogger(__name__)

NOTIFY_TIMEOUT_SECONDS = 30.0
# Meetings the organizer can still change, so their notices offer Reschedule and Cancel.
OPEN_STATES = frozenset({MeetingState.REQUESTED, MeetingState.RESCHEDULING, MeetingState.BOOKED})


class NotifierBridge:
    """ChatNotifier (`notify`) and BriefingSender (`send`) over the direct messages of the running front
    ends; each message goes through the first one that reaches its recipient."""

    def __init__(self, sessions: sessionmaker[Session], messages: DirectMessages | Sequence[DirectMessages],
                 loop_of: Callable[[], asyncio.AbstractEventLoop | None], *,
                 timeout: float = NOTIFY_TIMEOUT_SECONDS) -> None:
        self.sessions = sessions
        self.platforms: tuple[DirectMessages, ...] = tuple(messages) if isinstance(messages, Sequence) \
            else (messages,)
        if not self.platforms:
            raise ValueError("a notifier needs at least one front end to send through")
        self.label = " or ".join(p.label for p in self.platforms)  # "Slack", "Slack or Teams"
        self.loop_of = loop_of  # the front ends' loop once they have started; None before (notices wait)
        self.timeout = timeout

    def notify(self, user_id: int, text: str, *, meeting_id: int) -> None:
        """A meeting notice to the organizer, with Reschedule and Cancel while the meeting is open."""
        loop = self._loop()
        recipient, platform, state = self.recipient(user_id, meeting_id)
        self._deliver(loop, platform, recipient, MeetingNotice(text, meeting_id, meeting_open=state in OPEN_STATES))

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
                select(User.chat_user_id, Workspace.platform, Workspace.external_id)
                .join(Workspace, Workspace.id == User.workspace_id).where(User.id == user_id)).first()
            state = session.scalar(select(Meeting.state).where(Meeting.id == meeting_id))
        if row is None:
            raise ChatDeliveryError("The organizer is no longer a hirebot user.", retryable=False)
        chat_user, platform, external_id = row
        recipient = ChatRecipient(user_id=user_id, chat_user_id=str(chat_user) if chat_user else None,
                                  platform=platform, workspace=external_id)
        through = next((p for p in self.platforms if p.reaches(recipient)), None)
        if through is None:
            log.warning("no %s DM for user %s (meeting %s): chat id %r in a %s workspace", self.label, user_id,
                        meeting_id, chat_user, platform)
            raise ChatDeliveryError(f"The organizer hasn't talked to hirebot in {self.label}, so there is no DM "
                                    "to send this to.", retryable=False)
        return recipient, through, MeetingState(state) if state is not None else None

    def _deliver(self, loop: asyncio.AbstractEventLoop, platform: DirectMessages, recipient: ChatRecipient,
                 event: Outbound) -> None:
        future = asyncio.run_coroutine_threadsafe(platform.direct_message(recipient, event), loop)
        try:
            future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            log.error("%s did not take a %s for user %s (%s) within %.0f s", platform.label,
                      type(event).__name__, recipient.user_id, recipient.chat_user_id, self.timeout)
            raise ChatDeliveryError(f"{platform.label} didn't answer within {self.timeout:.0f} seconds.",
                                    retryable=True) from None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
