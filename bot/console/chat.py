"""The console front end: an interactive prompt on a TTY, one answer per line when stdin is piped.

It is a chat platform like Slack: each line becomes a `Turn` for the shared TurnDesk (bot/frontend/), the
core runs on the same core runner, and answers come back through `ChatPlatform` calls, drawn with rich
(bot/console/render.py). The terminal is a private conversation with the asker, so nothing is withheld.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape

from bot.console.render import print_reply
from bot.core import Assistant
from bot.directory import DEFAULT_WORKSPACE, Directory
from bot.frontend.conversation import TurnDesk
from bot.frontend.privacy import DetailsRule
from bot.frontend.protocol import (
    Briefing,
    ChatRecipient,
    MeetingNotice,
    Outbound,
    TextNote,
    Turn,
    UnknownOutbound,
)
from bot.frontend.runner import ThreadedCore
from bot.messages import ChatFile, Person, RoomKind
from bot.replies import Reply

EXIT_WORDS = {"exit", "quit", "bye", ":q"}
TERMINAL = "terminal"  # the one place a console conversation happens


class ConsoleChat:
    """A conversation in the terminal; also what tests use to talk to the core like a person would."""

    name = "console"
    label = "the terminal"

    def __init__(self, assistant: Assistant, sender: Person, console: Console | None = None) -> None:
        self.assistant = assistant
        self.sender = sender
        self.console = console or Console()
        self.desk: TurnDesk[str] = TurnDesk(self, ThreadedCore(assistant), DetailsRule(Directory(assistant.sessions)))
        self._answer: Reply | None = None

    def send(self, text: str) -> Reply:
        """One line from the user; a number (or "yes"/"no" to a proposal) answers the last list of choices
        (the desk reads typed answers the same way for every front end)."""
        self._answer = None
        asyncio.run(self.desk.answer(Turn(TERMINAL, text=text)))
        assert self._answer is not None, "the desk answers every console turn"
        return self._answer

    def run(self, lines: Iterable[str] | None = None) -> None:
        """Answer lines until EOF or 'exit' (also 'quit', 'bye'), at a prompt or piped."""
        interactive = lines is None and sys.stdin.isatty()
        if interactive:
            self.console.print("[bold]hirebot[/bold] is ready. Ask \u201cwho is <name>?\u201d, "
                               "say [bold]help[/bold], or [bold]exit[/bold] to leave.")
            while True:
                try:
                    text = self.console.input("[bold green]you>[/bold green] ")
                except (EOFError, KeyboardInterrupt):
                    self.console.print()
                    return
                if text.strip().lower() in EXIT_WORDS:
                    return
                if text.strip():
                    print_reply(self.console, self.send(text))
            return
        for line in lines if lines is not None else sys.stdin:
            text = line.rstrip("\n")
            if not text.strip():
                continue
            self.console.print(f"[bold green]you>[/bold green] {escape(text)}")
            if text.strip().lower() in EXIT_WORDS:
                return
            print_reply(self.console, self.send(text))

    # ---------------------------------------------------------------- ChatPlatform

    async def identify(self, place: str) -> Person:
        return self.sender

    def room(self, place: str) -> RoomKind:
        return RoomKind.CONSOLE

    async def read_files(self, place: str, attachments: tuple[object, ...]
                         ) -> tuple[tuple[ChatFile, ...], tuple[str, ...]]:
        return (), ()  # a terminal line carries no files

    async def reply(self, place: str, reply: Reply, *, private: bool) -> None:
        self._answer = reply  # `send` returns it and `run` prints it

    async def update(self, place: str, reply: Reply, *, private: bool) -> None:
        self._answer = reply  # a terminal can't redraw an earlier answer; the new one follows it

    async def say(self, place: str, text: str) -> None:
        self._answer = Reply(text=text, intent="note")


class ConsoleDirectMessages:
    """Direct messages to the terminal's user (the default workspace), printed where the chat is."""

    name = "console"
    label = "the terminal"

    def __init__(self, console: Console) -> None:
        self.console = console

    def reaches(self, recipient: ChatRecipient) -> bool:
        return (recipient.platform, recipient.workspace) == DEFAULT_WORKSPACE

    async def direct_message(self, recipient: ChatRecipient, event: Outbound) -> None:
        match event:
            case MeetingNotice():
                self.console.print(f"[bold magenta]hirebot ›[/bold magenta] {escape(event.text)} "
                                   f"[dim](meeting {event.meeting_id})[/dim]")
            case Briefing():
                print_reply(self.console, event.reply)
            case TextNote():
                self.console.print(f"[bold magenta]hirebot ›[/bold magenta] {escape(event.text)}")
            case _:
                raise UnknownOutbound("console", event)
