"""Slack's side of scheduling: the pre-filled "schedule" modal, and the organizer's DMs about their meetings.

The core proposes a meeting and hands over a compact JSON draft (bot/scheduling_chat.py). Here that draft
becomes a modal the organizer can adjust (title, length, more people, the days to search, location, and for
someone in no ATS yet where to add them and their LinkedIn profile), and the submitted form becomes a new
draft for the core's `send_request`. Notices from the job dispatcher
(scheduler/jobs.py's ChatNotifier, called on a worker thread) reach the organizer as DMs with Reschedule and
Cancel buttons, posted on the Slack front end's own event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import HirebotError
from bot.directory import DEFAULT_WORKSPACE
from bot.intake import IntakeDesk, IntakeTarget
from bot.intents import find_linkedin
from bot.messages import Person
from bot.replies import Action, Reply
from bot.scheduling_chat import CANCEL, RESCHEDULE
from bot.slack.blocks import (
    SlackMessage,
    action_buttons,
    encode_metadata,
    fit_mrkdwn,
    mrkdwn,
    plain,
    render_reply,
    text_message,
    truncate,
)
from scheduler.user_settings import read_settings
from store.crypto import SecretBox
from store.meeting_models import Meeting
from store.models import User, Workspace

log = logging.getLogger(__name__)

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

DURATION_CHOICES = (15, 30, 45, 60, 90)
MIN_DURATION, MAX_DURATION = 5, 480  # the meeting service's own bounds
DEFAULT_DURATION = 30
MAX_WINDOW_DAYS = 60  # slot searches over months are slow and never what was meant
MAX_SLACK_PEOPLE = 10
MAX_TYPED_EMAILS = 20
MAX_TITLE = 200
MAX_LOCATION = 500
MAX_EMAILS_TEXT = 3000
MAX_TARGET_OPTIONS = 100  # Slack's limit for one select menu, across its option groups
MAX_OPTION_TEXT = 75  # option text and option group label
MODAL_TITLE = "Schedule an interview"  # Slack allows 24 characters

NOTIFY_TIMEOUT_SECONDS = 30.0
BUTTON_STATES = frozenset({"requested", "rescheduling", "booked"})  # meetings the organizer can still change
# Slack errors that the same call will meet again however long we wait; the rest are worth a retry.
PERMANENT_SLACK_ERRORS = frozenset({
    "account_inactive", "cannot_dm_bot", "channel_not_found", "invalid_auth", "invalid_blocks", "is_archived",
    "messages_tab_disabled", "missing_scope", "no_permission", "not_authed", "not_in_channel", "token_revoked",
    "user_disabled", "user_not_found", "user_not_visible",
})

_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
_EMAIL_SEPARATORS = re.compile(r"[\s,;]+")
_NAMED_ADDRESS = re.compile(r"[^,;\n<>]*<([^<>]*)>")  # "Alex Smith <alex@example.com>", as mail clients copy it
UNREADABLE_DRAFT = "That proposal can't be read any more. Please say \u201cschedule with \u2026\u201d again."


class DraftError(HirebotError):
    """A draft or modal state that cannot be read back (tampered with, or from an older version)."""


class ChatDeliveryError(HirebotError):
    """A notice could not reach the organizer in Slack; `retryable` tells the job dispatcher whether to retry."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


# ------------------------------------------------------------------------------------------ the draft


@dataclass(frozen=True)
class ScheduleDraft:
    """The core's compact draft (keys c, e, n, d, ws, we, l, t, x; for someone in no ATS also i, ta, li),
    read into typed fields.

    `intake_id` ("i") is what makes the core add the person to an ATS when they book: it must survive every
    round trip. `target` ("ta", "<connection id>:<job remote id or empty>") and `linkedin_url` ("li") are
    changes the organizer made in the form; None leaves the core's choice alone, and an empty LinkedIn URL
    removes it.
    """

    window_start: datetime
    window_end: datetime
    candidate_id: int | None = None
    email: str | None = None
    name: str | None = None
    duration: int | None = None
    location: str | None = None
    title: str | None = None
    extra: tuple[str, ...] = ()
    intake_id: int | None = None
    target: str | None = None
    linkedin_url: str | None = None

    @classmethod
    def from_json(cls, text: str) -> ScheduleDraft:
        try:
            data = json.loads(text)
            return cls.from_dict(data)
        except (ValueError, TypeError, KeyError, AttributeError):
            raise DraftError(UNREADABLE_DRAFT) from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScheduleDraft:
        start, end = _aware(data["ws"]), _aware(data["we"])
        candidate = data.get("c")
        return cls(window_start=start, window_end=end,
                   candidate_id=int(candidate) if candidate is not None else None,
                   email=_text_or_none(data.get("e")), name=_text_or_none(data.get("n")),
                   duration=int(data["d"]) if data.get("d") is not None else None,
                   location=_text_or_none(data.get("l")), title=_text_or_none(data.get("t")),
                   extra=tuple(str(x) for x in data.get("x") or ()),
                   intake_id=int(data["i"]) if data.get("i") is not None else None,
                   target=_text_or_none(data.get("ta")),
                   linkedin_url=str(data["li"]) if data.get("li") is not None else None)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "c": self.candidate_id, "e": self.email, "n": self.name, "d": self.duration,
            "ws": self.window_start.isoformat(), "we": self.window_end.isoformat(), "l": self.location,
            "t": self.title, "x": list(self.extra)}
        # Only drafts for someone in no ATS carry these, as the core writes them.
        for key, value in (("i", self.intake_id), ("ta", self.target), ("li", self.linkedin_url)):
            if value is not None:
                data[key] = value
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))


