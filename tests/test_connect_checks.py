"""`hirebot connect` checks what sync will use, before anything is stored: Lever's /v1, Greenhouse's token
URL, the shape of a URL, the same account twice; ids of removed connections are never given out again;
an unknown ATS name lists the ones hirebot can connect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestServer
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import ConfigError
from adapters.sandbox.greenhouse import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GreenhouseSandbox
from adapters.sandbox.greenhouse_dataset import generate
from bot.connections import ConnectionService
from bot.directory import Directory
from store.crypto import SecretBox
from store.db import make_engine, session_factory, transaction, upgrade
from store.models import AtsConnection
from tests import factories as f
from tests.cli_process import cli_env, run_cli


@pytest.fixture
def service(tmp_path: Path) -> ConnectionService:
    engine = make_engine(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    upgrade(engine)
    return ConnectionService(session_factory(engine), SecretBox(Fernet.generate_key()))


@pytest.fixture
async def greenhouse_url() -> AsyncIterator[str]:
    server = TestServer(GreenhouseSandbox(generate(seed=2, candidates=5)).app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


async def test_a_lever_base_url_without_v1_fails_at_connect(service: ConnectionService) -> None:
    admin = Directory(service.sessions).local_admin()
    with pytest.raises(ConfigError, match=r"ends in /v1.*did you mean http://127\.0\.0\.1:9/v1\?"):
        await service.connect(admin, "lever", {"api_key": "k", "base_url": "http://127.0.0.1:9"})
    assert service.list_for(admin) == []


@pytest.mark.parametrize("url", ["127.0.0.1:3982", "harvest.greenhouse.io", "ftp://example.com", "https://",
                                 "http://host:port"])
async def test_a_bad_url_says_what_a_url_must_look_like(service: ConnectionService, url: str) -> None:
    admin = Directory(service.sessions).local_admin()
    with pytest.raises(ConfigError, match=r"API base URL must be a whole web address starting with https://"
                                          r".*like https://harvest\.greenhouse\.io"):
        await service.connect(admin, "greenhouse", {"client_id": "i", "client_secret": "s", "base_url": url})


async def test_a_greenhouse_base_url_without_auth_url_names_the_token_url_it_tried(tmp_path: Path) -> None:
    tried: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        tried.append(str(request.url))
        return httpx.Response(401, json={"error": "invalid_client"})

    engine = make_engine(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    upgrade(engine)
    service = ConnectionService(session_factory(engine), SecretBox(Fernet.generate_key()),
                                client_factory=lambda: httpx.AsyncClient(transport=httpx.MockTransport(refuse)))
    admin = Directory(service.sessions).local_admin()
    with pytest.raises(ConfigError) as caught:
        await service.connect(admin, "greenhouse", {"client_id": "i", "client_secret": "s",
                                                    "base_url": "http://127.0.0.1:3982"})
    assert tried == ["https://auth.greenhouse.io/token"]
    assert "https://auth.greenhouse.io/token" in str(caught.value) and "--auth-url" in str(caught.value)


async def test_the_same_account_connected_twice_is_refused(service: ConnectionService, greenhouse_url: str) -> None:
    admin = Directory(service.sessions).local_admin()
    values = {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET, "base_url": greenhouse_url,
              "auth_url": f"{greenhouse_url}/token"}
    first = await service.connect(admin, "greenhouse", values, scope="org")
    with pytest.raises(ConfigError, match=f"already connected as connection {first.id}"):
        await service.connect(admin, "greenhouse", {**values, "base_url": greenhouse_url + "/"}, scope="user")
    assert [info.id for info in service.list_for(admin)] == [first.id]


def test_connection_ids_are_never_reused_after_removal(sessions: sessionmaker[Session]) -> None:
    ws = f.workspace(sessions)
    f.connection(sessions, ws)
    last = f.connection(sessions, ws)
    with transaction(sessions) as session:
        session.delete(session.get(AtsConnection, last.id))
    assert f.connection(sessions, ws).id > last.id


def test_connect_to_an_unknown_ats_lists_the_supported_ones(tmp_path: Path) -> None:
    result = run_cli(["connect", "workday"], cli_env(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "hirebot can connect: greenhouse, lever" in result.stderr
