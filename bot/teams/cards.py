"""Adaptive Cards (schema 1.5, what Teams renders) for every reply the core gives, and hirebot's own cards:
the scheduling proposal and its "Edit details" form, organizer notices, the integration directory and its
connect forms.

Text from an ATS or a person is never parsed as markup: it goes into `TextRun`s of a `RichTextBlock`, which
Adaptive Cards show exactly as given (a `TextBlock` would read `**`, `[x](url)` and lists as markdown), and
any `<at>` in it is neutralised (bot/teams/markup.py). Links are only ever `Action.OpenUrl` buttons with a
checked http(s) URL. Buttons are `Action.Execute` (an `adaptiveCard/action` invoke carrying `verb` and
`data`), with an `Action.Submit` fallback for clients without Universal Actions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from adapters.spec import ConnectField, ProviderSpec
from bot.connections import ConnectionInfo
from bot.frontend.schedule_form import (
    DEFAULT_DURATION,
    DURATION_CHOICES,
    MAX_DURATION,
    MAX_EMAILS_TEXT,
    MAX_LOCATION,
    MAX_TITLE,
    MIN_DURATION,
    FormContext,
    IntakeChoices,
    ScheduleField,
    ScheduleForm,
)
from bot.messages import Person
from bot.replies import Action, Card, Choice, Reply
from bot.scheduling_chat import CANCEL, DISCARD, INTAKE_SET, INTAKE_TARGETS, RESCHEDULE, SEND
from bot.teams.markup import neutral_text

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"  # the newest Teams renders

ELLIPSIS = "…"
MAX_TEXT = 2000  # one run of text; cards stay far below Teams' ~100 KB message limit
MAX_TITLE_TEXT = 300
MAX_BUTTON_TITLE = 60
MAX_CARDS = 10
MAX_CHOICE_BUTTONS = 8  # more choices become one drop-down with a Show button
MAX_CHOICE_OPTIONS = 100
MAX_CARD_BYTES = 80_000  # Microsoft's recommended ceiling for one message
MAX_URL = 2048

# Verbs of the Action.Execute buttons; bot/teams/conversation.py dispatches on them.
PICK_VERB = "hirebot.pick"  # a choice: the answer replaces the card it was on
DO_VERB = "hirebot.do"  # a command button on a card (Schedule, Reschedule…): the answer is a new message
EDIT_VERB = "hirebot.edit"  # Edit details: the proposal card becomes the form
FORM_VERB = "hirebot.schedule"  # the form's Send request: checked field by field
DIRECTORY_VERB = "hirebot.directory"  # show the integration directory
CONNECT_FORM_VERB = "hirebot.connect.form"  # Add on a provider: its connect form
CONNECT_VERB = "hirebot.connect"  # the connect form's Connect
REMOVE_VERB = "hirebot.connection.remove"
VERBS = frozenset({PICK_VERB, DO_VERB, EDIT_VERB, FORM_VERB, DIRECTORY_VERB, CONNECT_FORM_VERB, CONNECT_VERB,
                   REMOVE_VERB})

PROPOSAL_KIND = "meeting_proposal"
PROPOSAL_COMMANDS = (SEND, INTAKE_TARGETS, DISCARD)
# Buttons that email the candidate ask first (a ShowCard holding the real button): one stray click emails them.
CONFIRMATIONS: dict[str, tuple[str, str]] = {
    RESCHEDULE: ("The candidate gets an email with new times to pick from, and the current time is released.",
                 "Offer new times"),
    CANCEL: ("The candidate and the other attendees get a cancellation email.", "Cancel meeting"),
}
CHOICE_PROMPTS: dict[str | None, str] = {INTAKE_SET: "Pick where to add them:"}
PEOPLE_PROMPT = "Pick the person you mean:"

# Input ids of the Edit details form, one per ScheduleField (the people picker is Slack's; Teams types emails).
FORM_FIELDS: dict[ScheduleField, str] = {
    ScheduleField.TITLE: "title", ScheduleField.DURATION: "duration", ScheduleField.FIRST_DAY: "first_day",
    ScheduleField.LAST_DAY: "last_day", ScheduleField.EMAILS: "emails", ScheduleField.LOCATION: "location",
    ScheduleField.TARGET: "add_to", ScheduleField.LINKEDIN: "linkedin", ScheduleField.PEOPLE: "emails",
}
SCOPE_INPUT = "scope"
FIELD_INPUT_PREFIX = "field."


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def safe_url(url: str | None) -> str | None:
    """The URL when it may be a button's target (http/https, no spaces, within limits), else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL:
        return None
    if any(ch.isspace() or ch in "<>\"" for ch in url):
        return None
    return url


