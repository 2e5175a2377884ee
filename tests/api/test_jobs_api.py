"""REST routes against the real app on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.helpers import ROOT, wait_until

pytestmark = pytest.mark.databases


def test_health(app):
    response = app.client.get('/api/health')
    assert response.status_code == 200
    assert response.json()['status'] == 'ok'
    assert response.json()['version']


def test_kinds_describe_params_and_stages(app):
    kinds = {k['name']: k for k in app.client.get('/api/kinds').json()}
    assert {'demo', 'command'} <= set(kinds)
    demo = kinds['demo']
    assert demo['params_schema']['properties']['items']['minimum'] == 1
    assert demo['pausable'] and demo['resumable']
    assert kinds['command']['restart'] == 'rerun'
    assert 'command' in kinds['command']['params_schema']['required']


def test_submit_get_and_list(app):
    created = app.client.post('/api/jobs', json={'kind': 'demo', 'params': {'items': 3, 'item_seconds': 0},
                                                 'name': 'api test', 'priority': 5})
    assert created.status_code == 201
    job = created.json()
    assert job['name'] == 'api test' and job['priority'] == 5 and job['params']['items'] == 3
    assert set(job) >= {'id', 'status', 'progress', 'stage', 'stages', 'message', 'current', 'total', 'unit',
                        'speed', 'eta_seconds', 'elapsed_seconds', 'created_at', 'started_at', 'finished_at',
                        'attempts', 'error', 'result', 'has_output', 'queue_position', 'schedule_id'}
    done = wait_until(lambda: app.job(job['id'])['status'] == 'completed' and app.job(job['id']))
    assert done['progress'] == 100 and done['result'] == {'items': 3}
    listing = app.client.get('/api/jobs', params={'status': 'completed', 'kind': 'demo'}).json()
    assert job['id'] in [j['id'] for j in listing['items']]
    assert all(j['status'] == 'completed' for j in listing['items'])


def test_list_paging(app):
    ids = [app.submit('demo', {'items': 1, 'item_seconds': 0})['id'] for _ in range(5)]
    total = app.client.get('/api/jobs').json()['total']
    page = app.client.get('/api/jobs', params={'limit': 2, 'offset': 1}).json()
    assert page['total'] == total
    assert len(page['items']) == 2
    newest_first = app.client.get('/api/jobs', params={'limit': 5}).json()['items']
    assert [j['id'] for j in newest_first] == sorted(ids, reverse=True)
    assert [j['id'] for j in page['items']] == sorted(ids, reverse=True)[1:3]


@pytest.mark.parametrize(('body', 'where', 'says'), [
    ({'kind': 'nope'}, ['body', 'kind'], "unknown job kind 'nope'"),
    ({'kind': 'demo', 'params': {'items': 'x'}}, ['body', 'params', 'items'], 'valid integer'),
    ({'kind': 'demo', 'params': {'items': -1}}, ['body', 'params', 'items'], 'greater than or equal to 1'),
    ({'kind': 'demo', 'params': {'colour': 1}}, ['body', 'params', 'colour'], 'unknown parameter'),
    ({'kind': 'command', 'params': {'command': 'ls', 'cwd': '/no/such/dir'}}, ['body', 'params', 'cwd'],
     "the folder '/no/such/dir' does not exist"),
    ({'kind': 'demo', 'priority': 10**6}, ['body', 'priority'], 'less than or equal to 1000'),
    ({'kind': 'demo', 'priority': -32.5}, ['body', 'priority'], 'valid integer'),
    ({'kind': 'demo', 'priority': '5'}, ['body', 'priority'], 'valid integer'),
    ({'kind': 'batch', 'params': {'source': str(ROOT / 'tests'), 'operation': 'copy', 'dest': '/proc/x'}},
     ['body', 'params', 'dest'], "cannot create the folder '/proc/x': '/proc' does not take new folders"),
    ({'kind': 'demo', 'name': ''}, ['body', 'name'], 'at least 1 character'),
    ({'kind': 'demo', 'surprise': True}, ['body', 'surprise'], 'Extra inputs'),
    ({}, ['body', 'kind'], 'Field required'),
])
def test_bad_bodies_are_422_with_field_and_reason_and_store_nothing(app, body, where, says):
    before = app.client.get('/api/jobs').json()['total']
    response = app.client.post('/api/jobs', json=body)
    assert response.status_code == 422, response.text
    detail = response.json()['detail']
    assert any(d['loc'] == where and says in d['msg'] for d in detail), detail
    assert app.client.get('/api/jobs').json()['total'] == before


def test_a_whole_number_written_as_a_float_is_a_priority(app):
    job = app.client.post('/api/jobs', json={'kind': 'demo', 'params': {'items': 1, 'item_seconds': 0},
                                             'priority': -32.0})
    assert job.status_code == 201, job.text
    assert job.json()['priority'] == -32 and isinstance(job.json()['priority'], int)


def test_malformed_json_is_422(app):
    response = app.client.post('/api/jobs', content=b'{"kind": "demo",', headers={'content-type': 'application/json'})
    assert response.status_code == 422
    assert 'JSON' in response.text


def test_unknown_job_is_404_json(app):
    response = app.client.get('/api/jobs/987654')
    assert response.status_code == 404
    assert response.json() == {'detail': 'job 987654 does not exist'}


def test_bad_query_is_422(app):
    assert app.client.get('/api/jobs', params={'status': 'sleeping'}).status_code == 422
    assert app.client.get('/api/jobs', params={'limit': 0}).status_code == 422
    assert app.client.get('/api/jobs/abc').status_code == 422
