"""Zoho Recruit's rules for logging meeting activity, decided from facts the scheduler gathers.

Notes and interviews hang off the candidate's record, so logging needs one. Zoho's API acts as the
refresh token's owner; the interview names the invited Zoho users as interviewers and the organizer's
Zoho user (else the first invited one) as its owner.
"""

from __future__ import annotations

from adapters.write_policy import MeetingFacts, WriteDecision


class ZohoWritePolicy:
    """A candidate record to log to; the invited Zoho users on the interview."""

    def unlinked_problem(self, candidate_name: str) -> None:
        return None  # a meeting with someone not in Zoho Recruit owes it nothing

    def decide(self, facts: MeetingFacts) -> WriteDecision:
        panel = tuple(dict.fromkeys(user.remote_id for user in facts.invited_ats_users))
        actor = panel[0] if panel else None
        if facts.adding:
            return WriteDecision(acting_user_id=actor, interviewer_ids=panel)
        problem = None if facts.candidate_remote_id else "the candidate has no record in Zoho Recruit"
        return WriteDecision(problem, actor, panel)

    def notice(self, *, candidate_name: str, meeting_title: str, where: str, problem: str,
               adding: bool = False) -> str:
        return (f"I'm not logging {meeting_title} with {candidate_name} to {where}: {problem}. Meeting activity is "
                "logged to Zoho Recruit when the candidate has a record there.")
