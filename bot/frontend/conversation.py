"""The one answering loop every chat front end shares: a turn in, the core's answer out, in the right place.

`TurnDesk.receive` queues a turn (or says "busy" at once); a worker asks who it is, asks the core (on the
core runner), reads attached files only for scheduling requests (the one place a CV is used), applies the
who-may-see-details rule, and delivers through the platform, apologising instead of going quiet when the
platform refuses. A typed answer to the person's last list of choices ("yes" or "no" to "Shall I send the
request?", a number) is read as that choice (`bot/typed_choices.py`), so it works the same on every
platform, with buttons or without. Background work a front end starts (a first ATS sync) is tracked here
too, so `drain` and `close` cover everything.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Generic

from bot.frontend.privacy import DetailsRule
from bot.frontend.protocol import ChatPlatform, DeliveryRefused, IdentityError, PlaceT, Turn
from bot.frontend.questions import QUESTION_BACKLOG, QUESTION_WORKERS, QuestionQueue
from bot.frontend.runner import CoreRunner
from bot.intents import IntentName, parse
from bot.messages import IncomingMessage, Person, RoomKind
from bot.replies import Choice, Reply
from bot.typed_choices import typed_choice

log = logging.getLogger(__name__)

BUSY_TEXT = "I'm answering a lot of questions right now. Please ask again in a minute."
FAILED_TEXT = "Sorry, something went wrong on my side while answering that. Please try again."
OPEN_CHOICES_SECONDS = 30 * 60  # how long a list of choices can still be answered by typing


def unreadable_files_note(problems: Sequence[str], *, any_read: bool) -> str:
    """What the organizer is told when attached files couldn't be read."""
    what = "the file you attached" if len(problems) == 1 else "some of the files you attached"
    text = f"I couldn't read {what} ({'; '.join(problems)})"
    return text + ("." if any_read else "; the request will go without a CV.")


class TurnDesk(Generic[PlaceT]):
    """Answers the turns of one front end through the core."""

    def __init__(self, platform: ChatPlatform[PlaceT], core: CoreRunner, details: DetailsRule, *,
                 workers: int = QUESTION_WORKERS, backlog: int = QUESTION_BACKLOG,
                 first_receipt: Callable[[str], bool] | None = None) -> None:
        self.platform = platform
        self.core = core
        self.details = details
        # Told each keyed turn before it is answered; False means another delivery of it was taken on
        # (by this or another process on the same database), so this one goes unanswered.
        self.first_receipt = first_receipt
        self.questions: QuestionQueue[Turn[PlaceT]] = QuestionQueue(self._answer_safely, workers=workers,
                                                                    backlog=backlog)
        self._tasks: set[asyncio.Task[None]] = set()
        # Each person's last reply with choices, and when it was given: a typed "yes" or "2" answers it.
        self._open_choices: dict[int | None, tuple[Reply, float]] = {}

    async def receive(self, turn: Turn[PlaceT]) -> None:
        """Queue a turn for the answering workers; when the queue is full, say so at once."""
        if not self.questions.offer(turn):
            await self.platform.say(turn.place, BUSY_TEXT)

    async def _answer_safely(self, turn: Turn[PlaceT]) -> None:
        try:
            if turn.key is not None and self.first_receipt is not None \
                    and not await asyncio.to_thread(self.first_receipt, turn.key):
                log.info("%s event %s was delivered again; it is answered once", self.platform.name, turn.key)
                return
            await self.answer(turn)
        except Exception:
            log.exception("answering a %s turn in %r failed", self.platform.name, turn.place)
            await self.platform.say(turn.place, FAILED_TEXT)

    async def answer(self, turn: Turn[PlaceT]) -> None:
        """Ask the core about one turn and deliver its reply (exceptions propagate)."""
        place = turn.place
        try:
            person = await self.platform.identify(place)
        except IdentityError as exc:
            await self.platform.say(place, str(exc))
            return
        picked = self._typed_pick(person, turn.text) if turn.command is None else None
        if isinstance(picked, str):  # a number not on the list: say which are, keep the list open
            await self.deliver(place, Reply(text=picked, intent="choice"), person)
            return
        if picked is not None:
            reply = await self.core.choose(person, picked.command, picked.value)
        elif turn.command is not None:
            reply = await self.core.choose(person, turn.command, turn.value)
        else:
            text = turn.text or ""
            # Only a scheduling request uses attached files (a CV): don't read them for anything else.
            wanted = bool(turn.attachments) and parse(text).name == IntentName.SCHEDULE
            files, problems = await self.platform.read_files(place, turn.attachments) if wanted else ((), ())
            message = IncomingMessage(text=text, sender=person, room=self.platform.room(place),
                                      platform=self.platform.name, files=files)
            reply = await self.core.handle(message)
            if problems and reply.intent == IntentName.SCHEDULE:
                await self.platform.say(place, unreadable_files_note(problems, any_read=bool(files)))
        self._remember_choices(person, reply)
        await self.deliver(place, reply, person, replace=turn.replace)

    def _typed_pick(self, person: Person, text: str | None) -> Choice | str | None:
        """The choice (or the "not on the list" sentence) a typed message makes, or None for a new message."""
        opened = self._open_choices.get(person.user_id)
        if opened is None or not text:
            return None
        reply, at = opened
        if time.monotonic() - at > OPEN_CHOICES_SECONDS:
            del self._open_choices[person.user_id]
            return None
        picked = typed_choice(reply, text)
        if picked is not None and not isinstance(picked, str):
            del self._open_choices[person.user_id]  # answered: a second "yes" is a new message
        return picked

    def _remember_choices(self, person: Person, reply: Reply) -> None:
        if reply.choices:
            self._open_choices[person.user_id] = (reply, time.monotonic())
        else:
            self._open_choices.pop(person.user_id, None)

    async def deliver(self, place: PlaceT, reply: Reply, person: Person | None = None, *,
                      replace: bool = False) -> None:
        """Send a reply where it belongs; if the platform refuses it, log why and apologise instead."""
        in_direct = self.platform.room(place) is not RoomKind.CHANNEL
        private = await self.details.only_for_asker(reply, person, in_direct=in_direct)
        try:
            if replace:
                await self.platform.update(place, reply, private=private)
            else:
                await self.platform.reply(place, reply, private=private)
        except DeliveryRefused as exc:
            label = self.platform.label
            log.error("%s refused a reply (intent=%s, place=%r): %s", label, reply.intent, place, exc)
            await self.platform.say(place, f"Sorry, {label} wouldn't let me post that answer here "
                                           f"({str(exc) or 'unknown error'}). Please try again in a moment.")

    # ---------------------------------------------------------------- background work

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every queued turn is answered and background work (first syncs) is done."""
        while True:
            await self.questions.join()
            if not self._tasks:
                return
            await self.background_done()

    async def background_done(self) -> None:
        """Wait for the background work started so far (notes, first syncs), not for queued turns."""
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """At shutdown: stop answering, stop background work still running, and let the core go."""
        pending = list(self._tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(self.questions.close(), *pending, return_exceptions=True)
        self.core.close()
