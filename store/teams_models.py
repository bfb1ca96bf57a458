"""Where hirebot can reach each Teams user proactively (briefings, meeting notices), kept across restarts.

Teams only lets a bot message someone in a conversation it has seen, so every install event and message
leaves a row here: the user's tenant and ids, the regional serviceUrl their activities come from, and the
bot's 1:1 chat with them once known. Rows are keyed by tenant and Entra (AAD) object id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, utcnow


class TeamsReference(Base):
    """One Teams user's conversation reference: enough to open or continue the bot's 1:1 chat with them."""

    __tablename__ = "teams_references"
    __table_args__ = (UniqueConstraint("tenant_id", "user_aad_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(100))
    user_aad_id: Mapped[str] = mapped_column(String(100))
    teams_user_id: Mapped[str] = mapped_column(String(300))  # Teams' 29: id for this bot
    service_url: Mapped[str] = mapped_column(String(500))
    conversation_id: Mapped[str | None] = mapped_column(String(500))  # the personal chat; None until known
    email: Mapped[str | None] = mapped_column(String(320))  # lower case
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # last seen


# Proactive messages find people by email (a hirebot user) or by their Teams id (the asker).
Index("ix_teams_references_email", TeamsReference.email)
Index("ix_teams_references_teams_user", TeamsReference.tenant_id, TeamsReference.teams_user_id)
