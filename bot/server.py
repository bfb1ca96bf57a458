"""`hirebot run`: composes the one aiohttp server from the configured front ends and background work.

Slack (HTTP or Socket Mode), ATS webhooks, health and metrics share one port; the sync scheduler
polls every connection as a safety net behind the webhooks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from adapters.errors import ConfigError
from bot.access_log import BookingSafeAccessLogger
from bot.background import background_hooks
from bot.booking import booking_routes
from bot.runtime import Runtime
from bot.slack.app import ProcessCore, SlackFrontEnd
from bot.web import Hook, create_web_app
from scheduler.sync_jobs import ConnectionSyncer, SyncSchedule, SyncScheduler
from store.models import utcnow

log = logging.getLogger(__name__)

NOTHING_CONFIGURED = (
    "No chat front end is configured, so there is nothing to serve. For Slack set SLACK_BOT_TOKEN and "
    "SLACK_SIGNING_SECRET (one workspace over HTTP), add SLACK_APP_TOKEN for Socket Mode (no public URL "
    "needed), or set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET to install into many "
    "workspaces. docs/slack.md walks through it."
)


def build_server(runtime: Runtime, *, say: Callable[[str], None] = print) -> web.Application:
    """The web application with every configured front end mounted; refuses when none is configured."""
    settings = runtime.settings
    front = SlackFrontEnd.from_settings(settings, runtime.sessions, runtime.assistant, runtime.directory,
                                        runtime.connections, secret_box=runtime.box, engine=runtime.engine)
    if front is None:
        raise ConfigError(NOTHING_CONFIGURED)
    for line in front.describe():
        say(line)
    scheduler = SyncScheduler(ConnectionSyncer.for_runtime(runtime), SyncSchedule.from_env())
    say(f"ATS webhooks: {settings.public_url}/webhooks/<provider>/<connection id> (see `hirebot webhooks`); "
        f"polling every {int(scheduler.schedule.interval)} s as a safety net.")
    say(f"Health: {settings.public_url}/healthz · metrics: {settings.public_url}/metrics")

    scheduling = runtime.scheduling
    assert scheduling is not None
    notifier = front.notifier()  # meeting notices and pre-meeting briefings go out as Slack DMs
    scheduling.set_notifier(notifier)
    scheduling.set_briefing_sender(notifier)
    if isinstance(front.conversation.core, ProcessCore):
        # Meetings changed in a core process plan their jobs there; this process's runner sends them.
        front.conversation.core.on_meeting_change = lambda: scheduling.runner.nudge(utcnow())
    say(f"Booking pages for candidates: {settings.public_url}/book/… · emails via "
        f"{'SMTP' if settings.smtp_url else 'files in ' + str(settings.data_dir / 'outbox-mail')}")

    start_background, stop_background = background_hooks(runtime)

    async def start_front(_app: web.Application) -> None:
        await front.start()
        await start_background(_app)

    async def close_front(_app: web.Application) -> None:
        await stop_background(_app)
        await front.close()

    startup: list[Hook] = [start_front]
    cleanup: list[Hook] = [close_front]
    routes = [*front.routes(), *booking_routes(scheduling.service, token_key=scheduling.token_key)]
    return create_web_app(runtime, extra_routes=routes, on_startup=startup, on_cleanup=cleanup,
                          scheduler=scheduler)


def serve(runtime: Runtime, *, host: str, say: Callable[[str], None] = print) -> None:
    app = build_server(runtime, say=say)
    say(f"hirebot is listening on http://{host}:{runtime.settings.port}")
    web.run_app(app, host=host, port=runtime.settings.port, print=None, handle_signals=True,
                access_log_class=BookingSafeAccessLogger)
