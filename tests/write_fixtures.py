"""The provider table behind the write contract suite: what each fake holds after a write, where its write
routes live (so faults can be aimed at them) and how its answer to a write is lost, so the cases in
test_write_contract.py stay the same for every provider.

A provider joins the suite with one `Writer` entry in `WRITERS`; it reuses the provider's entry in
tests/provider_fixtures.py (the read table) to run its fake and build its adapter. Everything here reads
the fake's state, never the adapter, so a write is checked where the ATS keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters import breezyhr
from adapters.recruitee import note_text as recruitee_note_text
from adapters.sandbox import breezyhr as breezy_fake
from adapters.sandbox import breezyhr_dataset
from adapters.sandbox import freshteam as freshteam_fake
from adapters.sandbox import greenhouse as greenhouse_fake
from adapters.sandbox import lever as lever_fake
from adapters.sandbox import recruitee as recruitee_fake
from adapters.sandbox import teamtailor as teamtailor_fake
from adapters.sandbox import workable as workable_fake
from adapters.sandbox import zoho as zoho_fake
from tests.provider_fixtures import (
    BREEZY_POSITION,
    BREEZYHR,
    FRESHTEAM,
    GREENHOUSE,
    LEVER,
    RECRUITEE,
    TEAMTAILOR,
    WORKABLE,
    ZOHO,
    Provider,
)


@dataclass(frozen=True)
class Subject:
    """Whom the writes are about, in the adapter's remote ids: the outbox hands the same ids over."""

    candidate: str
    application: str
    actor: str  # the ATS user the writes are made as
    interviewer: str  # an ATS user to put on an interview panel


@dataclass(frozen=True)
class StoredPerson:
    """A candidate as the fake keeps it, in plain values."""

    emails: tuple[str, ...]
    links: tuple[str, ...]
    tags: tuple[str, ...]
    resumes: tuple[bytes, ...]  # the bytes of each resume filed with the candidate


@dataclass(frozen=True)
class Writer:
    """One row of the write table: everything the write cases need to know about a provider's fake."""

    provider: Provider  # the read table's entry: runs the fake, builds the adapter
    subject: Callable[[Any], Subject]  # a candidate with an application in a stage that can be scheduled
    note_path: Callable[[Subject], str]  # where notes are written, under the API root
    interview_path: Callable[[Subject], str]  # where interviews (or panels) are created
    interview_item_path: Callable[[Subject, str], str]  # one interview, by the remote id the adapter gave
    candidate_path: str  # where candidates are created
    # Requests to a write's own path that the adapter sends before the write itself (a lookup on the same
    # route), by write kind: a fault aimed at the write lets these through first.
    lookups_before: dict[str, int]
    notes_with: Callable[[Any, Subject, str], list[str]]  # bodies of the candidate's notes holding a marker
    interview_start: Callable[[Any, str], datetime | None]  # an interview's start, None once it is gone
    interviews_for: Callable[[Any, Subject, str], int]  # interviews of the candidate for an external id
    person: Callable[[Any, str], StoredPerson]  # the candidate made under a remote id
    people_with_email: Callable[[Any, str], int]  # candidates the fake has with this email address
    lose_answer: Callable[[Any, str], None]  # the next write to a path lands, its answer is held
    unsupported: frozenset[str]  # write and lookup methods the adapter answers with NotSupported

    @property
    def name(self) -> str:
        return self.provider.name


# --- Greenhouse (Harvest v3) ----------------------------------------------------------------------------


def _greenhouse_subject(sandbox: greenhouse_fake.GreenhouseSandbox) -> Subject:
    state = sandbox.state
    admins = [uid for uid, user in state.users.items()
              if user["site_admin"] and user["primary_email"] and not user["deactivated"]]
    for app in state.applications.values():
        if app["status"] != "in_process" or not app["stage_id"]:
            continue
        steps = [s for s in state.job_interviews.values() if s["job_interview_stage_id"] == app["stage_id"]]
        if any(step["schedulable"] for step in steps):
            return Subject(str(app["candidate_id"]), str(app["id"]), str(admins[0]), str(admins[1]))
    raise AssertionError("the Greenhouse roster has no application in a stage that can be scheduled")


