"""Candidates by connection and sync time

The name index refreshes by reading only the candidates synced since it was current (bot/roster.py);
this index makes that read proportional to what changed instead of a scan of the connection's rows.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_candidates_connection_synced', 'candidates', ['connection_id', 'synced_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_candidates_connection_synced', table_name='candidates')
