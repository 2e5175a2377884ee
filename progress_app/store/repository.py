"""The repository: every database read and write of the app, each in its own short unit of work.

Writes are group-committed (group_commit.py) on one long-lived connection, one transaction at a time:
- SQLite allows one writer at a time anyway; without the baton a writer that finds the file locked sleeps in
  SQLite's busy handler (1, 2, 5, 10 … ms) instead of being woken when the lock is free;
- a commit costs several times a statement: threads that write at the same time share one;
- checking a connection out of the pool and back costs about as much as an UPDATE.
On SQLite the hot statements bypass SQLAlchemy's execution layer (writes.py); elsewhere they run through Core.
Readers take no lock and use pooled sessions: WAL lets them read while the writer writes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, delete, event, func, insert
from sqlmodel import Session, col, select

from progress_app.domain.events import Event
from progress_app.domain.status import ACTIVE_NAMES
from progress_app.store.counting import name_match, status_counts, total_from_counts
from progress_app.store.engine import UnreadableJSON
from progress_app.store.group_commit import GroupCommit
from progress_app.store.history_queries import FINISHED_STATUSES, HistoryQueries
from progress_app.store.past_runs import PastRuns
from progress_app.store.tables import EVENT, JOB, SETTING, JobEventRow, JobRow, SettingRow
from progress_app.store.writes import CoreWrites, SqliteSql, SqliteWrites, Writes

ACTIVE_STATUSES = ACTIVE_NAMES
ON_TOP = ('running', 'cancelling', 'paused')  # what the dashboard lists first: the jobs in a worker


def _row_job(row: JobRow) -> dict[str, Any]:
    """A job row as a dict; a damaged JSON column stays an UnreadableJSON, for job_from_row to refuse."""
    return row.model_dump(warnings=False)


def _row_event(row: JobEventRow) -> dict[str, Any]:
    data = row.data if not isinstance(row.data, UnreadableJSON) else {'unreadable': row.data.error}
    return {'id': row.id, 'job_id': row.job_id, 'seq': row.seq, 'at': row.at, 'type': row.type, 'data': data}


def fast_path_available(engine: Engine) -> bool:
    """Whether writes can go straight to sqlite3 (writes.py) rather than through SQLAlchemy Core."""
    return engine.dialect.name == 'sqlite' and engine.dialect.driver == 'pysqlite'


DEEP_OFFSET = 1000
"""From this offset on, a page's ids are found first, in an index, then their rows are read."""


def _newest(session: Session, query: Any, offset: int, limit: int, count: int) -> list[JobRow]:
    """`limit` jobs of `query` (`count` of them in all), newest first, after skipping `offset`. Deep pages find their
    ids first, in an index, then read only those rows: an OFFSET over whole rows reads every skipped job's row (a
    page 86,000 completed jobs deep: 7.7 ms on SQLite, its ids alone 3.2 ms). Past the middle the ids are counted
    from the oldest end, which is nearer (the last page of 95,000: 0.1 ms)."""
    newest = col(JobRow.id).desc()
    if offset < DEEP_OFFSET:
        return list(session.exec(query.order_by(newest).offset(offset).limit(limit)).all())
    ids_query = query.with_only_columns(col(JobRow.id))
    if offset <= count // 2:
        ids = list(session.exec(ids_query.order_by(newest).offset(offset).limit(limit)))
    else:
        end = count - offset  # jobs from the oldest up to the end of this page
        ids = list(session.exec(ids_query.order_by(col(JobRow.id).asc()).offset(max(0, end - limit))
                                .limit(min(limit, end)))) if end > 0 else []
        ids.reverse()
    if not ids:
        return []
    rows = {row.id: row for row in session.exec(select(JobRow).where(col(JobRow.id).in_(ids)))}
    return [rows[i] for i in ids if i in rows]


Columns = dict[str, Any] | Callable[[], dict[str, Any]]
"""A row's new column values, or a function that reads them when the write runs."""


