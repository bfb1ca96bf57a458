"""Booking links are credentials, so no log line carries one: the access log of the real aiohttp server (as
`hirebot run` configures it), the booking pages' own warnings and the mail outbox's log name a link by a
short hash of its token instead (scheduler/log_redaction.py)."""

from __future__ import annotations

import email
import email.policy
import logging
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from sqlalchemy import Engine

from bot.access_log import BookingSafeAccessLogger
from bot.booking import booking_routes
from bot.slack.sandbox import FakeSlackApi
from scheduler.emails import build_email
from scheduler.log_redaction import redact_booking_links, token_label
from scheduler.mail import Mailer, booking_links
from tests.cli_process import ROOT, cli_env
from tests.ports import free_port
from tests.rigs.scheduling_world import TOKEN_KEY, SchedulingWorld
from tests.rigs.slack import RUN_SIGNING_SECRET
from tests.waiting import wait_healthy


def token_of(url: str) -> str:
    return url.split("/book/", 1)[1].split("/", 1)[0]


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record's message and every string it carries in its extra fields (aiohttp's access log puts
    the request line and headers there for structured handlers)."""
    parts = []
    for record in caplog.records:
        if record.name.startswith(("httpx", "httpcore")):
            continue  # the test's own client, which of course knows the link
        parts.append(record.getMessage())
        parts.extend(str(value) for value in vars(record).values())
    return "\n".join(parts)


@asynccontextmanager
async def booking_server(engine: Engine, tmp_path: Path) -> AsyncIterator[SchedulingWorld]:
    port = free_port()
    world = SchedulingWorld.build(engine, mailer=Mailer(outbox=tmp_path / "outbox"),
                                  public_url=f"http://127.0.0.1:{port}")
    app = web.Application()
    app.add_routes(booking_routes(world.service, token_key=TOKEN_KEY, clock=world.clock))
    runner = web.AppRunner(app, access_log_class=BookingSafeAccessLogger)  # aiohttp's default access log
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield world
    finally:
        await runner.cleanup()


def test_a_booking_path_is_logged_by_a_short_hash_of_its_token() -> None:
    token = "AQAAAAAAAAAHAAAAAGm8dQAB" + secrets.token_urlsafe(40)
    label = token_label(token)
    assert len(label) == 9 and label.endswith("…") and label[:8] not in token
    assert redact_booking_links(f"GET /book/{token}/manage?x=1 HTTP/1.1") == f"GET /book/{label}/manage?x=1 HTTP/1.1"
    assert redact_booking_links(f"link: https://hire.example/book/{token}") == f"link: https://hire.example/book/{label}"
    assert redact_booking_links("GET /healthz HTTP/1.1") == "GET /healthz HTTP/1.1"


async def test_the_access_log_and_the_booking_pages_never_log_a_token(
        sqlite_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with booking_server(sqlite_engine, tmp_path) as world:
        view = await world.request()
        forged = secrets.token_urlsafe(48)
        async with httpx.AsyncClient() as client:
            assert (await client.get(view.booking_url)).status_code == 200
            # A form posted from the page sends the page's address as Referer; the access log prints it.
            await client.post(f"{view.booking_url}/select", data={"start": "not a time"},
                              headers={"Referer": view.booking_url})
            await client.get(f"{world.public_url}/book/{forged}/manage")
            await client.get(f"{world.public_url}/book/{forged}")
    text = logged(caplog)
    tokens = [token_of(view.booking_url), forged]
    assert "/book/" in text  # the requests were logged...
    for token in tokens:
        assert token not in text  # ...without their tokens
    assert f"/book/{token_label(tokens[0])}" in text and f"/book/{token_label(forged)}/manage" in text


async def test_the_mail_outbox_logs_a_hash_of_the_link_not_the_link(
        sqlite_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    outbox = tmp_path / "outbox-mail"
    world = SchedulingWorld.build(sqlite_engine, mailer=Mailer(outbox=outbox))
    view = await world.request()
    caplog.set_level(logging.DEBUG)
    mailer = Mailer(outbox=outbox)
    mailer.send(build_email("request_email", view, public_url=world.public_url, to=view.candidate.email, key="k"))
    text = logged(caplog)
    token = token_of(view.booking_url)
    assert token not in text
    assert f"/book/{token_label(token)}" in text
    [stored] = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in outbox.iterdir()]
    assert isinstance(stored, EmailMessage)
    assert booking_links(stored)[0] == view.booking_url  # the mail itself carries the link


def test_hirebot_run_logs_booking_requests_without_their_token(
        fake_slack_server: tuple[FakeSlackApi, str], tmp_path: Path) -> None:
    _, fake_url = fake_slack_server
    port = free_port()
    env = cli_env(tmp_path, SLACK_BOT_TOKEN="xoxb-run-test", SLACK_SIGNING_SECRET=RUN_SIGNING_SECRET,
               HIREBOT_PORT=str(port), HIREBOT_SLACK_API_URL=f"{fake_url}/api/", HIREBOT_SYNC_INTERVAL="3600")
    server = subprocess.Popen([sys.executable, "-m", "bot", "run", "--host", "127.0.0.1"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    token = secrets.token_urlsafe(48)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base)
        for path in (f"/book/{token}", f"/book/{token}/manage"):
            httpx.get(base + path, headers={"Referer": base + path}, timeout=10)
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert token not in output
    assert f"/book/{token_label(token)}" in output  # the access log still shows which link was asked for
