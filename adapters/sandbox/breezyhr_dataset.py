"""The records behind the fake BreezyHR: one company, its users, pipelines and positions (talent pools
included), candidate records (one per person per position, as BreezyHR keeps them), team-discussion
streams, CVs, candidate-facing messages, and webhook endpoints.

`generate` draws whole people from the kit's `PeopleGenerator`: one candidate record per candidacy, each
on a different position (a lead goes to the talent pool). The mutation helpers stamp times from the
state's clock, as BreezyHR would.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.sandbox.documents import ascii_pdf
from adapters.sandbox.people import HIRED, LEAD, REJECTED, PeopleGenerator, Person

COMPANY_ID = "5c0ffee0a1b2"
COMPANY_FRIENDLY_ID = "example-corp"
POOL_ID = "9f00d5a1e0b7"
DEFAULT_PIPELINE_ID = "a7e1be11f0ad"
SANDBOX_TOKEN = "breezy_pat_sandbox_7d1c0a5e9b"
SANDBOX_EMAIL = "owner@example-corp.test"
SANDBOX_PASSWORD = "correct horse battery staple"
BUILT_IN_STAGES = (("applied", "Applied"), ("feedback", "Feedback"), ("phone-screen", "Phone Screen"),
                   ("interviewing", "Interviewing"), ("offer", "Offer"), ("hired", "Hired"),
                   ("disqualified", "Disqualified"))
ACTIVE_STAGES = ("applied", "feedback", "phone-screen", "interviewing", "offer")
POSITION_NAMES = ("Backend Developer", "Product Designer", "Data Analyst", "Site Reliability Engineer",
                  "Account Executive", "Recruiter", "Frontend Developer", "Customer Success Manager")


def iso(moment: datetime) -> str:
    """BreezyHR's date form: ISO 8601 with milliseconds and Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class BreezyState:
    """Everything the fake serves. `candidates` maps a candidate `_id` to its full record; `placed` maps it
    to its position id."""

    company: dict[str, Any]
    users: list[dict[str, Any]]
    pipelines: dict[str, dict[str, Any]]
    positions: dict[str, dict[str, Any]]
    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)
    placed: dict[str, str] = field(default_factory=dict)
    by_position: dict[str, dict[str, None]] = field(default_factory=dict)  # position id -> its candidate ids
    streams: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    resumes: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    conversations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deleted: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(11))
    clock: Callable[[], float] = time.time

    def new_id(self) -> str:
        """A Mongo-style hex id, as BreezyHR's `_id`s are."""
        return f"{self.rng.getrandbits(48):012x}"

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    @property
    def owner(self) -> dict[str, Any]:
        return self.users[0]

    def stage(self, position_id: str, stage_id: str) -> dict[str, Any] | None:
        pipeline = self.pipelines.get(str(self.positions[position_id].get("pipeline_id")))
        stages = (pipeline or self.pipelines[DEFAULT_PIPELINE_ID])["stages"]
        found = next((s for s in stages if s["id"] == stage_id), None)
        return {"id": found["id"], "name": found["name"], "type": {"id": found["id"], "name": found["name"]}} \
            if found else None

    def on_position(self, position_id: str) -> list[dict[str, Any]]:
        return [self.candidates[cid] for cid in self.by_position.get(position_id, {})]

    # -- changes, stamped like BreezyHR -------------------------------------------------------------------

    def add_candidate(self, name: str, *, position_id: str, email: str | None = None, stage_id: str = "applied",
                      now: datetime | None = None, **fields: Any) -> dict[str, Any]:
        moment = now or self.now()
        candidate_id = self.new_id()
        record: dict[str, Any] = {
            "_id": candidate_id, "meta_id": self.new_id(), "name": name, "initial": name[:1].upper(),
            "email_address": email, "phone_number": None, "headline": None, "origin": "sourced",
            "profile_photo_url": None, "resume": None, "source": None, "tags": [], "social_profiles": {},
            "stage": self.stage(position_id, stage_id), "entered_stage": iso(moment),
            "creation_date": iso(moment), "updated_date": iso(moment), "work_history": [], "education": [],
        }
        record.update(fields)
        self.candidates[candidate_id] = record
        self.placed[candidate_id] = position_id
        self.by_position.setdefault(position_id, {})[candidate_id] = None
        self.streams[candidate_id] = [{"_id": self.new_id(), "type": "candidateAdded", "first_activity": True,
                                       "object": {}, "timestamp": iso(moment)}]
        return record

    def update_candidate(self, candidate_id: str, *, now: datetime | None = None, **fields: Any) -> dict[str, Any]:
        record = self.candidates[candidate_id]
        record.update(fields)
        record["updated_date"] = iso(now or self.now())
        return record

    def set_stage(self, candidate_id: str, stage_id: str, *, now: datetime | None = None) -> dict[str, Any]:
        moment = now or self.now()
        stage = self.stage(self.placed[candidate_id], stage_id)
        if stage is None:
            raise KeyError(stage_id)
        return self.update_candidate(candidate_id, now=moment, stage=stage, entered_stage=iso(moment))

    def delete_candidate(self, candidate_id: str) -> None:
        position_id = self.placed.pop(candidate_id)
        self.by_position[position_id].pop(candidate_id, None)
        self.deleted[candidate_id] = (position_id, self.candidates.pop(candidate_id))
        self.streams.pop(candidate_id, None)
        self.resumes.pop(candidate_id, None)

    def with_email(self, email: str) -> list[dict[str, Any]]:
        wanted = email.strip().lower()
        return [row for row in self.candidates.values() if (row.get("email_address") or "").lower() == wanted]


