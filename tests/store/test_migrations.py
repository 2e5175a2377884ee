"""Users' databases upgrade in place: a first-release data dir (from a dump of that release's database) opens in
this release with everything in it, an older one is backed up first, a newer one is refused untouched, and the
revisions describe exactly the tables the code declares."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from progress_app.store import migrate
from progress_app.store.engine import create_db_engine, init_schema
from progress_app.store.tables import JOB, OWN_TABLES, metadata
from tests.helpers import ROOT, AppProcess, free_port, wait_until

ON_POSTGRESQL = pytest.mark.parametrize('database_kind', ['postgres'], indirect=True)
DUMP = Path(__file__).parent / 'first_release' / 'first_release.sql'


def first_release_data_dir(root: Path) -> Path:
    data = root / 'data'
    data.mkdir(parents=True)
    with sqlite3.connect(data / 'progress.db') as connection:
        connection.executescript(DUMP.read_text())
    return data


def test_a_first_release_data_dir_opens_with_everything_in_it(tmp_path):
    data = first_release_data_dir(tmp_path)
    with sqlite3.connect(data / 'progress.db') as connection:
        events_before = connection.execute('SELECT count(*) FROM job_event').fetchone()[0]
    app = AppProcess(data).start()
    try:
        listed = app.client.get('/api/jobs', params={'limit': 100}).json()['items']
        # the dump's nightly schedule fires once at start when its time (a date now past) went by while it was down
        nightly = [job for job in listed if job['schedule_id']]
        assert len(nightly) <= 1 and all(job['name'] == 'nightly' for job in nightly), nightly
        jobs = {job['name']: job for job in listed if not job['schedule_id']}
        assert {name: job['status'] for name, job in jobs.items() if name != 'interrupted one'} == {
            'completed one': 'completed', 'failed one': 'failed', 'cancelled one': 'cancelled',
            'queued one': 'completed', 'paused one': 'paused', 'scheduled one': 'scheduled'}  # queued: it ran
        assert jobs['failed one']['error'] and jobs['completed one']['result'] is not None
        interrupted = jobs['interrupted one']
        events = app.client.get(f"/api/jobs/{interrupted['id']}/events").json()
        assert [e['type'] for e in events].count('interrupted') == 1
        started = [e for e in events if e['type'] == 'started']
        assert started[-1]['data'] == {'attempt': 2, 'resuming': True}
        assert interrupted['current'] >= 30  # it goes on from its checkpoint (30 items), not from 0
        assert len(events) > 10 and app.client.get('/api/jobs/1/events').json()[0]['type'] == 'created'
        schedules = app.client.get('/api/schedules').json()
        assert [(s['name'], s['cron']) for s in schedules] == [('nightly', '0 3 * * *')]
    finally:
        app.stop()
        app.client.close()
    backup = data / 'progress.db.bak-0001'
    with sqlite3.connect(backup) as copy:  # the old file as it was, beside the upgraded one
        assert copy.execute('SELECT count(*) FROM job_event').fetchone()[0] == events_before
        assert not copy.execute("SELECT name FROM sqlite_master WHERE name = 'alembic_version'").fetchall()
    with sqlite3.connect(data / 'progress.db') as upgraded:
        assert upgraded.execute('SELECT version_num FROM alembic_version').fetchone()[0] == migrate.head()


def test_a_database_of_a_newer_app_is_refused_and_left_untouched(tmp_path):
    data = tmp_path / 'data'
    data.mkdir()
    engine = create_db_engine(f"sqlite:///{data / 'progress.db'}")
    init_schema(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0999'")
    engine.dispose()
    before = (data / 'progress.db').read_bytes()
    result = subprocess.run([sys.executable, str(ROOT / 'app.py'), '--no-browser', '--port', str(free_port()),
                             '--data-dir', str(data)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert 'written by a newer Progress App (schema revision 0999)' in lines[0]
    assert f'knows revisions up to {migrate.head()}' in lines[0]
    assert (data / 'progress.db').read_bytes() == before
    assert not list(data.glob('*.bak*'))


def test_upgrading_twice_changes_nothing_and_makes_no_backup(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'progress.db'}")
    assert init_schema(engine) is None
    assert init_schema(engine) is None
    assert not list(tmp_path.glob('*.bak*'))
    engine.dispose()


def test_the_revisions_build_exactly_the_tables_the_code_declares(tmp_path):
    """Adding a column is one change in tables.py plus one revision: if the two disagree, this fails."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'progress.db'}")
    init_schema(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            'include_object': lambda obj, name, type_, *_: type_ != 'table' or name in OWN_TABLES,
            'compare_type': True})
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_an_older_revision_is_backed_up_then_upgraded(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'progress.db'}")
    init_schema(engine)
    with engine.begin() as connection:  # as a database of revision 0001 is: without the listing index, resume_key
        connection.exec_driver_sql('DROP INDEX ix_job_status_id')
        connection.exec_driver_sql('DROP INDEX ix_job_resume_key')
        connection.exec_driver_sql('ALTER TABLE job DROP COLUMN resume_key')
        connection.exec_driver_sql('ALTER TABLE job DROP COLUMN peak_rss_bytes')  # and without 0005's columns
        connection.exec_driver_sql('ALTER TABLE job DROP COLUMN cpu_seconds')
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
        connection.exec_driver_sql("INSERT INTO meta VALUES ('marker', 'kept')")
    backup = init_schema(engine)
    assert backup == str(tmp_path / 'progress.db.bak-0001')
    with sqlite3.connect(backup) as copy:
        assert copy.execute("SELECT value FROM meta WHERE key = 'marker'").fetchone() == ('kept',)
    with engine.connect() as connection:
        indexes = [row[1] for row in connection.exec_driver_sql("PRAGMA index_list('job')")]
        assert {'ix_job_status_id', 'ix_job_resume_key'} <= set(indexes)
    engine.dispose()
    wait_until(lambda: Path(backup).stat().st_mode & 0o077 == 0)


