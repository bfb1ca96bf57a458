"""Turns each meeting event into the ATS writes it calls for, inside the transaction that records the event.

Planning here and delivering in scheduler/outbox.py means an event and its ATS writes commit together:
a crash can delay a note, never lose or double it. Each ATS's rules for logging (its spec's write policy,
adapters/<provider>/policy.py) are checked at planning time from facts gathered here (`MeetingFacts`);
when they refuse, the writes are recorded as `skipped` with the reason and the organizer is told once
per meeting. This module also answers "what did you log for Jane?" (`log_for_candidate`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters.base import Capability
from adapters.registry import all_specs, find_spec, spec_for
from adapters.write_policy import AtsPerson, MeetingFacts, WriteDecision, WritePolicy
from scheduler.jobs import PlannedJob, job_row
from store.intake_models import CandidateIntake
from store.meeting_models import Meeting, MeetingEvent, ScheduledJob
from store.models import Application, AtsConnection, AtsUser, Candidate, Job
from store.outbox_models import OutboxItem

# A chat notice about the ATS log. It belongs to no meeting on purpose: a meeting's re-planning cancels
# the pending jobs it did not ask for, and this one must survive it (payload names the meeting).
ATS_NOTICE_KIND = "ats_notice"
LOGGED_EVENTS = frozenset({"request_sent", "followup_sent", "dayof_reminder_sent", "time_selected",
                           "declined", "booked", "rescheduled", "cancelled"})
SOURCE_TAG = "hirebot"  # how people hirebot adds are marked in the ATS (a tag, and Lever's source)


class OutboxState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SENT = "sent"
    PARKED = "parked"
    SKIPPED = "skipped"
    DROPPED = "dropped"
    # Waiting for the candidate to book: an intake meeting's rows go only once hirebot has added them.
    HELD = "held"


UNFINISHED = (OutboxState.PENDING, OutboxState.RUNNING, OutboxState.HELD)


class OutboxAction(StrEnum):
    NOTE = "note"
    CREATE_INTERVIEW = "create_interview"
    UPDATE_INTERVIEW = "update_interview"
    DELETE_INTERVIEW = "delete_interview"
    CREATE_CANDIDATE = "create_candidate"


INTERVIEW_ACTIONS = (OutboxAction.CREATE_INTERVIEW, OutboxAction.UPDATE_INTERVIEW)


@dataclass(frozen=True)
class LogEntry:
    """One ATS write about a candidate, as "what did you log for Jane?" shows it."""

    id: int
    candidate_id: int | None
    meeting_id: int
    meeting_title: str
    event_kind: str
    action: str
    provider: str
    state: str
    occurred_at: datetime
    link: str | None
    reason: str | None
    attempts: int

    @property
    def summary(self) -> str:
        what = ACTION_PHRASES[OutboxAction(self.action)].format(event=EVENT_PHRASES.get(self.event_kind,
                                                                                         self.event_kind))
        if self.state == OutboxState.SENT:
            return f"{what}: logged" + (f" ({self.link})" if self.link else "")
        if self.state == OutboxState.SKIPPED:
            return f"{what}: not logged, {self.reason}"
        if self.state == OutboxState.PARKED:
            return f"{what}: stuck after {self.attempts} tries, {self.reason}"
        if self.state == OutboxState.DROPPED:
            return f"{what}: dropped by an admin"
        if self.state == OutboxState.HELD:
            return f"{what}: will be logged once they book and are added"
        return f"{what}: waiting to be logged"


EVENT_PHRASES = {
    "request_sent": "request sent", "followup_sent": "follow-up sent", "dayof_reminder_sent": "day-of reminder",
    "time_selected": "time picked", "declined": "declined", "booked": "booked", "rescheduled": "rescheduled",
    "cancelled": "cancelled",
}
ACTION_PHRASES = {
    OutboxAction.CREATE_CANDIDATE: "Added to the ATS",
    OutboxAction.NOTE: "Note ({event})", OutboxAction.CREATE_INTERVIEW: "Scheduled interview",
    OutboxAction.UPDATE_INTERVIEW: "Interview moved", OutboxAction.DELETE_INTERVIEW: "Interview removed",
}


@dataclass(frozen=True)
class _Target:
    """Where a meeting's writes go, and the ATS's decision on them (why they can't go, who they name)."""

    connection: AtsConnection | None
    decision: WriteDecision = field(default_factory=WriteDecision)

    @property
    def problem(self) -> str | None:
        return self.decision.problem


# -- planning (inside the caller's transaction) -----------------------------------------------------------


def plan_ats_log(session: Session, meeting: Meeting, event: MeetingEvent, *, now: datetime) -> list[OutboxItem]:
    """Write the outbox rows `event` calls for. Nothing when the meeting's workspace has no ATS to log to."""
    if event.kind not in LOGGED_EVENTS:
        return []
    intake = _intake_of(session, meeting)
    if intake is not None and intake.state == IntakeState.WAITING:
        return _plan_for_intake(session, meeting, event, intake, now)
    if intake is not None and intake.state == IntakeState.NOT_CREATED:
        return []  # the meeting ended before a booking: nobody was added, nothing to log
    target = _target(session, meeting, pushed=intake is not None)
    if target.connection is None:
        return []
    if event.id is None:
        session.flush()  # the event's id goes into the note's marker
    connection = target.connection
    actions = [OutboxAction.NOTE, *_interview_actions(session, meeting, event, connection)]
    items = [_item(session, meeting, event, connection, action, target, now) for action in actions]
    for item in items:
        session.add(item)
    if target.problem is not None:
        _plan_notice(session, meeting, f"meeting:{meeting.id}:ats_requirements", now,
                     requirement_notice(meeting, connection, target.problem))
    session.flush()
    return items


# -- people hirebot adds to the ATS when they book (docs/new_candidates.md) ----------------------------------


class IntakeState(StrEnum):
    DRAFT = "draft"
    WAITING = "waiting"
    CREATED = "created"
    NOT_CREATED = "not_created"


def _intake_of(session: Session, meeting: Meeting) -> CandidateIntake | None:
    return session.scalar(select(CandidateIntake).where(CandidateIntake.meeting_id == meeting.id))


def _plan_for_intake(session: Session, meeting: Meeting, event: MeetingEvent, intake: CandidateIntake,
                     now: datetime) -> list[OutboxItem]:
    """Before the booking the rows are held; the booking releases them behind the row that adds the person;
    a meeting that ends first adds nobody."""
    connection = session.get(AtsConnection, intake.connection_id) if intake.connection_id else None
    if connection is None or find_spec(connection.provider) is None:
        return []
    if event.id is None:
        session.flush()
    held = session.scalars(select(OutboxItem).where(OutboxItem.meeting_id == meeting.id,
                                                    OutboxItem.state == OutboxState.HELD)
                           .order_by(OutboxItem.id)).all()
    create = session.scalar(select(OutboxItem).where(OutboxItem.meeting_id == meeting.id,
                                                     OutboxItem.action == OutboxAction.CREATE_CANDIDATE))
    released = event.kind == "booked" or (create is not None and create.state != OutboxState.HELD)
    if event.kind in ("declined", "cancelled") and not released:
        reason = (f"{meeting.candidate_name} didn't book a time, so they weren't added to {_name(connection)} "
                  "and there is nothing to log")
        for row in held:
            row.state, row.skip_reason, row.finished_at = OutboxState.SKIPPED, reason, now
        intake.state, intake.finished_at = IntakeState.NOT_CREATED, now
        session.flush()
        return []
    target = _intake_target(session, meeting, connection, intake)
    items: list[OutboxItem] = []
    if create is None:
        items.append(_create_item(session, meeting, event, connection, intake, now))
    actions = [OutboxAction.NOTE, *_interview_actions(session, meeting, event, connection)]
    items += [_item(session, meeting, event, connection, action, target, now, intake=intake) for action in actions]
    for item in items:
        if item.state == OutboxState.PENDING and not released:
            item.state = OutboxState.HELD
        session.add(item)
    if released:
        for row in held:
            row.state, row.due_at = OutboxState.PENDING, now
    if target.problem is not None and released:
        _plan_notice(session, meeting, f"meeting:{meeting.id}:ats_requirements", now,
                     requirement_notice(meeting, connection, target.problem, pushed=True))
    session.flush()
    return items


def _create_item(session: Session, meeting: Meeting, event: MeetingEvent, connection: AtsConnection,
                 intake: CandidateIntake, now: datetime) -> OutboxItem:
    acting = _ats_user(session, connection.id, meeting.organizer_email)
    payload = {"intake_id": intake.id, "email": intake.email, "first_name": intake.first_name,
               "last_name": intake.last_name, "job_remote_id": intake.job_remote_id, "job_name": intake.job_name,
               "linkedin_url": intake.linkedin_url, "resume_name": intake.resume_name,
               "acting_user_id": acting.remote_id if acting is not None else None,
               "organizer_user_id": meeting.organizer_user_id, "title": meeting.title}
    return OutboxItem(workspace_id=meeting.workspace_id, meeting_id=meeting.id, event_id=event.id,
                      event_kind=event.kind, candidate_id=None, order_key=f"meeting:{meeting.id}",
                      connection_id=connection.id, provider=connection.provider,
                      action=OutboxAction.CREATE_CANDIDATE, state=OutboxState.PENDING, payload=payload,
                      due_at=now, attempts=0, unsure=False, created_at=now)


def _intake_target(session: Session, meeting: Meeting, connection: AtsConnection,
                   intake: CandidateIntake) -> _Target:
    """What the notes and the interview need once hirebot adds the person (the create itself always goes)."""
    if not connection.is_active:
        return _Target(connection, _switched_off(connection))
    job = session.scalar(select(Job).where(Job.connection_id == connection.id,
                                           Job.remote_id == intake.job_remote_id)) if intake.job_remote_id else None
    facts = _facts(session, meeting, connection, managers=_job_managers(session, connection.id, job),
                   pushed=True, adding=True, job_picked=bool(intake.job_remote_id))
    return _Target(connection, _policy(connection).decide(facts))


def _interview_actions(session: Session, meeting: Meeting, event: MeetingEvent,
                       connection: AtsConnection) -> list[OutboxAction]:
    """booked: schedule the interview (or move it, when an earlier round scheduled one); cancelled: remove it.
    An ATS whose API has no interviews gets none: its booked note carries the time, the people and the place."""
    if event.kind not in ("booked", "cancelled"):
        return []
    spec = find_spec(connection.provider)
    if spec is not None and Capability.WRITE_INTERVIEWS not in spec.capabilities:
        return []
    earlier = session.scalar(select(OutboxItem.id).where(
        OutboxItem.meeting_id == meeting.id, OutboxItem.action.in_(list(INTERVIEW_ACTIONS)),
        OutboxItem.state.not_in([OutboxState.SKIPPED, OutboxState.DROPPED])).limit(1))
    if event.kind == "booked":
        return [OutboxAction.UPDATE_INTERVIEW if earlier else OutboxAction.CREATE_INTERVIEW]
    return [OutboxAction.DELETE_INTERVIEW] if earlier else []


def _item(session: Session, meeting: Meeting, event: MeetingEvent, connection: AtsConnection,
          action: OutboxAction, target: _Target, now: datetime, *,
          intake: CandidateIntake | None = None) -> OutboxItem:
    payload = _payload(session, meeting, event, connection, action, target)
    if intake is not None:
        payload["intake_id"] = intake.id  # the remote ids are known only once the person is added
    skipped = target.problem is not None
    order_key = f"candidate:{meeting.candidate_id}" if meeting.candidate_id and intake is None \
        else f"meeting:{meeting.id}"
    return OutboxItem(workspace_id=meeting.workspace_id, meeting_id=meeting.id, event_id=event.id,
                      event_kind=event.kind, candidate_id=meeting.candidate_id, order_key=order_key,
                      connection_id=connection.id, provider=connection.provider, action=action,
                      state=OutboxState.SKIPPED if skipped else OutboxState.PENDING, payload=payload,
                      due_at=now, attempts=0, unsure=False, skip_reason=target.problem, created_at=now,
                      finished_at=now if skipped else None)


def _payload(session: Session, meeting: Meeting, event: MeetingEvent, connection: AtsConnection,
             action: OutboxAction, target: _Target) -> dict[str, Any]:
    data = event.data or {}
    acting = _ats_user(session, connection.id, meeting.organizer_email)
    payload: dict[str, Any] = {
        "candidate_remote_id": data.get("candidate_remote_id") or meeting.candidate_remote_id,
        "application_remote_id": data.get("application_remote_id") or meeting.application_remote_id,
        "acting_user_id": acting.remote_id if acting is not None else None,
        "organizer_user_id": meeting.organizer_user_id,
        "title": meeting.title,
        "timezone": meeting.timezone,
    }
    if action == OutboxAction.NOTE:
        payload["marker"] = marker(event.id)
        payload["body"] = f"{note_text(meeting, event)}\n\n{payload['marker']}"
        return payload
    slot = data.get("slot") or {}
    payload.update(external_event_id=meeting.calendar_uid, start=slot.get("start"), end=slot.get("end"),
                   location=data.get("location"))
    # Who creates and who runs the interview is the ATS's rule (its write policy), not always the organizer.
    decision = target.decision
    if decision.acting_user_id is not None:
        payload["acting_user_id"] = decision.acting_user_id
    if decision.interviewer_ids is not None:
        payload["interviewer_ids"] = list(decision.interviewer_ids)
    return payload


def marker(event_id: int) -> str:
    """The tag at the end of every note, so an unsure write can be looked up before it is tried again."""
    return f"[hirebot:evt-{event_id}]"


# -- requirements: facts from the store, the decision from the ATS's write policy ------------------------


def _target(session: Session, meeting: Meeting, *, pushed: bool = False) -> _Target:
    connection = session.get(AtsConnection, meeting.connection_id) if meeting.connection_id else None
    if connection is None:
        return _unlinked_target(session, meeting)
    if find_spec(connection.provider) is None:
        return _Target(None)
    if not connection.is_active:
        return _Target(connection, _switched_off(connection))
    facts = _facts(session, meeting, connection,
                   managers=_hiring_managers(session, connection.id, meeting.application_remote_id), pushed=pushed)
    return _Target(connection, _policy(connection).decide(facts))


def _unlinked_target(session: Session, meeting: Meeting) -> _Target:
    """A meeting with someone in no connection: owed only to an ATS whose policy says so (the first such
    active connection), which cannot log it; otherwise nothing is owed."""
    owed = [spec.name for spec in all_specs() if spec.write_policy.unlinked_problem(meeting.candidate_name) is not None]
    connection = session.scalar(select(AtsConnection).where(
        AtsConnection.workspace_id == meeting.workspace_id, AtsConnection.provider.in_(owed),
        AtsConnection.is_active.is_(True)).order_by(AtsConnection.id).limit(1)) if owed else None
    if connection is None:
        return _Target(None)
    return _Target(connection, WriteDecision(_policy(connection).unlinked_problem(meeting.candidate_name)))


def _facts(session: Session, meeting: Meeting, connection: AtsConnection, *, managers: Sequence[AtsUser],
           pushed: bool = False, adding: bool = False, job_picked: bool = False) -> MeetingFacts:
    """What the store knows about this meeting and its candidate in `connection`, as plain values."""
    candidate = session.get(Candidate, meeting.candidate_id) if meeting.candidate_id else None
    on_record = candidate is not None and candidate.connection_id == connection.id
    emails = [meeting.organizer_email, *(a.email for a in meeting.attendees)]
    users = _ats_users(session, connection.id)
    found = (_user_with_email(users, email) for email in emails)
    invited_users = {user.remote_id: _person(user) for user in found if user is not None}  # organizer first
    return MeetingFacts(
        candidate_name=meeting.candidate_name, meeting_title=meeting.title, meeting_created_at=meeting.created_at,
        invited_email=meeting.candidate_email, invited_emails=frozenset(e.lower() for e in emails),
        invited_ats_users=tuple(invited_users.values()), hiring_managers=tuple(_person(m) for m in managers),
        candidate_remote_id=meeting.candidate_remote_id, candidate_on_record=on_record,
        candidate_added_at=candidate.remote_created_at if on_record and candidate is not None else None,
        candidate_emails=frozenset(_candidate_emails(candidate)) if on_record and candidate is not None
        else frozenset(),
        pushed=pushed, adding=adding, job_picked=job_picked)


def _person(user: AtsUser) -> AtsPerson:
    return AtsPerson(remote_id=user.remote_id, name=user.name, emails=frozenset(_emails_of(user)))


def _policy(connection: AtsConnection) -> WritePolicy:
    return spec_for(connection.provider).write_policy


def _switched_off(connection: AtsConnection) -> WriteDecision:
    return WriteDecision(f"{_name(connection)} is not connected any more (the connection is switched off)")


def _hiring_managers(session: Session, connection_id: int, application_remote_id: str | None) -> list[AtsUser]:
    if not application_remote_id:
        return []
    application = session.scalar(select(Application).where(Application.connection_id == connection_id,
                                                            Application.remote_id == application_remote_id))
    job = session.get(Job, application.job_id) if application is not None and application.job_id else None
    return _job_managers(session, connection_id, job)


def _job_managers(session: Session, connection_id: int, job: Job | None) -> list[AtsUser]:
    remote_ids = [str(value) for value in (job.hiring_manager_remote_ids or [])] if job is not None else []
    if not remote_ids:
        return []
    return list(session.scalars(select(AtsUser).where(AtsUser.connection_id == connection_id,
                                                      AtsUser.remote_id.in_(remote_ids),
                                                      AtsUser.deactivated.is_(False))
                                .order_by(AtsUser.id)))


def _ats_users(session: Session, connection_id: int) -> list[AtsUser]:
    return list(session.scalars(select(AtsUser).where(AtsUser.connection_id == connection_id,
                                                      AtsUser.deactivated.is_(False)).order_by(AtsUser.id)))


def _user_with_email(users: Sequence[AtsUser], email: str) -> AtsUser | None:
    """The first of `users` with this email (their main one or any other)."""
    address = email.lower()
    return next((user for user in users if address in _emails_of(user)), None)


def _ats_user(session: Session, connection_id: int, email: str) -> AtsUser | None:
    """The ATS user a hirebot user acts as, by email (their main one or any other)."""
    return _user_with_email(_ats_users(session, connection_id), email)


def _emails_of(user: AtsUser) -> set[str]:
    return {e.lower() for e in [user.email, *(user.emails or [])] if isinstance(e, str) and e}


def _candidate_emails(candidate: Candidate) -> set[str]:
    found = {candidate.primary_email.lower()} if candidate.primary_email else set()
    for entry in candidate.emails or []:
        value = entry.get("value") if isinstance(entry, Mapping) else entry
        if isinstance(value, str) and value:
            found.add(value.lower())
    return found


# -- chat notices -------------------------------------------------------------------------------------------


def _plan_notice(session: Session, meeting: Meeting, key: str, now: datetime, text: str) -> None:
    """Plan a chat notice under a stable key: planning the same one again inserts nothing."""
    if meeting.organizer_user_id is None:
        return
    if session.scalar(select(ScheduledJob.id).where(ScheduledJob.idempotency_key == key)) is not None:
        return
    plan = PlannedJob(key=key, kind=ATS_NOTICE_KIND, due_at=now,
                      payload={"meeting_id": meeting.id, "user_id": meeting.organizer_user_id, "text": text})
    try:
        with session.begin_nested():  # another transaction may plan the same notice at the same moment
            session.add(job_row(plan, now))
    except IntegrityError:
        return


def plan_parked_notice(session: Session, item: OutboxItem, now: datetime) -> None:
    """Tell the organizer a write is stuck, with the ATS's own words (once per time it is parked)."""
    meeting = session.get(Meeting, item.meeting_id)
    if meeting is None:
        return
    what = ACTION_PHRASES[OutboxAction(item.action)].format(event=EVENT_PHRASES.get(item.event_kind,
                                                                                     item.event_kind))
    text = (f"I couldn't log to {_label(item.provider)} for {meeting.candidate_name} ({meeting.title}): "
            f"{what.lower()} failed {item.attempts} time{'s' if item.attempts != 1 else ''}. "
            f"The reason: {item.last_error or 'none was given'}. "
            f"An admin can retry it with \"hirebot outbox retry {item.id}\".")
    _plan_notice(session, meeting, f"outbox:{item.id}:parked:{item.attempts}", now, text)


def plan_added_notice(session: Session, meeting: Meeting, intake: CandidateIntake, now: datetime) -> None:
    """Tell the organizer the person they scheduled by email is now in the ATS, with what came along."""
    connection = session.get(AtsConnection, intake.connection_id) if intake.connection_id else None
    where = _name(connection) if connection is not None else "the ATS"
    job = f" for {intake.job_name}" if intake.job_name else " as a prospect"
    extras = [what for what, present in (("their CV", intake.resume_name), ("LinkedIn profile", intake.linkedin_url))
              if present]
    extra = f" with {' and '.join(extras)}" if extras else ""
    link = f": {intake.candidate_url}" if intake.candidate_url else "."
    _plan_notice(session, meeting, f"intake:{intake.id}:added", now,
                 f"{meeting.candidate_name} booked, so I added them to {where}{job}{extra}, tagged "
                 f"\u201c{SOURCE_TAG}\u201d{link}")


def requirement_notice(meeting: Meeting, connection: AtsConnection, problem: str, *, pushed: bool = False) -> str:
    """The organizer's notice that `meeting` is not logged to `connection` (`pushed`: hirebot still adds the
    person there), in the words of the connection's ATS."""
    return _policy(connection).notice(candidate_name=meeting.candidate_name, meeting_title=meeting.title,
                                      where=_name(connection), problem=problem, adding=pushed)


def _name(connection: AtsConnection) -> str:
    return _label(connection.provider)


def _label(provider: str) -> str:
    spec = find_spec(provider)
    return spec.label if spec is not None else provider.capitalize()


# -- note texts -----------------------------------------------------------------------------------------------


def note_text(meeting: Meeting, event: MeetingEvent) -> str:
    """A short, consistent line for the candidate's activity feed."""
    data = event.data or {}
    name, title = meeting.candidate_name, meeting.title
    zone = meeting.timezone or "UTC"
    slot = _slot_text(data.get("slot"), zone)
    by = f" by {meeting.organizer_name or meeting.organizer_email}" if event.actor not in ("candidate",
                                                                                            "system") else ""
    reason = data.get("reason")
    said = f" Reason given: \u201c{reason}\u201d." if reason else " No reason given."
    kind = event.kind
    if kind == "request_sent":
        return f"hirebot: interview request for {title} sent to {name} ({data.get('to') or meeting.candidate_email})."
    if kind == "followup_sent":
        number = data.get("followup")
        return f"hirebot: follow-up{f' {number}' if number else ''} sent to {name} for {title}."
    if kind == "dayof_reminder_sent":
        return f"hirebot: day-of reminder sent to {name} for {title}{f' ({slot})' if slot else ''}."
    if kind == "time_selected":
        return f"hirebot: {name} picked {slot or 'a time'} for {title}."
    if kind == "declined":
        return f"hirebot: {name} declined {title}.{said}"
    if kind == "booked":
        people = ", ".join(_people(data.get("attendees") or [])) or meeting.organizer_email
        where = f" Location: {data['location']}." if data.get("location") else ""
        return f"hirebot: {title} booked for {slot or 'a time'} with {people}.{where}"
    if kind == "rescheduled":
        was = _slot_text(data.get("previous_slot"), zone)
        return f"hirebot: {title} is being rescheduled{by}{f' (was {was})' if was else ''}."
    return f"hirebot: {title} was cancelled{by or (' by the candidate' if event.actor == 'candidate' else '')}.{said}"


def _slot_text(slot: Mapping[str, Any] | None, zone: str) -> str | None:
    if not slot or not slot.get("start"):
        return None
    tz = ZoneInfo(zone)
    start = datetime.fromisoformat(slot["start"]).astimezone(tz)
    end = datetime.fromisoformat(slot["end"]).astimezone(tz) if slot.get("end") else None
    until = f"\u2013{end:%H:%M}" if end is not None else ""
    return f"{start:%a} {start.day} {start:%b} {start.year}, {start:%H:%M}{until} ({zone})"


def _people(attendees: Iterable[Mapping[str, Any]]) -> list[str]:
    return [str(a.get("name") or a.get("email")) for a in attendees if a.get("name") or a.get("email")]


# -- reading --------------------------------------------------------------------------------------------------


def log_for_candidate(session: Session, candidate_ids: Sequence[int]) -> list[LogEntry]:
    """Every ATS write owed for these candidates' meetings, oldest first, with its delivery state."""
    if not candidate_ids:
        return []
    rows = session.execute(
        select(OutboxItem, Meeting.title, MeetingEvent.occurred_at)
        .join(Meeting, Meeting.id == OutboxItem.meeting_id)
        .join(MeetingEvent, MeetingEvent.id == OutboxItem.event_id)
        .where(Meeting.candidate_id.in_(list(candidate_ids)))
        .order_by(MeetingEvent.occurred_at, OutboxItem.id)).all()
    return [LogEntry(id=item.id, candidate_id=item.candidate_id, meeting_id=item.meeting_id, meeting_title=title,
                     event_kind=item.event_kind, action=item.action, provider=item.provider, state=item.state,
                     occurred_at=occurred, link=item.link,
                     reason=item.skip_reason if item.state == OutboxState.SKIPPED else item.last_error,
                     attempts=item.attempts)
            for item, title, occurred in rows]


def backoff(attempts: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """Bounded exponential backoff after a failed attempt (a 429's Retry-After is pacing: scheduler/outbox.py)."""
    return min(cap, base * (2 ** max(attempts - 1, 0)))


__all__ = [
    "ATS_NOTICE_KIND", "LOGGED_EVENTS", "SOURCE_TAG", "IntakeState", "LogEntry", "OutboxAction", "OutboxState",
    "backoff", "log_for_candidate", "marker", "note_text", "plan_added_notice",
    "plan_ats_log", "plan_parked_notice", "requirement_notice",
]
