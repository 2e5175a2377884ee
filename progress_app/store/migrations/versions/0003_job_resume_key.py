"""job.resume_key: an external run's key (issue 14): a script that opens a run with the same key goes on with the
job of that key instead of starting a new one. Indexed: every POST /api/runs with a key looks it up.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job') as batch_op:
        batch_op.add_column(sa.Column('resume_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index('ix_job_resume_key', ['resume_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('job') as batch_op:
        batch_op.drop_index('ix_job_resume_key')
        batch_op.drop_column('resume_key')
