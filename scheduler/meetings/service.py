"""`MeetingService`, the only code that changes a meeting.

Every change runs in one transaction that (1) applies a transition from `TRANSITIONS`, refusing anything
the table does not allow, (2) writes the numbered event row the ATS logging delivers, and (3) re-plans the
meeting's durable jobs (`scheduler.jobs.replan`): a cancelled meeting keeps no pending reminder, a
rescheduled one gets reminders for its new time, and a reminder that cannot happen is recorded as skipped
with the reason, which is what `why_no_reminder` reads back. Concurrent changes of one meeting are
serialized by a row lock on PostgreSQL and caught by an optimistic version check everywhere.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from adapters.errors import ConfigError
from adapters.http import default_http_client
from scheduler.availability import WorkingHours
from scheduler.briefings import briefing_jobs, plan_digests
from scheduler.ics_feed import FeedCache
from scheduler.jobs import JobKind, JobState, PlannedJob, replan
from scheduler.meetings.attendees import (
    EMAIL_PATTERN,
    candidate_addresses,
    clean_text,
    contact_cautions,
    display_name,
    known_attendee,
    most_relevant_application,
    name_from_email,
    split_name,
    unique_attendees,
)
from scheduler.meetings.defaults import SchedulingDefaults
from scheduler.meetings.errors import (
    CandidateNotFound,
    ConcurrentChange,
    IllegalTransition,
    MeetingNotFound,
    SchedulingError,
    SlotUnavailable,
)
from scheduler.meetings.planning import contacted, dayof_reminder_time, followup_times
from scheduler.meetings.slots import Invitee, MeetingSnapshot, SlotSearch, overlaps
from scheduler.meetings.states import OPEN_STATES, STATE_PHRASES, TRANSITIONS, MeetingEventKind, MeetingState
from scheduler.meetings.times import format_time, iso, parse_iso, utc, zone_name_or_none
from scheduler.meetings.transitions import event_data, next_state, record_event
from scheduler.meetings.views import AttendeeRef, CandidateRef, MeetingView, Proposal, meeting_view
from scheduler.user_settings import SchedulingSettings, find_timezone, load_settings, min_notice_for
from scheduler.window import exact_start, parse_window, preferred_hours
from store.crypto import SecretBox
from store.db import transaction
from store.intake_models import CandidateIntake
from store.meeting_models import Meeting, MeetingAttendee, ScheduledJob
from store.models import AtsUser, Job, User, utcnow
from store.people import Person
from store.queries import candidates_by_ids, visible_connection_ids

T = TypeVar("T")
CHANGE_ATTEMPTS = 3
REPEAT_SEND_WINDOW = timedelta(minutes=10)
_S, _E = MeetingState, MeetingEventKind


@dataclass(frozen=True)
class _CandidateContext:
    ref: CandidateRef
    job_name: str | None = None
    connection_id: int | None = None
    candidate_remote_id: str | None = None
    application_remote_id: str | None = None
    hiring_managers: tuple[AttendeeRef, ...] = ()
    addresses: tuple[tuple[str, str | None], ...] = ()
    cautions: tuple[str, ...] = ()


class MeetingService:
    """Proposes, requests, books, reschedules and cancels meetings; reads them back as `MeetingView`s."""

    def __init__(self, sessions: sessionmaker[Session], box: SecretBox, *, public_url: str, token_key: bytes,
                 clock: Callable[[], datetime] = utcnow, feeds: FeedCache | None = None,
                 client_factory: Callable[[], httpx.AsyncClient] = default_http_client,
                 defaults: SchedulingDefaults | None = None,
                 on_jobs_planned: Callable[[datetime], None] | None = None) -> None:
        self.sessions = sessions
        self.box = box
        self.public_url = public_url.rstrip("/")
        self.token_key = token_key
        self.clock = clock
        self.feeds = feeds if feeds is not None else FeedCache(clock=clock)
        self.client_factory = client_factory
        self.defaults = defaults or SchedulingDefaults()
        self.slots = SlotSearch(sessions, defaults=self.defaults, feeds=self.feeds, client_factory=client_factory,
                                clock=clock)
        # Told the earliest due time after a change planned jobs, so a local runner can wake early.
        self.on_jobs_planned = on_jobs_planned

    # -- proposing and requesting -------------------------------------------------------------------------

    async def propose(self, organizer: Person, candidate_id: int | None, *,
                      candidate_email: str | None = None, candidate_name: str | None = None,
                      duration_minutes: int | None = None, when: str | None = None,
                      window: tuple[datetime, datetime] | None = None,
                      extra_attendees: Sequence[str] = (), location: str | None = None,
                      title: str | None = None, intake_job: tuple[int, str] | None = None,
                      candidate_timezone: str | None = None) -> Proposal:
        """Everything needed to request a meeting, with free slots for every internal attendee.

        The candidate's zone (`candidate_timezone`, else the one their last booking page reported) keeps the
        offered times inside their day, about 07:00-21:00 there.

        `intake_job` (connection id, job remote id): for someone in no ATS yet, the job they will be added to
        when they book; its hiring managers are invited and its name goes into the title.
        """
        now = self.clock()
        with self.sessions() as session:
            settings = load_settings(session, organizer.user_id, self.box)
            candidate = self._candidate_context(session, organizer, candidate_id, candidate_email,
                                                candidate_name)
            if candidate_id is None and intake_job is not None:
                candidate = self._intake_context(session, candidate, *intake_job)
            attendees = self._attendees(session, organizer, candidate.hiring_managers, extra_attendees)
            invitees = self._invitees(session, organizer.workspace_id, attendees, settings.timezone)
            candidate_zone = zone_name_or_none(candidate_timezone) or _known_candidate_zone(
                session, organizer.workspace_id, candidate.ref)
            notice = min_notice_for(session, organizer.user_id, organizer.workspace_id, self.box)
        duration = duration_minutes or settings.default_duration_minutes
        if not 5 <= duration <= 480:
            raise SchedulingError("A meeting must last between 5 minutes and 8 hours.")
        length = timedelta(minutes=duration)
        start, end = window if window is not None else parse_window(
            when, now=now, tz=settings.zone, business_days=self.defaults.business_days)
        start, end = utc(start), utc(end)
        if end <= start:
            raise SchedulingError("The search window ends before it starts; give the earlier date first.")
        # One named time ("tomorrow at 3pm"): the window is that meeting alone, and the search around it
        # covers its day for the nearby times offered when it is taken.
        if window is not None:  # a draft's window of exactly one meeting's length is read back the same way
            exact = start if end - start == length else None
        else:
            exact = exact_start(when, now=now, tz=settings.zone, business_days=self.defaults.business_days)
        search = (start, end)
        if exact is not None:
            start, end = exact, exact + length
            search = _local_day(exact, settings.zone)
        calendars, warnings = await self.slots.calendars(organizer.workspace_id, invitees, *search, exclude=None)
        slots = self.slots.find(calendars, *search, length, now, candidate_zone=candidate_zone, exact=exact,
                                min_notice=notice)
        if exact is not None and slots and slots != [exact]:
            warnings += (f"{format_time(exact, settings.timezone)} isn't free for everyone, so I'd offer the "
                         "nearest free times that day.",)
        if not slots:
            warnings += ("No time in that window suits everyone. Try a wider window or fewer attendees.",)
            if candidate_zone is not None:
                warnings += (f"Only times between 07:00 and 21:00 in {candidate.ref.name}'s zone "
                             f"({candidate_zone}) are offered.",)
        job_part = f", {candidate.job_name}" if candidate.job_name else ""
        default_title = f"Interview: {candidate.ref.name}{job_part}"
        return Proposal(title=(title or "").strip() or default_title, duration_minutes=duration,
                        window_start=start, window_end=end,
                        location=(location or "").strip() or settings.default_location,
                        attendees=tuple(attendees), slots=tuple(slots), candidate=candidate.ref,
                        job_name=candidate.job_name, connection_id=candidate.connection_id,
                        candidate_remote_id=candidate.candidate_remote_id,
                        application_remote_id=candidate.application_remote_id, warnings=warnings,
                        timezone=settings.timezone, candidate_timezone=candidate_zone,
                        candidate_addresses=candidate.addresses, cautions=candidate.cautions)

    def create_request(self, proposal: Proposal, organizer: Person, *, intake_id: int | None = None) -> MeetingView:
        """Store the meeting as `requested` and plan its request email, follow-ups and organizer notice.

        `intake_id`: the draft of who to add to an ATS when the candidate books (bot/intake.py); it is tied to
        the meeting in the same transaction, before any event can be logged.
        """
        if not proposal.slots:
            raise SchedulingError("There are no free times to offer, so I can't send a request. Try a wider "
                                  "window.")
        now = self.clock()
        with transaction(self.sessions) as session:
            repeat = _same_request(session, proposal, organizer, since=now - REPEAT_SEND_WINDOW)
            if repeat is not None:
                # The same proposal sent twice (a double click, a retried button): one request, not two.
                return self.view(repeat)
            meeting = Meeting(
                workspace_id=organizer.workspace_id, organizer_user_id=organizer.user_id,
                organizer_email=organizer.email.lower(), organizer_name=organizer.display_name,
                state=_S.REQUESTED, title=proposal.title, duration_minutes=proposal.duration_minutes,
                location=proposal.location, timezone=proposal.timezone, candidate_id=proposal.candidate.id,
                candidate_name=proposal.candidate.name, candidate_email=proposal.candidate.email,
                connection_id=proposal.connection_id, candidate_remote_id=proposal.candidate_remote_id,
                application_remote_id=proposal.application_remote_id, job_name=proposal.job_name,
                window_start=_meeting_window(proposal)[0], window_end=_meeting_window(proposal)[1],
                slots=[iso(slot) for slot in sorted(proposal.slots)], round=0, round_started_at=now,
                calendar_uid=f"{uuid.uuid4().hex}@hirebot", event_seq=0, created_at=now, updated_at=now,
                attendees=[MeetingAttendee(name=a.name, email=a.email, role=a.role, user_id=a.user_id)
                           for a in unique_attendees(proposal.attendees)])
            session.add(meeting)
            session.flush()
            if intake_id is not None and proposal.candidate.id is None:
                _tie_intake(session, intake_id, meeting, organizer)
            self._plan(session, meeting, now, reason="the meeting was requested")
            meeting_id = meeting.id
        self._announce_jobs(meeting_id)
        return self.view(meeting_id)

    # -- the candidate's answers --------------------------------------------------------------------------

    async def select_time(self, meeting_id: int, start: datetime, *, actor: str = "candidate",
                          candidate_timezone: str | None = None) -> MeetingView:
        """Book an offered time that is still free for every internal attendee (else SlotUnavailable with
        fresh times). Submitting the time a meeting is already booked for returns it unchanged."""
        start = utc(start)
        snapshot = await asyncio.to_thread(self._snapshot, meeting_id)
        if snapshot.state == _S.BOOKED and snapshot.booked_start == start:
            return await asyncio.to_thread(self.view, meeting_id)
        if snapshot.state not in OPEN_STATES:
            await asyncio.to_thread(self._refuse, meeting_id, _E.TIME_SELECTED)
        if start not in snapshot.slots or not await self.slots.still_free(snapshot, start):
            fresh = await self.slots.fresh(snapshot)
            await asyncio.to_thread(self._offer, meeting_id, fresh)
            raise SlotUnavailable(fresh)
        zone = zone_name_or_none(candidate_timezone)

        def book(session: Session, meeting: Meeting, now: datetime) -> None:
            if meeting.state == _S.BOOKED and meeting.booked_start == start:
                return  # the same choice submitted twice: booked once
            if meeting.state in OPEN_STATES and iso(start) not in meeting.slots:
                raise SlotUnavailable([parse_iso(slot) for slot in meeting.slots])
            if zone:
                meeting.candidate_timezone = zone
            self._book(session, meeting, start, now, actor=actor)
            self._plan(session, meeting, now, reason="a time was booked",
                       extras=[self._notice(meeting, "booked", now, actor=actor)])

        await asyncio.to_thread(self._change, meeting_id, book)
        return await asyncio.to_thread(self.view, meeting_id)

    def decline(self, meeting_id: int, *, reason: str | None = None, actor: str = "candidate") -> MeetingView:
        """The candidate (or the organizer on their behalf) says no; the organizer is told in chat."""
        reason = clean_text(reason)

        def apply(session: Session, meeting: Meeting, now: datetime) -> None:
            record_event(session, meeting, _E.DECLINED, actor=actor, now=now, reason=reason)
            meeting.decline_reason = reason
            if meeting.calendar_sequence is not None:  # an earlier round's invitation is in calendars
                meeting.calendar_sequence += 1
            self._plan(session, meeting, now, reason="the candidate declined",
                       extras=[self._notice(meeting, "declined", now, actor=actor, note=reason)])

        self._change(meeting_id, apply)
        return self.view(meeting_id)

    def request_other_times(self, meeting_id: int, *, note: str | None = None,
                            candidate_timezone: str | None = None) -> MeetingView:
        """The candidate wants other times: follow-ups stop and the organizer is told in chat. The zone their
        browser reported keeps the next offer inside their day."""
        note = clean_text(note)
        zone = zone_name_or_none(candidate_timezone)

        def apply(session: Session, meeting: Meeting, now: datetime) -> None:
            if meeting.state not in OPEN_STATES:
                state = STATE_PHRASES[MeetingState(meeting.state)]
                raise IllegalTransition(f"Can't ask for other times: the meeting with "
                                        f"{meeting.candidate_name} is {state}.",
                                        state=MeetingState(meeting.state))
            asked = sum(1 for job in self._jobs(session, meeting.id)
                        if job.payload.get("reason") == "other_times"
                        and job.payload.get("round") == meeting.round)
            if zone:
                meeting.candidate_timezone = zone
            notice = self._notice(meeting, "other_times", now, actor="candidate", note=note, number=asked + 1)
            self._plan(session, meeting, now, reason="the candidate asked for other times", extras=[notice])

        self._change(meeting_id, apply)
        return self.view(meeting_id)

    # -- the organizer's (or candidate's) changes ---------------------------------------------------------

    async def reschedule(self, meeting_id: int, *, actor: str, new_start: datetime | None = None,
                         when: str | None = None) -> MeetingView:
        """Offer new times (from `when`, default the next business days), or move straight to `new_start`
        when it is free for everyone. Calendar updates go out once the new time is booked."""
        snapshot = await asyncio.to_thread(self._snapshot, meeting_id)
        if (snapshot.state, _E.RESCHEDULED) not in TRANSITIONS:
            await asyncio.to_thread(self._refuse, meeting_id, _E.RESCHEDULED)
        now = self.clock()
        start, end = parse_window(when, now=now, tz=ZoneInfo(snapshot.timezone),
                                  business_days=self.defaults.business_days)
        calendars, _ = await self.slots.calendars(snapshot.workspace_id, snapshot.invitees, start, end,
                                             exclude=meeting_id)
        if new_start is not None:
            new_start = utc(new_start)
            if new_start <= now or overlaps(calendars, new_start, new_start + snapshot.duration):
                raise SlotUnavailable(self.slots.find(calendars, start, end, snapshot.duration, now,
                                                      candidate_zone=snapshot.candidate_timezone,
                                                      min_notice=snapshot.min_notice))
            slots = [new_start]
        else:
            slots = self.slots.find(calendars, start, end, snapshot.duration, now,
                                    candidate_zone=snapshot.candidate_timezone, min_notice=snapshot.min_notice,
                                    preferred=snapshot.preferred)
            if not slots:
                raise SchedulingError("No time in that window suits everyone. Try a wider window, e.g. "
                                      "\"reschedule with Jane in the next two weeks\".")

        def apply(session: Session, meeting: Meeting, now: datetime) -> None:
            previous = event_data(meeting)["slot"]
            record_event(session, meeting, _E.RESCHEDULED, actor=actor, now=now,
                         extra={"previous_slot": previous})
            meeting.round += 1
            meeting.round_started_at = now
            meeting.booked_start = meeting.booked_end = None
            meeting.window_start = min(start, slots[0])
            meeting.window_end = max(end, slots[-1] + snapshot.duration)
            meeting.slots = [iso(slot) for slot in slots]
            extras = []
            if new_start is not None:
                self._book(session, meeting, new_start, now, actor=actor)
            if actor == "candidate":  # the organizer did not ask for this change: tell them
                extras.append(self._notice(meeting, "booked" if new_start else "moving", now, actor=actor))
            self._plan(session, meeting, now, reason="the meeting was rescheduled", extras=extras)

        await asyncio.to_thread(self._change, meeting_id, apply)
        return await asyncio.to_thread(self.view, meeting_id)

    def cancel(self, meeting_id: int, *, actor: str, reason: str | None = None) -> MeetingView:
        """Cancel: no reminder will ever go out; whoever was invited gets a cancellation."""
        reason = clean_text(reason)

        def apply(session: Session, meeting: Meeting, now: datetime) -> None:
            record_event(session, meeting, _E.CANCELLED, actor=actor, now=now, reason=reason)
            if meeting.calendar_sequence is not None:
                meeting.calendar_sequence += 1
            extras = [self._notice(meeting, "cancelled", now, actor=actor, note=reason)] \
                if actor == "candidate" else []
            self._plan(session, meeting, now, reason=f"the meeting was cancelled{_by(actor)}", extras=extras)

        self._change(meeting_id, apply)
        return self.view(meeting_id)

    def complete_finished(self) -> int:
        """Move booked meetings whose end has passed to `completed`; returns how many moved."""
        now = self.clock()
        with self.sessions() as session:
            ids = list(session.scalars(select(Meeting.id).where(Meeting.state == _S.BOOKED,
                                                                Meeting.booked_end <= now)))

        def apply(session: Session, meeting: Meeting, now: datetime) -> bool:
            if meeting.state != _S.BOOKED or meeting.booked_end is None or meeting.booked_end > now:
                return False  # moved or cancelled since the query
            record_event(session, meeting, _E.COMPLETED, actor="system", now=now)
            self._plan(session, meeting, now, reason="the meeting is over")
            return True

        return sum(self._change(meeting_id, apply) for meeting_id in ids)

    def record_sent(self, session: Session, meeting_id: int, kind: MeetingEventKind, *, to: str,
                    message_id: str, extra: Mapping[str, Any] | None = None) -> None:
        """Write the "sent" event of an email job, in the dispatcher's transaction that marks the job done."""
        meeting = self._locked(session, meeting_id)
        record_event(session, meeting, kind, actor="system", now=self.clock(),
                     extra={"to": to, "message_id": message_id, **(extra or {})})

    # -- reading ------------------------------------------------------------------------------------------

    def view(self, meeting_id: int) -> MeetingView:
        with self.sessions() as session:
            meeting = session.get(Meeting, meeting_id, options=[selectinload(Meeting.attendees),
                                                                 selectinload(Meeting.events)])
            if meeting is None:
                raise MeetingNotFound(meeting_id)
            return self._view(meeting, self._jobs(session, meeting_id))

    def meetings_for(self, person: Person, *, include_past: bool = False) -> list[MeetingView]:
        """Meetings the person organizes or attends: by default those pending or still to come."""
        now = self.clock()
        with self.sessions() as session:
            attending = _attending(person)
            query = select(Meeting.id).where(
                Meeting.workspace_id == person.workspace_id,
                or_(Meeting.organizer_user_id == person.user_id, Meeting.id.in_(attending)))
            if not include_past:
                query = query.where(or_(Meeting.state.in_(list(OPEN_STATES)),
                                        (Meeting.state == _S.BOOKED) & (Meeting.booked_end > now)))
            ids = list(session.scalars(query))
        views = [self.view(meeting_id) for meeting_id in ids]
        return sorted(views, key=lambda v: (v.booked_start or v.window_start or v.window_end, v.id))

    def find_for_candidate(self, person: Person, candidate_id: int) -> list[MeetingView]:
        """The candidate's meetings the person may see (organizer, attendee or admin), newest first."""
        with self.sessions() as session:
            visible = visible_connection_ids(session, person.workspace_id, person.user_id)
            if not candidates_by_ids(session, [candidate_id], visible):
                return []
            query = select(Meeting.id).where(Meeting.workspace_id == person.workspace_id,
                                             Meeting.candidate_id == candidate_id)
            if not person.is_admin:
                query = query.where(or_(Meeting.organizer_user_id == person.user_id,
                                        Meeting.id.in_(_attending(person))))
            ids = list(session.scalars(query.order_by(Meeting.created_at.desc(), Meeting.id.desc())))
        return [self.view(meeting_id) for meeting_id in ids]

    def why_no_reminder(self, meeting_id: int) -> str:
        """Why the candidate did (not) get a day-of reminder, in one or two sentences, from the job rows."""
        view = self.view(meeting_id)
        name = view.candidate.name
        zone = view.display_timezone
        reminders = [job for job in view.jobs if job.kind == JobKind.DAYOF_REMINDER]
        if not reminders:
            return _no_reminder_planned(view)
        job = max(reminders, key=lambda j: j.id)
        when = format_time(job.due_at, zone)
        if job.state == JobState.DONE:
            sent = format_time(job.finished_at, zone) if job.finished_at else when
            return f"{name} did get a day-of reminder: it was sent {sent}."
        if job.state in (JobState.PENDING, JobState.RUNNING):
            return f"{name}'s day-of reminder hasn't gone out yet: it is planned for {when}."
        if job.state == JobState.FAILED:
            return f"{name}'s day-of reminder (due {when}) could not be sent: {job.note or job.last_error}"
        return f"{name} got no day-of reminder (it was due {when}): {job.note}"

    # -- transactions -------------------------------------------------------------------------------------

    def _change(self, meeting_id: int, change: Callable[[Session, Meeting, datetime], T]) -> T:
        """Run `change` on the locked meeting in one transaction, retrying when a concurrent change won."""
        for attempt in range(CHANGE_ATTEMPTS):
            try:
                with transaction(self.sessions) as session:
                    meeting = self._locked(session, meeting_id)
                    result = change(session, meeting, self.clock())
                    session.flush()
            except (StaleDataError, IntegrityError):
                if attempt + 1 == CHANGE_ATTEMPTS:
                    raise ConcurrentChange() from None
                continue
            self._announce_jobs(meeting_id)
            return result
        raise ConcurrentChange()

    def _locked(self, session: Session, meeting_id: int) -> Meeting:
        meeting = session.scalar(select(Meeting).where(Meeting.id == meeting_id).with_for_update()
                                 .execution_options(populate_existing=True))
        if meeting is None:
            raise MeetingNotFound(meeting_id)
        return meeting

    def _refuse(self, meeting_id: int, kind: MeetingEventKind) -> None:
        with self.sessions() as session:
            meeting = session.get(Meeting, meeting_id)
            if meeting is None:
                raise MeetingNotFound(meeting_id)
            next_state(meeting, kind)

    def _book(self, session: Session, meeting: Meeting, start: datetime, now: datetime, *,
              actor: str) -> None:
        meeting.booked_start = start
        meeting.booked_end = start + timedelta(minutes=meeting.duration_minutes)
        record_event(session, meeting, _E.TIME_SELECTED, actor=actor, now=now)
        meeting.calendar_sequence = 0 if meeting.calendar_sequence is None else meeting.calendar_sequence + 1
        record_event(session, meeting, _E.BOOKED, actor=actor, now=now)

    def _offer(self, meeting_id: int, slots: Sequence[datetime]) -> None:
        """Replace the offered times (the booking page shows these); not a transition, so no event."""
        def apply(session: Session, meeting: Meeting, now: datetime) -> None:
            if meeting.state in OPEN_STATES:
                meeting.slots = [iso(slot) for slot in slots]
                meeting.updated_at = now
        self._change(meeting_id, apply)

    def _announce_jobs(self, meeting_id: int) -> None:
        if self.on_jobs_planned is None:
            return
        with self.sessions() as session:
            due = session.scalar(select(ScheduledJob.due_at).where(ScheduledJob.meeting_id == meeting_id,
                                                                   ScheduledJob.state == JobState.PENDING)
                                 .order_by(ScheduledJob.due_at).limit(1))
        if due is not None:
            self.on_jobs_planned(due)

    # -- planning jobs ------------------------------------------------------------------------------------

    def _plan(self, session: Session, meeting: Meeting, now: datetime, *, reason: str,
              extras: Iterable[PlannedJob] = ()) -> None:
        settings = load_settings(session, meeting.organizer_user_id, self.box)
        jobs = self._jobs(session, meeting.id)
        extras = list(extras)
        wanted = [*self._wanted(meeting, settings, jobs, extras, now), *extras,
                  *briefing_jobs(session, meeting, self.box, now)]
        replan(session, meeting.id, wanted, now=now, reason=reason)
        plan_digests(session, meeting, self.box, now)

    def _wanted(self, meeting: Meeting, settings: SchedulingSettings, jobs: Sequence[ScheduledJob],
                extras: Sequence[PlannedJob], now: datetime) -> list[PlannedJob]:
        """The jobs the meeting's current state calls for (keys carry the round, so each round plans anew)."""
        state = MeetingState(meeting.state)
        if state in OPEN_STATES:
            payloads = [job.payload or {} for job in jobs] + [dict(extra.payload) for extra in extras]
            asked = any(p.get("reason") == "other_times" and p.get("round") == meeting.round
                        for p in payloads)
            return self._request_jobs(meeting, settings, asked_other_times=asked)
        if state == _S.BOOKED:
            kind = JobKind.INVITE_EMAIL if meeting.calendar_sequence == 0 else JobKind.UPDATE_EMAIL
            recipients = [meeting.candidate_email, *(a.email for a in meeting.attendees)]
            return [*(self._job(meeting, kind, now, to=to, part=to) for to in recipients),
                    self._dayof_job(meeting, settings.dayof_reminder_hour, now)]
        if state in (_S.CANCELLED, _S.DECLINED):
            told = contacted(jobs, calendar_only=state == _S.DECLINED)
            return [self._job(meeting, JobKind.CANCEL_EMAIL, now, to=to, part=to) for to in told]
        return []

    def _request_jobs(self, meeting: Meeting, settings: SchedulingSettings, *,
                      asked_other_times: bool) -> list[PlannedJob]:
        base = meeting.round_started_at
        planned = [self._job(meeting, JobKind.REQUEST_EMAIL, base, to=meeting.candidate_email)]
        if asked_other_times:
            return planned  # no nagging about times they already said don't work
        times = followup_times(base, settings.followup_delays_days, meeting.window_end,
                               lead=self.defaults.followup_lead, min_gap=self.defaults.followup_min_gap)
        for number, due in enumerate(times, start=1):
            planned.append(self._job(meeting, JobKind.FOLLOWUP_EMAIL, due, to=meeting.candidate_email,
                                     part=str(number), number=number, of=len(times)))
        last = times[-1] if times else base
        notice_at = max(last, min(last + self.defaults.notice_after_last_followup, meeting.window_end))
        planned.append(self._notice(meeting, "no_answer", notice_at, actor="system", followups=len(times)))
        return planned

    def _dayof_job(self, meeting: Meeting, hour: int, now: datetime) -> PlannedJob:
        assert meeting.booked_start is not None
        zone = ZoneInfo(meeting.candidate_timezone or meeting.timezone)
        due, skip = dayof_reminder_time(meeting.booked_start, zone=zone, hour=hour, now=now)
        job = self._job(meeting, JobKind.DAYOF_REMINDER, due, to=meeting.candidate_email,
                        start=iso(meeting.booked_start))
        if skip is None:
            return job
        return PlannedJob(job.key, job.kind, job.due_at, job.meeting_id, job.payload, skip_note=skip)

    def _job(self, meeting: Meeting, kind: JobKind, due: datetime, *, part: str | None = None,
             **payload: Any) -> PlannedJob:
        key = ":".join(["meeting", str(meeting.id), kind, *([part] if part else []), f"v{meeting.round}"])
        return PlannedJob(key=key, kind=kind, due_at=due, meeting_id=meeting.id,
                          payload={"round": meeting.round, "sequence": meeting.calendar_sequence, **payload})

    def _notice(self, meeting: Meeting, reason: str, due: datetime, *, actor: str, note: str | None = None,
                number: int | None = None, **payload: Any) -> PlannedJob:
        part = reason if number is None else f"{reason}:{number}"
        return self._job(meeting, JobKind.ORGANIZER_NOTICE, due, part=part, reason=reason, actor=actor,
                         note=note, **payload)

    @staticmethod
    def _jobs(session: Session, meeting_id: int) -> list[ScheduledJob]:
        return list(session.scalars(select(ScheduledJob).where(ScheduledJob.meeting_id == meeting_id)
                                    .order_by(ScheduledJob.due_at, ScheduledJob.id)))

    # -- candidates, attendees, calendars -----------------------------------------------------------------

    def _candidate_context(self, session: Session, organizer: Person, candidate_id: int | None,
                           email: str | None, name: str | None) -> _CandidateContext:
        email = (email or "").strip().lower() or None
        if email is not None and not EMAIL_PATTERN.fullmatch(email):
            raise SchedulingError(f"{email!r} doesn't look like an email address.")
        if candidate_id is None:
            if email is None:
                raise SchedulingError("Who should I invite? Give the candidate's email address.")
            return _CandidateContext(ref=CandidateRef(id=None, name=clean_text(name) or name_from_email(email),
                                                      email=email))
        visible = visible_connection_ids(session, organizer.workspace_id, organizer.user_id)
        found = candidates_by_ids(session, [candidate_id], visible)
        if not found:
            raise CandidateNotFound()
        candidate = found[0]
        display = clean_text(name) or display_name(candidate)
        addresses = tuple(candidate_addresses(candidate))
        address = email or (addresses[0][0] if addresses else None)
        if address is None:
            raise SchedulingError(f"{display} has no email address in the ATS, so I can't send a booking "
                                  "link. Add one in the ATS (then refresh), or give the address yourself.")
        application = most_relevant_application(candidate.applications)
        job = application.job if application is not None else None
        return _CandidateContext(
            ref=CandidateRef(id=candidate.id, name=display, email=address),
            job_name=job.name if job else None,
            connection_id=candidate.connection_id, candidate_remote_id=candidate.remote_id,
            application_remote_id=application.remote_id if application is not None else None,
            hiring_managers=tuple(self._hiring_managers(session, job)) if job is not None else (),
            addresses=addresses, cautions=contact_cautions(candidate, display))

    def _intake_context(self, session: Session, candidate: _CandidateContext, connection_id: int,
                        job_remote_id: str) -> _CandidateContext:
        job = session.scalar(select(Job).where(Job.connection_id == connection_id, Job.remote_id == job_remote_id))
        if job is None:
            return candidate
        return replace(candidate, job_name=job.name, hiring_managers=tuple(self._hiring_managers(session, job)))

    @staticmethod
    def _hiring_managers(session: Session, job: Any) -> list[AttendeeRef]:
        remote_ids = [str(value) for value in job.hiring_manager_remote_ids or []]
        if not remote_ids:
            return []
        users = session.scalars(select(AtsUser).where(AtsUser.connection_id == job.connection_id,
                                                      AtsUser.remote_id.in_(remote_ids),
                                                      AtsUser.deactivated.is_(False)))
        return [AttendeeRef(name=user.name, email=user.email.lower(), role="hiring_manager")
                for user in users if user.email]

    def _attendees(self, session: Session, organizer: Person, hiring_managers: Sequence[AttendeeRef],
                   extra: Sequence[str]) -> list[AttendeeRef]:
        people = [AttendeeRef(name=organizer.display_name, email=organizer.email.lower(), role="organizer",
                              user_id=organizer.user_id), *hiring_managers]
        for raw in extra:
            address = raw.strip().strip("<>").removeprefix("mailto:").lower()
            if not EMAIL_PATTERN.fullmatch(address):
                raise SchedulingError(f"{raw!r} isn't an email address; add attendees by email.")
            people.append(AttendeeRef(name=None, email=address, role="interviewer"))
        people = unique_attendees(people)
        users = {user.email: user for user in session.scalars(
            select(User).where(User.workspace_id == organizer.workspace_id,
                               User.email.in_([person.email for person in people])))}
        return [known_attendee(person, users.get(person.email)) for person in people]

    def _invitees(self, session: Session, workspace_id: int, attendees: Sequence[AttendeeRef],
                  fallback_zone: str) -> tuple[Invitee, ...]:
        """Each attendee's hours and feed: their own settings when they use hirebot, else the organizer's
        zone with default hours."""
        invitees = []
        for ref in attendees:
            user_id = ref.user_id
            if user_id is None:
                user_id = session.scalar(select(User.id).where(User.workspace_id == workspace_id,
                                                               User.email == ref.email))
            settings = load_settings(session, user_id, self.box) if user_id is not None \
                else SchedulingSettings(timezone=fallback_zone)
            invitees.append(Invitee(ref=ref, settings=settings))
        return tuple(invitees)

    def _snapshot(self, meeting_id: int) -> MeetingSnapshot:
        with self.sessions() as session:
            meeting = session.get(Meeting, meeting_id, options=[selectinload(Meeting.attendees)])
            if meeting is None:
                raise MeetingNotFound(meeting_id)
            refs = [AttendeeRef(name=a.name, email=a.email, role=a.role, user_id=a.user_id)
                    for a in meeting.attendees]
            zone = zone_name_or_none(meeting.candidate_timezone) or _known_candidate_zone(
                session, meeting.workspace_id, CandidateRef(id=meeting.candidate_id, name=meeting.candidate_name,
                                                            email=meeting.candidate_email))
            return MeetingSnapshot(id=meeting.id, workspace_id=meeting.workspace_id,
                                   state=MeetingState(meeting.state),
                                   slots=tuple(parse_iso(slot) for slot in meeting.slots),
                                   booked_start=meeting.booked_start,
                                   duration=timedelta(minutes=meeting.duration_minutes),
                                   window_start=meeting.window_start, window_end=meeting.window_end,
                                   timezone=meeting.timezone,
                                   invitees=self._invitees(session, meeting.workspace_id, refs,
                                                           meeting.timezone),
                                   candidate_timezone=zone, preferred=_asked_hours(session, meeting, zone),
                                   min_notice=min_notice_for(session, meeting.organizer_user_id,
                                                             meeting.workspace_id, self.box))

    # -- views --------------------------------------------------------------------------------------------

    def _view(self, meeting: Meeting, jobs: Sequence[ScheduledJob]) -> MeetingView:
        return meeting_view(meeting, jobs, public_url=self.public_url, token_key=self.token_key,
                            link_grace=self.defaults.link_validity_after)


