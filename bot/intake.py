"""Who to add to an ATS when someone scheduled by email books: the draft row, its defaults and its targets.

The proposal for a person in no connected ATS makes a `CandidateIntake` draft (holding the CV attached in
chat), so the Send button needs to carry only its id. The target defaults to the last ATS and job this
organizer used, else the first visible connection that can create candidates. See docs/new_candidates.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import Capability
from adapters.errors import HirebotError
from adapters.registry import find_spec
from bot.intents import find_linkedin
from bot.messages import ChatFile, Person
from store.db import transaction
from store.intake_models import CandidateIntake
from store.models import AtsConnection, Job
from store.queries import visible_connections

DRAFT_LIFETIME = timedelta(days=2)
MAX_RESUME_BYTES = 10 * 1024 * 1024
RESUME_TYPES = ("application/pdf", "application/msword", "text/plain", "application/rtf",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
RESUME_SUFFIXES = (".pdf", ".doc", ".docx", ".txt", ".rtf", ".odt")
MAX_JOBS_LISTED = 25


class IntakeError(HirebotError):
    """The person can't be added as asked (an unreadable file, a target that is gone)."""


@dataclass(frozen=True)
class IntakeTarget:
    """An ATS connection, and optionally one of its open jobs, a new person can be added to."""

    connection_id: int
    provider: str
    connection_name: str
    job_remote_id: str | None = None
    job_name: str | None = None

    @property
    def where(self) -> str:
        """The connection's name as people know it ("Greenhouse", or the name it was given)."""
        return self.provider.capitalize() if self.connection_name.lower() == self.provider else self.connection_name

    @property
    def label(self) -> str:
        return f"{self.where} \u00b7 {self.job_name}" if self.job_name else f"{self.where} (no job: a prospect)"

    @property
    def value(self) -> str:
        return f"{self.connection_id}:{self.job_remote_id or ''}"


@dataclass(frozen=True)
class IntakeView:
    id: int
    email: str
    target: IntakeTarget | None
    linkedin_url: str | None
    resume_name: str | None
    draft: Mapping[str, Any]

    @property
    def job(self) -> tuple[int, str] | None:
        if self.target is None or self.target.job_remote_id is None:
            return None
        return self.target.connection_id, self.target.job_remote_id


def parse_target(value: str) -> tuple[int, str | None]:
    """"<connection id>:<job remote id or empty>" as buttons, forms and the CLI carry a target."""
    connection, _, job = (value or "").partition(":")
    if not connection.strip().isdigit():
        raise IntakeError("That choice of ATS can't be read; please pick again.")
    return int(connection), job.strip() or None