def _pipelines() -> dict[str, dict[str, Any]]:
    stages = [{"id": sid, "name": name} for sid, name in BUILT_IN_STAGES]
    return {DEFAULT_PIPELINE_ID: {"_id": DEFAULT_PIPELINE_ID, "name": "Default Pipeline", "stages": stages}}


def _users(people: Sequence[Person]) -> list[dict[str, Any]]:
    users = [{"_id": "0a11ce000001", "name": "Olive Owner", "email_address": SANDBOX_EMAIL}]
    for number, person in enumerate(people, start=2):
        email = f"{person.first.lower()}.{person.last.lower()}@example-corp.test".replace(" ", "")
        users.append({"_id": f"0a11ce{number:06x}", "name": person.name,
                      "email_address": email.encode("ascii", "ignore").decode() or f"user{number}@example-corp.test"})
    return users


def _position(state_rng: random.Random, position_id: str, name: str, state: str, team: list[dict[str, Any]],
              created: datetime, *, pool: bool = False) -> dict[str, Any]:
    return {"_id": position_id, "name": name, "state": state, "friendly_id": name.lower().replace(" ", "-"),
            "type": {"id": "fullTime", "name": "Full-Time"}, "org_type": "pool" if pool else "position",
            "location": {"name": "Remote", "city": None, "country": {"id": "US", "name": "United States"},
                         "is_remote": True},
            "department": "Engineering", "description": f"<p>{name}</p>", "pipeline_id": DEFAULT_PIPELINE_ID,
            "tags": [], "all_users": [u["_id"] for u in team], "all_admins": [team[0]["_id"]] if team else [],
            "creation_date": iso(created), "updated_date": iso(created + timedelta(days=state_rng.randint(0, 30)))}


def _record(state: BreezyState, rng: random.Random, person: Person, status: str, position_id: str,
            created: datetime, now: datetime) -> None:
    stage = {HIRED: "hired", REJECTED: "disqualified"}.get(status) or rng.choice(ACTIVE_STAGES)
    updated = min(created + timedelta(hours=rng.randint(1, 24 * 40)), now - timedelta(hours=1))
    record = state.add_candidate(person.name, position_id=position_id, stage_id=stage, now=created,
                                 email=person.emails[0].value if person.emails else None)
    record.update(
        phone_number=person.phones[0].value if person.phones else None, headline=person.title,
        tags=list(person.tags), social_profiles=_profiles(person), updated_date=iso(updated),
        entered_stage=iso(updated),
        source={"id": "sourced", "name": "Sourced", "type": "sourced"},
        work_history=[{"company_name": person.company, "title": person.title}] if person.company else [])
    if person.resume:
        record["resume"] = {"file_name": person.resume,
                            "url": f"https://breezy-files.example/{record['_id']}/{person.resume}",
                            "pdf_url": f"https://breezy-files.example/{record['_id']}/resume.pdf"}
        state.resumes[record["_id"]] = (person.resume, ascii_pdf([person.name, person.title or ""]))


def _profiles(person: Person) -> dict[str, str]:
    profiles: dict[str, str] = {}
    for link in person.links:
        network = "linkedin" if "linkedin." in link.value else ("github" if "github." in link.value else link.kind)
        profiles.setdefault(network or "website", link.value)
    return profiles


def generate(*, seed: int = 7, candidates: int = 400, now: datetime | None = None, positions: int = 6,
             shared_people: Sequence[Person] = ()) -> BreezyState:
    """A BreezyHR company with exactly `candidates` candidate records over `positions` positions (plus a
    talent pool for leads and a closed position). `shared_people` come first, with their names and emails.

    Deterministic for a given seed and `now`; records are spread over the year before `now`.
    """
    rng = random.Random(seed)
    moment = now or datetime.now(UTC)
    year_ago = moment - timedelta(days=365)
    staff = PeopleGenerator(seed + 1000, without_email=0.0).people(6)
    state = BreezyState(company={"_id": COMPANY_ID, "name": "Example Corp", "friendly_id": COMPANY_FRIENDLY_ID},
                        users=_users(staff), pipelines=_pipelines(), positions={},
                        rng=random.Random(seed + 1), clock=lambda: moment.timestamp())
    job_ids: list[str] = []
    for number in range(max(positions, 1)):
        position_id = f"{rng.getrandbits(48):012x}"
        team = rng.sample(state.users, 3)
        closed = number == positions - 1 and positions > 2
        state.positions[position_id] = _position(rng, position_id, POSITION_NAMES[number % len(POSITION_NAMES)],
                                                 "closed" if closed else "published", team, year_ago)
        job_ids.append(position_id)
    state.positions[POOL_ID] = _position(rng, POOL_ID, "Talent Pool", "published", state.users[:2], year_ago,
                                         pool=True)
    people = [*shared_people, *PeopleGenerator(seed, without_email=0.0).people(max(candidates - len(shared_people), 0))]
    made = 0
    for person in people:
        taken: set[str] = set()
        for status in person.statuses:
            if made >= candidates:
                break
            # A lead waits in the talent pool; each other candidacy is on a job the person is not on yet.
            choices = [POOL_ID] if status == LEAD and positions > 1 else [p for p in job_ids if p not in taken]
            if not choices:
                break
            position_id = rng.choice(choices)
            taken.add(position_id)
            created = year_ago + timedelta(seconds=rng.randint(0, int((moment - year_ago).total_seconds()) - 86400))
            _record(state, rng, person, status, position_id, created, moment)
            made += 1
        if made >= candidates:
            break
    state.clock = time.time
    return state