def _greenhouse_notes(sandbox: greenhouse_fake.GreenhouseSandbox, subject: Subject, marker: str) -> list[str]:
    return [str(note["body"]) for note in sandbox.state.notes.values()
            if str(note["candidate_id"]) == subject.candidate and marker in str(note["body"] or "")]


def _greenhouse_interview_start(sandbox: greenhouse_fake.GreenhouseSandbox, remote_id: str) -> datetime | None:
    row = sandbox.state.interviews.get(int(remote_id))
    return datetime.fromisoformat(row["starts_at"]) if row else None


def _greenhouse_interviews_for(sandbox: greenhouse_fake.GreenhouseSandbox, subject: Subject,
                               external_id: str) -> int:
    return sum(1 for row in sandbox.state.interviews.values()
               if str(row["application_id"]) == subject.application and row["external_event_id"] == external_id)


def _greenhouse_person(sandbox: greenhouse_fake.GreenhouseSandbox, remote_id: str) -> StoredPerson:
    state = sandbox.state
    row = state.candidates[int(remote_id)]
    links = [*(row.get("social_media_addresses") or ()), *(row.get("website_addresses") or ())]
    resumes = [state.attachment_files[item["id"]][0] for item in state.attachments.values()
               if item["candidate_id"] == row["id"] and item["type"] == "resume" and item["id"] in
               state.attachment_files]
    return StoredPerson(emails=tuple(e["value"] for e in row.get("email_addresses") or ()),
                        links=tuple(link["value"] for link in links), tags=tuple(row.get("tags") or ()),
                        resumes=tuple(resumes))


def _greenhouse_people_with_email(sandbox: greenhouse_fake.GreenhouseSandbox, email: str) -> int:
    return sum(1 for row in sandbox.state.candidates.values()
               if email in [e["value"] for e in row.get("email_addresses") or ()])


def _greenhouse_lose_answer(sandbox: greenhouse_fake.GreenhouseSandbox, path: str) -> None:
    # Greenhouse's fake holds the request before handling it; once the hold ends it is applied, answered late.
    sandbox.chaos.delay_next(60, path=path)


GREENHOUSE_WRITES = Writer(
    provider=GREENHOUSE, subject=_greenhouse_subject,
    note_path=lambda subject: "/v3/notes", interview_path=lambda subject: "/v3/interviews",
    interview_item_path=lambda subject, remote_id: f"/v3/interviews/{remote_id}",
    candidate_path="/v3/candidates", lookups_before={},
    notes_with=_greenhouse_notes, interview_start=_greenhouse_interview_start,
    interviews_for=_greenhouse_interviews_for, person=_greenhouse_person,
    people_with_email=_greenhouse_people_with_email, lose_answer=_greenhouse_lose_answer,
    unsupported=frozenset({"delete_note"}),
)


# --- Lever (Data API v1) --------------------------------------------------------------------------------


def _lever_subject(sandbox: lever_fake.LeverSandbox) -> Subject:
    state = sandbox.state
    users = state.active_user_ids()
    opp = next(o for o in state.opportunities.values()
               if o.application is not None and not o.confidential and o.archived_reason is None)
    assert opp.application is not None
    return Subject(opp.id, opp.application.id, users[0], users[3])


def _lever_item(remote_id: str) -> tuple[str, str]:
    opportunity_id, _, item_id = remote_id.partition(":")  # "opportunityId:itemId", as the adapter says
    return opportunity_id, item_id


def _lever_notes(sandbox: lever_fake.LeverSandbox, subject: Subject, marker: str) -> list[str]:
    texts = (str(item.get("value") or "") for note in sandbox.state.notes.get(subject.candidate, {}).values()
             for item in note.get("fields") or ())
    return [text for text in texts if marker in text]


def _lever_interview_start(sandbox: lever_fake.LeverSandbox, remote_id: str) -> datetime | None:
    opportunity_id, panel_id = _lever_item(remote_id)
    panel = sandbox.state.panels.get(opportunity_id, {}).get(panel_id)
    return datetime.fromtimestamp(panel["start"] / 1000, UTC) if panel else None


def _lever_interviews_for(sandbox: lever_fake.LeverSandbox, subject: Subject, external_id: str) -> int:
    # hirebot marks a panel with a "[hirebot:<id>]" line in its note (or the id itself when it is a URL).
    return sum(1 for panel in sandbox.state.panels.get(subject.candidate, {}).values()
               if f"[hirebot:{external_id}]" in str(panel.get("note") or "") or panel.get("externalUrl") == external_id)


