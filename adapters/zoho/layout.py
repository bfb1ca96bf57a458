"""An org's module and field API names, read from Recruit's settings endpoints.

Zoho lets each org rename modules and fields, so the names hirebot reads and writes are looked up once per
adapter: `GET /settings/modules` for the Candidates, Job Openings and Interviews modules, and `GET
/settings/fields?module=...` for their fields (a renamed status field, the org's LinkedIn field). A server
without the settings endpoints (404) leaves the standard names of the reference; a token without the
settings scope is told which scope to add. A field hirebot cannot do without (the candidate's last name,
its status) that the org does not have gives one clear reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.errors import ConfigError
from adapters.zoho.errors import ZohoRejected
from adapters.zoho.values import as_mapping, as_rows, as_text

STANDARD_MODULES = {"candidates": "Candidates", "jobs": "Job_Openings", "interviews": "Interviews"}
MODULE_WORDS = {"candidates": ("candidate",), "jobs": ("job opening", "jobopening", "job_opening", "job"),
                "interviews": ("interview",)}

# role -> api names to try, first found wins (then labels, then the field type for LinkedIn and lookups).
CANDIDATE_FIELDS: dict[str, tuple[str, ...]] = {
    "first_name": ("First_Name",), "last_name": ("Last_Name",), "email": ("Email",),
    "secondary_email": ("Secondary_Email",), "phone": ("Phone",), "mobile": ("Mobile",),
    "status": ("Candidate_Status",), "source": ("Source",), "employer": ("Current_Employer",),
    "title": ("Current_Job_Title",), "linkedin": ("LinkedIn__s", "LinkedIn", "Linkedin", "LinkedIn_URL"),
    "website": ("Website",), "skills": ("Skill_Set",), "owner": ("Candidate_Owner",),
    "tags": ("Associated_Tags",), "created": ("Created_Time",), "modified": ("Modified_Time", "Updated_On"),
}
CANDIDATE_LABELS: dict[str, tuple[str, ...]] = {
    "status": ("candidate status", "status"), "linkedin": ("linkedin",), "source": ("source",),
    "email": ("email",), "last_name": ("last name",), "first_name": ("first name",),
}
REQUIRED_CANDIDATE_FIELDS = {"last_name": "Last Name", "status": "Candidate Status"}
INTERVIEW_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("Interview_Name",), "candidate": ("Candidate_Name", "Candidate"), "job": ("Posting_Title", "Job_Opening"),
    "start": ("Start_DateTime", "From"), "end": ("End_DateTime", "To"), "interviewers": ("Interviewer", "Interviewers"),
    "location": ("Venue", "Location"), "comments": ("Comments", "Description", "Interview_Notes"),
    "status": ("Interview_Status",), "owner": ("Interview_Owner",),
}
DEFAULT_STATUSES = (
    "New", "Waiting-for-Evaluation", "Qualified", "Unqualified", "Contacted", "Associated", "Submitted-to-client",
    "Interview-to-be-Scheduled", "Interview-Scheduled", "Interview-in-Progress", "On-Hold", "To-be-Offered",
    "Offer-Made", "Offer-Accepted", "Offer-Declined", "Hired", "Joined", "Rejected", "Rejected-for-Interview",
    "Rejected-Hirable",
)


@dataclass(frozen=True)
class ModuleFields:
    """One module's API name and the API names of the fields hirebot uses (role -> api name)."""

    module: str
    names: Mapping[str, str]
    picklists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, role: str) -> str | None:
        return self.names.get(role)

    def __getitem__(self, role: str) -> str:
        return self.names[role]


@dataclass(frozen=True)
class Layout:
    candidates: ModuleFields
    jobs_module: str
    interviews: ModuleFields
    from_settings: bool

    @property
    def statuses(self) -> tuple[str, ...]:
        """The org's candidate statuses in its own order (the stages hirebot lists)."""
        return self.candidates.picklists.get("status") or DEFAULT_STATUSES


def standard_layout(modules: Mapping[str, str] = STANDARD_MODULES) -> Layout:
    """The reference's standard field names, in the given (or standard) modules."""
    candidates = ModuleFields(modules["candidates"], {role: names[0] for role, names in CANDIDATE_FIELDS.items()})
    interviews = ModuleFields(modules["interviews"], {role: names[0] for role, names in INTERVIEW_FIELDS.items()})
    return Layout(candidates, modules["jobs"], interviews, from_settings=False)


def module_names(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """kind -> the org's API name for it, from `GET /settings/modules` (standard names when not found)."""
    found = dict(STANDARD_MODULES)
    rows = list(rows)
    for kind, standard in STANDARD_MODULES.items():
        names = {as_text(row.get("api_name")) for row in rows}
        if standard in names:
            continue
        for row in rows:
            labels = " ".join(filter(None, (as_text(row.get(k)) for k in ("module_name", "singular_label",
                                                                           "plural_label")))).lower()
            api_name = as_text(row.get("api_name"))
            if api_name and any(word in labels or word in api_name.lower() for word in MODULE_WORDS[kind]):
                found[kind] = api_name
                break
    return found


def pick_fields(module: str, rows: Sequence[Mapping[str, Any]], wanted: Mapping[str, tuple[str, ...]],
                labels: Mapping[str, tuple[str, ...]]) -> ModuleFields:
    """role -> api name from `GET /settings/fields`: the standard name, else a field labelled like it."""
    by_name = {as_text(row.get("api_name")): row for row in rows if as_text(row.get("api_name"))}
    names: dict[str, str] = {}
    picklists: dict[str, tuple[str, ...]] = {}
    for role, candidates in wanted.items():
        chosen = next((name for name in candidates if name in by_name), None)
        if chosen is None:
            chosen = _by_label(rows, labels.get(role, ()))
        if chosen is None:
            continue
        names[role] = chosen
        values = [as_text(item.get("display_value")) or as_text(item.get("actual_value"))
                  for item in as_rows(by_name.get(chosen, {}).get("pick_list_values"))]
        if any(values):
            picklists[role] = tuple(v for v in values if v and v != "-None-")
    return ModuleFields(module, names, picklists)


def _by_label(rows: Sequence[Mapping[str, Any]], labels: tuple[str, ...]) -> str | None:
    for label in labels:
        for row in rows:
            shown = (as_text(row.get("field_label")) or as_text(row.get("display_label")) or "").lower()
            if shown == label or (label == "linkedin" and "linkedin" in shown):
                return as_text(row.get("api_name"))
    return None


def require_fields(fields: ModuleFields) -> None:
    """A ConfigError naming the fields hirebot cannot work without that this org's Candidates module lacks."""
    missing = [label for role, label in REQUIRED_CANDIDATE_FIELDS.items() if role not in fields.names]
    if missing:
        raise ConfigError(f"Zoho Recruit's {fields.module} module in this org has no {' or '.join(missing)} field "
                          f"(hirebot looked for {', '.join(CANDIDATE_FIELDS[r][0] for r in REQUIRED_CANDIDATE_FIELDS)} "
                          "in its fields settings), so candidates cannot be read: restore the field in "
                          "Setup > Customization > Modules and Fields.")


def is_missing_endpoint(exc: Exception) -> bool:
    return isinstance(exc, ZohoRejected) and exc.status == 404


def fields_of(data: Any) -> list[dict[str, Any]]:
    return as_rows(as_mapping(data).get("fields")) if data is not None else []


def modules_of(data: Any) -> list[dict[str, Any]]:
    return as_rows(as_mapping(data).get("modules")) if data is not None else []
