"""`hirebot run`: composes the one aiohttp server from the configured front ends and background work.

Every chat front end whose configuration is set (a small registry: Slack and Teams), ATS webhooks, booking
pages, health and metrics share one port; the sync scheduler polls every connection as a safety net behind
the webhooks. Meeting notices and briefings reach people through the front ends' direct messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

from adapters.errors import ConfigError
from bot.access_log import BookingSafeAccessLogger
from bot.background import background_hooks
from bot.booking import booking_routes
from bot.briefing_card import RenderingBriefingSender
from bot.frontend.notifier import NotifierBridge
from bot.frontend.protocol import FrontEnd
from bot.frontend.runner import ProcessCore
from bot.runtime import Runtime
from bot.slack.app import SlackFrontEnd
from bot.teams.app import TeamsFrontEnd
from bot.web import Hook, create_web_app
from scheduler.sync_jobs import SyncSchedule, SyncScheduler
from store.models import utcnow

log = logging.getLogger(__name__)

CHAT_NOT_CONFIGURED = (
    "Chat: not configured, so nobody can ask hirebot anything and meeting notices wait. For Slack set "
    "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (one workspace over HTTP), add SLACK_APP_TOKEN for Socket Mode "
    "(no public URL needed), or set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET to install "
    "into many workspaces. docs/slack.md walks through it."
    " For Microsoft Teams set TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_APP_TENANT_ID (docs/teams.md)."
)

FrontEndFactory = Callable[[Runtime], FrontEnd | None]
# Each returns its front end when its configuration is set, None when it isn't, and raises ConfigError
# (saying what to set) when it is half done. A new chat platform adds one entry.
# Teams comes first: its direct messages claim only people it keeps a reference for, while single-workspace
# Slack claims anyone with a chat id in the default workspace, which both share.
FRONT_ENDS: tuple[FrontEndFactory, ...] = (TeamsFrontEnd.for_runtime,
                                           SlackFrontEnd.for_runtime)


def configured_front_ends(runtime: Runtime,
                          factories: tuple[FrontEndFactory, ...] = FRONT_ENDS) -> list[FrontEnd]:
    """The front ends the settings enable, in registry order."""
    return [front for factory in factories if (front := factory(runtime)) is not None]


def build_server(runtime: Runtime, *, say: Callable[[str], None] = print) -> web.Application:
    """The web application with every configured front end mounted. With none configured it still serves
    booking pages, ATS webhooks, health and metrics (the links `hirebot schedule` prints must load), and
    says that chat is not configured."""
    settings = runtime.settings
    fronts = configured_front_ends(runtime)
    if not fronts:
        say(CHAT_NOT_CONFIGURED)
    for front in fronts:
        for line in front.describe():
            say(line)
    scheduler = SyncScheduler(runtime.connection_syncer(), SyncSchedule.from_env())
    say(f"ATS webhooks: {settings.public_url}/webhooks/<provider>/<connection id> (see `hirebot webhooks`); "
        f"polling every {int(scheduler.schedule.interval)} s as a safety net.")
    say(f"Health: {settings.public_url}/healthz · metrics: {settings.public_url}/metrics")

    scheduling = runtime.scheduling
    assert scheduling is not None
    running: dict[str, asyncio.AbstractEventLoop] = {}  # the server's loop while the front ends are started
    # Meeting notices and pre-meeting briefings go out as DMs through the front ends; until they have
    # started (and after they stop) notices wait, their jobs retried.
    if fronts:
        notifier = NotifierBridge(runtime.sessions, [front.direct_messages() for front in fronts],
                                  lambda: running.get("loop"), box=runtime.box)
        scheduling.set_notifier(notifier)
        scheduling.set_briefing_sender(RenderingBriefingSender(notifier))
    for front in fronts:
        if isinstance(front.core, ProcessCore):
            # Meetings changed in a core process plan their jobs there; this process's runner sends them.
            front.core.on_meeting_change = lambda: scheduling.runner.nudge(utcnow())
    say(f"Booking pages for candidates: {settings.public_url}/book/… · emails via "
        f"{'SMTP' if settings.smtp_url else 'files in ' + str(settings.data_dir / 'outbox-mail')}")

    start_background, stop_background = background_hooks(runtime)

    async def start_fronts(_app: web.Application) -> None:
        for front in fronts:
            await front.start()
        running["loop"] = asyncio.get_running_loop()
        await start_background(_app)

    async def close_fronts(_app: web.Application) -> None:
        await stop_background(_app)
        running.pop("loop", None)
        for front in reversed(fronts):
            await front.close()

    startup: list[Hook] = [start_fronts]
    cleanup: list[Hook] = [close_fronts]
    routes = [route for front in fronts for route in front.routes()]
    routes += booking_routes(scheduling.service, token_key=scheduling.token_key)
    return create_web_app(runtime, extra_routes=routes, on_startup=startup, on_cleanup=cleanup,
                          scheduler=scheduler)


# hirebot's own loggers and the access log (booking tokens already hashed) follow HIREBOT_LOG_LEVEL; libraries
# (apscheduler, httpx, slack_sdk) only say warnings, unless the level is DEBUG, when everything speaks.
OWN_LOGGERS = ("bot", "scheduler", "store", "adapters", "aiohttp.access")


def quiet_logging(level: str) -> None:
    """Log levels for `hirebot run`: a quiet start that still shows hirebot's own news and every warning."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ConfigError(f"HIREBOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}.")
    logging.getLogger().setLevel(logging.DEBUG if numeric <= logging.DEBUG else logging.WARNING)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(numeric)


def serve(runtime: Runtime, *, host: str, say: Callable[[str], None] = print) -> None:
    app = build_server(runtime, say=say)
    say(f"hirebot is listening on http://{host}:{runtime.settings.port}")
    web.run_app(app, host=host, port=runtime.settings.port, print=None, handle_signals=True,
                access_log_class=BookingSafeAccessLogger)