# ------------------------------------------------------------------------------------------ elements


def run(text: str, *, limit: int = MAX_TEXT, **style: Any) -> dict[str, Any]:
    """A TextRun: shown as given, never read as markdown."""
    return {"type": "TextRun", "text": truncate(neutral_text(text), limit), **style}


def rich(*runs: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": list(runs), **props}


BLOCK_PROPS = frozenset({"spacing", "separator", "horizontalAlignment", "id", "isVisible"})


def text(value: str, *, limit: int = MAX_TEXT, **style: Any) -> dict[str, Any]:
    """One paragraph of untrusted (or our own) text; `style` holds TextRun and block properties."""
    block = {key: style.pop(key) for key in list(style) if key in BLOCK_PROPS}
    return rich(run(value, limit=limit, **style), **block)


def labelled(label: str, value: str) -> dict[str, Any]:
    """A bold label over its value, as one block."""
    return rich(run(label, limit=200, weight="Bolder"), run("\n" + (value or "—")), spacing="Small")


def problem_text(value: str) -> dict[str, Any]:
    return text("⚠ " + value, color="Attention", spacing="None")


def execute(title: str, verb: str, data: dict[str, Any], *, primary: bool = False) -> dict[str, Any]:
    """A button that comes back as an `adaptiveCard/action` invoke (or, on old clients, a message with
    `value`: the Action.Submit fallback carries the verb in its data)."""
    action: dict[str, Any] = {"type": "Action.Execute", "title": truncate(title, MAX_BUTTON_TITLE) or "OK",
                              "verb": verb, "data": data}
    if primary:
        action["style"] = "positive"
    action["fallback"] = {"type": "Action.Submit", "title": action["title"], "data": {**data, "verb": verb}}
    return action


def open_url(title: str, url: str) -> dict[str, Any]:
    return {"type": "Action.OpenUrl", "title": truncate(title, MAX_BUTTON_TITLE) or "Open", "url": url}


def confirm(title: str, sentence: str, button: dict[str, Any]) -> dict[str, Any]:
    """A button that first shows what it will do, with the real button under it."""
    return {"type": "Action.ShowCard", "title": truncate(title, MAX_BUTTON_TITLE),
            "card": {"type": "AdaptiveCard", "body": [text(sentence)], "actions": [button]}}


def command_data(command: str, value: str) -> dict[str, Any]:
    return {"command": command, "value": value}


def adaptive_card(body: list[dict[str, Any]], actions: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": CARD_VERSION,
                            "body": body or [text(" ")]}
    if actions:
        card["actions"] = list(actions)
    return card


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CARD_CONTENT_TYPE, "content": card}


def message(card: dict[str, Any], *, summary: str = "") -> dict[str, Any]:
    """A message activity carrying one Adaptive Card (`summary` is what notifications show)."""
    activity: dict[str, Any] = {"type": "message", "attachments": [attachment(card)]}
    if summary:
        activity["summary"] = truncate(neutral_text(summary), 200)
    return activity


# --------------------------------------------------------------------------------------------- cards


def card_actions(actions: Sequence[Action]) -> list[dict[str, Any]]:
    """URL buttons open the ATS; command buttons come back to the core as new messages."""
    drawn: list[dict[str, Any]] = []
    for action in actions:
        url = safe_url(action.url)
        if url:
            drawn.append(open_url(action.label, url))
        elif action.command and action.value is not None:
            button = execute(action.label, DO_VERB, command_data(action.command, action.value),
                             primary=action.primary)
            if action.command in CONFIRMATIONS:
                sentence, yes = CONFIRMATIONS[action.command]
                button = confirm(action.label, sentence, {**button, "title": yes})
            drawn.append(button)
    return drawn


