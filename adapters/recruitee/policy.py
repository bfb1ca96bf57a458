"""Recruitee's rules for logging meeting activity, decided from facts the scheduler gathers.

Notes hang off the candidate, so logging needs the candidate's Recruitee id. Recruitee's API has no way to
write as another user: every note is made by the owner of the connection's token, so nobody invited has
to be a Recruitee user, and the notice says whose name the notes carry.
"""

from __future__ import annotations

from adapters.write_policy import MeetingFacts, WriteDecision

TOKEN_OWNER = ("Recruitee records every note as the user who created the connection's API token (its API "
               "cannot write in someone else's name)")


class RecruiteeWritePolicy:
    """A candidate to log to; the writer is always the token's owner."""

    def unlinked_problem(self, candidate_name: str) -> None:
        return None  # a meeting with someone not in Recruitee owes Recruitee nothing

    def decide(self, facts: MeetingFacts) -> WriteDecision:
        if facts.adding or facts.candidate_remote_id:
            return WriteDecision()
        return WriteDecision("the candidate is not in Recruitee")

    def notice(self, *, candidate_name: str, meeting_title: str, where: str, problem: str,
               adding: bool = False) -> str:
        return (f"I'm not logging {meeting_title} with {candidate_name} to {where}: {problem}. Meeting activity "
                f"is logged as notes on the candidate's Recruitee profile; {TOKEN_OWNER}.")
