"""The engine through JobService: real SQLite in tmp_path, real worker threads, no mocks."""

from __future__ import annotations

import sys
import time

import pytest

from progress_app import JobContext, job_kind
from progress_app.domain.status import Status
from progress_app.errors import IllegalTransition, InvalidParams, KindNotFound
from progress_app.kinds.registry import registry
from progress_app.runtime.engine.recovery import job_from_row
from tests.helpers import fresh_repository, stored_job, wait_until

# The tests of what is stored run on SQLite and PostgreSQL (the `database` fixture).
ON_BOTH = pytest.mark.databases
SLOW = {'items': 400, 'item_seconds': 0.01}


def event_types(service, job_id: int) -> list[str]:
    return [e['type'] for e in service.events(job_id)]


@ON_BOTH
def test_demo_job_runs_to_completion_with_history(service):
    job = service.submit('demo', {'items': 20, 'item_seconds': 0})
    assert job['status'] in ('queued', 'running')  # a free worker may take it before submit's snapshot
    done = service.wait(job['id'], ['completed'], timeout=10)
    assert done['progress'] == 100
    assert [s['state'] for s in done['stages']] == ['done', 'done', 'done']
    assert done['result'] == {'items': 20}
    assert done['attempts'] == 1
    types = event_types(service, job['id'])
    assert types[:3] == ['created', 'queued', 'started']
    assert types[-1] == 'completed'
    assert 'stage' in types
    seqs = [e['seq'] for e in service.events(job['id'])]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


@ON_BOTH
def test_stage_times_are_stored_with_the_job(service):
    """A finished job read back from the database (after a restart, or once the engine no longer keeps it in
    memory) still says when each stage started and ended."""
    job = service.submit('demo', {'items': 5, 'item_seconds': 0.01})
    live = service.wait(job['id'], ['completed'], timeout=10)
    stored = job_from_row(stored_job(service.config.db_url, job['id']))
    times = [(s['started_at'], s['finished_at']) for s in stored.snapshot()['stages']]
    assert times == [(s['started_at'], s['finished_at']) for s in live['stages']]
    assert all(started and finished and started <= finished for started, finished in times)


@ON_BOTH
def test_state_is_durable_before_it_is_reported(service):
    job = service.submit('demo', {'items': 5, 'item_seconds': 0})
    service.wait(job['id'], ['completed'], timeout=10)
    row = stored_job(service.config.db_url, job['id'])
    assert row['status'] == 'completed' and row['progress'] == 1.0 and row['result'] == {'items': 5}


def test_progress_is_monotonic_and_has_speed_and_eta(service):
    job = service.submit('demo', {'items': 300, 'item_seconds': 0.01})
    live = service.job(job['id'])
    seen, speeds, etas = [], [], []

    def sample() -> bool:
        snap = service.get(job['id'])
        seen.append(snap['progress'])
        speeds.append(snap['speed'])
        etas.append(snap['eta_seconds'])
        return snap['status'] == 'completed'

    wait_until(sample, timeout=20, interval=0.05)
    assert seen == sorted(seen)
    assert len(set(seen)) > 10, 'progress should be seen moving, not jump from 0 to 100'
    assert any(s and s > 10 for s in speeds), speeds
    assert any(e is not None and e > 0 for e in etas), etas
    assert live.meter.eta == 0.0


def parked(job) -> bool:
    """Whether the job's thread is blocked in the pause wait (Lifecycle.honour_requests, at a check point)."""
    for frame in sys._current_frames().values():
        while frame is not None:
            if frame.f_code.co_name == 'honour_requests' and frame.f_locals.get('job') is job:
                return True
            frame = frame.f_back
    return False


def test_pause_stops_progress_quickly_and_resume_continues(service):
    job = service.submit('demo', SLOW)
    live = service.job(job['id'])
    wait_until(lambda: live.progress.stage == 'process' and live.progress.current > 20)
    started = time.monotonic()
    paused = service.pause(job['id'])
    assert time.monotonic() - started < 0.5
    assert paused['status'] == 'paused'
    frozen = live.progress.current
    elapsed = paused['elapsed_seconds']
    # Pausing holds the job still: its thread is parked in the pause wait, which only a resume ends.
    wait_until(lambda: parked(live), timeout=2, message='the job thread to wait in its pause')
    assert live.progress.current == frozen
    # Paused time must not count as elapsed; only real time passing can show that, so here a sleep it is.
    time.sleep(0.3)
    assert live.progress.current == frozen and parked(live)
    assert service.get(job['id'])['elapsed_seconds'] == pytest.approx(elapsed, abs=0.05)
    resumed = service.resume(job['id'])
    assert resumed['status'] == 'running'
    wait_until(lambda: live.progress.current > frozen + 5)
    service.wait(job['id'], ['completed'], timeout=20)
    types = event_types(service, job['id'])
    assert types.count('paused') == 1 and types.count('resumed') == 1


