"""A damaged settings row (text that is not JSON, a value of the wrong type) is ignored on its own, with a warning:
the other preferences stay as the user set them, and the app goes on."""

from __future__ import annotations

import logging
import sqlite3


def damage_setting(service, key: str, text: str) -> None:
    with sqlite3.connect(service.config.data_dir / 'progress.db') as db:
        db.execute('UPDATE setting SET value = ? WHERE key = ?', (text, key))


def test_a_damaged_preference_is_ignored_alone(make_service, tmp_path, caplog):
    data = tmp_path / 'data'
    first = make_service(data_dir=data)
    first.update_preferences(theme='dark', notify_on='both', retention_days=7)
    first.shutdown(timeout=5)
    damage_setting(first, 'theme', '{not json')
    damage_setting(first, 'notify_on', '"sometimes"')
    with caplog.at_level(logging.WARNING, logger='progress_app.runtime.settings.preferences'):
        second = make_service(data_dir=data)
        preferences = second.preferences()
    assert preferences.retention_days == 7  # kept
    assert preferences.theme == 'auto' and preferences.notify_on == 'failed'  # the defaults, for these two only
    assert 'theme' in caplog.text and 'notify_on' in caplog.text
    second.update_preferences(theme='light')  # and the user can set it again
    assert second.preferences().theme == 'light'


def test_damaged_tokens_accept_no_token(make_service, tmp_path):
    service = make_service(data_dir=tmp_path / 'data')
    token, _ = service.tokens.create('script')
    assert service.tokens.verify(token)
    damage_setting(service, 'api_tokens', '[{"broken"')
    assert not service.tokens.verify(token)
    job = service.submit('demo', {'items': 1, 'item_seconds': 0})  # the app goes on
    assert service.wait(job['id'], ['completed'], timeout=30)['status'] == 'completed'
