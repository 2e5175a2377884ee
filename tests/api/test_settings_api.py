"""The Settings page over HTTP: GET/PATCH /api/settings and a test notification, on a real app on 127.0.0.1."""

from __future__ import annotations

from tests.helpers import wait_until
from tests.notify_endpoint import closed_port


def test_settings_are_read_and_changed_with_the_pages_rules(app, tmp_path):
    before = app.client.get('/api/settings').json()
    assert before['given_at_start'] == {'workers': '--workers or PROGRESS_APP_WORKERS'}  # the fixture's --workers 4
    assert (before['workers'], before['theme'], before['allow_commands']) == (4, 'auto', True)

    changed = app.client.patch('/api/settings', json={'retention_days': 7, 'theme': 'dark',
                                                      'allowed_dirs': [str(tmp_path)]})
    assert changed.status_code == 200, changed.text
    assert (changed.json()['retention_days'], changed.json()['theme']) == (7, 'dark')
    assert changed.json()['allowed_dirs'] == [str(tmp_path)]
    assert app.client.get('/api/settings').json() == changed.json()  # kept, not only echoed
    refused = app.client.post('/api/jobs', json={'kind': 'batch', 'params': {'source': '/etc'}})
    assert refused.status_code == 422, 'the allowed folders set over the API apply to jobs at once'
    assert 'allowed folders' in refused.json()['detail'][0]['msg'], refused.text
    app.client.patch('/api/settings', json={'retention_days': 30, 'theme': 'auto', 'allowed_dirs': []})


def test_a_bad_change_names_its_field_and_changes_nothing(app, tmp_path):
    before = app.client.get('/api/settings').json()
    cases = [({'workers': 0}, ['body', 'workers']),
             ({'theme': 'purple'}, ['body', 'theme']),
             ({'colour': 'blue'}, ['body', 'colour']),
             ({'allow_commands': 0}, ['body', 'allow_commands']),
             ({'allowed_dirs': [str(tmp_path / 'missing')]}, ['body', 'allowed_dirs']),
             ({'retention_days': 3, 'notify_urls': ['json://127.0.0.1/ok', 'not a url']},
              ['body', 'notify_urls', 1])]
    for body, loc in cases:
        answer = app.client.patch('/api/settings', json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert [e['loc'] for e in answer.json()['detail']] == [loc], (body, answer.json())
    assert 'not a url' in answer.json()['detail'][0]['msg'] and 'Apprise' in answer.json()['detail'][0]['msg']
    assert app.client.get('/api/settings').json() == before  # the valid retention_days of the last one included


def test_a_test_notification_is_delivered_or_says_why_not(app, endpoint):
    sent = app.client.post('/api/settings/notifications/test', json={'urls': [endpoint.url]})
    assert sent.status_code == 200 and sent.json() == {'sent': 1}, sent.text
    wait_until(lambda: endpoint.received, timeout=10)
    assert endpoint.received[0]['title'] == 'Progress App test notification'

    saved = app.client.get('/api/settings').json()['notify_urls']
    assert saved == [], 'a test does not save the URLs it was given'
    none = app.client.post('/api/settings/notifications/test')
    assert none.status_code == 422 and none.json()['detail'][0]['loc'] == ['body', 'urls'], none.text
    down = app.client.post('/api/settings/notifications/test', json={'urls': [f'json://127.0.0.1:{closed_port()}/']})
    assert down.status_code == 502 and down.json()['detail'], down.text
    bad = app.client.post('/api/settings/notifications/test', json={'urls': ['nope']})
    assert bad.status_code == 422 and bad.json()['detail'][0]['loc'] == ['body', 'notify_urls', 0]
