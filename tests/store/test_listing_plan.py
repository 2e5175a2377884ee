"""Listings walk an index in the order they show, without sorting every match: one status newest first (issue 16,
item 21), and the History page's week of finished jobs (item 20: given `status IN (…)` SQLite had taken the
(status, id) index, read every finished job's row and sorted them all, 40 ms a count at 100,000 jobs)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event

from progress_app.store.engine import create_db_engine, init_schema
from progress_app.store.repository import Repository
from tests.store.test_status_counts import add_jobs


def plans(tmp_path: Path, read: Callable[[Repository], object], wanted: Callable[[str], bool]) -> list[str]:
    """The query plans of the statements `read` runs that `wanted` picks, on an empty SQLite file."""
    path = tmp_path / 'progress.db'
    engine = create_db_engine(f'sqlite:///{path}')
    init_schema(engine)
    statements: list[tuple[str, tuple]] = []

    @event.listens_for(engine, 'before_cursor_execute')
    def capture(conn, cursor, statement, parameters, context, executemany):
        if wanted(statement):
            statements.append((statement, parameters))

    read(Repository(engine))
    engine.dispose()
    with sqlite3.connect(path) as connection:
        return [' / '.join(row[3] for row in connection.execute(f'EXPLAIN QUERY PLAN {statement}', parameters))
                for statement, parameters in statements]


def test_a_status_filtered_page_is_read_in_index_order_without_sorting_every_match(tmp_path: Path) -> None:
    def read(repo: Repository) -> None:
        add_jobs(repo.engine, ['completed'] * 3000)
        for offset in (0, 1200, 2500):  # a first page, a deep one, one deep enough to count from the oldest end
            repo.list_jobs(status=['completed'], limit=50, offset=offset)

    found = plans(tmp_path, read, lambda statement: 'FROM job' in statement and 'ORDER BY' in statement)
    assert len(found) == 3, found
    for plan in found:
        assert 'TEMP B-TREE' not in plan, plan
        assert 'INDEX ix_job_status_id' in plan, plan  # a deep page finds its ids in the index alone (COVERING)


def test_a_week_of_finished_jobs_is_counted_and_paged_through_the_finish_time_index(tmp_path: Path) -> None:
    found = plans(tmp_path, lambda repo: repo.finished_jobs(since=time.time() - 7 * 86400, limit=25),
                  lambda statement: 'FROM job' in statement)
    assert len(found) == 2, found  # the count and the page
    for plan in found:
        assert 'INDEX ix_job_finished_at' in plan and 'TEMP B-TREE' not in plan, plan
