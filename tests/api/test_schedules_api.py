"""Schedules and deferred jobs over HTTP, against the real app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import wait_until

QUICK = {'items': 1, 'item_seconds': 0}


def test_schedule_lifecycle(app):
    created = app.client.post('/api/schedules', json={'kind': 'demo', 'params': QUICK, 'cron': '0 3 * * *',
                                                      'name': 'nightly'})
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert schedule['name'] == 'nightly' and schedule['next_run_at'] and schedule['paused'] is False
    sid = schedule['id']
    assert sid in [s['id'] for s in app.client.get('/api/schedules').json()]
    assert app.client.post(f'/api/schedules/{sid}/pause').json()['paused'] is True
    assert app.client.post(f'/api/schedules/{sid}/resume').json()['paused'] is False
    assert app.client.delete(f'/api/schedules/{sid}').status_code == 204
    assert app.client.get(f'/api/schedules/{sid}').status_code == 404
    assert app.client.delete(f'/api/schedules/{sid}').status_code == 404


def test_interval_schedule_runs_jobs_with_its_id(app):
    schedule = app.client.post('/api/schedules', json={'kind': 'demo', 'params': QUICK,
                                                       'interval_seconds': 1}).json()
    try:
        jobs = wait_until(lambda: [j for j in app.client.get('/api/jobs', params={'limit': 200}).json()['items']
                                   if j['schedule_id'] == schedule['id']], timeout=15)
        assert jobs[0]['kind'] == 'demo'
    finally:
        app.client.delete(f"/api/schedules/{schedule['id']}")


def test_bad_schedules_are_422(app):
    for body, says in (({'kind': 'demo'}, 'exactly one'), ({'kind': 'demo', 'cron': 'often'}, '5 fields'),
                       ({'kind': 'nope', 'cron': '* * * * *'}, 'unknown job kind'),
                       ({'kind': 'demo', 'interval_seconds': 60, 'params': {'items': 0}}, 'greater than')):
        response = app.client.post('/api/schedules', json=body)
        assert response.status_code == 422, response.text
        assert says in response.text
    unreadable = app.client.post('/api/schedules', content=b'\xff\x17%', headers={'content-type': 'application/json'})
    assert unreadable.status_code == 400 and unreadable.json()['detail']  # documented in the OpenAPI document
    assert app.client.get('/api/schedules').json() == []


def test_a_cron_line_that_never_fires_is_refused_at_the_cron_field(app):
    for path in ('/api/schedules', '/api/jobs'):
        response = app.client.post(path, json={'kind': 'demo', 'params': QUICK, 'cron': '0 0 30 2 *'})
        assert response.status_code == 422, response.text
        [error] = response.json()['detail']
        assert error['loc'] == ['body', 'cron'], error
        assert error['msg'].endswith("the cron line '0 0 30 2 *' never fires: no date matches it"), error
    assert app.client.get('/api/schedules').json() == []


def test_a_schedule_priority_may_be_a_whole_float_but_not_a_fraction(app):
    made = app.client.post('/api/schedules', json={'kind': 'demo', 'params': QUICK, 'cron': '0 3 * * *',
                                                   'priority': -32.0})
    assert made.status_code == 201, made.text
    assert made.json()['priority'] == -32
    app.client.delete(f"/api/schedules/{made.json()['id']}")
    refused = app.client.post('/api/schedules', json={'kind': 'demo', 'cron': '0 3 * * *', 'priority': -32.5})
    assert refused.status_code == 422 and refused.json()['detail'][0]['loc'] == ['body', 'priority']


def test_the_openapi_schema_says_exactly_one_trigger(app):
    spec = app.client.get('/openapi.json').json()
    body = spec['paths']['/api/schedules']['post']['requestBody']['content']['application/json']['schema']
    schema = spec['components']['schemas'][body['$ref'].rsplit('/', 1)[-1]]
    triggers = ('cron', 'interval_seconds', 'run_at')
    assert [branch['required'] for branch in schema['oneOf']] == [[name] for name in triggers]
    for branch, name in zip(schema['oneOf'], triggers, strict=True):
        assert branch['properties'][name] == {'not': {'type': 'null'}}, 'the one given is not null'
        assert all(branch['properties'][other] == {'type': 'null'} for other in triggers if other != name)
    assert schema['properties']['priority']['type'] == 'integer'


def test_post_job_with_run_at_is_scheduled_and_with_cron_makes_a_schedule(app):
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    job = app.client.post('/api/jobs', json={'kind': 'demo', 'params': QUICK, 'run_at': soon}).json()
    assert job['status'] == 'scheduled'
    wait_until(lambda: app.job(job['id'])['status'] == 'completed', timeout=15)
    made = app.client.post('/api/jobs', json={'kind': 'demo', 'params': QUICK, 'cron': '15 4 * * 1'})
    assert made.status_code == 201 and made.json()['cron'] == '15 4 * * 1'
    assert (made.json()['overlap'], made.json()['skipped_runs']) == ('skip', 0)  # never overlaps by default
    app.client.delete(f"/api/schedules/{made.json()['id']}")
    queued = app.client.post('/api/jobs', json={'kind': 'demo', 'cron': '15 4 * * 1', 'overlap': 'queue'})
    assert queued.status_code == 201 and queued.json()['overlap'] == 'queue'
    assert app.client.get(f"/api/schedules/{queued.json()['id']}").json()['overlap'] == 'queue'
    app.client.delete(f"/api/schedules/{queued.json()['id']}")
    alone = app.client.post('/api/jobs', json={'kind': 'demo', 'overlap': 'queue'})
    assert alone.status_code == 422 and alone.json()['detail'][0]['loc'] == ['body', 'overlap']
    bogus = app.client.post('/api/schedules', json={'kind': 'demo', 'cron': '15 4 * * 1', 'overlap': 'sometimes'})
    assert bogus.status_code == 422 and bogus.json()['detail'][0]['loc'] == ['body', 'overlap']


def test_post_job_after_another(app):
    first = app.submit('demo', {'items': 10, 'item_seconds': 0.02})
    second = app.client.post('/api/jobs', json={'kind': 'demo', 'params': QUICK, 'after': first['id']}).json()
    assert second['status'] == 'scheduled'
    wait_until(lambda: app.job(second['id'])['status'] == 'completed', timeout=15)
    missing = app.client.post('/api/jobs', json={'kind': 'demo', 'after': 10**9})
    assert missing.status_code == 422 and 'does not exist' in missing.text


def test_run_now_starts_an_extra_run_and_keeps_the_next_one(app):
    schedule = app.client.post('/api/schedules', json={'kind': 'demo', 'params': QUICK, 'cron': '0 3 * * *',
                                                       'name': 'nightly', 'priority': 3}).json()
    started = app.client.post(f"/api/schedules/{schedule['id']}/run")
    assert started.status_code == 201, started.text
    job = started.json()
    assert (job['name'], job['kind'], job['priority'], job['schedule_id']) == ('nightly', 'demo', 3, schedule['id'])
    wait_until(lambda: app.job(job['id'])['status'] == 'completed')
    after = app.client.get(f"/api/schedules/{schedule['id']}").json()
    assert after['next_run_at'] == schedule['next_run_at'] and after['paused'] is False
    assert app.client.post('/api/schedules/abcdef/run').status_code == 404
    app.client.delete(f"/api/schedules/{schedule['id']}")


def test_a_scheduled_job_can_be_started_now(app):
    later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    timed = app.submit('demo', QUICK, run_at=later)
    first = app.submit('demo', {'items': 1, 'item_seconds': 0}, run_at=later)
    waiting = app.submit('demo', QUICK, after=first['id'])
    for job in (timed, waiting):
        started = app.client.post(f"/api/jobs/{job['id']}/start")
        assert started.status_code == 200, started.text
        wait_until(lambda job=job: app.job(job['id'])['status'] == 'completed')
    events = app.client.get(f"/api/jobs/{waiting['id']}/events").json()
    assert any(e['type'] == 'queued' and e['data'].get('reason') == 'started by hand' for e in events)
    assert app.job(first['id'])['status'] == 'scheduled'  # the one it waited for is left as it was
    again = app.client.post(f"/api/jobs/{timed['id']}/start")
    assert again.status_code == 409 and 'only a scheduled job waits' in again.json()['detail']


def test_an_unknown_schedule_is_404_whatever_its_id_looks_like(app):
    for schedule_id in ('ffff', 'None', 'not-a-hex-id'):
        for method, path in (('GET', ''), ('POST', '/run'), ('POST', '/pause'), ('DELETE', '')):
            answer = app.client.request(method, f'/api/schedules/{schedule_id}{path}')
            assert answer.status_code == 404, (method, schedule_id, answer.text)
            assert 'does not exist' in answer.json()['detail']
