"""Draws a Reply in the terminal with rich. Text from the ATS is printed as text, never as markup.

In a terminal a long link (a signed resume URL runs to hundreds of characters) shows as a short label
that is still a clickable link; piped, every link is printed whole on a line of its own, outside the box,
so nothing a script or a person copies is wrapped or cut.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.replies import Card, Reply

_BOLD = re.compile(r"\*([^*\n]+)\*")
SHORT_LINK_CHARS = 60


def short_link(url: str, limit: int = SHORT_LINK_CHARS) -> str:
    """A long URL as host and last path segment ("files.example/…/cv.pdf"); a short one as it is."""
    if len(url) <= limit:
        return url
    parts = urlsplit(url)
    name = parts.path.rstrip("/").rsplit("/", 1)[-1]
    label = f"{parts.netloc}/…/{name}" if name else f"{parts.netloc}/…"
    return label if len(label) <= limit else f"{label[:limit - 1]}…"


def _message_text(text: str) -> Text:
    """Our own messages use *bold* like chat apps do; everything else is literal."""
    out = Text()
    pos = 0
    for match in _BOLD.finditer(text):
        out.append(text[pos:match.start()])
        out.append(match.group(1), style="bold")
        pos = match.end()
    out.append(text[pos:])
    return out


def render_card(card: Card, *, terminal: bool = True) -> RenderableType:
    """The card in a box; `terminal=False` (piped output) leaves its links out of the box (see print_reply)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for field in card.fields:
        table.add_row(Text(field.label), Text(field.value))
    parts: list[RenderableType] = []
    if card.subtitle:
        parts.append(Text(card.subtitle, style="italic"))
    parts.append(table)
    if card.links and terminal:
        links = Table.grid(padding=(0, 2))
        links.add_column(style="bold cyan", no_wrap=True)
        links.add_column(overflow="fold")
        for link in card.links:
            links.add_row(Text(link.label), Text(short_link(link.url), style=f"link {link.url}"))
        parts.append(Text(""))
        parts.append(links)
    if card.context:
        parts.append(Text(" · ".join(card.context), style="dim"))
    return Panel(Group(*parts), title=Text(card.title, style="bold"), title_align="left", expand=False)


def _choices(reply: Reply) -> list[RenderableType]:
    parts: list[RenderableType] = []
    for number, choice in enumerate(reply.choices, start=1):
        line = Text(f"  {number}. ", style="bold")
        line.append(choice.label, style="bold")
        if choice.description:
            line.append(f"  {choice.description}", style="dim")
        parts.append(line)
    if reply.choices:
        parts.append(Text("Reply with a number to pick one.", style="dim"))
    return parts


def render_reply(reply: Reply) -> RenderableType:
    """The whole reply as a terminal shows it."""
    return Group(_message_text(reply.text), *(render_card(card) for card in reply.cards), *_choices(reply))


def print_reply(console: Console, reply: Reply) -> None:
    if console.is_terminal:
        console.print(render_reply(reply))
        return
    # Piped: prose wraps inside the boxes as usual, but each link goes whole on a line of its own, never
    # wrapped or cut, for whoever copies it.
    # (The CLI's piped console soft-wraps by default, which would crop the boxes: say which is which.)
    console.print(_message_text(reply.text), soft_wrap=False)
    for card in reply.cards:
        print_card(console, card)
    for part in _choices(reply):
        console.print(part, soft_wrap=False)


def print_card(console: Console, card: Card) -> None:
    """One card: in a terminal as drawn; piped, the box, then each link whole on a line of its own."""
    if console.is_terminal:
        console.print(render_card(card))
        return
    console.print(render_card(card, terminal=False), soft_wrap=False)
    for link in card.links:
        console.print(Text(f"{link.label}: {link.url}"), soft_wrap=True)