@ON_POSTGRESQL
def test_on_postgresql_the_revisions_upgrade_a_first_release_database_and_build_the_declared_tables(database, tmp_path):
    """On PostgreSQL from revision 0001 (a database of the first release) to the head, rows kept, no backup (the
    server's own are the way); the result is exactly what tables.py declares, types included."""
    engine = create_db_engine(database.url_in(tmp_path))
    try:
        with engine.begin() as connection:
            command.upgrade(migrate._config(connection), migrate.FIRST_RELEASE)
            connection.execute(JOB.insert(), {
                'name': 'kept', 'kind': 'demo', 'status': 'completed', 'priority': 0, 'params': {'items': 3},
                'options': {}, 'stages': [], 'stage_states': [], 'stage_index': -1, 'current': 3.0, 'unit': 'items',
                'message': '', 'progress': 1.0, 'elapsed': 0.5, 'attempts': 1, 'created_at': 1.0})
        assert init_schema(engine) is None
        with engine.connect() as connection:
            assert migrate.current(connection) == migrate.head()
            assert connection.execute(select(JOB.c.name, JOB.c.params)).all() == [('kept', {'items': 3})]
            context = MigrationContext.configure(connection, opts={
                'include_object': lambda obj, name, type_, *_: type_ != 'table' or name in OWN_TABLES,
                'compare_type': True})
            assert compare_metadata(context, metadata) == []
        assert init_schema(engine) is None  # twice: nothing to do
    finally:
        engine.dispose()


@ON_POSTGRESQL
def test_on_postgresql_a_database_of_a_newer_app_is_refused_and_left_untouched(database, tmp_path):
    engine = create_db_engine(database.url_in(tmp_path))
    init_schema(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0999'")
    result = subprocess.run([sys.executable, str(ROOT / 'app.py'), '--no-browser', '--port', str(free_port()),
                             '--data-dir', str(tmp_path / 'data'), *database.args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert 'written by a newer Progress App (schema revision 0999)' in lines[0] and '***' in lines[0]
    with engine.connect() as connection:
        assert connection.exec_driver_sql('SELECT version_num FROM alembic_version').scalar() == '0999'
        assert 'resume_key' in {c['name'] for c in inspect(connection).get_columns('job')}
    engine.dispose()
