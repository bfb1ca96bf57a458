"""Workable's rules for logging meeting activity, decided from facts the scheduler gathers.

Comments hang off a candidate record and are posted in a Workable member's name (`member_id`): the first
invited person who is a member, organizer first. With no member among the invited, nothing is posted and
the organizer is told why. Workable has no interview API, so there is no panel to fill.
"""

from __future__ import annotations

from adapters.write_policy import MeetingFacts, WriteDecision

NO_MEMBER = "nobody invited is a Workable member, and Workable posts comments only in a member's name"


class WorkableWritePolicy:
    """A record to comment on, and an invited member to comment as."""

    def unlinked_problem(self, candidate_name: str) -> None:
        return None  # a meeting with someone not in Workable owes Workable nothing

    def decide(self, facts: MeetingFacts) -> WriteDecision:
        member = facts.invited_ats_users[0].remote_id if facts.invited_ats_users else None
        if not facts.adding and not facts.candidate_remote_id:
            return WriteDecision("the candidate has no record in Workable", interviewer_ids=())
        if member is None:
            return WriteDecision(NO_MEMBER, interviewer_ids=())
        return WriteDecision(acting_user_id=member, interviewer_ids=())

    def notice(self, *, candidate_name: str, meeting_title: str, where: str, problem: str,
               adding: bool = False) -> str:
        added = f" I'm still adding {candidate_name} to {where}, as you asked." if adding else ""
        return (f"I'm not logging {meeting_title} with {candidate_name} to {where}: {problem}. Meeting activity is "
                f"logged as comments when the candidate has a record there and someone invited is a Workable "
                f"member with the same email.{added}")