def _no_reminder_planned(view: MeetingView) -> str:
    name = view.candidate.name
    state = MeetingState(view.state)
    if state in OPEN_STATES:
        return (f"{name} hasn't picked a time yet, so no day-of reminder is planned; one is planned when "
                "they book.")
    if state == _S.DECLINED:
        return f"{name} declined the meeting, so no reminder was planned."
    if state == _S.CANCELLED:
        return "The meeting was cancelled before a time was booked, so no reminder was planned."
    return f"No day-of reminder was planned for {name}'s meeting (it is {STATE_PHRASES[state]})."


def _asked_hours(session: Session, meeting: Meeting, candidate_zone: str | None) -> WorkingHours | None:
    """The time of day the candidate's latest "other times" note asks for ("evenings after 18:00 Berlin"),
    any day, in the zone it names (else theirs, else the organizer's); None when it names no time."""
    notes = session.scalars(select(ScheduledJob.payload).where(
        ScheduledJob.meeting_id == meeting.id, ScheduledJob.kind == JobKind.ORGANIZER_NOTICE)
        .order_by(ScheduledJob.id.desc()))
    note = next((p.get("note") for p in notes if p and p.get("reason") == "other_times" and p.get("note")), None)
    wish = preferred_hours(note, find_zone=_zone_or_none)
    if wish is None:
        return None
    hours = ((wish.start, wish.end or time(0)),)
    return WorkingHours(timezone=wish.zone or candidate_zone or meeting.timezone,
                        days={day: hours for day in range(7)})