class _Writer:
    """The connection this process writes through (opened on first use, closed with the engine), and the group
    commit in front of it. Kept apart from the repository so that closing it needs no reference to that."""

    def __init__(self, engine: Engine, fast: bool) -> None:
        self.engine = engine
        self.connection: Connection | None = None
        self.sql = SqliteSql(engine.dialect) if fast else None
        self.group: GroupCommit[Writes] = GroupCommit(self.transaction)

    def _connect(self) -> Connection:
        if self.connection is None:
            self.connection = self.engine.connect()
        return self.connection

    @contextmanager
    def transaction(self) -> Iterator[Writes]:
        """One batch of the group commit (its leader holds the baton)."""
        connection = self._connect()
        if self.sql is None:
            with connection.begin():
                writes: Writes = CoreWrites(connection)
                yield writes
                writes.flush()
        else:  # sqlite3 begins on the first write; `with` commits it (or rolls it back on an error)
            raw = connection.connection.driver_connection
            with raw:
                if raw.isolation_level is None:  # a connection in autocommit mode would not begin by itself
                    raw.execute('BEGIN')
                writes = SqliteWrites(raw, self.sql)
                yield writes
                writes.flush()

    @contextmanager
    def core(self) -> Iterator[Connection]:
        """A transaction through SQLAlchemy Core for the rare writes (removal, purge, settings): not grouped,
        but holding the baton, so never at the same time as a batch."""
        with self.group.exclusive():
            connection = self._connect()
            with connection.begin():
                yield connection

    def close(self, *_: Any) -> None:
        with self.group.exclusive():
            if self.connection is not None:
                # Closed for real, not returned: by `engine_disposed` the pool it came from is already disposed,
                # and a connection handed back to it would stay open until garbage collected (psycopg warns).
                self.connection.detach()
                self.connection.close()
                self.connection = None


