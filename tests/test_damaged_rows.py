"""A damaged database row (a hand edit, a broken disk) makes that one job unreadable, with a message that says
what is wrong and how to get rid of it; every other job is listed, recovered and runs as before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.helpers import AppProcess, wait_until


def damage(db: Path, statements: list[tuple[str, tuple]]) -> None:
    with sqlite3.connect(db) as connection:
        for sql, args in statements:
            connection.execute(sql, args)


def test_damaged_rows_make_one_job_unreadable_each_and_nothing_else(tmp_path):
    data = tmp_path / 'data'
    first = AppProcess(data).start()
    try:
        finished = first.submit('demo', {'items': 1, 'item_seconds': 0}, name='finished')['id']
        wait_until(lambda: first.job(finished)['status'] == 'completed')
        running = [first.submit('demo', {'items': 2000, 'item_seconds': 0.02}, name=f'run {i}')['id']
                   for i in range(3)]
        wait_until(lambda: all(first.job(i)['current'] > 0 for i in running))
    finally:
        first.kill()
        first.client.close()
    bad_status, bad_json, healthy = running
    damage(data / 'progress.db', [("UPDATE job SET status = 'exploded' WHERE id = ?", (bad_status,)),
                                  ("UPDATE job SET params = '{not json' WHERE id = ?", (bad_json,)),
                                  ("UPDATE job SET result = '[1, 2' WHERE id = ?", (finished,)),
                                  ("UPDATE job_event SET data = 'nope' WHERE job_id = ? AND seq = 1", (healthy,))])
    second = AppProcess(data, port=first.port).start()
    try:
        wait_until(lambda: second.job(healthy)['attempts'] == 2)  # recovered and running again
        listing = second.client.get('/api/jobs').json()
        assert [job['id'] for job in listing['items']] == [healthy] and listing['total'] == 4
        unreadable = {job['id']: job['error'] for job in listing['unreadable']}
        assert "'exploded' is not a valid Status" in unreadable[bad_status]
        assert 'params is not JSON' in unreadable[bad_json] and 'result is not JSON' in unreadable[finished]
        one = second.client.get(f'/api/jobs/{bad_json}')
        assert one.status_code == 409
        assert one.json()['detail'].startswith(f'job {bad_json}: the stored row is not valid (params is not JSON')
        assert f'DELETE /api/jobs/{bad_json}' in one.json()['detail']
        events = second.client.get(f'/api/jobs/{healthy}/events').json()
        assert events[0]['data'] == {'unreadable': 'Expecting value: line 1 column 1 (char 0)'}
        assert f'job {bad_json}: the stored row is not valid' in second.output()  # said at start-up, too
        for job_id in (bad_status, bad_json, finished):
            assert second.client.delete(f'/api/jobs/{job_id}').status_code == 204
        listing = second.client.get('/api/jobs').json()
        assert listing['unreadable'] == [] and listing['total'] == 1
        assert second.client.get('/').status_code == 200
    finally:
        second.kill()
        second.client.close()
