"""Signed, short-lived, single-use links to a stored CV, for ATSs that download the file from a URL
(Teamtailor, Recruitee) instead of taking its bytes.

`mint_resume_link` makes one for a candidate intake's resume: a random token (only its SHA-256 is stored),
valid for LINK_LIFETIME. `redeem` serves it once: the first download consumes the link in the same
UPDATE that checks it (so two racing downloads cannot both win), and a second download, an expired token
or an unknown one gets nothing. `resume_link_url` is the absolute URL under hirebot's public address
(`GET /files/{token}`, bot/web.py). A token is a credential: it is never logged.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker, undefer

from store.db import transaction
from store.intake_models import CandidateIntake, DocumentLink
from store.models import utcnow

LINK_LIFETIME = timedelta(minutes=15)
KEEP_SPENT = timedelta(days=1)  # spent and expired rows are purged after this, when new links are made
TOKEN_BYTES = 32
MAX_TOKEN_CHARS = 100
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class LinkOutcome(StrEnum):
    SERVED = "served"
    UNKNOWN = "unknown"  # no such link (or its intake or CV is gone)
    SPENT = "spent"  # downloaded already, or expired


@dataclass(frozen=True)
class Document:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Redeemed:
    outcome: LinkOutcome
    document: Document | None = None


class NoResume(ValueError):
    """The intake has no CV to link to."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def resume_link_url(public_url: str, token: str) -> str:
    """The absolute URL an ATS downloads the file from."""
    return f"{public_url.rstrip('/')}/files/{token}"


def mint_resume_link(sessions: sessionmaker[Session], intake_id: int, *, now: datetime | None = None,
                     lifetime: timedelta = LINK_LIFETIME) -> str:
    """A new single-use token for the intake's CV, valid for `lifetime`; raises NoResume without one."""
    moment = now or utcnow()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction(sessions) as session:
        has_resume = session.scalar(select(CandidateIntake.resume.isnot(None))
                                    .where(CandidateIntake.id == intake_id))
        if not has_resume:
            raise NoResume(f"Intake {intake_id} has no CV to link to.")
        session.execute(delete(DocumentLink).where(DocumentLink.expires_at < moment - KEEP_SPENT))
        session.add(DocumentLink(token_hash=token_hash(token), intake_id=intake_id, expires_at=moment + lifetime,
                                 created_at=moment))
    return token


def redeem(sessions: sessionmaker[Session], token: str, *, now: datetime | None = None) -> Redeemed:
    """Consume the link and return its file, or say why not (unknown, or spent/expired)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return Redeemed(LinkOutcome.UNKNOWN)
    moment = now or utcnow()
    digest = token_hash(token)
    with transaction(sessions) as session:
        claimed = session.execute(
            update(DocumentLink)
            .where(DocumentLink.token_hash == digest, DocumentLink.used_at.is_(None),
                   DocumentLink.expires_at > moment)
            .values(used_at=moment)
            .returning(DocumentLink.intake_id)).scalar_one_or_none()
        if claimed is None:
            known = session.scalar(select(DocumentLink.id).where(DocumentLink.token_hash == digest))
            return Redeemed(LinkOutcome.SPENT if known is not None else LinkOutcome.UNKNOWN)
        intake = session.scalar(select(CandidateIntake).where(CandidateIntake.id == claimed)
                                .options(undefer(CandidateIntake.resume)))
        if intake is None or intake.resume is None:
            return Redeemed(LinkOutcome.UNKNOWN)
        return Redeemed(LinkOutcome.SERVED, Document(filename=intake.resume_name or "resume",
                                                     content_type=intake.resume_type or DEFAULT_CONTENT_TYPE,
                                                     content=bytes(intake.resume)))


__all__ = ["LINK_LIFETIME", "Document", "LinkOutcome", "NoResume", "Redeemed", "mint_resume_link", "redeem",
           "resume_link_url", "token_hash"]
