"""The Teams front end's use of stored conversation references (store/teams_references.py): saved from install
events and the first message of each person in each process, read when hirebot writes first (briefings,
meeting notices), so that works after a restart.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.teams.delivery import Place
from store.teams_references import (
    ConversationReference,
    forget_reference,
    reference_for_email,
    reference_for_user,
    save_reference,
)

log = logging.getLogger(__name__)

MAX_KNOWN = 100_000


class ReferenceBook:
    """Saves references off the event loop, once per person and conversation in this process."""

    def __init__(self, sessions: sessionmaker[Session], tenant_id: str | None) -> None:
        self.sessions = sessions
        self.tenant_id = tenant_id
        self._known: set[tuple[str, str | None]] = set()

    @staticmethod
    def _key(place: Place) -> tuple[str, str | None]:
        return place.user_id, place.conversation_id if place.is_personal else None

    def known(self, place: Place) -> bool:
        """Whether this person's reference (with this 1:1 chat, and their email) was saved by this process."""
        return self._key(place) in self._known

    async def remember(self, place: Place, email: str | None) -> None:
        """Save where `place`'s person can be reached (their 1:1 chat when `place` is one); failures are logged."""
        tenant = place.tenant_id or self.tenant_id
        if not tenant:
            log.warning("a Teams activity from %s named no tenant; its reference isn't kept", place.user_id)
            return
        try:
            await asyncio.to_thread(save_reference, self.sessions, tenant_id=tenant,
                                    user_aad_id=place.aad_object_id or place.user_id, teams_user_id=place.user_id,
                                    service_url=place.service_url,
                                    conversation_id=place.conversation_id if place.is_personal else None,
                                    email=email)
        except SQLAlchemyError:
            log.exception("could not save the Teams reference of %s", place.user_id)
            return
        if email:  # saved without an email (an install event), the next message saves it again with one
            if len(self._known) > MAX_KNOWN:
                self._known.clear()
            self._known.add(self._key(place))

    async def forget(self, place: Place) -> None:
        """Drop `place`'s person's reference (they removed the app); failures are logged."""
        tenant = place.tenant_id or self.tenant_id
        if not tenant:
            return
        try:
            await asyncio.to_thread(forget_reference, self.sessions, tenant_id=tenant,
                                    user_aad_id=place.aad_object_id or place.user_id)
        except SQLAlchemyError:
            log.exception("could not forget the Teams reference of %s", place.user_id)
        self._known.discard(self._key(place))

    def for_user(self, teams_user_id: str) -> ConversationReference | None:
        """The reference of a Teams user (their 29: or AAD id); reads the store, so call it off the loop."""
        if not self.tenant_id:
            return None
        return reference_for_user(self.sessions, tenant_id=self.tenant_id, user_id=teams_user_id)

    def for_email(self, email: str) -> ConversationReference | None:
        """The reference of whoever has `email` in this bot's tenant; reads the store (off the loop)."""
        return reference_for_email(self.sessions, email, tenant_id=self.tenant_id)
