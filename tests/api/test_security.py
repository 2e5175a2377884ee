"""A password-protected app against real clients: every door is locked without a token and opens with one."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.helpers import ROOT, AppProcess, wait_until

PASSWORD = 'correct horse battery staple'


@pytest.fixture(scope='module')
def locked(tmp_path_factory):
    proc = AppProcess(tmp_path_factory.mktemp('sec') / 'data', '--password', PASSWORD).start()
    yield proc
    proc.stop()
    proc.client.close()


def auth(token: str = PASSWORD) -> dict[str, str]:
    return {'Authorization': f'Bearer {token}'}


def test_exposing_without_a_password_is_refused():
    result = subprocess.run([sys.executable, str(ROOT / 'app.py'), '--host', '0.0.0.0', '--no-browser'],
                            capture_output=True, text=True, timeout=60, env={'PATH': '/usr/bin:/bin'})
    assert result.returncode == 2
    assert 'set --password' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def routes_of(locked) -> list[tuple[str, str]]:
    spec = locked.client.get('/openapi.json', headers=auth()).json()
    return [(method.upper(), path.replace('{job_id}', '1')) for path, methods in spec['paths'].items()
            for method in methods]


def test_every_route_needs_the_token(locked):
    job = locked.client.post('/api/jobs', json={'kind': 'demo', 'params': {'items': 2, 'item_seconds': 0}},
                             headers=auth())
    assert job.status_code == 201
    routes = routes_of(locked)
    assert len(routes) >= 14
    for method, path in routes:
        anonymous = locked.client.request(method, path)
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        assert anonymous.headers['www-authenticate'] == 'Bearer'
    for path in ('/openapi.json', '/docs'):
        assert locked.client.get(path).status_code == 401
    wait_until(lambda: locked.client.get('/api/jobs/1', headers=auth()).json()['status'] == 'completed')
    for method, path in routes:
        if method == 'DELETE' or path.endswith('/stream'):
            continue
        with_token = locked.client.request(method, path, headers=auth())
        assert with_token.status_code != 401, (method, path)


def test_streams_and_downloads_need_the_token(locked):
    with locked.client.stream('GET', '/api/events/stream') as response:
        assert response.status_code == 401
    with locked.client.stream('GET', '/api/events/stream', headers=auth(), timeout=5) as response:
        assert response.status_code == 200
    # its own job: the tests of this module may run in any order, or on other workers
    job = locked.client.post('/api/jobs', json={'kind': 'demo', 'params': {'items': 2, 'item_seconds': 0}},
                             headers=auth()).json()
    assert locked.client.get(f"/api/jobs/{job['id']}/result").status_code == 401
    assert locked.client.get(f"/api/jobs/{job['id']}/log").status_code == 401
    assert locked.client.get(f"/api/jobs/{job['id']}/log", headers=auth()).status_code == 200


def test_websocket_needs_the_token(locked):
    url = f'ws://127.0.0.1:{locked.port}/api/ws'
    with pytest.raises(InvalidStatus) as refused:
        connect(url).close()
    assert refused.value.response.status_code == 401
    with pytest.raises(InvalidStatus):
        connect(url + '?token=wrong').close()
    with connect(url + '?token=' + PASSWORD.replace(' ', '%20')) as ws:
        ws.send('{"type": "get_queue_stats"}')
        assert '"queue_stats"' in ws.recv(timeout=10)
    with connect(url, additional_headers=auth()) as ws:
        ws.send('{"type": "get_queue_stats"}')
        assert '"queue_stats"' in ws.recv(timeout=10)


def test_pages_redirect_to_the_login(locked):
    for path in ('/', '/jobs/1', '/new', '/settings'):
        response = locked.client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303, 307)
        assert response.headers['location'].startswith('/login')
    assert locked.client.get('/login').status_code == 200


def test_api_tokens_can_be_created_used_and_revoked(locked, tmp_path):
    from progress_app.runtime.settings.tokens import TokenStore
    from progress_app.store.engine import create_db_engine
    from progress_app.store.repository import Repository

    store = TokenStore(Repository(create_db_engine(f"sqlite:///{locked.data_dir / 'progress.db'}")))
    secret, info = store.create('ci script')
    assert secret.startswith('pa_') and 'sha256' not in info
    assert locked.client.get('/api/jobs', headers=auth(secret)).status_code == 200
    store.revoke(info['id'])
    assert locked.client.get('/api/jobs', headers=auth(secret)).status_code == 401


def guess_until_throttled(proc: AppProcess, headers=lambda i: {}) -> list[int]:
    """Wrong tokens until the app says wait (the waits double, so it must come); the codes seen."""
    codes: list[int] = []
    while 429 not in codes:
        assert len(codes) < 20, codes
        codes.append(proc.client.get('/api/jobs', headers={**auth(f'guess-{len(codes)}'),
                                                            **headers(len(codes))}).status_code)
    return codes


def test_guessing_is_throttled_and_the_owner_gets_in_after_the_wait(tmp_path):
    proc = AppProcess(tmp_path / 'data', '--password', PASSWORD).start()
    try:
        codes = guess_until_throttled(proc)
        assert codes[:5] == [401] * 5 and codes[-1] == 429
        for _ in range(7 - codes.count(401)):  # 7 failures: the wait is 4 s, time enough to try the password in it
            wait_until(lambda: proc.client.get('/api/jobs', headers=auth('wrong')).status_code == 401, timeout=30)
        blocked = proc.client.get('/api/jobs', headers=auth())  # unchecked while the wait lasts
        assert blocked.status_code == 429 and int(blocked.headers['retry-after']) > 0
        # Never a lock-out: the wait is seconds long, and then the right password works.
        wait_until(lambda: proc.client.get('/api/jobs', headers=auth()).status_code == 200, timeout=70)
    finally:
        proc.stop()
        proc.client.close()


def test_forwarded_addresses_are_believed_only_from_configured_proxies(tmp_path):
    spoof = {'X-Forwarded-For': ''}
    proc = AppProcess(tmp_path / 'a', '--password', PASSWORD).start()
    try:  # by default a made-up address in each request changes nothing: the connection's address counts
        codes = guess_until_throttled(proc, lambda i: {**spoof, 'X-Forwarded-For': f'203.0.113.{i}'})
        assert codes[:5] == [401] * 5
    finally:
        proc.stop()
        proc.client.close()
    proc = AppProcess(tmp_path / 'b', '--password', PASSWORD, '--forwarded-allow-ips', '127.0.0.1').start()
    try:  # behind a trusted proxy, each forwarded client is throttled on its own
        for i in range(8):
            forwarded = {'X-Forwarded-For': f'203.0.113.{i}'}
            assert proc.client.get('/api/jobs', headers={**auth('wrong'), **forwarded}).status_code == 401
        assert guess_until_throttled(proc, lambda i: {'X-Forwarded-For': '198.51.100.7'})[:5] == [401] * 5
        assert proc.client.get('/api/jobs', headers={**auth(), 'X-Forwarded-For': '203.0.113.99'}).status_code == 200
    finally:
        proc.stop()
        proc.client.close()


def test_no_password_means_no_login(app_process):
    open_app = app_process()
    assert open_app.client.get('/api/jobs').status_code == 200
    assert open_app.client.get('/', follow_redirects=False).status_code == 200
    assert isinstance(open_app.client, httpx.Client)


def test_with_a_password_another_port_or_a_sibling_name_cannot_act_either(locked):
    """A logged-in browser's cookie goes with requests from another port of this host or a sibling subdomain
    (SameSite=Lax); the browser says where they come from, and the app refuses them."""
    for origin in (f'http://127.0.0.1:{locked.port + 1}', f'http://localhost:{locked.port + 1}',
                   'http://other.localhost'):
        answer = locked.client.post('/api/jobs', headers={**auth(), 'Origin': origin},
                                    json={'kind': 'demo', 'params': {}})
        assert answer.status_code == 403, (origin, answer.text)
    own = locked.client.post('/api/jobs', headers={**auth(), 'Origin': locked.url},
                             json={'kind': 'demo', 'params': {'items': 1, 'item_seconds': 0}})
    assert own.status_code == 201
