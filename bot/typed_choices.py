"""Answering a list of choices by typing, for front ends without buttons (the terminal): a number picks that
choice, and "yes", "send", "ok" / "no", "cancel" answer a "Shall I send the request?" proposal. A number
that is not on the list gets a sentence naming the valid ones instead of being read as a new question."""

from __future__ import annotations

import re

from bot.replies import Choice, Reply
from bot.scheduling_chat import DISCARD, SEND

YES_WORDS = frozenset({"yes", "y", "yep", "yeah", "yes please", "send", "send it", "ok", "okay", "sure",
                       "go ahead", "do it"})
NO_WORDS = frozenset({"no", "n", "nope", "cancel", "don't", "dont", "don't send", "do not send", "stop"})


def typed_choice(pending: Reply, text: str) -> Choice | str | None:
    """What `text` picks from `pending`'s choices: a Choice, a sentence when it is a number not on the list,
    or None when it is not an answer to the list (a new message)."""
    typed = " ".join(text.lower().split()).strip(" .!")
    choices = pending.choices
    if not choices:
        return None
    if typed.isdigit():
        index = int(typed) - 1
        if 0 <= index < len(choices):
            return choices[index]
        valid = "1" if len(choices) == 1 else f"a number from 1 to {len(choices)}"
        return f"There's no choice {typed} here: reply with {valid}, or ask me something new."
    words = re.sub(r"[,;]", " ", typed).split()
    answer = " ".join(words)
    if answer in YES_WORDS:
        return next((choice for choice in choices if choice.command == SEND), None)
    if answer in NO_WORDS:
        return next((choice for choice in choices if choice.command == DISCARD), None)
    return None


__all__ = ["NO_WORDS", "YES_WORDS", "typed_choice"]
