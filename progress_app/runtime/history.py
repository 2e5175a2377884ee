"""The history of finished jobs: a sortable page of them, and the aggregates the history charts show."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from progress_app.domain import localtime
from progress_app.domain.status import FINISHED_NAMES
from progress_app.errors import InvalidParams
from progress_app.runtime.engine.job import iso
from progress_app.store.repository import Repository

HISTORY_SORTS = ('finished_at', 'elapsed', 'name', 'kind', 'status', 'attempts', 'peak_rss_bytes', 'cpu_seconds')
MAX_BUCKETS = 120
ZONE_LOOKBACK = 400 * 86400  # without `since`, offsets are looked up this far back (older jobs: the oldest one)


def finished_page(repo: Repository, *, status: Iterable[str] = (), kind: str | None = None,
                  search: str | None = None, since: float | None = None, sort: str = 'finished_at',
                  descending: bool = True, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """A page of finished jobs, `{items, total}`, newest first by default. `elapsed_seconds` is the job's
    active running time (not finished - started, which would count pauses and waits between attempts)."""
    if sort not in HISTORY_SORTS:
        raise InvalidParams.field('sort', f"must be one of {', '.join(HISTORY_SORTS)}")
    rows, total = repo.finished_jobs(status=list(status), kind=kind, search=search, since=since, sort=sort,
                                     descending=descending, limit=limit, offset=offset)
    items = [{k: v for k, v in row.items() if k != 'elapsed'} | {
        'elapsed_seconds': row['elapsed'], 'started_at': iso(row['started_at']),
        'finished_at': iso(row['finished_at'])} for row in rows]
    return {'items': items, 'total': total}


def report(repo: Repository, since: float | None = None, kind: str | None = None, *, bucket: str = 'day',
           now: float | None = None) -> dict[str, Any]:
    """What the history charts show about the jobs that finished since `since` (None: all), aggregated by the
    database: counts per local hour or day and status (days become weeks when there are more than
    MAX_BUCKETS), and per kind the outcomes, the success rate (completed / (completed + failed); cancelling
    is the user's choice, not a failure) and the active running time of completed jobs (mean, p50, p95, max).
    Buckets follow the local clock across daylight-saving changes (a day is 23 or 25 hours then).
    """
    size = {'hour': 3600, 'day': 86400}[bucket]
    now = time.time() if now is None else now
    zone = localtime.offsets(since if since is not None else now - ZONE_LOOKBACK, now)
    stats = repo.history_stats(since, kind, bucket_seconds=size, utc_offsets=zone)
    groups = stats['groups']
    first = (int((since + localtime.offset_at(since)) // size) if since is not None
             else min((g['n'] for g in groups), default=0))
    # A job that finished after `now` (the clock was set back since) extends the range rather than breaking it.
    last = max(int((now + localtime.offset_at(now)) // size), first, *(g['n'] for g in groups))
    if bucket == 'day' and last - first >= MAX_BUCKETS:  # day 0 was a Thursday: +3 makes weeks start on Monday
        bucket, first, last = 'week', (first + 3) // 7, (last + 3) // 7
        groups = [g | {'n': (g['n'] + 3) // 7} for g in groups]
    starts = {n: localtime.bucket_start(n, bucket) for n in range(first, last + 1)}
    index = {n: i for i, n in enumerate(n for n, start in starts.items() if start is not None)}
    counts = {status: [0] * len(index) for status in FINISHED_NAMES}
    kinds: dict[str, dict[str, Any]] = {}
    for g in groups:
        counts[g['status']][index[g['n']]] += g['count']
        k = kinds.setdefault(g['kind'], {'kind': g['kind'], **dict.fromkeys(FINISHED_NAMES, 0), 'seconds': 0.0,
                                         'completed_seconds': 0.0, 'max': None})
        k[g['status']] += g['count']
        k['seconds'] += g['sum']
        if g['status'] == 'completed':
            k['completed_seconds'] += g['sum']
            k['max'] = max(k['max'] or 0.0, g['max'])
    for name, k in kinds.items():
        k['success_rate'] = _rate(k['completed'], k['failed'])
        k['mean'] = k.pop('completed_seconds') / k['completed'] if k['completed'] else None
        k.update({p: stats['quantiles'].get(name, {}).get(p) for p in ('p50', 'p95')})
    totals = {status: sum(values) for status, values in counts.items()}
    totals |= {'finished': sum(totals.values()), 'success_rate': _rate(totals['completed'], totals['failed']),
               'seconds': sum(k['seconds'] for k in kinds.values())}
    return {'bucket': bucket, 'starts': [start for start in starts.values() if start is not None],
            'counts': counts,
            'totals': totals, 'kinds': sorted(kinds.values(), key=lambda k: k['kind'])}


def _rate(completed: int, failed: int) -> float | None:
    return completed / (completed + failed) if completed + failed else None
