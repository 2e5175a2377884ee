"""The repository: every database read and write of the app, each in its own short unit of work."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Engine, delete, func, insert, update
from sqlmodel import Session, col, select

from progress_app.domain.events import Event
from progress_app.store.tables import JobEventRow, JobRow, SettingRow

ACTIVE_STATUSES = ('scheduled', 'queued', 'running', 'paused')


def _event_rows(events: Iterable[Event]) -> list[dict[str, Any]]:
    return [{'id': e.id, 'job_id': e.job_id, 'seq': e.seq, 'at': e.at, 'type': e.type.value, 'data': e.data}
            for e in events]


def _row_event(row: JobEventRow) -> dict[str, Any]:
    return {'id': row.id, 'job_id': row.job_id, 'seq': row.seq, 'at': row.at, 'type': row.type, 'data': row.data}


class Repository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_job(self, values: dict[str, Any], make_events: Callable[[int], list[Event]]) -> int:
        """Insert a job and its first events in one transaction; returns the new id."""
        with Session(self.engine) as session:
            row = JobRow(**values)
            session.add(row)
            session.flush()
            assert row.id is not None
            events = make_events(row.id)
            if events:
                session.execute(insert(JobEventRow), _event_rows(events))
            session.commit()
            return row.id

    def save(self, job_id: int, values: dict[str, Any], events: Sequence[Event] = ()) -> None:
        """Update one job and append events, committed before this returns."""
        with Session(self.engine) as session:
            session.execute(update(JobRow).where(col(JobRow.id) == job_id).values(**values))
            if events:
                session.execute(insert(JobEventRow), _event_rows(events))
            session.commit()

    def save_many(self, updates: dict[int, dict[str, Any]], events: Sequence[Event] = ()) -> None:
        """Write-behind batch: many jobs' snapshots and events in one transaction.

        Rows of jobs removed in the meantime are skipped, so one late write never fails the whole batch.
        """
        ids = set(updates) | {e.job_id for e in events}
        if not ids:
            return
        with Session(self.engine) as session:
            existing = set(session.exec(select(JobRow.id).where(col(JobRow.id).in_(ids))).all())
            for job_id, values in updates.items():
                if job_id in existing:
                    session.execute(update(JobRow).where(col(JobRow.id) == job_id).values(**values))
            rows = _event_rows(e for e in events if e.job_id in existing)
            if rows:
                session.execute(insert(JobEventRow), rows)
            session.commit()

    def get_job(self, job_id: int) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            row = session.get(JobRow, job_id)
            if row is None:
                return None
            data = row.model_dump()
            data['last_seq'] = session.exec(
                select(func.max(JobEventRow.seq)).where(col(JobEventRow.job_id) == job_id)).one() or 0
            return data

    def list_jobs(self, *, status: Sequence[str] = (), kind: str | None = None, limit: int = 50, offset: int = 0,
                  exclude_ids: Iterable[int] = ()) -> tuple[list[dict[str, Any]], int]:
        with Session(self.engine) as session:
            query = select(JobRow)
            if status:
                query = query.where(col(JobRow.status).in_(status))
            if kind:
                query = query.where(JobRow.kind == kind)
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
        with Session(self.engine) as session:
            session.execute(delete(JobEventRow).where(col(JobEventRow.job_id) == job_id))
            deleted = session.execute(delete(JobRow).where(col(JobRow.id) == job_id)).rowcount
            session.commit()
            return bool(deleted)

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
        with Session(self.engine) as session:
            ids = session.exec(select(JobRow.id).where(col(JobRow.status).in_(('completed', 'failed', 'cancelled')),
                                                       col(JobRow.finished_at) < before)).all()
            for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
                session.execute(delete(JobEventRow).where(col(JobEventRow.job_id).in_(chunk)))
                session.execute(delete(JobRow).where(col(JobRow.id).in_(chunk)))
            session.execute(delete(JobEventRow).where(col(JobEventRow.at) < before, JobEventRow.type == 'progress'))
            session.commit()
            return list(ids)

    def get_settings(self) -> dict[str, Any]:
        with Session(self.engine) as session:
            return {r.key: r.value for r in session.exec(select(SettingRow)).all()}

    def put_setting(self, key: str, value: Any) -> None:
        with Session(self.engine) as session:
            session.merge(SettingRow(key=key, value=value))
            session.commit()
