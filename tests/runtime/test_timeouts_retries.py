"""Time limits and automatic retries with real processes (issue 17, items 1 and 2): a hung command is stopped with
its grandchildren and fails 'timed out'; paused time does not count; a flaky command completes on its second try;
an always-failing one fails after its last retry, the delays honoured and one notification sent; a retry waiting
across a restart runs after it."""

from __future__ import annotations

import time

import pytest

from progress_app.errors import InvalidParams
from tests.helpers import wait_until
from tests.kinds.test_command import assert_group_gone, group_members, running_pgid

END = ['completed', 'failed', 'cancelled']


def events(service, job_id: int, *types: str) -> list[dict]:
    return [e for e in service.events(job_id) if not types or e['type'] in types]


def test_a_hung_command_times_out_and_leaves_no_process(service):
    job = service.submit('command', {'command': 'sleep 1000 & sleep 1000', 'shell': True},
                         options={'timeout_seconds': 2})
    pgid = running_pgid(service, job['id'])
    wait_until(lambda: len(group_members(pgid)) >= 2, timeout=5, message='the shell to start both sleeps')
    members = set(group_members(pgid))
    done = service.wait(job['id'], END, timeout=20)
    assert done['status'] == 'failed' and done['error'] == 'timed out after 2 s'
    assert done['elapsed_seconds'] >= 2
    assert_group_gone(pgid)
    assert not members & set(group_members(pgid))
    failed = events(service, job['id'], 'failed')
    assert [e['data']['error'] for e in failed] == ['timed out after 2 s']
    assert '[progress-app] failed: timed out after 2 s' in service.log(job['id'])[0]


def test_paused_time_does_not_count_toward_the_time_limit(service):
    job = service.submit('command', {'command': 'sleep 1000', 'shell': True}, options={'timeout_seconds': 2})
    running_pgid(service, job['id'])
    assert service.pause(job['id'])['status'] == 'paused'
    paused_at = time.monotonic()
    # paused for longer than the limit: it must not time out
    wait_until(lambda: time.monotonic() - paused_at > 3, timeout=5)
    assert service.get(job['id'])['status'] == 'paused'
    paused_for = time.monotonic() - paused_at
    assert service.resume(job['id'])['status'] == 'running'
    done = service.wait(job['id'], END, timeout=20)
    assert done['status'] == 'failed' and done['error'] == 'timed out after 2 s'
    started = events(service, job['id'], 'started')[0]['at']
    ended = events(service, job['id'], 'failed')[-1]['at']
    assert ended - started >= 2 + paused_for
    assert done['elapsed_seconds'] >= 2


def test_a_flaky_command_with_retries_completes_on_its_second_attempt(service, tmp_path):
    marker = tmp_path / 'marker'
    job = service.submit('command', {'command': f'test -f {marker} || {{ touch {marker}; exit 1; }}', 'shell': True},
                         options={'retries': 2, 'retry_delay_seconds': 0.2})
    done = service.wait(job['id'], END, timeout=20)
    assert done['status'] == 'completed', done['error']
    assert done['attempts'] == 2 and done['error'] is None and done['retry'] is None
    history = events(service, job['id'], 'started', 'attempt_failed', 'queued', 'completed')
    assert [e['type'] for e in history] == ['queued', 'started', 'attempt_failed', 'queued', 'started', 'completed']
    failure = history[2]['data']
    assert failure['error'] == 'CommandFailed: exit code 1'
    assert (failure['attempt'], failure['retry'], failure['retries']) == (1, 1, 2)
    assert history[3]['data']['reason'] == 'retry 1 of 2'
    assert history[3]['at'] >= history[2]['at'] + 0.2