@ON_BOTH
def test_cancel_running_job(service):
    job = service.submit('demo', SLOW)
    live = service.job(job['id'])
    wait_until(lambda: live.progress.current > 5)
    cancelled = service.cancel(job['id'])
    assert cancelled['status'] == 'cancelled'
    assert cancelled['finished_at'] is not None
    with pytest.raises(IllegalTransition, match='cannot pause a job that is cancelled'):
        service.pause(job['id'])


@ON_BOTH
def test_cancel_paused_job(service):
    job = service.submit('demo', SLOW)
    live = service.job(job['id'])
    wait_until(lambda: live.progress.current > 5)
    service.pause(job['id'])
    assert service.cancel(job['id'])['status'] == 'cancelled'
    assert not live.in_worker


@ON_BOTH
def test_queued_job_can_be_paused_resumed_and_cancelled(make_service):
    service = make_service(workers=1)
    blocker = service.submit('demo', SLOW)
    waiting = service.submit('demo', {'items': 3, 'item_seconds': 0})
    assert service.get(waiting['id'])['queue_position'] == 1
    assert service.pause(waiting['id'])['status'] == 'paused'
    assert service.resume(waiting['id'])['status'] == 'queued'
    assert service.cancel(waiting['id'])['status'] == 'cancelled'
    service.cancel(blocker['id'])
    assert service.get(waiting['id'])['status'] == 'cancelled'


@ON_BOTH
def test_failure_records_error_stage_and_traceback_then_retry_resumes(service):
    job = service.submit('demo', {'items': 30, 'item_seconds': 0, 'fail_at_item': 12})
    failed = service.wait(job['id'], ['failed'], timeout=10)
    assert failed['error'] == 'RuntimeError: simulated failure at item 12 (attempt 1)'
    assert failed['error_stage'] == 'process'
    assert 'Traceback' in failed['traceback'] and 'demo.py' in failed['traceback']
    assert [s['state'] for s in failed['stages']] == ['done', 'failed', 'pending']
    # the failed stage's time stops when the job ended (its duration does not keep growing on the job page)
    assert [s['finished_at'] is not None for s in failed['stages']] == [True, True, False]
    assert failed['stages'][1]['finished_at'] == failed['finished_at']
    assert 'simulated failure' in service.log(job['id'])[0]
    percent_at_failure = failed['progress']

    retried = service.retry(job['id'])
    assert retried['status'] in ('queued', 'running', 'completed')
    done = service.wait(job['id'], ['completed'], timeout=10)
    assert done['attempts'] == 2 and done['error'] is None
    assert 'retried' in event_types(service, job['id'])
    assert done['progress'] >= percent_at_failure
    log_text = service.log(job['id'])[0]
    assert 'attempt 2 started (resuming from checkpoint)' in log_text


def test_completed_job_cannot_be_retried_or_cancelled(service):
    job = service.submit('demo', {'items': 2, 'item_seconds': 0})
    service.wait(job['id'], ['completed'])
    with pytest.raises(IllegalTransition, match='cannot retry a job that is completed'):
        service.retry(job['id'])
    with pytest.raises(IllegalTransition, match='cannot cancel'):
        service.cancel(job['id'])


@ON_BOTH
def test_remove_deletes_row_events_log_and_outputs(service):
    job = service.submit('command', {'command': [sys.executable, '-c', 'import time; print("working", flush=True); '
                                                'time.sleep(60)']})
    live = service.job(job['id'])
    paths = service.config.job_paths
    log_path, output_dir = paths.log_file(job['id']), paths.output_dir(job['id'])
    wait_until(lambda: 'working' in service.log(job['id'])[0])
    output_dir.mkdir(parents=True, exist_ok=True)
    service.remove(job['id'])
    assert not live.in_worker
    assert not log_path.exists()
    assert not output_dir.exists()
    with pytest.raises(KindNotFound.__mro__[1]):  # NotFound
        service.get(job['id'])
    with fresh_repository(service.config.db_url) as repo:
        assert repo.get_job(job['id']) is None
        assert repo.events(job['id']) == []


