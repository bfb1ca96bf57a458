"""Saving and finding Teams conversation references (store/teams_models.py), so proactive messages (briefings,
meeting notices, follow-up reports) reach people after a restart.

The Teams front end saves one on every install event and message it sees; a later save for the same person
refreshes the serviceUrl and ids but never forgets a known 1:1 chat or email because this event lacked them
(a channel message, for one, says nothing about the personal chat).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store.db import transaction
from store.models import utcnow
from store.teams_models import TeamsReference


@dataclass(frozen=True)
class ConversationReference:
    """Where one Teams user can be messaged: open the 1:1 chat on `service_url` if `conversation_id` is None."""

    tenant_id: str
    user_aad_id: str
    teams_user_id: str
    service_url: str
    conversation_id: str | None
    email: str | None
    updated_at: datetime


def _value(row: TeamsReference) -> ConversationReference:
    return ConversationReference(tenant_id=row.tenant_id, user_aad_id=row.user_aad_id,
                                 teams_user_id=row.teams_user_id, service_url=row.service_url,
                                 conversation_id=row.conversation_id, email=row.email, updated_at=row.updated_at)


def _email(email: str | None) -> str | None:
    cleaned = (email or "").strip().lower()
    return cleaned or None


def save_reference(sessions: sessionmaker[Session], *, tenant_id: str, user_aad_id: str, teams_user_id: str,
                   service_url: str, conversation_id: str | None, email: str | None) -> ConversationReference:
    """Remember (or refresh) where `user_aad_id` in `tenant_id` can be reached; `conversation_id` is their
    1:1 chat with the bot (None when this event came from elsewhere), `email` their address if known."""
    for attempt in (1, 2):
        try:
            with transaction(sessions) as session:
                row = session.scalar(select(TeamsReference).where(TeamsReference.tenant_id == tenant_id,
                                                                  TeamsReference.user_aad_id == user_aad_id))
                if row is None:
                    row = TeamsReference(tenant_id=tenant_id, user_aad_id=user_aad_id)
                    session.add(row)
                row.teams_user_id = teams_user_id
                row.service_url = service_url
                row.conversation_id = conversation_id or row.conversation_id
                row.email = _email(email) or row.email
                row.updated_at = utcnow()  # seen now, even when nothing else changed
                session.flush()
                return _value(row)
        except IntegrityError:
            # Two events for a new person saved at once: the other one inserted first; update its row.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def reference_for_user(sessions: sessionmaker[Session], *, tenant_id: str,
                       user_id: str) -> ConversationReference | None:
    """The reference of the person whose AAD object id or Teams (29:) id is `user_id` in `tenant_id`."""
    with sessions() as session:
        row = session.scalar(select(TeamsReference).where(
            TeamsReference.tenant_id == tenant_id,
            or_(TeamsReference.user_aad_id == user_id, TeamsReference.teams_user_id == user_id))
            .order_by(TeamsReference.updated_at.desc()).limit(1))
        return None if row is None else _value(row)


def reference_for_email(sessions: sessionmaker[Session], email: str, *,
                        tenant_id: str | None = None) -> ConversationReference | None:
    """The reference of whoever has `email` (any case), in `tenant_id` if given; the most recently seen one if
    the address appears in several tenants."""
    wanted = _email(email)
    if wanted is None:
        return None
    query = select(TeamsReference).where(TeamsReference.email == wanted)
    if tenant_id is not None:
        query = query.where(TeamsReference.tenant_id == tenant_id)
    with sessions() as session:
        row = session.scalar(query.order_by(TeamsReference.updated_at.desc(), TeamsReference.id.desc()).limit(1))
        return None if row is None else _value(row)


def service_url_for_tenant(sessions: sessionmaker[Session], tenant_id: str) -> str | None:
    """The serviceUrl most recently seen in `tenant_id`: where to open a chat with someone who never wrote."""
    with sessions() as session:
        return session.scalar(select(TeamsReference.service_url).where(TeamsReference.tenant_id == tenant_id)
                              .order_by(TeamsReference.updated_at.desc(), TeamsReference.id.desc()).limit(1))


def forget_reference(sessions: sessionmaker[Session], *, tenant_id: str, user_aad_id: str) -> bool:
    """Drop a person's reference (they removed the app); True if there was one."""
    with transaction(sessions) as session:
        result = session.execute(delete(TeamsReference).where(TeamsReference.tenant_id == tenant_id,
                                                               TeamsReference.user_aad_id == user_aad_id))
        return bool(getattr(result, "rowcount", 0))
