"""Builds the platform-neutral candidate card and summary from stored records.

One person may be on record in several ATS connections (same email); the card combines them,
lists each source with its own deep link, and shows conflicts (a different stage per ATS) side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from adapters.registry import label_for
from bot.replies import Action, CandidateSummary, Card, Field, Link, SourceRef
from store.models import Application, AtsConnection, Candidate

ATTACHMENT_LABELS = {"resume": "Resume", "cover_letter": "Cover letter"}


def provider_label(provider: str) -> str:
    """The ATS's name as people read it ("Greenhouse"), from the registry."""
    return label_for(provider)


def ago(when: datetime | None, now: datetime) -> str:
    """'just now', '40 s ago', '5 min ago', '3 h ago', '2 days ago'."""
    if when is None:
        return "never"
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''} ago"


@dataclass(frozen=True)
class PersonRecords:
    """Every visible record of one person, best match first, with the connections they come from."""

    rows: tuple[Candidate, ...]
    connections: dict[int, AtsConnection]

    @property
    def primary(self) -> Candidate:
        return self.rows[0]

    @property
    def id(self) -> str:
        return str(self.primary.id)

    @property
    def name(self) -> str:
        return display_name(self.primary)

    def emails(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for row in self.rows:
            for entry in row.emails or []:
                value = str(entry.get("value", "")).strip()
                if value and value.lower() not in {s.lower() for s in seen}:
                    seen[value] = None
        return tuple(seen)

    def synced_at(self, row: Candidate) -> datetime | None:
        """Freshness of a record: the later of its own sync and its connection's last successful sync."""
        conn = self.connections.get(row.connection_id)
        times = [t for t in (row.synced_at, conn.last_sync_at if conn else None) if t is not None]
        return max(times) if times else None

    def sources(self) -> tuple[SourceRef, ...]:
        refs = []
        for row in self.rows:
            conn = self.connections[row.connection_id]
            refs.append(SourceRef(provider=conn.provider, provider_label=provider_label(conn.provider),
                                  remote_id=row.remote_id, url=row.url, connection_id=conn.id,
                                  synced_at=self.synced_at(row)))
        return tuple(refs)


def display_name(row: Candidate) -> str:
    name = row.full_name or "(no name)"
    if row.preferred_name and row.preferred_name.strip() and row.preferred_name.strip() != row.first_name:
        name = f"{name} ({row.preferred_name.strip()})"
    return name


def _application_order(app: Application) -> tuple[int, float]:
    rank = {"active": 0, "hired": 1, "rejected": 2}.get(app.status, 3)
    stamp = app.remote_updated_at or app.remote_created_at
    return rank, -(stamp.timestamp() if stamp else 0.0)


def _status_text(app: Application) -> str:
    if app.status == "rejected":
        return f"Rejected{' on ' + app.rejected_at.date().isoformat() if app.rejected_at else ''}"
    if app.status == "hired":
        return f"Hired{' on ' + app.hired_at.date().isoformat() if app.hired_at else ''}"
    return "Prospect" if app.prospect else "Active"


def _position(app: Application) -> str:
    return app.job.name if app.job is not None else ("Prospect (no job yet)" if app.prospect else "Unknown job")


def headline(person: PersonRecords) -> str:
    """One line for a choice list: current position, stage and source."""
    apps = sorted((a for row in person.rows for a in row.applications), key=_application_order)
    sources = ", ".join(dict.fromkeys(s.provider_label for s in person.sources()))
    parts = []
    if apps:
        parts.append(_position(apps[0]))
        if apps[0].stage_name:
            parts.append(apps[0].stage_name)
        parts.append(_status_text(apps[0]))
    elif person.primary.title:
        parts.append(person.primary.title)
    emails = person.emails()
    if emails:
        parts.append(emails[0])
    parts.append(sources)
    return " · ".join(p for p in parts if p)


def summary(person: PersonRecords) -> CandidateSummary:
    return CandidateSummary(id=person.id, name=person.name, emails=person.emails(), sources=person.sources(),
                            headline=headline(person))


def _application_lines(person: PersonRecords, multi_source: bool) -> tuple[list[str], list[str], list[str]]:
    positions, stages, statuses = [], [], []
    for row in person.rows:
        label = provider_label(person.connections[row.connection_id].provider)
        for app in sorted(row.applications, key=_application_order):
            suffix = f" ({label})" if multi_source else ""
            positions.append(_position(app) + suffix)
            stages.append((app.stage_name or "No stage") + (f" — {_position(app)}" if len(row.applications) > 1
                                                            else "") + suffix)
            statuses.append(_status_text(app) + (f" — {_position(app)}" if len(row.applications) > 1 else "")
                            + suffix)
    return positions, stages, statuses


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def candidate_card(person: PersonRecords, now: datetime) -> Card:
    """The who_is card: status, position, stage, contact, tags, deep links, resume and cover letter."""
    multi = len({r.connection_id for r in person.rows}) > 1
    positions, stages, statuses = _application_lines(person, multi)
    phones = _unique([str(p.get("value", "")) for row in person.rows for p in (row.phones or [])])
    tags = _unique([str(t) for row in person.rows for t in (row.tags or [])])
    linkedin = next((row.linkedin_url for row in person.rows if row.linkedin_url), None)
    fields = [
        Field("Position", "\n".join(_unique(positions)) or "No application on record"),
        Field("Stage", "\n".join(_unique(stages)) or "—"),
        Field("Status", "\n".join(_unique(statuses)) or "—"),
        Field("Email", "\n".join(person.emails()) or "—"),
        Field("Phone", "\n".join(phones) or "—"),
        Field("Tags", ", ".join(tags) or "—"),
    ]
    primary = person.primary
    subtitle = " at ".join(p for p in (primary.title, primary.company) if p) or None
    links: list[Link] = []
    actions: list[Action] = []
    for source in person.sources():
        if source.url:
            label = f"Open in {source.provider_label}"
            links.append(Link(label, source.url))
            actions.append(Action(label=label, url=source.url))
    if linkedin:
        links.append(Link("LinkedIn", linkedin))
    for row in person.rows:
        for att in sorted(row.attachments, key=lambda a: (a.type != "resume", a.type != "cover_letter", a.filename)):
            label = ATTACHMENT_LABELS.get(att.type, "Attachment")
            links.append(Link(f"{label}: {att.filename}", att.url))
            if att.type in ATTACHMENT_LABELS and not any(a.label == label for a in actions):
                actions.append(Action(label=label, url=att.url))
    actions.append(Action(label="Schedule", command="schedule", value=person.id, primary=True))
    context = tuple(f"From {s.provider_label} · synced {ago(s.synced_at, now)}" for s in person.sources())
    return Card(title=person.name, subtitle=subtitle, fields=tuple(fields), links=tuple(links),
                actions=tuple(actions), context=context, kind="candidate", subject_id=person.id)
