"""Edit details on a meeting proposal: the modal opened pre-filled from the proposal's draft, checked field
by field on submit, and the request sent through the core after the ack (the answer in the organizer's DM).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.errors import HirebotError
from bot.frontend.conversation import TurnDesk
from bot.frontend.protocol import IdentityError
from bot.frontend.schedule_draft import ScheduleDraft
from bot.frontend.schedule_form import (
    FormContext,
    IntakeChoices,
    ScheduleForm,
    edited_draft,
    form_from_draft,
    read_intake_choices,
)
from bot.frontend.zones import OrganizerZones
from bot.intake import IntakeDesk
from bot.messages import Person
from bot.scheduling_chat import SEND
from bot.slack.delivery import Place, dm, team_of, update_view
from bot.slack.identity import SlackIdentities, slack_people_emails
from bot.slack.schedule_modal import form_errors, notice_modal, read_schedule_form, schedule_modal, sending_modal
from bot.slack.web_api import slack_error
from store.models import utcnow

log = logging.getLogger(__name__)


class ScheduleEditor:
    """The scheduling modal's listeners; answers go through the TurnDesk like any other reply."""

    def __init__(self, desk: TurnDesk[Place], identities: SlackIdentities, zones: OrganizerZones, *,
                 now: Callable[[], datetime] = utcnow, intakes: IntakeDesk | None = None) -> None:
        self.desk = desk
        self.identities = identities
        self.zones = zones
        self.now = now  # "today" for the form's date checks
        # The core's intake desk, read for the form's "Add to" menu (None without scheduling).
        self.intakes = intakes

    async def on_schedule_edit(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                               action: dict[str, Any], client: AsyncWebClient) -> None:
        """Edit details on a proposal: open the modal pre-filled from its draft (the trigger id lasts 3 s)."""
        await ack()
        team_id, user_id = team_of(body), body["user"]["id"]
        try:
            draft = ScheduleDraft.from_json(str(action.get("value") or ""))
            person = await self.identities.person(client, team_id, user_id)
            zone = await asyncio.to_thread(self.zones.zone_for, person)
            intake = await self._intake_choices(person, draft)
            view = schedule_modal(form_from_draft(draft, ZoneInfo(zone), intake), FormContext(draft, zone),
                                  intake=intake)
        except HirebotError as exc:
            view = notice_modal(str(exc))
        except ValueError:
            view = notice_modal("This proposal is too long to edit here. Shorten the title, location or "
                                "attendee list and ask again.")
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as exc:
            log.error("could not open the schedule modal for %s: %s", user_id, slack_error(exc))
            await dm(client, user_id, "Sorry, I couldn't open that form. Please click Edit details again.")

    async def on_schedule_submit(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                                 view: dict[str, Any], client: AsyncWebClient) -> None:
        """Check the form at once (problems show next to their fields), then send the request after the ack."""
        try:
            form, context = read_schedule_form(view)
        except HirebotError as exc:
            await ack(response_action="update", view=notice_modal(str(exc)))
            return
        errors = form_errors(form, today=self.now().astimezone(context.tz).date())
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack(response_action="update", view=sending_modal())
        team_id, user_id = team_of(body), body["user"]["id"]
        place = Place(client, team_id=team_id, user=user_id, channel=user_id, is_direct=True)
        try:
            await self._send_edited(place, view, form, context)
        except Exception:
            log.exception("sending an edited meeting request for %s failed", user_id)
            await self._form_problem(place, view, form, context,
                                     "Something went wrong on my side while sending that. Please try again.")

    async def _send_edited(self, place: Place, view: dict[str, Any], form: ScheduleForm,
                           context: FormContext) -> None:
        client = place.client
        try:
            person = await self.identities.person(client, place.team_id, place.user)
        except IdentityError as exc:
            await update_view(client, view, notice_modal(str(exc)))
            return
        emails, problems = await slack_people_emails(client, form.people)
        if problems:
            await self._form_problem(place, view, form, context, " ".join(problems), person)
            return
        reply = await self.desk.core.choose(person, SEND, edited_draft(context, form, emails).to_json())
        if reply.extra.get("meeting_id") is None:  # the core said why it could not send
            await self._form_problem(place, view, form, context, reply.text, person)
            return
        await update_view(client, view, notice_modal("Sent. The meeting is in our direct messages, with "
                                                     "buttons to reschedule or cancel it."))
        await self.desk.deliver(place, reply, person)

    async def _form_problem(self, place: Place, view: dict[str, Any], form: ScheduleForm, context: FormContext,
                            problem: str, person: Person | None = None) -> None:
        """Show the form again, as filled in, with the problem on top; by DM if the modal was closed."""
        context = context.keeping(form)
        intake = None
        if context.draft.intake_id is not None:
            try:
                person = person or await self.identities.person(place.client, place.team_id, place.user)
                intake = await self._intake_choices(person, context.draft)
            except HirebotError as exc:
                # Drawn without "Add to"; what was picked there stays in the form's draft.
                log.warning("could not read where to add the person for %s's form: %s", place.user, exc)
        if not await update_view(place.client, view, schedule_modal(form, context, intake=intake, error=problem)):
            await dm(place.client, place.user, problem)

    async def _intake_choices(self, person: Person, draft: ScheduleDraft) -> IntakeChoices | None:
        """Where someone in no ATS yet can be added, for the form; None for a candidate already in an ATS.

        Raises IntakeError when the proposal was already sent or has expired."""
        if draft.intake_id is None or self.intakes is None:
            return None
        return await asyncio.to_thread(read_intake_choices, self.intakes, person, draft.intake_id)
