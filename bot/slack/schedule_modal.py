"""The "Edit details" form of a meeting proposal drawn as a Slack modal, and read back when submitted.

The form itself (fields, checks, the draft it makes) is bot/frontend/schedule_form.py; here each
`ScheduleField` is a Block Kit input block, and the draft and zone ride in the view's private_metadata.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.frontend.schedule_draft import UNREADABLE_DRAFT, DraftError, ScheduleDraft
from bot.frontend.schedule_form import (
    DEFAULT_DURATION,
    DURATION_CHOICES,
    MAX_DURATION,
    MAX_EMAILS_TEXT,
    MAX_LOCATION,
    MAX_PICKED_PEOPLE,
    MAX_TITLE,
    MIN_DURATION,
    FormContext,
    IntakeChoices,
    ScheduleField,
    ScheduleForm,
    form_problems,
)
from bot.intake import IntakeTarget
from bot.slack.blocks import (
    encode_metadata,
    fit_mrkdwn,
    has_formatting,
    mrkdwn,
    plain,
    text_message,
    truncate,
    untrusted_text,
)

SCHEDULE_CALLBACK = "hirebot.schedule.modal"
INPUT_ACTION = "value"
TITLE_BLOCK = "title"
DURATION_BLOCK = "duration"
FIRST_DAY_BLOCK = "first_day"
LAST_DAY_BLOCK = "last_day"
PEOPLE_BLOCK = "people"
EMAILS_BLOCK = "emails"
LOCATION_BLOCK = "location"
TARGET_BLOCK = "add_to"
LINKEDIN_BLOCK = "linkedin"
# The input block that shows each field of the form (and its problem, if any).
FIELD_BLOCKS: dict[ScheduleField, str] = {
    ScheduleField.TITLE: TITLE_BLOCK, ScheduleField.DURATION: DURATION_BLOCK,
    ScheduleField.FIRST_DAY: FIRST_DAY_BLOCK, ScheduleField.LAST_DAY: LAST_DAY_BLOCK,
    ScheduleField.PEOPLE: PEOPLE_BLOCK, ScheduleField.EMAILS: EMAILS_BLOCK, ScheduleField.LOCATION: LOCATION_BLOCK,
    ScheduleField.TARGET: TARGET_BLOCK, ScheduleField.LINKEDIN: LINKEDIN_BLOCK,
}

MAX_TARGET_OPTIONS = 100  # Slack's limit for one select menu, across its option groups
MAX_OPTION_TEXT = 75  # option text and option group label
MODAL_TITLE = "Schedule an interview"  # Slack allows 24 characters


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           hint: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "label": plain(label, 2000),
                             "element": {"action_id": INPUT_ACTION, **element}, "optional": optional}
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _text_input(value: str, limit: int, *, multiline: bool = False, placeholder: str | None = None
                ) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": limit, "multiline": multiline}
    if value:
        element["initial_value"] = truncate(value, limit)
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return element


def _duration_option(minutes: int) -> dict[str, Any]:
    return {"text": plain(f"{minutes} min", 75), "value": str(minutes)}


def _duration_select(current: int | None) -> dict[str, Any]:
    current = current or DEFAULT_DURATION
    choices = sorted(set(DURATION_CHOICES) | ({current} if MIN_DURATION <= current <= MAX_DURATION else set()))
    element: dict[str, Any] = {"type": "static_select", "options": [_duration_option(m) for m in choices]}
    if current in choices:
        element["initial_option"] = _duration_option(current)
    return element


def _date_picker(day: date | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker"}
    if day is not None:
        element["initial_date"] = day.isoformat()
    return element


def _target_option(target: IntakeTarget) -> dict[str, Any]:
    text = target.job_name or "No job (add as a prospect)"
    return {"text": plain(text, MAX_OPTION_TEXT), "value": target.value}


def target_select(intake: IntakeChoices, selected: str | None) -> dict[str, Any] | None:
    """A static_select of the ATSs (as option groups) and their open jobs; None when there is nowhere to add.

    The current target is always among the options, so Slack can show it pre-selected."""
    targets = list(intake.targets)
    if intake.current is not None and intake.current.value not in {t.value for t in targets}:
        targets.insert(0, intake.current)  # e.g. a job past the listed ones
    groups: dict[int, tuple[str, list[dict[str, Any]]]] = {}
    chosen: dict[str, Any] | None = None
    for target in targets[:MAX_TARGET_OPTIONS]:
        option = _target_option(target)
        groups.setdefault(target.connection_id, (target.where, []))[1].append(option)
        if target.value == selected:
            chosen = option
    if not groups:
        return None
    element: dict[str, Any] = {"type": "static_select", "placeholder": plain("Choose an ATS and job", 150),
                               "option_groups": [{"label": plain(label, MAX_OPTION_TEXT), "options": options}
                                                 for label, options in groups.values()]}
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def _intake_blocks(form: ScheduleForm, who: str, intake: IntakeChoices) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    select = target_select(intake, form.target)
    if select is not None:
        blocks.append(_input(TARGET_BLOCK, "Add to", select,
                             hint=f"{who} isn't in your ATS yet. When they book, I add them here, tagged "
                                  "\u201chirebot\u201d."))
    url: dict[str, Any] = {"type": "url_text_input",
                           "placeholder": plain("https://www.linkedin.com/in/\u2026", 150)}
    if form.linkedin:
        url["initial_value"] = form.linkedin
    blocks.append(_input(LINKEDIN_BLOCK, "LinkedIn profile", url, optional=True))
    return blocks


def schedule_modal(form: ScheduleForm, context: FormContext, *, intake: IntakeChoices | None = None,
                   error: str | None = None) -> dict[str, Any]:
    """The pre-filled modal; `error` (e.g. from sending) is shown above the fields, which keep their values.
    With `intake` (someone in no ATS yet), it also asks where to add them and for their LinkedIn profile.

    Raises ValueError when the draft is too large for Slack's private_metadata.
    """
    draft = context.draft
    who = draft.name or draft.email or "the candidate"
    intro = mrkdwn(f"Interview with *{fit_mrkdwn(who, 300)}*" + (f" ({fit_mrkdwn(draft.email, 320)})" if draft.email
                                                                 else ""))
    if has_formatting(who, draft.email or ""):  # a name is the ATS's words: plain_text shows its *, _, ~ and ` as typed
        intro = plain(f"Interview with {who}" + (f" ({draft.email})" if draft.email else ""), 700)
    blocks: list[dict[str, Any]] = []
    if error:
        blocks.append({"type": "section", "block_id": "error",
                       "text": untrusted_text(":warning: " + error, 2900)})
    people: dict[str, Any] = {"type": "multi_users_select", "max_selected_items": MAX_PICKED_PEOPLE,
                              "placeholder": plain("Choose colleagues", 150)}
    if form.people:
        people["initial_users"] = list(form.people[:MAX_PICKED_PEOPLE])
    blocks += [
        {"type": "section", "block_id": "candidate", "text": intro},
        _input(TITLE_BLOCK, "Title", _text_input(form.title, MAX_TITLE)),
        _input(DURATION_BLOCK, "Length", _duration_select(form.duration)),
        _input(FIRST_DAY_BLOCK, "Search from", _date_picker(form.first_day)),
        _input(LAST_DAY_BLOCK, "Search until (last day)", _date_picker(form.last_day),
               hint=f"Days in your time zone, {context.zone}. I offer times within everyone's working hours."),
        _input(PEOPLE_BLOCK, "More interviewers from Slack", people, optional=True),
        _input(EMAILS_BLOCK, "More interviewers by email", _text_input(
            form.emails, MAX_EMAILS_TEXT, multiline=True, placeholder="alex@example.com, sam@example.com"),
            optional=True),
        _input(LOCATION_BLOCK, "Location", _text_input(
            form.location, MAX_LOCATION, placeholder="Video link, phone number or address"), optional=True),
    ]
    if intake is not None and draft.intake_id is not None:
        blocks += _intake_blocks(form, draft.name or draft.email or "They", intake)
    blocks.append({"type": "context", "elements": [mrkdwn(
        "You are always invited, and so is the job's hiring manager when the ATS names one.")]})
    metadata = encode_metadata({"draft": draft.to_dict(), "tz": context.zone})
    return {"type": "modal", "callback_id": SCHEDULE_CALLBACK, "title": plain(MODAL_TITLE, 24),
            "submit": plain("Send request", 24), "close": plain("Cancel", 24), "private_metadata": metadata,
            "blocks": blocks}


def notice_modal(text: str) -> dict[str, Any]:
    """A modal that only says something (sending…, sent, or why the form can't be shown)."""
    return {"type": "modal", "callback_id": SCHEDULE_CALLBACK, "title": plain(MODAL_TITLE, 24),
            "close": plain("Close", 24), "blocks": text_message(text).blocks}


def sending_modal() -> dict[str, Any]:
    return notice_modal("Finding free times and sending the request\u2026")


def read_schedule_form(view: Mapping[str, Any]) -> tuple[ScheduleForm, FormContext]:
    """The submitted form and the context it was opened with; DraftError when the metadata is unreadable."""
    try:
        meta = json.loads(str(view.get("private_metadata") or ""))
        zone = str(ZoneInfo(str(meta["tz"])))  # an unknown zone makes the form unreadable too
        context = FormContext(draft=ScheduleDraft.from_dict(meta["draft"]), zone=zone)
    except (ValueError, TypeError, KeyError, AttributeError, ZoneInfoNotFoundError):
        raise DraftError(UNREADABLE_DRAFT) from None
    values = (view.get("state") or {}).get("values") or {}

    def element(block_id: str) -> Mapping[str, Any]:
        return (values.get(block_id) or {}).get(INPUT_ACTION) or {}

    duration = (element(DURATION_BLOCK).get("selected_option") or {}).get("value")
    form = ScheduleForm(
        title=str(element(TITLE_BLOCK).get("value") or "").strip(),
        duration=_int_or_none(duration),
        first_day=_date_or_none(element(FIRST_DAY_BLOCK).get("selected_date")),
        last_day=_date_or_none(element(LAST_DAY_BLOCK).get("selected_date")),
        people=tuple(str(u) for u in element(PEOPLE_BLOCK).get("selected_users") or ()),
        emails=str(element(EMAILS_BLOCK).get("value") or "").strip(),
        location=str(element(LOCATION_BLOCK).get("value") or "").strip(),
        target=((element(TARGET_BLOCK).get("selected_option") or {}).get("value") or None
                if TARGET_BLOCK in values else None),
        linkedin=str(element(LINKEDIN_BLOCK).get("value") or "").strip() if LINKEDIN_BLOCK in values else None,
    )
    return form, context


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _date_or_none(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None



def form_errors(form: ScheduleForm, *, today: date) -> dict[str, str]:
    """The form's problems as Slack shows them next to each field (block id → sentence); empty when it can
    be sent."""
    return {FIELD_BLOCKS[field]: problem for field, problem in form_problems(form, today=today).items()}
