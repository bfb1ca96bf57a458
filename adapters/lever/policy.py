"""Lever's rules for logging meeting activity, decided from facts the scheduler gathers.

Notes and panels hang off the candidate's opportunity, so logging needs one. A Lever panel needs Lever
users as interviewers: everyone invited who is one, organizer first.
"""

from __future__ import annotations

from adapters.write_policy import MeetingFacts, WriteDecision


class LeverWritePolicy:
    """An opportunity to log to, and the invited Lever users as the panel."""

    def unlinked_problem(self, candidate_name: str) -> None:
        return None  # a meeting with someone not in Lever owes Lever nothing

    def decide(self, facts: MeetingFacts) -> WriteDecision:
        panel = tuple(dict.fromkeys(user.remote_id for user in facts.invited_ats_users))
        if facts.adding:
            return WriteDecision(interviewer_ids=panel)
        problem = None if facts.candidate_remote_id else "the candidate has no opportunity in Lever"
        return WriteDecision(problem, interviewer_ids=panel)

    def notice(self, *, candidate_name: str, meeting_title: str, where: str, problem: str,
               adding: bool = False) -> str:
        return (f"I'm not logging {meeting_title} with {candidate_name} to Lever: {problem}. Meeting activity is "
                f"logged to Lever when the candidate has an opportunity there and someone invited is a Lever "
                f"user.")