def card_body(card: Card) -> list[dict[str, Any]]:
    """One card: title, subtitle, fields, other links, freshness lines and buttons, in a container."""
    items: list[dict[str, Any]] = [text(card.title or "(no name)", limit=MAX_TITLE_TEXT, size="Large",
                                        weight="Bolder")]
    if card.subtitle:
        items.append(text(card.subtitle, isSubtle=True, spacing="None"))
    for field in card.fields:
        if field.label or field.value:
            items.append(labelled(field.label, field.value))
    button_urls = {a.url for a in card.actions if a.url}
    extra = [link for link in card.links if link.url not in button_urls and safe_url(link.url)]
    for line in card.context:
        items.append(text(line, isSubtle=True, size="Small"))
    buttons = card_actions(card.actions) + [open_url(link.label, str(safe_url(link.url))) for link in extra]
    if buttons:
        items.append({"type": "ActionSet", "actions": buttons})
    return [{"type": "Container", "separator": True, "items": items}]


def choice_body(choices: Sequence[Choice]) -> list[dict[str, Any]]:
    """A few choices as a button each (under their label and description); many as one drop-down."""
    if not choices:
        return []
    command = choices[0].command
    prompt = CHOICE_PROMPTS.get(command, PEOPLE_PROMPT)
    if len(choices) <= MAX_CHOICE_BUTTONS:
        rows: list[dict[str, Any]] = []
        for choice in choices:
            label = run(choice.label, limit=500, weight="Bolder")
            runs = [label, run("\n" + choice.description)] if choice.description else [label]
            rows.append({"type": "ColumnSet", "separator": True, "columns": [
                {"type": "Column", "width": "stretch", "items": [rich(*runs)]},
                {"type": "Column", "width": "auto", "verticalContentAlignment": "Center", "items": [
                    {"type": "ActionSet", "actions": [
                        execute("Pick" if command == INTAKE_SET else "Show", PICK_VERB,
                                command_data(choice.command, choice.value))]}]}]})
        return rows
    shown = [c for c in choices if c.command == command][:MAX_CHOICE_OPTIONS]
    body: list[dict[str, Any]] = [
        text(prompt),
        {"type": "Input.ChoiceSet", "id": "choice", "style": "compact", "isRequired": True,
         "errorMessage": "Pick one first.",
         "choices": [{"title": truncate(neutral_text(c.label), 200), "value": c.value} for c in shown]},
        {"type": "ActionSet", "actions": [execute("Show", PICK_VERB, {"command": command})]},
    ]
    if len(choices) > len(shown):
        body.append(text(f"Showing {len(shown)} of {len(choices)}.", isSubtle=True))
    return body


def is_proposal(reply: Reply) -> bool:
    """A meeting proposal from the core: a proposal card plus the draft its buttons carry."""
    return bool(reply.cards) and reply.cards[0].kind == PROPOSAL_KIND and isinstance(reply.extra.get("draft"), str)


def proposal_actions(reply: Reply) -> list[dict[str, Any]]:
    """Send (as proposed), Edit details (the form card, in place), where to add someone in no ATS yet, and
    Don't send; the draft rides in the buttons' data."""
    draft = str(reply.extra["draft"])
    actions: list[dict[str, Any]] = []
    sends = [c for c in reply.choices if c.command == SEND]
    for choice in sends:
        actions.append(execute(choice.label, PICK_VERB, command_data(SEND, choice.value), primary=True))
    actions.append(execute("Edit details", EDIT_VERB, {"draft": draft}, primary=not sends))
    for choice in (c for c in reply.choices if c.command == INTAKE_TARGETS):
        actions.append(execute(choice.label, PICK_VERB, command_data(INTAKE_TARGETS, choice.value)))
    for choice in (c for c in reply.choices if c.command == DISCARD):
        actions.append(execute(choice.label, PICK_VERB, command_data(DISCARD, choice.value or "-")))
    return actions


def reply_card(reply: Reply) -> dict[str, Any]:
    """The whole reply as one Adaptive Card: its text, its cards, its choices (a proposal with its buttons)."""
    body: list[dict[str, Any]] = []
    # A lone candidate card says who it is ("Here's Jane Doe." would only repeat it); other replies say more.
    if reply.text and not (len(reply.cards) == 1 and reply.cards[0].kind == "candidate"):
        body.append(text(reply.text))
    for card in reply.cards[:MAX_CARDS]:
        body.extend(card_body(card))
    if len(reply.cards) > MAX_CARDS:
        body.append(text(f"And {len(reply.cards) - MAX_CARDS} more; ask about one to see it.", isSubtle=True))
    actions: list[dict[str, Any]] = []
    if is_proposal(reply):
        actions = proposal_actions(reply)
        hints = [c.description for c in reply.choices if c.command == SEND and c.description]
        if hints:
            body.append(text(hints[0], isSubtle=True, size="Small"))
        body.extend(choice_body([c for c in reply.choices if c.command not in PROPOSAL_COMMANDS]))
    else:
        body.extend(choice_body(reply.choices))
    return fit(adaptive_card(body, actions))


