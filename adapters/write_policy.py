"""When an ATS accepts hirebot's meeting log, decided by its own package from plain facts.

Each ATS has its own rules for logging meeting activity (Greenhouse's four requirements, Lever's
opportunity and panel users). scheduler/ats_log.py gathers the facts from the store into a `MeetingFacts`
and asks the provider's `WritePolicy`; the policy never reads the store itself, so its rules are tested
with values alone and a new ATS brings its rules in its own package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class AtsPerson:
    """An active ATS user: their id in the ATS, their name there and every email they have (lower case)."""

    remote_id: str
    name: str
    emails: frozenset[str]


@dataclass(frozen=True)
class MeetingFacts:
    """What the store knows about one meeting and its candidate in one ATS connection.

    `invited_emails` are the organizer's and every attendee's (lower case); `invited_ats_users` are the
    invited people who are users of this ATS, organizer first, each once. `hiring_managers` are the job's
    (the application's job, or for a person hirebot adds, the job picked for them). `candidate_emails` are
    the addresses the ATS has for the candidate; `invited_email` is where the request went.
    """

    candidate_name: str
    meeting_title: str
    meeting_created_at: datetime
    invited_email: str
    invited_emails: frozenset[str]
    invited_ats_users: tuple[AtsPerson, ...]
    hiring_managers: tuple[AtsPerson, ...]
    candidate_remote_id: str | None = None
    candidate_on_record: bool = False
    candidate_added_at: datetime | None = None
    candidate_emails: frozenset[str] = frozenset()
    pushed: bool = False  # hirebot added the candidate for this meeting, at the organizer's request
    adding: bool = False  # hirebot adds the candidate when they book; the ATS has no record yet
    job_picked: bool = False  # for `adding`: a job was chosen for them (else they go in as a prospect)


@dataclass(frozen=True)
class WriteDecision:
    """Whether the meeting's writes can go and who they name.

    `problem` says why they cannot (the writes are recorded as skipped with it). `acting_user_id` replaces
    the organizer as the one who creates the interview; `interviewer_ids`, when not None, is the panel.
    """

    problem: str | None = None
    acting_user_id: str | None = None
    interviewer_ids: tuple[str, ...] | None = None


class WritePolicy(Protocol):
    """One ATS's rules for logging meetings."""

    def unlinked_problem(self, candidate_name: str) -> str | None:
        """Why a meeting with someone who is in no connection cannot be logged here, when such a meeting
        still owes this ATS a log (the organizer is told); None when it owes nothing."""
        ...

    def decide(self, facts: MeetingFacts) -> WriteDecision:
        """Whether the meeting's notes and interview can be written, and who the interview names."""
        ...

    def notice(self, *, candidate_name: str, meeting_title: str, where: str, problem: str,
               adding: bool = False) -> str:
        """What the organizer is told, once per meeting, when the log cannot be written. `where` names the
        connection's ATS; `adding`: hirebot still adds the person there, as the organizer asked."""
        ...


def first_invited_manager(facts: MeetingFacts) -> AtsPerson | None:
    """The first hiring manager who created the meeting or is invited to it."""
    return next((m for m in facts.hiring_managers if m.emails & facts.invited_emails), None)
