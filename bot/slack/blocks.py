"""Block Kit rendering of the core's replies, with mrkdwn escaping and Slack's size limits.

Everything an ATS or a person gives us (names, titles, tags, file names) is untrusted: in mrkdwn it is
escaped so `<!channel>` or `<https://evil|click>` shows as text and pings no one, and every field is cut to
Slack's limits with an ellipsis so a huge value never makes Slack refuse the whole message. Slack has no
escape for its formatting characters (`*`, `_`, `~`, backticks), so a text object holding untrusted text
with any of them is drawn as plain_text, which Slack never parses (`untrusted_text`, `labelled_text`);
a link label loses them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.replies import Action, Card, Choice, Link, Reply
from bot.scheduling_chat import CANCEL, DISCARD, INTAKE_SET, INTAKE_TARGETS, RESCHEDULE, SEND

ELLIPSIS = "…"

# Block Kit limits (docs.slack.dev/reference/block-kit and slack_sdk.models validators).
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 2000
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ACTION_ID = 255
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_SELECT_OPTIONS = 100
MAX_PLACEHOLDER = 150
MAX_FALLBACK_TEXT = 3000

# At most this many choices are shown as one row each with a button; more become one select menu.
MAX_CHOICE_BUTTONS = 8


@dataclass(frozen=True)
class ChoiceWording:
    """How a list of choices reads: the row button, and the select menu's prompt, placeholder and overflow note."""

    button: str
    prompt: str
    placeholder: str
    overflow: str  # after "Showing N of M."


PEOPLE_WORDING = ChoiceWording("Show", "Pick the person you mean:", "Choose a person",
                               "Add more of the name to narrow it down.")
CHOICE_WORDING: dict[str | None, ChoiceWording] = {
    INTAKE_SET: ChoiceWording("Pick", "Pick where to add them:", "Choose an ATS and job",
                              "Only the first ones fit in one menu."),
}

# action_id prefixes the Slack listeners match on (bot/slack/app.py wires them).
PICK_PREFIX = "hirebot.pick."  # a choice between candidates: the answer replaces the question
DO_PREFIX = "hirebot.do."  # a command button on a card (e.g. schedule): the answer is a new message
LINK_PREFIX = "hirebot.link."  # URL buttons: Slack still sends a block_actions payload, which we only ack
EDIT_ACTION = "hirebot.schedule.edit"  # opens the pre-filled scheduling modal (bot/slack/schedule_edit.py)

PROPOSAL_KIND = "meeting_proposal"
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30

# Buttons that change a meeting the candidate already knows about ask first: one stray click emails them.
CONFIRMATIONS: dict[str, tuple[str, str, str]] = {
    RESCHEDULE: ("Offer new times?", "The candidate gets an email with new times to pick from, and the current "
                                     "time is released.", "Offer new times"),
    CANCEL: ("Cancel this meeting?", "The candidate and the other attendees get a cancellation email.",
             "Cancel meeting"),
}

_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")
_FORMATTING = re.compile(r"[*_~`]")  # mrkdwn's bold, italic, strike and code markers


def escape_mrkdwn(text: str) -> str:
    """Escape Slack's three control characters; `&` first so the other entities are not double-escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def fit_mrkdwn(text: str, limit: int) -> str:
    """Escape, then cut to `limit` without leaving half an entity such as `&am`."""
    escaped = escape_mrkdwn(text)
    if len(escaped) <= limit:
        return escaped
    cut = _ENTITY_TAIL.sub("", escaped[: max(0, limit - 1)])
    return cut.rstrip() + ELLIPSIS


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object: Slack does not parse markup in it, so it needs no escaping, only a length cap."""
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def mrkdwn(escaped_text: str) -> dict[str, Any]:
    """A mrkdwn object around text that is already escaped (or is our own trusted markup)."""
    return {"type": "mrkdwn", "text": escaped_text}


def has_formatting(*texts: str) -> bool:
    """Whether any of `texts` holds a character mrkdwn could read as formatting."""
    return any(_FORMATTING.search(text) for text in texts)


