"""An index on job.name: a name search counts its matches by scanning this index (a few MB at 100,000 jobs) instead
of every row of the table, JSON columns and all (~190 MB): 33 ms -> 7 ms on SQLite (issue 16, item 20).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_job_name', 'job', ['name'], if_not_exists=True)


def downgrade() -> None:
    op.drop_index('ix_job_name', table_name='job')
