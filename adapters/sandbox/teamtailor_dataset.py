"""The records behind the fake Teamtailor API, and their generation from provider-neutral people.

Teamtailor's model: a company (its `id` is the opaque string in web-app links), users, jobs with their own
stages (every job has `Inbox` and `Hired`; the stages between are `In process`), candidates unique by email
(sourced ones may lack one), and job applications tying a candidate to a job, with the stage and, when
rejected, `rejected-at`. Notes and uploads hang off candidates. Times carry a UTC offset, as Teamtailor's do.
"""

from __future__ import annotations

import random
import string
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from adapters.sandbox.people import HIRED, LEAD, REJECTED, PeopleGenerator, Person

STAGE_TEMPLATE: tuple[tuple[str, str], ...] = (
    ("Inbox", "Inbox"), ("Screening", "In process"), ("Interview", "In process"), ("Offer", "In process"),
    ("Hired", "Hired"),
)
JOB_TITLES = ("Backend Engineer", "Product Designer", "Data Analyst", "Account Executive", "People Partner",
              "Site Reliability Engineer", "Marketing Manager", "Customer Success Lead", "iOS Developer",
              "Finance Controller", "Technical Writer", "Recruiter")
JOB_STATUSES = ("published",) * 7 + ("unlisted", "archived", "draft")
USER_ROLES = ("admin", "admin", "recruiter", "recruiter", "user", "user", "designer", "no_access")
OFFSET = timezone(timedelta(hours=1))  # the fake answers in CET, as a Stockholm-hosted account would


def stamp(moment: datetime) -> str:
    """Teamtailor's time format: ISO 8601 with milliseconds and an offset."""
    return moment.astimezone(OFFSET).isoformat(timespec="milliseconds")


@dataclass
class TeamtailorState:
    """Everything the fake holds, by string id; helpers stamp times from `clock` like the service would."""

    company_id: str = "FkZE7LWdUXo"
    company_name: str = "Example Corp"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    # candidate id -> their application ids, so a page of candidates finds its applications without a scan
    by_candidate: dict[str, list[str]] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    next_id: int = 1000

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # --- lookups ---------------------------------------------------------------------------------------
    def job_stages(self, job_id: str) -> list[dict[str, Any]]:
        return sorted((s for s in self.stages.values() if s["job_id"] == job_id), key=lambda s: s["row_order"])

    def applications_of(self, candidate_id: str) -> list[dict[str, Any]]:
        return [self.applications[a] for a in self.by_candidate.get(candidate_id, ()) if a in self.applications]

    def candidates_with_email(self, email: str) -> list[dict[str, Any]]:
        wanted = email.strip().lower()
        return [c for c in self.candidates.values() if (c.get("email") or "").lower() == wanted]

    def owner_user_id(self) -> str:
        """The user an API key belongs to: the first admin."""
        return next(uid for uid, u in self.users.items() if u["role"] == "admin")

    # --- changes, stamped like Teamtailor -------------------------------------------------------------------
    def add_candidate(self, first: str, last: str, *, email: str | None, now: datetime | None = None,
                      job_id: str | None = None, tags: Sequence[str] = (), linkedin: str | None = None,
                      phone: str | None = None, resume: bool = True, sourced: bool = False) -> dict[str, Any]:
        moment = now or self.now()
        candidate: dict[str, Any] = {
            "id": self.new_id(), "first_name": first, "last_name": last, "email": email, "phone": phone,
            "linkedin_url": linkedin, "tags": list(tags), "resume": resume, "sourced": sourced,
            "pitch": None, "created_at": moment, "updated_at": moment}
        self.candidates[candidate["id"]] = candidate
        if job_id is not None:
            self.add_application(candidate["id"], job_id, now=moment)
        return candidate

    def update_candidate(self, candidate_id: str, *, now: datetime | None = None, **changes: Any) -> None:
        candidate = self.candidates[candidate_id]
        candidate.update(changes)
        candidate["updated_at"] = now or self.now()

    def delete_candidate(self, candidate_id: str) -> None:
        self.candidates.pop(candidate_id)
        for application in self.applications_of(candidate_id):
            self.applications.pop(application["id"])
        self.by_candidate.pop(candidate_id, None)
        for collection in (self.notes, self.uploads):
            for item_id in [i for i, item in collection.items() if item["candidate_id"] == candidate_id]:
                collection.pop(item_id)

    def add_application(self, candidate_id: str, job_id: str, *, now: datetime | None = None,
                        stage_id: str | None = None, cover_letter: str | None = None,
                        sourced: bool = False) -> dict[str, Any]:
        moment = now or self.now()
        stage = stage_id or self.job_stages(job_id)[0]["id"]
        application: dict[str, Any] = {
            "id": self.new_id(), "candidate_id": candidate_id, "job_id": job_id, "stage_id": stage,
            "rejected_at": None, "cover_letter": cover_letter, "sourced": sourced,
            "created_at": moment, "updated_at": moment, "changed_stage_at": moment}
        self.applications[application["id"]] = application
        self.by_candidate.setdefault(candidate_id, []).append(application["id"])
        return application

    def move_application(self, application_id: str, stage_id: str, *, now: datetime | None = None) -> None:
        application = self.applications[application_id]
        moment = now or self.now()
        application.update(stage_id=stage_id, changed_stage_at=moment, updated_at=moment)

    def reject_application(self, application_id: str, *, now: datetime | None = None) -> None:
        moment = now or self.now()
        self.applications[application_id].update(rejected_at=moment, updated_at=moment)


