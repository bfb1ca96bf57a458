"""The App Home tab: the person's ATS connections, with Add (a modal drawn from the provider spec, checked
with the ATS before saving) and Remove. The connect steps and their sentences are bot/frontend/connect.py;
the views are bot/slack/home.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.errors import HirebotError
from adapters.spec import ProviderSpec
from bot.connections import ConnectionInfo, ConnectionService, provider_spec
from bot.frontend.connect import CHECK_FAILED, ConnectFlow
from bot.frontend.protocol import IdentityError
from bot.slack.blocks import text_message
from bot.slack.delivery import dm, team_of, update_view
from bot.slack.home import (
    CONNECT_CALLBACK,
    blank_required_fields,
    checking_modal,
    connect_modal,
    connected_modal,
    home_view,
    read_connect_form,
)
from bot.slack.identity import SlackIdentities
from bot.slack.web_api import slack_error

log = logging.getLogger(__name__)

ERRORS_SHOWN_IN = "the Home tab"  # where a connection's latest sync error shows in Slack

Spawn = Callable[[Coroutine[Any, Any, None]], None]


def notice_modal(text: str) -> dict[str, Any]:
    """A modal that only says something (why the Add form can't be shown)."""
    return {"type": "modal", "callback_id": CONNECT_CALLBACK, "title": {"type": "plain_text", "text": "hirebot"},
            "close": {"type": "plain_text", "text": "Close"}, "blocks": text_message(text).blocks}


class SlackHome:
    """The App Home listeners; first syncs run in the background through `spawn` (the TurnDesk's)."""

    def __init__(self, identities: SlackIdentities, connections: ConnectionService,
                 providers: Sequence[ProviderSpec], *, spawn: Spawn) -> None:
        self.identities = identities
        self.connections = connections
        self.flow = ConnectFlow(connections)
        self.providers = tuple(providers)
        self.spawn = spawn

    async def on_home_opened(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        await self.publish_home(client, body.get("team_id"), event["user"])

    async def publish_home(self, client: AsyncWebClient, team_id: str | None, user_id: str) -> None:
        try:
            person = await self.identities.person(client, team_id, user_id)
            infos = await asyncio.to_thread(self.connections.list_for, person)
            await client.views_publish(user_id=user_id, view=home_view(self.providers, infos, person))
        except IdentityError as exc:
            await self._publish_notice(client, user_id, str(exc))
        except SlackApiError as exc:
            log.error("could not publish the Home tab for %s: %s", user_id, slack_error(exc))

    async def _publish_notice(self, client: AsyncWebClient, user_id: str, text: str) -> None:
        try:
            await client.views_publish(user_id=user_id, view={"type": "home", "blocks": text_message(text).blocks})
        except SlackApiError as exc:
            log.error("could not publish the Home tab notice for %s: %s", user_id, slack_error(exc))

    async def on_home_add(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                          action: dict[str, Any], client: AsyncWebClient) -> None:
        """Add: open the provider's modal at once (the trigger id expires after 3 s)."""
        await ack()
        team_id, user_id = team_of(body), body["user"]["id"]
        try:
            spec = provider_spec(str(action.get("value")))
            person = await self.identities.person(client, team_id, user_id)
            view = connect_modal(spec, allow_org=person.is_admin)
        except HirebotError as exc:
            view = notice_modal(str(exc))
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as exc:
            log.error("could not open the Add modal for %s: %s", user_id, slack_error(exc))
            await dm(client, user_id, "Sorry, I couldn't open that form. Please click Add again.")

    async def on_home_remove(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                             action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        team_id, user_id = team_of(body), body["user"]["id"]
        try:
            person = await self.identities.person(client, team_id, user_id)
            await asyncio.to_thread(self.connections.remove, person, int(str(action.get("value"))))
        except (HirebotError, ValueError) as exc:
            await dm(client, user_id, f"I couldn't remove that connection: {exc}")
        await self.publish_home(client, team_id, user_id)

    async def on_connect_submit(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any],
                                view: dict[str, Any], client: AsyncWebClient) -> None:
        """Check the credentials with the ATS (slow, so after the ack), save, then sync in the background."""
        form = read_connect_form(view)
        try:
            spec = provider_spec(form.provider)
        except HirebotError as exc:
            await ack(response_action="update", view=notice_modal(str(exc)))
            return
        blanks = blank_required_fields(spec, form)
        if blanks:
            await ack(response_action="errors", errors=blanks)
            return
        await ack(response_action="update", view=checking_modal(spec))
        team_id, user_id = team_of(body), body["user"]["id"]
        try:
            person = await self.identities.person(client, team_id, user_id)
            info = await self.flow.connect(person, spec, form.values, requested_scope=form.scope)
        except Exception as exc:
            if not isinstance(exc, HirebotError):
                log.exception("connecting %s for %s failed", spec.name, user_id)
            error = str(exc) if isinstance(exc, HirebotError) else CHECK_FAILED
            retry = connect_modal(spec, allow_org=form.scope_offered, error=error, values=form.values,
                                  scope=form.scope)
            await update_view(client, view, retry)
            return
        await update_view(client, view, connected_modal(spec, info))
        self.spawn(self._first_sync(client, team_id, user_id, info))
        await self.publish_home(client, team_id, user_id)

    async def _first_sync(self, client: AsyncWebClient, team_id: str | None, user_id: str,
                          info: ConnectionInfo) -> None:
        await dm(client, user_id, await self.flow.first_sync(info, errors_shown_in=ERRORS_SHOWN_IN))
        await self.publish_home(client, team_id, user_id)