def _lever_person(sandbox: lever_fake.LeverSandbox, remote_id: str) -> StoredPerson:
    opp = sandbox.state.opportunities[remote_id]
    contact = sandbox.state.contact_of(opp)
    return StoredPerson(emails=tuple(contact.emails), links=tuple(contact.links), tags=tuple(opp.tags),
                        resumes=tuple(resume.content for resume in opp.resumes if resume.content is not None))


def _lever_people_with_email(sandbox: lever_fake.LeverSandbox, email: str) -> int:
    state = sandbox.state
    return sum(1 for opp in state.opportunities.values() if email in state.contact_of(opp).emails)


def _lever_lose_answer(sandbox: lever_fake.LeverSandbox, path: str) -> None:
    sandbox.chaos.answer_late_next(60, path=path)  # carried out at once, answered only after the hold


LEVER_WRITES = Writer(
    provider=LEVER, subject=_lever_subject,
    note_path=lambda subject: f"/opportunities/{subject.candidate}/notes",
    interview_path=lambda subject: f"/opportunities/{subject.candidate}/panels",
    interview_item_path=lambda subject, remote_id: "/opportunities/{}/panels/{}".format(*_lever_item(remote_id)),
    candidate_path="/opportunities", lookups_before={"candidate": 1},  # the contact is looked up by email first
    notes_with=_lever_notes, interview_start=_lever_interview_start, interviews_for=_lever_interviews_for,
    person=_lever_person, people_with_email=_lever_people_with_email, lose_answer=_lever_lose_answer,
    unsupported=frozenset(),
)



# --- Teamtailor (JSON:API v1) ---------------------------------------------------------------------------


def _teamtailor_subject(sandbox: teamtailor_fake.TeamtailorSandbox) -> Subject:
    state = sandbox.state
    users = [uid for uid, user in state.users.items() if user["role"] != "no_access"]
    app = next(a for a in state.applications.values() if a["rejected_at"] is None)
    return Subject(app["candidate_id"], app["id"], users[0], users[2])


def _teamtailor_notes(sandbox: teamtailor_fake.TeamtailorSandbox, subject: Subject, marker: str) -> list[str]:
    return [note["note"] for note in sandbox.state.notes.values()
            if note["candidate_id"] == subject.candidate and marker in note["note"]]


def _teamtailor_person(sandbox: teamtailor_fake.TeamtailorSandbox, remote_id: str) -> StoredPerson:
    row = sandbox.state.candidates[remote_id]
    uploads = [u["content"] for u in sandbox.state.uploads.values() if u["candidate_id"] == remote_id]
    return StoredPerson(emails=(row["email"],) if row["email"] else (),
                        links=(row["linkedin_url"],) if row["linkedin_url"] else (), tags=tuple(row["tags"]),
                        resumes=tuple(uploads))


def _teamtailor_people_with_email(sandbox: teamtailor_fake.TeamtailorSandbox, email: str) -> int:
    return len(sandbox.state.candidates_with_email(email))


def _teamtailor_lose_answer(sandbox: teamtailor_fake.TeamtailorSandbox, path: str) -> None:
    sandbox.chaos.answer_late_next(60, path=path)  # carried out at once, answered only after the hold


def _no_interviews(*_: Any) -> Any:
    raise AssertionError("Teamtailor's API has no interviews: those cases are skipped")


TEAMTAILOR_WRITES = Writer(
    provider=TEAMTAILOR, subject=_teamtailor_subject,
    note_path=lambda subject: "/notes", interview_path=_no_interviews, interview_item_path=_no_interviews,
    candidate_path="/candidates", lookups_before={},
    notes_with=_teamtailor_notes, interview_start=_no_interviews, interviews_for=_no_interviews,
    person=_teamtailor_person, people_with_email=_teamtailor_people_with_email,
    lose_answer=_teamtailor_lose_answer,
    # The public API documents creating and listing notes, not deleting them.
    unsupported=frozenset({"delete_note"}),
)

# --- Workable (SPI v3) ----------------------------------------------------------------------------------