class Repository(HistoryQueries, PastRuns):
    def __init__(self, engine: Engine, fast: bool | None = None) -> None:
        """`fast`: write SQLite through sqlite3 directly (default: when the engine is SQLite on pysqlite)."""
        self.engine = engine
        self.fast = fast_path_available(engine) if fast is None else fast
        if self.fast and not fast_path_available(engine):
            raise ValueError(f'the fast write path needs SQLite on pysqlite, not {engine.dialect.name}')
        writer = self._writer = _Writer(engine, self.fast)
        self._write = writer.group.run
        self._largest = 'completed'  # the status with the most jobs, which count_by_status() does not visit
        event.listen(engine, 'engine_disposed', writer.close)  # Engine.dispose() returns it to the pool first
        weakref.finalize(self, writer.close)  # a repository dropped without dispose() must not leak it

    @property
    def commits(self) -> tuple[int, int]:
        """(transactions committed, units of work they held): how well concurrent writes were grouped."""
        group = self._writer.group
        return group.commits, group.units

    def create_job(self, values: dict[str, Any], make_events: Callable[[int], list[Event]]) -> int:
        """Insert a job and its first events in one transaction; returns the new id."""
        def work(writes: Writes) -> int:
            job_id = writes.insert_job(values)
            writes.insert_events(make_events(job_id))
            return job_id

        return self._write(work)

    def save(self, job_id: int, values: dict[str, Any], events: Sequence[Event] = ()) -> None:
        """Update one job and append events, committed before this returns."""
        def work(writes: Writes) -> None:
            writes.update_jobs(((job_id, values),))
            writes.insert_events(events)

        self._write(work)

    def save_many(self, updates: dict[int, Columns], events: Sequence[Event] = (), *,
                  live_only: bool = False) -> None:
        """A batch of many jobs' rows and events in one transaction.

        Rows of jobs removed in the meantime are skipped, so one late write never fails the whole batch. With
        `live_only` (the recorder's snapshots), rows of jobs that have ended meanwhile are left as they are.
        A row's columns may be given as a function: it is called as the transaction runs, with the write baton
        held, so a write-behind snapshot taken before another thread's commit can never overwrite it with older
        values (ctx.track() commits a job's checkpoint itself while the recorder writes the same row).
        """
        ids = set(updates) | {e.job_id for e in events}
        if not ids:
            return

        def work(writes: Writes) -> None:
            # An UPDATE of a removed job's row changes nothing: only events need the look-up (ctx.track()'s
            # checkpoints come here without any, many a second).
            writes.update_jobs([(job_id, values() if callable(values) else values)
                                for job_id, values in updates.items()], live_only)
            if events:
                existing = writes.existing({e.job_id for e in events})
                writes.insert_events([e for e in events if e.job_id in existing])

        self._write(work)

    def get_job(self, job_id: int) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            row = session.get(JobRow, job_id)
            if row is None:
                return None
            data = _row_job(row)
            data['last_seq'] = session.exec(
                select(func.max(JobEventRow.seq)).where(col(JobEventRow.job_id) == job_id)).one() or 0
            return data

    def list_jobs(self, *, status: Sequence[str] = (), kind: str | None = None, search: str | None = None,
                  limit: int = 50, offset: int = 0, running_first: bool = False) -> tuple[list[dict[str, Any]], int]:
        """Newest first; with `running_first`, running and paused jobs come before all others. `search` matches
        part of the name, or the id (`17` or `#17`)."""
        with Session(self.engine) as session:
            query = select(JobRow)
            if status:
                query = query.where(col(JobRow.status).in_(status))
            if kind:
                query = query.where(JobRow.kind == kind)
            text = (search or '').strip()
            if text:
                match = name_match(col(JobRow.name), text, self.engine.dialect.name)
                if text.lstrip('#').isdigit():
                    match = match | (col(JobRow.id) == int(text.lstrip('#')))
                query = query.where(match)
            total = None
            if status and not kind and not text:  # not a walk through every job of the status on each refresh
                total = total_from_counts(self._count_by_status(session.connection()), status)
            if total is None:
                total = session.exec(select(func.count()).select_from(query.subquery())).one()
            if not running_first:
                return [_row_job(r) for r in _newest(session, query, offset, limit, total)], total
            # Two queries rather than ORDER BY CASE, which sorts every row: ~30 ms for 50,000 jobs, per refresh
            on_top = col(JobRow.status).in_(ON_TOP)
            top = session.exec(select(func.count()).select_from(query.where(on_top).subquery())).one()
            rows = _newest(session, query.where(on_top), offset, limit, top) if offset < top else []
            if len(rows) < limit:
                rows += _newest(session, query.where(~on_top), max(0, offset - top), limit - len(rows), total - top)
            return [_row_job(r) for r in rows], total

    def newest_with_resume_key(self, resume_key: str, kind: str) -> tuple[int, str] | None:
        """(id, status) of the newest job of `kind` with this resume key, or None."""
        with Session(self.engine) as session:
            row = session.exec(select(JobRow.id, JobRow.status)
                               .where(JobRow.resume_key == resume_key, JobRow.kind == kind)
                               .order_by(col(JobRow.id).desc()).limit(1)).first()
            return None if row is None else (row[0], row[1])

    def active_jobs(self) -> list[dict[str, Any]]:
        """Every unfinished job with the last sequence number of its history (for recovery)."""
        active = JOB.c.status.in_(ACTIVE_STATUSES)
        with self.engine.connect() as connection:  # Core: start-up waits for this, ORM objects are not needed
            rows = [dict(row._mapping) for row in connection.execute(select(JOB).where(active))]
            if not rows:
                return []
            seqs = dict(connection.execute(  # a subquery, not a list of ids: no limit on bound parameters
                select(EVENT.c.job_id, func.max(EVENT.c.seq))
                .where(EVENT.c.job_id.in_(select(JOB.c.id).where(active)))
                .group_by(EVENT.c.job_id)).all())
            return [row | {'last_seq': seqs.get(row['id'], 0)} for row in rows]

    def delete_job(self, job_id: int) -> bool:
        with self._writer.core() as connection:
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
        """Jobs per status (every status the app knows, zero included), from one snapshot."""
        with self.engine.connect() as connection:
            return self._count_by_status(connection)

    def _count_by_status(self, connection: Connection) -> dict[str, int]:
        counts = status_counts(connection, self._largest)
        self._largest = max(counts, key=lambda s: counts[s])
        return counts

    def purge_finished(self, before: float) -> list[int]:
        """Delete finished jobs (and their events) that ended before `before`; returns their ids."""
        with self._writer.core() as connection:
            ids = list(connection.execute(select(JOB.c.id).where(JOB.c.status.in_(FINISHED_STATUSES),
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
        with self._writer.core() as connection:
            connection.execute(delete(SETTING).where(SETTING.c.key == key))
            connection.execute(insert(SETTING), {'key': key, 'value': value})
