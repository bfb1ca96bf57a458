"""chat event receipts

Which chat events some hirebot process has taken on (store/event_receipts.py), so a platform's redelivery
to another process is answered once.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event_receipts',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_event_receipts'))
    )
    op.create_index(op.f('ix_event_receipts_received_at'), 'event_receipts', ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_event_receipts_received_at'), table_name='event_receipts')
    op.drop_table('event_receipts')