def _workable_subject(sandbox: workable_fake.WorkableSandbox) -> Subject:
    state = sandbox.state
    members = state.active_member_ids()
    record = next(c for c in state.candidates.values() if c["job"] and not c["disqualified"]
                  and c["stage_kind"] != "hired")
    return Subject(record["id"], record["id"], members[0], members[2])


def _workable_notes(sandbox: workable_fake.WorkableSandbox, subject: Subject, marker: str) -> list[str]:
    return [str(item["body"]) for item in sandbox.state.activities.get(subject.candidate, [])
            if item["action"] == "comment" and marker in str(item["body"] or "")]


def _workable_person(sandbox: workable_fake.WorkableSandbox, remote_id: str) -> StoredPerson:
    record = sandbox.state.candidates[remote_id]
    resume = sandbox.state.resumes.get(remote_id)
    return StoredPerson(emails=(record["email"],) if record["email"] else (),
                        links=tuple(p["url"] for p in record["social_profiles"]), tags=tuple(record["tags"]),
                        resumes=(resume[1],) if resume else ())


def _workable_people_with_email(sandbox: workable_fake.WorkableSandbox, email: str) -> int:
    return sum(1 for record in sandbox.state.candidates.values() if record["email"] == email)


def _workable_lose_answer(sandbox: workable_fake.WorkableSandbox, path: str) -> None:
    sandbox.chaos.answer_late_next(60, path=path)  # carried out at once, answered only after the hold


def _no_interviews(*args: object) -> None:
    raise AssertionError("Workable has no interview API: the interview cases skip it")


WORKABLE_WRITES = Writer(
    provider=WORKABLE, subject=_workable_subject,
    note_path=lambda subject: f"/candidates/{subject.candidate}/comments",
    interview_path=lambda subject: "/events", interview_item_path=lambda subject, remote_id: f"/events/{remote_id}",
    candidate_path="/talent_pool/candidates", lookups_before={},  # the contract adds people without a job
    notes_with=_workable_notes, interview_start=lambda sandbox, remote_id: _no_interviews(),
    interviews_for=lambda sandbox, subject, external_id: 0, person=_workable_person,
    people_with_email=_workable_people_with_email, lose_answer=_workable_lose_answer,
    unsupported=frozenset({"delete_note"}),  # Workable's API has no way to delete a comment
)


# --- Freshteam (read-only: every write answers NotSupported) ---------------------------------------------


def _freshteam_subject(sandbox: freshteam_fake.FreshteamSandbox) -> Subject:
    state = sandbox.state
    staff = [str(eid) for eid, employee in state.employees.items() if employee["status"] == "active"]
    applicant = next(a for a in state.applicants.values() if a.stage not in ("Hired", "Rejected"))
    return Subject(str(applicant.candidate_id), str(applicant.id), staff[0], staff[1])


def _freshteam_nothing(*args: Any) -> Any:
    raise AssertionError("hirebot writes nothing to Freshteam, so nothing is written there to look at")


FRESHTEAM_WRITES = Writer(
    provider=FRESHTEAM, subject=_freshteam_subject,
    note_path=_freshteam_nothing, interview_path=_freshteam_nothing, interview_item_path=_freshteam_nothing,
    candidate_path="/job_postings/{id}/applicants", lookups_before={},
    notes_with=_freshteam_nothing, interview_start=_freshteam_nothing, interviews_for=_freshteam_nothing,
    person=_freshteam_nothing, people_with_email=_freshteam_nothing, lose_answer=_freshteam_nothing,
    # Freshworks is closing Freshteam, so hirebot only reads it (its API has no notes or interviews either).
    unsupported=frozenset({"create_note", "find_note", "delete_note", "create_interview", "update_interview",
                           "delete_interview", "find_interview_by_external_id", "create_candidate",
                           "find_candidate_by_email"}),
)


# --- Recruitee (company API) ----------------------------------------------------------------------------


def _recruitee_subject(sandbox: recruitee_fake.RecruiteeSandbox) -> Subject:
    state = sandbox.state
    admins = list(state.admins)
    for row in state.candidates.values():
        for placement in row["placements"]:
            offer = state.offers[placement["offer_id"]]
            if offer["kind"] == "job" and placement["hired_at"] is None and placement["disqualified_at"] is None:
                return Subject(str(row["id"]), str(placement["id"]), str(admins[0]), str(admins[1]))
    raise AssertionError("the Recruitee roster has no active placement on a job")