def _company_id(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(11))


def _users(rng: random.Random, state: TeamtailorState, created: datetime) -> None:
    people = PeopleGenerator(rng.randint(0, 10**6), without_email=0.0).people(len(USER_ROLES))
    for person, role in zip(people, USER_ROLES, strict=True):
        uid = state.new_id()
        email = f"{person.emails[0].value.split('@')[0]}@example-corp.com"
        state.users[uid] = {"id": uid, "name": person.name, "email": email, "login_email": email, "role": role,
                            "title": person.title, "external_id": None, "created_at": created}


def _jobs(rng: random.Random, state: TeamtailorState, created: datetime) -> None:
    recruiters = [uid for uid, u in state.users.items() if u["role"] in ("admin", "recruiter")]
    for index, title in enumerate(JOB_TITLES):
        jid = state.new_id()
        status = JOB_STATUSES[index % len(JOB_STATUSES)]
        state.jobs[jid] = {"id": jid, "title": title, "status": status, "user_id": rng.choice(recruiters),
                           "body": f"<p>Join us as a {title}.</p>", "pitch": f"{title} at Example Corp",
                           "internal": status == "unlisted", "tags": [], "created_at": created,
                           "updated_at": created}
        for order, (name, kind) in enumerate(STAGE_TEMPLATE):
            sid = state.new_id()
            state.stages[sid] = {"id": sid, "name": name, "stage_type": kind, "job_id": jid,
                                 "row_order": (order - 2) * 4194303}


def _render_person(rng: random.Random, state: TeamtailorState, person: Person, created: datetime,
                   now: datetime, open_jobs: list[str]) -> None:
    linkedin = next((link.value for link in person.links if link.kind == "linkedin"), None)
    email = person.emails[0].value if person.emails else None
    candidate = state.add_candidate(person.first, person.last, email=email, now=created, tags=person.tags,
                                    linkedin=linkedin, phone=person.phones[0].value if person.phones else None,
                                    resume=person.resume is not None, sourced=email is None)
    jobs = rng.sample(open_jobs, k=min(len(open_jobs), len(person.statuses)))
    latest = created
    for status, job_id in zip(person.statuses, jobs, strict=False):
        if status == LEAD:
            continue
        stages = state.job_stages(job_id)
        applied = created + timedelta(seconds=rng.randint(0, 3600 * 24 * 20))
        applied = min(applied, now - timedelta(hours=1))
        stage = stages[-1] if status == HIRED else stages[rng.randint(0, len(stages) - 2)]
        letter = f"Dear team, I would love to join as {state.jobs[job_id]['title']}." if person.cover_letter else None
        application = state.add_application(candidate["id"], job_id, now=applied, stage_id=stage["id"],
                                            cover_letter=letter, sourced=email is None)
        moved = min(applied + timedelta(days=rng.randint(0, 30)), now - timedelta(minutes=30))
        application["changed_stage_at"] = application["updated_at"] = moved
        if status == REJECTED:
            application["rejected_at"] = application["updated_at"] = moved
        latest = max(latest, moved)
    candidate["updated_at"] = latest


def generate(*, seed: int = 7, candidates: int = 400, now: datetime | None = None,
             shared_people: Sequence[Person] = ()) -> TeamtailorState:
    """A Teamtailor company with exactly `candidates` candidates: the shared people first (same names and
    emails), then generated ones, each with an application per candidacy (a lead has none).

    Deterministic for a seed and `now`; times spread over the year before `now`.
    """
    rng = random.Random(seed)
    moment = now or datetime.now(UTC)
    start = moment - timedelta(days=400)
    state = TeamtailorState(company_id=_company_id(rng))
    _users(rng, state, start)
    _jobs(rng, state, start)
    open_jobs = [jid for jid, job in state.jobs.items() if job["status"] in ("published", "unlisted")]
    shared = list(shared_people)[:candidates]
    people = shared + PeopleGenerator(seed).people(candidates - len(shared))
    year_ago = moment - timedelta(days=365)
    seconds = int((moment - year_ago).total_seconds()) - 86400
    created_points = sorted(year_ago + timedelta(seconds=rng.randint(0, seconds)) for _ in people)
    for person, created in zip(people, created_points, strict=True):
        _render_person(rng, state, person, created, moment, open_jobs)
    return state