def _aware(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError("draft times carry a zone")
    return moment


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


# ------------------------------------------------------------------------------------------ the modal


@dataclass(frozen=True)
class ScheduleForm:
    """What the modal shows and what comes back: days are the organizer's local calendar days."""

    title: str
    duration: int | None
    first_day: date | None
    last_day: date | None
    people: tuple[str, ...] = ()  # Slack user ids
    emails: str = ""  # as typed
    location: str = ""
    target: str | None = None  # "Add to", when the form has it
    linkedin: str | None = None  # as typed, when the form has the field ("" when left blank)


@dataclass(frozen=True)
class ModalContext:
    """What the modal carries in private_metadata: the draft it started from and the zone its days are in."""

    draft: ScheduleDraft
    zone: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def keeping(self, form: ScheduleForm) -> ModalContext:
        """This context with the form's ATS and LinkedIn choices in its draft, so a form shown again after a
        problem keeps them even if it has to be drawn without those fields."""
        draft = self.draft
        if draft.intake_id is None:
            return self
        return replace(self, draft=replace(draft, target=form.target if form.target is not None else draft.target,
                                           linkedin_url=form.linkedin if form.linkedin is not None
                                           else draft.linkedin_url))


@dataclass(frozen=True)
class IntakeChoices:
    """For someone in no ATS yet: where they can be added, where they go now, and their LinkedIn profile."""

    targets: tuple[IntakeTarget, ...]
    current: IntakeTarget | None
    linkedin_url: str | None


def read_intake_choices(intakes: IntakeDesk, person: Person, intake_id: int) -> IntakeChoices:
    """The modal's "Add to" menu from the core's intake desk (reads the store: call it off the event loop).

    Raises IntakeError when the proposal was already sent or has expired."""
    view = intakes.view(person, intake_id)
    return IntakeChoices(targets=tuple(intakes.targets(person)), current=view.target,
                         linkedin_url=view.linkedin_url)


def window_days(draft: ScheduleDraft, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last local day of the draft's [start, end) window."""
    last = draft.window_end - timedelta(microseconds=1)
    return draft.window_start.astimezone(zone).date(), max(last, draft.window_start).astimezone(zone).date()


def form_from_draft(draft: ScheduleDraft, zone: ZoneInfo, intake: IntakeChoices | None = None) -> ScheduleForm:
    """The form as the proposal left it; for someone in no ATS, with where they go and their LinkedIn."""
    first, last = window_days(draft, zone)
    target = linkedin = None
    if draft.intake_id is not None:
        target = draft.target or (intake.current.value if intake and intake.current else None)
        linkedin = draft.linkedin_url if draft.linkedin_url is not None else (
            intake.linkedin_url if intake else None) or ""
    return ScheduleForm(title=draft.title or "", duration=draft.duration, first_day=first, last_day=last,
                        emails=", ".join(draft.extra), location=draft.location or "", target=target,
                        linkedin=linkedin)


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


def schedule_modal(form: ScheduleForm, context: ModalContext, *, intake: IntakeChoices | None = None,
                   error: str | None = None) -> dict[str, Any]:
    """The pre-filled modal; `error` (e.g. from sending) is shown above the fields, which keep their values.
    With `intake` (someone in no ATS yet), it also asks where to add them and for their LinkedIn profile.

    Raises ValueError when the draft is too large for Slack's private_metadata.
    """
    draft = context.draft
    who = draft.name or draft.email or "the candidate"
    intro = f"*{fit_mrkdwn(who, 300)}*" + (f" ({fit_mrkdwn(draft.email, 320)})" if draft.email else "")
    blocks: list[dict[str, Any]] = []
    if error:
        blocks.append({"type": "section", "block_id": "error",
                       "text": mrkdwn(":warning: " + fit_mrkdwn(error, 2900))})
    people: dict[str, Any] = {"type": "multi_users_select", "max_selected_items": MAX_SLACK_PEOPLE,
                              "placeholder": plain("Choose colleagues", 150)}
    if form.people:
        people["initial_users"] = list(form.people[:MAX_SLACK_PEOPLE])
    blocks += [
        {"type": "section", "block_id": "candidate", "text": mrkdwn(f"Interview with {intro}")},
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


def read_schedule_form(view: Mapping[str, Any]) -> tuple[ScheduleForm, ModalContext]:
    """The submitted form and the context it was opened with; DraftError when the metadata is unreadable."""
    try:
        meta = json.loads(str(view.get("private_metadata") or ""))
        zone = str(ZoneInfo(str(meta["tz"])))  # an unknown zone makes the form unreadable too
        context = ModalContext(draft=ScheduleDraft.from_dict(meta["draft"]), zone=zone)
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


def typed_emails(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Addresses typed into the email field (commas, semicolons, spaces or lines between; "Name <address>"
    too), and the words that aren't addresses."""
    good: list[str] = []
    bad: list[str] = []
    for raw in _EMAIL_SEPARATORS.split(_NAMED_ADDRESS.sub(r" \1 ", text)):
        word = raw.strip().strip("<>").removeprefix("mailto:")
        if not word:
            continue
        if _EMAIL.fullmatch(word):
            good.append(word.lower())
        else:
            bad.append(word)
    return tuple(dict.fromkeys(good)), tuple(bad)


def form_errors(form: ScheduleForm, *, today: date) -> dict[str, str]:
    """Problems Slack shows next to each field (block id → sentence); empty when the form can be sent."""
    errors: dict[str, str] = {}
    if not form.title:
        errors[TITLE_BLOCK] = "Give the meeting a title."
    if form.duration is None or not MIN_DURATION <= form.duration <= MAX_DURATION:
        errors[DURATION_BLOCK] = "Pick a length between 5 minutes and 8 hours."
    errors.update(_day_errors(form.first_day, form.last_day, today))
    good, bad = typed_emails(form.emails)
    if bad:
        shown = ", ".join(f"\u201c{truncate(word, 60)}\u201d" for word in bad[:3])
        errors[EMAILS_BLOCK] = f"{shown} isn't an email address." if len(bad) == 1 else \
            f"{shown} aren't email addresses."
    elif len(good) > MAX_TYPED_EMAILS:
        errors[EMAILS_BLOCK] = f"Invite at most {MAX_TYPED_EMAILS} people by email."
    if len(form.people) > MAX_SLACK_PEOPLE:
        errors[PEOPLE_BLOCK] = f"Pick at most {MAX_SLACK_PEOPLE} people here; add more by email."
    if form.linkedin and find_linkedin(form.linkedin) is None:
        errors[LINKEDIN_BLOCK] = "That isn't a LinkedIn profile link; it looks like https://www.linkedin.com/in/\u2026"
    return errors


def _day_errors(first: date | None, last: date | None, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if first is None:
        errors[FIRST_DAY_BLOCK] = "Pick the first day to look for times."
    elif first < today:
        errors[FIRST_DAY_BLOCK] = "That day has passed; pick today or a later day."
    if last is None:
        errors[LAST_DAY_BLOCK] = "Pick the last day to look for times."
    elif first is not None and last < first:
        errors[LAST_DAY_BLOCK] = "The last day can't be before the first day."
    elif first is not None and (last - first).days + 1 > MAX_WINDOW_DAYS:
        errors[LAST_DAY_BLOCK] = f"Keep the search to {MAX_WINDOW_DAYS} days or fewer."
    return errors


def edited_draft(context: ModalContext, form: ScheduleForm, people_emails: Sequence[str]) -> ScheduleDraft:
    """The draft to send: the candidate from the original, everything else from the (valid) form.

    Days the organizer left alone keep the original window edge, which may start later than midnight
    (a window that begins "now").
    """
    assert form.first_day is not None and form.last_day is not None and form.duration is not None
    zone = context.tz
    original = context.draft
    first, last = window_days(original, zone)
    start = original.window_start if form.first_day == first else _midnight(form.first_day, zone)
    end = original.window_end if form.last_day == last else _midnight(form.last_day + timedelta(days=1), zone)
    typed, _ = typed_emails(form.emails)
    extra = tuple(dict.fromkeys([*(e.lower() for e in people_emails), *typed]))
    kept = context.keeping(form).draft  # the person to add (if any), where, and their LinkedIn
    return ScheduleDraft(window_start=start, window_end=end, candidate_id=original.candidate_id,
                         email=original.email, name=original.name, duration=form.duration,
                         location=form.location or None, title=form.title, extra=extra,
                         intake_id=kept.intake_id, target=kept.target, linkedin_url=kept.linkedin_url)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


async def slack_people_emails(client: AsyncWebClient, user_ids: Sequence[str]
                              ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The email address Slack has for each picked person, and a sentence for each one it can't give."""
    answers = await asyncio.gather(*(_person_email(client, user_id) for user_id in user_ids))
    emails = tuple(email for email, _ in answers if email)
    problems = tuple(problem for _, problem in answers if problem)
    return emails, problems


async def _person_email(client: AsyncWebClient, user_id: str) -> tuple[str | None, str | None]:
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as exc:
        log.warning("users.info failed for %s while reading a schedule form: %s", user_id, _slack_error(exc))
        return None, "I couldn't look up one of the people you picked in Slack just now. Please try again."
    user = response.get("user") or {}
    profile = user.get("profile") or {}
    name = profile.get("real_name") or user.get("real_name") or user.get("name") or "One of the people you picked"
    if user.get("is_bot"):
        return None, f"{name} is an app, not a person, so I can't invite them."
    email = profile.get("email")
    if not email:
        return None, f"Slack didn't share {name}'s email address with me; type it in the email field instead."
    return str(email).lower(), None


def _slack_error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error") or exc.response.status_code)
    return type(exc).__name__


# ------------------------------------------------------------------------------------------ zones


class OrganizerZones:
    """The zone the core reads an organizer's search window in: their scheduling setting, else Slack's."""

    def __init__(self, sessions: sessionmaker[Session], box: SecretBox | None) -> None:
        self.sessions = sessions
        self.box = box

    def zone_for(self, person: Person) -> str:
        if self.box is not None:
            with self.sessions() as session:
                return read_settings(session.get(User, person.user_id), self.box).timezone
        try:
            return str(ZoneInfo(person.timezone)) if person.timezone else "UTC"
        except (ZoneInfoNotFoundError, ValueError):
            return "UTC"


# ------------------------------------------------------------------------------------------ notices


class BotTokens:
    """The bot token that may post in a hirebot user's Slack workspace."""

    def __init__(self, client: AsyncWebClient, *, token: str | None = None,
                 authorize: AsyncInstallationStoreAuthorize | None = None) -> None:
        if (token is None) == (authorize is None):
            raise ValueError("a fixed bot token (one workspace) or an installation store (OAuth), not both")
        self.client = client
        self.token = token
        self.authorize = authorize

    async def for_team(self, team_id: str | None) -> str:
        """The configured token in single-workspace mode; the team's installation (rotated when due) in OAuth."""
        if self.token is not None:
            return self.token
        assert self.authorize is not None
        context = AsyncBoltContext({"client": self.client, "is_enterprise_install": False})
        result = await self.authorize(context=context, enterprise_id=None, team_id=team_id, user_id=None)
        if result is None or not result.bot_token:
            raise ChatDeliveryError("hirebot is no longer installed in that Slack workspace.", retryable=False)
        return str(result.bot_token)


@dataclass(frozen=True)
class DmTarget:
    """Where a notice goes: the organizer's Slack user in a workspace, and whether the meeting can change."""

    slack_user: str
    team_id: str | None
    with_buttons: bool


def notice_message(text: str, meeting_id: int, *, with_buttons: bool) -> SlackMessage:
    """The notice (escaped) with Reschedule and Cancel buttons, handled like those on meeting cards."""
    message = text_message(text)
    if not with_buttons:
        return message
    buttons = action_buttons((Action("Reschedule", command=RESCHEDULE, value=str(meeting_id)),
                              Action("Cancel", command=CANCEL, value=str(meeting_id))))
    return SlackMessage(text=message.text, blocks=[
        *message.blocks, {"type": "actions", "block_id": f"meeting.{meeting_id}.actions", "elements": buttons}])


class SlackNotifier:
    """ChatNotifier for Slack: the job dispatcher calls `notify` on a worker thread; the post runs on the
    front end's event loop (its HTTP session lives there) and the thread waits for it, up to a timeout.

    Failures are logged and raised as ChatDeliveryError, whose `retryable` the dispatcher honours.
    """

    def __init__(self, sessions: sessionmaker[Session], client: AsyncWebClient, tokens: BotTokens,
                 loop_of: Callable[[], asyncio.AbstractEventLoop | None], *, multi_workspace: bool,
                 timeout: float = NOTIFY_TIMEOUT_SECONDS) -> None:
        self.sessions = sessions
        self.client = client
        self.tokens = tokens
        self.loop_of = loop_of
        self.multi_workspace = multi_workspace
        self.timeout = timeout

    def notify(self, user_id: int, text: str, *, meeting_id: int) -> None:
        """A meeting notice to the organizer, with Reschedule and Cancel while the meeting is open."""
        loop = self._loop()
        target = self.target(user_id, meeting_id)
        self._deliver(loop, target, notice_message(text, meeting_id, with_buttons=target.with_buttons), meeting_id,
                      user_id)

    def send(self, user_id: int, reply: Reply) -> None:
        """BriefingSender: a pre-meeting briefing (or morning digest) as a DM, drawn like any other reply."""
        loop = self._loop()
        meeting_id = int(reply.extra.get("meeting_id") or 0)
        self._deliver(loop, self.target(user_id, meeting_id), render_reply(reply), meeting_id, user_id)

    def _loop(self) -> asyncio.AbstractEventLoop:
        loop = self.loop_of()
        if loop is None or loop.is_closed():
            raise ChatDeliveryError("Slack isn't connected in this process yet.", retryable=True)
        if _running_loop() is loop:
            # Waiting here would block the very loop that has to do the posting.
            raise RuntimeError("SlackNotifier must be called from a worker thread, not the event loop")
        return loop

    def _deliver(self, loop: asyncio.AbstractEventLoop, target: DmTarget, message: SlackMessage,
                 meeting_id: int, user_id: int) -> None:
        future = asyncio.run_coroutine_threadsafe(self.post(target, message, meeting_id), loop)
        try:
            future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            log.error("Slack did not take the notice about meeting %s for user %s (%s) within %.0f s",
                      meeting_id, user_id, target.slack_user, self.timeout)
            raise ChatDeliveryError(f"Slack didn't answer within {self.timeout:.0f} seconds.",
                                    retryable=True) from None

    def target(self, user_id: int, meeting_id: int) -> DmTarget:
        """Who to DM, read from the store (on the calling thread, off the event loop)."""
        with self.sessions() as session:
            row = session.execute(
                select(User.chat_user_id, Workspace.platform, Workspace.external_id)
                .join(Workspace, Workspace.id == User.workspace_id).where(User.id == user_id)).first()
            state = session.scalar(select(Meeting.state).where(Meeting.id == meeting_id))
        if row is None:
            raise ChatDeliveryError("The organizer is no longer a hirebot user.", retryable=False)
        slack_user, platform, external_id = row
        # OAuth installs give each Slack team its own workspace; one configured workspace is the default one.
        in_slack = platform == "slack" if self.multi_workspace else (platform, external_id) == DEFAULT_WORKSPACE
        if not slack_user or not in_slack:
            log.warning("no Slack DM for user %s (meeting %s): chat id %r in a %s workspace", user_id, meeting_id,
                        slack_user, platform)
            raise ChatDeliveryError("The organizer hasn't talked to hirebot in Slack, so there is no DM to "
                                    "send this to.", retryable=False)
        return DmTarget(slack_user=str(slack_user), team_id=external_id if self.multi_workspace else None,
                        with_buttons=state in BUTTON_STATES)

    async def post(self, target: DmTarget, message: SlackMessage, meeting_id: int) -> None:
        client = self.client
        try:
            token = await self.tokens.for_team(target.team_id)
            # Posting to a user id lands in the app's DM with them and needs only chat:write.
            await client.chat_postMessage(token=token, channel=target.slack_user, **message.as_kwargs())
        except SlackApiError as exc:
            error = _slack_error(exc)
            log.error("Slack refused the notice about meeting %s for %s (team %s): %s", meeting_id,
                      target.slack_user, target.team_id, error)
            raise ChatDeliveryError(f"Slack refused the message ({error}).",
                                    retryable=error not in PERMANENT_SLACK_ERRORS) from None
        except ChatDeliveryError:
            log.error("no Slack token for the notice about meeting %s (team %s)", meeting_id, target.team_id)
            raise
        except (TimeoutError, SlackClientError, aiohttp.ClientError, OSError) as exc:
            log.error("could not reach Slack for the notice about meeting %s for %s: %r", meeting_id,
                      target.slack_user, exc)
            raise ChatDeliveryError("Slack couldn't be reached.", retryable=True) from None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
