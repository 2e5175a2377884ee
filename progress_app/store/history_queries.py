"""The history page's reads: a page of finished jobs, and the aggregates its charts show, computed by the
database (a mixin of the repository, which provides `engine`)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from sqlalchemy import Engine, Integer, case, cast, func, literal
from sqlmodel import select

from progress_app.domain.status import FINISHED_NAMES
from progress_app.store.counting import name_match
from progress_app.store.tables import JOB

FINISHED_STATUSES = FINISHED_NAMES
NULLABLE_SORTS = ('peak_rss_bytes', 'cpu_seconds')


class HistoryQueries:
    engine: Engine

    def finished_jobs(self, *, status: Sequence[str] = (), kind: str | None = None, search: str | None = None,
                      since: float | None = None, sort: str = 'finished_at', descending: bool = True,
                      limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """One page of finished jobs (light columns; `error` cut to 300 characters) and how many match.

        `search` matches part of the name or of the error, or the id; `sort` is a column of the job table.
        """
        where = self._finished_where(since, kind)
        if status:
            where.append(JOB.c.status.in_([s for s in status if s in FINISHED_STATUSES]))
        if search and search.strip():
            text = search.strip()
            dialect = self.engine.dialect.name
            match = name_match(JOB.c.name, text, dialect) | name_match(JOB.c.error, text, dialect)
            if text.lstrip('#').isdigit():
                match = match | (JOB.c.id == int(text.lstrip('#')))
            where.append(match)
        column = JOB.c[sort]
        order = column.desc() if descending else column.asc()
        if sort in NULLABLE_SORTS:  # jobs never sampled come last either way, on SQLite and PostgreSQL alike
            order = order.nulls_last()
        columns = [JOB.c[name] for name in ('id', 'name', 'kind', 'status', 'attempts', 'elapsed', 'started_at',
                                            'finished_at', 'error_stage', 'peak_rss_bytes', 'cpu_seconds')]
        with self.engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(JOB).where(*where)).scalar_one()
            rows = connection.execute(
                select(*columns, func.substr(JOB.c.error, 1, 300).label('error')).where(*where)
                .order_by(order, JOB.c.id.desc())
                .offset(offset).limit(limit)).mappings().all()
            return [dict(row) for row in rows], total

    def history_stats(self, since: float | None = None, kind: str | None = None, *, bucket_seconds: int = 86400,
                      utc_offsets: Sequence[tuple[float, int]] = ((float('-inf'), 0),)) -> dict[str, Any]:
        """Aggregates of the jobs that finished since `since`, computed by the database.

        `groups`: per time bucket, kind and status the count, and the sum and max of `elapsed` (active running
        seconds, right for paused and retried jobs). Bucket n: finish time + the UTC offset in effect then
        (`utc_offsets`: `(since, offset)`, oldest first) in the n-th `bucket_seconds` since 1970 (local days).
        `quantiles`: per kind the median and p95 of `elapsed` of its completed jobs (nearest rank).
        """
        where = self._finished_where(since, kind)
        changes = [(JOB.c.finished_at < until, offset) for (_, offset), (until, _) in pairwise(utc_offsets)]
        shift = case(*changes, else_=utc_offsets[-1][1]) if changes else literal(utc_offsets[-1][1])
        ratio = (JOB.c.finished_at + shift) / bucket_seconds
        # CAST truncates, which is floor for times after 1970; SQLite may be built without floor().
        bucket = (cast(ratio, Integer) if self.engine.dialect.name == 'sqlite' else func.floor(ratio)).label('n')
        elapsed = JOB.c.elapsed
        ranked = select(JOB.c.kind, elapsed,
                        func.row_number().over(partition_by=JOB.c.kind, order_by=elapsed).label('rank'),
                        func.count().over(partition_by=JOB.c.kind).label('size')
                        ).where(*where, JOB.c.status == 'completed').subquery()
        picks = {p: (ranked.c.size * p + 99) // 100 for p in (50, 95)}  # nearest rank: ceil(p % of size)
        with self.engine.connect() as connection:
            groups = connection.execute(
                select(bucket, JOB.c.kind, JOB.c.status, func.count(), func.sum(elapsed), func.max(elapsed))
                .where(*where).group_by(bucket, JOB.c.kind, JOB.c.status)).all()
            ranks = connection.execute(select(ranked.c.kind, ranked.c.rank, ranked.c.size, ranked.c.elapsed)
                                       .where((ranked.c.rank == picks[50]) | (ranked.c.rank == picks[95]))).all()
        quantiles: dict[str, dict[str, float]] = {}
        for name, rank, size, value in ranks:
            for p in (50, 95):
                if rank == (size * p + 99) // 100:
                    quantiles.setdefault(name, {})[f'p{p}'] = value
        return {'groups': [{'n': int(n), 'kind': name, 'status': status, 'count': count, 'sum': total or 0.0,
                            'max': longest or 0.0} for n, name, status, count, total, longest in groups],
                'quantiles': quantiles}

    @staticmethod
    def _finished_where(since: float | None, kind: str | None) -> list[Any]:
        # `status || ''`: the same test, but one no index can answer. Given `status IN (…)`, SQLite walked the
        # (status, id) index through every finished job, read each row for its finish time and sorted them all
        # (40 ms for a week's count of 100,000 jobs, 42 ms for a page); the finish-time index reads only the range.
        where = [JOB.c.status.concat('').in_(FINISHED_STATUSES), JOB.c.finished_at.is_not(None)]
        if since is not None:
            where.append(JOB.c.finished_at >= since)
        if kind:
            where.append(JOB.c.kind == kind)
        return where
