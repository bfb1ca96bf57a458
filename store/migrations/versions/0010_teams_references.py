"""teams conversation references

Where each Teams user can be reached proactively (store/teams_models.py): tenant, AAD and Teams ids, the
regional serviceUrl, the bot's 1:1 chat with them, and their email.

Revision ID: 0010
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0008'  # becomes '0009' when the branch adding 0009 is merged first
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('teams_references',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=100), nullable=False),
    sa.Column('user_aad_id', sa.String(length=100), nullable=False),
    sa.Column('teams_user_id', sa.String(length=300), nullable=False),
    sa.Column('service_url', sa.String(length=500), nullable=False),
    sa.Column('conversation_id', sa.String(length=500), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams_references')),
    sa.UniqueConstraint('tenant_id', 'user_aad_id', name=op.f('uq_teams_references_tenant_id'))
    )
    op.create_index('ix_teams_references_email', 'teams_references', ['email'], unique=False)
    op.create_index('ix_teams_references_teams_user', 'teams_references', ['tenant_id', 'teams_user_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_teams_references_teams_user', table_name='teams_references')
    op.drop_index('ix_teams_references_email', table_name='teams_references')
    op.drop_table('teams_references')
