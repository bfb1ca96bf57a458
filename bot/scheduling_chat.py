"""Scheduling in chat: the proposal, sending the request, rescheduling, cancelling, "my meetings", and why a
reminder did (not) go out. Platform-neutral: it returns Replies, and MeetingService does every change.

The core runs in a worker thread (or the CLI's main thread), so the service's async calls run on a
private event loop here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from adapters.errors import HirebotError
from bot.frontend.schedule_draft import UNREADABLE_DRAFT, DraftError, ScheduleDraft
from bot.intake import IntakeDesk, IntakeError, IntakeView
from bot.intents import IntentName
from bot.messages import ChatFile, Person
from bot.replies import Action, Card, Choice, Field, Reply
from scheduler.meetings import MeetingService, MeetingState, MeetingView, Proposal, format_slot, format_time
from scheduler.window import describe_window

SEND = "send_request"
DISCARD = "discard_request"
INTAKE_TARGETS = "intake_targets"
INTAKE_SET = "intake_set"
RESCHEDULE = "meeting_reschedule"
CANCEL = "meeting_cancel"
SHOWN_SLOTS = 8
STATE_LABELS: dict[str, str] = {
    MeetingState.REQUESTED: "Waiting for the candidate to pick a time", MeetingState.TIME_SELECTED: "Time picked",
    MeetingState.BOOKED: "Booked", MeetingState.DECLINED: "Declined by the candidate",
    MeetingState.RESCHEDULING: "New times offered", MeetingState.CANCELLED: "Cancelled",
    MeetingState.COMPLETED: "Done",
}
# Meetings "reschedule X" and "cancel X" look for, and those whose cards offer Reschedule and Cancel.
OPEN_STATES = frozenset({MeetingState.REQUESTED, MeetingState.RESCHEDULING, MeetingState.BOOKED,
                         MeetingState.TIME_SELECTED})
CHANGEABLE_STATES = frozenset({MeetingState.REQUESTED, MeetingState.RESCHEDULING, MeetingState.BOOKED})


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def _draft(proposal: Proposal, candidate_id: int | None, extra: Sequence[str], intake_id: int | None = None) -> str:
    """What the Send button carries: enough to propose the same meeting again with fresh slots."""
    return ScheduleDraft(window_start=proposal.window_start, window_end=proposal.window_end,
                         candidate_id=candidate_id, email=proposal.candidate.email, name=proposal.candidate.name,
                         duration=proposal.duration_minutes, location=proposal.location, title=proposal.title,
                         attendees=tuple(extra), intake_id=intake_id).to_json()


class SchedulingDesk:
    """Turns scheduling requests from any front end into MeetingService calls and readable replies."""

    def __init__(self, service: MeetingService, clock: Callable[[], datetime]) -> None:
        self.service = service
        self.clock = clock
        self.intakes = IntakeDesk(service.sessions, clock)

    # -- proposing and sending ----------------------------------------------------------------------------

    def propose(self, sender: Person, candidate_id: int | None, entities: Mapping[str, Any], *,
                email: str | None = None, name: str | None = None, extra: Sequence[str] = (),
                files: Sequence[ChatFile] = ()) -> Reply:
        duration = entities.get("duration_minutes")
        request = {"d": int(duration) if duration else None, "w": str(entities["when"]) if entities.get("when")
                   else None, "l": entities.get("location"), "x": list(extra)}
        # An address typed in the message ("schedule with elizabeth.stewart70@gmail.com") is the one to use.
        email = email or (str(entities["email"]) if entities.get("email") else None)
        intake = None
        if candidate_id is None and email:
            try:
                intake = self.intakes.start(sender, email, linkedin_url=entities.get("linkedin_url"), files=files,
                                            draft={**request, "n": name})
            except IntakeError as exc:
                return Reply(text=str(exc), intent=IntentName.SCHEDULE, private=True)
        return self._propose(sender, candidate_id, request, email=email, name=name, intake=intake)

    def _propose(self, sender: Person, candidate_id: int | None, request: Mapping[str, Any], *,
                 email: str | None, name: str | None, intake: IntakeView | None) -> Reply:
        extra = list(request.get("x") or ())
        proposal = _run(self.service.propose(
            sender, candidate_id, candidate_email=email, candidate_name=name, duration_minutes=request.get("d"),
            when=request.get("w"), extra_attendees=extra, location=request.get("l"),
            intake_job=intake.job if intake is not None else None))
        zone = proposal.timezone
        fields = [
            Field("Request goes to", _address_line(proposal, typed=bool(email))),
            Field("Duration", f"{proposal.duration_minutes} min"),
            Field("Attendees", ", ".join(a.label for a in proposal.attendees)),
            Field("Search window", describe_window(proposal.window_start, proposal.window_end, ZoneInfo(zone))),
            Field("Location", proposal.location or "To be confirmed"),
            Field(f"Times to offer ({zone})", offered_times(proposal) or "None free"),
        ]
        context = proposal.warnings
        if candidate_id is None:
            fields += _intake_fields(intake)
            context += (_intake_note(proposal.candidate.name, intake),)
        card = Card(title=proposal.title, subtitle=f"with {proposal.candidate.name} <{proposal.candidate.email}>",
                    fields=tuple(fields), context=context, kind="meeting_proposal")
        draft = _draft(proposal, candidate_id, extra, intake.id if intake and intake.target else None)
        choices: tuple[Choice, ...] = ()
        text = f"Here's the meeting I'd propose to {proposal.candidate.name}."
        if proposal.slots and proposal.cautions:
            # Hired, rejected or do-not-contact: say so first, and make sending a deliberate "anyway".
            text += " Careful: " + " ".join(proposal.cautions) + " Send the request anyway?"
            choices = (Choice("Send anyway", draft, "Email them a link to pick a time despite this", SEND),)
        elif proposal.slots:
            text += " Shall I send the request?"
            choices = (Choice("Send the request", draft, "Email the candidate a link to pick a time", SEND),)
        if proposal.slots:
            # Another address the ATS has: sending there instead is one click (or type it in the message).
            choices += tuple(
                Choice(f"Send to {address} instead", _draft(replace(
                    proposal, candidate=replace(proposal.candidate, email=address)), candidate_id, extra),
                    f"Their {kind} address" if kind else "Another address in the ATS", SEND)
                for address, kind in proposal.candidate_addresses if address != proposal.candidate.email)
            if intake is not None and intake.target is not None:
                choices += (Choice("Change where to add them", str(intake.id), "Pick the ATS and job",
                                   INTAKE_TARGETS),)
            choices += (Choice("Don't send", "", None, DISCARD),)
        return Reply(text=text, intent=IntentName.SCHEDULE, cards=(card,), choices=choices, private=True,
                     extra={"draft": draft, **({"intake_id": intake.id} if intake is not None else {})})

    # -- where a new person goes (docs/new_candidates.md) ---------------------------------------------------

    def intake_targets(self, sender: Person, value: str) -> Reply:
        """The ATSs and jobs the person can be added to, as choices (the core answers unreadable values)."""
        view = self.intakes.view(sender, int(value))
        targets = self.intakes.targets(sender)
        choices = tuple(Choice(t.label, f"{view.id}:{t.value}", None, INTAKE_SET) for t in targets)
        return Reply(text=f"Where should I add {view.email} when they book?", intent=INTAKE_TARGETS,
                     choices=choices, private=True)

    def intake_set(self, sender: Person, value: str) -> Reply:
        """A target was picked: propose again, with that job's hiring managers and title."""
        intake_id, _, target = value.partition(":")
        view = self.intakes.update(sender, int(intake_id), target=target)
        draft = view.draft
        return self._propose(sender, None, draft, email=view.email, name=draft.get("n"), intake=view)

    def send(self, sender: Person, draft_json: str) -> Reply:
        try:
            draft = ScheduleDraft.from_json(draft_json)
        except DraftError:
            return Reply(text=UNREADABLE_DRAFT, intent=IntentName.SCHEDULE)
        intake = None
        if draft.intake_id is not None and draft.candidate_id is None:
            intake = self.intakes.update(sender, draft.intake_id, target=draft.target,
                                         linkedin_url=draft.linkedin_url)
        proposal = _run(self.service.propose(
            sender, draft.candidate_id, candidate_email=draft.email, candidate_name=draft.name,
            duration_minutes=draft.duration, window=(draft.window_start, draft.window_end),
            extra_attendees=draft.attendees, location=draft.location, title=draft.title,
            intake_job=intake.job if intake is not None else None))
        view = self.service.create_request(proposal, sender, intake_id=intake.id if intake is not None else None)
        return Reply(
            text=(f"Sent {view.candidate.name} a meeting request at {view.candidate.email} with "
                  f"{len(view.slots)} times to pick from. I'll follow up if they don't answer.\n"
                  f"Booking link: {view.booking_url}"),
            intent=IntentName.SCHEDULE, cards=(self.meeting_card(view),), private=True,
            extra={"meeting_id": view.id, "booking_url": view.booking_url})

    # -- changing a meeting ---------------------------------------------------------------------------------

    def latest_for(self, sender: Person, candidate_ids: Sequence[int], *, open_only: bool = True
                   ) -> MeetingView | None:
        views = [v for cid in candidate_ids for v in self.service.find_for_candidate(sender, cid)]
        if open_only:
            views = [v for v in views if v.state in OPEN_STATES]
        return max(views, key=lambda v: (v.created_at or v.window_end, v.id)) if views else None

    def reschedule(self, sender: Person, view: MeetingView, when: str | None = None) -> Reply:
        moved = _run(self.service.reschedule(view.id, actor=str(sender.user_id), when=when))
        return Reply(text=(f"I've offered {moved.candidate.name} new times for \u201c{moved.title}\u201d and "
                           f"emailed them a link to pick one. Booking link: {moved.booking_url}"),
                     intent=IntentName.RESCHEDULE, cards=(self.meeting_card(moved),), private=True,
                     extra={"meeting_id": moved.id})

    def cancel(self, sender: Person, view: MeetingView) -> Reply:
        done = self.service.cancel(view.id, actor=str(sender.user_id))
        who = "They and the other attendees get" if view.booked_start else "They get"
        return Reply(text=f"Cancelled \u201c{done.title}\u201d with {done.candidate.name}. {who} a cancellation email.",
                     intent=IntentName.CANCEL, cards=(self.meeting_card(done),), private=True,
                     extra={"meeting_id": done.id})

    def by_id(self, sender: Person, command: str, meeting_id: int) -> Reply:
        """A Reschedule or Cancel button on a meeting card or confirmation."""
        view = next((v for v in self.service.meetings_for(sender, include_past=True) if v.id == meeting_id), None)
        if view is None:
            return Reply(text="I can't find that meeting among yours.", intent=command)
        try:
            return self.reschedule(sender, view) if command == RESCHEDULE else self.cancel(sender, view)
        except HirebotError as exc:
            return Reply(text=str(exc), intent=command)

    def my_meetings(self, sender: Person) -> Reply:
        views = self.service.meetings_for(sender)
        if not views:
            return Reply(text="You have no upcoming or pending meetings. Say \u201cschedule with <name>\u201d to "
                              "set one up.", intent=IntentName.MY_MEETINGS)
        count = len(views)
        return Reply(text=f"You have {count} upcoming or pending meeting{'s' if count != 1 else ''}.",
                     intent=IntentName.MY_MEETINGS, cards=tuple(self.meeting_card(v) for v in views[:10]),
                     private=True)

    def why_no_reminder(self, view: MeetingView) -> Reply:
        return Reply(text=self.service.why_no_reminder(view.id), intent=IntentName.WHY_NO_REMINDER, private=True)

    # -- cards --------------------------------------------------------------------------------------------------

    def meeting_card(self, view: MeetingView) -> Card:
        zone = view.timezone
        when = (format_slot(view.booked_start, view.booked_end, zone) if view.booked_start
                else f"{len(view.slots)} times offered, up to {format_time(view.window_end, zone)}")
        fields = [Field("State", STATE_LABELS.get(view.state, view.state)), Field("When", when),
                  Field("Candidate", f"{view.candidate.name} <{view.candidate.email}>"),
                  Field("Attendees", ", ".join(a.label for a in view.attendees)),
                  Field("Location", view.location or "To be confirmed")]
        if view.decline_reason:
            fields.append(Field("Reason", view.decline_reason))
        actions: list[Action] = []
        if view.state in CHANGEABLE_STATES:
            actions = [Action("Reschedule", command=RESCHEDULE, value=str(view.id)),
                       Action("Cancel", command=CANCEL, value=str(view.id))]
        history = " → ".join(e.kind.replace("_", " ") for e in view.events[-6:])
        return Card(title=view.title, fields=tuple(fields), actions=tuple(actions),
                    context=(f"Meeting {view.id} · {history}",) if history else (f"Meeting {view.id}",),
                    kind="meeting", subject_id=str(view.id))


