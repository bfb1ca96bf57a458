"""webhook deliveries and per-connection sync leases

`webhook_deliveries` remembers each Greenhouse event id / Lever token taken in, so retries and replays do
no work twice. The two lease columns let several hirebot processes share one PostgreSQL database while
only one of them syncs a given connection at a time (scheduler/sync_jobs.py).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('delivery_id', sa.String(length=200), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('event', sa.String(length=100), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['ats_connections.id'],
                            name=op.f('fk_webhook_deliveries_connection_id_ats_connections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('connection_id', 'delivery_id', name=op.f('uq_webhook_deliveries_connection_id'))
    )
    op.create_index(op.f('ix_webhook_deliveries_received_at'), 'webhook_deliveries', ['received_at'], unique=False)
    # Plain ADD COLUMN (nullable) on both backends: no table rebuild, so no cascade can touch child rows.
    op.add_column('ats_connections', sa.Column('sync_lease_until', sa.DateTime(), nullable=True))
    op.add_column('ats_connections', sa.Column('sync_lease_owner', sa.String(length=100), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), never a batch rebuild: dropping the old ats_connections table would
    # cascade into every synced candidate.
    op.drop_column('ats_connections', 'sync_lease_owner')
    op.drop_column('ats_connections', 'sync_lease_until')
    op.drop_index(op.f('ix_webhook_deliveries_received_at'), table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
