"""Deterministic Zoho Recruit data for the Zoho sandbox: users, job openings, candidates, their job
associations (each with its own status), notes, attachments and interviews, in Recruit's REST v2 shapes.

Candidates are kept as the API renders them (a dict per record), with `Modified_Time` bumped by the
mutation helpers like the real service, so incremental sync tests see their changes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.sandbox.people import ACTIVE, HIRED, LEAD, REJECTED, PeopleGenerator, Person

ORG_ID = "60012345678"
ID_BASE = 568998000000000000
ACTIVE_STATUSES = ("New", "Qualified", "Contacted", "Interview-to-be-Scheduled", "Interview-Scheduled",
                   "Offer-Made")
STATUS_OF = {HIRED: "Hired", REJECTED: "Rejected"}
JOBS = (("Senior Backend Engineer", "In-progress"), ("Product Designer", "In-progress"),
        ("Data Analyst", "In-progress"), ("Account Executive", "In-progress"), ("Site Reliability Engineer", "On-hold"),
        ("Marketing Manager", "Filled"), ("Finance Intern", "Cancelled"))
USERS = (("Patricia Boyle", "Administrator"), ("Sam Recruiter", "Recruiter"), ("Grace Hopper", "Hiring Manager"),
         ("Kenji Watanabe", "Interviewer"), ("Amara Nwosu", "Recruiter"), ("Old Account", "Recruiter"))
LINKEDIN_FIELD = "LinkedIn__s"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


@dataclass
class ZohoState:
    """One Zoho Recruit org: everything the sandbox serves, and the helpers tests change it with."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)
    associations: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # cid -> jid -> row
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    attachments: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    interviews: dict[str, dict[str, Any]] = field(default_factory=dict)
    org_id: str = ORG_ID
    next_id: int = ID_BASE + 1

    def new_id(self) -> str:
        self.next_id += 17
        return str(self.next_id)

    # ----- reads the sandbox needs --------------------------------------------------------------------
    def listing(self) -> list[dict[str, Any]]:
        """Candidates in the order the list endpoint pages them by default (Created_Time, then id)."""
        return sorted(self.candidates.values(), key=lambda row: (row["Created_Time"], int(row["id"])))

    def user_ref(self, user_id: str) -> dict[str, str]:
        return {"name": self.users[user_id]["full_name"], "id": user_id}

    # ----- changes, stamped like the real service -------------------------------------------------------
    def add_candidate(self, first: str, last: str, *, email: str | None, now: datetime,
                      extra: dict[str, Any] | None = None) -> dict[str, Any]:
        owner = next(iter(self.users))
        row: dict[str, Any] = {
            "id": self.new_id(), "First_Name": first, "Last_Name": last, "Email": email,
            "Candidate_Status": "New", "Candidate_ID": f"ZR_{len(self.candidates) + 1}_CAND",
            "Candidate_Owner": self.user_ref(owner), "Source": "Added by User",
            "Created_Time": stamp(now), "Modified_Time": stamp(now), "$approved": True,
            **(extra or {}),
        }
        self.candidates[row["id"]] = row
        return row

    def update_candidate(self, candidate_id: str, *, now: datetime, **values: Any) -> dict[str, Any]:
        row = self.candidates[candidate_id]
        row.update(values)
        row["Modified_Time"] = stamp(now)
        return row

    def delete_candidate(self, candidate_id: str) -> None:
        self.candidates.pop(candidate_id, None)
        self.associations.pop(candidate_id, None)

    def associate(self, candidate_id: str, job_id: str, status: str, now: datetime) -> None:
        self.associations.setdefault(candidate_id, {})[job_id] = {"Candidate_Status": status,
                                                                  "Modified_Time": stamp(now)}
        if candidate_id in self.candidates:
            self.update_candidate(candidate_id, now=now, Candidate_Status=status)


