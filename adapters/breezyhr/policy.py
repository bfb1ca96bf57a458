"""BreezyHR's rules for logging meeting activity, decided from facts the scheduler gathers.

Notes go to a candidate record (which always sits on a position), so logging needs one. BreezyHR has no
way to act as another user and documents no interview API: the note is written as the token's owner and
carries the meeting's time, people and place itself.
"""

from __future__ import annotations

from adapters.write_policy import MeetingFacts, WriteDecision


class BreezyWritePolicy:
    """A candidate record to log to; nothing else is required."""

    def unlinked_problem(self, candidate_name: str) -> None:
        return None  # a meeting with someone not in BreezyHR owes BreezyHR nothing

    def decide(self, facts: MeetingFacts) -> WriteDecision:
        if facts.adding or facts.candidate_remote_id:
            return WriteDecision()
        return WriteDecision("the candidate has no record in BreezyHR")

    def notice(self, *, candidate_name: str, meeting_title: str, where: str, problem: str,
               adding: bool = False) -> str:
        return (f"I'm not logging {meeting_title} with {candidate_name} to BreezyHR: {problem}. Meeting activity "
                f"is logged to BreezyHR as a team-discussion note when the candidate has a record there.")