def _zone_or_none(text: str) -> str | None:
    try:
        return find_timezone(text)
    except ConfigError:
        return None


def _meeting_window(proposal: Proposal) -> tuple[datetime, datetime]:
    """The proposal's window, widened to cover every offered time (the nearby times offered for one named
    time may lie outside it)."""
    length = timedelta(minutes=proposal.duration_minutes)
    return (min(proposal.window_start, *proposal.slots),
            max(proposal.window_end, *(slot + length for slot in proposal.slots)))


def _local_day(moment: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The organizer's whole local day around `moment`, in UTC."""
    day = moment.astimezone(zone).date()
    return (utc(datetime.combine(day, time(0), tzinfo=zone)),
            utc(datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)))


def _known_candidate_zone(session: Session, workspace_id: int, candidate: CandidateRef) -> str | None:
    """The zone the candidate's browser last reported on one of this workspace's booking pages, if any."""
    match = Meeting.candidate_email == candidate.email
    if candidate.id is not None:
        match = or_(match, Meeting.candidate_id == candidate.id)
    zone = session.scalar(select(Meeting.candidate_timezone).where(
        Meeting.workspace_id == workspace_id, Meeting.candidate_timezone.is_not(None), match)
        .order_by(Meeting.updated_at.desc(), Meeting.id.desc()).limit(1))
    return zone_name_or_none(zone)


