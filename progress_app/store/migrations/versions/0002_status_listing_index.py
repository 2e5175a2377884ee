"""Listing jobs of one status newest first walks an index instead of sorting every match.

`GET /api/jobs?status=completed&offset=99000` sorted all completed jobs in a temporary B-tree (281 ms at
100,000 jobs); with (status, id) the rows come in order.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_job_status_id', 'job', ['status', 'id'], if_not_exists=True)


def downgrade() -> None:
    op.drop_index('ix_job_status_id', table_name='job')
