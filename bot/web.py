"""The one aiohttp server: health and metrics for operators, ATS webhooks, and the routes front ends add.

Slack (`/slack/events`, `/slack/install`, `/slack/oauth_redirect`) and later the booking pages bring their
routes through `extra_routes` (or add a sub-application to the returned app before it starts), so one port
serves everything. Handlers here only translate HTTP; the webhook logic is in bot/webhooks.py.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

from aiohttp import web
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from adapters.registry import PROVIDER_NAMES
from bot.runtime import Runtime
from bot.webhooks import WebhookAnswer, WebhookReceiver, handle_webhook
from scheduler.sync_jobs import SyncScheduler
from store.models import AtsConnection, utcnow

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 3.0
# A webhook body is a few kilobytes, sent at once; a sender trickling one in is cut off rather than
# holding a handler, and one larger than this is refused (413) before it is read.
BODY_READ_TIMEOUT_SECONDS = 10.0
MAX_BODY_BYTES = 1024 * 1024
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Hook = Callable[[web.Application], Awaitable[None]]

RUNTIME_KEY = web.AppKey("hirebot_runtime", Runtime)
RECEIVER_KEY = web.AppKey("hirebot_webhooks", WebhookReceiver)
CLOCK_KEY: web.AppKey[Callable[[], datetime]] = web.AppKey("hirebot_clock")
BODY_TIMEOUT_KEY = web.AppKey("hirebot_body_timeout", float)
# One route for every registered ATS; any other provider in the path is a plain 404, as for any unknown URL.
WEBHOOK_ROUTE = "/webhooks/{provider:" + "|".join(re.escape(name) for name in PROVIDER_NAMES) + "}/{connection_id}"


def hirebot_version() -> str:
    try:
        return version("hirebot")
    except PackageNotFoundError:
        return "unknown"


def create_web_app(runtime: Runtime, *, extra_routes: Sequence[web.AbstractRouteDef] = (),
                   on_startup: Iterable[Hook] = (), on_cleanup: Iterable[Hook] = (),
                   receiver: WebhookReceiver | None = None, scheduler: SyncScheduler | None = None,
                   now: Callable[[], datetime] = utcnow) -> web.Application:
    """Build the server. With `scheduler`, polling starts and stops with the app and shares its sync
    leases and counters with the webhooks; `receiver` replaces the default webhook receiver (tests)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[RUNTIME_KEY] = runtime
    app[BODY_TIMEOUT_KEY] = BODY_READ_TIMEOUT_SECONDS
    syncer = scheduler.syncer if scheduler else None
    app[RECEIVER_KEY] = receiver or WebhookReceiver.for_runtime(runtime, syncer=syncer)
    app[CLOCK_KEY] = now
    app.add_routes([
        web.get("/healthz", healthz),
        web.get("/metrics", metrics),
        web.post(WEBHOOK_ROUTE, ats_webhook),
        *extra_routes,
    ])
    if scheduler is not None:
        app.on_startup.append(_starter(scheduler))
        app.on_cleanup.append(_stopper(scheduler))
    app.on_startup.extend(on_startup)
    app.on_cleanup.extend(on_cleanup)
    app.on_cleanup.append(_close_receiver)
    return app


def _starter(scheduler: SyncScheduler) -> Hook:
    async def start(_app: web.Application) -> None:
        scheduler.start()
    return start


def _stopper(scheduler: SyncScheduler) -> Hook:
    async def stop(_app: web.Application) -> None:
        scheduler.shutdown()
    return stop


async def _close_receiver(app: web.Application) -> None:
    await app[RECEIVER_KEY].close()


# -- webhooks ------------------------------------------------------------------------------------------------


async def ats_webhook(request: web.Request) -> web.Response:
    try:
        async with asyncio.timeout(request.app[BODY_TIMEOUT_KEY]):
            raw_body = await request.read()  # signatures cover these exact bytes: read them before anything else
    except TimeoutError:
        log.warning("a webhook body for %s took longer than %.0f s to arrive; cut off", request.path,
                    request.app[BODY_TIMEOUT_KEY])
        return web.json_response({"error": "timeout"}, status=408, headers={"Connection": "close"})
    answer = await handle_webhook(request.app[RECEIVER_KEY], request.match_info["provider"],
                                  request.match_info["connection_id"], raw_body, request.headers)
    return _json(answer)


