"""The shape of one rule in the intent table, and the wrapping every request may come in ("hey, can you
... please"), so each rule only spells out its own words."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.intents.model import Intent, IntentName
from bot.intents.normalize import BOT_NAME, Utterance

Builder = Callable[[IntentName, re.Match[str], Utterance], Intent | None]


@dataclass(frozen=True)
class IntentRule:
    """One row of the table: when `pattern` matches the whole utterance, `build` makes the intent (or
    returns None to let later rows try)."""

    label: str
    name: IntentName
    pattern: re.Pattern[str]
    build: Builder


GREETING = (r"(?:hi+|hello+|hey+|heya|hiya|yo+|howdy|hallo|greetings"
             r"|good\s+(?:morning|afternoon|evening|day))")
AUDIENCE = rf"(?:there|all|everyone|everybody|team|folks|friend|buddy|y'all|{BOT_NAME})"
_LEAD = rf"(?:{GREETING}\b(?:\s+{AUDIENCE}\b)?[\s,!.:;~-]*)?"
_ASK = (r"(?:(?:(?:can|could|would|will)\s+(?:you|u)|please|pls|plz|kindly|just|quickly|go\s+ahead\s+and"
        r"|i(?:'d|\s+would)\s+like(?:\s+you)?\s+to|i\s+(?:want|need)(?:\s+you)?\s+to|help\s+me"
        r"|let(?:'s|s|\s+me|\s+us))[\s,]+)*")
_TAIL = r"(?:,?\s(?:please|pls|plz|thanks|thank\s+you|thx|for\s+me|asap))*"


def whole_pattern(pattern: str) -> re.Pattern[str]:
    """A rule that must be the entire message (small talk)."""
    return re.compile(pattern, re.IGNORECASE)


def request_pattern(pattern: str) -> re.Pattern[str]:
    """A rule for a request, which may be wrapped in a greeting and politeness ("hey, can you ... please")."""
    return re.compile(f"{_LEAD}{_ASK}(?:{pattern}){_TAIL}", re.IGNORECASE)


def plain_intent(name: IntentName, _match: re.Match[str], utterance: Utterance) -> Intent:
    return Intent(name, text=utterance.text)