class IntakeDesk:
    """Drafts, targets and changes of the people hirebot is to add to an ATS."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def start(self, sender: Person, email: str, *, linkedin_url: str | None = None,
              files: Sequence[ChatFile] = (), draft: Mapping[str, Any] | None = None) -> IntakeView:
        """A draft for `email` with the organizer's default target and the CV attached in chat, if any."""
        resume = _resume(files)
        now = self.clock()
        with transaction(self.sessions) as session:
            session.execute(delete(CandidateIntake).where(CandidateIntake.state == "draft",
                                                          CandidateIntake.created_at < now - DRAFT_LIFETIME))
            target = self._default_target(session, sender)
            row = CandidateIntake(workspace_id=sender.workspace_id, organizer_user_id=sender.user_id, state="draft",
                                  email=email.strip().lower(), connection_id=target.connection_id if target else None,
                                  job_remote_id=target.job_remote_id if target else None,
                                  job_name=target.job_name if target else None, linkedin_url=linkedin_url,
                                  resume_name=resume.name if resume else None,
                                  resume_type=resume.content_type if resume else None,
                                  resume=resume.data if resume else None, draft=dict(draft or {}), created_at=now)
            session.add(row)
            session.flush()
            return _view(session, row)

    def view(self, sender: Person, intake_id: int) -> IntakeView:
        with self.sessions() as session:
            return _view(session, self._draft(session, sender, intake_id))

    def targets(self, sender: Person) -> list[IntakeTarget]:
        """Every connection the organizer sees that can create candidates, each with its open jobs."""
        with self.sessions() as session:
            found: list[IntakeTarget] = []
            for connection in _creating_connections(session, sender):
                jobs = session.scalars(select(Job).where(Job.connection_id == connection.id, Job.status == "open")
                                       .order_by(Job.name).limit(MAX_JOBS_LISTED))
                found += [_target(connection, job) for job in jobs]
                found.append(_target(connection, None))
            return found

    def update(self, sender: Person, intake_id: int, *, target: str | None = None,
               linkedin_url: str | None = None) -> IntakeView:
        """Change where the person goes ("<connection id>:<job remote id>") or their LinkedIn URL."""
        with transaction(self.sessions) as session:
            row = self._draft(session, sender, intake_id)
            if target is not None:
                connection_id, job_remote_id = parse_target(target)
                connection = next((c for c in _creating_connections(session, sender) if c.id == connection_id), None)
                if connection is None:
                    raise IntakeError("That ATS isn't connected any more, or can't take new candidates.")
                job = None
                if job_remote_id is not None:
                    job = session.scalar(select(Job).where(Job.connection_id == connection.id,
                                                           Job.remote_id == job_remote_id))
                    if job is None:
                        raise IntakeError("That job isn't in the ATS any more; please pick another.")
                row.connection_id, row.job_remote_id = connection.id, job.remote_id if job else None
                row.job_name = job.name if job else None
            if linkedin_url is not None:
                row.linkedin_url = find_linkedin(linkedin_url)
                if linkedin_url.strip() and row.linkedin_url is None:
                    raise IntakeError("That doesn't look like a LinkedIn profile link (linkedin.com/in/…).")
            session.flush()
            return _view(session, row)

    def _draft(self, session: Session, sender: Person, intake_id: int) -> CandidateIntake:
        row = session.get(CandidateIntake, intake_id)
        if row is None or row.workspace_id != sender.workspace_id or row.state != "draft":
            raise IntakeError("That proposal was already sent or has expired. Please say \u201cschedule with "
                              "…\u201d again.")
        return row

    def _default_target(self, session: Session, sender: Person) -> IntakeTarget | None:
        """The last target this organizer used, while still usable; else the first connection that can create."""
        usable = {c.id: c for c in _creating_connections(session, sender)}
        if not usable:
            return None
        last = session.scalar(select(CandidateIntake).where(
            CandidateIntake.workspace_id == sender.workspace_id, CandidateIntake.organizer_user_id == sender.user_id,
            CandidateIntake.state != "draft", CandidateIntake.connection_id.in_(list(usable)))
            .order_by(CandidateIntake.id.desc()).limit(1))
        if last is None or last.connection_id is None:
            return _target(next(iter(usable.values())), None)
        job = None
        if last.job_remote_id:
            job = session.scalar(select(Job).where(Job.connection_id == last.connection_id,
                                                   Job.remote_id == last.job_remote_id, Job.status == "open"))
        return _target(usable[last.connection_id], job)


def _creating_connections(session: Session, sender: Person) -> list[AtsConnection]:
    return [c for c in visible_connections(session, sender.workspace_id, sender.user_id)
            if (spec := find_spec(c.provider)) is not None
            and Capability.CREATE_CANDIDATES in spec.adapter_class.capabilities]


def _target(connection: AtsConnection, job: Job | None) -> IntakeTarget:
    return IntakeTarget(connection_id=connection.id, provider=connection.provider, connection_name=connection.name,
                        job_remote_id=job.remote_id if job else None, job_name=job.name if job else None)


def _view(session: Session, row: CandidateIntake) -> IntakeView:
    connection = session.get(AtsConnection, row.connection_id) if row.connection_id else None
    target = None
    if connection is not None:
        target = IntakeTarget(connection_id=connection.id, provider=connection.provider,
                              connection_name=connection.name, job_remote_id=row.job_remote_id, job_name=row.job_name)
    return IntakeView(id=row.id, email=row.email, target=target, linkedin_url=row.linkedin_url,
                      resume_name=row.resume_name, draft=dict(row.draft or {}))


def _resume(files: Sequence[ChatFile]) -> ChatFile | None:
    """The first attached file that is a CV (PDF, Word, text); a file too large is refused, not dropped."""
    for item in files:
        if item.content_type in RESUME_TYPES or item.name.lower().endswith(RESUME_SUFFIXES):
            if len(item.data) > MAX_RESUME_BYTES:
                raise IntakeError(f"{item.name} is larger than {MAX_RESUME_BYTES // (1024 * 1024)} MB; attach a "
                                  "smaller CV.")
            return item
    return None