def test_higher_priority_runs_first_with_one_worker(make_service):
    service = make_service(workers=1)
    blocker = service.submit('demo', {'items': 40, 'item_seconds': 0.01})
    low = service.submit('demo', {'items': 1, 'item_seconds': 0}, priority=0)
    high = service.submit('demo', {'items': 1, 'item_seconds': 0}, priority=10)
    assert service.get(high['id'])['queue_position'] == 1
    assert service.get(low['id'])['queue_position'] == 2
    for job in (blocker, low, high):
        service.wait(job['id'], ['completed'], timeout=20)
    assert service.get(high['id'])['started_at'] < service.get(low['id'])['started_at']


@pytest.mark.parametrize(('kind', 'params', 'expected'), [
    ('nope', {}, "unknown job kind 'nope'"),
    ('demo', {'items': 'many'}, 'valid integer'),
    ('demo', {'items': -3}, 'greater than or equal to 1'),
    ('demo', {'itemz': 3}, "unknown parameter of 'demo'"),
    ('demo', {'stages': {'a': 0}}, 'greater than 0'),
    ('command', {'command': 'ls', 'cwd': '/does/not/exist'}, "the folder '/does/not/exist' does not exist"),
    ('command', {}, "required parameter of 'command' is missing"),
])
def test_bad_input_is_rejected_and_nothing_is_stored(service, kind, params, expected):
    with pytest.raises((InvalidParams, KindNotFound), match=expected):
        service.submit(kind, params)
    assert service.list()['total'] == 0
    assert service.stats()['queued'] == 0


@ON_BOTH
def test_graceful_stop_interrupts_and_next_start_resumes(make_service, tmp_path):
    data = tmp_path / 'shared'
    first = make_service(data_dir=data)
    job = first.submit('demo', {'items': 100, 'item_seconds': 0.02})
    live = first.job(job['id'])
    wait_until(lambda: live.progress.stage == 'process' and live.progress.current >= 10)
    first.shutdown()
    assert first._engine.repo.engine.pool.checkedout() == 0
    second = make_service(data_dir=data)
    resumed = second.job(job['id'])
    wait_until(lambda: resumed.status is Status.RUNNING or resumed.status is Status.COMPLETED)
    done = second.wait(job['id'], ['completed'], timeout=20)
    types = event_types(second, job['id'])
    assert 'interrupted' in types
    assert done['attempts'] == 2
    assert 'resuming from checkpoint' in second.log(job['id'])[0]


@ON_BOTH
def test_paused_job_stays_paused_across_restart(make_service, tmp_path):
    data = tmp_path / 'shared'
    first = make_service(data_dir=data)
    job = first.submit('demo', {'items': 100, 'item_seconds': 0.02})
    live = first.job(job['id'])
    wait_until(lambda: live.progress.current >= 3)
    first.pause(job['id'])
    first.shutdown()
    second = make_service(data_dir=data)
    assert second.get(job['id'])['status'] == 'paused'
    assert second.resume(job['id'])['status'] in ('queued', 'running')
    assert second.wait(job['id'], ['completed'], timeout=20)['attempts'] == 2


@ON_BOTH
def test_retention_purges_old_finished_jobs(service):
    old = service.submit('demo', {'items': 1, 'item_seconds': 0})
    service.wait(old['id'], ['completed'])
    kept = service.submit('demo', {'items': 1, 'item_seconds': 0})
    service.wait(kept['id'], ['completed'])
    service._engine.repo.save(old['id'], {'finished_at': time.time() - 31 * 86400})
    assert service._engine.purge() == 1
    assert [j['id'] for j in service.list()['items']] == [kept['id']]


