"""The real app on a database server (PostgreSQL, `--database-url`): one app per database, and what a killed app
kept there (its schedules, in APScheduler's job store) is all there on the next start."""

from __future__ import annotations

import pytest

from tests.test_bad_starts import start

pytestmark = pytest.mark.parametrize('database_kind', ['postgres'], indirect=True)


def test_a_second_app_on_the_database_is_refused_and_a_killed_apps_schedules_are_kept(app_process, database,
                                                                                       tmp_path):
    first = app_process()
    created = first.client.post('/api/schedules', json={'kind': 'demo', 'params': {'items': 1, 'item_seconds': 0},
                                                        'cron': '0 3 * * *', 'name': 'nightly'})
    assert created.status_code == 201, created.text
    schedule = created.json()

    second = start(tmp_path / 'elsewhere', *database.args)  # another data dir, the same database
    assert second.returncode == 2, second.stdout + second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert lines[0].startswith('app.py: error: another Progress App is running on the database postgresql')
    assert 'one app per database' in lines[0] and '***' in lines[0] and 'secret' not in lines[0]
    assert first.client.get('/api/health').status_code == 200, 'the first app goes on'

    first.kill()  # the server ends the killed app's session, and with it the lock: no stale lock to clear
    again = app_process()
    kept = again.client.get(f"/api/schedules/{schedule['id']}")
    assert kept.status_code == 200, kept.text
    assert {key: kept.json()[key] for key in ('name', 'cron', 'next_run_at', 'paused')} == {
        key: schedule[key] for key in ('name', 'cron', 'next_run_at', 'paused')}
