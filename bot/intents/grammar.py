"""The shape of one rule in the intent table, and the wrapping every request may come in ("hey, can you
... please"), so each rule only spells out its own words."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from bot.intents.model import Intent, IntentName
from bot.intents.normalize import BOT_NAME, Utterance

Builder = Callable[[IntentName, re.Match[str], Utterance], Intent | None]


@dataclass(frozen=True)
class RulePattern:
    """A rule's regular expression, compiled the first time a message reaches its rule. Compiling all fifty
    rules costs a cold process (`hirebot ask "who is X"`) about 45 ms; most messages reach only a few."""

    source: str
    flags: int = re.IGNORECASE

    @cached_property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.source, self.flags)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self.compiled.fullmatch(text)


@dataclass(frozen=True)
class IntentRule:
    """One row of the table: when `pattern` matches the whole utterance, `build` makes the intent (or
    returns None to let later rows try). A rule with a `gate` is tried only when the gate is found somewhere
    in the message: a cheap test of words the pattern cannot match without, so its pattern need not be
    compiled for messages that lack them. A gate may let through more than the pattern, never less."""

    label: str
    name: IntentName
    pattern: RulePattern
    build: Builder
    gate: re.Pattern[str] | None = None

    def match(self, text: str) -> re.Match[str] | None:
        if self.gate is not None and self.gate.search(text) is None:
            return None
        return self.pattern.fullmatch(text)


GREETING = (r"(?:hi+|hello+|hey+|heya|hiya|yo+|howdy|hallo|greetings"
             r"|good\s+(?:morning|afternoon|evening|day))")
AUDIENCE = rf"(?:there|all|everyone|everybody|team|folks|friend|buddy|y'all|{BOT_NAME})"
_LEAD = rf"(?:{GREETING}\b(?:\s+{AUDIENCE}\b)?[\s,!.:;~-]*)?"
_ASK = (r"(?:(?:(?:can|could|would|will)\s+(?:you|u)|please|pls|plz|kindly|just|quickly|go\s+ahead\s+and"
        r"|i(?:'d|\s+would)\s+like(?:\s+you)?\s+to|i\s+(?:want|need)(?:\s+you)?\s+to|help\s+me"
        r"|let(?:'s|s|\s+me|\s+us))[\s,]+)*")
_TAIL = r"(?:,?\s(?:please|pls|plz|thanks|thank\s+you|thx|for\s+me|asap))*"


def whole_pattern(pattern: str) -> RulePattern:
    """A rule that must be the entire message (small talk)."""
    return RulePattern(pattern)


def request_pattern(pattern: str) -> RulePattern:
    """A rule for a request, which may be wrapped in a greeting and politeness ("hey, can you ... please")."""
    return RulePattern(f"{_LEAD}{_ASK}(?:{pattern}){_TAIL}")


def plain_intent(name: IntentName, _match: re.Match[str], utterance: Utterance) -> Intent:
    return Intent(name, text=utterance.text)
