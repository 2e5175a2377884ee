"""A stage's time is the job's running time in it, summed over its attempts (a restart, a retry)."""

from __future__ import annotations

from tests.helpers import wait_until


def test_stage_times_add_up_over_a_restart_of_the_app(make_service, tmp_path):
    data = tmp_path / 'data'
    first = make_service(data_dir=data)
    job = first.submit('demo', {'items': 40, 'item_seconds': 0.02})
    live = first.job(job['id'])
    wait_until(lambda: live.progress.stage == 'process' and live.progress.current >= 5, timeout=10)
    first.shutdown()

    second = make_service(data_dir=data)
    stored = second.get(job['id'])['stages']  # as the first attempt left them
    assert stored[0]['seconds'] >= 0.1 and stored[1]['seconds'] >= 0.1  # 5 steps, 5 items of 0.02 s
    done = second.wait(job['id'], ['completed'], timeout=20)
    prepare, process, finish = done['stages']
    assert prepare['seconds'] >= stored[0]['seconds'], "prepare's time is not reset by walking through it again"
    assert process['seconds'] >= stored[1]['seconds'] + 0.02 * 30
    assert (prepare['attempts'], process['attempts'], finish['attempts'], done['attempts']) == (2, 2, 1, 2)
    # each of the four numbers is rounded to the millisecond on its own, so the sum may pass by up to 2 ms
    assert sum(s['seconds'] for s in done['stages']) <= done['elapsed_seconds'] + 0.002, 'never more than the job ran'


def test_a_retried_command_stage_counts_its_runs_not_the_time_between_them(service):
    """Not 'run · 6 s' for two runs of a few milliseconds with a wait between them."""
    job = service.submit('command', {'command': ['sh', '-c', 'exit 3']})
    service.wait(job['id'], ['failed'], timeout=10)
    service.retry(job['id'])  # the job is queued again (or already running) when this returns
    done = service.wait(job['id'], ['failed'], timeout=10)
    (run,) = done['stages']
    assert run['attempts'] == 2
    assert 0 < run['seconds'] <= done['elapsed_seconds'], 'the running time of its two runs, not the wait between'
