"""job.peak_rss_bytes and job.cpu_seconds: the most memory a job's processes held and the CPU time it used (issue 17,
item 7), kept after it ends so the history can sort by them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job') as batch_op:
        batch_op.add_column(sa.Column('peak_rss_bytes', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('cpu_seconds', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('job') as batch_op:
        batch_op.drop_column('cpu_seconds')
        batch_op.drop_column('peak_rss_bytes')