def _recruitee_notes(sandbox: recruitee_fake.RecruiteeSandbox, subject: Subject, marker: str) -> list[str]:
    # Recruitee keeps notes as HTML; read them back as the text they carry.
    texts = (recruitee_note_text(str(note["body"])) for note in sandbox.state.notes.get(int(subject.candidate), []))
    return [text for text in texts if marker in text]


def _recruitee_person(sandbox: recruitee_fake.RecruiteeSandbox, remote_id: str) -> StoredPerson:
    state = sandbox.state
    row = state.candidates[int(remote_id)]
    cv = state.cvs.get(int(remote_id))
    return StoredPerson(emails=tuple(row["emails"]), links=(*row["social_links"], *row["links"]),
                        tags=tuple(row["tags"]), resumes=(cv[1],) if cv else ())


def _recruitee_people_with_email(sandbox: recruitee_fake.RecruiteeSandbox, email: str) -> int:
    return sum(1 for row in sandbox.state.candidates.values() if email in row["emails"])


def _recruitee_lose_answer(sandbox: recruitee_fake.RecruiteeSandbox, path: str) -> None:
    sandbox.chaos.answer_late_next(60, path=path)  # carried out at once, answered only after the hold


def _no_interviews(*_: Any) -> Any:
    raise AssertionError("Recruitee writes no interviews: its interview cases are skipped")


RECRUITEE_WRITES = Writer(
    provider=RECRUITEE, subject=_recruitee_subject,
    note_path=lambda subject: f"/candidates/{subject.candidate}/notes",
    interview_path=_no_interviews, interview_item_path=_no_interviews,
    candidate_path="/candidates", lookups_before={},
    notes_with=_recruitee_notes, interview_start=_no_interviews, interviews_for=_no_interviews,
    person=_recruitee_person, people_with_email=_recruitee_people_with_email, lose_answer=_recruitee_lose_answer,
    # The reference documents only the create call of interview events (fields unconfirmed), nothing to move,
    # cancel or find one; the adapter lacks the capability, and bookings are logged as notes.
    unsupported=frozenset({"delete_note"}),
)


# --- Zoho Recruit (REST v2) ------------------------------------------------------------------------------


def _zoho_subject(sandbox: zoho_fake.ZohoSandbox) -> Subject:
    state = sandbox.state
    users = [uid for uid, user in state.users.items() if user["status"] == "active"]
    for row in state.listing():
        for job_id, link in (state.associations.get(row["id"]) or {}).items():
            if link["Candidate_Status"] not in ("Hired", "Rejected"):
                return Subject(row["id"], f"{row['id']}:{job_id}", users[0], users[3])
    raise AssertionError("the Zoho roster has no candidate in an active job association")


def _zoho_notes(sandbox: zoho_fake.ZohoSandbox, subject: Subject, marker: str) -> list[str]:
    return [str(note["Note_Content"]) for note in sandbox.state.notes.values()
            if note["Parent_Id"]["id"] == subject.candidate and marker in str(note["Note_Content"])]


def _zoho_interview_start(sandbox: zoho_fake.ZohoSandbox, remote_id: str) -> datetime | None:
    row = sandbox.state.interviews.get(remote_id)
    if row is None or row["Interview_Status"] == "Cancelled":  # cancelling is how hirebot removes one
        return None
    return datetime.fromisoformat(row["Start_DateTime"])


def _zoho_interviews_for(sandbox: zoho_fake.ZohoSandbox, subject: Subject, external_id: str) -> int:
    return sum(1 for row in sandbox.state.interviews.values()
               if row["Candidate_Name"]["id"] == subject.candidate and row["Interview_Status"] != "Cancelled"
               and f"[hirebot:{external_id}]" in str(row.get("Comments") or ""))


def _zoho_person(sandbox: zoho_fake.ZohoSandbox, remote_id: str) -> StoredPerson:
    state = sandbox.state
    row = state.candidates[remote_id]
    tags = [row.get("Source"), *(tag.get("name") for tag in row.get("Associated_Tags") or ())]
    resumes = [state.files[aid] for aid, item in state.attachments.items()
               if item["Parent_Id"]["id"] == remote_id and item["Category"] == "Resume"]
    return StoredPerson(emails=tuple(e for e in (row.get("Email"), row.get("Secondary_Email")) if e),
                        links=tuple(link for link in (row.get("LinkedIn__s"), row.get("Website")) if link),
                        tags=tuple(tag for tag in tags if tag), resumes=tuple(resumes))


