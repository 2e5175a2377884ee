"""One app per database (store/instance_lock.py): a second app on the database of a running one is refused in one
line, the first goes on, and once the first is killed the next start finds everything it kept there — its
schedules too, in APScheduler's job store (on PostgreSQL as on SQLite)."""

from __future__ import annotations

import pytest

from tests.test_bad_starts import start


@pytest.mark.databases
def test_a_second_app_on_the_database_is_refused_and_a_killed_apps_schedules_are_kept(app_process, database):
    first = app_process()
    created = first.client.post('/api/schedules', json={'kind': 'demo', 'params': {'items': 1, 'item_seconds': 0},
                                                        'cron': '0 3 * * *', 'name': 'nightly'})
    assert created.status_code == 201, created.text
    schedule = created.json()

    second = start(first.data_dir, *database.args)
    assert second.returncode == 2, second.stdout + second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert lines[0].startswith('app.py: error: another Progress App is running on the database ')
    assert 'one app per database' in lines[0] and 'ready to go' not in second.stdout
    if database.url:
        assert 'postgresql' in lines[0] and '***' in lines[0] and 'secret' not in lines[0]
        assert '--database-url' in lines[0]
    else:
        assert str(first.data_dir / 'progress.db') in lines[0] and '--data-dir' in lines[0]
    assert first.client.get('/api/health').status_code == 200, 'the first app goes on'

    first.kill()  # no stale lock: the server ends the killed app's session, the kernel its descriptors
    again = app_process()
    kept = again.client.get(f"/api/schedules/{schedule['id']}")
    assert kept.status_code == 200, kept.text
    assert {key: kept.json()[key] for key in ('name', 'cron', 'next_run_at', 'paused')} == {
        key: schedule[key] for key in ('name', 'cron', 'next_run_at', 'paused')}
