"""Slack's message markup turned into the plain text the core reads.

Slack sends `<@U123|name>` mentions, `<#C1|channel>` links, `<!here>` broadcasts, `<url|label>` links and
`<mailto:…|…>` addresses, with `&`, `<` and `>` escaped as entities. A mention of hirebot at the start is
dropped; the rest is shown as a person reading it in Slack would see it, except that a link shows its
address when the label only repeats that address or the link is a LinkedIn profile (the address is the data
the scheduling rules read).
"""

from __future__ import annotations

import re
import unicodedata

from bot.intents import EDGE_SEPARATORS, LINKEDIN, MAX_MESSAGE_CHARS, clean_text, visible_text

_LEADING_MENTION = re.compile(r"\A\s*<@[A-Za-z0-9]+(?:\|[^<>]*)?>" + EDGE_SEPARATORS)
_TOKEN = re.compile(r"<([^<>]*)>")
_BROADCASTS = frozenset({"channel", "here", "everyone"})
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&apos;": "'", "&nbsp;": " "}
_ENTITY = re.compile("|".join(re.escape(name) for name in _ENTITIES), re.IGNORECASE)


def slack_text(raw: str) -> str:
    """Plain, single-spaced text from a Slack message (see the module docstring); never raises."""
    if not isinstance(raw, str):
        return ""
    text = unicodedata.normalize("NFC", visible_text(raw[:MAX_MESSAGE_CHARS]))
    text = _LEADING_MENTION.sub("", text, count=1)
    text = _TOKEN.sub(_render_token, text)
    # Unescape last and in one pass, so "&lt;@U1&gt;" stays literal text and "&amp;lt;" becomes "&lt;".
    text = _ENTITY.sub(lambda m: _ENTITIES[m.group(0).lower()], text)
    return clean_text(text)


def _render_token(match: re.Match[str]) -> str:
    body = match.group(1)
    target, _, label = body.partition("|")
    label = label.strip()
    if target.startswith("@"):
        return f"@{label.lstrip('@')}" if label else ""
    if target.startswith("#"):
        return f"#{label.lstrip('#')}" if label else ""
    if target.startswith("!"):
        keyword = target[1:].split("^", 1)[0].lower()
        return "" if keyword in _BROADCASTS else label
    if target.lower().startswith("mailto:"):
        return target[len("mailto:"):]
    if not label or _same_address(label, target) or LINKEDIN.fullmatch(target):
        return target  # the label only shows this address (or a LinkedIn profile's, which is the data)
    return label


def _same_address(label: str, target: str) -> bool:
    """Slack labels a pasted link with the address as typed: 'linkedin.com/in/jane' for https://linkedin.com/in/jane."""
    def bare(url: str) -> str:
        return re.sub(r"\A[a-z][a-z0-9+.-]*://", "", url.strip().lower()).rstrip("/")
    return bare(label) == bare(target)
