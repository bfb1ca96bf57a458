"""The one web server: health, metrics, room for other front ends' routes, and the whole webhook path.

The end-to-end tests run hirebot as `hirebot run` would (Runtime, default receiver, real adapters) against
the Lever and Greenhouse sandboxes on loopback: connect, follow `hirebot webhooks`, register the webhooks
in the fake ATS, create a candidate there, and ask the assistant until it knows them (5 s at most).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer, unused_port
from sqlalchemy import update

from adapters.greenhouse.spec import GREENHOUSE_EVENTS
from adapters.lever.spec import LEVER_EVENTS
from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate as generate_greenhouse
from adapters.sandbox.lever import SANDBOX_API_KEY, LeverSandbox
from adapters.sandbox.lever_dataset import generate as generate_lever
from bot.messages import IncomingMessage
from bot.replies import MatchStatus
from bot.runtime import Runtime
from bot.web import (
    BODY_TIMEOUT_KEY,
    MAX_BODY_BYTES,
    ConnectionSyncState,
    create_web_app,
    hirebot_version,
    render_metrics,
)
from bot.webhook_setup import add_token as add_lever_token
from bot.webhook_setup import public_url_problem, webhook_instructions
from scheduler.sync_jobs import SyncSchedule, SyncScheduler
from store.db import make_engine, transaction
from store.models import AtsConnection
from store.settings import Settings
from tests.rigs.webhook_hub import Hub, open_runtime
from tests.waiting import eventually

ACCEPTANCE_SECONDS = 5.0


# -- health and metrics ------------------------------------------------------------------------------------


async def test_healthz_reports_the_database_and_version(tmp_path: Path, database_url: str) -> None:
    runtime = open_runtime(tmp_path, database_url)
    try:
        async with TestServer(create_web_app(runtime), host="127.0.0.1") as server, \
                aiohttp.ClientSession() as http, http.get(server.make_url("/healthz")) as response:
            assert response.status == 200
            assert await response.json() == {"status": "ok", "database": "ok", "version": hirebot_version()}
    finally:
        runtime.close()


async def test_healthz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    runtime = open_runtime(tmp_path, f"sqlite:///{tmp_path / 'ok.sqlite3'}")
    # A database server that is down: nothing listens on that port.
    down = make_engine(f"postgresql://hirebot@127.0.0.1:{unused_port()}/hirebot",
                       connect_args={"connect_timeout": 2})
    broken = replace(runtime, engine=down)
    try:
        async with TestServer(create_web_app(broken), host="127.0.0.1") as server, \
                aiohttp.ClientSession() as http, http.get(server.make_url("/healthz")) as response:
            assert response.status == 503
            body = await response.json()
        assert body == {"status": "unavailable", "database": "unreachable", "version": hirebot_version()}
    finally:
        broken.engine.dispose()
        runtime.close()


async def test_metrics_count_deliveries_and_show_sync_age(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    opp = next(iter(hub.sandbox.state.opportunities.values()))
    await hub.post(hub.url(), hub.lever_payload("candidateStageChange", opp.id))
    await hub.post(hub.url(), b"{}")
    last_sync = hub.clock.moment() - timedelta(seconds=42)
    with transaction(hub.runtime.sessions) as session:
        session.execute(update(AtsConnection).where(AtsConnection.id == hub.connection_id)
                        .values(last_sync_at=last_sync, last_error="Sync failed while reading users: 401"))

    async with hub.http.get(hub.server.make_url("/metrics")) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = await response.text()
    lines = set(text.splitlines())
    assert 'hirebot_webhook_deliveries_total{provider="lever",outcome="processed"} 1' in lines
    assert 'hirebot_webhook_deliveries_total{provider="lever",outcome="unauthorized"} 1' in lines
    lever = f'connection_id="{hub.connection_id}",provider="lever"'
    greenhouse = f'connection_id="{hub.greenhouse_id}",provider="greenhouse"'
    assert f"hirebot_connection_last_sync_age_seconds{{{lever}}} 42" in lines
    assert f"hirebot_connection_sync_failing{{{lever}}} 1" in lines
    assert f"hirebot_connection_sync_failing{{{greenhouse}}} 0" in lines
    assert "hirebot_database_up 1" in lines
    assert "# TYPE hirebot_syncs_total counter" in lines
    assert not any(line.startswith("hirebot_connection_last_sync_age_seconds") and "greenhouse" in line
                   for line in lines)  # never synced: no sample rather than a made-up age


def test_metrics_text_follows_the_exposition_format() -> None:
    states = [ConnectionSyncState(7, 'we"ird\\prov\nider', datetime(2026, 1, 1, tzinfo=UTC), False)]
    text = render_metrics(Counter({("greenhouse", "duplicate"): 3}), Counter({("poll", "ok"): 2}), states,
                          now=datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC))
    assert text.endswith("\n")
    escaped = 'connection_id="7",provider="we\\"ird\\\\prov\\nider"'
    assert f"hirebot_connection_last_sync_age_seconds{{{escaped}}} 90" in text
    assert 'hirebot_syncs_total{trigger="poll",outcome="ok"} 2' in text
    families = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")]
    assert len(families) == len(set(families)) == 6
    for line in text.splitlines():
        assert line.startswith("#") or line.split()[0].split("{")[0] in families
    down = render_metrics(Counter(), Counter(), None, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert "hirebot_database_up 0" in down


# -- the factory stays open for other front ends -----------------------------------------------------------


async def test_extra_routes_and_lifecycle_hooks_share_the_server(tmp_path: Path) -> None:
    runtime = open_runtime(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite3'}")
    calls: list[str] = []

    async def slack_events(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def started(_app: web.Application) -> None:
        calls.append("started")

    async def stopped(_app: web.Application) -> None:
        calls.append("stopped")

    scheduler = SyncScheduler(runtime.connection_syncer(), SyncSchedule())
    app = create_web_app(runtime, extra_routes=[web.post("/slack/events", slack_events)],
                         on_startup=[started], on_cleanup=[stopped], scheduler=scheduler)
    try:
        async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as http:
            assert scheduler.scheduler.running and calls == ["started"]
            async with http.post(server.make_url("/slack/events"), json={}) as response:
                assert response.status == 200 and await response.json() == {"ok": True}
            async with http.get(server.make_url("/healthz")) as response:
                assert response.status == 200
            async with http.get(server.make_url("/webhooks/lever/1")) as response:
                assert response.status == 405  # webhooks are POST only
        assert calls == ["started", "stopped"]
        await eventually(lambda: not scheduler.scheduler.running, 5)  # it stops on a later loop turn
    finally:
        runtime.close()


# -- `hirebot webhooks` ------------------------------------------------------------------------------------


def test_instructions_give_each_connection_its_url_and_secret_or_next_step(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    lever, greenhouse = webhook_instructions(hub.runtime)  # oldest connection first
    assert (greenhouse.connection_id, greenhouse.provider) == (hub.greenhouse_id, "greenhouse")
    assert greenhouse.url == f"https://hirebot.example/webhooks/greenhouse/{hub.greenhouse_id}"
    assert greenhouse.secret_or_note == "greenhouse-secret-key" and greenhouse.events == GREENHOUSE_EVENTS
    wanted = {"delete_candidate", "merge_candidate", "candidate_anonymized", "job_created"}
    assert wanted <= set(greenhouse.events)
    assert lever.url == f"https://hirebot.example/webhooks/lever/{hub.connection_id}"
    assert f"hirebot webhooks add-token {hub.connection_id} TOKEN (1 stored so far)" in lever.secret_or_note
    assert lever.events == LEVER_EVENTS
    assert public_url_problem(hub.runtime.settings) is None
    local = Settings(data_dir=Path("."), database_url="sqlite://", public_url="http://localhost:3000")
    assert "HIREBOT_PUBLIC_URL" in (public_url_problem(local) or "")


# -- end to end: a candidate created in the ATS is known within seconds ------------------------------------


async def serve_hirebot(tmp_path: Path, database_url: str) -> AsyncIterator[tuple[Runtime, str]]:
    port = unused_port()
    public_url = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=tmp_path, database_url=database_url, secret_key="e2e", public_url=public_url)
    runtime = Runtime.open(settings, database_url=database_url)
    async with TestServer(create_web_app(runtime), host="127.0.0.1", port=port):
        yield runtime, public_url
    runtime.close()


def knows(runtime: Runtime, name: str) -> Callable[[], bool]:
    asker = runtime.directory.local_admin()

    def check() -> bool:
        reply = runtime.assistant.handle(IncomingMessage(text=f"who is {name}?", sender=asker))
        return (reply.status is MatchStatus.MATCH and bool(reply.cards)
                and reply.cards[0].title.startswith(name))
    return check


async def test_a_candidate_created_in_lever_is_known_within_seconds(tmp_path: Path,
                                                                     database_url: str) -> None:
    sandbox = LeverSandbox(generate_lever(candidates=8, seed=21), rate_limit=1000, burst=1000)
    async with TestServer(sandbox.app, host="127.0.0.1") as lever_server:
        async for runtime, _ in serve_hirebot(tmp_path, database_url):
            admin = runtime.directory.local_admin()
            info = await runtime.connections.connect(admin, "lever", {
                "api_key": SANDBOX_API_KEY, "base_url": str(lever_server.make_url("/v1")),
                "requests_per_second": "1000", "burst": "1000"}, scope="user")  # Lever is personal
            await runtime.connections.sync(info.id)
            [setup] = webhook_instructions(runtime)
            for event in setup.events:  # what the admin does in Lever's settings, then in hirebot
                webhook = sandbox.add_webhook(event, setup.url)
                add_lever_token(runtime, info.id, webhook["configuration"]["signatureToken"])

            name = "Thandiwe Abernathy-Kowalczyk"
            assert not knows(runtime, name)()
            started = time.monotonic()
            opp = sandbox.state.add_opportunity(name, email="thandiwe@example.za",
                                                posting_id=next(iter(sandbox.state.postings)),
                                                origin="applied")
            assert await sandbox.emit("applicationCreated", opp.id) == [200]
            await eventually(knows(runtime, name), ACCEPTANCE_SECONDS)
            assert time.monotonic() - started < ACCEPTANCE_SECONDS


async def test_a_candidate_created_in_greenhouse_is_known_within_seconds(tmp_path: Path,
                                                                          database_url: str) -> None:
    sandbox = GreenhouseSandbox(generate_greenhouse(seed=22, candidates=10), rate_limit=10_000)
    async with TestServer(sandbox.app, host="127.0.0.1") as greenhouse_server:
        base_url = str(greenhouse_server.make_url("")).rstrip("/")
        async for runtime, _ in serve_hirebot(tmp_path, database_url):
            admin = runtime.directory.local_admin()
            info = await runtime.connections.connect(admin, "greenhouse", {
                "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET, "base_url": base_url,
                "auth_url": f"{base_url}/token"}, scope="org")
            await runtime.connections.sync(info.id)
            [setup] = webhook_instructions(runtime)
            sandbox.add_webhook(setup.url, secret_key=setup.secret_or_note, events=frozenset(setup.events),
                                auto_webhooks=True)

            name = "Ifeoma Castellanos-Lindgren"
            assert not knows(runtime, name)()
            started = time.monotonic()
            job_id = next(j for j, job in sandbox.state.jobs.items() if job["status"] == "open")
            sandbox.state.add_candidate("Ifeoma", "Castellanos-Lindgren", email="ifeoma@example.co",
                                        job_id=job_id)
            await eventually(knows(runtime, name), ACCEPTANCE_SECONDS)
            assert time.monotonic() - started < ACCEPTANCE_SECONDS
            await sandbox.drain_webhooks()
            assert [d.status for d in sandbox.deliveries] == [200]


# -- request bodies ------------------------------------------------------------------------------------------


async def test_a_webhook_body_that_trickles_in_is_cut_off_and_a_huge_one_refused(sqlite_hub: Hub) -> None:
    app = create_web_app(sqlite_hub.runtime, receiver=sqlite_hub.receiver)
    app[BODY_TIMEOUT_KEY] = 0.2  # the sender below never finishes its body
    async with TestServer(app, host="127.0.0.1") as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        path = f"/webhooks/greenhouse/{sqlite_hub.greenhouse_id}"
        writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: 5000\r\n\r\n{\"action\": ".encode())
        await writer.drain()
        started = time.monotonic()
        status_line = await asyncio.wait_for(reader.readline(), ACCEPTANCE_SECONDS)
        assert status_line.split()[1] == b"408" and time.monotonic() - started < ACCEPTANCE_SECONDS
        writer.close()
        async with aiohttp.ClientSession() as http, \
                http.post(server.make_url(path), data=b"{" + b" " * MAX_BODY_BYTES + b"}",
                          headers={"Content-Type": "application/json"}) as response:
            assert response.status == 413
    assert sqlite_hub.deliveries() == [] and sqlite_hub.greenhouse_reads() == 0
