"""Draws a Reply in the terminal with rich. Text from the ATS is printed as text, never as markup."""

from __future__ import annotations

import re

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.replies import Card, Reply

_BOLD = re.compile(r"\*([^*\n]+)\*")


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


def render_card(card: Card) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for field in card.fields:
        table.add_row(Text(field.label), Text(field.value))
    parts: list[RenderableType] = []
    if card.subtitle:
        parts.append(Text(card.subtitle, style="italic"))
    parts.append(table)
    if card.links:
        links = Table.grid(padding=(0, 2))
        links.add_column(style="bold cyan", no_wrap=True)
        links.add_column(overflow="fold")
        for link in card.links:
            links.add_row(Text(link.label), Text(link.url, style=f"link {link.url}"))
        parts.append(Text(""))
        parts.append(links)
    if card.context:
        parts.append(Text(" · ".join(card.context), style="dim"))
    return Panel(Group(*parts), title=Text(card.title, style="bold"), title_align="left", expand=False)


def render_reply(reply: Reply) -> RenderableType:
    parts: list[RenderableType] = [_message_text(reply.text)]
    parts.extend(render_card(card) for card in reply.cards)
    for number, choice in enumerate(reply.choices, start=1):
        line = Text(f"  {number}. ", style="bold")
        line.append(choice.label, style="bold")
        if choice.description:
            line.append(f"  {choice.description}", style="dim")
        parts.append(line)
    if reply.choices:
        parts.append(Text("Reply with a number to pick one.", style="dim"))
    return Group(*parts)


def print_reply(console: Console, reply: Reply) -> None:
    console.print(render_reply(reply))
