"""Teamtailor's rules for logging meeting activity, decided from facts the scheduler gathers.

Notes hang off the candidate, so logging needs one in Teamtailor (or one hirebot is adding). Each note is
written as the organizer's Teamtailor user when they are one (the scheduler passes that user), else as the
API key's owner. There is no interview resource to schedule, so the booking is a note too.
"""

from __future__ import annotations

from adapters.write_policy import MeetingFacts, WriteDecision


class TeamtailorWritePolicy:
    """A candidate to log to; no panel, since Teamtailor's API has no interviews."""

    def unlinked_problem(self, candidate_name: str) -> None:
        return None  # a meeting with someone not in Teamtailor owes Teamtailor nothing

    def decide(self, facts: MeetingFacts) -> WriteDecision:
        if facts.adding or facts.candidate_remote_id:
            return WriteDecision()
        return WriteDecision(f"{facts.candidate_name} has no candidate record in Teamtailor")

    def notice(self, *, candidate_name: str, meeting_title: str, where: str, problem: str,
               adding: bool = False) -> str:
        return (f"I'm not logging {meeting_title} with {candidate_name} to {where}: {problem}. Meeting activity "
                "is logged to Teamtailor as notes on the candidate when they have a record there.")
