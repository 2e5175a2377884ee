"""Stall detection with real processes (issue 17, item 4), on a short minimum (`stall_min_seconds`): a command whose
output stops moving is flagged stalled (an event, one notification) and cleared when it moves again; one that asked
for on_stall=fail ends failed, its process group gone."""

from __future__ import annotations

import pytest

from progress_app.errors import InvalidParams
from tests.helpers import wait_until
from tests.kinds.test_command import assert_group_gone, running_pgid

END = ['completed', 'failed', 'cancelled']


def stalling(go, end) -> dict:
    """Counts to 40 of 100 over ~2 s, stands still until `go` exists, moves to 60, then waits for `end`."""
    script = (f'for i in $(seq 1 40); do echo "$i/100"; sleep 0.05; done; '
              f'while [ ! -f {go} ]; do sleep 0.05; done; echo 60/100; '
              f'while [ ! -f {end} ]; do sleep 0.05; done')
    return {'command': script, 'shell': True}


def types(service, job_id: int) -> list[str]:
    return [e['type'] for e in service.events(job_id) if e['type'] in ('stalled', 'unstalled')]


def test_a_job_that_stops_moving_is_flagged_stalled_told_once_and_cleared_when_it_moves(make_service, tmp_path,
                                                                                    endpoint):
    service = make_service(stall_min_seconds=1.0)
    service.update_preferences(notify_urls=[endpoint.url], notify_on='failed')
    go, end = tmp_path / 'go', tmp_path / 'end'
    job = service.submit('command', stalling(go, end), name='slow')
    assert job['stalled'] is False and job['stalled_since'] is None
    stalled = wait_until(lambda: (j := service.get(job['id']))['stalled'] and j, timeout=20, message='the stall')
    assert stalled['stalled_since'] and stalled['status'] == 'running'
    told = endpoint.wait_for(f"slow (#{job['id']}) stalled")
    assert 'no progress for' in told['message']
    wait_until(lambda: types(service, job['id']) == ['stalled'], message='the stalled event')
    go.touch()
    wait_until(lambda: not service.get(job['id'])['stalled'], timeout=10, message='the stall to clear')
    wait_until(lambda: types(service, job['id']) == ['stalled', 'unstalled'], message='the unstalled event')
    end.touch()
    done = service.wait(job['id'], END, timeout=20)
    assert done['status'] == 'completed' and done['stalled'] is False
    assert [m['title'] for m in endpoint.received] == [f"slow (#{job['id']}) stalled"]


def test_a_job_that_asked_to_fail_on_a_stall_fails_and_leaves_no_process(make_service, tmp_path):
    service = make_service(stall_min_seconds=1.0)
    job = service.submit('command', stalling(tmp_path / 'go', tmp_path / 'end'), options={'on_stall': 'fail'})
    pgid = running_pgid(service, job['id'])
    done = service.wait(job['id'], END, timeout=30)
    assert done['status'] == 'failed' and done['error'].startswith('stalled: no progress for ')
    assert done['options']['on_stall'] == 'fail'
    assert_group_gone(pgid)
    assert types(service, job['id']) == ['stalled']


def test_on_stall_must_be_warn_or_fail(service):
    with pytest.raises(InvalidParams, match='on_stall'):
        service.submit('demo', {'items': 1}, options={'on_stall': 'explode'})
