"""The App Home integration directory: which ATSs hirebot supports, which are connected, and the Add modal.

Every provider's entry, form fields and setup help come from its spec (adapters/<provider>/spec.py).

Views are pure functions of the connection service's data, so they are tested without Slack; the
listeners in bot/slack/connect.py publish them and read submissions back with `read_connect_form`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.spec import ConnectField, ProviderSpec
from bot.connections import ConnectionInfo
from bot.messages import Person
from bot.slack.blocks import (
    MAX_SECTION_TEXT,
    MAX_VIEW_BLOCKS,
    encode_metadata,
    escape_mrkdwn,
    fit_mrkdwn,
    has_formatting,
    mrkdwn,
    plain,
    truncate,
    untrusted_text,
)

ADD_ACTION = "hirebot.home.add"
REMOVE_ACTION = "hirebot.home.remove"
CONNECT_CALLBACK = "hirebot.connect"
SCOPE_BLOCK = "scope"
FIELD_BLOCK_PREFIX = "field."
INPUT_ACTION = "value"

MAX_MODAL_TITLE = 24
MAX_HINT = 2000
MAX_INPUT_LABEL = 2000
MAX_INPUT_VALUE = 3000


def slack_date(when: datetime) -> str:
    """A date Slack shows in each reader's own time zone, with a UTC fallback for old clients."""
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{plain_date(when)}>"


def plain_date(when: datetime) -> str:
    """The date where Slack parses no markup (and for old clients)."""
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _scope_label(info: ConnectionInfo) -> str:
    return "whole workspace" if info.scope == "org" else "just you"


def can_remove(info: ConnectionInfo, person: Person) -> bool:
    """Workspace-wide connections are removed by admins only; personal ones by their owner (the only viewer)."""
    return info.scope == "user" or person.is_admin


def _connection_block(info: ConnectionInfo, person: Person) -> dict[str, Any]:
    synced = slack_date(info.last_sync_at) if info.last_sync_at else "not yet"
    lines = [
        f"*{fit_mrkdwn(info.name, 200)}* · for {_scope_label(info)}",
        f"Last sync: {synced} · {info.candidate_count:,} candidates",
    ]
    if info.last_error:
        lines.append(f":warning: Last error: {fit_mrkdwn(info.last_error, 1500)}")
    text = mrkdwn(truncate("\n".join(lines), MAX_SECTION_TEXT))
    if has_formatting(info.name, info.last_error or ""):
        # The name and error are the user's and the ATS's words: plain_text shows their *, _, ~ and ` as typed.
        shown = [f"{truncate(info.name, 200)} · for {_scope_label(info)}",
                 f"Last sync: {plain_date(info.last_sync_at) if info.last_sync_at else 'not yet'} · "
                 f"{info.candidate_count:,} candidates"]
        if info.last_error:
            shown.append(f":warning: Last error: {truncate(info.last_error, 1500)}")
        text = plain("\n".join(shown), MAX_SECTION_TEXT)
    block: dict[str, Any] = {"type": "section", "block_id": f"connection.{info.id}", "text": text}
    if can_remove(info, person):
        block["accessory"] = {
            "type": "button", "action_id": REMOVE_ACTION, "value": str(info.id), "style": "danger",
            "text": plain("Remove", 75),
            "confirm": {
                "title": plain(f"Remove {info.label}?", 100),
                "text": plain("hirebot forgets these credentials and every candidate synced through them. "
                              "Nothing changes in the ATS itself.", 300),
                "confirm": plain("Remove", 30), "deny": plain("Keep", 30), "style": "danger",
            },
        }
    return block


def _provider_blocks(spec: ProviderSpec, connected: Sequence[ConnectionInfo], person: Person
                     ) -> list[dict[str, Any]]:
    if connected:
        status = f"Connected ({len(connected)})."
    elif spec.org_scope_allowed:
        status = "Not connected. An admin can connect it for the whole workspace, or you can add it for yourself."
    else:
        status = "Not connected. Add it for yourself."
    head: dict[str, Any] = {"type": "section", "block_id": f"provider.{spec.name}",
                            "text": mrkdwn(f"*{escape_mrkdwn(spec.label)}*\n{escape_mrkdwn(status)}")}
    head["accessory"] = {"type": "button", "action_id": ADD_ACTION, "value": spec.name,
                         "text": plain("Add", 75), "style": "primary"}
    return [head, *(_connection_block(info, person) for info in connected)]


