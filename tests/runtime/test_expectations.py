"""Learned durations with real processes: a silent command's expected duration, its progress by time and ETA, an
overdue run told once, and a multi-stage job's second run going by the stage times of its first."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from progress_app.runtime.engine.expectations import keys
from tests.helpers import wait_until


def sleeper(tmp_path: Path, seconds: float) -> tuple[dict, Path]:
    """A command that prints nothing and sleeps as long as its file says: its parameters stay the same."""
    length = tmp_path / 'seconds'
    length.write_text(str(seconds))
    return {'command': f'sleep "$(cat {length})"', 'shell': True}, length


def test_a_silent_command_expects_the_median_of_its_earlier_runs_and_estimates_by_time(service, tmp_path):
    params, _ = sleeper(tmp_path, 3)
    earlier = []
    for _ in range(2):
        job = service.submit('command', params)
        earlier.append(service.wait(job['id'], ['completed'], timeout=20)['elapsed_seconds'])
        if len(earlier) == 1:
            assert service.get(job['id'])['expected_seconds'] is None, 'the first run had nothing to go by'

    job = service.submit('command', params)
    live = service.job(job['id'])
    wait_until(lambda: live.snapshot()['status'] == 'running' and live.snapshot()['elapsed_seconds'] > 1)
    mid = live.snapshot()
    expected = statistics.median(earlier)
    assert abs(mid['expected_seconds'] - expected) <= 0.1
    assert mid['progress'] == 0, 'the job reports nothing: the estimate is beside it, not in place of it'
    assert mid['eta_seconds'] is not None and 0 < mid['eta_seconds'] <= mid['expected_seconds'] - 1
    assert abs(mid['eta_seconds'] - (mid['expected_seconds'] - mid['elapsed_seconds'])) <= 0.2
    assert 0 < mid['estimated_progress'] < 100
    shown = []
    while (snap := live.snapshot())['status'] == 'running':
        shown.append(snap['estimated_progress'])
        wait_until(lambda: live.snapshot()['status'] != 'running' or live.snapshot()['elapsed_seconds']
                   > snap['elapsed_seconds'] + 0.05, timeout=10)
    done = service.wait(job['id'], ['completed'])
    assert max(s for s in shown if s is not None) <= 99, 'never 100 % before the end'
    assert done['progress'] == 100 and done['estimated_progress'] is None and done['eta_seconds'] is None
    assert service.get(job['id'])['expected_seconds'] == mid['expected_seconds']


def test_a_run_twice_as_long_as_usual_is_overdue_once_and_told(service, tmp_path, endpoint):
    service.update_preferences(notify_urls=[endpoint.url], notify_on='none')
    params, length = sleeper(tmp_path, 0.05)
    for _ in range(2):
        quick = service.submit('command', params, name='backup')
        service.wait(quick['id'], ['completed'], timeout=20)
    length.write_text('1.5')
    job = service.submit('command', params, name='backup', options={'notify': True})
    wait_until(lambda: service.get(job['id'])['overdue'], timeout=10, message='the run to be overdue')
    done = service.wait(job['id'], ['completed'], timeout=20)
    told = endpoint.wait_for(f"backup (#{job['id']}) is taking longer than usual")
    assert 'usually takes' in told['message'] and told['type'] == 'warning'
    assert done['overdue'] and done['expected_seconds'] is not None and done['expected_seconds'] < 1.0
    (overdue,) = [e for e in service.events(job['id']) if e['type'] == 'overdue']
    assert abs(overdue['data']['expected_seconds'] - done['expected_seconds']) < 0.01
    assert overdue['data']['elapsed_seconds'] > 2 * overdue['data']['expected_seconds']
    assert len([m for m in endpoint.received if 'longer than usual' in m['title']]) == 1
    assert not service.get(quick['id'])['overdue']


def test_the_second_run_of_a_multi_stage_job_goes_by_the_stage_times_of_the_first(service):
    params = {'items': 20, 'item_seconds': 0.03}
    first = service.submit('demo', params)
    learned = service.wait(first['id'], ['completed'], timeout=20)['stages']
    assert service.job(first['id']).meter.plan is None, 'nothing to learn from yet'
    second = service.submit('demo', params)
    live = service.job(second['id'])
    wait_until(lambda: live.progress.stage == 'process' and live.snapshot()['eta_seconds'] is not None)
    plan = live.meter.plan
    assert plan is not None
    assert plan.learned == pytest.approx([s['seconds'] for s in learned], abs=0.002)  # stored to the millisecond
    assert live.snapshot()['expected_seconds'] is not None
    service.wait(second['id'], ['completed'], timeout=20)


def test_an_external_run_without_a_total_expects_what_its_earlier_runs_of_that_name_took(service):
    first, _ = service.runs.open_run(name='nightly sync', host='build-box', pid=4242)
    wait_until(lambda: service.get(first['id'])['elapsed_seconds'] > 0.2)
    service.runs.report(first['id'], {'done': True})
    took = service.wait(first['id'], ['completed'])['elapsed_seconds']

    again, _ = service.runs.open_run(name='nightly sync', host='build-box', pid=4243)
    other, _ = service.runs.open_run(name='weekly sync', host='build-box', pid=4244)
    snap = service.get(again['id'])
    assert snap['expected_seconds'] == pytest.approx(took, abs=0.01)
    assert 0 <= snap['estimated_progress'] < 100 and snap['eta_seconds'] is not None
    assert service.get(other['id'])['expected_seconds'] is None, 'another name: nothing to go by'
    for run in (again, other):
        service.runs.report(run['id'], {'done': True})


def test_earlier_runs_are_those_of_the_schedule_first_then_of_the_same_kind_and_parameters():
    assert keys('demo', 'a', {'items': 3, 'b': 1}, 'nightly') == [
        ('schedule', 'nightly'), ('params', 'demo', '{"b": 1, "items": 3}')]
    assert keys('demo', 'a', {'b': 1, 'items': 3}, None) == [('params', 'demo', '{"b": 1, "items": 3}')]
    assert keys('external', 'sync', {}, None) == [('params', 'external', '{"name": "sync"}')], 'a run by its name'