def _same_request(session: Session, proposal: Proposal, organizer: Person, *, since: datetime) -> int | None:
    """A meeting requested moments ago from exactly this proposal, if any."""
    recent = session.scalars(select(Meeting).where(
        Meeting.workspace_id == organizer.workspace_id, Meeting.organizer_email == organizer.email.lower(),
        Meeting.candidate_email == proposal.candidate.email, Meeting.state == _S.REQUESTED,
        Meeting.window_start == _meeting_window(proposal)[0], Meeting.window_end == _meeting_window(proposal)[1],
        Meeting.duration_minutes == proposal.duration_minutes, Meeting.title == proposal.title,
        Meeting.created_at >= since).options(selectinload(Meeting.attendees)))
    wanted = ({a.email for a in proposal.attendees}, proposal.location)
    return next((m.id for m in recent if ({a.email for a in m.attendees}, m.location) == wanted), None)


def _tie_intake(session: Session, intake_id: int, meeting: Meeting, organizer: Person) -> None:
    intake = session.scalar(select(CandidateIntake).where(CandidateIntake.id == intake_id).with_for_update())
    if intake is None or intake.workspace_id != organizer.workspace_id or intake.state != "draft":
        raise SchedulingError("That proposal was already sent or has expired. Please say \u201cschedule with "
                              "…\u201d again.")
    if intake.email.lower() != meeting.candidate_email.lower():
        raise SchedulingError("The person to add and the person invited differ; please propose the meeting again.")
    intake.meeting_id, intake.state = meeting.id, "waiting"
    intake.first_name, intake.last_name = split_name(meeting.candidate_name, intake.email)


def _attending(person: Person) -> Any:
    return select(MeetingAttendee.meeting_id).where(MeetingAttendee.email == person.email.lower())


def _by(actor: str) -> str:
    if actor == "candidate":
        return " by the candidate"
    return "" if actor == "system" else " by the organizer"


__all__ = ["MeetingService"]
