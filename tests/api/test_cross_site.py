"""Web pages in the user's browser must not drive the app: forged Host (DNS rebinding), cross-site forms and
fetches, cross-site WebSockets and framing are refused — with and without a password."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.helpers import wait_until

EVIL = 'http://evil.example'


@pytest.fixture(scope='module')
def running(app):
    """A demo job that runs for long enough to be acted on."""
    job = app.submit('demo', {'items': 100000, 'item_seconds': 0.05})
    wait_until(lambda: app.job(job['id'])['status'] == 'running')
    yield job
    app.client.post(f"/api/jobs/{job['id']}/cancel")


def state_changing_routes(app) -> list[tuple[str, str]]:
    spec = app.client.get('/openapi.json').json()
    return [(method.upper(), path) for path, methods in spec['paths'].items() for method in methods
            if method.upper() not in ('GET', 'HEAD', 'OPTIONS')]


def test_a_forged_host_is_refused_before_anything_runs(app, tmp_path):
    marker = tmp_path / 'ran'
    before = app.client.get('/api/jobs').json()['total']
    for host in ('evil.example', f'evil.example:{app.port}', '127.0.0.1.nip.io'):
        answer = app.client.post('/api/jobs', headers={'Host': host},
                                 json={'kind': 'command', 'params': {'command': f'touch {marker}', 'shell': True}})
        assert answer.status_code == 403, answer.text
        assert 'not served under the name' in answer.json()['detail']
        assert app.client.get('/api/health', headers={'Host': host}).status_code == 403
        assert app.client.get('/', headers={'Host': host}).status_code == 403
    assert app.client.get('/api/jobs').json()['total'] == before
    assert not marker.exists()
    for host in (f'localhost:{app.port}', f'127.0.0.1:{app.port}', f'[::1]:{app.port}'):
        assert app.client.get('/api/health', headers={'Host': host}).status_code == 200


def test_cross_site_requests_cannot_act_on_a_job(app, running):
    cancel = f"/api/jobs/{running['id']}/cancel"
    for headers in ({'Origin': EVIL}, {'Referer': f'{EVIL}/page'}, {'Origin': 'null'},
                    {'Origin': f'http://127.0.0.1:{app.port + 1}'}):  # another port of this machine
        answer = app.client.post(cancel, headers=headers)
        assert answer.status_code == 403, (headers, answer.text)
        assert 'cross-site request refused' in answer.json()['detail']
    for content_type in ('application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain'):
        answer = app.client.post(cancel, headers={'Content-Type': content_type}, content=b'a=1')
        assert answer.status_code == 415, answer.text
        assert 'send JSON' in answer.json()['detail']
    assert app.job(running['id'])['status'] == 'running'
    for method, path in state_changing_routes(app):  # every route that changes something, not just cancel
        path = path.replace('{job_id}', str(running['id'])).replace('{schedule_id}', 'x')
        assert app.client.request(method, path, headers={'Origin': EVIL}).status_code == 403, (method, path)
    assert app.job(running['id'])['status'] == 'running'
    same_site = app.client.post(f"/api/jobs/{running['id']}/pause", headers={'Origin': app.url})
    assert same_site.status_code == 200, same_site.text
    assert app.client.post(f"/api/jobs/{running['id']}/resume").status_code == 200  # scripts send no Origin


def test_websockets_from_another_site_are_refused(app):
    url = f'ws://127.0.0.1:{app.port}/api/ws'
    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin=EVIL).close()
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        connect(f'ws://127.0.0.1:{app.port}/_nicegui_ws/socket.io/?EIO=4&transport=websocket', origin=EVIL).close()
    with connect(url, origin=app.url) as ws:
        ws.send(json.dumps({'type': 'get_queue_stats'}))
        # a job of an earlier test may still be running: its live messages can come first
        types = iter(lambda: json.loads(ws.recv(timeout=10))['type'], 'queue_stats')
        assert all(kind.startswith('job_') for kind in types)


def test_pages_cannot_be_framed(app):
    for path in ('/', '/login', '/api/health'):
        headers = app.client.get(path).headers
        assert headers['x-frame-options'] == 'DENY'
        assert "frame-ancestors 'none'" in headers['content-security-policy']


def test_allowed_hosts_let_a_name_in(app_process):
    named = app_process('--allowed-hosts', 'nas.local,.example.org')
    assert named.client.get('/api/health', headers={'Host': 'nas.local'}).status_code == 200
    assert named.client.get('/api/health', headers={'Host': 'media.example.org:8080'}).status_code == 200
    assert named.client.get('/api/health', headers={'Host': 'evil.example'}).status_code == 403


def test_unknown_api_paths_and_wrong_methods_answer_json(app):
    missing = app.client.get('/api/nothing-here')
    assert missing.status_code == 404 and missing.json() == {'detail': 'Not Found'}
    wrong = app.client.put('/api/jobs')
    assert wrong.status_code == 405
    assert wrong.headers['allow'] == 'GET, POST'
    assert 'GET, POST' in wrong.json()['detail']
    assert app.client.patch('/api/jobs/1').headers['allow'] == 'GET, DELETE'
