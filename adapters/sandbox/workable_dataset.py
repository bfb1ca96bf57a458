"""The records of a fake Workable account: members, jobs with hiring teams, pipeline stages, candidates
(one record per person and job, as Workable keeps them), comments and resumes, with helpers that change
them the way Workable would (stamping `updated_at` from the fake's clock).

Records are kept in their detail form (`GET /candidates/{id}`); the list answers the short form of the
reference (`short_form`). Ids are seven hex digits that grow with insertion, so sorting by id is
Workable's "oldest first" and `since_id` works on them as strings.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.sandbox.documents import minimal_pdf
from adapters.sandbox.people import ACTIVE, HIRED, LEAD, REJECTED, PeopleGenerator, Person

SUBDOMAIN = "hirebot-sandbox"
ACCOUNT_NAME = "Hirebot Sandbox"
FIRST_ID = 0x1A00000

STAGES: tuple[tuple[str, str, str], ...] = (  # slug, name, kind
    ("sourced", "Sourced", "sourced"), ("applied", "Applied", "applied"),
    ("phone_screen", "Phone Screen", "phone-screen"), ("interview", "Interview", "interview"),
    ("offer", "Offer", "offer"), ("hired", "Hired", "hired"),
)
OPEN_STAGES = STAGES[:5]
JOBS: tuple[tuple[str, str, str], ...] = (  # shortcode, title, state
    ("HBOT001", "Backend Engineer", "published"), ("HBOT002", "Product Designer", "published"),
    ("HBOT003", "Data Analyst", "published"), ("HBOT004", "Office Manager", "published"),
    ("HBOT005", "Account Executive", "published"), ("HBOT006", "Support Specialist", "closed"),
    ("HBOT007", "Staff Engineer", "draft"),
)
MEMBERS: tuple[tuple[str, str, str], ...] = (  # name, email, role
    ("Avery Admin", "avery@hirebot-sandbox.example", "admin"),
    ("Riley Recruiter", "riley@hirebot-sandbox.example", "recruiter"),
    ("Harper Manager", "harper@hirebot-sandbox.example", "hiring_manager"),
    ("Quinn Interviewer", "quinn@hirebot-sandbox.example", "hiring_manager"),
    ("Sam Sourcer", "sam@hirebot-sandbox.example", "recruiter"),
    ("Former Member", "former@hirebot-sandbox.example", "recruiter"),
)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class WorkableState:
    """Everything the fake account holds; `clock` stamps changes made through the API and the helpers."""

    subdomain: str = SUBDOMAIN
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # by shortcode
    teams: dict[str, list[str]] = field(default_factory=dict)  # shortcode → member ids
    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id, detail form
    resumes: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # candidate id → (file name, bytes)
    activities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # candidate id → feed
    clock: Callable[[], float] = time.time
    serial: int = FIRST_ID

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def next_id(self) -> str:
        self.serial += 1
        return f"{self.serial:07x}"

    @property
    def stages(self) -> list[dict[str, Any]]:
        return [{"slug": slug, "name": name, "kind": kind, "position": index}
                for index, (slug, name, kind) in enumerate(STAGES)]

    def active_member_ids(self) -> list[str]:
        return [mid for mid, member in self.members.items() if member["active"]]

    # --- changes, as Workable would make them ----------------------------------------------------------

    def add_candidate(self, name: str, *, email: str | None, shortcode: str | None, now: datetime | None = None,
                      stage: str = "applied", sourced: bool = True, **extra: Any) -> dict[str, Any]:
        """A new record on a job (or in the talent pool without one), like `POST /jobs/{shortcode}/candidates`."""
        moment = now or self.now()
        candidate_id = self.next_id()
        first, _, last = name.strip().partition(" ")
        job = self.jobs.get(shortcode) if shortcode else None
        _, stage_name, kind = next(s for s in STAGES if s[0] == (stage if job else "sourced"))
        record: dict[str, Any] = {
            "id": candidate_id, "name": name.strip(), "firstname": first or None, "lastname": last.strip() or None,
            "headline": None, "account": {"subdomain": self.subdomain, "name": ACCOUNT_NAME},
            "job": {"shortcode": job["shortcode"], "title": job["title"]} if job else None,
            "stage": stage_name, "stage_kind": kind, "disqualified": False, "withdrew": False,
            "disqualification_reason": None, "disqualified_at": None, "sourced": sourced,
            "profile_url": self.profile_url(candidate_id, job), "email": email, "domain": None, "phone": None,
            "address": None, "created_at": stamp(moment), "updated_at": stamp(moment), "hired_at": None,
            "image_url": None, "cover_letter": None, "summary": None, "social_profiles": [], "tags": [],
            "skills": [], "education_entries": [], "experience_entries": [], "answers": [], "resume_url": None,
        }
        record.update({key: value for key, value in extra.items() if key in record})
        self.candidates[candidate_id] = record
        self.activities[candidate_id] = [{"id": self.next_id(), "action": "created", "stage_name": stage_name,
                                          "created_at": stamp(moment), "member": None, "body": None}]
        return record

    def update_candidate(self, candidate_id: str, *, now: datetime | None = None, **changes: Any) -> None:
        record = self.candidates[candidate_id]
        record.update(changes)
        if "firstname" in changes or "lastname" in changes:
            record["name"] = " ".join(p for p in (record.get("firstname"), record.get("lastname")) if p)
        record["updated_at"] = stamp(now or self.now())

    def delete_candidate(self, candidate_id: str) -> None:
        self.candidates.pop(candidate_id, None)
        self.activities.pop(candidate_id, None)
        self.resumes.pop(candidate_id, None)

    def comment(self, candidate_id: str, member_id: str, body: str) -> None:
        record = self.candidates[candidate_id]
        member = self.members[member_id]
        self.activities.setdefault(candidate_id, []).append({
            "id": self.next_id(), "action": "comment", "stage_name": record["stage"], "created_at": stamp(self.now()),
            "member": {"id": member_id, "name": member["name"]}, "body": body})
        record["updated_at"] = stamp(self.now())

    def profile_url(self, candidate_id: str, job: dict[str, Any] | None) -> str:
        """The web page's link: its numbers are not the API's ids, as in Workable."""
        job_number = job["number"] if job else 0
        where = f"jobs/{job_number}/candidates" if job else "talent_pool/candidates"
        return f"https://{self.subdomain}.workable.com/backend/{where}/{216000000 + int(candidate_id, 16) - FIRST_ID}"


def short_form(record: dict[str, Any]) -> dict[str, Any]:
    """A record as `GET /candidates` lists it (the reference's short form)."""
    return {key: record.get(key) for key in SHORT_KEYS}


SHORT_KEYS = ("id", "name", "firstname", "lastname", "headline", "account", "job", "stage", "stage_kind",
              "disqualified", "withdrew", "disqualification_reason", "sourced", "profile_url", "email", "domain",
              "phone", "address", "created_at", "updated_at", "hired_at")


def generate(*, seed: int = 7, candidates: int = 400, now: datetime | None = None,
             shared_people: Iterable[Person] = ()) -> WorkableState:
    """A Workable account with exactly `candidates` records: one per candidacy of each generated person (the
    `shared_people` first, as they are), spread over the year before `now`. Deterministic for a seed."""
    moment = now or datetime.now(UTC)
    rng = random.Random(f"workable:{seed}")
    state = WorkableState(clock=lambda: moment.timestamp())
    for index, (name, email, role) in enumerate(MEMBERS):
        member_id = state.next_id()
        state.members[member_id] = {"id": member_id, "name": name, "headline": role.replace("_", " ").title(),
                                    "email": email, "role": role, "roles": [role], "active": index < 5}
    member_ids = list(state.members)
    for number, (shortcode, title, job_state) in enumerate(JOBS):
        created = moment - timedelta(days=400 - number)
        state.jobs[shortcode] = {
            "id": state.next_id(), "title": title, "full_title": f"{title} - {shortcode}", "shortcode": shortcode,
            "code": None, "state": job_state, "department": "Engineering" if "Engineer" in title else "Operations",
            "url": f"https://apply.workable.com/{SUBDOMAIN}/j/{shortcode}/",
            "application_url": f"https://apply.workable.com/{SUBDOMAIN}/j/{shortcode}/apply/",
            "shortlink": f"https://apply.workable.com/j/{shortcode}", "number": 376844700 + number,
            "location": {"location_str": "Remote", "country": None, "workplace_type": "remote"},
            "created_at": stamp(created), "updated_at": stamp(created)}
        state.teams[shortcode] = [member_ids[1], member_ids[2 + number % 2]]
    people = list(shared_people)
    people += PeopleGenerator(seed).people(max(candidates - len(people), 0))
    published = [code for code, _, job_state in JOBS if job_state == "published"]
    span = 365 * 24 * 3600
    made = 0
    for person in people:
        for status in person.statuses:
            if made >= candidates:
                break
            made += 1
            created = moment - timedelta(seconds=span * (1 - made / (candidates + 1)))
            _add_person(state, rng, person, status, rng.choice(published), created)
    state.clock = time.time
    return state


def _add_person(state: WorkableState, rng: random.Random, person: Person, status: str, shortcode: str,
                created: datetime) -> None:
    job = None if status == LEAD else shortcode
    stage = rng.choice(OPEN_STAGES)[0] if status in (ACTIVE, REJECTED) else "hired" if status == HIRED else "sourced"
    email = person.emails[0].value if person.emails else None
    record = state.add_candidate(person.name, email=email, shortcode=job, now=created, stage=stage,
                                 headline=person.title, phone=person.phones[0].value if person.phones else None,
                                 address=person.address, domain=rng.choice(("linkedin.com", "referral", None)))
    changed = min(created + timedelta(days=rng.randint(1, 20)), created + (state.now() - created) / 2)
    record["social_profiles"] = [{"type": "linkedin" if link.kind == "linkedin" else "other", "name": link.kind,
                                  "username": None, "url": link.value} for link in person.links]
    record["tags"] = list(person.tags)
    if status == REJECTED:
        record.update(disqualified=True, disqualified_at=stamp(changed), withdrew=rng.random() < 0.2,
                      disqualification_reason="Not a fit")
    elif status == HIRED:
        record["hired_at"] = stamp(changed)
    if status != ACTIVE:
        record["updated_at"] = stamp(changed)
    if person.resume:
        state.resumes[record["id"]] = (person.resume, minimal_pdf(person.name, [person.title or "", person.city]))
