"""What the Greenhouse fake serves: `GreenhouseState`, plain dicts already in Harvest v3 response shapes,
keyed by id, and the helpers that change it the way the real service would (`greenhouse_dataset.generate`
fills one with generated people).

The mutation helpers behave like the real service as far as timestamps go: editing a candidate moves its
`updated_at`; activity on an application (stage move, rejection, hire, note) moves the application's
`updated_at`/`last_activity_at` and the candidate's `last_activity_at`, but not the candidate's `updated_at`
(the reference warns that Greenhouse behaves this way).

Row shapes follow the v3 list schemas (as reported by Airbyte's v3 connector), with these choices where
no shape was known:
- `job_interviews` carry both the v1-style `schedulable`/`estimated_minutes` and the v3 `scheduling_type`/
  `duration`.
- `applications` in a terminal state (rejected, hired) have null `stage_id`/`job_interview_stage_id`/
  `stage_name`; where they stopped is in `application_stages` (last row, `current` false).
- `attachments[].url` holds the sandbox-relative path `/files/{id}/{filename}`; the server turns it into an
  absolute, signed, expiring link when it answers.
- Departments, offices, sources, referrers and rejection reasons are not modelled: their ids are null, or
  small opaque numbers for `source_id`.

Ids are increasing per table, so id order follows creation order as in the real service. If you edit the
dicts directly instead of through the helpers, call `touch()` so the server's indexes are rebuilt.

The helpers also tell `listeners` what happened, as a `StateChange` named after the Greenhouse webhook it
would fire (`new_candidate_application`, `candidate_stage_change`, `delete_candidate`...), so the server
can deliver webhooks the way Greenhouse does. Editing the dicts directly notifies no one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

log = logging.getLogger(__name__)

DAY = 86_400.0
ORGANIZATION_DOMAIN = "brightloop.io"

TABLES: tuple[str, ...] = (
    "users", "user_emails", "jobs", "job_interview_stages", "job_interviews", "job_hiring_managers",
    "job_owners", "candidates", "applications", "application_stages", "attachments", "candidate_tags",
    "applied_candidate_tags", "notes", "interviews", "interviewers",
)

# Different id ranges per table, so that mixing up two kinds of id in an adapter finds nothing.
ID_BASES: dict[str, int] = {
    "users": 4_080_000, "user_emails": 7_120_000, "jobs": 4_431_000, "job_interview_stages": 5_102_000,
    "job_interviews": 6_205_000, "job_hiring_managers": 7_010_000, "job_owners": 7_050_000,
    "candidates": 40_211_000, "applications": 81_534_000, "application_stages": 120_880_000,
    "attachments": 161_402_000, "candidate_tags": 301_000, "applied_candidate_tags": 201_770_000,
    "notes": 243_900_000, "interviews": 282_650_000, "interviewers": 321_400_000, "scorecards": 90_100_000,
}

APPLICATION_STATUSES = ("in_process", "rejected", "hired")
NOTE_VISIBILITIES = ("publicly_visible", "privately_visible", "admin_only_visible")
NOTE_TYPES = ("NOTE", "EMAIL", "ACTIVITY")
RESPONSE_STATUSES = ("needs_action", "declined", "tentative", "accepted")
CANDIDATE_EDITABLE = frozenset({
    "first_name", "last_name", "preferred_name", "company", "title", "email_addresses", "phone_numbers",
    "addresses", "website_addresses", "social_media_addresses", "private", "can_email", "time_zone",
    "custom_fields", "tags",
})
INTERVIEW_EDITABLE = frozenset({
    "starts_at", "ends_at", "location", "video_conferencing_url", "external_event_id", "status",
    "all_day_start_on", "all_day_end_on",
})


# What anonymizing can blank out, by Greenhouse's anonymized field name (a subset of the real list).
ANONYMIZABLE: dict[str, tuple[str, ...]] = {
    "full_name": ("first_name", "last_name", "preferred_name"),
    "current_company": ("company",),
    "current_title": ("title",),
    "email_addresses": ("email_addresses",),
    "phone_numbers": ("phone_numbers",),
    "addresses": ("addresses",),
    "website_addresses": ("website_addresses",),
    "social_media_addresses": ("social_media_addresses",),
    "tags": ("tags",),
}


@dataclass(frozen=True)
class StateChange:
    """One change made through a helper, named after the webhook action Greenhouse would send for it.

    `person` is a snapshot taken before a candidate was removed (deletes and merges), since the rows
    are gone by the time anyone reads them.
    """

    action: str
    candidate_id: int | None = None
    application_id: int | None = None
    person: Mapping[str, Any] | None = None
    merged_into: int | None = None
    anonymized_fields: tuple[str, ...] = ()
    interview_id: int | None = None


class InvalidChange(ValueError):
    """A change the service would refuse (422); `field` names the offending input."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