def _zoho_people_with_email(sandbox: zoho_fake.ZohoSandbox, email: str) -> int:
    return sum(1 for row in sandbox.state.candidates.values() if str(row.get("Email") or "").lower() == email.lower())


ZOHO_WRITES = Writer(
    provider=ZOHO, subject=_zoho_subject,
    note_path=lambda subject: "/Notes", interview_path=lambda subject: "/Interviews",
    interview_item_path=lambda subject, remote_id: f"/Interviews/{remote_id}/action/cancel",
    candidate_path="/Candidates", lookups_before={},
    notes_with=_zoho_notes, interview_start=_zoho_interview_start, interviews_for=_zoho_interviews_for,
    person=_zoho_person, people_with_email=_zoho_people_with_email,
    lose_answer=lambda sandbox, path: sandbox.chaos.answer_late_next(60, path=path),
    unsupported=frozenset({"delete_note"}),  # the reference documents no way to delete a note
)


# --- BreezyHR (API v3) ----------------------------------------------------------------------------------


def _breezy_subject(sandbox: breezy_fake.BreezySandbox) -> Subject:
    state = sandbox.state
    row = next(r for r in state.on_position(BREEZY_POSITION) if r["stage"]["id"] not in ("hired", "disqualified"))
    return Subject(row["_id"], breezyhr.application_id(BREEZY_POSITION, row["_id"]), state.owner["_id"],
                   state.users[1]["_id"])


def _breezy_notes(sandbox: breezy_fake.BreezySandbox, subject: Subject, marker: str) -> list[str]:
    items = sandbox.state.streams.get(subject.candidate, [])
    return [str(item["object"]["body"]) for item in items
            if item["type"] == "companyNotePosted" and marker in str(item["object"].get("body") or "")]


def _breezy_person(sandbox: breezy_fake.BreezySandbox, remote_id: str) -> StoredPerson:
    row = sandbox.state.candidates[remote_id]
    resume = sandbox.state.resumes.get(remote_id)
    return StoredPerson(emails=tuple([row["email_address"]] if row.get("email_address") else []),
                        links=tuple((row.get("social_profiles") or {}).values()), tags=tuple(row.get("tags") or ()),
                        resumes=(resume[1],) if resume else ())


def _breezy_lose_answer(sandbox: breezy_fake.BreezySandbox, path: str) -> None:
    sandbox.chaos.answer_late_next(60, path=path)  # carried out at once, answered only after the hold


BREEZYHR_WRITES = Writer(
    provider=BREEZYHR, subject=_breezy_subject,
    note_path=lambda subject: f"/company/{breezyhr_dataset.COMPANY_ID}/position/{BREEZY_POSITION}/candidate/"
                              f"{subject.candidate}/stream",
    # BreezyHR documents no interview API: the interview cases are skipped by capability.
    interview_path=lambda subject: "/no-interview-api",
    interview_item_path=lambda subject, remote_id: "/no-interview-api",
    candidate_path=f"/company/{breezyhr_dataset.COMPANY_ID}/position/{breezyhr_dataset.POOL_ID}/candidates",
    lookups_before={}, notes_with=_breezy_notes, interview_start=lambda sandbox, remote_id: None,
    interviews_for=lambda sandbox, subject, external_id: 0, person=_breezy_person,
    people_with_email=lambda sandbox, email: len(sandbox.state.with_email(email)),
    lose_answer=_breezy_lose_answer,
    unsupported=frozenset({"delete_note"}),  # BreezyHR documents no way to delete a team note
)


WRITERS: dict[str, Writer] = {writer.name: writer for writer in (
    GREENHOUSE_WRITES,
    LEVER_WRITES,
    TEAMTAILOR_WRITES,
    WORKABLE_WRITES,
    FRESHTEAM_WRITES,
    RECRUITEE_WRITES,
    ZOHO_WRITES,
    BREEZYHR_WRITES,
)}
