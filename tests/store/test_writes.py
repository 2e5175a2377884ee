"""The repository's writes on both paths (sqlite3 directly, SQLAlchemy Core), and the group commit in front."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_mock_engine, select

from progress_app.domain.events import Event, EventType
from progress_app.store.engine import create_db_engine, init_schema
from progress_app.store.repository import Repository
from progress_app.store.tables import JOB
from tests.helpers import wait_until

# Both paths on SQLite, and the Core path on a real PostgreSQL (the `database` fixture).
EVERY_PATH = pytest.mark.parametrize(('database_kind', 'fast'), [('sqlite', True), ('sqlite', False),
                                                                 ('postgres', False)],
                                     ids=['sqlite3', 'core', 'postgres'], indirect=['database_kind'])


def make_repo(path: Path, fast: bool, url: str | None = None) -> Repository:
    """A repository on the SQLite file at `path`, or on the database at `url`."""
    engine = create_db_engine(url or f'sqlite:///{path}')
    init_schema(engine)
    repo = Repository(engine, fast=fast)
    assert repo.fast is fast
    return repo


@pytest.fixture
def repo_on(tmp_path, database):
    """`repo_on(fast)`: a repository on the test's database (SQLite: x.db in tmp_path), closed after the test."""
    made: list[Repository] = []

    def make(fast: bool) -> Repository:
        made.append(make_repo(tmp_path / 'x.db', fast, database.url))
        return made[-1]

    yield make
    for repo in made:
        repo.engine.dispose()


class Events:
    """Events with ids and per-job sequence numbers, as the lifecycle makes them."""

    def __init__(self) -> None:
        self.next_id = 0
        self.seqs: dict[int, int] = {}

    def __call__(self, job_id: int, type: EventType, **data) -> Event:
        self.next_id += 1
        self.seqs[job_id] = self.seqs.get(job_id, 0) + 1
        return Event(id=self.next_id, job_id=job_id, seq=self.seqs[job_id], at=1000.0 + self.next_id, type=type,
                     data=data)


def rows(path: Path) -> dict[str, list[tuple]]:
    """Every stored value, as SQLite has it (text of JSON columns included)."""
    with sqlite3.connect(path) as connection:
        return {table: connection.execute(f'SELECT * FROM {table} ORDER BY 1').fetchall()
                for table in ('job', 'job_event')}


def a_day_of_writes(repo: Repository) -> None:
    """What the app writes over a job's life, including the corner cases: JSON nulls, unicode, removals."""
    event = Events()
    values = {'name': 'Résumé ✓', 'kind': 'demo', 'status': 'queued', 'priority': 3,
              'params': {'items': 5, 'path': '/tmp/ä b'}, 'options': {'stages_declared': True},
              'run_at': None, 'schedule_id': None, 'stages': [['parse', 1.0], ['run', 3.0]],
              'stage_states': ['pending', 'pending'], 'created_at': 1000.0}
    first = repo.create_job(values, lambda job_id: [event(job_id, EventType.CREATED, kind='demo', params={'a': [1]}),
                                                    event(job_id, EventType.QUEUED)])
    second = repo.create_job({**values, 'name': 'second', 'priority': 0}, lambda job_id: [])
    running = {'status': 'running', 'stages': [['parse', 1.0], ['run', 3.0]], 'stage_index': 1,
               'stage_states': ['done', 'running'], 'current': 2, 'total': 5.0, 'unit': 'files', 'message': 'ok',
               'progress': 0.55, 'elapsed': 1.5, 'checkpoint': None, 'attempts': 1, 'started_at': 1001.0}
    repo.save(first, running, [event(first, EventType.STARTED, attempt=1, resuming=False)])
    repo.save_many({first: {'checkpoint': {'state': None, 'track': {'run#0': 2}}, 'message': 'later'},
                    second: {'message': 'not running: left alone'}},
                   [event(first, EventType.PROGRESS, progress=55.0)], live_only=True)
    repo.save(first, {'status': 'completed', 'result': {'items': 5, 'nested': [None, 1.5, 'x']},
                      'finished_at': 1002.0, 'error': None},
              [event(first, EventType.STAGE, stage='run', state='done'), event(first, EventType.COMPLETED)])
    repo.save_many({first: {'message': 'stale snapshot'}}, live_only=True)  # the job ended: not written
    third = repo.create_job({**values, 'name': 'removed'}, lambda job_id: [event(job_id, EventType.CREATED)])
    repo.delete_job(third)
    repo.save_many({third: {'message': 'too late'}}, [event(third, EventType.PROGRESS)])  # skipped, no error


def test_both_write_paths_store_the_same_rows(tmp_path):
    stored = {}
    for fast in (True, False):
        path = tmp_path / f'{fast}.db'
        a_day_of_writes(make_repo(path, fast))
        stored[fast] = rows(path)
    assert stored[True] == stored[False]
    job = stored[True]['job'][0]
    assert json.loads(job[5]) == {'items': 5, 'path': '/tmp/ä b'}
    assert stored[True]['job'][1][13] == ''  # a queued job's row: snapshots (live_only) leave it alone
    assert len(stored[True]['job_event']) == 6


@EVERY_PATH
def test_reads_see_what_was_written(repo_on, fast):
    repo = repo_on(fast)
    a_day_of_writes(repo)
    job = repo.get_job(1)
    assert job['status'] == 'completed' and job['message'] == 'later' and job['last_seq'] == 6
    assert job['checkpoint'] == {'state': None, 'track': {'run#0': 2}}
    assert job['result'] == {'items': 5, 'nested': [None, 1.5, 'x']}
    assert [e['type'] for e in repo.events(1)] == ['created', 'queued', 'started', 'progress', 'stage',
                                                   'completed']


