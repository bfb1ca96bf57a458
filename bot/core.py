"""The conversation core: text → intent → handler → Reply. Knows nothing of Slack, Teams or terminals.

Every front end (console, `hirebot ask`, Slack, Teams) builds an IncomingMessage and renders the
Reply it gets back; no front end holds business logic.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import HirebotError
from bot.candidate_card import PersonRecords, ago, candidate_card, provider_label, summary
from bot.intents import Intent, IntentName, parse
from bot.messages import ChatFile, IncomingMessage, Person
from bot.names import Decision, Hit, decide
from bot.replies import Card, Choice, Field, MatchStatus, Reply
from bot.roster import RosterIndex
from store.models import AtsConnection, Candidate, utcnow
from store.queries import (
    candidates_by_ids,
    candidates_sharing_email,
    open_jobs_with_counts,
    primary_emails,
    visible_connections,
)

if TYPE_CHECKING:  # scheduling is imported when a scheduling question arrives (see Assistant.offer_scheduling)
    from bot.scheduling_chat import SchedulingDesk
    from bot.settings_chat import SettingsDesk
    from store.sync import SyncSummary

log = logging.getLogger(__name__)

SEARCH_LIMIT = 10
CHOICES_LIMIT = 5
LOG_LINES = 20  # "what did you log for" shows the latest entries and counts the rest

HELP_TEXT = (
    "Here is what I can do:\n"
    "• *who is Jane Doe?* (or just *Jane Doe*) shows a candidate's card: position, stage, status, contact, "
    "tags, and links to the ATS record, resume and cover letter. Nicknames, typos, accents, \"Doe, Jane\" and "
    "email addresses all work.\n"
    "• *schedule with Jane Doe* (or *book a 45 minute interview with Jane next week*) proposes a meeting and "
    "emails Jane a link to pick a time; *reschedule with Jane*, *cancel the interview with Jane* and "
    "*my meetings* manage it, and *why didn't Jane get a reminder?* explains what went out.\n"
    "• *refresh Jane Doe* re-reads a candidate from the ATS right now.\n"
    "• *open jobs* (or *jobs for Greenhouse*) lists open jobs with their active candidates.\n"
    "• *schedule with jane@example.com* works for someone in no ATS yet: attach their CV and add their LinkedIn "
    "link, and I add them to the ATS and job you pick when they book.\n"
    "• *what did you log for Jane?* lists what I wrote to the ATS about her meetings.\n"
    "• *my settings* shows your scheduling preferences; change one in plain words, e.g. *brief me 30 minutes "
    "before meetings*, *my time zone is Europe/Berlin* or *turn on the morning digest*.\n"
    "• *help* shows this message."
)

CANDIDATE_INTENTS = frozenset({IntentName.WHO_IS, IntentName.SCHEDULE, IntentName.REFRESH, IntentName.RESCHEDULE,
                               IntentName.CANCEL, IntentName.WHY_NO_REMINDER, IntentName.WHAT_LOGGED})
"""The intents about one candidate: their answers always carry a match status (docs/cli.md, `hirebot ask`)."""

_STATUS = {Decision.MATCH: MatchStatus.MATCH, Decision.AMBIGUOUS: MatchStatus.AMBIGUOUS,
           Decision.NONE: MatchStatus.NONE}


class Assistant:
    """Answers messages for people in any workspace, reading only what each asker may see."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime] = utcnow,
                 roster: RosterIndex | None = None,
                 refresher: Callable[[int, list[str]], SyncSummary] | None = None,
                 scheduling: SchedulingDesk | None = None, settings_desk: SettingsDesk | None = None) -> None:
        self.sessions = sessions
        self.clock = clock
        self.roster = roster or RosterIndex(sessions)
        # Re-reading from an ATS is the sync layer's job; the core only asks it to (see ConnectionService).
        self.refresher = refresher
        self._scheduling = scheduling
        self._settings_desk = settings_desk
        self._scheduling_factory: Callable[[], SchedulingDesk] | None = None
        self._settings_factory: Callable[[], SettingsDesk] | None = None
        self._desks_lock = threading.Lock()

    def offer_scheduling(self, scheduling: Callable[[], SchedulingDesk],
                         settings_desk: Callable[[], SettingsDesk]) -> None:
        """Scheduling and settings desks to build when a message first needs one: a process that only
        answers "who is" never loads the meeting machinery."""
        with self._desks_lock:
            self._scheduling_factory = scheduling
            self._settings_factory = settings_desk

    @property
    def scheduling(self) -> SchedulingDesk | None:
        """The scheduling desk (None: this assistant cannot schedule), built on first use if offered."""
        with self._desks_lock:
            if self._scheduling is None and self._scheduling_factory is not None:
                self._scheduling = self._scheduling_factory()
            self._scheduling_factory = None
            return self._scheduling

    @scheduling.setter
    def scheduling(self, desk: SchedulingDesk | None) -> None:
        with self._desks_lock:
            self._scheduling, self._scheduling_factory = desk, None

    @property
    def settings_desk(self) -> SettingsDesk | None:
        """The settings desk (None: settings cannot be changed here), built on first use if offered."""
        with self._desks_lock:
            if self._settings_desk is None and self._settings_factory is not None:
                self._settings_desk = self._settings_factory()
            self._settings_factory = None
            return self._settings_desk

    @settings_desk.setter
    def settings_desk(self, desk: SettingsDesk | None) -> None:
        with self._desks_lock:
            self._settings_desk, self._settings_factory = desk, None

    @property
    def can_schedule(self) -> bool:
        """Whether scheduling is here, without building it."""
        return self._scheduling is not None or self._scheduling_factory is not None

    def _can_change_settings(self) -> bool:
        return self._settings_desk is not None or self._settings_factory is not None

    def handle(self, message: IncomingMessage) -> Reply:
        """Answer one message; hostile or broken input gets a polite reply, never an exception."""
        try:
            intent = parse(message.text)
            return self._dispatch(message.sender, intent, message.files)
        except HirebotError as exc:
            return Reply(text=str(exc), intent="error")
        except Exception:
            log.exception("could not answer a message")
            return Reply(text="Sorry, something went wrong on my side while answering that. Please try again.",
                         intent="error")

    def choose(self, sender: Person, command: str, value: str) -> Reply:
        """A button or menu choice: `command` about candidate id `value` (e.g. who_is, schedule)."""
        from bot.scheduling_chat import CANCEL, DISCARD, INTAKE_SET, INTAKE_TARGETS, RESCHEDULE, SEND

        try:
            if command in (SEND, DISCARD, RESCHEDULE, CANCEL):
                return self._meeting_choice(sender, command, value)
            if command in (INTAKE_TARGETS, INTAKE_SET):
                desk = self._desk()
                return desk.intake_targets(sender, value) if command == INTAKE_TARGETS else desk.intake_set(sender,
                                                                                                          value)
            candidate_id = int(value)
        except ValueError:
            return Reply(text="That choice is no longer valid. Please ask again.", intent=command)
        except HirebotError as exc:
            return Reply(text=str(exc), intent=command)
        person = self._person_by_id(sender, candidate_id)
        if person is None:
            return Reply(text="I can't find that candidate any more; they may have been removed from the ATS.",
                         intent=command, status=MatchStatus.NONE)
        return self._on_match(sender, IntentName(command) if command in set(IntentName) else IntentName.WHO_IS,
                              person)

    def _dispatch(self, sender: Person, intent: Intent, files: Sequence[ChatFile] = ()) -> Reply:
        handlers: dict[IntentName, Callable[[Person, Intent], Reply]] = {
            IntentName.WHO_IS: self._who_is,
            IntentName.SCHEDULE: partial(self._schedule, files=files),
            IntentName.HELP: lambda _s, _i: Reply(text=HELP_TEXT, intent=IntentName.HELP),
            IntentName.GREETING: lambda s, _i: Reply(
                text=f"Hi{' ' + s.display_name.split()[0] if s.display_name else ''}! Ask me "
                     "\"who is <name>?\" or say *help* to see what I can do.", intent=IntentName.GREETING),
            IntentName.THANKS: lambda _s, _i: Reply(text="You're welcome!", intent=IntentName.THANKS),
            IntentName.REFRESH: self._refresh,
            IntentName.JOBS: self._jobs,
        }
        if self.can_schedule:
            handlers.update({
                IntentName.WHAT_LOGGED: self._about_meeting,
                IntentName.RESCHEDULE: self._about_meeting,
                IntentName.CANCEL: self._about_meeting,
                IntentName.WHY_NO_REMINDER: self._about_meeting,
                IntentName.MY_MEETINGS: lambda s, _i: self._desk().my_meetings(s),
            })
        if self._can_change_settings():
            handlers[IntentName.MY_SETTINGS] = self._change_settings
            handlers[IntentName.CHANGE_SETTING] = self._change_settings
        handler = handlers.get(intent.name)
        if handler is None:
            return Reply(text="Sorry, I didn't get that. Try \"who is Jane Doe?\" or say *help*.",
                         intent=IntentName.UNKNOWN)
        reply = handler(sender, intent)
        if intent.name in CANDIDATE_INTENTS and reply.status is None and reply.intent != "error":
            # Asked back whom to look up, or scheduling someone in no ATS: no candidate was resolved.
            reply = replace(reply, status=MatchStatus.NONE)
        return reply

    # -- who is -------------------------------------------------------------------------------------

    def _who_is(self, sender: Person, intent: Intent) -> Reply:
        if not intent.query:
            return Reply(text="Who should I look up? Try \"who is Jane Doe?\"", intent=IntentName.WHO_IS)
        return self._resolve_then(sender, intent, IntentName.WHO_IS)

    def _schedule(self, sender: Person, intent: Intent, files: Sequence[ChatFile] = ()) -> Reply:
        if not intent.query:
            return Reply(text="Who should I schedule with? Try \"schedule with Jane Doe\".",
                         intent=IntentName.SCHEDULE)
        return self._resolve_then(sender, intent, IntentName.SCHEDULE, files)

    def _refresh(self, sender: Person, intent: Intent) -> Reply:
        if not intent.query:
            return Reply(text="Whose record should I refresh? Try \"refresh Jane Doe\".", intent=IntentName.REFRESH)
        return self._resolve_then(sender, intent, IntentName.REFRESH)

    def _about_meeting(self, sender: Person, intent: Intent) -> Reply:
        if not intent.query:
            return Reply(text="Which candidate's meeting? Try \"reschedule with Jane Doe\".", intent=intent.name)
        return self._resolve_then(sender, intent, intent.name)

    def _desk(self) -> SchedulingDesk:
        desk = self.scheduling
        assert desk is not None
        return desk

    def _change_settings(self, sender: Person, intent: Intent) -> Reply:
        desk = self.settings_desk
        assert desk is not None
        return desk.handle(sender, intent)

    def _on_match(self, sender: Person, command: IntentName, person: PersonRecords,
                  entities: Mapping[str, object] | None = None) -> Reply:
        reply = self._act_on(sender, command, person, entities or {})
        # Every answer about one resolved person says so, as who_is does, whatever the handler filled in:
        # tools reading `hirebot ask --json` learn whom "schedule with Noah" or "cancel with Jane" was about.
        if reply.status in (None, MatchStatus.MATCH) and not reply.candidates and reply.intent != "error":
            reply = replace(reply, status=MatchStatus.MATCH, candidates=(summary(person),))
        return reply

    def _act_on(self, sender: Person, command: IntentName, person: PersonRecords,
                entities: Mapping[str, object]) -> Reply:
        if command is IntentName.SCHEDULE:
            if not self.can_schedule:
                return self._schedule_reply(person)
            return self._desk().propose(sender, person.primary.id, entities)
        if command is IntentName.REFRESH:
            return self._refresh_person(sender, person)
        if command in (IntentName.RESCHEDULE, IntentName.CANCEL, IntentName.WHY_NO_REMINDER):
            return self._meeting_of(sender, command, person, entities)
        if command is IntentName.WHAT_LOGGED:
            return self._what_logged(person)
        return self._card_reply(IntentName.WHO_IS, person)

    def _meeting_of(self, sender: Person, command: IntentName, person: PersonRecords,
                    entities: Mapping[str, object]) -> Reply:
        desk = self._desk()
        view = desk.latest_for(sender, [row.id for row in person.rows],
                               open_only=command is not IntentName.WHY_NO_REMINDER)
        if view is None:
            return Reply(text=f"I don't see a meeting with {person.name} that you can change.", intent=command)
        if command is IntentName.WHY_NO_REMINDER:
            return desk.why_no_reminder(view)
        if command is IntentName.CANCEL:
            return desk.cancel(sender, view)
        when = entities.get("when")
        return desk.reschedule(sender, view, str(when) if when else None)

    def _what_logged(self, person: PersonRecords) -> Reply:
        """Every ATS write owed for this person's meetings, with where it stands."""
        from scheduler.ats_log import log_for_candidate

        with self.sessions() as session:
            entries = log_for_candidate(session, [row.id for row in person.rows])
        if not entries:
            return Reply(text=f"Nothing has been logged to the ATS for {person.name} yet: meeting events are "
                              "logged from the first request on.", intent=IntentName.WHAT_LOGGED,
                         status=MatchStatus.MATCH)
        shown = entries[-LOG_LINES:]
        lines = "\n".join(f"• {entry.occurred_at:%d %b %H:%M} UTC: {entry.summary}" for entry in shown)
        earlier = len(entries) - len(shown)
        cut = f", the latest {len(shown)} (\u2026and {earlier} earlier)" if earlier else ""
        return Reply(text=f"What I logged for {person.name}{cut}:\n{lines}", intent=IntentName.WHAT_LOGGED,
                     status=MatchStatus.MATCH, candidates=(summary(person),), private=True)

    def _meeting_choice(self, sender: Person, command: str, value: str) -> Reply:
        from bot.scheduling_chat import DISCARD, SEND

        desk = self._desk() if self.can_schedule else None
        if desk is None:
            return Reply(text="Scheduling isn't set up here.", intent=command)
        if command == DISCARD:
            return Reply(text="OK, I won't send it.", intent=IntentName.SCHEDULE)
        if command == SEND:
            return desk.send(sender, value)
        return desk.by_id(sender, command, int(value))

    def _resolve_then(self, sender: Person, intent: Intent, command: IntentName,
                      files: Sequence[ChatFile] = ()) -> Reply:
        assert intent.query is not None
        with self.sessions() as session:  # one session for the whole lookup: each costs a pool checkout
            connections = _visible(session, sender)
            if not connections:
                return Reply(text="No applicant tracking system is connected yet, so I have no candidates to look "
                                  "through. Connect one from hirebot's integrations (its Home tab in Slack; say "
                                  "\"connect\" in Teams), or ask an admin to run `hirebot connect`.",
                             intent=command, status=MatchStatus.NONE)
            decision, people, left_out = self._search_in(session, intent.query, connections)
        if decision is Decision.MATCH:
            return self._on_match(sender, command, people[0], intent.entities)
        email = intent.entities.get("email")
        if command is IntentName.SCHEDULE and email and self.can_schedule and not people:
            # Someone in no connected ATS: schedule by email; they join the ATS when they book.
            name = intent.entities.get("name")
            return self._desk().propose(sender, None, intent.entities, email=str(email),
                                           name=str(name) if name else None, files=files)
        summaries = [summary(p) for p in people]
        choices = tuple(Choice(label=s.name, value=s.id, description=s.headline, command=command) for s in summaries)
        if decision is Decision.AMBIGUOUS:
            return Reply(
                text=f"I found several people matching \u201c{intent.query}\u201d. Which one do you mean?"
                     + left_out.sentence(len(people)),
                intent=command, status=MatchStatus.AMBIGUOUS, choices=choices, candidates=tuple(summaries),
                private=True)
        text = f"I couldn't find anyone called \u201c{intent.query}\u201d among your candidates."
        if people:
            text += " Did you mean " + " or ".join(p.name for p in people) + "?"
        return Reply(text=text, intent=command, status=MatchStatus.NONE, choices=choices, private=bool(people))

    def _card_reply(self, command: str, person: PersonRecords) -> Reply:
        card = candidate_card(person, self.clock())
        return Reply(text=f"Here's {person.name}.", intent=command, status=MatchStatus.MATCH, cards=(card,),
                     candidates=(summary(person),), private=True)

    def _schedule_reply(self, person: PersonRecords) -> Reply:
        # An Assistant built without scheduling (a bare core, as in some tests or embeddings) still resolves
        # the person and gives the recruiter what they need to arrange the meeting themselves.
        card = candidate_card(person, self.clock())
        return Reply(
            text=f"Found {person.name}. Scheduling isn't set up here, so here are their details to arrange it "
                 "directly.",
            intent=IntentName.SCHEDULE, status=MatchStatus.MATCH, cards=(card,),
            candidates=(summary(person),), private=True)

    def _refresh_person(self, sender: Person, person: PersonRecords) -> Reply:
        """Re-read every record of this person from its ATS, then show what is stored now."""
        if self.refresher is None:
            return Reply(text="I can't reach the ATS from here, so this is the last synced copy.",
                         intent=IntentName.REFRESH, status=MatchStatus.MATCH,
                         cards=(candidate_card(person, self.clock()),), candidates=(summary(person),), private=True)
        by_connection: dict[int, list[str]] = {}
        for row in person.rows:
            by_connection.setdefault(row.connection_id, []).append(row.remote_id)
        failures = []
        for connection_id, remote_ids in by_connection.items():
            try:
                self.refresher(connection_id, remote_ids)
            except HirebotError as exc:
                failures.append(f"{provider_label(person.connections[connection_id].provider)}: {exc}")
        fresh = self._person_by_id(sender, person.primary.id)
        if fresh is None:
            return Reply(text=f"{person.name} is no longer in the ATS, so I removed the local copy.",
                         intent=IntentName.REFRESH, status=MatchStatus.NONE)
        card = candidate_card(fresh, self.clock())
        if failures:
            text = (f"I couldn't refresh {fresh.name} just now ({'; '.join(failures)}). "
                    "Here is the last synced copy.")
        else:
            sources = " and ".join(dict.fromkeys(s.provider_label for s in fresh.sources()))
            text = f"Refreshed {fresh.name} from {sources} just now."
        return Reply(text=text, intent=IntentName.REFRESH, status=MatchStatus.MATCH, cards=(card,),
                     candidates=(summary(fresh),), private=True)

    # -- jobs ------------------------------------------------------------------------------------------

    def _jobs(self, sender: Person, intent: Intent) -> Reply:
        provider = intent.entities.get("provider")
        connections = self._connections(sender)
        if provider:
            connections = {cid: c for cid, c in connections.items() if c.provider == provider}
        if not connections:
            where = f"{provider_label(str(provider))} " if provider else "ATS "
            return Reply(text=f"No {where}connection is set up for you yet, so I have no jobs to list.",
                         intent=IntentName.JOBS)
        with self.sessions() as session:
            jobs = open_jobs_with_counts(session, list(connections))
        now = self.clock()
        cards = []
        for cid, connection in connections.items():
            mine = [(job, n) for job, n in jobs if job.connection_id == cid]
            label = provider_label(connection.provider)
            cards.append(Card(
                title=f"Open jobs in {connection.name}" if connection.name != label else f"Open jobs in {label}",
                fields=tuple(Field(job.name, f"{n} active candidate{'s' if n != 1 else ''}") for job, n in mine),
                context=(f"From {label} · synced {ago(connection.last_sync_at, now)}",),
                kind="jobs"))
        total = len(jobs)
        text = f"{total} open job{'s' if total != 1 else ''}." if total else "There are no open jobs right now."
        return Reply(text=text, intent=IntentName.JOBS, cards=tuple(cards))

    # -- lookup ----------------------------------------------------------------------------------------

    def _connections(self, sender: Person) -> dict[int, AtsConnection]:
        with self.sessions() as session:
            return _visible(session, sender)

    def _find(self, query: str, connections: dict[int, AtsConnection]) -> tuple[Decision, list[PersonRecords]]:
        decision, people, _ = self._search(query, connections)
        return decision, people

    def _search(self, query: str, connections: dict[int, AtsConnection]
                ) -> tuple[Decision, list[PersonRecords], LeftOut]:
        """Search every visible connection, merge records of the same person, then decide; choices beyond
        CHOICES_LIMIT are left out and counted."""
        with self.sessions() as session:
            return self._search_in(session, query, connections)

    def _search_in(self, session: Session, query: str, connections: dict[int, AtsConnection]
                   ) -> tuple[Decision, list[PersonRecords], LeftOut]:
        """`_search` in the session that read `connections`: their roster versions tell the name index
        whether it is current, and the records are read in the same session (fewer round trips)."""
        hits = self.roster.search_connections(connections.values(), query, limit=SEARCH_LIMIT)
        if not hits:
            return Decision.NONE, [], LeftOut()
        # Grouping and deciding need only each hit's email; whole records (applications, jobs, files)
        # are loaded for the people shown.
        emails = primary_emails(session, [h.id for h in hits], list(connections))
        id_groups = _group_by_person(hits, emails)
        resolution = decide([best for best, _ in id_groups], limit=max(len(id_groups), CHOICES_LIMIT))
        shown = {hit.id for hit in resolution.hits[:CHOICES_LIMIT]}
        wanted = [member for best, members in id_groups if best.id in shown for member in members]
        rows = {c.id: c for c in candidates_by_ids(session, wanted, list(connections))}
        groups = [(best, [rows[m] for m in members if m in rows]) for best, members in id_groups
                  if best.id in shown]
        chosen = resolution.hits
        left_out = LeftOut()
        if resolution.decision is Decision.AMBIGUOUS and len(chosen) > CHOICES_LIMIT:
            # A full page of hits may hide more people past the search limit: say "at least" then.
            left_out = LeftOut(len(chosen) - CHOICES_LIMIT, at_least=len(hits) >= SEARCH_LIMIT)
            chosen = chosen[:CHOICES_LIMIT]
        elif resolution.decision is Decision.NONE:
            chosen = chosen[:CHOICES_LIMIT]
        by_rep = {best.id: members for best, members in groups}
        people = []
        for hit in chosen:
            members = by_rep.get(hit.id, [])
            if not members:  # removed by a sync between the two reads
                continue
            if resolution.decision is Decision.MATCH:
                members = _with_other_sources(session, members, connections)
            people.append(PersonRecords(rows=tuple(members), connections=connections))
        return resolution.decision, people, left_out

    def resolve_candidate(self, sender: Person, query: str) -> tuple[Decision, list[PersonRecords]]:
        """Name resolution as the chat uses it, for callers that act on one candidate (the CLI)."""
        connections = self._connections(sender)
        return self._find(query, connections) if connections else (Decision.NONE, [])

    def _person_by_id(self, sender: Person, candidate_id: int) -> PersonRecords | None:
        connections = self._connections(sender)
        with self.sessions() as session:
            rows = candidates_by_ids(session, [candidate_id], list(connections))
            if not rows:
                return None
            members = _with_other_sources(session, rows, connections)
            return PersonRecords(rows=tuple(members), connections=connections)


