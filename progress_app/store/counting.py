"""Counting jobs without visiting every row, and matching names cheaply: what keeps the dashboard's refresh flat
from 1,000 to 100,000 jobs (bench/scale.py).

Grouping 100,000 jobs by status took ~10 ms on SQLite on every refresh of every open page, and a status-filtered
listing counted its 95,000 matches again. Here each status but the largest is counted in its own range of the
(status, id) index, and the largest is what is left of the total, which SQLite counts from the b-tree's pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, select

from progress_app.domain.status import Status
from progress_app.store.tables import JOB

KNOWN = tuple(sorted(s.value for s in Status))


def _count(*where: ColumnElement[bool]) -> Any:
    return select(func.count()).select_from(JOB).where(*where).scalar_subquery()


@cache
def _counting(largest: str) -> Select[Any]:
    """The statement, built once per guess: building its 17 subqueries took 10x as long as running them."""
    status = JOB.c.status
    gaps = [status < KNOWN[0], *(and_(status > a, status < b) for a, b in pairwise(KNOWN)), status > KNOWN[-1]]
    return select(_count(), *(_count(status == s) for s in KNOWN if s != largest), *(_count(gap) for gap in gaps))


def status_counts(connection: Connection, largest: str) -> dict[str, int]:
    """Jobs per known status, read in one statement (one snapshot); `largest` is the status guessed to hold the
    most jobs, which is not visited. Rows with a status this app does not know (a damaged row) are counted apart,
    range by range between the known ones, so they are not taken for `largest` jobs; they are not returned."""
    counted = [s for s in KNOWN if s != largest]
    row = connection.execute(_counting(largest)).one()
    total, counts, unknown = row[0], dict(zip(counted, row[1:1 + len(counted)], strict=True)), row[1 + len(counted):]
    counts[largest] = total - sum(counts.values()) - sum(unknown)
    return {s: counts[s] for s in KNOWN}


def name_match(column: Any, text: str, dialect: str) -> ColumnElement[bool]:
    """`column` contains `text`, in any case. SQLite's LIKE already ignores the case (of ASCII letters, as its
    lower() does), so it is used bare there: lower() on every row made a search through 100,000 names 2.5x slower.
    PostgreSQL's LIKE minds the case."""
    return column.contains(text, autoescape=True) if dialect == 'sqlite' else column.icontains(text, autoescape=True)


def total_from_counts(counts: dict[str, int], status: Sequence[str]) -> int | None:
    """The number of jobs in any of `status` from the status counts, or None if one of them is not counted."""
    if any(s not in counts for s in status):
        return None
    return sum(counts[s] for s in set(status))
