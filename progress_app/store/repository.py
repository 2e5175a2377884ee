"""The repository: every database read and write of the app, each in its own short unit of work.

Writes go through SQLAlchemy Core on a plain connection, serialised by one lock per process. SQLite allows one
writer at a time anyway; without the lock a writer that finds the file locked sleeps in SQLite's busy handler
(1, 2, 5, 10 … ms) instead of being woken when the lock is free. Core rather than ORM-enabled `update()` because
the ORM version walks the session's identity map and re-resolves columns on every call, which made a status
change cost several times the SQL it runs (bench/throughput.py). Readers take no lock: WAL lets them read while
one connection writes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, update
from sqlmodel import Session, col, select

from progress_app.domain.events import Event
from progress_app.store.tables import JobEventRow, JobRow, SettingRow

ACTIVE_STATUSES = ('scheduled', 'queued', 'running', 'paused')

JOB = JobRow.__table__  # type: ignore[attr-defined]
EVENT = JobEventRow.__table__  # type: ignore[attr-defined]
SETTING = SettingRow.__table__  # type: ignore[attr-defined]
JSON_DEFAULTS = {'params': {}, 'options': {}, 'stages': [], 'stage_states': []}  # columns without a SQL default
# One cached statement for every job update: the SET clause is the parameters' keys (all but `job_id_`).
UPDATE_JOB = update(JOB).where(JOB.c.id == bindparam('job_id_'))


def _event_rows(events: Iterable[Event]) -> list[dict[str, Any]]:
    return [{'id': e.id, 'job_id': e.job_id, 'seq': e.seq, 'at': e.at, 'type': e.type.value, 'data': e.data}
            for e in events]


def _row_event(row: JobEventRow) -> dict[str, Any]:
    return {'id': row.id, 'job_id': row.job_id, 'seq': row.seq, 'at': row.at, 'type': row.type, 'data': row.data}


class Repository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_lock = threading.Lock()

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """One write transaction, committed when the block ends, under this process's write lock."""
        with self._write_lock, self.engine.begin() as connection:
            yield connection

    def create_job(self, values: dict[str, Any], make_events: Callable[[int], list[Event]]) -> int:
        """Insert a job and its first events in one transaction; returns the new id."""
        with self._writing() as connection:
            job_id = connection.execute(insert(JOB), JSON_DEFAULTS | values).inserted_primary_key[0]
            events = make_events(job_id)
            if events:
                connection.execute(insert(EVENT), _event_rows(events))
            return job_id

    def save(self, job_id: int, values: dict[str, Any], events: Sequence[Event] = ()) -> None:
        """Update one job and append events, committed before this returns."""
        with self._writing() as connection:
            connection.execute(UPDATE_JOB, {**values, 'job_id_': job_id})
            if events:
                connection.execute(insert(EVENT), _event_rows(events))

    def save_many(self, updates: dict[int, dict[str, Any]], events: Sequence[Event] = ()) -> None:
        """Write-behind batch: many jobs' snapshots and events in one transaction.

        Rows of jobs removed in the meantime are skipped, so one late write never fails the whole batch.
        """
        ids = set(updates) | {e.job_id for e in events}
        if not ids:
            return
        with self._writing() as connection:
            existing = set(connection.execute(select(JOB.c.id).where(JOB.c.id.in_(ids))).scalars())
            batches: dict[tuple[str, ...], list[dict[str, Any]]] = {}  # executemany needs the same columns
            for job_id, values in updates.items():
                if job_id in existing:
                    batches.setdefault(tuple(values), []).append({**values, 'job_id_': job_id})
            for rows in batches.values():
                connection.execute(UPDATE_JOB, rows)
            event_rows = _event_rows(e for e in events if e.job_id in existing)
            if event_rows:
                connection.execute(insert(EVENT), event_rows)

    def get_job(self, job_id: int) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            row = session.get(JobRow, job_id)
            if row is None:
                return None
            data = row.model_dump()
            data['last_seq'] = session.exec(
                select(func.max(JobEventRow.seq)).where(col(JobEventRow.job_id) == job_id)).one() or 0
            return data

    def list_jobs(self, *, status: Sequence[str] = (), kind: str | None = None, search: str | None = None,
                  limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Newest first. `search` matches part of the name, or the id (`17` or `#17`)."""
        with Session(self.engine) as session:
            query = select(JobRow)
            if status:
                query = query.where(col(JobRow.status).in_(status))
            if kind:
                query = query.where(JobRow.kind == kind)
            if search and search.strip():
                text = search.strip()
                match = col(JobRow.name).contains(text, autoescape=True)
                if text.lstrip('#').isdigit():
                    match = match | (col(JobRow.id) == int(text.lstrip('#')))
                query = query.where(match)
            total = session.exec(select(func.count()).select_from(query.subquery())).one()
            rows = session.exec(query.order_by(col(JobRow.id).desc()).offset(offset).limit(limit)).all()
            return [r.model_dump() for r in rows], total

    def active_jobs(self) -> list[dict[str, Any]]:
        """Every unfinished job with the last sequence number of its history (for recovery)."""
        with Session(self.engine) as session:
            rows = session.exec(select(JobRow).where(col(JobRow.status).in_(ACTIVE_STATUSES))).all()
            if not rows:
                return []
            seqs = dict(session.exec(
                select(JobEventRow.job_id, func.max(JobEventRow.seq))
                .where(col(JobEventRow.job_id).in_([r.id for r in rows]))
                .group_by(col(JobEventRow.job_id))).all())
            return [r.model_dump() | {'last_seq': seqs.get(r.id, 0)} for r in rows]

    def delete_job(self, job_id: int) -> bool:
        with self._writing() as connection:
            connection.execute(delete(EVENT).where(EVENT.c.job_id == job_id))
            return bool(connection.execute(delete(JOB).where(JOB.c.id == job_id)).rowcount)

    def events(self, job_id: int, since: int = 0, limit: int = 10_000) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            rows = session.exec(select(JobEventRow).where(JobEventRow.job_id == job_id, JobEventRow.seq > since)
                                .order_by(col(JobEventRow.seq)).limit(limit)).all()
            return [_row_event(r) for r in rows]

    def events_after(self, event_id: int, limit: int = 10_000) -> list[dict[str, Any]]:
        """All jobs' events with an id above `event_id`, in id order (to replay a missed stretch of a stream)."""
        with Session(self.engine) as session:
            rows = session.exec(select(JobEventRow).where(JobEventRow.id > event_id)
                                .order_by(col(JobEventRow.id)).limit(limit)).all()
            return [_row_event(r) for r in rows]

    def max_event_id(self) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.max(JobEventRow.id))).one() or 0

    def count_by_status(self) -> dict[str, int]:
        with Session(self.engine) as session:
            return dict(session.exec(select(JobRow.status, func.count()).group_by(col(JobRow.status))).all())

    def purge_finished(self, before: float) -> list[int]:
        """Delete finished jobs (and their events) that ended before `before`; returns their ids."""
        with self._writing() as connection:
            ids = list(connection.execute(select(JOB.c.id).where(JOB.c.status.in_(('completed', 'failed', 'cancelled')),
                                                                 JOB.c.finished_at < before)).scalars())
            for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
                connection.execute(delete(EVENT).where(EVENT.c.job_id.in_(chunk)))
                connection.execute(delete(JOB).where(JOB.c.id.in_(chunk)))
            connection.execute(delete(EVENT).where(EVENT.c.at < before, EVENT.c.type == 'progress'))
            return ids

    def get_settings(self) -> dict[str, Any]:
        with Session(self.engine) as session:
            return {r.key: r.value for r in session.exec(select(SettingRow)).all()}

    def put_setting(self, key: str, value: Any) -> None:
        with self._writing() as connection:
            connection.execute(delete(SETTING).where(SETTING.c.key == key))
            connection.execute(insert(SETTING), {'key': key, 'value': value})
