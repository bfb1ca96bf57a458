"""Deterministic, realistic Greenhouse Harvest v3 data for the sandbox server, demos and sync benchmarks.

`generate()` builds a `GreenhouseState` (see greenhouse_state.py): about twenty users, twelve jobs with
interview plans and hiring teams, and candidates made from the kit's people (people.py) with their
applications, stage histories, interviews, files, notes and tags, timestamps spread over the last year.
The same seed and `now` always give the same data.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.sandbox.greenhouse_state import (
    DAY,
    ID_BASES,
    NOTE_VISIBILITIES,
    GreenhouseState,
    attachment_row,
    blank_application,
    blank_candidate,
    iso,
    stage_row,
)
from adapters.sandbox.people import PeopleGenerator, Person, slug
from adapters.sandbox.people_names import FAMILIES, TAGS

_SOURCES = (1, 2, 3, 4, 5, 6, 7, 8)  # opaque: LinkedIn, Indeed, Referral, Careers page, ...

# (stage name, interviews as (name, scheduling_type, minutes))
_Plan = tuple[tuple[str, tuple[tuple[str, str, int | None], ...]], ...]
_REVIEW = ("Application Review", (("Application Review", "none", None),))
_SCREEN = ("Recruiter Screen", (("Recruiter Phone Screen", "needs_scheduling", 30),))
_HM_SCREEN = ("Hiring Manager Screen", (("Hiring Manager Interview", "needs_scheduling", 45),))
_OFFER = ("Offer", (("Offer", "offer", None),))
_PLANS: dict[str, _Plan] = {
    "engineering": (_REVIEW, _SCREEN,
                    ("Technical Interview", (("Coding Exercise", "needs_scheduling", 60),
                                             ("System Design", "needs_scheduling", 60))),
                    ("Onsite", (("Architecture Deep Dive", "needs_scheduling", 60),
                                ("Pair Programming", "needs_scheduling", 90),
                                ("Values & Collaboration", "needs_scheduling", 45))),
                    ("Reference Check", (("Reference Call", "needs_scheduling", 30),)), _OFFER),
    "data": (_REVIEW, _SCREEN, ("Take-Home Assignment", (("Take-Home Review", "take_home_test", 120),)),
             ("Onsite", (("Case Study Presentation", "needs_scheduling", 60),
                         ("Stats & ML Deep Dive", "needs_scheduling", 60))), _OFFER),
    "design": (_REVIEW, _SCREEN, ("Portfolio Review", (("Portfolio Presentation", "needs_scheduling", 60),)),
               ("Onsite", (("Design Critique", "needs_scheduling", 45),
                           ("Cross-functional Collaboration", "needs_scheduling", 45))), _OFFER),
    "sales": (_REVIEW, _SCREEN, _HM_SCREEN, _OFFER),
    "success": (_REVIEW, _SCREEN, _HM_SCREEN,
                ("Role Play", (("Customer Scenario Role Play", "needs_scheduling", 60),)), _OFFER),
    "marketing": (_REVIEW, _SCREEN, _HM_SCREEN,
                  ("Leadership Panel", (("Executive Panel", "needs_scheduling", 60),
                                        ("Strategy Presentation", "needs_scheduling", 60))), _OFFER),
}

# (name, family, status, requisition id, weight of incoming applications)
_JOBS: tuple[tuple[str, str, str, str, float], ...] = (
    ("Senior Backend Engineer (Python)", "engineering", "open", "ENG-101", 14),
    ("Frontend Engineer, React", "engineering", "open", "ENG-114", 11),
    ("Staff Platform Engineer", "engineering", "open", "ENG-120", 5),
    ("Engineering Manager, Payments", "engineering", "open", "ENG-131", 4),
    ("Data Scientist", "data", "open", "DAT-007", 8),
    ("Product Designer", "design", "open", "DES-012", 8),
    ("Account Executive, EMEA", "sales", "open", "SAL-044", 9),
    ("Sales Development Representative", "sales", "open", "SAL-051", 12),
    ("Customer Success Manager", "success", "open", "CS-019", 7),
    ("Site Reliability Engineer", "engineering", "closed", "ENG-088", 6),
    ("UX Researcher", "design", "closed", "DES-009", 4),
    ("Head of Marketing", "marketing", "draft", "MKT-003", 0),
)

# (first, last, job title, role, family, site admin, deactivated, extra email local parts)
_USERS: tuple[tuple[str, str, str, str, str | None, bool, bool, tuple[str, ...]], ...] = (
    ("Integration", "Service User", "Integration", "service", None, True, False, ()),
    ("Dana", "Whitfield", "Head of Talent", "admin", None, True, False, ("dana", "talent-lead")),
    ("Priyanka", "Raman", "Senior Technical Recruiter", "recruiter", "engineering", False, False, ("pri",)),
    ("Marcus", "Oyelaran", "Recruiter", "recruiter", "sales", False, False, ()),
    ("Inés", "Castillo", "Recruiter", "recruiter", "design", False, False, ("ines",)),
    ("Tomasz", "Nowicki", "Recruiting Lead", "recruiter", "data", True, False, ()),
    ("Hannah", "Becker", "Recruiting Coordinator", "coordinator", None, False, False, ()),
    ("Kenji", "Watanabe", "Recruiting Coordinator", "coordinator", None, False, False, ()),
    ("Olivia", "Chen", "VP Engineering", "hiring_manager", "engineering", False, False, ("olivia",)),
    ("Rafael", "Souza", "Director of Platform", "hiring_manager", "engineering", False, False, ()),
    ("Aisha", "Al-Farsi", "Head of Data", "hiring_manager", "data", False, False, ()),
    ("Liam", "O'Sullivan", "Design Director", "hiring_manager", "design", False, False, ("liam.osullivan",)),
    ("Sofia", "Rossi", "VP Sales", "hiring_manager", "sales", False, False, ()),
    ("Jonas", "Lindqvist", "Head of Customer Success", "hiring_manager", "success", False, False, ()),
    ("Grace", "Kim", "Engineering Manager", "hiring_manager", "engineering", False, False, ()),
    ("Benedikt", "Schröder", "CMO", "hiring_manager", "marketing", False, False, ()),
    ("Noah", "Williams", "Staff Engineer", "interviewer", "engineering", False, False, ()),
    ("Chloé", "Martin", "Senior Product Designer", "interviewer", "design", False, False, ()),
    ("Arjun", "Mehta", "Senior Data Scientist", "interviewer", "data", False, False, ()),
    ("Emma", "Johansson", "Account Director", "interviewer", "sales", False, False, ()),
    ("Derek", "Foster", "Sourcer", "recruiter", "engineering", False, True, ()),
)

_NOTE_BODIES = (
    "Great conversation - strong on distributed systems, wants to stay remote.",
    "Salary expectations above band; flagged to the hiring manager.",
    "Candidate asked to move the onsite to next week (travelling).",
    "Referred by Noah W. - worked together at a previous company.",
    "Very strong portfolio, especially the accessibility work 👍",
    "Needs visa sponsorship; checked with legal, we can support it.",
    "Declined to share current compensation. Fine.",
    "Prefers to be called by their preferred name in all emails.",
    "Follow up in Q3 - not looking right now but open to chat.",
    "Take-home submitted early, quality is excellent.",
    "Spoke français and English during the call; both fluent.",
    "Concerned about the on-call rotation; explained our policy.",
)
_LOCATIONS = ("Zoom", "Google Meet", "Room 4.01 (Aurora)", "Microsoft Teams")
_RSVPS = ("accepted", "accepted", "accepted", "tentative", "declined", "needs_action")
_ACTIVE_AT = tuple(itertools.accumulate((0.3, 0.25, 0.2, 0.13, 0.08, 0.04)))
_REJECTED_AT = tuple(itertools.accumulate((0.34, 0.26, 0.18, 0.12, 0.07, 0.03)))


# =====================================================================================================
# The generator
# =====================================================================================================

def generate(*, seed: int = 7, candidates: int = 400, now: datetime | None = None,
             shared_people: Sequence[Person] = ()) -> GreenhouseState:
    """A full dataset: ~20 users, 12 jobs with interview plans, and `candidates` people with their history.

    The same seed and `now` always give the same state. `now` defaults to the current minute. The first
    candidates take the names and emails of `shared_people` (people another fake has too).
    """
    if candidates < 0:
        raise ValueError("candidates must be zero or more")
    if now is None:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    builder = _DatasetBuilder(seed, now.timestamp())
    # A million new acyclic dicts would trigger many full collections that find nothing to free.
    collecting = gc.isenabled()
    gc.disable()
    try:
        builder.build_users()
        builder.build_jobs()
        builder.build_tags()
        builder.build_candidates(candidates)
    finally:
        if collecting:
            gc.enable()
    _share(builder.state, shared_people)
    return builder.state


def _share(state: GreenhouseState, people: Sequence[Person]) -> None:
    """The first candidates become `people` (names, emails, LinkedIn, file names); their history stays."""
    by_candidate: dict[int, list[dict]] = {}
    for attachment in state.attachments.values():
        by_candidate.setdefault(attachment["candidate_id"], []).append(attachment)
    for row, person in zip(state.candidates.values(), people, strict=False):
        row.update({"first_name": person.first, "last_name": person.last, "preferred_name": person.preferred,
                    "email_addresses": [{"value": e.value, "type": e.kind} for e in person.emails],
                    "social_media_addresses": [{"value": link.value} for link in person.links
                                               if link.kind == "linkedin"]})
        for attachment in by_candidate.get(row["id"], []):
            if attachment["type"] in ("resume", "cover_letter"):
                filename = person.resume if attachment["type"] == "resume" else person.cover_letter
                filename = filename or f"{slug(person.first)}-{slug(person.last)}-{attachment['type']}.pdf"
                attachment.update(filename=filename, url=f"/files/{attachment['id']}/{filename}")


class _DatasetBuilder:
    """Fills one GreenhouseState; kept as a class so the many pools are looked up once, not per row."""

    def __init__(self, seed: int, now: float) -> None:
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.now = now
        self.year_ago = now - 365 * DAY
        self.state = GreenhouseState()
        self.ids: dict[str, int] = {}
        self.people = PeopleGenerator(seed, rng=self.rng)
        self.users_by_role: dict[str, list[int]] = {}
        self.users_by_family: dict[str, list[int]] = {}
        self.role_pools: dict[tuple[str, str | None], list[int]] = {}
        self.job_plans: dict[int, list[tuple[dict, list[dict]]]] = {}
        self.job_family: dict[int, str] = {}
        self.job_recruiter: dict[int, int] = {}
        self.job_coordinator: dict[int, int] = {}
        self.open_jobs: list[int] = []
        self.open_weights: list[float] = []
        self.open_cum_weights: list[float] = []
        self.closed_jobs: list[int] = []
        self.job_closed_at: dict[int, float] = {}
        self.tag_ids: dict[str, int] = {}

    def next_id(self, table: str) -> int:
        value = self.ids.get(table, ID_BASES[table]) + 1
        self.ids[table] = value
        return value

    def finish_ids(self) -> None:
        self.state.next_ids = {t: v + 1 for t, v in self.ids.items()}

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.random() * len(seq))]

    # ----- users -------------------------------------------------------------------------------------
    def build_users(self) -> None:
        created = self.year_ago - 400 * DAY
        domain = self.state.organization_domain
        for first, last, job_title, role, family, admin, gone, extras in _USERS:
            uid = self.next_id("users")
            stamp = iso(created + self.rng.uniform(0, 300) * DAY)
            primary = "" if role == "service" else f"{slug(first)}.{slug(last)}@{domain}"
            emails = ([primary] if primary else []) + [f"{local}@{domain}" for local in extras]
            self.state.users[uid] = {
                "id": uid, "first_name": first, "last_name": last, "name": f"{first} {last}",
                "primary_email": primary, "emails": emails,
                "employee_id": None if role == "service" else f"E{uid % 100000:05d}", "site_admin": admin,
                "deactivated": gone, "job_title": job_title, "linked_candidate_ids": [], "department_ids": [],
                "office_ids": [], "custom_fields": {}, "created_at": stamp,
                "updated_at": iso(self.now - self.rng.uniform(5, 200) * DAY)}
            for address in emails:
                row_id = self.next_id("user_emails")
                self.state.user_emails[row_id] = {"id": row_id, "user_id": uid, "email": address,
                                                  "verified": True, "verification_token_sent_at": None,
                                                  "created_at": stamp, "updated_at": stamp}
            if role == "service":
                self.state.service_account_ids.add(uid)
            if not gone:
                self.users_by_role.setdefault(role, []).append(uid)
                if family:
                    self.users_by_family.setdefault(family, []).append(uid)
        self.role_pools = {(role, fam): self._pool(role, fam) for role in self.users_by_role
                           for fam in (None, *FAMILIES)}

    def _pool(self, role: str, family: str | None) -> list[int]:
        pool = self.users_by_role[role]
        matching = [u for u in pool if u in self.users_by_family.get(family or "", [])]
        return matching or pool

    def _role_user(self, role: str, family: str | None = None) -> int:
        pool = self.role_pools[(role, family)]
        return int(pool[int(self.random() * len(pool))])

    # ----- jobs --------------------------------------------------------------------------------------
    def build_jobs(self) -> None:
        for name, family, status, requisition, weight in _JOBS:
            job_id = self.next_id("jobs")
            created = self.year_ago - self.rng.uniform(10, 60) * DAY
            opened = None if status == "draft" else created + self.rng.uniform(1, 5) * DAY
            closed = self.now - self.rng.uniform(20, 90) * DAY if status == "closed" else None
            stamp = iso(created)
            self.state.jobs[job_id] = {
                "id": job_id, "name": name, "requisition_id": requisition, "status": status,
                "confidential": False, "is_template": False, "copied_from_id": None, "department_id": None,
                "office_ids": [], "notes": None, "custom_fields": {}, "created_at": stamp,
                "opened_at": iso(opened) if opened else None, "closed_at": iso(closed) if closed else None,
                "updated_at": iso(closed or self.now - self.rng.uniform(1, 30) * DAY)}
            self.job_family[job_id] = family
            self._build_plan(job_id, family, stamp)
            self._build_hiring_team(job_id, family, stamp, status)
            if status == "open":
                self.open_jobs.append(job_id)
                self.open_weights.append(weight)
            elif closed is not None:
                self.closed_jobs.append(job_id)
                self.job_closed_at[job_id] = closed
        self.open_cum_weights = list(itertools.accumulate(self.open_weights))

    def _build_plan(self, job_id: int, family: str, stamp: str) -> None:
        plan: list[tuple[dict, list[dict]]] = []
        for order, (stage_name, steps) in enumerate(_PLANS[family]):
            stage_id = self.next_id("job_interview_stages")
            stage = {"id": stage_id, "job_id": job_id, "name": stage_name, "sort_order": order, "active": True,
                     "created_at": stamp, "updated_at": stamp}
            self.state.job_interview_stages[stage_id] = stage
            interviews = []
            for position, (step_name, scheduling, minutes) in enumerate(steps, start=1):
                step_id = self.next_id("job_interviews")
                step = {"id": step_id, "job_id": job_id, "job_interview_stage_id": stage_id, "name": step_name,
                        "sort_order": position, "schedulable": scheduling == "needs_scheduling",
                        "estimated_minutes": minutes, "duration": minutes, "scheduling_type": scheduling,
                        "require_scorecard": scheduling in ("needs_scheduling", "take_home_test"),
                        "active": True, "created_at": stamp, "updated_at": stamp}
                self.state.job_interviews[step_id] = step
                interviews.append(step)
            plan.append((stage, interviews))
        self.job_plans[job_id] = plan

    def _build_hiring_team(self, job_id: int, family: str, stamp: str, status: str) -> None:
        for uid in self.role_pools[("hiring_manager", family)][:2]:
            row_id = self.next_id("job_hiring_managers")
            self.state.job_hiring_managers[row_id] = {"id": row_id, "job_id": job_id, "user_id": uid,
                                                      "created_at": stamp, "updated_at": stamp}
        self.job_recruiter[job_id] = self._role_user("recruiter", family)
        self.job_coordinator[job_id] = self._role_user("coordinator")
        owners: list[tuple[str, int, bool]] = [("recruiter", self.job_recruiter[job_id], True),
                  ("coordinator", self.job_coordinator[job_id], True)]
        if status == "closed":
            owners.append(("sourcer", self._deactivated_user(), False))
        for kind, uid, responsible in owners:
            row_id = self.next_id("job_owners")
            self.state.job_owners[row_id] = {"id": row_id, "job_id": job_id, "user_id": uid, "type": kind,
                                             "responsible": responsible, "created_at": stamp,
                                             "updated_at": stamp}

    def _deactivated_user(self) -> int:
        return next(uid for uid, u in self.state.users.items() if u["deactivated"])

    def build_tags(self) -> None:
        stamp = iso(self.year_ago - 30 * DAY)
        for name in TAGS:
            tag_id = self.next_id("candidate_tags")
            self.state.candidate_tags[tag_id] = {"id": tag_id, "name": name, "created_at": stamp,
                                                 "updated_at": stamp}
            self.tag_ids[name] = tag_id

    # ----- candidates --------------------------------------------------------------------------------
    # This part runs ~10 times per candidate, so it avoids random.choice/choices (slow in pure Python)
    # and formats each timestamp once. 100k candidates must take seconds, not minutes.
    def build_candidates(self, count: int) -> None:
        rng = self.rng
        span = self.now - 0.2 * DAY - self.year_ago
        times = sorted(self.year_ago + rng.random() * span for _ in range(count))
        slots = self.people.planted_slots(count)
        for index, created in enumerate(times):
            self._add_candidate(self.people.identity(slots.get(index)), created)
        self.finish_ids()

    def _add_candidate(self, person: Person, created: float) -> None:
        """One candidate row from a person, with its applications, files, notes and tags.

        The people steps and this fake's own draws share one random stream, in the order the data was
        first generated in, so the same seed still gives the same candidates tests were written against.
        """
        rnd, people = self.random, self.people
        cid = self.next_id("candidates")
        people.profile(person)
        people.contact_details(person)
        row = blank_candidate(cid, iso(created))
        row.update({"first_name": person.first, "last_name": person.last, "preferred_name": person.preferred,
                    "company": person.company, "title": person.title, "private": person.private,
                    "can_email": person.can_email, "time_zone": person.time_zone,
                    "email_addresses": [{"value": e.value, "type": e.kind} for e in person.emails],
                    "phone_numbers": [{"value": p.value, "type": p.kind} for p in person.phones],
                    "social_media_addresses": [{"value": link.value} for link in person.links
                                               if link.kind == "linkedin"],
                    "website_addresses": [{"value": link.value, "type": link.kind} for link in person.links
                                          if link.kind != "linkedin"],
                    "addresses": [{"value": person.address, "type": "home"}] if person.address else []})
        self.state.candidates[cid] = row
        first_app = self.ids.get("applications", ID_BASES["applications"]) + 1
        last_activity = self._add_application(cid, created)
        if rnd() < 0.18:
            later = created + rnd() * (self.now - created) * 0.8
            last_activity = max(last_activity, self._add_application(cid, later))
        people.files(person)
        self._add_files(row, person, first_app)
        last_activity = max(last_activity, self._add_notes(row, first_app, created))
        people.tags(person)
        self._add_tags(row, person.tags)
        row["last_activity_at"] = iso(last_activity)
        row["updated_at"] = iso(created + rnd() * (last_activity - created))

    def _add_application(self, cid: int, created: float) -> float:
        """One application with its stage history and interviews; returns its last activity time.

        Its outcome is drawn here, not taken from the person's statuses: on Greenhouse it depends on the job
        (a closed job has only hires and rejections) and on age (only older applications were hired)."""
        rnd = self.random
        app_id = self.next_id("applications")
        stamp = iso(created)
        row = blank_application(app_id, cid, None, stamp)
        row["source_id"] = self.pick(_SOURCES)
        self.state.applications[app_id] = row
        if rnd() < 0.06 or not self.open_jobs:
            chosen = self.rng.sample(self.open_jobs, min(len(self.open_jobs), int(rnd() * 3)))
            row.update({"prospective_job_ids": chosen, "recruiter_id": self._role_user("recruiter")})
            return created
        job_id: int = self.open_jobs[bisect.bisect(self.open_cum_weights, rnd() * self.open_cum_weights[-1])]
        closed = False
        if self.closed_jobs and rnd() < 0.12:
            closed_job: int = self.pick(self.closed_jobs)
            # Only people who applied well before a job closed can be on it.
            if created < self.job_closed_at[closed_job] - 20 * DAY:
                job_id, closed = closed_job, True
        row.update({"job_id": job_id, "prospect": False, "recruiter_id": self.job_recruiter[job_id],
                    "coordinator_id": self.job_coordinator[job_id]})
        status = self._pick_status(closed, created)
        plan = self.job_plans[job_id]
        reached = len(plan) - 1 if status == "hired" else self._pick_stage(len(plan), status)
        last = self._stage_history(row, plan, reached, status, created, stamp)
        if status == "in_process":
            last = max(last, self._maybe_interview(row, plan[reached], last))
        row["updated_at"] = row["last_activity_at"] = iso(last)
        return last

    def _pick_status(self, closed_job: bool, created: float) -> str:
        roll = self.random()
        if closed_job:
            return "hired" if roll < 0.1 else "rejected"
        if roll < 0.05 and self.now - created > 30 * DAY:
            return "hired"
        return "rejected" if roll < 0.27 else "in_process"

    def _pick_stage(self, stages: int, status: str) -> int:
        weights = _REJECTED_AT if status == "rejected" else _ACTIVE_AT
        cumulative = weights[: stages - 1 if status == "rejected" else stages]
        return bisect.bisect(cumulative, self.random() * cumulative[-1])

    def _stage_history(self, app: dict, plan: list[tuple[dict, list[dict]]], reached: int, status: str,
                       created: float, stamp: str) -> float:
        """Write application_stages rows up to `reached`; returns the time of the last change."""
        rnd = self.random
        stages = self.state.application_stages
        moment, entered = created, stamp
        step = (self.now - created) / (reached + 1)
        for index in range(reached + 1):
            exited: str | None = None
            if index < reached or status != "in_process":
                moment = min(self.now - 60, moment + (0.05 + 0.45 * rnd()) * step)
                exited = iso(moment)
            row_id = self.next_id("application_stages")
            stages[row_id] = stage_row(row_id, app["id"], plan[index][0]["id"], entered, exited)
            entered = exited or entered
        if status == "in_process":
            stage = plan[reached][0]
            app.update({"stage_id": stage["id"], "job_interview_stage_id": stage["id"],
                        "stage_name": stage["name"]})
        else:
            app["status"] = status
            if status == "rejected":
                app["rejected_at"] = entered
                app["rejection_reason_id"] = self.pick((None, 11, 12, 13, 14))
        return moment

    def _maybe_interview(self, app: dict, stage: tuple[dict, list[dict]], since: float) -> float:
        rnd, pick = self.random, self.pick
        steps = [s for s in stage[1] if s["schedulable"]]
        if not steps or rnd() < 0.35:
            return since
        step = pick(steps)
        upcoming = rnd() < 0.55
        start = (self.now + (0.5 + 9.5 * rnd()) * DAY) if upcoming else \
            min(self.now - 3600, since + (0.5 + 4.5 * rnd()) * DAY)
        start -= start % 900  # interviews start on the quarter hour
        booked = iso(min(self.now - 60, since + 3600))
        interview_id = self.next_id("interviews")
        self.state.interviews[interview_id] = {
            "id": interview_id, "application_id": app["id"], "job_id": app["job_id"],
            "job_interview_id": step["id"], "organizer_id": app["coordinator_id"], "starts_at": iso(start),
            "ends_at": iso(start + (step["estimated_minutes"] or 45) * 60), "all_day_start_on": None,
            "all_day_end_on": None, "location": pick(_LOCATIONS),
            "external_event_id": f"evt_{self.rng.getrandbits(48):012x}",
            "video_conferencing_url": f"https://zoom.us/j/{self.rng.getrandbits(34) + 10**10}",
            "status": "scheduled" if upcoming else pick(("awaiting_feedback", "complete", "complete")),
            "scheduled_at": booked, "created_at": booked, "updated_at": booked}
        family = self.job_family[app["job_id"]]
        panel = sorted({self._role_user("interviewer", family), self._role_user("hiring_manager", family)})
        for uid in panel[: 1 + int(rnd() * 2)]:
            row_id = self.next_id("interviewers")
            self.state.interviewers[row_id] = {
                "id": row_id, "interview_id": interview_id, "user_id": uid,
                "email": self.state.users[uid]["primary_email"], "response_status": pick(_RSVPS),
                "scorecard_id": self.next_id("scorecards"), "created_at": booked, "updated_at": booked}
        return min(self.now - 60, since + 3600)

    def _add_files(self, row: dict, person: Person, app_id: int) -> None:
        stamp = row["created_at"]
        if person.resume:
            self._attachment(row["id"], app_id, person.resume, "resume", stamp)
        if person.cover_letter:
            self._attachment(row["id"], app_id, person.cover_letter, "cover_letter", stamp)
        for filename in person.other_files:
            self._attachment(row["id"], app_id, filename, "other", stamp)

    def _attachment(self, cid: int, app_id: int | None, filename: str, kind: str, stamp: str) -> None:
        att_id = self.next_id("attachments")
        self.state.attachments[att_id] = attachment_row(att_id, cid, app_id, filename, kind, stamp)

    def _add_notes(self, row: dict, app_id: int, created: float) -> float:
        rnd = self.random
        roll = rnd()
        latest = created
        for _ in range(2 if roll < 0.1 else 1 if roll < 0.35 else 0):
            moment = created + rnd() * (self.now - created)
            self._note(row, app_id, iso(moment))
            latest = max(latest, moment)
        return latest

    def _note(self, row: dict, app_id: int, stamp: str) -> None:
        kind = self.pick(("NOTE", "NOTE", "NOTE", "EMAIL", "ACTIVITY"))
        recruiter = self._role_user("recruiter")
        author = None if kind == "ACTIVITY" else self._role_user(self.pick(("recruiter", "hiring_manager")))
        to = row["email_addresses"][0]["value"] if kind == "EMAIL" and row["email_addresses"] else None
        note_id = self.next_id("notes")
        self.state.notes[note_id] = {
            "id": note_id, "candidate_id": row["id"], "application_id": app_id, "user_id": author,
            "type": "EMAIL" if to else "ACTIVITY" if kind == "ACTIVITY" else "NOTE",
            "body": f"Stage changed by {self.state.users[recruiter]['name']}" if kind == "ACTIVITY"
            else self.pick(_NOTE_BODIES),
            "subject": "Next steps with Brightloop" if to else None, "email_to": to,
            "email_from": self.state.users[author]["primary_email"] if to and author else None,
            "email_cc": [], "visibility": self.pick(NOTE_VISIBILITIES), "created_at": stamp, "updated_at": stamp}

    def _add_tags(self, row: dict, names: list[str]) -> None:
        stamp = row["created_at"]
        for name in names:
            row_id = self.next_id("applied_candidate_tags")
            self.state.applied_candidate_tags[row_id] = {
                "id": row_id, "candidate_id": row["id"], "candidate_tag_id": self.tag_ids[name],
                "created_at": stamp, "updated_at": stamp}
        row["tags"] = list(names)
