"""Alembic environment: runs against the engine hirebot hands it (see store.db.upgrade)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import store.intake_models  # registers the candidate intake table on Base.metadata
import store.meeting_models  # registers the meeting tables on Base.metadata
import store.outbox_models  # noqa: F401  (registers the outbox table on Base.metadata)
from store import teams_models  # noqa: F401  (registers the Teams conversation references on Base.metadata)
from store.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # the alembic CLI, e.g. for `alembic revision --autogenerate`
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///var/alembic.sqlite3")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