def _address_line(proposal: Proposal, *, typed: bool) -> str:
    """Which address the request goes to and why, so the organizer can catch a work address."""
    address = proposal.candidate.email
    if typed:
        return f"{address} (as you typed it)"
    kind = dict(proposal.candidate_addresses).get(address)
    others = len(proposal.candidate_addresses) - 1
    line = f"{address} ({kind} address)" if kind else address
    if others > 0:
        line += (f"; {others} other address{'es' if others != 1 else ''} in the ATS. To use another, pick it "
                 "below or say \u201cschedule with <name> at <address>\u201d.")
    return line


def offered_times(proposal: Proposal) -> str:
    """The times to offer, one per line in the organizer's zone, each also in the candidate's when it is
    known and differs: "Tue 8 Dec, 17:00 (Jane: 08:00 America/Los_Angeles)"."""
    zone, theirs = proposal.timezone, proposal.candidate_timezone
    first = proposal.candidate.name.split()[0] if proposal.candidate.name.split() else "candidate"
    lines = []
    for slot in proposal.slots[:SHOWN_SLOTS]:
        line = format_slot(slot, None, zone).rsplit(" (", 1)[0]
        here = slot.astimezone(ZoneInfo(zone))
        there = slot.astimezone(ZoneInfo(theirs)) if theirs else here
        if there.utcoffset() != here.utcoffset():
            day = "" if there.date() == here.date() else f"{there:%a} {there.day} {there:%b} "
            line += f" ({first}: {day}{there:%H:%M} {theirs})"
        lines.append(line)
    return "\n".join(lines)


def _intake_fields(intake: IntakeView | None) -> list[Field]:
    if intake is None or intake.target is None:
        return []
    fields = [Field("Adds to", intake.target.label)]
    if intake.resume_name:
        fields.append(Field("CV", intake.resume_name))
    if intake.linkedin_url:
        fields.append(Field("LinkedIn", intake.linkedin_url))
    return fields


def _intake_note(name: str, intake: IntakeView | None) -> str:
    if intake is None or intake.target is None:
        return (f"{name} isn't in any connected ATS, and none of your connections can take new candidates, so "
                "nothing will be logged.")
    return (f"{name} isn't in any connected ATS yet: when they book, I'll add them to {intake.target.label}, "
            "tagged \u201chirebot\u201d, and log the meeting there.")
