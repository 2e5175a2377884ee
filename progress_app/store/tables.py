"""The database tables. Times are epoch seconds (floats): dialect-neutral and cheap to compare."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel


class JobRow(SQLModel, table=True):
    """The current snapshot of one job. Its history is in `job_event`."""

    __tablename__ = 'job'
    __table_args__ = (Index('ix_job_status_priority', 'status', 'priority'), Index('ix_job_status_id', 'status', 'id'),
                      {'sqlite_autoincrement': True})

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)  # a search counts its matches in this index, not in 100,000 rows of JSON
    kind: str = Field(index=True)
    status: str
    priority: int = 0
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    stages: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stage_states: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stage_index: int = -1
    current: float = 0.0
    total: float | None = None
    unit: str = 'items'
    message: str = ''
    progress: float = 0.0
    elapsed: float = 0.0
    checkpoint: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    result: Any = Field(default=None, sa_column=Column(JSON))
    error: str | None = None
    error_stage: str | None = None
    traceback: str | None = None
    attempts: int = 0
    created_at: float
    started_at: float | None = None
    finished_at: float | None = Field(default=None, index=True)
    run_at: float | None = None
    schedule_id: str | None = None
    resume_key: str | None = Field(default=None, index=True)
    """An external run's key: a script that opens a run with the same key goes on with this job."""
    peak_rss_bytes: int | None = Field(default=None, sa_column=Column(BigInteger))
    """The most resident memory its process tree held at once (a sample a second), over all its attempts."""
    cpu_seconds: float | None = None
    """CPU time its processes and its thread used, over all its attempts."""


class JobEventRow(SQLModel, table=True):
    __tablename__ = 'job_event'
    __table_args__ = (Index('ix_job_event_job_seq', 'job_id', 'seq'),)

    # Assigned by the app (a global counter), so a live event and its stored copy share the id.
    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    job_id: int = Field(sa_column=Column(Integer, ForeignKey('job.id', ondelete='CASCADE'), nullable=False))
    seq: int
    at: float = Field(index=True)
    type: str
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class MetaRow(SQLModel, table=True):
    __tablename__ = 'meta'

    key: str = Field(primary_key=True)
    value: str


class SettingRow(SQLModel, table=True):
    __tablename__ = 'setting'

    key: str = Field(primary_key=True)
    value: Any = Field(default=None, sa_column=Column(JSON))


# The Core tables behind the models, for the statements the store builds itself.
metadata = SQLModel.metadata
JOB = JobRow.__table__  # type: ignore[attr-defined]
EVENT = JobEventRow.__table__  # type: ignore[attr-defined]
SETTING = SettingRow.__table__  # type: ignore[attr-defined]
OWN_TABLES = frozenset({'job', 'job_event', 'meta', 'setting'})
"""The tables Alembic revisions manage (APScheduler keeps `apscheduler_jobs` itself)."""
