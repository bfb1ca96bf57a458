"""The records behind the fake Recruitee: one company's admins, offers (jobs and a talent pool) with their
pipelines, and candidates with their placements, notes and CVs; and `generate`, which fills a company
from `PeopleGenerator` people.

Records are plain dicts in the API's own field names, except times, which are kept as epoch seconds and
rendered as Recruitee's ISO 8601 with microseconds by the server. Mutation helpers stamp `updated_at`
from the state's clock like the real service, so incremental syncs and tests see their changes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.sandbox.people import HIRED, LEAD, REJECTED, PeopleGenerator, Person, slug

COMPANY_ID = 89564
DAY = 86400.0
JOB_PIPELINE = (("Applied", "apply"), ("Phone screen", "phone_screen"), ("Interview", "interview"),
                ("Offer", "offer"), ("Hired", "hire"))
POOL_PIPELINE = (("Sourced", "apply"), ("Contacted", "interview"))
JOB_TITLES = (("Senior Marketer", "Marketing"), ("Backend Engineer", "Engineering"),
              ("Product Designer", "Design"), ("Account Executive", "Sales"), ("Data Analyst", "Engineering"),
              ("Customer Success Manager", "Support"), ("Engineering Manager", "Engineering"),
              ("Recruiter", "People"))
ADMINS = (("Sam", "Gallo"), ("Priya", "Raman"), ("Jonas", "Berg"), ("Amara", "Okafor"), ("Lucía", "Ferrer"),
          ("Kenji", "Watanabe"))
DISQUALIFY_REASONS = ("Wrong skill set", "Not enough experience", "Candidate withdrew", "Salary expectations")


@dataclass
class RecruiteeState:
    """One Recruitee company: everything the fake serves, keyed by integer id."""

    company_id: int = COMPANY_ID
    admins: dict[int, dict[str, Any]] = field(default_factory=dict)
    offers: dict[int, dict[str, Any]] = field(default_factory=dict)
    stages: dict[int, dict[str, Any]] = field(default_factory=dict)  # each with its offer_id
    candidates: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # candidate id -> notes
    cvs: dict[int, tuple[str, bytes]] = field(default_factory=dict)  # candidate id -> (file name, bytes)
    clock: Callable[[], float] = time.time
    next_id: int = 46_000_000

    # --- ids and times -----------------------------------------------------------------------------------

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def now(self) -> float:
        return self.clock()

    # --- lookups -----------------------------------------------------------------------------------------

    def pipeline(self, offer_id: int) -> list[dict[str, Any]]:
        return sorted((s for s in self.stages.values() if s["offer_id"] == offer_id), key=lambda s: s["position"])

    def first_stage(self, offer_id: int) -> int:
        return int(self.pipeline(offer_id)[0]["id"])

    def owner(self) -> dict[str, Any]:
        return self.admins[min(self.admins)]

    def job_offers(self) -> list[int]:
        return [oid for oid, o in self.offers.items() if o["kind"] == "job" and o["status"] == "published"]

    # --- changes, stamped like the service stamps them -----------------------------------------------------

    def add_offer(self, title: str, department: str, *, kind: str = "job", status: str = "published",
                  at: float, hiring_manager_id: int | None = None, recruiter_id: int | None = None
                  ) -> dict[str, Any]:
        offer_id = self.new_id()
        offer = {"id": offer_id, "title": title, "slug": slug(title) + f"-{offer_id % 1000}", "kind": kind,
                 "status": status, "department": department, "location": "Amsterdam", "city": "Amsterdam",
                 "country_code": "NL", "recruiter_id": recruiter_id, "hiring_manager_id": hiring_manager_id,
                 "created_at": at, "updated_at": at, "published_at": at if status == "published" else None,
                 "closed_at": None}
        self.offers[offer_id] = offer
        for position, (name, category) in enumerate(POOL_PIPELINE if kind == "talent_pool" else JOB_PIPELINE):
            stage_id = self.new_id()
            self.stages[stage_id] = {"id": stage_id, "offer_id": offer_id, "name": name, "category": category,
                                     "position": position, "locked": position == 0}
        return offer

    def add_candidate(self, name: str, *, emails: Sequence[str] = (), phones: Sequence[str] = (),
                      social_links: Sequence[str] = (), links: Sequence[str] = (), tags: Sequence[str] = (),
                      sources: Sequence[str] = (), source: str = "manual", offer_ids: Sequence[int] = (),
                      at: float | None = None, admin_id: int | None = None) -> dict[str, Any]:
        moment = self.now() if at is None else at
        candidate_id = self.new_id()
        row = {"id": candidate_id, "name": name, "emails": list(emails), "phones": list(phones),
               "social_links": list(social_links), "links": list(links), "tags": list(tags),
               "sources": list(sources), "source": source, "cover_letter": None,
               "admin_id": admin_id or self.owner()["id"], "rating": 0, "placements": [],
               "created_at": moment, "updated_at": moment, "last_activity_at": moment}
        self.candidates[candidate_id] = row
        for offer_id in offer_ids:
            self.place(candidate_id, offer_id, at=moment)
        return row

    def place(self, candidate_id: int, offer_id: int, *, stage_id: int | None = None,
              at: float | None = None) -> dict[str, Any]:
        moment = self.now() if at is None else at
        placement = {"id": self.new_id(), "offer_id": offer_id, "candidate_id": candidate_id,
                     "stage_id": stage_id or self.first_stage(offer_id), "hired_at": None, "disqualified_at": None,
                     "disqualify_reason": None, "disqualify_kind": None, "created_at": moment, "updated_at": moment}
        self.candidates[candidate_id]["placements"].append(placement)
        self.touch(candidate_id, moment)
        return placement

    def touch(self, candidate_id: int, at: float | None = None) -> None:
        self.candidates[candidate_id]["updated_at"] = self.now() if at is None else at

    def rename(self, candidate_id: int, name: str) -> None:
        self.candidates[candidate_id]["name"] = name
        self.touch(candidate_id)

    def hire(self, candidate_id: int, placement_id: int, at: float | None = None) -> None:
        moment = self.now() if at is None else at
        placement = self._placement(candidate_id, placement_id)
        hired_stage = next(s for s in self.pipeline(placement["offer_id"]) if s["category"] == "hire")
        placement.update(stage_id=hired_stage["id"], hired_at=moment, updated_at=moment)
        self.touch(candidate_id, moment)

    def disqualify(self, candidate_id: int, placement_id: int, reason: str, at: float | None = None) -> None:
        moment = self.now() if at is None else at
        placement = self._placement(candidate_id, placement_id)
        placement.update(disqualified_at=moment, disqualify_reason=reason, disqualify_kind="admin",
                         updated_at=moment)
        self.touch(candidate_id, moment)

    def move(self, candidate_id: int, placement_id: int, stage_id: int) -> None:
        placement = self._placement(candidate_id, placement_id)
        placement.update(stage_id=stage_id, updated_at=self.now())
        self.touch(candidate_id)

    def delete_candidate(self, candidate_id: int) -> None:
        self.candidates.pop(candidate_id, None)
        self.notes.pop(candidate_id, None)
        self.cvs.pop(candidate_id, None)

    def add_note(self, candidate_id: int, body: str, *, admin_id: int | None = None) -> dict[str, Any]:
        admin = self.admins.get(admin_id or 0) or self.owner()
        note = {"id": self.new_id(), "body": body, "admin_id": admin["id"],
                "admin": {"id": admin["id"], "name": f"{admin['first_name']} {admin['last_name']}"},
                "visibility": {"level": "public"}, "created_at": self.now()}
        self.notes.setdefault(candidate_id, []).append(note)
        self.candidates[candidate_id]["notes_count"] = len(self.notes[candidate_id])
        return note

    def set_cv(self, candidate_id: int, filename: str, content: bytes) -> None:
        self.cvs[candidate_id] = (filename, content)
        self.touch(candidate_id)

    def _placement(self, candidate_id: int, placement_id: int) -> dict[str, Any]:
        return next(p for p in self.candidates[candidate_id]["placements"] if p["id"] == placement_id)


def generate(*, seed: int = 7, candidates: int = 400, now: datetime | None = None,
             shared_people: Sequence[Person] = ()) -> RecruiteeState:
    """A company with exactly `candidates` candidates: `shared_people` first (same names and emails), then
    generated people, each placed on one offer per candidacy (a lead goes to the talent pool), with every
    status: active in some stage, disqualified with a reason, hired. Deterministic for a seed and `now`."""
    rng = random.Random(f"recruitee:{seed}")
    moment = (now or datetime.now(UTC)).timestamp()
    start = moment - 400 * DAY
    state = RecruiteeState()
    for first, last in ADMINS:
        admin_id = state.new_id()
        state.admins[admin_id] = {"id": admin_id, "first_name": first, "last_name": last,
                                  "email": f"{slug(first)}.{slug(last)}@example-corp.com",
                                  "timezone": "Europe/Amsterdam",
                                  "role": {"name": "Admin" if len(state.admins) < 2 else "Recruiter"}}
    admin_ids = list(state.admins)
    for index, (title, department) in enumerate(JOB_TITLES):
        status = "closed" if index == len(JOB_TITLES) - 1 else "published" if index % 4 else "internal"
        state.add_offer(title, department, status=status, at=start + index * DAY,
                        hiring_manager_id=admin_ids[index % len(admin_ids)], recruiter_id=admin_ids[0])
    pool = state.add_offer("Future talent", "People", kind="talent_pool", status="internal", at=start)
    jobs = [oid for oid, o in state.offers.items() if o["kind"] == "job"]
    generated = PeopleGenerator(seed, without_email=0.0).people(max(candidates - len(shared_people), 0))
    people = [*shared_people, *generated]
    # Applied between a year and a month ago; placed, then hired or disqualified, within ten days each, so
    # every generated record is older than "now" by days (an incremental sync finds only later changes).
    created = sorted((rng.uniform(moment - 365 * DAY, moment - 30 * DAY) for _ in range(candidates)), reverse=True)
    for person, at in zip(people[:candidates], created, strict=False):
        _add_person(state, rng, person, at, jobs, pool["id"])
    return state


def _add_person(state: RecruiteeState, rng: random.Random, person: Person, at: float, jobs: list[int],
                pool_id: int) -> None:
    links = [link.value for link in person.links]
    social = [link for link in links if "linkedin." in link or "github." in link or "twitter." in link]
    row = state.add_candidate(person.name, emails=[e.value for e in person.emails],
                              phones=[p.value for p in person.phones], social_links=social,
                              links=[link for link in links if link not in social], tags=list(person.tags),
                              source=rng.choice(("manual", "career_site", "import")), at=at)
    for status in person.statuses or ("active",):
        placed_at = at + rng.uniform(0, 10) * DAY
        offer_id = pool_id if status == LEAD else jobs[int(rng.random() * len(jobs))]
        pipeline = state.pipeline(offer_id)
        stage = pipeline[int(rng.random() * (len(pipeline) - 1))] if len(pipeline) > 1 else pipeline[0]
        placement = state.place(row["id"], offer_id, stage_id=stage["id"], at=placed_at)
        if status == HIRED and offer_id != pool_id:
            state.hire(row["id"], placement["id"], at=placed_at + rng.uniform(1, 10) * DAY)
        elif status == REJECTED:
            state.disqualify(row["id"], placement["id"], DISQUALIFY_REASONS[int(rng.random() * 4)],
                             at=placed_at + rng.uniform(1, 10) * DAY)
    if person.resume:
        state.cvs[row["id"]] = (person.resume, b"")  # rendered on demand


def iso(seconds: float | None) -> str | None:
    """Recruitee's timestamp form: ISO 8601 UTC with microseconds and a Z."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
