"""The store on SQLite and PostgreSQL: schema, time zones, cascades, scoping, and secrets at rest."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.errors import ConfigError
from store.crypto import SecretBox, load_or_create_key
from store.db import make_engine, transaction, upgrade
from store.models import Application, AtsConnection, Attachment, Candidate
from store.queries import candidates_by_ids, open_jobs_with_counts, visible_connection_ids
from tests import factories as f


def test_schema_has_every_entity(engine) -> None:  # type: ignore[no-untyped-def]
    tables = set(inspect(engine).get_table_names())
    assert {"workspaces", "users", "ats_connections", "ats_users", "jobs", "job_stages", "candidates",
            "applications", "attachments", "alembic_version"} <= tables


def test_upgrade_is_idempotent(engine) -> None:  # type: ignore[no-untyped-def]
    upgrade(engine)
    upgrade(engine)


def test_migrations_build_exactly_the_models(engine) -> None:  # type: ignore[no-untyped-def]
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import store.intake_models
    import store.outbox_models  # noqa: F401  (every table the migrations make)
    from store.models import Base

    def ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        # slack_sdk's installation tables are made by migration 0002 from slack_sdk's own metadata.
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return not str(getattr(table, "name", name) or "").startswith("slack_")

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": ours})
        diff = compare_metadata(context, Base.metadata)
    # SQLite reflects some types loosely; the tables, columns and indexes are what must agree.
    flat = [op for d in diff for op in (d if isinstance(d, list) else [d])]
    assert [op for op in flat if op[0] not in ("modify_type", "modify_default")] == []


def test_times_come_back_in_utc(sessions: sessionmaker[Session]) -> None:
    ws = f.workspace(sessions)
    conn = f.connection(sessions, ws)
    paris = timezone(timedelta(hours=2))
    row = f.candidate(sessions, conn, "Ada", "Lovelace", remote_updated_at=datetime(2026, 6, 1, 12, 0, tzinfo=paris))
    with sessions() as s:
        got = s.get(Candidate, row.id)
        assert got is not None and got.remote_updated_at == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
        assert got.remote_updated_at.tzinfo is not None


def test_naive_datetimes_are_refused(sessions: sessionmaker[Session]) -> None:
    ws = f.workspace(sessions)
    conn = f.connection(sessions, ws)
    with pytest.raises(Exception, match="naive"):
        f.candidate(sessions, conn, "Ada", "Lovelace", remote_updated_at=datetime(2026, 6, 1))


def test_removing_a_connection_removes_its_records(sessions: sessionmaker[Session]) -> None:
    ws = f.workspace(sessions)
    conn = f.connection(sessions, ws)
    f.candidate(sessions, conn, "Ada", "Lovelace")
    with transaction(sessions) as s:
        s.delete(s.get(AtsConnection, conn.id))
    with sessions() as s:
        for model in (Candidate, Application, Attachment):
            assert s.scalars(select(model)).first() is None


def test_scoping_org_and_personal_connections(sessions: sessionmaker[Session]) -> None:
    ws, other_ws = f.workspace(sessions), f.workspace(sessions, "Other")
    alice, bob = f.user(sessions, ws, "alice@acme.test"), f.user(sessions, ws, "bob@acme.test")
    org = f.connection(sessions, ws, scope="org")
    alice_lever = f.connection(sessions, ws, provider="lever", scope="user", owner=alice)
    f.connection(sessions, other_ws, scope="org")
    with sessions() as s:
        assert visible_connection_ids(s, ws.id, alice.id) == [org.id, alice_lever.id]
        assert visible_connection_ids(s, ws.id, bob.id) == [org.id]
        assert visible_connection_ids(s, ws.id, None) == [org.id]


def test_candidate_reads_respect_scope(sessions: sessionmaker[Session]) -> None:
    ws = f.workspace(sessions)
    alice, bob = f.user(sessions, ws, "alice@acme.test"), f.user(sessions, ws, "bob@acme.test")
    personal = f.connection(sessions, ws, provider="lever", scope="user", owner=alice)
    secret = f.candidate(sessions, personal, "Hidden", "Person")
    with sessions() as s:
        assert candidates_by_ids(s, [secret.id], visible_connection_ids(s, ws.id, bob.id)) == []
        assert [c.id for c in candidates_by_ids(s, [secret.id], visible_connection_ids(s, ws.id, alice.id))] == [
            secret.id]


def test_open_jobs_count_active_candidates(sessions: sessionmaker[Session]) -> None:
    ws = f.workspace(sessions)
    conn = f.connection(sessions, ws)
    f.candidate(sessions, conn, "Ada", "Lovelace", job="Engineer")
    f.candidate(sessions, conn, "Alan", "Turing", job="Researcher", status="rejected")
    with sessions() as s:
        counts = {job.name: n for job, n in open_jobs_with_counts(s, [conn.id])}
    assert counts == {"Engineer": 1, "Researcher": 0}


# -- secrets at rest ------------------------------------------------------------------------------------

def test_local_key_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path, None)
    path = tmp_path / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(tmp_path, None) == key


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_database_and_its_wal_and_shm_are_private_and_so_is_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    engine = make_engine(f"sqlite:///{data_dir / 'hirebot.sqlite3'}")
    try:
        upgrade(engine)
        with engine.connect() as conn:  # an open connection keeps the -wal and -shm files on disk
            conn.exec_driver_sql("SELECT count(*) FROM candidates")
            files = {path.name: mode(path) for path in data_dir.iterdir()}
    finally:
        engine.dispose()
    assert files == {"hirebot.sqlite3": 0o600, "hirebot.sqlite3-wal": 0o600, "hirebot.sqlite3-shm": 0o600}
    assert mode(data_dir) == 0o700
    load_or_create_key(data_dir, None)
    assert mode(data_dir / "secret.key") == 0o600 and mode(data_dir) == 0o700


def test_the_key_alone_makes_the_data_dir_private_too(tmp_path: Path) -> None:
    load_or_create_key(tmp_path / "var", None)
    assert mode(tmp_path / "var") == 0o700


def test_an_existing_database_open_to_others_is_reported_not_changed(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "shared.sqlite3"
    path.touch()
    path.chmod(0o644)
    engine = make_engine(f"sqlite:///{path}")
    engine.dispose()
    assert mode(path) == 0o644
    assert "chmod 600" in caplog.text and str(path) in caplog.text


def test_env_key_wins_and_any_passphrase_works(tmp_path: Path) -> None:
    fernet_key = Fernet.generate_key().decode()
    assert load_or_create_key(tmp_path, fernet_key) == fernet_key.encode()
    box = SecretBox(load_or_create_key(tmp_path, "correct horse battery staple"))
    assert box.open(box.seal({"api_key": "k"})) == {"api_key": "k"}
    assert not (tmp_path / "secret.key").exists()


def test_wrong_key_gives_a_clear_error_without_the_secret(tmp_path: Path) -> None:
    sealed = SecretBox(Fernet.generate_key()).seal({"api_key": "super-secret-value"})
    with pytest.raises(ConfigError, match="HIREBOT_SECRET_KEY") as info:
        SecretBox(Fernet.generate_key()).open(sealed)
    assert "super-secret-value" not in str(info.value)


def test_credentials_are_stored_encrypted(sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ws = f.workspace(sessions)
    conn = f.connection(sessions, ws)
    with sessions() as s:
        row = s.get(AtsConnection, conn.id)
        assert row is not None
        assert b"s3cret" not in row.credentials
        assert "s3cret" not in repr(row)
        assert f.BOX.open(row.credentials)["client_secret"] == "s3cret"
    assert "s3cret" not in caplog.text


def test_postgres_url_spellings_are_accepted(pg_database_url: str) -> None:
    plain = pg_database_url.replace("postgresql+psycopg://", "postgresql://")
    engine = make_engine(plain)
    upgrade(engine)
    assert "candidates" in inspect(engine).get_table_names()
    engine.dispose()
