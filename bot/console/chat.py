"""The console chat: an interactive prompt on a TTY, one answer per line when stdin is piped."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from rich.console import Console

from bot.console.render import print_reply
from bot.core import Assistant
from bot.messages import IncomingMessage, Person, RoomKind
from bot.replies import Reply

EXIT_WORDS = {"exit", "quit", "bye", ":q"}


class ConsoleChat:
    """A conversation in the terminal; also what tests use to talk to the core like a person would."""

    def __init__(self, assistant: Assistant, sender: Person, console: Console | None = None) -> None:
        self.assistant = assistant
        self.sender = sender
        self.console = console or Console()
        self._pending: Reply | None = None

    def send(self, text: str) -> Reply:
        """One line from the user: a number picks from the last list of choices, anything else is a message."""
        stripped = text.strip()
        if self._pending is not None and stripped.isdigit():
            choices = self._pending.choices
            index = int(stripped) - 1
            if 0 <= index < len(choices):
                choice = choices[index]
                self._pending = None
                return self._remember(self.assistant.choose(self.sender, choice.command, choice.value))
        message = IncomingMessage(text=text, sender=self.sender, room=RoomKind.CONSOLE, platform="console")
        return self._remember(self.assistant.handle(message))

    def _remember(self, reply: Reply) -> Reply:
        self._pending = reply if reply.choices else None
        return reply

    def run(self, lines: Iterable[str] | None = None) -> None:
        """Answer lines until EOF (or 'exit' on a TTY)."""
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
            self.console.print(f"[bold green]you>[/bold green] {_literal(text)}")
            print_reply(self.console, self.send(text))


def _literal(text: str) -> str:
    from rich.markup import escape

    return escape(text)