def untrusted_text(text: str, limit: int) -> dict[str, Any]:
    """A text object showing `text` exactly: escaped mrkdwn, or plain_text when it holds formatting markers."""
    if has_formatting(text):
        return plain(text, limit)
    return mrkdwn(fit_mrkdwn(text, limit))


def labelled_text(label: str, value: str, limit: int, *, label_limit: int = 200) -> dict[str, Any]:
    """A bold label over a value, or both as plain_text when either holds formatting markers."""
    if has_formatting(label, value):
        return plain(f"{truncate(label, label_limit)}\n{value}", limit)
    prefix = f"*{fit_mrkdwn(label, label_limit)}*\n"
    return mrkdwn(prefix + fit_mrkdwn(value, limit - len(prefix)))


def safe_url(url: str | None) -> str | None:
    """The URL when Slack can use it as a link (http/https, within limits), else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL:
        return None
    if any(ch.isspace() for ch in url):
        return None
    return url


def mrkdwn_link(url: str, label: str) -> str:
    """`<url|label>` with both parts neutralised: `|` and `>` in the URL cannot end the link early."""
    target = escape_mrkdwn(url).replace("|", "%7C")
    shown = _FORMATTING.sub("", label).strip() or "link"
    return f"<{target}|{escape_mrkdwn(shown)}>"


@dataclass(frozen=True)
class SlackMessage:
    """What a Web API call needs to post a reply: fallback text (escaped mrkdwn) and blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


# ---------------------------------------------------------------------------------------------- cards


def _button(label: str, action_id: str, *, value: str | None = None, url: str | None = None,
            primary: bool = False, confirm: dict[str, Any] | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": plain(label, MAX_BUTTON_TEXT),
                              "action_id": action_id[:MAX_ACTION_ID]}
    if value is not None:
        button["value"] = value[:MAX_BUTTON_VALUE]
    if url is not None:
        button["url"] = url
    if primary:
        button["style"] = "primary"
    if confirm is not None:
        button["confirm"] = confirm
    return button


def _confirmation(command: str | None) -> dict[str, Any] | None:
    """Slack's "are you sure?" dialog for commands that email the candidate, else None."""
    if command not in CONFIRMATIONS:
        return None
    title, text, yes = CONFIRMATIONS[command]
    return {"title": plain(title, MAX_CONFIRM_TITLE), "text": plain(text, MAX_CONFIRM_TEXT),
            "confirm": plain(yes, MAX_CONFIRM_BUTTON), "deny": plain("Keep it", MAX_CONFIRM_BUTTON)}


def action_buttons(actions: Sequence[Action], *, block_index: int = 0) -> list[dict[str, Any]]:
    """Buttons for a card's actions: URL buttons open the ATS, command buttons come back to the core."""
    buttons: list[dict[str, Any]] = []
    for i, action in enumerate(actions):
        url = safe_url(action.url)
        if url:
            buttons.append(_button(action.label, f"{LINK_PREFIX}{block_index}.{i}", url=url,
                                   primary=action.primary))
        elif action.command and action.value is not None:
            buttons.append(_button(action.label, f"{DO_PREFIX}{action.command}.{i}", value=action.value,
                                   primary=action.primary, confirm=_confirmation(action.command)))
    return buttons[:MAX_ACTIONS_ELEMENTS]


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _extra_links(card: Card) -> list[Link]:
    """Links that no URL button already covers (e.g. LinkedIn, a second attachment)."""
    button_urls = {a.url for a in card.actions if a.url}
    return [link for link in card.links if link.url not in button_urls and safe_url(link.url)]


