"""The Slack front end's wiring: the slack-bolt AsyncApp with every listener registered, its aiohttp routes,
OAuth installs for many workspaces, and `SlackFrontEnd`, which `hirebot run` mounts and starts.

What the listeners do lives beside this: conversations in bot/slack/conversation.py (on the shared
bot/frontend seam), the App Home in connect.py, the scheduling modal in schedule_edit.py, notices in
notices.py. Settings are read in config.py, the Web API client is made in web_api.py.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import ConfigError
from bot.connections import ConnectionService
from bot.directory import Directory
from bot.frontend.notifier import NotifierBridge
from bot.frontend.runner import CoreRunner, core_runner
from bot.frontend.zones import OrganizerZones
from bot.slack.blocks import DO_PREFIX, EDIT_ACTION, LINK_PREFIX, PICK_PREFIX
from bot.slack.config import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, SlackMode, slack_mode
from bot.slack.conversation import SlackConversation
from bot.slack.files import FileFetcher
from bot.slack.home import ADD_ACTION, CONNECT_CALLBACK, REMOVE_ACTION
from bot.slack.identity import SlackIdentities
from bot.slack.inbound import BODY_READ_TIMEOUT_SECONDS, Refused, checked_request
from bot.slack.installation import DatabaseInstallationStore, DatabaseOAuthStateStore
from bot.slack.notices import SlackDirectMessages
from bot.slack.schedule_modal import SCHEDULE_CALLBACK
from bot.slack.scopes import REQUIRED_BOT_SCOPES, SLASH_COMMAND, SUBSCRIBED_EVENTS
from bot.slack.web_api import WEB_API_TIMEOUT_SECONDS, BotTokens, Sleep, make_web_client
from store.crypto import SecretBox
from store.event_receipts import EventReceipts
from store.models import utcnow
from store.settings import Settings

if TYPE_CHECKING:
    from bot.core import Assistant
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

FREQUENT_EVENTS = ("message.im", "app_mention")  # questions: matched before the rare events


def build_slack_app(settings: Settings, sessions: sessionmaker[Session], assistant: Assistant,
                    directory: Directory, connections: ConnectionService, *,
                    client: AsyncWebClient | None = None, secret_box: SecretBox | None = None,
                    engine: Engine | None = None, clock: Callable[[], float] = time.monotonic,
                    sleep: Sleep = asyncio.sleep, core_processes: int = 0,
                    now: Callable[[], datetime] = utcnow) -> AsyncApp:
    """The Bolt app with every listener registered; its `conversation` attribute holds the listener object
    and `bot_tokens` what the meeting notifier posts with.

    `core_processes` > 0 answers questions in that many separate processes (bot/frontend/runner.py); 0
    uses `assistant` on a thread of this process. `now` is the wall clock (the scheduling modal's "today").
    """
    mode = slack_mode(settings)
    if mode is None:
        raise ConfigError("Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN).")
    if client is None:
        client = make_web_client(settings, token=None if mode.multi_workspace else settings.slack_bot_token,
                                 sleep=sleep)
    oauth_settings = authorize = None
    if mode.multi_workspace:
        oauth_settings = _oauth_settings(settings, sessions, secret_box, engine)
        authorize = _installation_authorize(oauth_settings, client)
    app = AsyncApp(
        name="hirebot",
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=mode.serve_http_events,
        oauth_settings=oauth_settings,
        authorize=authorize,  # type: ignore[arg-type]  # Bolt accepts an AsyncAuthorize instance here too
        installation_store_bot_only=True if mode.multi_workspace else None,
        logger=logging.getLogger("hirebot.slack.bolt"),
    )
    identities = SlackIdentities(directory, multi_workspace=mode.multi_workspace, clock=clock)
    conversation = SlackConversation(core_runner(settings, assistant, core_processes), directory, connections,
                                     identities, zones=OrganizerZones(sessions, secret_box), now=now,
                                     files=FileFetcher(mode.api_url),
                                     intakes=assistant.scheduling.intakes if assistant.scheduling else None,
                                     first_receipt=EventReceipts(sessions).first)
    register_listeners(app, conversation, multi_workspace=mode.multi_workspace)
    app.conversation = conversation  # type: ignore[attr-defined]
    # What slack_routes checks signatures with before Bolt parses a body (bot/slack/inbound.py).
    app.signing_secret = settings.slack_signing_secret if mode.serve_http_events else None  # type: ignore[attr-defined]
    app.bot_tokens = (BotTokens(client, authorize=authorize) if authorize is not None  # type: ignore[attr-defined]
                      else BotTokens(client, token=settings.slack_bot_token))
    return app


def _oauth_settings(settings: Settings, sessions: sessionmaker[Session], secret_box: SecretBox | None,
                    engine: Engine | None) -> AsyncOAuthSettings:
    if secret_box is None:
        raise ConfigError("Multi-workspace Slack needs hirebot's secret key to encrypt the workspace tokens.")
    bound = engine or sessions.kw.get("bind")
    if not isinstance(bound, Engine):
        raise ConfigError("Multi-workspace Slack needs the database engine to store installations.")
    assert settings.slack_client_id and settings.slack_client_secret
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(REQUIRED_BOT_SCOPES),
        redirect_uri=f"{settings.public_url}{REDIRECT_PATH}",
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=DatabaseInstallationStore(settings.slack_client_id, bound, secret_box),
        state_store=DatabaseOAuthStateStore(bound),
        installation_store_bot_only=True,
        token_rotation_expiration_minutes=120,
    )


def _installation_authorize(oauth_settings: AsyncOAuthSettings, client: AsyncWebClient
                            ) -> AsyncInstallationStoreAuthorize:
    """Bolt's default authorize rotates tokens through slack.com whatever the client says; this one uses
    our client (HIREBOT_SLACK_API_URL, retries) and caches auth.test per token instead of calling it per event."""
    assert oauth_settings.installation_store is not None
    return AsyncInstallationStoreAuthorize(
        logger=logging.getLogger("hirebot.slack.bolt"),
        installation_store=oauth_settings.installation_store,
        client_id=oauth_settings.client_id,
        client_secret=oauth_settings.client_secret,
        token_rotation_expiration_minutes=oauth_settings.token_rotation_expiration_minutes,
        bot_only=True,
        cache_enabled=True,
        client=client,
    )


def register_listeners(app: AsyncApp, conversation: SlackConversation, *, multi_workspace: bool) -> None:
    """Every Slack listener hirebot has; the events come from SUBSCRIBED_EVENTS so the manifest can be checked."""
    event_handlers: dict[str, Callable[..., Awaitable[None]]] = {
        "app_home_opened": conversation.home.on_home_opened,
        "app_mention": conversation.on_mention,
        "message.im": conversation.on_message,
    }
    if not multi_workspace:
        event_handlers["app_uninstalled"] = _log_uninstall
        event_handlers["tokens_revoked"] = _log_uninstall
    # Bolt tries listeners in the order they were registered, building every argument a listener could
    # take for each one it tries; the events are of different types, so the order changes nothing but
    # the cost, and DMs (nearly all traffic) are tried first.
    for name in sorted(SUBSCRIBED_EVENTS, key=_frequency_rank):
        handler = event_handlers.get(name)
        if handler is not None:
            # Bolt knows "message.im" as "message"; on_message keeps only DMs.
            app.event(name.split(".", 1)[0])(handler)
    if multi_workspace:
        app.enable_token_revocation_listeners()  # deletes the workspace's stored tokens
    app.command(SLASH_COMMAND)(conversation.on_command)
    app.action(_prefixed(PICK_PREFIX))(conversation.on_pick)
    app.action(_prefixed(DO_PREFIX))(conversation.on_do)
    app.action(_prefixed(LINK_PREFIX))(conversation.on_link)
    app.action(ADD_ACTION)(conversation.home.on_home_add)
    app.action(REMOVE_ACTION)(conversation.home.on_home_remove)
    app.view(CONNECT_CALLBACK)(conversation.home.on_connect_submit)
    app.action(EDIT_ACTION)(conversation.scheduling.on_schedule_edit)
    app.view(SCHEDULE_CALLBACK)(conversation.scheduling.on_schedule_submit)
    app.error(_log_error)


def _frequency_rank(event: str) -> int:
    return FREQUENT_EVENTS.index(event) if event in FREQUENT_EVENTS else len(FREQUENT_EVENTS)


def _prefixed(prefix: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(prefix))


async def _log_uninstall(event: dict[str, Any], body: dict[str, Any]) -> None:
    log.warning("Slack reports %s for team %s; with a fixed SLACK_BOT_TOKEN there is nothing stored to delete.",
                event.get("type"), body.get("team_id"))


async def _log_error(error: Exception, body: dict[str, Any]) -> None:
    log.error("unhandled error in a Slack listener (type=%s, team=%s): %r", body.get("type"),
              body.get("team_id") or (body.get("team") or {}).get("id"), error, exc_info=error)


def slack_routes(app: AsyncApp, *, serve_events: bool = True) -> list[web.RouteDef]:
    """aiohttp routes for one shared server: POST /slack/events, and the OAuth pages in multi-workspace mode."""

    signing_secret: str | None = getattr(app, "signing_secret", None) if serve_events else None

    async def events(request: web.Request) -> web.StreamResponse:
        try:
            async with asyncio.timeout(BODY_READ_TIMEOUT_SECONDS):
                body = await request.read()
        except TimeoutError:
            log.warning("a request to %s took longer than %.0f s to arrive; cut off", EVENTS_PATH,
                        BODY_READ_TIMEOUT_SECONDS)
            return web.Response(status=408, headers={"Connection": "close"})
        try:
            bolt_request = checked_request(body, request.headers, request.query_string,
                                           signing_secret=signing_secret)
        except Refused as refused:
            log.info("refused a request to %s: %s", EVENTS_PATH, refused)
            return web.Response(status=refused.status)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    routes = [web.post(EVENTS_PATH, events)] if serve_events else []
    flow = app.oauth_flow
    if flow is not None:
        async def install(request: web.Request) -> web.StreamResponse:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def callback(request: web.Request) -> web.StreamResponse:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        routes += [web.get(flow.install_path, install), web.get(flow.redirect_uri_path, callback)]
    return routes


class SlackFrontEnd:
    """What `hirebot run` mounts and starts (a bot.frontend.protocol.FrontEnd): routes on its aiohttp server,
    plus Socket Mode when configured."""

    name = "slack"

    def __init__(self, app: AsyncApp, mode: SlackMode, settings: Settings) -> None:
        self.app = app
        self.mode = mode
        self.settings = settings
        self._socket: Any = None
        self._http: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # where Web API calls run; the notifier posts there

    @classmethod
    def from_settings(cls, settings: Settings, sessions: sessionmaker[Session], assistant: Assistant,
                      directory: Directory, connections: ConnectionService, *,
                      secret_box: SecretBox | None = None, engine: Engine | None = None,
                      core_processes: int = 1) -> SlackFrontEnd | None:
        """None when Slack is not configured; ConfigError (saying what to set) when it is half configured.

        By default questions are answered in one separate core process (a ProcessCore), which keeps acks
        fast under load; `core_processes=0` answers with `assistant` on a thread of this process instead.
        """
        mode = slack_mode(settings)
        if mode is None:
            return None
        app = build_slack_app(settings, sessions, assistant, directory, connections, secret_box=secret_box,
                              engine=engine, core_processes=core_processes)
        return cls(app, mode, settings)

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> SlackFrontEnd | None:
        """The front end `hirebot run` mounts when Slack is configured (see bot/server.py's registry)."""
        return cls.from_settings(runtime.settings, runtime.sessions, runtime.assistant, runtime.directory,
                                 runtime.connections, secret_box=runtime.box, engine=runtime.engine,
                                 core_processes=runtime.settings.workers)

    @property
    def conversation(self) -> SlackConversation:
        return self.app.conversation  # type: ignore[attr-defined]

    @property
    def core(self) -> CoreRunner:
        return self.conversation.core

    def routes(self) -> list[web.RouteDef]:
        return slack_routes(self.app, serve_events=self.mode.serve_http_events)

    def describe(self) -> list[str]:
        return self.mode.describe(self.settings.public_url)

    def direct_messages(self) -> SlackDirectMessages:
        """Direct messages to hirebot users (meeting notices, briefings), for the notifier bridge."""
        return SlackDirectMessages(self.app.client, self.app.bot_tokens,  # type: ignore[attr-defined]
                                   multi_workspace=self.mode.multi_workspace)

    def notifier(self) -> NotifierBridge:
        """The ChatNotifier and BriefingSender for `Scheduling`: meeting notices as DMs to the organizer, with
        Reschedule and Cancel buttons, and briefings. It can be made before `start`; notices wait for Slack
        until then (the job is retried)."""
        return NotifierBridge(self.conversation.directory.sessions, self.direct_messages(), lambda: self._loop,
                              box=self.conversation.scheduling.zones.box, now=self.conversation.scheduling.now)

    async def start(self) -> None:
        """Share one HTTP connection pool for Web API calls; connect Socket Mode when SLACK_APP_TOKEN is set."""
        self._loop = asyncio.get_running_loop()
        # Without a shared session slack_sdk opens a new session and connection for every call.
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WEB_API_TIMEOUT_SECONDS))
        self.app.client.session = self._http
        self.conversation.http_session = self._http
        if not self.mode.socket_mode:
            return
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        self._socket = AsyncSocketModeHandler(self.app, app_token=self.settings.slack_app_token,
                                              web_client=self.app.client)
        await self._socket.connect_async()

    async def close(self) -> None:
        self._loop = None  # notices from now on wait for the next start (their jobs are retried)
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        await self.conversation.cancel_background()
        if self._http is not None:
            self.app.client.session = None
            self.conversation.http_session = None
            await self._http.close()
            self._http = None
