"""Signed, short-lived, single-use CV links (store/document_links.py) and their route, `GET /files/{token}`,
on hirebot's one web server: against SQLite and PostgreSQL, over real HTTP, with the access log as
`hirebot run` writes it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.access_log import BookingSafeAccessLogger
from bot.document_files import document_route
from bot.web import create_web_app
from store.db import transaction
from store.document_links import (
    LINK_LIFETIME,
    LinkOutcome,
    NoResume,
    mint_resume_link,
    redeem,
    resume_link_url,
    token_hash,
)
from store.intake_models import CandidateIntake, DocumentLink
from tests import factories
from tests.rigs.webhook_hub import open_runtime

CV = b"%PDF-1.4\n% Siobh\xc3\xa1n N\xc3\xad Bhriain\n%%EOF\n"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def intake(sessions: sessionmaker[Session], *, resume: bytes | None = CV, name: str = "Siobhán CV.pdf") -> int:
    workspace = factories.workspace(sessions)
    with transaction(sessions) as session:
        row = CandidateIntake(workspace_id=workspace.id, email="siobhan@example.ie", state="waiting",
                              resume=resume, resume_name=name if resume else None,
                              resume_type="application/pdf" if resume else None, draft={})
        session.add(row)
        session.flush()
        return row.id


# --- the store ----------------------------------------------------------------------------------------


def test_a_link_serves_its_cv_once(sessions: sessionmaker[Session]) -> None:
    intake_id = intake(sessions)
    token = mint_resume_link(sessions, intake_id, now=NOW)

    first = redeem(sessions, token, now=NOW + timedelta(minutes=1))
    assert first.outcome is LinkOutcome.SERVED and first.document is not None
    assert (first.document.content, first.document.filename, first.document.content_type) == \
        (CV, "Siobhán CV.pdf", "application/pdf")
    second = redeem(sessions, token, now=NOW + timedelta(minutes=2))
    assert second.outcome is LinkOutcome.SPENT and second.document is None


def test_expired_unknown_and_mangled_tokens_get_nothing(sessions: sessionmaker[Session]) -> None:
    intake_id = intake(sessions)
    token = mint_resume_link(sessions, intake_id, now=NOW)
    assert redeem(sessions, token, now=NOW + LINK_LIFETIME).outcome is LinkOutcome.SPENT
    other = mint_resume_link(sessions, intake_id, now=NOW)
    assert redeem(sessions, other[:-1] + ("A" if other[-1] != "A" else "B"), now=NOW).outcome is LinkOutcome.UNKNOWN
    assert redeem(sessions, "", now=NOW).outcome is LinkOutcome.UNKNOWN
    assert redeem(sessions, "x" * 500, now=NOW).outcome is LinkOutcome.UNKNOWN
    assert redeem(sessions, other, now=NOW).outcome is LinkOutcome.SERVED  # each link is its own


def test_only_a_hash_of_the_token_is_stored_and_old_links_are_purged(sessions: sessionmaker[Session]) -> None:
    intake_id = intake(sessions)
    old = mint_resume_link(sessions, intake_id, now=NOW - timedelta(days=3))
    token = mint_resume_link(sessions, intake_id, now=NOW)
    with sessions() as session:
        rows = list(session.scalars(select(DocumentLink)))
    assert [row.token_hash for row in rows] == [token_hash(token)]  # the three-day-old one is gone
    assert all(token not in (row.token_hash, str(row.id)) for row in rows)
    assert redeem(sessions, old, now=NOW).outcome is LinkOutcome.UNKNOWN


def test_no_link_without_a_cv(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(NoResume):
        mint_resume_link(sessions, intake(sessions, resume=None), now=NOW)


def test_the_url_is_under_the_public_address() -> None:
    assert resume_link_url("https://hirebot.example.com/", "abc_-9") == "https://hirebot.example.com/files/abc_-9"


# --- the route, over HTTP ---------------------------------------------------------------------------------


@pytest.fixture
async def server(sessions: sessionmaker[Session]) -> AsyncIterator[tuple[str, Clock]]:
    """The document route on a real server, logging requests as `hirebot run` does."""
    clock = Clock()
    app = web.Application()
    app.add_routes([document_route(sessions, clock)])
    runner = web.AppRunner(app, access_log_class=BookingSafeAccessLogger,
                           access_log=logging.getLogger("aiohttp.access"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}", clock
    finally:
        await runner.cleanup()


async def test_one_download_works_and_the_second_does_not(sessions: sessionmaker[Session],
                                                          server: tuple[str, Clock],
                                                          caplog: pytest.LogCaptureFixture) -> None:
    url, clock = server
    token = mint_resume_link(sessions, intake(sessions), now=clock())
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient() as client:
        first = await client.get(resume_link_url(url, token))
        second = await client.get(resume_link_url(url, token))
    assert first.status_code == 200 and first.content == CV
    assert first.headers["content-type"] == "application/pdf"
    assert first.headers["content-disposition"] == \
        "attachment; filename=\"Siobh_n CV.pdf\"; filename*=UTF-8''Siobh%C3%A1n%20CV.pdf"
    assert "no-store" in first.headers["cache-control"]
    assert second.status_code == 410 and second.content != CV and CV not in second.content
    # hirebot's own lines (the downloading client's are the ATS's): the access log recorded both requests,
    # without the token.
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    assert ours.count("/files/") == 2
    assert token not in ours


async def test_expired_and_unknown_links_get_no_file(sessions: sessionmaker[Session],
                                                     server: tuple[str, Clock]) -> None:
    url, clock = server
    token = mint_resume_link(sessions, intake(sessions), now=clock())
    clock.now += LINK_LIFETIME + timedelta(seconds=1)
    async with httpx.AsyncClient() as client:
        expired = await client.get(resume_link_url(url, token))
        unknown = await client.get(resume_link_url(url, "no-such-token-" + "x" * 30))
    assert expired.status_code == 410 and CV not in expired.content
    assert unknown.status_code == 404 and CV not in unknown.content
    assert "no-store" in unknown.headers["cache-control"]


async def test_hirebots_web_server_serves_the_links(tmp_path: Path, database_url: str) -> None:
    runtime = open_runtime(tmp_path, database_url)
    try:
        token = mint_resume_link(runtime.sessions, intake(runtime.sessions))
        async with TestServer(create_web_app(runtime), host="127.0.0.1") as served, httpx.AsyncClient() as client:
            url = str(served.make_url("")).rstrip("/")
            first = await client.get(resume_link_url(url, token))
            again = await client.get(resume_link_url(url, token))
        assert (first.status_code, first.content, again.status_code) == (200, CV, 410)
    finally:
        runtime.close()
