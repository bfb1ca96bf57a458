"""Teams' message markup turned into the plain text the core reads.

Teams sends mentions as `<at>name</at>` (hirebot's own one first in a channel), sometimes wraps text in
simple HTML, and escapes characters as HTML entities. The leading mention is dropped, other mentions read
as "@name", tags become spaces.
"""

from __future__ import annotations

import re
import unicodedata

from bot.intents import EDGE_SEPARATORS, MAX_MESSAGE_CHARS, clean_text, visible_text

_LEADING_MENTION = re.compile(r"\A\s*<at(?:\s[^<>]*)?>[^<>]*</at>" + EDGE_SEPARATORS, re.IGNORECASE)
_MENTION = re.compile(r"<at(?:\s[^<>]*)?>([^<>]*)</at>", re.IGNORECASE)
# These tags only ever separate words.
_HTML_TAG = re.compile(r"</?(?:p|div|span|br|b|i|strong|em|u|s)(?:\s[^<>]*)?/?>", re.IGNORECASE)
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&apos;": "'", "&nbsp;": " "}
_ENTITY = re.compile("|".join(re.escape(name) for name in _ENTITIES), re.IGNORECASE)


def teams_text(raw: str, *, drop_leading_mention: bool = True) -> str:
    """Plain, single-spaced text from a Teams message (see the module docstring); never raises.

    `drop_leading_mention=False` when hirebot's own mention was already removed (found by its entity), so a
    colleague mentioned first is kept as "@name"."""
    if not isinstance(raw, str):
        return ""
    text = unicodedata.normalize("NFC", visible_text(raw[:MAX_MESSAGE_CHARS]))
    if drop_leading_mention:
        text = _LEADING_MENTION.sub("", text, count=1)
    text = _MENTION.sub(lambda m: "@" + m.group(1).strip() if m.group(1).strip() else "", text)
    text = _HTML_TAG.sub(" ", text)
    # Unescape last and in one pass, so "&lt;at&gt;" stays literal text.
    text = _ENTITY.sub(lambda m: _ENTITIES[m.group(0).lower()], text)
    return clean_text(text)


_AT_TAG = re.compile(r"<(/?)(at)\b", re.IGNORECASE)


def neutral_text(text: str) -> str:
    """Text for a card or summary with no `<at>` tag left in it, so it can never mention anyone.

    Cards show ATS and user text in TextRuns (never read as markdown); this keeps an `<at>` in that text
    from ever becoming a mention, with an invisible zero-width space after the `<`.
    """
    return _AT_TAG.sub(lambda m: "<\u200b" + m.group(1) + m.group(2), text)
