"""Edit details on a meeting proposal in Teams: the proposal card becomes the form (pre-filled from its draft),
Send request checks it field by field (problems shown under their fields, in place), and a valid form is
sent through the core, the card saying so and the meeting arriving like any other answer.

The form itself is bot/frontend/schedule_form.py; the card is bot/teams/cards.py. The draft and zone ride in
the Send button's data, and Teams merges the inputs into it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.errors import HirebotError
from bot.frontend.conversation import TurnDesk
from bot.frontend.schedule_draft import UNREADABLE_DRAFT, DraftError, ScheduleDraft
from bot.frontend.schedule_form import (
    FormContext,
    IntakeChoices,
    ScheduleField,
    ScheduleForm,
    edited_draft,
    form_from_draft,
    form_problems,
    read_intake_choices,
)
from bot.frontend.zones import OrganizerZones
from bot.intake import IntakeDesk
from bot.messages import Person
from bot.scheduling_chat import SEND
from bot.teams.cards import FORM_FIELDS, note_card, schedule_form_card
from bot.teams.delivery import Place
from store.models import utcnow

log = logging.getLogger(__name__)

Show = Callable[[dict[str, Any]], Awaitable[None]]
SENDING = "Finding free times and sending the request\u2026"
SENT = "Sent. The meeting is in our chat, with buttons to reschedule or cancel it."
SEND_FAILED = "Something went wrong on my side while sending that. Please try again."


def read_form(data: Mapping[str, Any]) -> tuple[ScheduleForm, FormContext]:
    """The submitted form and its context from the Send button's data (inputs merged in); DraftError when
    the draft or zone can't be read."""
    try:
        zone = str(ZoneInfo(str(data["tz"])))
        context = FormContext(draft=ScheduleDraft.from_dict(data["draft"]), zone=zone)
    except (ValueError, TypeError, KeyError, AttributeError, ZoneInfoNotFoundError):
        raise DraftError(UNREADABLE_DRAFT) from None

    def value(field: ScheduleField) -> str:
        raw = data.get(FORM_FIELDS[field])
        return str(raw).strip() if raw is not None else ""

    form = ScheduleForm(
        title=value(ScheduleField.TITLE), duration=_int_or_none(value(ScheduleField.DURATION)),
        first_day=_date_or_none(value(ScheduleField.FIRST_DAY)), last_day=_date_or_none(value(ScheduleField.LAST_DAY)),
        emails=value(ScheduleField.EMAILS), location=value(ScheduleField.LOCATION),
        target=value(ScheduleField.TARGET) or None if FORM_FIELDS[ScheduleField.TARGET] in data else None,
        linkedin=value(ScheduleField.LINKEDIN) if FORM_FIELDS[ScheduleField.LINKEDIN] in data else None)
    return form, context


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _date_or_none(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class TeamsScheduleEditor:
    """Edit details and Send request on a proposal card; answers go through the TurnDesk like any other."""

    def __init__(self, desk: TurnDesk[Place], zones: OrganizerZones, *, now: Callable[[], datetime] = utcnow,
                 intakes: IntakeDesk | None = None) -> None:
        self.desk = desk
        self.zones = zones
        self.now = now
        self.intakes = intakes

    async def edit(self, person: Person, data: Mapping[str, Any]) -> dict[str, Any]:
        """The form, pre-filled from the proposal's draft."""
        try:
            draft = ScheduleDraft.from_json(str(data.get("draft") or ""))
            zone = await asyncio.to_thread(self.zones.zone_for, person)
            intake = await self._intake_choices(person, draft)
        except HirebotError as exc:
            return note_card(str(exc))
        return schedule_form_card(form_from_draft(draft, ZoneInfo(zone), intake), FormContext(draft, zone),
                                  intake=intake)

    async def submit(self, person: Person, place: Place, data: Mapping[str, Any], *, show: Show) -> dict[str, Any]:
        """Problems come back at once in the form; a valid form is sent after the invoke is answered."""
        try:
            form, context = read_form(data)
        except HirebotError as exc:
            return note_card(str(exc))
        problems = form_problems(form, today=self.now().astimezone(context.tz).date())
        if problems:
            return await self._form(person, form, context, problems=problems)
        self.desk.spawn(self._send(person, place, form, context, show))
        return note_card(SENDING)

    async def _send(self, person: Person, place: Place, form: ScheduleForm, context: FormContext, show: Show) -> None:
        try:
            reply = await self.desk.core.choose(person, SEND, edited_draft(context, form, ()).to_json())
        except Exception:
            log.exception("sending an edited meeting request for user %s failed", person.user_id)
            await show(await self._form(person, form, context, error=SEND_FAILED))
            return
        if reply.extra.get("meeting_id") is None:  # the core said why it could not send
            await show(await self._form(person, form, context, error=reply.text))
            return
        await show(note_card(SENT))
        await self.desk.deliver(place, reply, person)

    async def _form(self, person: Person, form: ScheduleForm, context: FormContext, *,
                    problems: dict[ScheduleField, str] | None = None, error: str | None = None) -> dict[str, Any]:
        context = context.keeping(form)
        intake = None
        if context.draft.intake_id is not None:
            try:
                intake = await self._intake_choices(person, context.draft)
            except HirebotError as exc:
                log.warning("could not read where to add the person for user %s's form: %s", person.user_id, exc)
        return schedule_form_card(form, context, intake=intake, problems=problems, error=error)

    async def _intake_choices(self, person: Person, draft: ScheduleDraft) -> IntakeChoices | None:
        if draft.intake_id is None or self.intakes is None:
            return None
        return await asyncio.to_thread(read_intake_choices, self.intakes, person, draft.intake_id)
