"""Time limits and automatic retries over HTTP, against the real app (issue 17, items 1 and 2)."""

from __future__ import annotations

import pytest

from tests.helpers import wait_until

FAILING = {'items': 3, 'item_seconds': 0, 'fail_at_item': 1, 'fail_times': 100}
SLOW = {'items': 10_000, 'item_seconds': 0.05}


def ended(app, job_id: int) -> dict:
    return wait_until(lambda: (job := app.job(job_id))['status'] in ('completed', 'failed', 'cancelled') and job,
                      timeout=20)


def test_a_job_past_its_time_limit_fails_timed_out(app):
    made = app.client.post('/api/jobs', json={'kind': 'demo', 'params': SLOW, 'timeout_seconds': 1})
    assert made.status_code == 201, made.text
    assert made.json()['options']['timeout_seconds'] == 1
    job = ended(app, made.json()['id'])
    assert job['status'] == 'failed' and job['error'] == 'timed out after 1 s'
    events = app.client.get(f"/api/jobs/{job['id']}/events").json()
    assert events[-1]['type'] == 'failed' and events[-1]['data']['error'] == 'timed out after 1 s'


def test_a_failing_job_is_retried_and_its_history_shows_each_attempt(app):
    made = app.client.post('/api/jobs', json={'kind': 'demo', 'params': FAILING, 'retries': 2,
                                              'retry_delay_seconds': 0.1})
    assert made.status_code == 201, made.text
    assert made.json()['options'].items() >= {'retries': 2, 'retry_delay_seconds': 0.1}.items()
    job = ended(app, made.json()['id'])
    assert job['status'] == 'failed' and job['attempts'] == 3 and job['retry'] is None
    events = app.client.get(f"/api/jobs/{job['id']}/events").json()
    tries = [(e['type'], e['data'].get('attempt')) for e in events if e['type'] in ('attempt_failed', 'failed')]
    assert tries == [('attempt_failed', 1), ('attempt_failed', 2), ('failed', 3)]
    assert all(e['data']['error'] for e in events if e['type'] in ('attempt_failed', 'failed'))


def test_a_retry_goes_on_from_the_checkpoint(app):
    made = app.client.post('/api/jobs', json={'kind': 'demo', 'params': {'items': 5, 'item_seconds': 0,
                                                                         'fail_at_item': 4},
                                              'retries': 1, 'retry_delay_seconds': 0})
    job = ended(app, made.json()['id'])
    assert job['status'] == 'completed' and job['attempts'] == 2
    started = [e['data'] for e in app.client.get(f"/api/jobs/{job['id']}/events").json() if e['type'] == 'started']
    assert [(s['attempt'], s['resuming']) for s in started] == [(1, False), (2, True)]
    failed = [e['data'] for e in app.client.get(f"/api/jobs/{job['id']}/events").json()
              if e['type'] == 'attempt_failed']
    assert [f['delay_seconds'] for f in failed] == [0]  # a delay of 0 is kept: no wait


def test_a_waiting_retry_is_shown_with_its_number_and_time(app):
    made = app.client.post('/api/jobs', json={'kind': 'demo', 'params': FAILING, 'retries': 3,
                                              'retry_delay_seconds': 3600})
    waiting = wait_until(lambda: (job := app.job(made.json()['id']))['status'] == 'scheduled' and job, timeout=15)
    assert waiting['retry']['number'] == 1 and waiting['retry']['of'] == 3 and waiting['retry']['at']
    assert waiting['run_at'] == waiting['retry']['at'] and waiting['error']
    assert app.client.post(f"/api/jobs/{waiting['id']}/cancel").json()['status'] == 'cancelled'


def test_a_schedule_passes_its_time_limit_and_retries_to_its_runs(app):
    made = app.client.post('/api/schedules', json={'kind': 'demo', 'params': FAILING, 'interval_seconds': 3600,
                                                   'retries': 1, 'retry_delay_seconds': 0, 'timeout_seconds': 60})
    assert made.status_code == 201, made.text
    schedule = made.json()
    assert (schedule['retries'], schedule['retry_delay_seconds'], schedule['timeout_seconds']) == (1, 0, 60)
    try:
        run = app.client.post(f"/api/schedules/{schedule['id']}/run").json()
        assert run['options'].items() >= {'retries': 1, 'timeout_seconds': 60, 'retry_delay_seconds': 0}.items()
        assert ended(app, run['id'])['attempts'] == 2
    finally:
        app.client.delete(f"/api/schedules/{schedule['id']}")
    with_cron = app.client.post('/api/jobs', json={'kind': 'demo', 'cron': '0 3 * * *', 'retries': 4})
    assert with_cron.status_code == 201 and with_cron.json()['retries'] == 4
    app.client.delete(f"/api/schedules/{with_cron.json()['id']}")


@pytest.mark.parametrize(('field', 'value'), [
    ('timeout_seconds', -1), ('timeout_seconds', 0), ('timeout_seconds', 'soon'), ('retries', 101),
    ('retries', -1), ('retries', 1.5), ('retries', True), ('retry_delay_seconds', 3601),
    ('retry_delay_seconds', -0.5),
])
def test_a_bad_time_limit_or_retry_is_422_at_its_field(app, field, value):
    for path, trigger in (('/api/jobs', {}), ('/api/schedules', {'cron': '0 3 * * *'})):
        response = app.client.post(path, json={'kind': 'demo', 'params': FAILING, field: value, **trigger})
        assert response.status_code == 422, response.text
        assert [error['loc'] for error in response.json()['detail']] == [['body', field]]
