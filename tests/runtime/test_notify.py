"""Apprise notifications delivered to a real local HTTP endpoint (Apprise's `json://` service), no mocks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from progress_app.errors import InvalidParams
from progress_app.runtime.settings.notify import NotificationFailed, send
from tests.helpers import wait_until
from tests.notify_endpoint import Mailbox, closed_port

QUICK = {'items': 3, 'item_seconds': 0}
FAILING = {'items': 3, 'item_seconds': 0, 'fail_at_item': 2}


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    yield box
    box.close()


def finish(service, params: dict[str, Any], status: str, **options: Any) -> dict[str, Any]:
    job = service.submit('demo', params, name=f'nightly {status}', options=options or None)
    return service.wait(job['id'], [status], timeout=10)


def test_completed_and_failed_jobs_are_told_with_name_status_and_details(service, endpoint):
    service.update_preferences(notify_urls=[endpoint.url], notify_on='both')
    done = finish(service, QUICK, 'completed')
    failed = finish(service, FAILING, 'failed')
    ok = endpoint.wait_for(f"nightly completed (#{done['id']}) completed")
    bad = endpoint.wait_for(f"nightly failed (#{failed['id']}) failed")
    assert ok['path'] == '/hook' and ok['type'] == 'success'
    assert 'Duration:' in ok['message'] and 'Error' not in ok['message']
    assert bad['type'] == 'failure'
    assert 'simulated failure at item 2' in bad['message'] and 'Duration:' in bad['message']
    assert len(endpoint.received) == 2
    assert service.last_notification_error() is None


def test_by_default_only_failures_are_told(service, endpoint):
    assert service.preferences().notify_on == 'failed'
    service.update_preferences(notify_urls=[endpoint.url])
    done = finish(service, QUICK, 'completed')
    service._engine.notifier.job_ended(done['id'], 'completed')  # what the pool runs; sends nothing for this one
    failed = finish(service, FAILING, 'failed')
    endpoint.wait_for(f"(#{failed['id']}) failed")
    assert endpoint.titles() == [f"nightly failed (#{failed['id']}) failed"]


def test_a_job_can_ask_to_be_told_or_not_whatever_the_setting(service, endpoint):
    service.update_preferences(notify_urls=[endpoint.url], notify_on='none')
    quiet = finish(service, QUICK, 'completed')
    service._engine.notifier.job_ended(quiet['id'], 'completed')
    asked = finish(service, QUICK, 'completed', notify=True)
    endpoint.wait_for(f"(#{asked['id']}) completed")
    service.update_preferences(notify_on='both')
    declined = finish(service, FAILING, 'failed', notify=False)
    service._engine.notifier.job_ended(declined['id'], 'failed')
    marker = finish(service, QUICK, 'completed')
    endpoint.wait_for(f"(#{marker['id']}) completed")
    assert sorted(endpoint.titles()) == sorted([f"nightly completed (#{asked['id']}) completed",
                                                f"nightly completed (#{marker['id']}) completed"])


def test_a_broken_url_never_fails_the_job_and_the_error_is_kept(service):
    service.update_preferences(notify_urls=[f'json://127.0.0.1:{closed_port()}/'], notify_on='both')
    job = finish(service, QUICK, 'completed')
    error = wait_until(service.last_notification_error, 15, message='the notification error to be recorded')
    assert error['job_id'] == job['id'] and error['at'] > 0
    assert 'connection' in error['message'].lower()
    assert service.get(job['id'])['status'] == 'completed'
    assert [e['type'] for e in service.events(job['id'])][-1] == 'completed'


def test_an_invalid_url_is_rejected_by_name_and_nothing_changes(service):
    with pytest.raises(InvalidParams) as caught:
        service.update_preferences(notify_urls=['json://127.0.0.1:9/ok', 'nosuchservice://me@example.com'],
                                   notify_on='both')
    assert "'nosuchservice://me@example.com' is not a valid Apprise URL" in str(caught.value)
    assert caught.value.errors[0]['loc'] == ['notify_urls', 1]
    assert service.preferences().notify_urls == [] and service.preferences().notify_on == 'failed'
    with pytest.raises(InvalidParams, match='notify_on'):
        service.update_preferences(notify_on='sometimes')


def test_urls_are_trimmed_deduplicated_and_kept(service, endpoint):
    prefs = service.update_preferences(notify_urls=[f' {endpoint.url} ', '', endpoint.url])
    assert prefs.notify_urls == [endpoint.url] == service.preferences().notify_urls


def test_a_test_notification_reports_success_or_why_it_failed(service, endpoint):
    assert service.send_test_notification([endpoint.url]) == 1
    assert endpoint.titles() == ['Progress App test notification']
    with pytest.raises(NotificationFailed, match=r'(?i)connection'):
        service.send_test_notification([f'json://127.0.0.1:{closed_port()}/'])
    with pytest.raises(NotificationFailed, match='no notification URLs'):
        service.send_test_notification()
    assert service.last_notification_error() is None  # a test is answered directly, not recorded


def text_parts(mail) -> list[str]:
    return [part.get_content().replace('\r\n', '\n') for part in mail.walk() if part.get_content_maintype() == 'text']


def test_an_email_keeps_line_breaks_and_what_looks_like_markup(service, mailbox):
    service.update_preferences(notify_urls=[mailbox.url], notify_on='both')
    failed = finish(service, FAILING, 'failed')
    mail = mailbox.wait_for(f"(#{failed['id']}) failed")
    [text] = text_parts(mail)  # one plain part: nothing rendered from the text as if it were HTML
    lines = text.splitlines()
    assert lines[0] == f"Job #{failed['id']} (demo) failed." and lines[1].startswith('Duration: ')
    assert lines[2:] == [f"Error (in stage process): {failed['error']}"]
    body = 'Traceback:\n  File "<module>", line 1\nTom & Jerry <tom@example.org>'
    send([mailbox.url], 'markup', body)
    assert text_parts(mailbox.wait_for('markup')) == [body + '\n']


def test_a_refused_email_url_says_which_part_is_wrong(service):
    with pytest.raises(InvalidParams) as caught:
        service.update_preferences(notify_urls=['mailto://127.0.0.1:2525?from=bad&to=me@example.org'])
    assert '(Invalid From email specified: bad <>)' in str(caught.value), str(caught.value)
    assert 'Could not load' not in str(caught.value)