def generate(*, seed: int = 7, candidates: int = 400, now: datetime | None = None,
             shared_people: Sequence[Person] = ()) -> ZohoState:
    """An org with exactly `candidates` candidate records, one per generated person (the shared people
    first), each associated with one job per candidacy (a lead with none). Deterministic for a seed."""
    rng = random.Random(seed)
    moment = now or datetime.now(UTC)
    state = ZohoState()
    start = moment - timedelta(days=400)
    for name, role in USERS:
        user_id = state.new_id()
        first, _, last = name.partition(" ")
        state.users[user_id] = {
            "id": user_id, "first_name": first, "last_name": last, "full_name": name,
            "email": f"{first.lower()}.{last.lower()}@example-corp.com", "role": {"name": role, "id": state.new_id()},
            "profile": {"name": "Administrator" if role == "Administrator" else "Standard", "id": state.new_id()},
            "zuid": str(rng.randint(10_000_000, 99_999_999)), "confirm": True,
            "status": "disabled" if name == "Old Account" else "active"}
    user_ids = [uid for uid, user in state.users.items() if user["status"] == "active"]
    for number, (title, status) in enumerate(JOBS, 1):
        job_id = state.new_id()
        opened = start + timedelta(days=rng.randint(0, 30))
        state.jobs[job_id] = {
            "id": job_id, "Posting_Title": title, "Job_Opening_Name": title, "Job_Opening_ID": f"ZR_{number}_JOB",
            "Job_Opening_Status": status, "Assigned_Recruiter": [state.user_ref(user_ids[1 + number % 3])],
            "Hiring_Manager": state.user_ref(user_ids[2]), "Date_Opened": opened.date().isoformat(),
            "City": "Remote", "Remote_Job": True, "Modified_Time": stamp(opened)}
    open_jobs = [jid for jid, job in state.jobs.items() if job["Job_Opening_Status"] == "In-progress"]
    generated = PeopleGenerator(seed).people(max(candidates - len(shared_people), 0))
    people = [*shared_people, *generated][:candidates]
    year_ago = moment - timedelta(days=365)
    created_points = sorted(year_ago + timedelta(seconds=rng.randint(0, 364 * 86_400)) for _ in people)
    for person, created in zip(people, created_points, strict=True):
        row = _candidate_row(state, person, created, rng, user_ids)
        for status in person.statuses:
            if status == LEAD:
                continue
            job_id = open_jobs[int(rng.random() * len(open_jobs))]
            shown = STATUS_OF.get(status) or ACTIVE_STATUSES[int(rng.random() * len(ACTIVE_STATUSES))]
            state.associations.setdefault(row["id"], {})[job_id] = {"Candidate_Status": shown,
                                                                    "Modified_Time": row["Modified_Time"]}
            row["Candidate_Status"] = shown
    return state


def _candidate_row(state: ZohoState, person: Person, created: datetime, rng: random.Random,
                   user_ids: list[str]) -> dict[str, Any]:
    emails = [contact.value for contact in person.emails]
    phones = {contact.kind: contact.value for contact in person.phones}
    linkedin = next((link.value for link in person.links if link.kind == "linkedin"), None)
    website = next((link.value for link in person.links if link.kind != "linkedin"), None)
    row: dict[str, Any] = {
        "id": state.new_id(), "First_Name": person.first, "Last_Name": person.last,
        "Email": emails[0] if emails else None, "Secondary_Email": emails[1] if len(emails) > 1 else None,
        "Mobile": phones.get("mobile"), "Phone": next((v for k, v in phones.items() if k != "mobile"), None),
        "Current_Employer": person.company, "Current_Job_Title": person.title, "City": person.city,
        "Candidate_Status": "New", "Source": ("LinkedIn", "Referral", "Career site", "Naukri")[rng.randrange(4)],
        "Candidate_ID": f"ZR_{len(state.candidates) + 1}_CAND",
        "Candidate_Owner": state.user_ref(user_ids[int(rng.random() * len(user_ids))]),
        LINKEDIN_FIELD: linkedin, "Website": website, "Skill_Set": ", ".join(person.tags) or None,
        "Associated_Tags": [{"name": tag, "id": state.new_id()} for tag in person.tags],
        "Created_Time": stamp(created), "Modified_Time": stamp(created), "$approved": True,
    }
    state.candidates[row["id"]] = row
    return row


__all__ = ["ACTIVE", "LINKEDIN_FIELD", "ORG_ID", "ZohoState", "generate", "stamp"]
