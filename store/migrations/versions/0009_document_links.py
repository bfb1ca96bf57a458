"""Document links

Signed, short-lived, single-use links to a candidate intake's CV, for ATSs that download the file from a
URL (store/document_links.py). Only a hash of each token is stored.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['intake_id'], ['candidate_intakes.id'],
                            name=op.f('fk_document_links_intake_id_candidate_intakes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_document_links_token_hash'))
    )
    op.create_index(op.f('ix_document_links_intake_id'), 'document_links', ['intake_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_document_links_intake_id'), table_name='document_links')
    op.drop_table('document_links')