def home_view(providers: Sequence[ProviderSpec], connections: Sequence[ConnectionInfo], person: Person
              ) -> dict[str, Any]:
    """The Home tab: every supported ATS with Add, and each visible connection with its sync state."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain("Applicant tracking systems", 150)},
        {"type": "section", "text": mrkdwn(
            "Connect the ATSs you use, then ask me about a candidate: send me a message like "
            "*who is Jane Doe*, mention me in a channel, or type `/hirebot who Jane Doe`.")},
        {"type": "context", "elements": [mrkdwn(
            "Candidate details are shown only to the person who asks. "
            "Workspace-wide connections are visible to everyone here; personal ones only to you.")]},
        {"type": "divider"},
    ]
    known = {spec.name for spec in providers}
    for spec in providers:
        blocks.extend(_provider_blocks(spec, [c for c in connections if c.provider == spec.name], person))
    others = [c for c in connections if c.provider not in known]
    blocks.extend(_connection_block(info, person) for info in others)
    if len(blocks) > MAX_VIEW_BLOCKS:
        blocks = [*blocks[: MAX_VIEW_BLOCKS - 1], {"type": "context", "elements": [mrkdwn(
            "There are more connections than fit on this page.")]}]
    return {"type": "home", "blocks": blocks}


# ---------------------------------------------------------------------------------------------- modal


def _modal(title: str, blocks: list[dict[str, Any]], *, metadata: dict[str, Any],
           submit: str | None = None, close: str = "Cancel") -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal", "callback_id": CONNECT_CALLBACK, "title": plain(title, MAX_MODAL_TITLE),
        "close": plain(close, MAX_MODAL_TITLE), "private_metadata": encode_metadata(metadata),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }
    if submit:
        view["submit"] = plain(submit, MAX_MODAL_TITLE)
    return view


def _input_element(form_field: ConnectField, value: str | None) -> dict[str, Any]:
    if form_field.choices:
        options = [{"text": plain(choice, 75), "value": choice} for choice in form_field.choices]
        element: dict[str, Any] = {"type": "static_select", "action_id": INPUT_ACTION, "options": options}
        if value in form_field.choices:
            element["initial_option"] = options[form_field.choices.index(value)]
        return element
    element = {"type": "plain_text_input", "action_id": INPUT_ACTION}
    if form_field.placeholder:
        element["placeholder"] = plain(form_field.placeholder, 150)
    if value and not form_field.secret:
        element["initial_value"] = value[:MAX_INPUT_VALUE]
    return element


def _input_block(form_field: ConnectField, value: str | None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input", "block_id": FIELD_BLOCK_PREFIX + form_field.name, "optional": not form_field.required,
        "label": plain(form_field.label, MAX_INPUT_LABEL), "element": _input_element(form_field, value),
    }
    hint = form_field.help
    if form_field.secret:
        hint = (hint + " " if hint else "") + "Stored encrypted; never shown again."
    if hint:
        block["hint"] = plain(hint, MAX_HINT)
    return block


def _scope_block(initial: str) -> dict[str, Any]:
    options = [
        {"text": plain("Everyone in this workspace", 75), "value": "org"},
        {"text": plain("Just me", 75), "value": "user"},
    ]
    return {"type": "input", "block_id": SCOPE_BLOCK, "label": plain("Connect for", 2000),
            "element": {"type": "radio_buttons", "action_id": INPUT_ACTION, "options": options,
                        "initial_option": options[0 if initial == "org" else 1]}}


def connect_modal(spec: ProviderSpec, *, allow_org: bool, error: str | None = None,
                  values: dict[str, str] | None = None, scope: str | None = None) -> dict[str, Any]:
    """The Add modal: provider help, one input per credential field, and (for admins) who it is for.

    After a refused validation it is shown again with the provider's error on top and the non-secret
    values kept, so only the secret has to be typed again.
    """
    values = values or {}
    blocks: list[dict[str, Any]] = []
    if error:
        blocks.append({"type": "section", "block_id": "error",
                       "text": untrusted_text(":warning: " + error, MAX_SECTION_TEXT)})
    if spec.help_text:
        blocks.append({"type": "section", "text": mrkdwn(fit_mrkdwn(spec.help_text, MAX_SECTION_TEXT))})
    blocks.extend(_input_block(f, values.get(f.name)) for f in spec.fields)
    if allow_org and spec.org_scope_allowed:
        blocks.append(_scope_block(scope or "org"))
    return _modal(f"Add {spec.label}", blocks, metadata={"provider": spec.name}, submit="Connect")


def checking_modal(spec: ProviderSpec) -> dict[str, Any]:
    """Shown while the credentials are checked against the ATS (that may take longer than Slack's 3 s)."""
    return _modal(f"Add {spec.label}", [{"type": "section", "text": mrkdwn(
        f":hourglass_flowing_sand: Checking the {escape_mrkdwn(spec.label)} credentials…")}],
        metadata={"provider": spec.name}, close="Close")


def connected_modal(spec: ProviderSpec, info: ConnectionInfo) -> dict[str, Any]:
    who = "everyone in this workspace" if info.scope == "org" else "you"
    text = (f":white_check_mark: {escape_mrkdwn(spec.label)} is connected for {who}. "
            "I'm fetching the candidates now and will message you when that's done.")
    return _modal(f"Add {spec.label}", [{"type": "section", "text": mrkdwn(text)}],
                  metadata={"provider": spec.name, "connection_id": info.id}, close="Done")


@dataclass(frozen=True)
class ConnectForm:
    """What the Add modal submitted."""

    provider: str
    scope: str
    values: dict[str, str]
    scope_offered: bool = False


def _state_value(entry: dict[str, Any]) -> str | None:
    if entry.get("selected_option"):
        return str(entry["selected_option"].get("value"))
    value = entry.get("value")
    return None if value is None else str(value)


def read_connect_form(view: dict[str, Any]) -> ConnectForm:
    """Provider, scope and field values from a view_submission's `view` (state values by block id)."""
    provider = str(json.loads(view.get("private_metadata") or "{}").get("provider", ""))
    state = (view.get("state") or {}).get("values") or {}
    values: dict[str, str] = {}
    scope = "user"
    for block_id, actions in state.items():
        value = _state_value(actions.get(INPUT_ACTION) or {})
        if block_id == SCOPE_BLOCK:
            scope = value or "user"
        elif block_id.startswith(FIELD_BLOCK_PREFIX) and value is not None:
            values[block_id[len(FIELD_BLOCK_PREFIX):]] = value.strip()
    return ConnectForm(provider=provider, scope=scope, values=values, scope_offered=SCOPE_BLOCK in state)


def blank_required_fields(spec: ProviderSpec, form: ConnectForm) -> dict[str, str]:
    """Slack's inline errors (block id -> message) for required fields left blank or only spaces."""
    return {FIELD_BLOCK_PREFIX + f.name: f"{f.label} is required." for f in spec.fields
            if f.required and not form.values.get(f.name)}