def fit(card: dict[str, Any]) -> dict[str, Any]:
    """Drop trailing body elements until the card is within the message size Teams takes, and say so."""
    body = card["body"]
    if _size(card) <= MAX_CARD_BYTES:
        return card
    while len(body) > 1 and _size(card) > MAX_CARD_BYTES - 200:
        body.pop()
    body.append(text("There is more than fits in one message; ask about one person to see the rest.",
                     isSubtle=True))
    return card


def _size(card: dict[str, Any]) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode())


def reply_message(reply: Reply) -> dict[str, Any]:
    return message(reply_card(reply), summary=reply.text or (reply.cards[0].title if reply.cards else ""))


def note_card(value: str) -> dict[str, Any]:
    """A short message of hirebot's own (apologies, sync reports, "sent to your chat")."""
    return adaptive_card([text(value)])


def note_message(value: str) -> dict[str, Any]:
    return message(note_card(value), summary=value)


def notice_card(value: str, meeting_id: int, *, with_buttons: bool) -> dict[str, Any]:
    """A meeting notice to its organizer, with Reschedule and Cancel (each asking first) while it is open."""
    actions = card_actions((Action("Reschedule", command=RESCHEDULE, value=str(meeting_id)),
                            Action("Cancel", command=CANCEL, value=str(meeting_id)))) if with_buttons else []
    return adaptive_card([text(value)], actions)


# ------------------------------------------------------------------------------- the Edit details form


def _text_input(input_id: str, label: str, value: str, limit: int, *, multiline: bool = False,
                placeholder: str = "", required: bool = False, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "Input.Text", "id": input_id, "label": label, "maxLength": limit,
                               "isMultiline": multiline, "value": truncate(value, limit)}
    if placeholder:
        element["placeholder"] = placeholder
    if required:
        element["isRequired"] = True
        element["errorMessage"] = f"{label} is required."
    if style:
        element["style"] = style
    return element


def _duration_input(current: int | None) -> dict[str, Any]:
    current = current or DEFAULT_DURATION
    minutes = sorted(set(DURATION_CHOICES) | ({current} if MIN_DURATION <= current <= MAX_DURATION else set()))
    return {"type": "Input.ChoiceSet", "id": FORM_FIELDS[ScheduleField.DURATION], "label": "Length",
            "style": "compact", "value": str(current),
            "choices": [{"title": f"{m} min", "value": str(m)} for m in minutes]}


def _date_input(input_id: str, label: str, day: Any) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "Input.Date", "id": input_id, "label": label}
    if day is not None:
        element["value"] = day.isoformat()
    return element


def _target_input(intake: IntakeChoices, selected: str | None) -> dict[str, Any] | None:
    targets = list(intake.targets)
    if intake.current is not None and intake.current.value not in {t.value for t in targets}:
        targets.insert(0, intake.current)
    if not targets:
        return None
    element: dict[str, Any] = {"type": "Input.ChoiceSet", "id": FORM_FIELDS[ScheduleField.TARGET],
                               "label": "Add to", "style": "compact",
                               "choices": [{"title": truncate(neutral_text(t.label), 200), "value": t.value}
                                           for t in targets[:MAX_CHOICE_OPTIONS]]}
    if selected is not None:
        element["value"] = selected
    return element


