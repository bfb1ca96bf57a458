"""Who a Teams user is: the connector's member lookup gives their email (or user principal name), which
maps them to a hirebot user (bot/frontend/identity.py), cached briefly so a conversation doesn't look them
up on every message.

Teams users belong to hirebot's default workspace: a bot registration is single-tenant, so one organisation,
and org-wide connections made with `hirebot connect` serve it at once (as with one configured Slack workspace).

The Bot Framework has already proven the sender is in that tenant (the JWT and tenant check). When Teams has
no address for them (an account without a mailbox, or a connector that has no member lookup), they still
get an identity of their own, keyed by their Entra object id under the reserved `.invalid` domain: they see
the workspace-wide connections, as everyone in the organisation does, and nobody's personal ones. Guests
(`userRole` "guest") are not answered: candidate details are for the organisation's own people.
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
FALLBACK_DOMAIN = "users.teams.invalid"  # RFC 2606: never a real mailbox
NO_GUESTS = "I only answer people of the organisation I'm installed in, not guests."
NOT_FOUND_STATUSES = frozenset({400, 403, 404, 405, 501})  # Teams (or a connector) has no such member lookup
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


def fallback_email(place: Place) -> str:
    """The address a sender without one is known by: their Entra object id (else Teams id) at a reserved domain."""
    key = "".join(ch for ch in (place.aad_object_id or place.user_id).lower() if ch.isalnum() or ch in "-.")
    return f"{key or 'unknown'}@{FALLBACK_DOMAIN}"


class TeamsIdentities:
    """Maps a Teams user to a hirebot Person by the email the connector has for them."""

    def __init__(self, directory: Directory, connector: MemberLookup, *, tenant_id: str | None = None,
                 admins: frozenset[str] = frozenset(), ttl: float = IDENTITY_TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.connector = connector
        self.tenant_id = tenant_id
        self.admins = admins  # emails, lower case (HIREBOT_TEAMS_ADMINS)
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
            if exc.retryable or getattr(exc, "status", None) not in NOT_FOUND_STATUSES:
                log.warning("member lookup failed for %s: %s", place.user_id, exc)
                raise IdentityError(LOOKUP_FAILED) from None
            log.info("no member lookup for %s (%s); identified by their Entra id", place.user_id, exc)
            member = {}
        if str(member.get("userRole", "")).lower() == "guest":
            raise IdentityError(NO_GUESTS)
        name = member.get("name") if isinstance(member.get("name"), str) else place.user_name
        email = member_email(member) or fallback_email(place)
        return await self.people.person(WORKSPACE, ChatProfile(user_id=place.user_id, email=email,
                                                               display_name=name or None,
                                                               is_admin=email.lower() in self.admins),
                                        missing_email=LOOKUP_FAILED)

    async def workspace_id(self) -> int:
        return await self.people.workspace_id(WORKSPACE)
