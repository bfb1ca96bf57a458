"""The Lever key permissions hirebot needs or can use, what each is for, and what is lost without it.

Lever keys can be limited to selected endpoints. `DOCUMENTED_PERMISSIONS` are the twelve admins are told
to grant; `validate()` insists on exactly those and names each one missing. The reads in
`OPTIONAL_PERMISSIONS` make a sync richer, and without them it degrades instead of failing (see
adapters/lever/reads.py). Creating candidates needs `create-opportunity`; checking a note whose answer was
lost needs `list-opportunity-notes` (without it such a note is parked for an admin, never sent twice).
An optional permission that was not probed is discovered on its first 403 and not asked for again by that
adapter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The twelve permissions admins are told to grant (issue 3); a key with exactly these passes validate().
DOCUMENTED_PERMISSIONS = (
    "read-opportunity", "read-opportunity-panel", "read-candidate", "list-users", "list-opportunities",
    "list-opportunity-panels", "list-candidates", "create-opportunity-panel", "update-opportunity-panel",
    "delete-opportunity-panel", "create-opportunity-note", "delete-opportunity-note",
)
REQUIRED_PERMISSIONS = DOCUMENTED_PERMISSIONS
CREATE_CANDIDATE_PERMISSION = "create-opportunity"
NOTE_LOOKUP_PERMISSION = "list-opportunity-notes"
# Permission → what hirebot loses without it (one line each, for the connect flow's warning).
OPTIONAL_PERMISSIONS: dict[str, str] = {
    "list-postings": "jobs show as \"Lever posting <id>\" and \"open jobs\" lists nothing from Lever",
    "list-stages": "no full stage list (each candidate's current stage name still shows)",
    "list-archive-reasons": "hired candidates show as rejected (Lever only says they were archived)",
    "list-opportunity-resumes": "resumes are not synced (company comes from the headline instead)",
    "list-opportunity-files": "other files, such as cover letters, are not synced",
    CREATE_CANDIDATE_PERMISSION: "adding candidates to Lever from chat is off",
    NOTE_LOOKUP_PERMISSION: ("when Lever does not answer while a note is saved, hirebot cannot check whether it "
                             "landed, so that note waits for an admin instead of being sent again"),
}
SYNC_PERMISSIONS = tuple(name for name in OPTIONAL_PERMISSIONS
                         if name not in (CREATE_CANDIDATE_PERMISSION, NOTE_LOOKUP_PERMISSION))
KEY_ADVICE = ("Ask a Lever Super Admin to edit the key under Settings > Integrations and API > "
              "API Credentials and tick them.")
# Permission → what hirebot cannot do without it, for the error a refused request becomes.
PERMISSION_PURPOSE = {
    "list-opportunities": "list candidates", "read-opportunity": "read a candidate",
    "list-users": "list Lever users", "list-postings": "list jobs", "list-stages": "list stages",
    "list-archive-reasons": "tell hired from rejected candidates",
    "list-opportunity-resumes": "read resumes", "list-opportunity-files": "read candidate files",
    "create-opportunity-note": "add notes", "delete-opportunity-note": "delete notes",
    NOTE_LOOKUP_PERMISSION: "check whether a note it sent without hearing back was saved",
    "create-opportunity-panel": "schedule interviews", "update-opportunity-panel": "reschedule interviews",
    "delete-opportunity-panel": "cancel interviews",
}


@dataclass(frozen=True)
class PermissionReport:
    """Which of the permissions hirebot probes a key has."""

    granted: frozenset[str]
    missing: frozenset[str]

    def lacking(self, wanted: Iterable[str]) -> list[str]:
        return [name for name in wanted if name in self.missing]

    @property
    def required_missing(self) -> tuple[str, ...]:
        """Missing documented permissions, in the documented order: the key is refused."""
        return tuple(self.lacking(DOCUMENTED_PERMISSIONS))

    @property
    def optional_missing(self) -> tuple[str, ...]:
        """Missing optional permissions: the connection works, with less (see `warnings`)."""
        return tuple(self.lacking(OPTIONAL_PERMISSIONS))

    def warnings(self) -> list[str]:
        return permission_warnings(self.optional_missing)


def permission_warnings(missing: Iterable[str]) -> list[str]:
    """One line per missing optional permission: its name and what hirebot cannot do without it."""
    return [f"{name}: {OPTIONAL_PERMISSIONS[name]}." for name in missing if name in OPTIONAL_PERMISSIONS]