@dataclass(frozen=True)
class LeftOut:
    """How many choices a list did not show; `at_least` when the search stopped before counting them all."""

    count: int = 0
    at_least: bool = False

    def sentence(self, shown: int) -> str:
        if not self.count:
            return ""
        more = f"\u2026and {'at least ' if self.at_least else ''}{self.count} more"
        return (f" Here are the closest {shown}, {more}: add a last name, an email address or the job to narrow "
                "it down.")


def _visible(session: Session, sender: Person) -> dict[int, AtsConnection]:
    return {c.id: c for c in visible_connections(session, sender.workspace_id, sender.user_id)}


def _group_by_person(hits: list[Hit], emails: dict[int, str | None]) -> list[tuple[Hit, list[int]]]:
    """Merge hits that are the same person (same email, case-insensitive); best score represents the group.
    `emails` holds each visible hit's primary email; hits missing from it are not visible and dropped."""
    groups: dict[str, tuple[Hit, list[int]]] = {}
    for hit in sorted(hits, key=lambda h: -h.score):
        if hit.id not in emails:
            continue
        email = emails[hit.id]
        key = f"email:{email}" if email else f"id:{hit.id}"
        if key in groups:
            groups[key][1].append(hit.id)
        else:
            groups[key] = (hit, [hit.id])
    return list(groups.values())


def _with_other_sources(session: Session, members: list[Candidate],
                        connections: dict[int, AtsConnection]) -> list[Candidate]:
    """Add the person's records in other connections found by email, keeping the best match first."""
    emails = [str(e.get("value", "")) for row in members for e in (row.emails or [])]
    known = {row.id for row in members}
    return members + candidates_sharing_email(session, emails, list(connections), exclude=known)
