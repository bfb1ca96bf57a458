"""Database fixtures for every test: a real database per test (SQLite always, PostgreSQL when reachable),
or one migrated PostgreSQL database per module for modules marked `shared_postgres`.

A plugin registered in tests/conftest.py.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, normalize_url, session_factory, upgrade

PG_URL = os.environ.get("HIREBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Each store test runs twice: on SQLite and on PostgreSQL.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
SHARED_POSTGRES = "shared_postgres"
_pg_state: dict[str, str | None] = {}


def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None when it can (checked once per run)."""
    if "reason" not in _pg_state:
        try:
            probe = create_engine(normalize_url(PG_URL), connect_args={"connect_timeout": 3})
            with probe.connect() as conn:
                conn.execute(text("select 1"))
            probe.dispose()
            _pg_state["reason"] = None
        except Exception as exc:  # any failure to connect means: skip, visibly
            _pg_state["reason"] = f"PostgreSQL at {PG_URL} unreachable: {type(exc).__name__}: {exc}".splitlines()[0]
    return _pg_state["reason"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{SHARED_POSTGRES}: the module's tests share one migrated PostgreSQL "
                                       "database, emptied before each test (creating one per test costs seconds)")


def pytest_report_header(config: pytest.Config) -> str:
    reason = postgres_unavailable()
    return f"postgresql: {'SKIPPED - ' + reason if reason else 'available at ' + PG_URL}"


@pytest.fixture
def pg_database_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    name = f"hirebot_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = normalize_url(PG_URL).rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrated_postgres() -> Iterator[str]:
    """A migrated PostgreSQL database shared by a module's tests (creating one per test costs seconds)."""
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    name = f"hirebot_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{normalize_url(PG_URL).rsplit('/', 1)[0]}/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_postgres(url: str) -> None:
    """Remove every row these tests write: workspaces cascade to everything else; free jobs go directly."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM scheduled_jobs"))
        conn.execute(text("DELETE FROM workspaces"))
    engine.dispose()


@pytest.fixture(scope="module")
def module_pg_url() -> Iterator[str]:
    yield from migrated_postgres()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs twice: on SQLite and on PostgreSQL (a fresh database, or the module's shared one,
    emptied, when the module is marked `shared_postgres`)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hirebot.sqlite3'}"
    if request.node.get_closest_marker(SHARED_POSTGRES) is None:
        return str(request.getfixturevalue("pg_database_url"))
    url = str(request.getfixturevalue("module_pg_url"))
    empty_postgres(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """For tests that exercise logic above the store and need only one backend."""
    eng = make_engine(f"sqlite:///{tmp_path / 'hirebot.sqlite3'}")
    upgrade(eng)
    yield eng
    eng.dispose()
