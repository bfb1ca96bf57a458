"""Text normalization for the parser: any chat text made plain and bounded, then read as an `Utterance`.

Front ends turn their own markup into text first (Slack's in bot/slack/markup.py, Teams' in
bot/teams/markup.py); what reaches the core is text as a person would read it. `clean_text` only removes
what is invisible, normalizes Unicode and bounds the length, so it is safe on any input and idempotent.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.intents.model import MAX_MESSAGE_CHARS

EDGE_SEPARATORS = r"[\s,:;.!\-–—]*"
"""What may sit between a leading mention or bot name and the message (front ends strip mentions with it)."""


def clean_text(raw: str) -> str:
    """Plain, single-spaced text: invisible characters removed, NFC, at most MAX_MESSAGE_CHARS long.
    Never raises (anything that is not a string reads as empty)."""
    if not isinstance(raw, str):
        return ""
    text = unicodedata.normalize("NFC", visible_text(raw[:MAX_MESSAGE_CHARS]))
    return " ".join(text.split())[:MAX_MESSAGE_CHARS]


def visible_text(text: str) -> str:
    """Whitespace of any kind becomes a space; control, format (zero-width, bidi) and lone surrogate
    characters go: they are invisible, break matching, and some cannot even be encoded."""
    kept = []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cf", "Cs"):
            kept.append(ch)
    return "".join(kept)


_SMART_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "ʼ": "'", "′": "'", "´": "'",
                               "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"'})
BOT_NAME = r"@?hire\s?bot"
_LEADING_BOT_NAME = re.compile(rf"\A{BOT_NAME}\b{EDGE_SEPARATORS}", re.IGNORECASE)
_TRAILING_BOT_NAME = re.compile(rf"[\s,]+{BOT_NAME}\Z", re.IGNORECASE)
_COMMA_RUN = re.compile(r"\s*,[\s,]*")
_EDGE_PUNCTUATION = frozenset(".,!?;:…~-–—()[]{}*_|/\\¿¡؟？！。、")
_QUESTION_MARKS = frozenset("?؟？")


@dataclass(frozen=True)
class Utterance:
    """The cleaned text as the rules see it: quotes straightened, bot name and edge punctuation gone."""

    text: str
    body: str
    asked: bool
    addressed: bool

    @classmethod
    def from_text(cls, text: str) -> Utterance:
        body, asked = _trim(text.translate(_SMART_QUOTES))
        unaddressed = _TRAILING_BOT_NAME.sub("", _LEADING_BOT_NAME.sub("", body))
        addressed = unaddressed != body
        body, asked_after_name = _trim(unaddressed)
        return cls(text=text, body=_COMMA_RUN.sub(", ", body), asked=asked or asked_after_name,
                   addressed=addressed)


def _trim(text: str) -> tuple[str, bool]:
    """Text without junk at either end, and whether the trailing junk held a question mark."""
    end = len(text)
    while end and _is_edge_junk(text[end - 1]):
        end -= 1
    start = 0
    while start < end and _is_edge_junk(text[start]):
        start += 1
    return text[start:end], any(ch in _QUESTION_MARKS for ch in text[end:])


def _is_edge_junk(ch: str) -> bool:
    """Punctuation, emoji and emoji modifiers that carry no meaning at either end of a message."""
    return (ch.isspace() or ch in _EDGE_PUNCTUATION or ch in "\ufe0e\ufe0f"
            or unicodedata.category(ch) in ("So", "Sk"))
