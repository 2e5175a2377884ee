"""Counting jobs by status without visiting every job (issue 16, item 20): the dashboard asks on every refresh of every
open page, and with 100,000 finished jobs grouping them took ~10 ms each time."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, insert

from progress_app.domain.status import Status
from progress_app.store.engine import create_db_engine, init_schema
from progress_app.store.repository import Repository
from progress_app.store.tables import JOB


@pytest.fixture
def engine(database, tmp_path: Path) -> Iterator[Engine]:
    (tmp_path / 'data').mkdir()
    engine = create_db_engine(database.url_in(tmp_path / 'data'))
    init_schema(engine)
    yield engine
    engine.dispose()


def add_jobs(engine: Engine, statuses: list[str], name: str = 'Nightly sync') -> None:
    now = time.time()
    rows = [{'name': f'{name} {i}', 'kind': 'demo', 'status': status, 'params': {}, 'options': {}, 'stages': [],
             'stage_states': [], 'created_at': now, 'finished_at': now} for i, status in enumerate(statuses)]
    with engine.begin() as connection:
        connection.execute(insert(JOB), rows)


def every_status(counts: dict[str, int]) -> dict[str, int]:
    return {s.value: counts.get(s.value, 0) for s in Status}


@pytest.mark.databases
def test_counts_are_exact_whichever_status_is_largest_and_leave_unknown_statuses_out(engine) -> None:
    repo = Repository(engine)
    statuses = ['completed'] * 50 + ['failed'] * 7 + ['queued'] * 3 + ['running'] * 2 + ['exploded']
    add_jobs(engine, statuses)
    expected = every_status(Counter(statuses))
    assert repo.count_by_status() == expected
    add_jobs(engine, ['failed'] * 100)  # the largest status is another now: the first count still guesses completed
    expected['failed'] += 100
    assert repo.count_by_status() == expected
    assert repo.count_by_status() == expected


@pytest.mark.databases
def test_listing_totals_for_a_status_a_kind_and_a_search(engine) -> None:
    repo = Repository(engine)
    add_jobs(engine, ['completed'] * 30 + ['failed'] * 4 + ['running'] * 2)
    add_jobs(engine, ['completed'] * 5 + ['failed'], name='Quarterly report')
    assert repo.list_jobs(status=['completed'], limit=10)[1] == 35
    assert repo.list_jobs(status=['completed', 'failed', 'completed'], limit=10, running_first=True)[1] == 40
    assert repo.list_jobs(status=['completed'], kind='demo', limit=10)[1] == 35
    assert repo.list_jobs(status=['completed'], kind='video', limit=10)[1] == 0
    rows, total = repo.list_jobs(search='QUARTERLY', limit=3, running_first=True)  # any case, on both databases
    assert total == 6
    assert [r['name'] for r in rows] == ['Quarterly report 5', 'Quarterly report 4', 'Quarterly report 3']
    assert repo.list_jobs(status=['failed'], search='quarterly', limit=10)[1] == 1
    assert repo.list_jobs(limit=10)[1] == 42


def vm_steps(engine: Engine) -> list[int]:
    """SQLite's virtual-machine instructions executed on `engine`'s connections, in hundreds: the work a query
    does, independent of how busy the machine is."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    @event.listens_for(engine, 'connect')
    def count(dbapi_connection, _record) -> None:
        dbapi_connection.set_progress_handler(tick, 100)

    return steps


def work(steps: list[int], read) -> int:
    before = steps[0]
    read()
    return steps[0] - before


def test_status_counts_and_a_status_page_cost_the_same_with_200_and_20000_finished_jobs(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'progress.db'}")
    steps = vm_steps(engine)
    init_schema(engine)
    repo = Repository(engine)
    reads = {'counts': repo.count_by_status,
             'completed page': lambda: repo.list_jobs(status=['completed'], limit=25, running_first=True),
             'deep completed page': lambda: repo.list_jobs(status=['completed'], limit=25, offset=150),
             'first page': lambda: repo.list_jobs(limit=25, running_first=True)}
    add_jobs(engine, ['completed'] * 190 + ['failed'] * 10 + ['running'] * 3)
    small = {name: work(steps, read) for name, read in reads.items()}
    add_jobs(engine, ['completed'] * 19_800)
    large = {name: work(steps, read) for name, read in reads.items()}
    engine.dispose()
    for name in reads:  # grouping or counting 20,000 index entries alone takes ~2,000 hundreds of steps
        assert large[name] <= small[name] + 20, (name, small[name], large[name])


def test_a_name_search_on_sqlite_counts_in_the_name_index_and_calls_no_function_on_every_row(engine, database):
    if database.kind != 'sqlite':
        pytest.skip('SQLite only: PostgreSQL needs lower() or ILIKE, its LIKE minds the case')
    statements: list[tuple[str, tuple]] = []

    @event.listens_for(engine, 'before_cursor_execute')
    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append((statement, parameters))

    add_jobs(engine, ['completed'] * 3, name='Quarterly report')
    repo = Repository(engine)
    assert repo.list_jobs(search='quarterly', limit=10)[1] == 3
    assert repo.finished_jobs(search='QUARTERLY')[1] == 3
    searches = [(s, p) for s, p in statements if 'LIKE' in s]
    assert searches and not any('lower(' in s for s, _ in searches), searches
    count, parameters = next((s, p) for s, p in searches if s.startswith('SELECT count(*)') and 'FROM job' in s)
    with sqlite3.connect(engine.url.database) as connection:
        plan = ' / '.join(row[3] for row in connection.execute(f'EXPLAIN QUERY PLAN {count}', parameters))
    assert 'COVERING INDEX ix_job_name' in plan, plan


@pytest.mark.databases
def test_a_deep_page_is_found_through_the_index_from_either_end_and_comes_newest_first(engine) -> None:
    repo = Repository(engine)
    statuses = ['completed' if i % 3 else 'failed' for i in range(3000)] + ['running'] * 2
    add_jobs(engine, statuses)
    completed = [i + 1 for i in reversed(range(len(statuses))) if statuses[i] == 'completed']  # ids, newest first
    for offset in (0, 999, 1000, 1001, 1234, 1500, 1950, 1990, 2000, 5000):  # 2,000 completed: the middle is 1,000
        rows, total = repo.list_jobs(status=['completed'], limit=50, offset=offset)
        assert total == 2000 and [r['id'] for r in rows] == completed[offset:offset + 50], offset
    others = list(range(3000, 0, -1))  # after the two running jobs, which come first
    for offset in (1001, 1502, 1503, 2502, 2990, 3002, 3100):
        rows, total = repo.list_jobs(limit=25, offset=offset, running_first=True)
        assert total == 3002 and [r['id'] for r in rows] == others[offset - 2:offset + 23], offset
