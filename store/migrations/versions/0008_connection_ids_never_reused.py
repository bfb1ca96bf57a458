"""Connection ids are never reused

A webhook URL names its connection by id, so an id freed by `hirebot disconnect` must never be given to
a later connection (an old URL would feed it). PostgreSQL sequences never go back; SQLite reuses the
highest rowid unless the table is AUTOINCREMENT, which needs the table rebuilt.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)


def _rebuild(*, autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # Rebuilding drops the old table; with foreign keys on, that would cascade into every synced record.
    # The pragma only takes effect outside a transaction, so check it did before dropping anything.
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    enforced = bind.exec_driver_sql("PRAGMA foreign_keys").scalar()
    occupied = bind.exec_driver_sql("SELECT count(*) FROM ats_connections").scalar()
    if enforced and occupied:
        raise RuntimeError("Cannot rebuild ats_connections while SQLite enforces foreign keys: run the "
                           "upgrade again (it resumes at this step).")
    with op.batch_alter_table("ats_connections", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass
    # Back on for this pooled connection; like turning it off, that only works outside a transaction.
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=ON")