def hold_the_baton_while(repo: Repository, writes: list, expect_queued: int) -> list[threading.Thread]:
    """Start `writes` in threads while the writer's baton is held, so that they queue into one batch."""
    group = repo._writer.group
    threads = [threading.Thread(target=write) for write in writes]
    with group.exclusive():
        for thread in threads:
            thread.start()
        wait_until(lambda: len(group._queued) == expect_queued, message='the writes to queue')
    for thread in threads:
        thread.join(10)
    return threads


@EVERY_PATH
def test_writes_that_come_together_share_one_commit_and_each_is_durable_on_return(repo_on, fast):
    repo = repo_on(fast)
    other = create_db_engine(repo.engine.url.render_as_string(hide_password=False))
    event = Events()
    ids = [repo.create_job({'name': f'j{i}', 'kind': 'demo', 'status': 'queued', 'created_at': 1.0},
                           lambda job_id: []) for i in range(8)]
    commits_before, units_before = repo.commits
    seen: dict[int, str] = {}

    def save(job_id: int) -> None:
        repo.save(job_id, {'status': 'running'}, [event(job_id, EventType.STARTED)])
        with other.connect() as connection:  # another connection sees it as soon as the call returns
            seen[job_id] = connection.execute(select(JOB.c.status).where(JOB.c.id == job_id)).scalar_one()

    hold_the_baton_while(repo, [lambda i=i: save(i) for i in ids], expect_queued=len(ids))
    other.dispose()
    commits, units = repo.commits
    assert (commits - commits_before, units - units_before) == (1, len(ids))
    assert seen == dict.fromkeys(ids, 'running')


@EVERY_PATH
def test_a_failing_write_fails_its_caller_only_and_leaves_nothing_behind(repo_on, fast):
    repo = repo_on(fast)
    event = Events()
    good, bad = (repo.create_job({'name': n, 'kind': 'demo', 'status': 'queued', 'created_at': 1.0},
                                 lambda job_id: []) for n in ('good', 'bad'))
    errors: dict[str, BaseException] = {}

    def write(name: str, job_id: int, events: list[Event]) -> None:
        try:
            repo.save(job_id, {'message': name}, events)
        except Exception as exc:
            errors[name] = exc

    hold_the_baton_while(repo, [
        lambda: write('good', good, [event(good, EventType.MESSAGE)]),
        lambda: write('bad', bad, [event(999, EventType.MESSAGE)]),  # no job 999: the foreign key fails
        lambda: write('also good', good, [event(good, EventType.MESSAGE)]),
    ], expect_queued=3)
    assert list(errors) == ['bad'] and 'foreign key' in str(errors['bad']).lower()
    assert repo.get_job(bad)['message'] == ''  # its row change was rolled back with its event
    assert repo.get_job(good)['message'] in ('good', 'also good')
    assert [e['job_id'] for e in repo.events(good)] == [good, good]
    repo.save(bad, {'message': 'fine now'})  # the writer goes on
    assert repo.get_job(bad)['message'] == 'fine now'


def test_a_batch_is_one_transaction_even_on_a_connection_in_autocommit_mode(tmp_path):
    repo = make_repo(tmp_path / 'x.db', True)
    job_id = repo.create_job({'name': 'j', 'kind': 'demo', 'status': 'queued', 'created_at': 1.0}, lambda i: [])
    repo._writer.connection.connection.driver_connection.isolation_level = None
    with pytest.raises(Exception, match='FOREIGN KEY'):
        repo.save(job_id, {'message': 'half'}, [Events()(999, EventType.MESSAGE)])
    assert repo.get_job(job_id)['message'] == ''  # the update went with the failed event insert


def test_the_fast_path_is_for_sqlite_only():
    engine = create_mock_engine('postgresql+psycopg://', lambda *args, **kwargs: None)
    with pytest.raises(ValueError, match='needs SQLite'):
        Repository(engine, fast=True)  # type: ignore[arg-type]


def test_closing_waits_for_a_batch_in_flight(tmp_path):
    repo = make_repo(tmp_path / 'x.db', True)
    job_id = repo.create_job({'name': 'j', 'kind': 'demo', 'status': 'queued', 'created_at': 1.0}, lambda i: [])
    group = repo._writer.group
    closed = threading.Event()
    with group.exclusive():
        closer = threading.Thread(target=lambda: (repo.engine.dispose(), closed.set()))
        closer.start()
        time.sleep(0.05)
        assert not closed.is_set()  # dispose() waits for the baton before it closes the writer's connection
    closer.join(10)
    assert closed.is_set()
    repo.save(job_id, {'message': 'reopened'})  # the next write opens a connection again
    assert repo.get_job(job_id)['message'] == 'reopened'


@EVERY_PATH
def test_nan_and_infinity_are_stored_as_null_on_every_path(repo_on, fast):
    """Python writes NaN and Infinity into JSON, JSON has no such values and PostgreSQL refused the whole write (a
    job returning {'ratio': nan} could not complete there): they are null, as JavaScript's JSON.stringify makes
    them, on every database."""
    repo = repo_on(fast)
    job_id = repo.create_job({'name': 'j', 'kind': 'demo', 'status': 'running', 'created_at': 1.0},
                             lambda i: [Events()(i, EventType.PROGRESS, speed=float('inf'))])
    repo.save(job_id, {'result': {'ratio': float('nan'), 'sizes': [1.5, float('-inf')]},
                       'checkpoint': {'state': float('nan')}})
    row = repo.get_job(job_id)
    assert row['result'] == {'ratio': None, 'sizes': [1.5, None]} and row['checkpoint'] == {'state': None}
    assert repo.events(job_id)[0]['data'] == {'speed': None}
