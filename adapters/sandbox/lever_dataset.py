"""Deterministic, realistic Lever data for the Lever sandbox: users, stages, postings, contacts, opportunities.

Lever's model is kept as Lever has it: a contact is a person, an opportunity is one candidacy of that
contact (a contact may have several), and an opportunity has at most one application (its link to a
posting). Records are compact slotted objects, not response dicts, so 100k candidates fit in memory
modestly; the sandbox renders the API's JSON shapes from them on each request.

Mutation helpers (`add_opportunity`, `update_opportunity`, `archive_opportunity`, `delete_opportunity`)
bump `updatedAt` like the real service, so incremental sync tests see their changes.
"""

from __future__ import annotations

import random
import time
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from adapters.sandbox.people import HIRED, LEAD, REJECTED, PeopleGenerator, Person

DAY_MS = 86_400_000

# Lever's built-in pipeline uses slugs for the lead and applicant stages; custom stages are UUIDs.
LEAD_STAGES = (("lead-new", "New lead"), ("lead-reached-out", "Reached out"), ("lead-responded", "Responded"))
APPLICANT_STAGES = (("applicant-new", "New applicant"),)
CUSTOM_STAGES = ("Recruiter screen", "Phone interview", "Technical interview", "On-site interview",
                 "Reference check")
OFFER_STAGE = ("offer", "Offer")

HIRED_REASON_TEXT = "Hired"
NON_HIRED_REASONS = ("Underqualified", "Timing", "Withdrew", "Offer declined", "Position filled",
                     "Not a culture add", "Unresponsive")

SOURCES = ("LinkedIn", "Referral", "Company website", "AngelList", "Added manually", "GitHub",
           "Indeed", "Agency: Talentia", "Meetup")
ORIGINS = ("applied", "sourced", "referred", "agency", "university", "internal")

POSTINGS = (
    ("Senior Backend Engineer", "Engineering", "Platform", "Berlin, Germany", "Full-time", "published"),
    ("Frontend Engineer", "Engineering", "Web", "Remote", "Full-time", "published"),
    ("Staff Data Scientist", "Data", "Insights", "London, UK", "Full-time", "published"),
    ("Product Designer", "Design", "Product Design", "Lisbon, Portugal", "Full-time", "published"),
    ("Account Executive, EMEA", "Sales", "EMEA Sales", "Dublin, Ireland", "Full-time", "published"),
    ("Customer Success Manager", "Customer Success", "Onboarding", "Toronto, Canada", "Full-time", "published"),
    ("Engineering Manager, Platform", "Engineering", "Platform", "Berlin, Germany", "Full-time", "published"),
    ("Site Reliability Engineer", "Engineering", "Infrastructure", "Remote", "Full-time", "internal"),
    ("Mobile Engineer (iOS)", "Engineering", "Mobile", "Stockholm, Sweden", "Full-time", "published"),
    ("Marketing Manager", "Marketing", "Growth", "Austin, TX, USA", "Full-time", "closed"),
    ("Finance Analyst (Intern)", "Finance", "FP&A", "São Paulo, Brazil", "Intern", "closed"),
    ("Technical Recruiter", "People", "Talent", "Remote", "Contract", "draft"),
    ("VP of Engineering", "Engineering", "Leadership", "London, UK", "Full-time", "published"),
)
CONFIDENTIAL_POSTING = "VP of Engineering"

USERS = (
    ("Sam Recruiter", "super admin"), ("Priya Raman", "admin"), ("Tomás Herrera", "team member"),
    ("Grace Hopper", "team member"), ("Kenji Watanabe", "team member"), ("Amara Nwosu", "team member"),
    ("Lena Fischer", "limited team member"), ("Marcus Oyelaran", "limited team member"),
    ("Sofia Lindström", "interviewer"), ("Diego Alvarez", "interviewer"), ("Hannah Cohen", "interviewer"),
    ("Ravi Kapoor", "interviewer"), ("Élodie Marchand", "admin"), ("Noah Bergström", "team member"),
    ("Old Account", "team member"),
)
DEACTIVATED_USER = "Old Account"


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@lru_cache(maxsize=4096)
def ascii_slug(text: str) -> str:
    """Fold accents so generated emails and LinkedIn handles look like real ones."""
    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L").replace("đ", "d")
                                   .replace("Đ", "D").replace("ı", "i").replace("ø", "o").replace("Ø", "O"))
    kept = "".join(c for c in folded if c.isascii() and (c.isalnum() or c in " -"))
    return "-".join(kept.lower().split())


