"""ATS outbox

One row per ATS write a meeting event calls for (scheduler/ats_log.py plans them, scheduler/outbox.py
delivers them).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('event_kind', sa.String(length=40), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=True),
    sa.Column('order_key', sa.String(length=100), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('unsure', sa.Boolean(), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('skip_reason', sa.Text(), nullable=True),
    sa.Column('remote_id', sa.String(length=200), nullable=True),
    sa.Column('link', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                            name=op.f('fk_outbox_items_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'],
                            name=op.f('fk_outbox_items_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['meeting_events.id'],
                            name=op.f('fk_outbox_items_event_id_meeting_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'],
                            name=op.f('fk_outbox_items_candidate_id_candidates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['connection_id'], ['ats_connections.id'],
                            name=op.f('fk_outbox_items_connection_id_ats_connections'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_items')),
    sa.UniqueConstraint('event_id', 'action', name=op.f('uq_outbox_items_event_id'))
    )
    op.create_index(op.f('ix_outbox_items_workspace_id'), 'outbox_items', ['workspace_id'], unique=False)
    op.create_index(op.f('ix_outbox_items_meeting_id'), 'outbox_items', ['meeting_id'], unique=False)
    op.create_index(op.f('ix_outbox_items_candidate_id'), 'outbox_items', ['candidate_id'], unique=False)
    op.create_index('ix_outbox_items_state_due', 'outbox_items', ['state', 'due_at'], unique=False)
    op.create_index('ix_outbox_items_order', 'outbox_items', ['order_key', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_items_order', table_name='outbox_items')
    op.drop_index('ix_outbox_items_state_due', table_name='outbox_items')
    op.drop_index(op.f('ix_outbox_items_candidate_id'), table_name='outbox_items')
    op.drop_index(op.f('ix_outbox_items_meeting_id'), table_name='outbox_items')
    op.drop_index(op.f('ix_outbox_items_workspace_id'), table_name='outbox_items')
    op.drop_table('outbox_items')
