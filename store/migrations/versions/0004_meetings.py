"""meetings, attendees, meeting events and scheduled jobs

The meeting lifecycle (scheduler/meetings.py): each meeting's state, its numbered event log for the ATS
logging work, and the durable job rows (emails, reminders, chat notices) the dispatcher claims.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('organizer_user_id', sa.Integer(), nullable=True),
    sa.Column('organizer_email', sa.String(length=320), nullable=False),
    sa.Column('organizer_name', sa.String(length=300), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=1000), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('candidate_timezone', sa.String(length=64), nullable=True),
    sa.Column('candidate_id', sa.Integer(), nullable=True),
    sa.Column('candidate_name', sa.String(length=300), nullable=False),
    sa.Column('candidate_email', sa.String(length=320), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('candidate_remote_id', sa.String(length=100), nullable=True),
    sa.Column('application_remote_id', sa.String(length=100), nullable=True),
    sa.Column('job_name', sa.String(length=500), nullable=True),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('window_end', sa.DateTime(), nullable=False),
    sa.Column('slots', sa.JSON(), nullable=False),
    sa.Column('booked_start', sa.DateTime(), nullable=True),
    sa.Column('booked_end', sa.DateTime(), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('round_started_at', sa.DateTime(), nullable=False),
    sa.Column('calendar_uid', sa.String(length=200), nullable=False),
    sa.Column('calendar_sequence', sa.Integer(), nullable=True),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'],
                            name=op.f('fk_meetings_candidate_id_candidates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['connection_id'], ['ats_connections.id'],
                            name=op.f('fk_meetings_connection_id_ats_connections'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organizer_user_id'], ['users.id'],
                            name=op.f('fk_meetings_organizer_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                            name=op.f('fk_meetings_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    op.create_index(op.f('ix_meetings_candidate_id'), 'meetings', ['candidate_id'], unique=False)
    op.create_index(op.f('ix_meetings_organizer_user_id'), 'meetings', ['organizer_user_id'], unique=False)
    op.create_index(op.f('ix_meetings_state'), 'meetings', ['state'], unique=False)
    op.create_index(op.f('ix_meetings_workspace_id'), 'meetings', ['workspace_id'], unique=False)

    op.create_table('meeting_attendees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'],
                            name=op.f('fk_meeting_attendees_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_meeting_attendees_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_attendees')),
    sa.UniqueConstraint('meeting_id', 'email', name=op.f('uq_meeting_attendees_meeting_id'))
    )
    op.create_index(op.f('ix_meeting_attendees_email'), 'meeting_attendees', ['email'], unique=False)

    op.create_table('meeting_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=False),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'],
                            name=op.f('fk_meeting_events_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_events')),
    sa.UniqueConstraint('meeting_id', 'seq', name=op.f('uq_meeting_events_meeting_id'))
    )
    op.create_index(op.f('ix_meeting_events_occurred_at'), 'meeting_events', ['occurred_at'], unique=False)

    op.create_table('scheduled_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('result', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'],
                            name=op.f('fk_scheduled_jobs_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_jobs')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_scheduled_jobs_idempotency_key'))
    )
    op.create_index(op.f('ix_scheduled_jobs_meeting_id'), 'scheduled_jobs', ['meeting_id'], unique=False)
    op.create_index('ix_scheduled_jobs_state_due', 'scheduled_jobs', ['state', 'due_at'], unique=False)
    op.create_index('ix_scheduled_jobs_state_lease', 'scheduled_jobs', ['state', 'lease_until'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_scheduled_jobs_state_lease', table_name='scheduled_jobs')
    op.drop_index('ix_scheduled_jobs_state_due', table_name='scheduled_jobs')
    op.drop_index(op.f('ix_scheduled_jobs_meeting_id'), table_name='scheduled_jobs')
    op.drop_table('scheduled_jobs')
    op.drop_index(op.f('ix_meeting_events_occurred_at'), table_name='meeting_events')
    op.drop_table('meeting_events')
    op.drop_index(op.f('ix_meeting_attendees_email'), table_name='meeting_attendees')
    op.drop_table('meeting_attendees')
    op.drop_index(op.f('ix_meetings_workspace_id'), table_name='meetings')
    op.drop_index(op.f('ix_meetings_state'), table_name='meetings')
    op.drop_index(op.f('ix_meetings_organizer_user_id'), table_name='meetings')
    op.drop_index(op.f('ix_meetings_candidate_id'), table_name='meetings')
    op.drop_table('meetings')