def iso(moment: float) -> str:
    """Greenhouse's timestamp spelling: UTC, milliseconds, `Z` (string order is time order)."""
    # Generating 100k candidates formats about a million of these, hence the caches.
    seconds, millis = divmod(int(moment * 1000 + 0.5), 1000)
    day, second = divmod(seconds, 86_400)
    date = _DATES.get(day) or _DATES.setdefault(day, time.strftime("%Y-%m-%dT", time.gmtime(day * 86_400)))
    clock = _CLOCKS.get(second) or _CLOCKS.setdefault(second, time.strftime("%H:%M:%S.", time.gmtime(second)))
    return date + clock + _MILLIS[millis]


_DATES: dict[int, str] = {}
_CLOCKS: dict[int, str] = {}
_MILLIS = tuple(f"{n:03d}Z" for n in range(1000))


def iso_from(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso(moment.timestamp())


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 timestamp; naive values are taken as UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class GreenhouseState:
    """Everything the sandbox serves, as Harvest v3 rows keyed by id, plus the helpers that change it."""

    users: dict[int, dict] = field(default_factory=dict)
    user_emails: dict[int, dict] = field(default_factory=dict)
    jobs: dict[int, dict] = field(default_factory=dict)
    job_interview_stages: dict[int, dict] = field(default_factory=dict)
    job_interviews: dict[int, dict] = field(default_factory=dict)
    job_hiring_managers: dict[int, dict] = field(default_factory=dict)
    job_owners: dict[int, dict] = field(default_factory=dict)
    candidates: dict[int, dict] = field(default_factory=dict)
    applications: dict[int, dict] = field(default_factory=dict)
    application_stages: dict[int, dict] = field(default_factory=dict)
    attachments: dict[int, dict] = field(default_factory=dict)
    candidate_tags: dict[int, dict] = field(default_factory=dict)
    applied_candidate_tags: dict[int, dict] = field(default_factory=dict)
    notes: dict[int, dict] = field(default_factory=dict)
    interviews: dict[int, dict] = field(default_factory=dict)
    interviewers: dict[int, dict] = field(default_factory=dict)
    # Users hidden from /v3/users unless show_service_accounts=true (the Integration Service User).
    service_account_ids: set[int] = field(default_factory=set)
    # Only interviews created through Harvest may be changed or deleted through it.
    harvest_interview_ids: set[int] = field(default_factory=set)
    organization_domain: str = ORGANIZATION_DOMAIN
    revision: int = 0
    next_ids: dict[str, int] = field(default_factory=dict)
    # Bytes uploaded for an attachment (attachment id -> (content, content type)); generated otherwise.
    attachment_files: dict[int, tuple[bytes, str]] = field(default_factory=dict, repr=False)
    # Called with each StateChange a helper makes; a failing listener is logged and never stops the change.
    listeners: list[Callable[[StateChange], None]] = field(default_factory=list, repr=False, compare=False)

    TABLES: ClassVar[tuple[str, ...]] = TABLES

    # ----- bookkeeping -------------------------------------------------------------------------------
    def table(self, name: str) -> dict[int, dict]:
        if name not in TABLES:
            raise KeyError(name)
        rows: dict[int, dict] = getattr(self, name)
        return rows

    def new_id(self, table: str) -> int:
        rows = self.table(table) if table in TABLES else {}
        candidate = self.next_ids.get(table, ID_BASES[table] + 1)
        while candidate in rows:
            candidate += 1
        self.next_ids[table] = candidate + 1
        return candidate

    def touch(self) -> None:
        """Tell indexes built over these dicts that something changed."""
        self.revision += 1

    def notify(self, change: StateChange) -> None:
        for listener in list(self.listeners):
            try:
                listener(change)
            except Exception:
                log.exception("a sandbox state listener failed on %s", change.action)

    @property
    def service_user_id(self) -> int | None:
        """The 'Integration Service User': the acting user when a token request names no `sub`."""
        return min(self.service_account_ids) if self.service_account_ids else None

    def site_admin_ids(self) -> list[int]:
        return [uid for uid, u in self.users.items() if u["site_admin"] and not u["deactivated"]]

    # ----- candidates -------------------------------------------------------------------------------
    def add_candidate(self, first_name: str, last_name: str, *, email: str | None = None,
                      job_id: int | None = None, now: datetime | None = None) -> dict:
        """A new applicant (or a prospect when `job_id` is None) with a resume, as if they applied now."""
        fields: dict[str, Any] = {"first_name": first_name, "last_name": last_name}
        if email:
            fields["email_addresses"] = [{"value": email, "type": "personal"}]
        candidate = self.create_candidate(fields, now=now)
        application = self.add_application(candidate["id"], job_id=job_id, now=now)
        filename = f"{first_name} {last_name} Resume.pdf".replace(" ", "_")
        self.add_attachment(candidate["id"], application["id"], filename=filename, kind="resume", now=now)
        return candidate

    def create_candidate(self, fields: Mapping[str, Any], *, application: Mapping[str, Any] | None = None,
                         now: datetime | None = None) -> dict:
        """Insert a candidate from already-validated fields, with its tags and optional application.

        `application` takes `add_application`'s keywords plus `attachments`: a list of
        {filename, type, content (bytes), content_type} filed on the new application.
        """
        stamp = _stamp(now)
        unknown = set(fields) - CANDIDATE_EDITABLE
        if unknown:
            raise InvalidChange(sorted(unknown)[0], "is not a candidate field")
        for name in ("first_name", "last_name"):
            if not str(fields.get(name) or "").strip():
                raise InvalidChange(name, "can't be blank")
        candidate_id = self.new_id("candidates")
        row = blank_candidate(candidate_id, stamp)
        row.update({k: v for k, v in fields.items() if k != "tags"})
        self.candidates[candidate_id] = row
        self._set_tags(candidate_id, fields.get("tags") or (), stamp)
        if application is not None:
            options = dict(application)
            files = options.pop("attachments", None) or ()
            try:
                app = self.add_application(candidate_id, now=now, **options)
            except InvalidChange:
                self._remove_candidate(candidate_id)  # all or nothing, like the real endpoint
                raise
            for item in files:
                self.add_attachment(candidate_id, app["id"], filename=item["filename"], kind=item["type"],
                                    content=item.get("content"), content_type=item.get("content_type"),
                                    now=now)
        self.touch()
        return row

    def update_candidate(self, candidate_id: int, now: datetime | None = None, **fields: Any) -> dict:
        """Edit profile fields; arrays replace the whole collection, as on PATCH."""
        row = self.candidates[candidate_id]
        unknown = set(fields) - CANDIDATE_EDITABLE
        if unknown:
            raise InvalidChange(sorted(unknown)[0], "is not a candidate field")
        stamp = _later(_stamp(now), row["created_at"])
        if "tags" in fields:
            self._set_tags(candidate_id, fields.pop("tags") or (), stamp)
        row.update(fields)
        row["updated_at"] = stamp
        row["last_activity_at"] = _later(stamp, row["last_activity_at"])
        self.touch()
        self.notify(StateChange("update_candidate", candidate_id))
        return row

    def delete_candidate(self, candidate_id: int) -> None:
        """Remove a candidate and everything hanging off it (applications, stages, files, notes...)."""
        person = self.person_snapshot(candidate_id)
        self._remove_candidate(candidate_id)
        self.notify(StateChange("delete_candidate", candidate_id, person=person))

    def merge_candidates(self, merged_id: int, into_id: int, now: datetime | None = None) -> dict:
        """Merge one candidate into another, as a recruiter does with duplicates: the survivor takes over
        the applications, files, notes and tags, and the merged-away record is removed."""
        if merged_id == into_id or merged_id not in self.candidates or into_id not in self.candidates:
            raise InvalidChange("candidate_id", "merging needs two different existing candidates")
        person = self.person_snapshot(merged_id)
        person["deleted_application_ids"] = []  # merged applications move instead of being deleted
        for table in (self.applications, self.attachments, self.notes):
            for row in table.values():
                if row["candidate_id"] == merged_id:
                    row["candidate_id"] = into_id
        survivor = self.candidates[into_id]
        tags = [*survivor["tags"], *self.candidates[merged_id]["tags"]]
        self._remove_candidate(merged_id)
        stamp = _later(_stamp(now), survivor["created_at"])
        self._set_tags(into_id, tags, stamp)
        survivor["updated_at"] = stamp
        survivor["last_activity_at"] = _later(stamp, survivor["last_activity_at"])
        self.touch()
        self.notify(StateChange("merge_candidate", merged_id, person=person, merged_into=into_id))
        return survivor

    def anonymize_candidate(self, candidate_id: int, fields: Sequence[str] = ("full_name",),
                            now: datetime | None = None) -> dict:
        """Blank out personal data as Greenhouse's GDPR tools do; `fields` use Greenhouse's names."""
        unknown = [name for name in fields if name not in ANONYMIZABLE]
        if unknown:
            raise InvalidChange("anonymized_fields", f"cannot anonymize {unknown[0]}")
        row = self.candidates[candidate_id]
        stamp = _later(_stamp(now), row["created_at"])
        for name in fields:
            for key in ANONYMIZABLE[name]:
                if key == "tags":
                    self._set_tags(candidate_id, (), stamp)
                elif key in ("first_name", "last_name"):
                    row[key] = "Anonymized" if key == "first_name" else "Candidate"
                else:
                    row[key] = [] if isinstance(row.get(key), list) else None
        row["updated_at"] = stamp
        self.touch()
        self.notify(StateChange("candidate_anonymized", candidate_id, anonymized_fields=tuple(fields)))
        return row

    def person_snapshot(self, candidate_id: int) -> dict[str, Any]:
        """What Greenhouse's delete/merge webhooks say about a person, taken while the rows still exist."""
        row = self.candidates[candidate_id]
        apps = sorted(a["id"] for a in self.applications.values() if a["candidate_id"] == candidate_id)
        latest = self.applications[apps[-1]] if apps else {}
        return {"id": candidate_id, "first_name": row["first_name"], "last_name": row["last_name"],
                "company": row["company"], "title": row["title"], "created_at": row["created_at"],
                "headline": None, "is_private": row["private"],
                "recruiter_user_id": latest.get("recruiter_id"),
                "coordinator_user_id": latest.get("coordinator_id"), "can_email": row["can_email"],
                "deleted_application_ids": apps}

    def _remove_candidate(self, candidate_id: int) -> None:
        del self.candidates[candidate_id]
        application_ids = {aid for aid, a in self.applications.items() if a["candidate_id"] == candidate_id}
        interview_ids = {iid for iid, i in self.interviews.items() if i["application_id"] in application_ids}
        _drop(self.applications, lambda r: r["id"] in application_ids)
        _drop(self.application_stages, lambda r: r["application_id"] in application_ids)
        for att_id in [k for k, r in self.attachments.items() if r["candidate_id"] == candidate_id]:
            self.attachment_files.pop(att_id, None)
        _drop(self.attachments, lambda r: r["candidate_id"] == candidate_id)
        _drop(self.applied_candidate_tags, lambda r: r["candidate_id"] == candidate_id)
        _drop(self.notes, lambda r: r["candidate_id"] == candidate_id)
        _drop(self.interviews, lambda r: r["id"] in interview_ids)
        _drop(self.interviewers, lambda r: r["interview_id"] in interview_ids)
        self.harvest_interview_ids -= interview_ids
        self.touch()

    def _set_tags(self, candidate_id: int, names: Iterable[str], stamp: str) -> None:
        wanted = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
        _drop(self.applied_candidate_tags, lambda r: r["candidate_id"] == candidate_id)
        by_name = {t["name"]: tid for tid, t in self.candidate_tags.items()}
        for name in wanted:
            tag_id = by_name.get(name)
            if tag_id is None:
                tag_id = self.new_id("candidate_tags")
                self.candidate_tags[tag_id] = {"id": tag_id, "name": name, "created_at": stamp,
                                               "updated_at": stamp}
            row_id = self.new_id("applied_candidate_tags")
            self.applied_candidate_tags[row_id] = {"id": row_id, "candidate_id": candidate_id,
                                                   "candidate_tag_id": tag_id, "created_at": stamp,
                                                   "updated_at": stamp}
        self.candidates[candidate_id]["tags"] = wanted

    # ----- applications -----------------------------------------------------------------------------
    def add_application(self, candidate_id: int, *, job_id: int | None = None, prospect: bool | None = None,
                        source_id: int | None = None, recruiter_id: int | None = None,
                        coordinator_id: int | None = None, referrer_id: int | None = None,
                        initial_stage_id: int | None = None, now: datetime | None = None) -> dict:
        """Apply a candidate to a job (first stage unless `initial_stage_id`), or add a jobless prospect."""
        if candidate_id not in self.candidates:
            raise InvalidChange("candidate_id", "does not exist")
        stamp = _stamp(now)
        stage = None
        if job_id is not None:
            if job_id not in self.jobs:
                raise InvalidChange("job_id", "does not exist")
            if self.jobs[job_id]["status"] != "open":
                raise InvalidChange("job_id", "is not open for applications")
            stage = self._job_stage(job_id, initial_stage_id)
            recruiter_id = recruiter_id or self._job_owner(job_id, "recruiter")
            coordinator_id = coordinator_id or self._job_owner(job_id, "coordinator")
        app_id = self.new_id("applications")
        row = blank_application(app_id, candidate_id, job_id, stamp)
        row.update({"prospect": job_id is None if prospect is None else bool(prospect), "source_id": source_id,
                    "recruiter_id": recruiter_id, "coordinator_id": coordinator_id, "referrer_id": referrer_id})
        self.applications[app_id] = row
        if stage is not None:
            self._enter_stage(row, stage, stamp)
        self._bump_activity(row, stamp)
        self.touch()
        action = "new_prospect_application" if row["prospect"] else "new_candidate_application"
        self.notify(StateChange(action, candidate_id, app_id))
        return row

    def set_application_status(self, application_id: int, status: str, now: datetime | None = None) -> dict:
        """in_process | rejected | hired. Leaving a terminal state re-enters the last stage (unreject)."""
        if status not in APPLICATION_STATUSES:
            raise InvalidChange("status", f"must be one of {', '.join(APPLICATION_STATUSES)}")
        row = self.applications[application_id]
        stamp = _later(_stamp(now), row["created_at"])
        if status == "hired" and row["job_id"] is None:
            raise InvalidChange("application_id", "a prospect without a job cannot be hired")
        if status == row["status"]:
            return row
        action = _STATUS_ACTIONS[(row["status"], status)]
        if status == "in_process":
            last = self._last_stage_row(application_id)
            if last is not None:
                self._enter_stage(row, self.job_interview_stages[last["job_interview_stage_id"]], stamp)
            row["rejected_at"] = None
            row["rejection_reason_id"] = None
        else:
            self._leave_stage(row, stamp)
            row["rejected_at"] = stamp if status == "rejected" else None
        row["status"] = status
        self._bump_activity(row, stamp)
        self.touch()
        self.notify(StateChange(action, row["candidate_id"], application_id))
        return row

    def move_application(self, application_id: int, stage_id: int, now: datetime | None = None) -> dict:
        """Move an active application to another stage of its job, recording the stage history."""
        row = self.applications[application_id]
        if row["status"] != "in_process" or row["job_id"] is None:
            raise InvalidChange("application_id", "only active applications on a job can change stage")
        stage = self.job_interview_stages.get(stage_id)
        if stage is None or stage["job_id"] != row["job_id"]:
            raise InvalidChange("to_stage_id", "is not a stage of this application's job")
        stamp = _later(_stamp(now), row["created_at"])
        self._leave_stage(row, stamp)
        self._enter_stage(row, stage, stamp)
        self._bump_activity(row, stamp)
        self.touch()
        self.notify(StateChange("candidate_stage_change", row["candidate_id"], application_id))
        return row

    def _job_stage(self, job_id: int, stage_id: int | None) -> dict:
        stages = sorted((s for s in self.job_interview_stages.values() if s["job_id"] == job_id),
                        key=lambda s: s["sort_order"])
        if stage_id is None:
            if not stages:
                raise InvalidChange("job_id", "has no interview plan")
            return stages[0]
        for stage in stages:
            if stage["id"] == stage_id:
                return stage
        raise InvalidChange("initial_stage_id", "is not a stage of this job")

    def _job_owner(self, job_id: int, kind: str) -> int | None:
        for owner in self.job_owners.values():
            if owner["job_id"] == job_id and owner["type"] == kind and owner["responsible"]:
                return int(owner["user_id"])
        return None

    def last_stage(self, application_id: int) -> dict | None:
        """The stage an application is in, or where it stopped (rejected and hired ones have no stage_id)."""
        row = self._last_stage_row(application_id)
        return self.job_interview_stages.get(row["job_interview_stage_id"]) if row else None

    def _last_stage_row(self, application_id: int) -> dict | None:
        rows = [r for r in self.application_stages.values() if r["application_id"] == application_id]
        return max(rows, key=lambda r: r["id"]) if rows else None

    def _enter_stage(self, app: dict, stage: dict, stamp: str) -> None:
        row_id = self.new_id("application_stages")
        self.application_stages[row_id] = stage_row(row_id, app["id"], stage["id"], stamp, None)
        app.update({"stage_id": stage["id"], "job_interview_stage_id": stage["id"], "stage_name": stage["name"]})

    def _leave_stage(self, app: dict, stamp: str) -> None:
        for row in self.application_stages.values():
            if row["application_id"] == app["id"] and row["current"]:
                row.update({"current": False, "exited_at": stamp, "updated_at": stamp})
        app.update({"stage_id": None, "job_interview_stage_id": None, "stage_name": None})

    def _bump_activity(self, app: dict, stamp: str) -> None:
        app["updated_at"] = app["last_activity_at"] = _later(stamp, app["updated_at"])
        candidate = self.candidates.get(app["candidate_id"])
        if candidate is not None:
            candidate["last_activity_at"] = _later(stamp, candidate["last_activity_at"])

    # ----- attachments, notes, interviews ------------------------------------------------------------
    def add_attachment(self, candidate_id: int, application_id: int | None, *, filename: str, kind: str,
                       content: bytes | None = None, content_type: str | None = None,
                       now: datetime | None = None) -> dict:
        """File an attachment; with `content`, its link serves those bytes instead of a generated file."""
        stamp = _stamp(now)
        att_id = self.new_id("attachments")
        row = attachment_row(att_id, candidate_id, application_id, filename, kind, stamp)
        self.attachments[att_id] = row
        if content is not None:
            self.attachment_files[att_id] = (content, content_type or "application/octet-stream")
        self.touch()
        return row

    def add_note(self, candidate_id: int, body: str, *, user_id: int | None = None,
                 application_id: int | None = None, visibility: str = "admin_only_visible",
                 note_type: str = "NOTE", subject: str | None = None, email_to: str | None = None,
                 email_from: str | None = None, email_cc: Sequence[str] | None = None,
                 now: datetime | None = None) -> dict:
        """Log a note (or EMAIL/ACTIVITY entry) on a candidate's activity feed."""
        if candidate_id not in self.candidates:
            raise InvalidChange("candidate_id", "does not exist")
        if visibility not in NOTE_VISIBILITIES:
            raise InvalidChange("visibility", f"must be one of {', '.join(NOTE_VISIBILITIES)}")
        if note_type not in NOTE_TYPES:
            raise InvalidChange("type", f"must be one of {', '.join(NOTE_TYPES)}")
        stamp = _stamp(now)
        note_id = self.new_id("notes")
        row = {"id": note_id, "candidate_id": candidate_id, "application_id": application_id,
               "user_id": user_id, "type": note_type, "body": body, "subject": subject,
               "email_to": email_to, "email_from": email_from, "email_cc": list(email_cc or []),
               "visibility": visibility, "created_at": stamp, "updated_at": stamp}
        self.notes[note_id] = row
        app = self.applications.get(application_id) if application_id is not None else None
        if app is not None:
            self._bump_activity(app, stamp)
        else:
            candidate = self.candidates[candidate_id]
            candidate["last_activity_at"] = _later(stamp, candidate["last_activity_at"])
        self.touch()
        return row

    def schedule_interview(self, application_id: int, job_interview_id: int, *, starts_at: str, ends_at: str,
                           interviewers: Sequence[Mapping[str, Any]], organizer_id: int | None,
                           external_event_id: str | None = None, location: str | None = None,
                           video_conferencing_url: str | None = None, status: str = "scheduled",
                           via_harvest: bool = True, now: datetime | None = None) -> dict:
        """Book an interview step for an application; `interviewers` items carry user_id or email."""
        app = self.applications[application_id]
        step = self.job_interviews[job_interview_id]
        stamp = _stamp(now)
        interview_id = self.new_id("interviews")
        row = {"id": interview_id, "application_id": application_id, "job_id": app["job_id"],
               "job_interview_id": step["id"], "organizer_id": organizer_id, "starts_at": starts_at,
               "ends_at": ends_at, "all_day_start_on": None, "all_day_end_on": None, "location": location,
               "external_event_id": external_event_id, "video_conferencing_url": video_conferencing_url,
               "status": status, "scheduled_at": stamp, "created_at": stamp, "updated_at": stamp}
        self.interviews[interview_id] = row
        self._set_interviewers(interview_id, interviewers, stamp)
        if via_harvest:
            self.harvest_interview_ids.add(interview_id)
        self._bump_activity(app, stamp)
        self.touch()
        return row

    def update_interview(self, interview_id: int, now: datetime | None = None, *,
                         interviewers: Sequence[Mapping[str, Any]] | None = None, **fields: Any) -> dict:
        """Change an interview's time, place or panel; `interviewers` replaces the whole panel."""
        row = self.interviews[interview_id]
        unknown = set(fields) - INTERVIEW_EDITABLE
        if unknown:
            raise InvalidChange(sorted(unknown)[0], "is not an interview field")
        stamp = _later(_stamp(now), row["created_at"])
        row.update(fields)
        if interviewers is not None:
            self._set_interviewers(interview_id, interviewers, stamp)
        row["updated_at"] = stamp
        self.touch()
        return row

    def delete_interview(self, interview_id: int) -> None:
        interview = self.interviews.pop(interview_id)
        _drop(self.interviewers, lambda r: r["interview_id"] == interview_id)
        self.harvest_interview_ids.discard(interview_id)
        self.touch()
        app = self.applications.get(interview["application_id"])
        self.notify(StateChange("interview_deleted", app["candidate_id"] if app else None,
                                interview["application_id"], interview_id=interview_id))

    def _set_interviewers(self, interview_id: int, people: Sequence[Mapping[str, Any]], stamp: str) -> None:
        _drop(self.interviewers, lambda r: r["interview_id"] == interview_id)
        for person in people:
            user_id = person.get("user_id")
            user = self.users.get(int(user_id)) if user_id is not None else None
            row_id = self.new_id("interviewers")
            self.interviewers[row_id] = {
                "id": row_id, "interview_id": interview_id, "user_id": user["id"] if user else None,
                "email": user["primary_email"] if user else person.get("email"),
                "response_status": person.get("response_status") or "needs_action",
                "scorecard_id": self.new_id("scorecards") if user else None,
                "created_at": stamp, "updated_at": stamp}


# (from, to) application status -> the webhook Greenhouse sends for that change.
_STATUS_ACTIONS = {
    ("in_process", "rejected"): "reject_candidate", ("in_process", "hired"): "hire_candidate",
    ("rejected", "in_process"): "unreject_candidate", ("hired", "in_process"): "unhire_candidate",
    ("rejected", "hired"): "hire_candidate", ("hired", "rejected"): "reject_candidate",
}


def _stamp(now: datetime | None) -> str:
    return iso_from(now) if now is not None else iso(time.time())


def _later(a: str | None, b: str | None) -> str:
    """The later of two of our timestamps (same format, so string order is time order)."""
    return max(x for x in (a, b) if x is not None)


def _drop(rows: dict[int, dict], doomed: Any) -> None:
    for key in [k for k, r in rows.items() if doomed(r)]:
        del rows[key]


def blank_candidate(candidate_id: int, stamp: str) -> dict:
    return {"id": candidate_id, "first_name": None, "last_name": None, "preferred_name": None,
            "company": None, "title": None, "created_at": stamp, "updated_at": stamp,
            "last_activity_at": stamp, "private": False, "can_email": True, "time_zone": None,
            "email_addresses": [], "phone_numbers": [], "addresses": [], "website_addresses": [],
            "social_media_addresses": [], "tags": [], "linked_user_ids": [], "custom_fields": {}}


def blank_application(app_id: int, candidate_id: int, job_id: int | None, stamp: str) -> dict:
    return {"id": app_id, "candidate_id": candidate_id, "job_id": job_id, "prospect": job_id is None,
            "prospective_job_ids": [], "status": "in_process", "stage_id": None,
            "job_interview_stage_id": None, "stage_name": None, "recruiter_id": None, "coordinator_id": None,
            "source_id": None, "referrer_id": None, "rejection_reason_id": None, "rejected_at": None,
            "created_at": stamp, "updated_at": stamp, "last_activity_at": stamp}


def stage_row(row_id: int, app_id: int, stage_id: int, entered: str, exited: str | None) -> dict:
    return {"id": row_id, "application_id": app_id, "job_interview_stage_id": stage_id, "entered_at": entered,
            "exited_at": exited, "current": exited is None, "created_at": entered,
            "updated_at": exited or entered}


def attachment_row(att_id: int, candidate_id: int, app_id: int | None, filename: str, kind: str,
                    stamp: str) -> dict:
    return {"id": att_id, "candidate_id": candidate_id, "application_id": app_id, "filename": filename,
            "url": f"/files/{att_id}/{filename}", "type": kind, "created_at": stamp, "updated_at": stamp}