def schedule_form_card(form: ScheduleForm, context: FormContext, *, intake: IntakeChoices | None = None,
                       problems: dict[ScheduleField, str] | None = None, error: str | None = None
                       ) -> dict[str, Any]:
    """The Edit details form, pre-filled; each field's problem (if any) right under it, `error` on top.
    The draft and zone ride in the Send button's data, so nothing is kept on the server."""
    problems = problems or {}
    draft = context.draft
    who = draft.name or draft.email or "the candidate"
    body: list[dict[str, Any]] = []
    if error:
        body.append(problem_text(error))
    body.append(rich(run("Interview with "), run(who, limit=300, weight="Bolder"),
                     *([run(f" ({draft.email})", limit=330)] if draft.email and draft.name else [])))

    def add(element: dict[str, Any], field: ScheduleField) -> None:
        body.append(element)
        if field in problems:
            body.append(problem_text(problems[field]))

    add(_text_input(FORM_FIELDS[ScheduleField.TITLE], "Title", form.title, MAX_TITLE, required=True),
        ScheduleField.TITLE)
    add(_duration_input(form.duration), ScheduleField.DURATION)
    add(_date_input(FORM_FIELDS[ScheduleField.FIRST_DAY], "Search from", form.first_day), ScheduleField.FIRST_DAY)
    add(_date_input(FORM_FIELDS[ScheduleField.LAST_DAY], "Search until (last day)", form.last_day),
        ScheduleField.LAST_DAY)
    body.append(text(f"Days in your time zone, {context.zone}. I offer times within everyone's working hours.",
                     isSubtle=True, size="Small", spacing="None"))
    add(_text_input(FORM_FIELDS[ScheduleField.EMAILS], "More interviewers by email", form.emails, MAX_EMAILS_TEXT,
                    multiline=True, placeholder="alex@example.com, sam@example.com"), ScheduleField.EMAILS)
    if ScheduleField.PEOPLE in problems:
        body.append(problem_text(problems[ScheduleField.PEOPLE]))
    add(_text_input(FORM_FIELDS[ScheduleField.LOCATION], "Location", form.location, MAX_LOCATION,
                    placeholder="Video link, phone number or address"), ScheduleField.LOCATION)
    if intake is not None and draft.intake_id is not None:
        target = _target_input(intake, form.target)
        if target is not None:
            add(target, ScheduleField.TARGET)
            body.append(text(f"{who} isn't in your ATS yet. When they book, I add them here, tagged "
                             "\u201chirebot\u201d.", isSubtle=True, size="Small", spacing="None"))
        add(_text_input(FORM_FIELDS[ScheduleField.LINKEDIN], "LinkedIn profile", form.linkedin or "", 500,
                        placeholder="https://www.linkedin.com/in/\u2026", style="Url"), ScheduleField.LINKEDIN)
    body.append(text("You are always invited, and so is the job's hiring manager when the ATS names one.",
                     isSubtle=True, size="Small"))
    state = {"draft": draft.to_dict(), "tz": context.zone}
    return adaptive_card(body, [execute("Send request", FORM_VERB, state, primary=True)])


# ---------------------------------------------------------------------------- the integration directory


def _scope_label(info: ConnectionInfo) -> str:
    return "whole workspace" if info.scope == "org" else "just you"


def _connection_items(info: ConnectionInfo, person: Person) -> list[dict[str, Any]]:
    synced = info.last_sync_at.strftime("%Y-%m-%d %H:%M UTC") if info.last_sync_at else "not yet"
    items: list[dict[str, Any]] = [
        rich(run(info.name, limit=200, weight="Bolder"), run(f" · for {_scope_label(info)}")),
        text(f"Last sync: {synced} · {info.candidate_count:,} candidates", isSubtle=True, spacing="None"),
    ]
    if info.last_error:
        items.append(problem_text(f"Last error: {truncate(info.last_error, 1500)}"))
    if info.scope == "user" or person.is_admin:
        remove = execute("Remove", REMOVE_VERB, {"connection_id": info.id})
        items.append({"type": "ActionSet", "actions": [confirm(
            "Remove", "hirebot forgets these credentials and every candidate synced through them. Nothing "
                      "changes in the ATS itself.", {**remove, "title": f"Remove {truncate(info.label, 40)}"})]})
    return items


def directory_card(providers: Sequence[ProviderSpec], connections: Sequence[ConnectionInfo], person: Person,
                   *, note: str | None = None) -> dict[str, Any]:
    """Every ATS hirebot supports with Add, and each connection this person can see with its sync state."""
    body: list[dict[str, Any]] = []
    if note:
        body.append(text(note, weight="Bolder"))
    body += [
        text("Applicant tracking systems", size="Large", weight="Bolder"),
        text("Connect the ATSs you use, then ask me about a candidate: \u201cwho is Jane Doe\u201d here, or "
             "mention me in a channel."),
        text("Candidate details are shown only to the person who asks. Workspace-wide connections are visible "
             "to everyone here; personal ones only to you.", isSubtle=True, size="Small"),
    ]
    known = {spec.name for spec in providers}
    for spec in providers:
        connected = [c for c in connections if c.provider == spec.name]
        if connected:
            status = f"Connected ({len(connected)})."
        elif spec.org_scope_allowed:
            status = "Not connected. An admin can connect it for the whole workspace, or you can add it for yourself."
        else:
            status = "Not connected. Add it for yourself."
        items: list[dict[str, Any]] = [{"type": "ColumnSet", "columns": [
            {"type": "Column", "width": "stretch", "items": [
                rich(run(spec.label, weight="Bolder"), run("\n" + status))]},
            {"type": "Column", "width": "auto", "verticalContentAlignment": "Center", "items": [
                {"type": "ActionSet", "actions": [execute("Add", CONNECT_FORM_VERB, {"provider": spec.name})]}]},
        ]}]
        for info in connected:
            items.extend(_connection_items(info, person))
        body.append({"type": "Container", "separator": True, "items": items})
    for info in (c for c in connections if c.provider not in known):
        body.append({"type": "Container", "separator": True, "items": _connection_items(info, person)})
    return fit(adaptive_card(body))


