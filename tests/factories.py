"""Builders for store rows in tests: workspaces, users, connections and candidates with their children."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from store.crypto import SecretBox
from store.db import transaction
from store.models import Application, AtsConnection, Attachment, Candidate, Job, User, Workspace

BOX = SecretBox(Fernet.generate_key())
_ids = itertools.count(1000)


def workspace(sessions: sessionmaker[Session], name: str = "Acme") -> Workspace:
    with transaction(sessions) as s:
        row = Workspace(name=name, platform="test", external_id=f"T{next(_ids)}", settings={})
        s.add(row)
        s.flush()
        return row


def user(sessions: sessionmaker[Session], ws: Workspace, email: str, *, admin: bool = False) -> User:
    with transaction(sessions) as s:
        row = User(workspace_id=ws.id, email=email, display_name=email.split("@")[0], is_admin=admin, settings={})
        s.add(row)
        s.flush()
        return row


def connection(sessions: sessionmaker[Session], ws: Workspace, *, provider: str = "greenhouse",
               scope: str = "org", owner: User | None = None, name: str | None = None) -> AtsConnection:
    with transaction(sessions) as s:
        row = AtsConnection(workspace_id=ws.id, provider=provider, scope=scope,
                            owner_user_id=owner.id if owner else None, name=name or provider.title(),
                            base_url="http://127.0.0.1:9", settings={},
                            credentials=BOX.seal({"client_id": "id", "client_secret": "s3cret"}),
                            last_sync_at=datetime.now(UTC))
        s.add(row)
        s.flush()
        return row


def candidate(sessions: sessionmaker[Session], conn: AtsConnection, first: str, last: str, *,
              email: str | None = None, job: str | None = "Backend Engineer", stage: str | None = "Phone Screen",
              status: str = "active", tags: tuple[str, ...] = (), resume: bool = True, **extra: Any) -> Candidate:
    """A candidate with one application (and job) and, by default, a resume and a cover letter."""
    rid = str(next(_ids))
    with transaction(sessions) as s:
        row = Candidate(connection_id=conn.id, remote_id=rid, first_name=first, last_name=last,
                        primary_email=email.lower() if email else None,
                        emails=[{"value": email, "type": "personal"}] if email else [],
                        phones=[{"value": "+1 555 0100", "type": "mobile"}], links=[], tags=list(tags),
                        url=f"https://app.greenhouse.io/people/{rid}", **extra)
        s.add(row)
        s.flush()
        if job:
            job_row = Job(connection_id=conn.id, remote_id=f"J{rid}", name=job, status="open",
                          hiring_manager_remote_ids=[])
            s.add(job_row)
            s.flush()
            s.add(Application(connection_id=conn.id, remote_id=f"A{rid}", candidate_id=row.id, job_id=job_row.id,
                              job_remote_id=job_row.remote_id, stage_name=stage, status=status,
                              rejected_at=datetime(2026, 3, 1, tzinfo=UTC) if status == "rejected" else None))
        if resume:
            s.add(Attachment(connection_id=conn.id, candidate_id=row.id, filename=f"{last}_resume.pdf",
                             url=f"https://files.example/{rid}/resume.pdf", type="resume"))
            s.add(Attachment(connection_id=conn.id, candidate_id=row.id, filename=f"{last}_cover.pdf",
                             url=f"https://files.example/{rid}/cover.pdf", type="cover_letter"))
        conn_row = s.get(AtsConnection, conn.id)
        assert conn_row is not None
        conn_row.roster_version += 1
        return row