def render_card(card: Card, *, index: int = 0) -> list[dict[str, Any]]:
    """One card as blocks: header, subtitle, fields, other links, context (source, sync time), buttons."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain(card.title or "(no name)", MAX_HEADER)}]
    if card.subtitle:
        blocks.append({"type": "section", "text": untrusted_text(card.subtitle, MAX_SECTION_TEXT)})
    fields = [f for f in card.fields if f.label or f.value]
    for chunk in _chunks(fields, MAX_FIELDS):
        blocks.append({"type": "section",
                       "fields": [labelled_text(f.label, f.value or "—", MAX_FIELD_TEXT) for f in chunk]})
    links = _extra_links(card)
    if links:
        text = " · ".join(mrkdwn_link(link.url, link.label) for link in links)
        if len(text) > MAX_SECTION_TEXT:
            kept: list[str] = []
            for link in links:
                piece = mrkdwn_link(link.url, link.label)
                if len(" · ".join([*kept, piece])) > MAX_SECTION_TEXT - 2:
                    break
                kept.append(piece)
            text = " · ".join(kept) + " " + ELLIPSIS
        blocks.append({"type": "section", "text": mrkdwn(text)})
    if card.context:
        blocks.append({"type": "context", "elements": [
            untrusted_text(line, MAX_CONTEXT_TEXT) for line in card.context[:MAX_CONTEXT_ELEMENTS]]})
    buttons = action_buttons(card.actions, block_index=index)
    if buttons:
        blocks.append({"type": "actions", "block_id": f"card.{index}.actions", "elements": buttons})
    return blocks


# -------------------------------------------------------------------------------------------- choices


def _choice_row(choice: Choice, i: int, wording: ChoiceWording) -> dict[str, Any]:
    label = choice.label
    if choice.description:
        text = labelled_text(label, choice.description, MAX_SECTION_TEXT, label_limit=500)
    else:
        text = plain(label, 500) if has_formatting(label) else mrkdwn(f"*{fit_mrkdwn(label, 500)}*")
    return {"type": "section", "text": text,
            "accessory": _button(wording.button, f"{PICK_PREFIX}{choice.command}.{i}", value=choice.value)}


def _option(choice: Choice) -> dict[str, Any]:
    option: dict[str, Any] = {"text": plain(choice.label, MAX_OPTION_TEXT), "value": choice.value[:MAX_OPTION_VALUE]}
    if choice.description:
        option["description"] = plain(choice.description, MAX_OPTION_TEXT)
    return option


def render_choices(choices: Sequence[Choice]) -> list[dict[str, Any]]:
    """A few choices as rows with a button each; many as one select menu (Slack allows 100 options).

    Every choice comes back to on_pick, which hands its command and value to the core."""
    if not choices:
        return []
    wording = CHOICE_WORDING.get(choices[0].command, PEOPLE_WORDING)
    if len(choices) <= MAX_CHOICE_BUTTONS:
        return [_choice_row(choice, i, wording) for i, choice in enumerate(choices)]
    command = choices[0].command
    shown = [c for c in choices if c.command == command][:MAX_SELECT_OPTIONS]
    blocks: list[dict[str, Any]] = [{
        "type": "section",
        "block_id": "choices",
        "text": mrkdwn(fit_mrkdwn(wording.prompt, MAX_SECTION_TEXT)),
        "accessory": {"type": "static_select", "action_id": f"{PICK_PREFIX}{command}.select",
                      "placeholder": plain(wording.placeholder, MAX_PLACEHOLDER),
                      "options": [_option(c) for c in shown]},
    }]
    if len(choices) > len(shown):
        blocks.append({"type": "context", "elements": [
            mrkdwn(f"Showing {len(shown)} of {len(choices)}. {fit_mrkdwn(wording.overflow, 500)}")]})
    return blocks


# --------------------------------------------------------------------------------------------- replies


def _cap_blocks(blocks: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    while kept and kept[-1].get("type") == "divider":
        kept.pop()
    kept.append({"type": "context", "elements": [mrkdwn("There is more than fits in one message; "
                                                        "ask about one person to see the rest.")]})
    return kept


def fallback_text(reply: Reply) -> str:
    """The notification / screen-reader text Slack shows where blocks are not rendered."""
    text = reply.text or (reply.cards[0].title if reply.cards else "")
    return fit_mrkdwn(text or "hirebot", MAX_FALLBACK_TEXT)


def is_proposal(reply: Reply) -> bool:
    """A meeting proposal from the core: a proposal card plus the draft its buttons carry."""
    return bool(reply.cards) and reply.cards[0].kind == PROPOSAL_KIND and isinstance(reply.extra.get("draft"), str)


PROPOSAL_COMMANDS = (SEND, INTAKE_TARGETS, DISCARD)  # the choices drawn as the proposal's own buttons


def proposal_buttons(reply: Reply) -> list[dict[str, Any]]:
    """Send (as proposed), Edit details (the modal), Change where to add them (someone in no ATS yet) and
    Don't send; the draft rides in the button values."""
    draft = str(reply.extra["draft"])
    if len(draft) > MAX_BUTTON_VALUE:
        return []  # a cut draft would be unreadable when it comes back
    buttons: list[dict[str, Any]] = []
    sends = [c for c in reply.choices if c.command == SEND]
    discards = [c for c in reply.choices if c.command == DISCARD]
    for choice in sends:
        buttons.append(_button(choice.label, f"{PICK_PREFIX}{SEND}.0", value=choice.value, primary=True))
    buttons.append(_button("Edit details", EDIT_ACTION, value=draft, primary=not sends))
    for choice in (c for c in reply.choices if c.command == INTAKE_TARGETS):
        # The list of ATSs and jobs replaces the proposal; picking one brings the new proposal back in its place.
        buttons.append(_button(choice.label, f"{PICK_PREFIX}{INTAKE_TARGETS}.1", value=choice.value))
    for choice in discards:
        # The core ignores the value of "don't send"; Slack wants one that is not empty.
        buttons.append(_button(choice.label, f"{PICK_PREFIX}{DISCARD}.2", value=choice.value or "-"))
    return buttons