def _json(answer: WebhookAnswer) -> web.Response:
    return web.json_response(answer.body, status=answer.status)


# -- health --------------------------------------------------------------------------------------------------


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers, 503 when it does not; never any detail of why (that is in the log)."""
    database_ok = await _database_answers(request.app[RUNTIME_KEY].engine)
    body = {"status": "ok" if database_ok else "unavailable",
            "database": "ok" if database_ok else "unreachable", "version": hirebot_version()}
    return web.json_response(body, status=200 if database_ok else 503)


async def _database_answers(engine: Engine) -> bool:
    def ping() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(asyncio.to_thread(ping), HEALTH_TIMEOUT_SECONDS)
    except Exception as exc:
        log.warning("Health check: the database did not answer (%s)", type(exc).__name__)
        return False
    return True


# -- metrics -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionSyncState:
    connection_id: int
    provider: str
    last_sync_at: datetime | None
    failing: bool


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition of this process's counters and each connection's sync freshness."""
    runtime, receiver = request.app[RUNTIME_KEY], request.app[RECEIVER_KEY]
    try:
        states: list[ConnectionSyncState] | None = await asyncio.wait_for(
            asyncio.to_thread(connection_states, runtime.sessions), HEALTH_TIMEOUT_SECONDS)
    except Exception as exc:
        log.warning("Metrics: could not read connections (%s)", type(exc).__name__)
        states = None
    body = render_metrics(receiver.deliveries, receiver.syncer.outcomes, states, now=request.app[CLOCK_KEY]())
    return web.Response(body=body.encode(), headers={"Content-Type": METRICS_CONTENT_TYPE})


def connection_states(sessions: sessionmaker[Session]) -> list[ConnectionSyncState]:
    with sessions() as session:
        rows = session.execute(select(AtsConnection.id, AtsConnection.provider, AtsConnection.last_sync_at,
                                      AtsConnection.last_error)
                               .where(AtsConnection.is_active.is_(True)).order_by(AtsConnection.id))
        return [ConnectionSyncState(row.id, row.provider, row.last_sync_at, bool(row.last_error))
                for row in rows]


def render_metrics(deliveries: Counter[tuple[str, str]], syncs: Counter[tuple[str, str]],
                   states: list[ConnectionSyncState] | None, *, now: datetime) -> str:
    """Hand-written exposition format 0.0.4: HELP and TYPE per family, escaped label values."""
    lines: list[str] = []
    _family(lines, "hirebot_build_info", "gauge", "The running hirebot version.",
            [({"version": hirebot_version()}, 1)])
    _family(lines, "hirebot_database_up", "gauge", "Whether the database answered this scrape.",
            [({}, 0 if states is None else 1)])
    _family(lines, "hirebot_webhook_deliveries_total", "counter",
            "Webhook deliveries received by this process, by provider and outcome.",
            [({"provider": provider, "outcome": outcome}, count)
             for (provider, outcome), count in sorted(deliveries.items())])
    _family(lines, "hirebot_syncs_total", "counter", "Sync runs by this process, by trigger and outcome.",
            [({"trigger": trigger, "outcome": outcome}, count)
             for (trigger, outcome), count in sorted(syncs.items())])
    states = states or []
    _family(lines, "hirebot_connection_last_sync_age_seconds", "gauge",
            "Seconds since each connection last completed a sync (absent before its first).",
            [({"connection_id": str(s.connection_id), "provider": s.provider},
              round(max(0.0, (now - s.last_sync_at).total_seconds()), 3))
             for s in states if s.last_sync_at is not None])
    _family(lines, "hirebot_connection_sync_failing", "gauge", "1 when the connection's last sync failed.",
            [({"connection_id": str(s.connection_id), "provider": s.provider}, int(s.failing))
             for s in states])
    return "\n".join(lines) + "\n"


def _family(lines: list[str], name: str, kind: str, help_text: str,
            samples: Iterable[tuple[dict[str, str], float]]) -> None:
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} {kind}")
    for labels, value in samples:
        rendered = ",".join(f'{key}="{_label_value(raw)}"' for key, raw in labels.items())
        lines.append(f"{name}{{{rendered}}} {value:g}" if rendered else f"{name} {value:g}")


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