@dataclass(slots=True)
class Contact:
    """A person; Lever returns these fields on every opportunity of the contact."""

    id: str
    name: str
    headline: str | None = None
    location: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[tuple[str, str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    is_anonymized: bool = False


@dataclass(slots=True)
class ResumeRecord:
    id: str
    created_at: int
    filename: str
    size: int
    seed: int
    content: bytes | None = None


@dataclass(slots=True)
class FileRecord:
    id: str
    name: str
    uploaded_at: int
    size: int
    content: bytes | None = None


@dataclass(slots=True)
class ApplicationRecord:
    """Lever allows at most one application (link to a posting) per opportunity."""

    id: str
    posting_id: str
    created_at: int
    type: str = "posting"
    user_id: str | None = None
    comments: str | None = None


@dataclass(slots=True)
class Opportunity:
    id: str
    contact_id: str
    stage_id: str
    created_at: int
    updated_at: int
    owner_id: str | None
    origin: str
    sources: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    followers: list[str] = field(default_factory=list)
    sourced_by: str | None = None
    stage_changes: list[tuple[str, int, str | None]] = field(default_factory=list)
    last_interaction_at: int = 0
    last_advanced_at: int = 0
    archived_reason: str | None = None
    archived_at: int | None = None
    confidential: bool = False
    location: str | None = None
    application: ApplicationRecord | None = None
    resumes: list[ResumeRecord] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    snoozed_until: int | None = None


@dataclass
class LeverState:
    """Everything the sandbox serves. Plain containers; the sandbox renders the API shapes."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    archive_reasons: dict[str, dict[str, Any]] = field(default_factory=dict)
    postings: dict[str, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    opportunities: dict[str, Opportunity] = field(default_factory=dict)
    panels: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    notes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    contact_opportunities: dict[str, list[str]] = field(default_factory=dict)
    email_index: dict[str, str] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=lambda: random.Random(1))
    _order: list[tuple[int, str]] | None = None

    # -- reading ---------------------------------------------------------------------------------------

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def new_id(self) -> str:
        return _uuid(self.rng)

    def ordered_opportunity_keys(self) -> list[tuple[int, str]]:
        """(createdAt, id) of every opportunity, sorted: the order lists are paged in."""
        if self._order is None:
            self._order = sorted((o.created_at, o.id) for o in self.opportunities.values())
        return self._order

    def opportunities_after(self, key: tuple[int, str] | None) -> Iterator[Opportunity]:
        order = self.ordered_opportunity_keys()
        start = 0 if key is None else bisect_right(order, key)
        for _, opp_id in order[start:]:
            opp = self.opportunities.get(opp_id)
            if opp is not None:
                yield opp

    def contact_of(self, opp: Opportunity) -> Contact:
        return self.contacts[opp.contact_id]

    def stage_index(self, stage_id: str) -> int:
        return list(self.stages).index(stage_id) if stage_id in self.stages else 0

    def hired_reason_id(self) -> str:
        return next(r["id"] for r in self.archive_reasons.values() if r["type"] == "hired")

    def non_hired_reason_ids(self) -> list[str]:
        return [r["id"] for r in self.archive_reasons.values() if r["type"] == "non-hired"]

    def active_user_ids(self) -> list[str]:
        return [u["id"] for u in self.users.values() if u["deactivatedAt"] is None]

    def find_contact_by_email(self, email: str) -> Contact | None:
        contact_id = self.email_index.get(email.strip().lower())
        return self.contacts.get(contact_id) if contact_id else None

    # -- mutations (used by the sandbox's write routes and by tests) -----------------------------------

    def _stamp(self, now: datetime | None) -> int:
        return to_ms(now) if now is not None else self.now_ms()

    def add_contact(self, name: str, *, emails: Iterable[str] = (), phones: Iterable[tuple[str, str]] = (),
                    links: Iterable[str] = (), headline: str | None = None, location: str | None = None
                    ) -> Contact:
        contact = Contact(id=self.new_id(), name=name, headline=headline, location=location,
                          emails=list(emails), phones=list(phones), links=list(links))
        self.contacts[contact.id] = contact
        self.contact_opportunities[contact.id] = []
        for email in contact.emails:
            self.email_index.setdefault(email.strip().lower(), contact.id)
        return contact

    def add_opportunity(self, name: str, *, email: str | None = None, emails: Iterable[str] = (),
                        phones: Iterable[tuple[str, str]] = (), links: Iterable[str] = (),
                        headline: str | None = None, location: str | None = None,
                        posting_id: str | None = None, stage_id: str | None = None,
                        tags: Iterable[str] = (), sources: Iterable[str] = (), origin: str = "sourced",
                        owner_id: str | None = None, followers: Iterable[str] = (),
                        contact_id: str | None = None, resume: bool = True,
                        resume_file: tuple[str, bytes] | None = None, confidential: bool = False,
                        now: datetime | None = None) -> Opportunity:
        """Create an opportunity like `POST /opportunities`: an existing contact is reused by id or email."""
        at = self._stamp(now)
        all_emails = [e for e in ([email] if email else []) + list(emails) if e]
        contact = self.contacts.get(contact_id) if contact_id else None
        if contact is None:
            contact = next((c for c in map(self.find_contact_by_email, all_emails) if c), None)
        if contact is None:
            contact = self.add_contact(name, emails=all_emails, phones=phones, links=links, headline=headline,
                                       location=location)
        else:
            self._merge_contact_details(contact, all_emails, phones, links)
        stage = stage_id or ("applicant-new" if posting_id else "lead-new")
        active = self.active_user_ids()
        owner = owner_id if owner_id is not None else (active[0] if active else None)
        opp = Opportunity(id=self.new_id(), contact_id=contact.id, stage_id=stage, created_at=at, updated_at=at,
                          owner_id=owner, origin=origin, sources=list(dict.fromkeys(sources)),
                          tags=list(dict.fromkeys(tags)),
                          followers=list(dict.fromkeys([*([owner] if owner else []), *followers])),
                          sourced_by=owner if origin == "sourced" else None,
                          stage_changes=[(stage, at, owner)], last_interaction_at=at, last_advanced_at=at,
                          confidential=confidential, location=location)
        if posting_id:
            opp.application = ApplicationRecord(id=self.new_id(), posting_id=posting_id, created_at=at,
                                                type="posting" if origin == "applied" else "user",
                                                user_id=None if origin == "applied" else owner)
        if resume_file is not None:
            filename, content = resume_file
            opp.resumes.append(ResumeRecord(id=self.new_id(), created_at=at, filename=filename,
                                            size=len(content), seed=self.rng.getrandbits(32), content=content))
        elif resume:
            opp.resumes.append(ResumeRecord(id=self.new_id(), created_at=at,
                                            filename=f"{ascii_slug(contact.name) or 'resume'}-resume.pdf",
                                            size=0, seed=self.rng.getrandbits(32)))
        self._insert(opp)
        return opp

    def _merge_contact_details(self, contact: Contact, emails: Iterable[str],
                               phones: Iterable[tuple[str, str]], links: Iterable[str]) -> None:
        """Lever adds new contact details to an existing contact; what it already has wins."""
        for email in emails:
            if email.lower() not in {e.lower() for e in contact.emails}:
                contact.emails.append(email)
                self.email_index.setdefault(email.strip().lower(), contact.id)
        contact.phones.extend(p for p in phones if p not in contact.phones)
        contact.links.extend(link for link in links if link not in contact.links)

    def _insert(self, opp: Opportunity) -> None:
        self.opportunities[opp.id] = opp
        self.contact_opportunities.setdefault(opp.contact_id, []).append(opp.id)
        if self._order is not None:
            if not self._order or (opp.created_at, opp.id) > self._order[-1]:
                self._order.append((opp.created_at, opp.id))
            else:
                self._order = None

    def touch_contact(self, contact_id: str, at: int) -> None:
        """Contact details show on every opportunity of the contact, so all of them count as updated."""
        for opp_id in self.contact_opportunities.get(contact_id, []):
            self.opportunities[opp_id].updated_at = max(self.opportunities[opp_id].updated_at, at)

    def update_opportunity(self, opportunity_id: str, *, now: datetime | None = None, **fields: Any
                           ) -> Opportunity:
        """Change contact fields (name, headline, location, emails, phones, links) or opportunity fields
        (stage_id, tags, sources, owner_id, followers, origin) and bump `updatedAt` like Lever."""
        opp = self.opportunities[opportunity_id]
        at = self._stamp(now)
        contact = self.contacts[opp.contact_id]
        contact_fields = {"name", "headline", "location", "emails", "phones", "links"}
        for name, value in fields.items():
            if name in contact_fields:
                setattr(contact, name, list(value) if isinstance(value, list | tuple) else value)
                if name == "emails":
                    for email in contact.emails:
                        self.email_index[email.strip().lower()] = contact.id
            elif name == "stage_id":
                self._advance(opp, value, at)
            elif name in {"tags", "sources", "followers"}:
                setattr(opp, name, list(dict.fromkeys(value)))
            elif name in {"owner_id", "origin", "confidential", "snoozed_until"}:
                setattr(opp, name, value)
            else:
                raise KeyError(f"unknown opportunity field {name!r}")
        opp.updated_at = at
        opp.last_interaction_at = at
        if contact_fields & fields.keys():
            self.touch_contact(contact.id, at)
        return opp

    def _advance(self, opp: Opportunity, stage_id: str, at: int) -> None:
        if stage_id not in self.stages:
            raise KeyError(f"unknown stage {stage_id!r}")
        opp.stage_id = stage_id
        opp.stage_changes.append((stage_id, at, opp.owner_id))
        opp.last_advanced_at = at

    def archive_opportunity(self, opportunity_id: str, *, hired: bool = False, reason_id: str | None = None,
                            now: datetime | None = None) -> Opportunity:
        """Archive with a reason: the hired reason, a given one, or the first non-hired one (rejected)."""
        opp = self.opportunities[opportunity_id]
        at = self._stamp(now)
        reason = reason_id or (self.hired_reason_id() if hired else self.non_hired_reason_ids()[0])
        if reason not in self.archive_reasons:
            raise KeyError(f"unknown archive reason {reason!r}")
        opp.archived_reason, opp.archived_at = reason, at
        if self.archive_reasons[reason]["type"] == "hired" and "offer" in self.stages:
            self._advance(opp, "offer", at)
        opp.updated_at = at
        return opp

    def unarchive_opportunity(self, opportunity_id: str, *, now: datetime | None = None) -> Opportunity:
        opp = self.opportunities[opportunity_id]
        opp.archived_reason, opp.archived_at = None, None
        opp.updated_at = self._stamp(now)
        return opp

    def delete_opportunity(self, opportunity_id: str, *, now: datetime | None = None) -> None:
        """Remove the opportunity and its children; a contact left without opportunities goes too."""
        opp = self.opportunities.pop(opportunity_id)
        self.deleted[opportunity_id] = self._stamp(now)
        self.panels.pop(opportunity_id, None)
        self.notes.pop(opportunity_id, None)
        self._order = None
        remaining = self.contact_opportunities.get(opp.contact_id, [])
        if opportunity_id in remaining:
            remaining.remove(opportunity_id)
        if not remaining:
            contact = self.contacts.pop(opp.contact_id, None)
            self.contact_opportunities.pop(opp.contact_id, None)
            for email in contact.emails if contact else []:
                if self.email_index.get(email.strip().lower()) == opp.contact_id:
                    del self.email_index[email.strip().lower()]


# -- generation -----------------------------------------------------------------------------------------


def _uuid(rng: random.Random) -> str:
    """A random version-4 UUID string, drawn from `rng` so the dataset is reproducible."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _users(rng: random.Random, start: int) -> dict[str, dict[str, Any]]:
    users: dict[str, dict[str, Any]] = {}
    for i, (name, role) in enumerate(USERS):
        user_id = _uuid(rng)
        username = ascii_slug(name).replace("-", ".")
        users[user_id] = {
            "id": user_id, "name": name, "username": username, "email": f"{username}@example-corp.com",
            "accessRole": role, "photo": None, "createdAt": start + i * DAY_MS,
            "deactivatedAt": start + 200 * DAY_MS if name == DEACTIVATED_USER else None,
            "externalDirectoryId": None, "linkedContactIds": None,
            "jobTitle": {"super admin": "Head of Talent", "admin": "Recruiting Lead", "team member": "Recruiter",
                         "limited team member": "Hiring Manager", "interviewer": "Engineer"}.get(role),
            "managerId": None,
        }
    return users


def _stages(rng: random.Random) -> dict[str, dict[str, Any]]:
    pairs = [*LEAD_STAGES, *APPLICANT_STAGES, *((_uuid(rng), text) for text in CUSTOM_STAGES), OFFER_STAGE]
    return {stage_id: {"id": stage_id, "text": text} for stage_id, text in pairs}


def _archive_reasons(rng: random.Random) -> dict[str, dict[str, Any]]:
    reasons = [(HIRED_REASON_TEXT, "hired"), *((text, "non-hired") for text in NON_HIRED_REASONS)]
    out = {}
    for text, kind in reasons:
        reason_id = _uuid(rng)
        out[reason_id] = {"id": reason_id, "text": text, "status": "active", "type": kind}
    return out


def _postings(rng: random.Random, users: dict[str, dict[str, Any]], start: int, site: str
              ) -> dict[str, dict[str, Any]]:
    staff = [u["id"] for u in users.values() if u["accessRole"] in ("super admin", "admin", "team member")
             and u["deactivatedAt"] is None]
    managers = [u["id"] for u in users.values() if u["accessRole"] == "limited team member"] + staff[1:3]
    postings: dict[str, dict[str, Any]] = {}
    for i, (text, department, team, location, commitment, state) in enumerate(POSTINGS):
        posting_id = _uuid(rng)
        owner = staff[i % len(staff)]
        created = start + i * 7 * DAY_MS
        postings[posting_id] = {
            "id": posting_id, "text": text, "state": state, "distributionChannels": ["public", "internal"],
            "user": owner, "owner": owner, "hiringManager": managers[i % len(managers)],
            "followers": [owner], "categories": {"team": team, "department": department, "location": location,
                                                 "allLocations": [location], "commitment": commitment,
                                                 "level": None},
            "tags": [department], "confidentiality": "confidential" if text == CONFIDENTIAL_POSTING
            else "non-confidential", "reqCode": f"REQ-{100 + i}", "requisitionCodes": [f"REQ-{100 + i}"],
            "urls": {"list": f"https://jobs.lever.co/{site}", "show": f"https://jobs.lever.co/{site}/{posting_id}",
                     "apply": f"https://jobs.lever.co/{site}/{posting_id}/apply"},
            "workplaceType": "remote" if location == "Remote" else rng.choice(("onsite", "hybrid")),
            "createdAt": created, "updatedAt": created + rng.randint(1, 30) * DAY_MS,
        }
    return postings


def _headline(person: Person) -> str | None:
    """Lever's headline lists where someone worked (and studied), as its resume parser fills it."""
    places = [place for place in (person.company, *person.past_companies, person.school) if place]
    return ", ".join(dict.fromkeys(places)) or None


@dataclass(frozen=True)
class _Pools:
    """What every generated opportunity draws from, computed once per dataset."""

    now: int
    posting_ids: list[str]
    deck: list[str]  # postings still to deal before every posting has had one more candidacy
    staff: list[str]
    stage_ids: list[str]
    hired_reason: str
    non_hired_reasons: list[str]


def _deal_posting(rng: random.Random, pools: _Pools) -> str:
    """Postings are dealt like cards from shuffled decks, so even a small dataset has candidacies on every
    posting (the confidential one included) and a large one has them evenly spread."""
    if not pools.deck:
        pools.deck.extend(pools.posting_ids)
        rng.shuffle(pools.deck)
    return pools.deck.pop()


def _archive_fate(rng: random.Random, pools: _Pools, status: str, has_posting: bool) -> tuple[str | None, bool]:
    """The archive reason for a candidacy's status: hired (only with a posting), a non-hired reason, or none."""
    if status == HIRED and has_posting:
        return pools.hired_reason, True
    if status == REJECTED:
        return rng.choice(pools.non_hired_reasons), False
    return None, False


def _generate_opportunity(rng: random.Random, state: LeverState, pools: _Pools, contact: Contact, person: Person,
                          status: str, created: int) -> Opportunity:
    now, staff, stage_ids = pools.now, pools.staff, pools.stage_ids
    posting_id = None if status == LEAD else _deal_posting(rng, pools)
    posting = state.postings.get(posting_id) if posting_id else None
    if posting_id is None:
        path = [s for s, _ in LEAD_STAGES][: rng.randint(1, len(LEAD_STAGES))]
    else:
        path = stage_ids[: rng.randint(1, len(stage_ids) - 1)]
    reason, hired = _archive_fate(rng, pools, status, posting_id is not None)
    if hired:
        path = [*stage_ids]
    origin = "applied" if posting_id and rng.random() < 0.6 else rng.choice(ORIGINS)
    owner = rng.choice(staff)
    span = max(now - created, DAY_MS)
    moments = sorted(created + rng.randint(0, span // 2) for _ in path)
    moments[0] = created
    changes: list[tuple[str, int, str | None]] = [(stage, at, owner) for stage, at in zip(path, moments, strict=True)]
    updated = min(now, moments[-1] + rng.randint(0, 5) * DAY_MS)
    archived_at = min(now, updated + rng.randint(0, 3) * DAY_MS) if reason else None
    opp = Opportunity(
        id=_uuid(rng), contact_id=contact.id, stage_id=path[-1], created_at=created,
        updated_at=max(updated, archived_at or 0), owner_id=owner, origin=origin,
        sources=rng.sample(SOURCES, k=rng.randint(1, 2)), tags=list(person.tags),
        followers=list(dict.fromkeys([owner, rng.choice(staff)])),
        sourced_by=owner if origin == "sourced" else None, stage_changes=changes,
        last_interaction_at=updated, last_advanced_at=moments[-1], archived_reason=reason,
        archived_at=archived_at, confidential=bool(posting and posting["confidentiality"] == "confidential"),
        location=posting["categories"]["location"] if posting else None,
    )
    if posting_id:
        opp.application = ApplicationRecord(
            id=_uuid(rng), posting_id=posting_id, created_at=created,
            type="posting" if origin == "applied" else ("referral" if origin == "referred" else "user"),
            user_id=None if origin == "applied" else owner,
            comments=rng.choice((None, None, "Excited about the mission.", "Available from next month.")))
    if person.resume:
        opp.resumes.append(ResumeRecord(id=_uuid(rng), created_at=created,
                                        filename=f"{ascii_slug(contact.name)}-cv.pdf", size=0,
                                        seed=rng.getrandbits(32)))
    # Lever names uploads its own way; which files someone sent comes from the person.
    if person.cover_letter:
        opp.files.append(FileRecord(id=_uuid(rng), name=f"Cover letter - {contact.name}.pdf",
                                    uploaded_at=created, size=0))
    if person.other_files:
        opp.files.append(FileRecord(id=_uuid(rng), name="Portfolio.pdf", uploaded_at=created, size=0))
    return opp


def generate(*, seed: int = 7, candidates: int = 400, now: datetime | None = None,
             site: str = "example-corp", shared_people: Sequence[Person] = ()) -> LeverState:
    """A Lever account with exactly `candidates` opportunities (what Lever's UI and hirebot call
    candidates): one contact per generated person, with one opportunity per candidacy of that person
    (about one in seven has a second).

    Deterministic for a given seed and `now`; timestamps spread over the year before `now`.
    """
    rng = random.Random(seed)
    moment = now or datetime.now(UTC)
    now_ms = to_ms(moment)
    start = to_ms(moment - timedelta(days=400))
    state = LeverState(rng=random.Random(seed + 1))
    state.users = _users(rng, start)
    state.stages = _stages(rng)
    state.archive_reasons = _archive_reasons(rng)
    state.postings = _postings(rng, state.users, start, site)
    pools = _Pools(
        now=now_ms,
        posting_ids=[p for p, posting in state.postings.items() if posting["state"] != "draft"], deck=[],
        staff=[u for u in state.active_user_ids()
               if state.users[u]["accessRole"] in ("super admin", "admin", "team member")],
        stage_ids=[s for s in state.stages if not s.startswith("lead-")],
        hired_reason=state.hired_reason_id(), non_hired_reasons=state.non_hired_reason_ids())
    year_ago = now_ms - 365 * DAY_MS
    created_points = sorted(rng.randint(year_ago, now_ms - DAY_MS) for _ in range(candidates))
    # Lever's lookups go by email, so every generated contact has one.
    shared = [person for person in shared_people[:candidates] if person.emails]
    people = shared + PeopleGenerator(seed, without_email=0.0).people(candidates - len(shared))
    made = 0
    for person, created in zip(people, created_points, strict=True):
        if made >= candidates:
            break
        contact = state.add_contact(person.name, emails=[e.value for e in person.emails],
                                    phones=[(p.kind, p.value) for p in person.phones],
                                    links=[link.value for link in person.links], headline=_headline(person),
                                    location=person.city)
        for number, status in enumerate(person.statuses):
            if made >= candidates:
                break
            at = created if number == 0 else rng.randint(created, now_ms)
            state._insert(_generate_opportunity(rng, state, pools, contact, person, status, at))
            made += 1
    return state
