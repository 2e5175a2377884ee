"""Listing one status newest first walks an index (issue 16, item 21): no sort of every matching row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import event

from progress_app.store.engine import create_db_engine, init_schema
from progress_app.store.repository import Repository


def test_a_status_filtered_page_is_read_in_index_order_without_sorting_every_match(tmp_path: Path) -> None:
    path = tmp_path / 'progress.db'
    engine = create_db_engine(f'sqlite:///{path}')
    init_schema(engine)
    listings: list[tuple[str, tuple]] = []

    @event.listens_for(engine, 'before_cursor_execute')
    def capture(conn, cursor, statement, parameters, context, executemany):
        if 'FROM job' in statement and 'ORDER BY' in statement:
            listings.append((statement, parameters))

    Repository(engine).list_jobs(status=['completed'], kind=None, search=None, limit=50, offset=99000,
                                 running_first=False)
    engine.dispose()
    assert listings, 'the listing ran no ordered query'
    with sqlite3.connect(path) as connection:
        for statement, parameters in listings:
            plan = ' / '.join(row[3] for row in connection.execute(f'EXPLAIN QUERY PLAN {statement}', parameters))
            assert 'TEMP B-TREE' not in plan, plan
            assert 'INDEX ix_job_status_id' in plan, plan  # a deep page finds its ids in the index alone (COVERING)
