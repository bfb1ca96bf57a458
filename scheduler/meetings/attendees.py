"""Who a meeting is with: the candidate's name, address and application to schedule for, and the attendee
list, from what the ATS and the organizer gave."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from scheduler.meetings.views import AttendeeRef
from store.models import Application, Candidate, User

EMAIL_PATTERN = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


def most_relevant_application(applications: Iterable[Application]) -> Application | None:
    """The active application to schedule for: a real one over a prospect, one with a job, the latest."""
    active = [app for app in applications if app.status == "active"]
    if not active:
        return None
    floor = datetime.min.replace(tzinfo=UTC)
    return max(active, key=lambda app: (not app.prospect, app.job_id is not None,
                                        app.remote_updated_at or app.remote_created_at or floor, app.id))


_DO_NOT_CONTACT = frozenset({"donotcontact", "dontcontact", "nocontact", "dnc", "donotemail", "donotreachout"})


def contact_cautions(candidate: Candidate, name: str) -> tuple[str, ...]:
    """Why writing to this candidate may be wrong: hired, rejected with nothing still open, or tagged do not
    contact in the ATS. Each is a sentence for the organizer, who then has to confirm explicitly."""
    cautions: list[str] = []
    tags = [str(tag) for tag in candidate.tags or []]
    flagged = [tag for tag in tags if re.sub(r"[^a-z]", "", tag.lower()) in _DO_NOT_CONTACT]
    if flagged:
        cautions.append(f"{name} is tagged \u201c{flagged[0]}\u201d in the ATS.")
    applications = list(candidate.applications)
    for app in applications:
        if app.status == "hired":
            cautions.append(f"{name} was hired{_for_job(app)}{_on(app.hired_at)}.")
    if not any(app.status == "active" for app in applications):
        for app in applications:
            if app.status == "rejected":
                cautions.append(f"{name} was rejected{_for_job(app)}{_on(app.rejected_at)}.")
    return tuple(cautions)


def _for_job(app: Application) -> str:
    return f" for {app.job.name}" if app.job is not None and app.job.name else ""


def _on(moment: datetime | None) -> str:
    return f" on {moment.day} {moment:%b %Y}" if moment is not None else ""


def display_name(candidate: Candidate) -> str:
    if candidate.preferred_name:
        return f"{candidate.preferred_name} {candidate.last_name}".strip()
    return candidate.full_name or candidate.primary_email or "the candidate"


# Mail providers whose addresses belong to a person, not an employer: an untyped address there is personal.
PERSONAL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "pm.me", "gmx.com", "gmx.de",
    "gmx.net", "web.de", "mail.com", "fastmail.com", "hey.com", "yandex.com", "yandex.ru", "zoho.com",
})
_RANK = {"personal": 0, None: 1, "work": 2}


def candidate_addresses(candidate: Candidate) -> list[tuple[str, str | None]]:
    """Every address of the candidate, each with its kind ("personal", "work" or None), the one to write to
    first: personal over unknown over work (a request to a current employer's mailbox may be read there,
    or bounce when they leave), the ATS's primary first among equals."""
    found: dict[str, str | None] = {}
    entries = [candidate.primary_email, *(candidate.emails or [])]
    for entry in entries:
        value = entry.get("value") if isinstance(entry, dict) else entry
        address = str(value or "").strip().lower()
        if not address or not EMAIL_PATTERN.fullmatch(address):
            continue
        kind = str(entry.get("type") or "").lower() if isinstance(entry, dict) else ""
        kind_or_none = kind if kind in ("personal", "work") else None
        if kind_or_none is None and address.rsplit("@", 1)[1] in PERSONAL_DOMAINS:
            kind_or_none = "personal"
        if address not in found or found[address] is None:
            found[address] = kind_or_none
    order = list(found)
    return sorted(found.items(), key=lambda item: (_RANK[item[1]], order.index(item[0])))


def candidate_address(candidate: Candidate) -> str | None:
    """The address a request goes to when the organizer typed none (see `candidate_addresses`)."""
    addresses = candidate_addresses(candidate)
    return addresses[0][0] if addresses else None


def name_from_email(email: str) -> str:
    """"jane.roe42@example.com" → "Jane Roe": a readable name until the person gives theirs."""
    words = [w for w in re.split(r"[._+\-]+", email.split("@")[0]) if w and not w.isdigit()]
    words = [w.rstrip("0123456789") or w for w in words]
    return " ".join(w[:1].upper() + w[1:] for w in words) or email.split("@")[0]


def split_name(name: str, email: str) -> tuple[str, str]:
    """First and last name for the ATS: the given name's last word is the last name."""
    words = name.split() if name and "@" not in name else [email.split("@")[0]]
    return (" ".join(words[:-1]), words[-1]) if len(words) > 1 else (words[0], "")


def unique_attendees(people: Iterable[AttendeeRef]) -> list[AttendeeRef]:
    seen: dict[str, AttendeeRef] = {}
    for person in people:
        seen.setdefault(person.email.lower(), person)
    return list(seen.values())


def known_attendee(person: AttendeeRef, user: User | None) -> AttendeeRef:
    if user is None:
        return person
    return AttendeeRef(name=person.name or user.display_name, email=person.email, role=person.role,
                       user_id=user.id)


def clean_text(text: str | None, limit: int = 1000) -> str | None:
    cleaned = " ".join((text or "").split())
    return cleaned[:limit] or None


__all__ = ["EMAIL_PATTERN", "PERSONAL_DOMAINS", "candidate_address", "candidate_addresses", "clean_text",
           "contact_cautions",
           "display_name", "known_attendee",
           "most_relevant_application", "name_from_email", "split_name", "unique_attendees"]