def render_proposal(reply: Reply) -> SlackMessage:
    """The core's question, the proposed meeting, and its buttons (other choices, if any, after them)."""
    blocks: list[dict[str, Any]] = []
    if reply.text:
        blocks.append({"type": "section", "text": untrusted_text(reply.text, MAX_SECTION_TEXT)})
    blocks.extend(render_card(reply.cards[0]))
    buttons = proposal_buttons(reply)
    if buttons:
        blocks.append({"type": "actions", "block_id": "proposal.actions", "elements": buttons})
        hints = [c.description for c in reply.choices if c.command == SEND and c.description]
        if hints:
            blocks.append({"type": "context", "elements": [untrusted_text(hints[0], MAX_CONTEXT_TEXT)]})
    else:
        blocks.append({"type": "context", "elements": [mrkdwn(
            "This proposal is too long to carry on a button. Shorten the title, location or attendee list "
            "and ask again.")]})
    others = [c for c in reply.choices if c.command not in PROPOSAL_COMMANDS]
    if others:
        blocks.extend(render_choices(others))
    return SlackMessage(text=fallback_text(reply), blocks=_cap_blocks(blocks, MAX_MESSAGE_BLOCKS))


def render_reply(reply: Reply) -> SlackMessage:
    """The whole reply as one message: its text (when there is no card saying it), cards, then choices."""
    if is_proposal(reply):
        return render_proposal(reply)
    blocks: list[dict[str, Any]] = []
    if reply.text and not reply.cards:
        blocks.append({"type": "section", "text": untrusted_text(reply.text, MAX_SECTION_TEXT)})
    for i, card in enumerate(reply.cards):
        if i:
            blocks.append({"type": "divider"})
        blocks.extend(render_card(card, index=i))
    if reply.choices:
        blocks.extend(render_choices(reply.choices))
    return SlackMessage(text=fallback_text(reply), blocks=_cap_blocks(blocks, MAX_MESSAGE_BLOCKS))


def text_message(text: str) -> SlackMessage:
    """A short message of our own (apologies, sync reports) as escaped mrkdwn."""
    return SlackMessage(text=fit_mrkdwn(text, MAX_SECTION_TEXT),
                        blocks=[{"type": "section", "text": untrusted_text(text, MAX_SECTION_TEXT)}])


def encode_metadata(data: dict[str, Any]) -> str:
    """A view's private_metadata (≤3000 characters) as compact JSON."""
    encoded = json.dumps(data, separators=(",", ":"))
    if len(encoded) > 3000:
        raise ValueError("private_metadata over Slack's 3000-character limit")
    return encoded
