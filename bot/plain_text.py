"""Draws a `Reply` as plain text: the whole answer as a person reads it, cards and choices included.

`hirebot ask --json` puts this in its `text` field, so a script (or a plain-text channel such as email or
SMS) gets what the terminal shows without parsing cards. It sits beside the rich terminal renderer
(bot/console/render.py) and Block Kit (bot/slack/blocks.py) and, like them, only reads the neutral reply.
Values from the ATS are copied as they are; only our own *emphasis* marks are dropped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # replies.py calls this module; at run time it needs only the objects it is handed
    from bot.replies import Card, Reply

_EMPHASIS = re.compile(r"\*([^*\n]+)\*")


def message_text(text: str) -> str:
    """Our own message text without the *bold* marks chat apps draw (the console draws them bold)."""
    return _EMPHASIS.sub(r"\1", text)


def card_text(card: Card) -> str:
    """A card as lines: title, subtitle, one "Label: value" line per field (continuation lines indented),
    then every link with its full address, then the source and freshness lines."""
    lines = [card.title]
    if card.subtitle:
        lines.append(card.subtitle)
    for field in card.fields:
        first, *rest = field.value.split("\n") or [""]
        lines.append(f"{field.label}: {first}")
        indent = " " * (len(field.label) + 2)
        lines.extend(indent + more for more in rest)
    lines.extend(f"{link.label}: {link.url}" for link in card.links)
    lines.extend(card.context)
    return "\n".join(lines)


def reply_text(reply: Reply) -> str:
    """The whole reply: its message, each card after a blank line, then the numbered choices."""
    parts = [message_text(reply.text)]
    parts.extend(card_text(card) for card in reply.cards)
    if reply.choices:
        numbered = [f"{number}. {choice.label}" + (f" · {choice.description}" if choice.description else "")
                    for number, choice in enumerate(reply.choices, start=1)]
        parts.append("\n".join(numbered))
    return "\n\n".join(part for part in parts if part)


__all__ = ["card_text", "message_text", "reply_text"]
