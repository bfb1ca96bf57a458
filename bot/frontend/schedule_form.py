"""The "Edit details" form of a meeting proposal, platform-neutral: what it shows, how it is checked, and the
draft it turns into.

A front end draws `ScheduleForm` with its own widgets (Slack: a modal; Teams: a form card) and maps each
`ScheduleField` to one of them; problems come back keyed by field, each a sentence to show beside it.
Days in the form are the organizer's local calendar days (see zones.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.frontend.schedule_draft import ScheduleDraft
from bot.intake import IntakeDesk, IntakeTarget
from bot.intents import find_linkedin
from bot.messages import Person

DURATION_CHOICES = (15, 30, 45, 60, 90)
MIN_DURATION, MAX_DURATION = 5, 480  # the meeting service's own bounds
DEFAULT_DURATION = 30
MAX_WINDOW_DAYS = 60  # slot searches over months are slow and never what was meant
MAX_PICKED_PEOPLE = 10  # colleagues picked from the chat platform's people picker
MAX_TYPED_EMAILS = 20
MAX_TITLE = 200
MAX_LOCATION = 500
MAX_EMAILS_TEXT = 3000
_SHOWN_WORD = 60  # a wrong "address" quoted back is cut to this

_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
_EMAIL_SEPARATORS = re.compile(r"[\s,;]+")
_NAMED_ADDRESS = re.compile(r"[^,;\n<>]*<([^<>]*)>")  # "Alex Smith <alex@example.com>", as mail clients copy it


class ScheduleField(StrEnum):
    """The form's fields; validation problems are keyed by these."""

    TITLE = "title"
    DURATION = "duration"
    FIRST_DAY = "first_day"
    LAST_DAY = "last_day"
    PEOPLE = "people"
    EMAILS = "emails"
    LOCATION = "location"
    TARGET = "target"
    LINKEDIN = "linkedin"


@dataclass(frozen=True)
class ScheduleForm:
    """What the form shows and what comes back."""

    title: str
    duration: int | None
    first_day: date | None
    last_day: date | None
    people: tuple[str, ...] = ()  # the chat platform's user ids, picked in its people picker
    emails: str = ""  # as typed
    location: str = ""
    target: str | None = None  # "Add to", when the form has it
    linkedin: str | None = None  # as typed, when the form has the field ("" when left blank)


@dataclass(frozen=True)
class FormContext:
    """What the form carries besides its fields: the draft it started from and the zone its days are in."""

    draft: ScheduleDraft
    zone: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def keeping(self, form: ScheduleForm) -> FormContext:
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
    """The form's "Add to" choices from the core's intake desk (reads the store: call it off the event loop).

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
                        emails=", ".join(draft.attendees), location=draft.location or "", target=target,
                        linkedin=linkedin)


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


def form_problems(form: ScheduleForm, *, today: date) -> dict[ScheduleField, str]:
    """What is wrong with each field, as a sentence to show beside it; empty when the form can be sent."""
    problems: dict[ScheduleField, str] = {}
    if not form.title:
        problems[ScheduleField.TITLE] = "Give the meeting a title."
    if form.duration is None or not MIN_DURATION <= form.duration <= MAX_DURATION:
        problems[ScheduleField.DURATION] = "Pick a length between 5 minutes and 8 hours."
    problems.update(_day_problems(form.first_day, form.last_day, today))
    good, bad = typed_emails(form.emails)
    if bad:
        shown = ", ".join(f"\u201c{_shorten(word, _SHOWN_WORD)}\u201d" for word in bad[:3])
        problems[ScheduleField.EMAILS] = f"{shown} isn't an email address." if len(bad) == 1 else \
            f"{shown} aren't email addresses."
    elif len(good) > MAX_TYPED_EMAILS:
        problems[ScheduleField.EMAILS] = f"Invite at most {MAX_TYPED_EMAILS} people by email."
    if len(form.people) > MAX_PICKED_PEOPLE:
        problems[ScheduleField.PEOPLE] = f"Pick at most {MAX_PICKED_PEOPLE} people here; add more by email."
    if form.linkedin and find_linkedin(form.linkedin) is None:
        problems[ScheduleField.LINKEDIN] = ("That isn't a LinkedIn profile link; it looks like "
                                            "https://www.linkedin.com/in/\u2026")
    return problems


def _day_problems(first: date | None, last: date | None, today: date) -> dict[ScheduleField, str]:
    problems: dict[ScheduleField, str] = {}
    if first is None:
        problems[ScheduleField.FIRST_DAY] = "Pick the first day to look for times."
    elif first < today:
        problems[ScheduleField.FIRST_DAY] = "That day has passed; pick today or a later day."
    if last is None:
        problems[ScheduleField.LAST_DAY] = "Pick the last day to look for times."
    elif first is not None and last < first:
        problems[ScheduleField.LAST_DAY] = "The last day can't be before the first day."
    elif first is not None and (last - first).days + 1 > MAX_WINDOW_DAYS:
        problems[ScheduleField.LAST_DAY] = f"Keep the search to {MAX_WINDOW_DAYS} days or fewer."
    return problems


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "\u2026"


def edited_draft(context: FormContext, form: ScheduleForm, people_emails: Sequence[str]) -> ScheduleDraft:
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
    attendees = tuple(dict.fromkeys([*(e.lower() for e in people_emails), *typed]))
    kept = context.keeping(form).draft  # the person to add (if any), where, and their LinkedIn
    return ScheduleDraft(window_start=start, window_end=end, candidate_id=original.candidate_id,
                         email=original.email, name=original.name, duration=form.duration,
                         location=form.location or None, title=form.title, attendees=attendees,
                         intake_id=kept.intake_id, target=kept.target, linkedin_url=kept.linkedin_url)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
