"""A chat platform's user mapped to a hirebot user by the email address their platform profile has.

Every platform can tell who sent a message and (with the right permission) that person's email; hirebot
users are keyed by email inside a workspace, so the same person is the same user wherever they ask. The
platform reads the profile (`ChatProfile`); this module finds or creates the user and caches the answer
briefly, so a conversation doesn't read the profile on every message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.directory import Directory
from bot.frontend.protocol import IdentityError
from bot.messages import Person

IDENTITY_TTL_SECONDS = 300.0


@dataclass(frozen=True)
class ChatProfile:
    """What a platform's profile says about a person."""

    user_id: str
    email: str | None
    display_name: str | None = None
    is_admin: bool = False
    timezone: str | None = None


@dataclass(frozen=True)
class WorkspaceKey:
    """The hirebot workspace a platform's team maps to; None maps to hirebot's default workspace (one
    configured workspace: org-wide connections made with `hirebot connect --scope org` serve it at once)."""

    platform: str
    external_id: str | None
    name: str = ""


class PeopleByEmail:
    """Finds the hirebot user for a platform profile, cached per (workspace, platform user) for `ttl` seconds."""

    def __init__(self, directory: Directory, *, ttl: float = IDENTITY_TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.directory = directory
        self.ttl = ttl
        self.clock = clock
        self._people: dict[tuple[str, str], tuple[float, Person]] = {}
        self._workspaces: dict[WorkspaceKey, int] = {}

    def cached(self, workspace: WorkspaceKey, user_id: str) -> Person | None:
        hit = self._people.get((workspace.external_id or "", user_id))
        if hit and self.clock() - hit[0] < self.ttl:
            return hit[1]
        return None

    async def person(self, workspace: WorkspaceKey, profile: ChatProfile, *, missing_email: str) -> Person:
        """The user for `profile`; IdentityError(`missing_email`) when the platform didn't share an email."""
        if not profile.email:
            raise IdentityError(missing_email)
        workspace_id = await self.workspace_id(workspace)
        person = await asyncio.to_thread(
            self.directory.person_for, workspace_id, email=profile.email, chat_user_id=profile.user_id,
            display_name=profile.display_name, is_admin=profile.is_admin, timezone=profile.timezone)
        self._people[(workspace.external_id or "", profile.user_id)] = (self.clock(), person)
        return person

    async def workspace_id(self, workspace: WorkspaceKey) -> int:
        if workspace not in self._workspaces:
            if workspace.external_id:
                found = await asyncio.to_thread(self.directory.workspace_for, workspace.platform,
                                                workspace.external_id, workspace.name)
            else:
                found = await asyncio.to_thread(self.directory.default_workspace)
            self._workspaces[workspace] = found.id
        return self._workspaces[workspace]
