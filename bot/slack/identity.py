"""Who a Slack user is: their profile (users.info, which needs users:read.email for the address) mapped to a
hirebot user by email, and the addresses of colleagues picked in the scheduling form."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.directory import Directory
from bot.frontend.identity import IDENTITY_TTL_SECONDS, ChatProfile, PeopleByEmail, WorkspaceKey
from bot.frontend.protocol import IdentityError
from bot.messages import Person
from bot.slack.web_api import slack_error

log = logging.getLogger(__name__)

NO_EMAIL = ("Slack didn't share your email address with me, and I need it to know which candidates you may "
            "see. Ask a Slack admin to check that hirebot has the users:read.email permission.")


class SlackIdentities:
    """Maps a Slack user to a hirebot Person by the email Slack has for them, cached briefly.

    With OAuth installs each Slack team is its own hirebot workspace; with one configured workspace
    (SLACK_BOT_TOKEN) its people belong to hirebot's default workspace."""

    def __init__(self, directory: Directory, *, multi_workspace: bool, ttl: float = IDENTITY_TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.multi_workspace = multi_workspace
        self.people = PeopleByEmail(directory, ttl=ttl, clock=clock)

    async def person(self, client: AsyncWebClient, team_id: str | None, user_id: str) -> Person:
        workspace = self.workspace(team_id)
        cached = self.people.cached(workspace, user_id)
        if cached is not None:
            return cached
        profile = await self._slack_user(client, user_id)
        user_team = profile.get("team_id")
        if team_id and user_team and user_team != team_id and not profile.get("enterprise_user"):
            raise IdentityError("I only answer people from the workspace I'm installed in.")
        details = profile.get("profile") or {}
        return await self.people.person(workspace, ChatProfile(
            user_id=user_id, email=str(details["email"]) if details.get("email") else None,
            display_name=details.get("real_name") or profile.get("real_name"),
            is_admin=bool(profile.get("is_admin") or profile.get("is_owner")), timezone=profile.get("tz")),
            missing_email=NO_EMAIL)

    def workspace(self, team_id: str | None) -> WorkspaceKey:
        if self.multi_workspace and team_id:
            return WorkspaceKey("slack", team_id, f"Slack {team_id}")
        return WorkspaceKey("slack", None)

    async def _slack_user(self, client: AsyncWebClient, user_id: str) -> dict[str, Any]:
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, slack_error(exc))
            raise IdentityError("I couldn't read your Slack profile just now. Please try again in a moment.") from exc
        user = response.get("user") or {}
        if user.get("is_bot"):
            raise IdentityError("I only answer people, not other apps.")
        return dict(user)


async def slack_people_emails(client: AsyncWebClient, user_ids: Sequence[str]
                              ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The email address Slack has for each picked person, and a sentence for each one it can't give."""
    answers = await asyncio.gather(*(_person_email(client, user_id) for user_id in user_ids))
    emails = tuple(email for email, _ in answers if email)
    problems = tuple(problem for _, problem in answers if problem)
    return emails, problems


async def _person_email(client: AsyncWebClient, user_id: str) -> tuple[str | None, str | None]:
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as exc:
        log.warning("users.info failed for %s while reading a schedule form: %s", user_id, slack_error(exc))
        return None, "I couldn't look up one of the people you picked in Slack just now. Please try again."
    user = response.get("user") or {}
    profile = user.get("profile") or {}
    name = profile.get("real_name") or user.get("real_name") or user.get("name") or "One of the people you picked"
    if user.get("is_bot"):
        return None, f"{name} is an app, not a person, so I can't invite them."
    email = profile.get("email")
    if not email:
        return None, f"Slack didn't share {name}'s email address with me; type it in the email field instead."
    return str(email).lower(), None
