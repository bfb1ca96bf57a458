"""Teams conversation references in the real database (SQLite, and PostgreSQL when reachable): saved from
events, refreshed without forgetting, found by person or email, and still there after a restart."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, session_factory, upgrade
from store.teams_references import (
    forget_reference,
    reference_for_email,
    reference_for_user,
    save_reference,
    service_url_for_tenant,
)

AMER = "https://smba.trafficmanager.net/amer/"
EMEA = "https://smba.trafficmanager.net/emea/"


def save_ada(sessions: sessionmaker[Session], **changes: str | None) -> None:
    fields: dict[str, str | None] = {"tenant_id": "tenant-1", "user_aad_id": "aad-ada", "teams_user_id": "29:1ada",
                                     "service_url": AMER, "conversation_id": "a:1personal",
                                     "email": "Ada@Acme.Test"}
    fields.update(changes)
    save_reference(sessions, **fields)  # type: ignore[arg-type]


def test_a_saved_reference_is_found_by_either_id_and_by_email(sessions: sessionmaker[Session]) -> None:
    save_ada(sessions)
    by_aad = reference_for_user(sessions, tenant_id="tenant-1", user_id="aad-ada")
    by_teams_id = reference_for_user(sessions, tenant_id="tenant-1", user_id="29:1ada")
    by_email = reference_for_email(sessions, " ADA@acme.test ")
    assert by_aad is not None and by_aad == by_teams_id == by_email
    assert (by_aad.service_url, by_aad.conversation_id, by_aad.email) == (AMER, "a:1personal", "ada@acme.test")
    assert reference_for_user(sessions, tenant_id="tenant-2", user_id="aad-ada") is None
    assert reference_for_email(sessions, "ada@acme.test", tenant_id="tenant-2") is None
    assert reference_for_email(sessions, "") is None


def test_a_later_event_refreshes_without_forgetting(sessions: sessionmaker[Session]) -> None:
    save_ada(sessions)
    # A channel message: new regional serviceUrl, but no personal chat and no email in it.
    save_ada(sessions, service_url=EMEA, conversation_id=None, email=None)
    ref = reference_for_user(sessions, tenant_id="tenant-1", user_id="aad-ada")
    assert ref is not None
    assert (ref.service_url, ref.conversation_id, ref.email) == (EMEA, "a:1personal", "ada@acme.test")
    save_ada(sessions, conversation_id="a:1new")
    ref = reference_for_user(sessions, tenant_id="tenant-1", user_id="aad-ada")
    assert ref is not None and ref.conversation_id == "a:1new"


def test_one_row_per_person_and_tenant(sessions: sessionmaker[Session], engine: Engine) -> None:
    for _ in range(3):
        save_ada(sessions)
    save_ada(sessions, tenant_id="tenant-2", service_url=EMEA)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM teams_references").scalar() == 2
    newest = reference_for_email(sessions, "ada@acme.test")
    assert newest is not None and newest.tenant_id == "tenant-2"
    assert service_url_for_tenant(sessions, "tenant-1") == AMER
    assert service_url_for_tenant(sessions, "tenant-3") is None


def test_forgetting_a_person(sessions: sessionmaker[Session]) -> None:
    save_ada(sessions)
    assert forget_reference(sessions, tenant_id="tenant-1", user_aad_id="aad-ada")
    assert not forget_reference(sessions, tenant_id="tenant-1", user_aad_id="aad-ada")
    assert reference_for_email(sessions, "ada@acme.test") is None


def test_references_survive_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hirebot.sqlite3'}"
    first = make_engine(url)
    upgrade(first)
    save_ada(session_factory(first))
    first.dispose()
    second = make_engine(url)
    upgrade(second)
    ref = reference_for_email(session_factory(second), "ada@acme.test")
    second.dispose()
    assert ref is not None and ref.conversation_id == "a:1personal"


def test_the_migration_goes_down_and_up(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'migrate.sqlite3'}")
    upgrade(engine)
    assert "teams_references" in inspect(engine).get_table_names()
    downgrade_below_teams_references(engine)
    assert "teams_references" not in inspect(engine).get_table_names()
    upgrade(engine)
    save_ada(session_factory(engine))
    engine.dispose()


def downgrade_below_teams_references(engine: Engine) -> None:
    from alembic import command

    from store.db import alembic_config

    command.downgrade(alembic_config(engine), "0009")  # the revision before teams_references (0010)


def test_people_saved_at_once_from_several_threads_get_one_row_each(sessions: sessionmaker[Session],
                                                                    engine: Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def save(n: int) -> None:
        save_ada(sessions, conversation_id=f"a:1chat{n}", user_aad_id=f"aad-{n % 3}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(save, range(24)))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM teams_references").scalar() == 3
