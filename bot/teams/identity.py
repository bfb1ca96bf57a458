"""Who a Teams user is: the connector's member lookup gives their email (or user principal name), which
maps them to a hirebot user (bot/frontend/identity.py), cached briefly so a conversation doesn't look them
up on every message.

Teams users belong to hirebot's default workspace: a bot registration is single-tenant, so one organisation,
and org-wide connections made with `hirebot connect` serve it at once (as with one configured Slack workspace).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from bot.directory import Directory
from bot.frontend.identity import IDENTITY_TTL_SECONDS, ChatProfile, PeopleByEmail, WorkspaceKey
from bot.frontend.protocol import ChatDeliveryError, IdentityError
from bot.messages import Person
from bot.teams.delivery import Place

log = logging.getLogger(__name__)

WORKSPACE = WorkspaceKey("teams", None)  # hirebot's default workspace
NO_EMAIL = ("Teams didn't give me an email address for you, and I need it to know which candidates you may see. "
            "Ask a Teams admin to check that your account has one.")
LOOKUP_FAILED = "I couldn't read your Teams profile just now. Please try again in a moment."
WRONG_TENANT = "I only answer people from the organisation I'm installed in."


class MemberLookup(Protocol):
    async def member(self, service_url: str, conversation_id: str, member_id: str) -> dict[str, Any]: ...


def member_email(member: dict[str, Any]) -> str | None:
    """The member's email, else their user principal name when it reads as an address."""
    for key in ("email", "userPrincipalName"):
        value = member.get(key)
        if isinstance(value, str) and "@" in value.strip():
            return value.strip()
    return None


class TeamsIdentities:
    """Maps a Teams user to a hirebot Person by the email the connector has for them."""

    def __init__(self, directory: Directory, connector: MemberLookup, *, tenant_id: str | None = None,
                 ttl: float = IDENTITY_TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.connector = connector
        self.tenant_id = tenant_id
        self.people = PeopleByEmail(directory, ttl=ttl, clock=clock)

    async def person(self, place: Place) -> Person:
        cached = self.people.cached(WORKSPACE, place.user_id)
        if cached is not None:
            return cached
        if self.tenant_id and place.tenant_id and place.tenant_id != self.tenant_id:
            raise IdentityError(WRONG_TENANT)
        try:
            member = await self.connector.member(place.service_url, place.roster_id, place.user_id)
        except ChatDeliveryError as exc:
            log.warning("member lookup failed for %s: %s", place.user_id, exc)
            raise IdentityError(LOOKUP_FAILED) from None
        name = member.get("name") if isinstance(member.get("name"), str) else place.user_name
        return await self.people.person(WORKSPACE, ChatProfile(user_id=place.user_id, email=member_email(member),
                                                               display_name=name or None),
                                        missing_email=NO_EMAIL)

    async def workspace_id(self) -> int:
        return await self.people.workspace_id(WORKSPACE)
