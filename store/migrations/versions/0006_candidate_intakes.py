"""Candidate intakes

People scheduled by email who are to be added to an ATS when they book (docs/new_candidates.md).

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('candidate_intakes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('organizer_user_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('first_name', sa.String(length=200), nullable=False),
    sa.Column('last_name', sa.String(length=200), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('job_remote_id', sa.String(length=100), nullable=True),
    sa.Column('job_name', sa.String(length=500), nullable=True),
    sa.Column('linkedin_url', sa.String(length=1000), nullable=True),
    sa.Column('resume_name', sa.String(length=300), nullable=True),
    sa.Column('resume_type', sa.String(length=200), nullable=True),
    sa.Column('resume', sa.LargeBinary(), nullable=True),
    sa.Column('draft', sa.JSON(), nullable=False),
    sa.Column('candidate_remote_id', sa.String(length=100), nullable=True),
    sa.Column('application_remote_id', sa.String(length=100), nullable=True),
    sa.Column('candidate_url', sa.String(length=1000), nullable=True),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                            name=op.f('fk_candidate_intakes_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organizer_user_id'], ['users.id'],
                            name=op.f('fk_candidate_intakes_organizer_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'],
                            name=op.f('fk_candidate_intakes_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['connection_id'], ['ats_connections.id'],
                            name=op.f('fk_candidate_intakes_connection_id_ats_connections'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate_intakes')),
    sa.UniqueConstraint('meeting_id', name=op.f('uq_candidate_intakes_meeting_id'))
    )
    op.create_index(op.f('ix_candidate_intakes_workspace_id'), 'candidate_intakes', ['workspace_id'], unique=False)
    op.create_index(op.f('ix_candidate_intakes_organizer_user_id'), 'candidate_intakes', ['organizer_user_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_candidate_intakes_organizer_user_id'), table_name='candidate_intakes')
    op.drop_index(op.f('ix_candidate_intakes_workspace_id'), table_name='candidate_intakes')
    op.drop_table('candidate_intakes')
