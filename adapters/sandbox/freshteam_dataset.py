"""Deterministic, realistic Freshteam data for the Freshteam sandbox: employees, job postings, candidates
and their applicants.

Freshteam's model is kept as Freshteam has it: a candidate is a person; each application to a job is an
applicant carrying the stage and sub-stage (free-text labels, configured per account). A person drawn
from the kit's `PeopleGenerator` becomes one candidate with one applicant per candidacy on distinct jobs
(a `lead` candidacy is a talent-pool candidate with no applicant). Records are slotted objects, rendered
to the API's JSON by the sandbox, so large rosters stay modest in memory.

Mutation helpers (`add_candidate`, `update_candidate`, `move_applicant`, `delete_candidate`) stamp
`updated_at` from the state's clock like the real service, so incremental sync tests see their changes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.sandbox.people import HIRED, LEAD, REJECTED, PeopleGenerator, Person, slug

FIRST_ID = 9_000_100_000  # Freshteam ids are large integers
DAY = 86_400.0

# (stage, sub-stage) in pipeline order; Hired and Rejected are how this account names its decisions.
ACTIVE_STAGES = (("New", None), ("Screening", "Phone screen"), ("Interview", "Technical round"),
                 ("Interview", "Culture fit"), ("Offer", None))
HIRED_STAGE = ("Hired", None)
REJECTED_STAGES = (("Rejected", "Not a fit"), ("Rejected", "Withdrew"), ("Rejected", None))
SOURCES = ("Careers site", "LinkedIn", "Referral", "Indeed", "Agency", "Added manually")

JOBS = (
    ("Backend Engineer", "Engineering", "published"), ("Frontend Engineer", "Engineering", "published"),
    ("Data Analyst", "Data", "published"), ("Product Designer", "Design", "internal"),
    ("Account Executive", "Sales", "published"), ("Customer Success Manager", "Support", "private"),
    ("Site Reliability Engineer", "Engineering", "on_hold"), ("Marketing Manager", "Marketing", "closed"),
    ("People Partner", "People", "draft"), ("Finance Analyst", "Finance", "closed"),
)
DELETED_JOB = ("Old Posting", "Engineering", "closed")

EMPLOYEES = (
    ("Sam", "Recruiter", "Recruiter", "active"), ("Priya", "Raman", "Head of Talent", "active"),
    ("Tomás", "Herrera", "Engineering Manager", "active"), ("Grace", "Hopper", "Staff Engineer", "active"),
    ("Kenji", "Watanabe", "Design Lead", "active"), ("Amara", "Nwosu", "Sales Director", "active"),
    ("Lena", "Fischer", "People Partner", "active"), ("Old", "Account", "Recruiter", "inactive"),
)


@dataclass(slots=True)
class ApplicantRecord:
    id: int
    candidate_id: int
    job_id: int
    stage: str
    sub_stage: str | None
    source: str
    created_at: float
    updated_at: float
    cover_letter: tuple[int, str] | None = None  # (file id, file name)


@dataclass(slots=True)
class CandidateRecord:
    id: int
    first_name: str
    last_name: str
    email: str | None
    mobile: str | None
    city: str | None
    links: list[tuple[str, str]]
    tags: list[str]
    resumes: list[tuple[int, str, int]]  # (file id, file name, size)
    created_at: float
    updated_at: float
    applicant_ids: list[int] = field(default_factory=list)


@dataclass
class FreshteamState:
    """Everything the sandbox serves. Plain containers; the sandbox renders the API shapes."""

    employees: dict[int, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    candidates: dict[int, CandidateRecord] = field(default_factory=dict)
    applicants: dict[int, ApplicantRecord] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    next_id: int = FIRST_ID
    version: int = 0  # bumped on every change, so cached orderings know they are stale

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def open_job_ids(self) -> list[int]:
        return [jid for jid, job in self.jobs.items() if job["status"] == "published" and not job["deleted"]]

    def add_candidate(self, first_name: str, last_name: str, *, email: str | None = None,
                      job_id: int | None = None, stage: tuple[str, str | None] = ACTIVE_STAGES[0],
                      resume: str | None = "cv.pdf", now: datetime | None = None) -> CandidateRecord:
        """A candidate (with a resume) applied to `job_id` (an open job unless None is asked for by -1)."""
        at = self._stamp(now)
        record = CandidateRecord(id=self.new_id(), first_name=first_name, last_name=last_name, email=email,
                                 mobile=None, city=None, links=[], tags=[], resumes=[], created_at=at,
                                 updated_at=at)
        if resume:
            record.resumes.append((self.new_id(), resume, 2048))
        self.candidates[record.id] = record
        target = job_id if job_id is not None else self.open_job_ids()[0]
        if target != -1:
            self.add_applicant(record, target, stage, source="Added manually", at=at)
        self.version += 1
        return record

    def add_applicant(self, record: CandidateRecord, job_id: int, stage: tuple[str, str | None], *, source: str,
                      at: float, cover_letter: str | None = None) -> ApplicantRecord:
        letter = (self.new_id(), cover_letter) if cover_letter else None
        applicant = ApplicantRecord(id=self.new_id(), candidate_id=record.id, job_id=job_id, stage=stage[0],
                                    sub_stage=stage[1], source=source, created_at=at, updated_at=at,
                                    cover_letter=letter)
        self.applicants[applicant.id] = applicant
        record.applicant_ids.append(applicant.id)
        self.version += 1
        return applicant

    def update_candidate(self, candidate_id: int, *, now: datetime | None = None, **fields: Any) -> CandidateRecord:
        record = self.candidates[candidate_id]
        for name, value in fields.items():
            setattr(record, name, value)
        record.updated_at = self._stamp(now)
        self.version += 1
        return record

    def move_applicant(self, applicant_id: int, stage: str, sub_stage: str | None = None, *,
                       now: datetime | None = None) -> ApplicantRecord:
        """A stage change: Freshteam stamps the applicant, not the candidate."""
        applicant = self.applicants[applicant_id]
        applicant.stage, applicant.sub_stage, applicant.updated_at = stage, sub_stage, self._stamp(now)
        self.version += 1
        return applicant

    def delete_candidate(self, candidate_id: int) -> None:
        record = self.candidates.pop(candidate_id)
        for applicant_id in record.applicant_ids:
            self.applicants.pop(applicant_id, None)
        self.version += 1

    def _stamp(self, now: datetime | None) -> float:
        return now.timestamp() if now is not None else self.clock()


def iso(moment: float) -> str:
    """Freshteam's timestamps: ISO 8601 UTC with milliseconds and a Z."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(moment * 1000) % 1000:03d}Z"


