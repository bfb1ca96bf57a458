"""Greenhouse's rules for logging meeting activity, decided from facts the scheduler gathers.

Greenhouse automates meeting logs only when the candidate and the hiring manager were both in Greenhouse
before the meeting was scheduled, the hiring manager created the meeting or is invited, and the candidate
is invited to the same meeting. The first rule that fails is the reason given; the hiring manager runs
the interview in Greenhouse (its organizer and interviewer).
"""

from __future__ import annotations

from adapters.write_policy import MeetingFacts, WriteDecision, first_invited_manager


class GreenhouseWritePolicy:
    """The four requirements, first failure first."""

    def unlinked_problem(self, candidate_name: str) -> str:
        return f"{candidate_name} wasn't in Greenhouse when the meeting was scheduled, so there is no record to log to"

    def decide(self, facts: MeetingFacts) -> WriteDecision:
        if facts.adding:
            return self._adding(facts)
        name = facts.candidate_name
        if not facts.candidate_on_record or not facts.candidate_remote_id:
            return WriteDecision(f"{name} isn't in Greenhouse")
        # A candidate hirebot added for this meeting (`pushed`) cannot have been in Greenhouse before it.
        if not facts.pushed and facts.candidate_added_at is not None \
                and facts.candidate_added_at > facts.meeting_created_at:
            return WriteDecision(f"{name} was added to Greenhouse only after the meeting was scheduled")
        decision = self._manager_invited(facts)
        if decision.problem is not None:
            return decision
        if facts.invited_email.lower() not in facts.candidate_emails:
            return WriteDecision(f"the person invited ({facts.invited_email}) is not the email Greenhouse has "
                                 f"for {name}", decision.acting_user_id, decision.interviewer_ids)
        return decision

    def _adding(self, facts: MeetingFacts) -> WriteDecision:
        """For someone hirebot adds when they book: the job picked for them needs an invited hiring manager."""
        if not facts.job_picked:
            return WriteDecision(f"no job was picked for {facts.candidate_name}, so they will be added as a "
                                 "prospect with no stage to schedule an interview under")
        return self._manager_invited(facts)

    def _manager_invited(self, facts: MeetingFacts) -> WriteDecision:
        if not facts.hiring_managers:
            return WriteDecision(f"the job {facts.candidate_name} applied for has no hiring manager set in "
                                 "Greenhouse")
        manager = first_invited_manager(facts)
        if manager is None:
            names = ", ".join(m.name for m in facts.hiring_managers)
            return WriteDecision(f"the hiring manager ({names}) neither created the meeting nor is invited to it")
        return WriteDecision(None, manager.remote_id, (manager.remote_id,))

    def notice(self, *, candidate_name: str, meeting_title: str, where: str, problem: str,
               adding: bool = False) -> str:
        if adding:
            return (f"I'm adding {candidate_name} to {where} as you asked, but I'm not logging {meeting_title} "
                    f"there: {problem}. Meeting activity is logged when the job has a hiring manager in "
                    f"Greenhouse who created the meeting or is invited to it.")
        return (f"I'm not logging {meeting_title} with {candidate_name} to {where}: {problem}. Meeting activity is "
                f"logged only when the candidate and the hiring manager are both in Greenhouse before the "
                f"meeting is scheduled, the hiring manager created the meeting or is invited, and the candidate "
                f"is invited to the same meeting.")