def _connect_input(form_field: ConnectField, value: str | None) -> dict[str, Any]:
    input_id = FIELD_INPUT_PREFIX + form_field.name
    label = form_field.label + ("" if form_field.required else " (optional)")
    if form_field.choices:
        element: dict[str, Any] = {"type": "Input.ChoiceSet", "id": input_id, "label": label, "style": "compact",
                                   "choices": [{"title": c, "value": c} for c in form_field.choices]}
        if value in form_field.choices:
            element["value"] = value
    else:
        element = {"type": "Input.Text", "id": input_id, "label": label, "maxLength": 3000}
        if form_field.secret:
            element["style"] = "Password"
        elif form_field.url:
            element["style"] = "Url"
        if form_field.placeholder:
            element["placeholder"] = form_field.placeholder
        if value and not form_field.secret:
            element["value"] = value[:3000]
    if form_field.required:
        element["isRequired"] = True
        element["errorMessage"] = f"{form_field.label} is required."
    return element


@dataclass(frozen=True)
class ConnectSubmission:
    """What a connect form sent back."""

    provider: str
    scope: str
    values: dict[str, str]
    scope_offered: bool = False


def connect_form_card(spec: ProviderSpec, *, allow_org: bool, error: str | None = None,
                      values: dict[str, str] | None = None, scope: str | None = None,
                      blanks: Sequence[str] = ()) -> dict[str, Any]:
    """The connect form for one ATS: its help text, one input per connect field, and (for admins) who it is
    for. Shown again after a refusal with the reason on top and the non-secret values kept."""
    values = values or {}
    body: list[dict[str, Any]] = [text(f"Connect {spec.label}", size="Large", weight="Bolder")]
    if error:
        body.append(problem_text(error))
    if spec.help_text:
        body.append(text(spec.help_text, limit=4000))
    for form_field in spec.fields:
        body.append(_connect_input(form_field, values.get(form_field.name)))
        hint = form_field.help + (" Stored encrypted; never shown again." if form_field.secret else "")
        if hint.strip():
            body.append(text(hint.strip(), isSubtle=True, size="Small", spacing="None"))
        if form_field.name in blanks:
            body.append(problem_text(f"{form_field.label} is required."))
    offered = allow_org and spec.org_scope_allowed
    if offered:
        body.append({"type": "Input.ChoiceSet", "id": SCOPE_INPUT, "label": "Connect for", "style": "expanded",
                     "value": scope or "org", "choices": [{"title": "Everyone in this workspace", "value": "org"},
                                                           {"title": "Just me", "value": "user"}]})
    data = {"provider": spec.name, "scope_offered": offered}
    return adaptive_card(body, [execute("Connect", CONNECT_VERB, data, primary=True),
                                execute("Back", DIRECTORY_VERB, {})])


def read_connect_submission(data: dict[str, Any]) -> ConnectSubmission:
    """Provider, scope and field values from a connect form's action data (inputs merged in)."""
    values = {key[len(FIELD_INPUT_PREFIX):]: str(value).strip() for key, value in data.items()
              if key.startswith(FIELD_INPUT_PREFIX) and value is not None}
    scope = str(data.get(SCOPE_INPUT) or "user")
    return ConnectSubmission(provider=str(data.get("provider") or ""), scope=scope if scope in ("org", "user")
                             else "user", values=values, scope_offered=bool(data.get("scope_offered")))


def blank_required(spec: ProviderSpec, submission: ConnectSubmission) -> list[str]:
    return [f.name for f in spec.fields if f.required and not submission.values.get(f.name)]
