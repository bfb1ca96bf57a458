"""Freshteam's rule for logging meeting activity: nothing is written to it.

Freshworks is closing Freshteam: no renewals after mid-2026, and an account is reachable for export only,
for about 90 days, once its subscription ends. Its API has no notes, interviews or stage moves to log a
meeting with either, so hirebot reads Freshteam (to answer "who is ...") and writes nothing back.
"""

from __future__ import annotations

from adapters.write_policy import MeetingFacts, WriteDecision

READ_ONLY = ("hirebot only reads Freshteam: Freshworks is closing it, and its API has no notes or interviews "
             "to log a meeting with")


class FreshteamWritePolicy:
    """Every meeting's writes are skipped, with the reason said once to the organizer."""

    def unlinked_problem(self, candidate_name: str) -> str | None:
        return None  # a meeting with someone not in Freshteam owes Freshteam nothing

    def decide(self, facts: MeetingFacts) -> WriteDecision:
        return WriteDecision(READ_ONLY)

    def notice(self, *, candidate_name: str, meeting_title: str, where: str, problem: str,
               adding: bool = False) -> str:
        return (f"I'm not logging {meeting_title} with {candidate_name} to {where}: {problem}. Keep your notes "
                "in the calendar event, or in the ATS you are moving to.")
