"""The History page's reads of one week walk the finish-time index (issue 16, item 20): given `status IN (…)` SQLite
had taken the (status, id) index, read every finished job's row and sorted them all, 40 ms a count at 100,000 jobs."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import event

from progress_app.store.engine import create_db_engine, init_schema
from progress_app.store.repository import Repository


def test_a_week_of_finished_jobs_is_counted_and_paged_through_the_finish_time_index(tmp_path: Path) -> None:
    path = tmp_path / 'progress.db'
    engine = create_db_engine(f'sqlite:///{path}')
    init_schema(engine)
    reads: list[tuple[str, tuple]] = []

    @event.listens_for(engine, 'before_cursor_execute')
    def capture(conn, cursor, statement, parameters, context, executemany):
        if 'FROM job' in statement:
            reads.append((statement, parameters))

    Repository(engine).finished_jobs(since=time.time() - 7 * 86400, limit=25)
    engine.dispose()
    assert len(reads) == 2, reads  # the count and the page
    with sqlite3.connect(path) as connection:
        for statement, parameters in reads:
            plan = ' / '.join(row[3] for row in connection.execute(f'EXPLAIN QUERY PLAN {statement}', parameters))
            assert 'INDEX ix_job_finished_at' in plan and 'TEMP B-TREE' not in plan, plan
