"""The schema of the first release (before Alembic): job, job_event, meta, setting.

A database of that release has these tables and no `alembic_version`; it is stamped with this revision as it is.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'job',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('kind', sa.String(), nullable=False),
        sa.Column('status', sa.String(), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('stages', sa.JSON(), nullable=False),
        sa.Column('stage_states', sa.JSON(), nullable=False),
        sa.Column('stage_index', sa.Integer(), nullable=False),
        sa.Column('current', sa.Float(), nullable=False),
        sa.Column('total', sa.Float(), nullable=True),
        sa.Column('unit', sa.String(), nullable=False),
        sa.Column('message', sa.String(), nullable=False),
        sa.Column('progress', sa.Float(), nullable=False),
        sa.Column('elapsed', sa.Float(), nullable=False),
        sa.Column('checkpoint', sa.JSON(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('error', sa.String(), nullable=True),
        sa.Column('error_stage', sa.String(), nullable=True),
        sa.Column('traceback', sa.String(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('started_at', sa.Float(), nullable=True),
        sa.Column('finished_at', sa.Float(), nullable=True),
        sa.Column('run_at', sa.Float(), nullable=True),
        sa.Column('schedule_id', sa.String(), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_job_status_priority', 'job', ['status', 'priority'])
    op.create_index('ix_job_kind', 'job', ['kind'])
    op.create_index('ix_job_finished_at', 'job', ['finished_at'])
    op.create_table(
        'job_event',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column('job_id', sa.Integer(), sa.ForeignKey('job.id', ondelete='CASCADE'), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('type', sa.String(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
    )
    op.create_index('ix_job_event_job_seq', 'job_event', ['job_id', 'seq'])
    op.create_index('ix_job_event_at', 'job_event', ['at'])
    op.create_table('meta', sa.Column('key', sa.String(), primary_key=True),
                    sa.Column('value', sa.String(), nullable=False))
    op.create_table('setting', sa.Column('key', sa.String(), primary_key=True),
                    sa.Column('value', sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in ('setting', 'meta', 'job_event', 'job'):
        op.drop_table(table)