def test_an_always_failing_command_fails_after_its_retries_with_the_delays_and_one_notification(service, endpoint):
    service.update_preferences(notify_urls=[endpoint.url], notify_on='failed')
    job = service.submit('command', {'command': 'exit 3', 'shell': True}, name='flaky',
                         options={'retries': 2, 'retry_delay_seconds': 0.5})
    waiting = wait_until(lambda: (snap := service.get(job['id']))['retry'] and snap, timeout=10)
    assert waiting['status'] == 'scheduled' and waiting['retry']['number'] == 1 and waiting['retry']['of'] == 2
    assert waiting['error'] == 'CommandFailed: exit code 3'
    done = service.wait(job['id'], END, timeout=20)
    assert done['status'] == 'failed' and done['error'] == 'CommandFailed: exit code 3'
    assert done['attempts'] == 3
    failures = events(service, job['id'], 'attempt_failed')
    releases = [e for e in events(service, job['id'], 'queued')][1:]
    assert [e['data']['delay_seconds'] for e in failures] == [0.5, 1.0]
    assert [e['data']['attempt'] for e in failures] == [1, 2]
    for failure, release in zip(failures, releases, strict=True):
        assert release['at'] >= failure['at'] + failure['data']['delay_seconds']
        assert release['at'] >= failure['data']['retry_at']
    final = events(service, job['id'], 'failed')
    assert len(final) == 1 and final[0]['data']['attempt'] == 3
    told = endpoint.wait_for(f"flaky (#{job['id']}) failed")
    assert 'CommandFailed: exit code 3' in told['message']
    assert len(endpoint.received) == 1


def test_a_timed_out_attempt_is_retried(service):
    job = service.submit('command', {'command': 'sleep 1000', 'shell': True},
                         options={'timeout_seconds': 1, 'retries': 1, 'retry_delay_seconds': 0})
    done = service.wait(job['id'], END, timeout=20)
    assert done['status'] == 'failed' and done['error'] == 'timed out after 1 s' and done['attempts'] == 2
    assert [e['data']['error'] for e in events(service, job['id'], 'attempt_failed', 'failed')] == [
        'timed out after 1 s', 'timed out after 1 s']


def test_a_retry_waiting_across_a_restart_runs_after_it(make_service, tmp_path):
    data = tmp_path / 'data'
    marker = tmp_path / 'marker'
    first = make_service(data)
    job = first.submit('command', {'command': f'test -f {marker} || {{ touch {marker}; exit 1; }}', 'shell': True},
                       options={'retries': 1, 'retry_delay_seconds': 3})
    waiting = wait_until(lambda: (snap := first.get(job['id']))['status'] == 'scheduled' and snap, timeout=10)
    first.shutdown()
    second = make_service(data)
    again = second.get(job['id'])
    assert again['status'] == 'scheduled' and again['retry'] == waiting['retry']
    done = second.wait(job['id'], END, timeout=20)
    assert done['status'] == 'completed' and done['attempts'] == 2
    release = events(second, job['id'], 'queued')[-1]
    assert release['data']['reason'] == 'retry 1 of 1'
    assert release['at'] >= events(second, job['id'], 'attempt_failed')[0]['data']['retry_at']


def test_the_time_limit_goes_on_from_the_stored_running_time_after_a_restart(make_service, tmp_path):
    data = tmp_path / 'data'
    first = make_service(data)
    job = first.submit('command', {'command': 'sleep 1000', 'shell': True}, options={'timeout_seconds': 4})
    running_pgid(first, job['id'])
    wait_until(lambda: first.get(job['id'])['elapsed_seconds'] >= 2, timeout=10)
    first.shutdown()
    second = make_service(data)
    done = second.wait(job['id'], END, timeout=20)
    assert done['status'] == 'failed' and done['error'] == 'timed out after 4 s'
    restarted = events(second, job['id'], 'started')[-1]['at']
    assert events(second, job['id'], 'failed')[-1]['at'] - restarted < 4, 'the second run had only what was left'


def test_a_retry_by_hand_gets_its_retries_and_its_time_again(service):
    job = service.submit('command', {'command': 'sleep 1000', 'shell': True},
                         options={'timeout_seconds': 1, 'retries': 1, 'retry_delay_seconds': 0})
    assert service.wait(job['id'], END, timeout=20)['attempts'] == 2
    service.retry(job['id'])
    done = service.wait(job['id'], END, timeout=20)
    assert done['status'] == 'failed' and done['error'] == 'timed out after 1 s' and done['attempts'] == 4


@pytest.mark.parametrize(('options', 'field'), [
    ({'timeout_seconds': -1}, 'timeout_seconds'), ({'timeout_seconds': 0}, 'timeout_seconds'),
    ({'retries': 101}, 'retries'), ({'retries': -1}, 'retries'), ({'retries': 1.5}, 'retries'),
    ({'retry_delay_seconds': 3601}, 'retry_delay_seconds'), ({'retry_delay_seconds': -1}, 'retry_delay_seconds'),
])
def test_a_bad_policy_is_refused_at_its_field(service, options, field):
    with pytest.raises(InvalidParams) as info:
        service.submit('demo', {'items': 1}, options=options)
    assert [e['loc'] for e in info.value.errors] == [[field]]