def generate(*, seed: int = 7, candidates: int = 400, now: datetime | None = None,
             shared_people: Sequence[Person] = ()) -> FreshteamState:
    """An account with exactly `candidates` candidates: `shared_people` first (same names and emails), then
    generated people; one applicant per candidacy, on distinct jobs. Deterministic for a seed and `now`."""
    rng = random.Random(f"freshteam:{seed}")
    moment = (now or datetime.now(UTC)).timestamp()
    start = moment - 400 * DAY
    state = FreshteamState()
    _employees(state, start)
    _jobs(state, rng, start)
    people = list(shared_people)[:candidates]
    people += PeopleGenerator(seed).people(candidates - len(people))
    created = sorted(rng.uniform(moment - 365 * DAY, moment - DAY) for _ in people)
    jobs = [jid for jid, job in state.jobs.items() if job["status"] != "draft" and not job["deleted"]]
    for person, at in zip(people, created, strict=True):
        _candidate(state, rng, person, at, moment, jobs)
    state.version += 1
    return state


def _employees(state: FreshteamState, start: float) -> None:
    for first, last, title, status in EMPLOYEES:
        employee_id = state.new_id()
        state.employees[employee_id] = {
            "id": employee_id, "first_name": first, "last_name": last, "designation": title, "status": status,
            "official_email": f"{slug(first)}.{slug(last)}@example-corp.com", "created_at": iso(start),
            "updated_at": iso(start)}


def _jobs(state: FreshteamState, rng: random.Random, start: float) -> None:
    staff = [eid for eid, e in state.employees.items() if e["status"] == "active"]
    for number, (title, department, status) in enumerate((*JOBS, DELETED_JOB)):
        job_id = state.new_id()
        at = start + number * DAY
        state.jobs[job_id] = {
            "id": job_id, "title": title, "status": status, "description": f"<p>Join us as a {title}.</p>",
            "remote": rng.random() < 0.4, "type": "full_time", "experience": "3-5 years", "closing_date": None,
            "salary": {"min": 50000, "max": 90000, "currency": "EUR"},
            "branch": {"id": 1, "name": "HQ", "city": "Berlin", "country_code": "DE", "time_zone": "Berlin"},
            "department": {"id": 5 + number, "name": department},
            "requisitions": [{"recruiters": [{"id": staff[0]}], "hiring_managers": [{"id": rng.choice(staff[1:])}]}],
            "created_at": iso(at), "updated_at": iso(at), "deleted": (title, department, status) == DELETED_JOB}


def _stage(rng: random.Random, status: str) -> tuple[str, str | None]:
    if status == HIRED:
        return HIRED_STAGE
    if status == REJECTED:
        return rng.choice(REJECTED_STAGES)
    return rng.choice(ACTIVE_STAGES)


def _candidate(state: FreshteamState, rng: random.Random, person: Person, at: float, now: float,
               jobs: list[int]) -> None:
    settled = now - DAY  # nothing generated changed in the last day, so a first incremental sync lists nothing
    updated = min(settled, at + rng.uniform(0, 30) * DAY)
    record = CandidateRecord(
        id=state.new_id(), first_name=person.first,
        last_name=person.last, email=person.emails[0].value if person.emails else None,
        mobile=person.phones[0].value if person.phones else None, city=person.city,
        links=[(link.kind if link.kind != "personal" else "website", link.value) for link in person.links],
        tags=list(person.tags), resumes=[], created_at=at, updated_at=updated)
    if person.resume:
        record.resumes.append((state.new_id(), person.resume, 20_000 + int(rng.random() * 200_000)))
    state.candidates[record.id] = record
    picked = rng.sample(jobs, min(len(jobs), len(person.statuses)))
    for status, job_id in zip(_applied(person.statuses), picked, strict=False):
        when = min(settled, at + rng.uniform(0, 10) * DAY)
        applicant = state.add_applicant(record, job_id, _stage(rng, status), source=rng.choice(SOURCES), at=when,
                                        cover_letter=person.cover_letter)
        applicant.updated_at = min(settled, when + rng.uniform(0, 20) * DAY)


def _applied(statuses: Iterable[str]) -> list[str]:
    """A lead is in the talent pool with no job: it has no applicant."""
    return [status for status in statuses if status != LEAD]