def test_a_job_that_writes_nothing_leaves_no_log_file(service, request):
    """Creating a file is the costliest step of a trivial job, so a job with no output of its own gets none; a job
    that writes gets the app's notes around its lines."""
    from progress_app import job_kind

    @job_kind('t_silent', target=service._engine.kinds)
    def silent(ctx, say: str = '') -> str:
        if say:
            ctx.log(say)
        return 'ok'

    request.addfinalizer(lambda: service._engine.kinds.remove('t_silent'))
    quiet = service.submit('t_silent', {})
    loud = service.submit('t_silent', {'say': 'hello'})
    service.wait(quiet['id'], ['completed'], timeout=10)
    service.wait(loud['id'], ['completed'], timeout=10)
    assert not service.config.job_paths.log_file(quiet['id']).exists()
    assert service.log(quiet['id']) == ('', 0)
    assert service.log(loud['id'])[0] == '[progress-app] attempt 1 started\nhello\n[progress-app] completed\n'


@ON_BOTH
def test_running_first_lists_the_jobs_holding_a_worker_on_top_across_pages(make_service):
    service = make_service(workers=2)
    done = [service.submit('demo', {'items': 1, 'item_seconds': 0}) for _ in range(3)]
    for job in done:
        service.wait(job['id'], ['completed'])
    slow = [service.submit('demo', {'items': 1000, 'item_seconds': 0.02}) for _ in range(4)]
    # Both as the jobs themselves say (the store's count can be ahead of a job's own status under load).
    running = wait_until(lambda: len(ids := [j['id'] for j in slow if service.get(j['id'])['status'] == 'running'])
                         == 2 and ids)
    service.pause(running[0])  # paused keeps its worker: still on top
    service.wait(running[0], ['paused'])
    on_top = sorted(running, reverse=True)
    rest = [j['id'] for j in reversed(done + slow) if j['id'] not in running]
    for size in (1, 2, 3, 7, 50):
        pages = [service.list(running_first=True, limit=size, offset=start)
                 for start in range(0, 7, size)]
        assert [j['id'] for page in pages for j in page['items']] == on_top + rest, f'pages of {size}'
        assert {page['total'] for page in pages} == {7}
    assert [j['id'] for j in service.list()['items']] == sorted(on_top + rest, reverse=True)  # the default
    filtered = service.list(running_first=True, status=['running', 'queued'])['items']
    assert [j['id'] for j in filtered] == [running[1]] + [j for j in rest if j in {s['id'] for s in slow}]
    for job in slow:
        service.cancel(job['id'])


@ON_BOTH
def test_search_finds_a_name_or_an_error_whatever_its_case(service):
    """PostgreSQL's LIKE minds the case where SQLite's does not: 'nightly' must find 'Nightly' on both (SQLite
    folds the case of ASCII letters only, so 'RÉSUMÉ' would find 'Résumé' on PostgreSQL alone)."""
    job = service.submit('demo', {'items': 1, 'item_seconds': 0}, name='Nightly Résumé of 100% of the /data_x')
    service.wait(job['id'], ['completed'], timeout=10)
    for text in ('nightly résumé', 'NIGHTLY', '100%', '/DATA_X', f"#{job['id']}"):
        assert [j['id'] for j in service.list(search=text)['items']] == [job['id']], text
        assert [j['id'] for j in service.finished(search=text)['items']] == [job['id']], text
    assert service.list(search='100%_')['items'] == []  # % and _ are the user's characters, not wildcards


@ON_BOTH
def test_nul_characters_in_what_a_job_says_are_kept_as_replacement_characters(service):
    """A tool's binary output can carry NUL characters, which PostgreSQL's text columns refuse (the write of the
    job's final row failed: it stayed 'running' for ever): they are stored as U+FFFD on every database."""
    name = f'says_nul_{time.monotonic_ns()}'

    @job_kind(name)
    def says_nul(ctx: JobContext) -> None:
        ctx.message('before\x00after')
        ctx.checkpoint({'at': 'x\x00y'})
        raise ValueError('bad\x00value')

    try:
        job = service.submit(name)
        service.wait(job['id'], ['failed'], timeout=10)
        row = stored_job(service.config.db_url, job['id'])
        assert row['status'] == 'failed' and row['message'] == 'before\ufffdafter'
        assert row['error'] == 'ValueError: bad\ufffdvalue' and '\x00' not in row['traceback']
        assert row['checkpoint']['state'] == {'at': 'x\x00y'}  # JSON keeps it
    finally:
        registry.remove(name)
