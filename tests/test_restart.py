"""The most important test of the project: the app is killed (SIGKILL, like a crash or a power cut) in the middle of
jobs and started again on the same data directory. Every job must still be listed with its history, interrupted
work must go on at the next unfinished item (redoing at most the item in flight), paused jobs stay paused and
queued ones run.
"""

from __future__ import annotations

import contextlib
import os
import queue
import random
import signal
import time
from typing import Any

import pytest

from progress_app import JobContext, job_kind
from progress_app.config import JobPaths
from progress_app.kinds.registry import registry
from progress_app.store.engine import create_db_engine
from progress_app.store.repository import Repository
from tests.helpers import AppProcess, wait_until
from tests.runtime.test_orphans import both_sleeps, sleeping, with_argv

ITEMS = 200
PROBE_PLUGIN = '''
"""Restart probes: each appends the number of every item it finishes to done.txt, so a test sees what ran twice."""

import time

from progress_app import JobContext, job_kind


@job_kind('probe_track', title='Restart probe (track)', stages={'prepare': 1, 'work': 8})
def probe_track(ctx: JobContext, items: int = 200, item_seconds: float = 0.04) -> dict:
    with ctx.stage('prepare'):
        ctx.message('preparing')
    done = ctx.output_dir / 'done.txt'
    with ctx.stage('work'):
        for item in ctx.track(range(items), unit='items'):
            time.sleep(item_seconds)
            with done.open('a') as out:
                out.write(f'{item}\\n')
            ctx.message(f'item {item}')
    return {'items': items, 'attempt': ctx.attempt}


@job_kind('probe_checkpoint', title='Restart probe (checkpoint)')
def probe_checkpoint(ctx: JobContext, items: int = 200, item_seconds: float = 0.04) -> dict:
    start = (ctx.resume_state or {}).get('next', 0)
    ctx.set_total(items, unit='items')
    ctx.set_current(start)
    done = ctx.output_dir / 'done.txt'
    for item in range(start, items):
        ctx.check()
        time.sleep(item_seconds)
        with done.open('a') as out:
            out.write(f'{item}\\n')
        ctx.advance()
        ctx.checkpoint({'next': item + 1})
    return {'items': items, 'resumed_at': start}
'''


def stored(url: str) -> Repository:
    """The database as the next start will find it (read while the app is dead)."""
    return Repository(create_db_engine(url))


def history(app: AppProcess, job_id: int) -> list[dict[str, Any]]:
    """The job's persisted events: from the API when it has the route, else straight from the database."""
    response = app.client.get(f'/api/jobs/{job_id}/events')
    if response.status_code == 200:
        body = response.json()
        return body['items'] if isinstance(body, dict) else body
    repo = stored(app.db_url)
    try:
        return repo.events(job_id)
    finally:
        repo.engine.dispose()


def check_history_after_restart(events: list[dict[str, Any]]) -> None:
    types = [e['type'] for e in events]
    assert types[:3] == ['created', 'queued', 'started'] and types[-1] == 'completed', types
    interrupted = types.index('interrupted')
    assert types[interrupted + 1:interrupted + 3] == ['queued', 'started'], types
    assert events[interrupted]['data']['reason'] == 'restart'
    assert events[interrupted]['data']['resume'] == 'checkpoint'
    assert [e['data'] for e in events if e['type'] == 'started'] == [{'attempt': 1, 'resuming': False},
                                                                     {'attempt': 2, 'resuming': True}]
    seqs = [e['seq'] for e in events]
    assert seqs == list(range(1, len(seqs) + 1)), 'the history goes on after a restart without gaps or clashes'


def follow(app: AppProcess, job_id: int, timeout: float = 30.0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Poll the job until it completes; returns the final snapshot and every snapshot seen on the way."""
    seen: list[dict[str, Any]] = []

    def completed() -> dict[str, Any] | None:
        snapshot = app.job(job_id)
        seen.append(snapshot)
        assert snapshot['status'] in ('queued', 'running', 'completed'), snapshot
        return snapshot if snapshot['status'] == 'completed' else None

    return wait_until(completed, timeout=timeout, interval=0.02, message=lambda: f'job {job_id} to complete'), seen


@pytest.mark.databases
def test_a_killed_demo_job_goes_on_at_the_next_item_after_a_restart(app_process):
    app = app_process('--workers', '2')
    job_id = app.submit('demo', {'items': ITEMS, 'item_seconds': 0.03})['id']
    before = wait_until(lambda: (s := app.job(job_id))['progress'] >= 40 and s, timeout=20)
    app.kill()

    repo = stored(app.db_url)
    row = repo.get_job(job_id)
    assert 'interrupted' not in [e['type'] for e in repo.events(job_id)]
    repo.engine.dispose()
    assert row is not None and row['status'] == 'running' and row['stage_index'] == 1
    position = row['checkpoint']['track']['process#0']
    # The checkpoint is durable within a few tens of milliseconds: at most the items of the last ~50 ms are lost.
    assert before['current'] - 2 <= position < ITEMS, (before['current'], position)

    app = app_process('--workers', '2')
    listed = app.client.get('/api/jobs', params={'kind': 'demo'}).json()['items']
    assert job_id in [j['id'] for j in listed]
    done, seen = follow(app, job_id)
    assert seen[0]['progress'] >= round(row['progress'] * 100, 2) - 0.01, 'percent never goes back on a restart'
    progress = [s['progress'] for s in seen]
    assert progress == sorted(progress)
    in_process_stage = [s['current'] for s in seen if s['stage'] == 'process' and s['status'] == 'running']
    assert in_process_stage, 'the resumed job should be seen working'
    assert min(in_process_stage) >= position, 'it must go on at the next unfinished item, not start again'
    assert done['progress'] == 100 and done['result'] == {'items': ITEMS} and done['attempts'] == 2
    assert [s['state'] for s in done['stages']] == ['done', 'done', 'done']
    check_history_after_restart(history(app, job_id))
    log = JobPaths.under(app.data_dir).log_file(job_id).read_text()
    assert 'attempt 2 started (resuming from checkpoint)' in log


def processed(app: AppProcess, job_id: int) -> list[int]:
    return [int(line) for line in (JobPaths.under(app.data_dir).output_dir(job_id) / 'done.txt').read_text().split()]


def check_each_item_done_once_but_the_one_in_flight(items: list[int]) -> int | None:
    """Every item done, in order; at most one (the one in flight at the kill) done twice. Returns that one."""
    twice = sorted({n for n in items if items.count(n) > 1})
    assert len(twice) <= 1, f'items done twice: {twice}'
    if not twice:
        assert items == list(range(ITEMS))
        return None
    assert items == [*range(twice[0] + 1), *range(twice[0], ITEMS)], items
    return twice[0]


def test_killed_plugin_jobs_go_on_from_their_checkpoints(app_process, tmp_path):
    plugins = tmp_path / 'data' / 'plugins'
    plugins.mkdir(parents=True)
    (plugins / 'restart_probe.py').write_text(PROBE_PLUGIN)
    app = app_process('--workers', '2')
    kinds = {k['name']: k for k in app.client.get('/api/kinds').json()}
    assert kinds['probe_track']['source'] == kinds['probe_checkpoint']['source'] == 'plugins/restart_probe.py'
    tracked = app.submit('probe_track', {'items': ITEMS})['id']
    checkpointed = app.submit('probe_checkpoint', {'items': ITEMS})['id']
    wait_until(lambda: app.job(tracked)['progress'] >= 40 and app.job(checkpointed)['current'] > 10, timeout=20)
    app.kill()
    lines_at_kill = {job_id: len(processed(app, job_id)) for job_id in (tracked, checkpointed)}

    app = app_process('--workers', '2')
    for job_id in (tracked, checkpointed):
        done, _ = follow(app, job_id)
        assert done['attempts'] == 2 and done['progress'] == 100
        check_history_after_restart(history(app, job_id))
        items = processed(app, job_id)
        redone = check_each_item_done_once_but_the_one_in_flight(items)
        if job_id == checkpointed:
            resumed_at = done['result']['resumed_at']
            assert resumed_at == (redone if redone is not None else lines_at_kill[job_id]) > 10
    assert app.job(tracked)['result'] == {'items': ITEMS, 'attempt': 2}


def act(app: AppProcess, job_id: int, action: str) -> dict[str, Any]:
    response = app.client.post(f'/api/jobs/{job_id}/{action}')
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.databases
def test_paused_jobs_stay_paused_and_queued_ones_run_after_a_kill(app_process):
    """One worker: a job paused while running, one paused while queued, and one queued behind them; SIGKILL."""
    app = app_process('--workers', '1')
    running = app.submit('demo', {'items': ITEMS, 'item_seconds': 0.02})['id']
    queued = app.submit('demo', {'items': 20, 'item_seconds': 0})['id']
    waiting = app.submit('demo', {'items': 20, 'item_seconds': 0})['id']
    assert act(app, waiting, 'pause')['status'] == 'paused'
    wait_until(lambda: (s := app.job(running))['stage'] == 'process' and s['current'] >= 30, timeout=20)
    assert act(app, running, 'pause')['status'] == 'paused'
    assert app.job(queued)['status'] == 'queued', 'a paused job keeps its worker while the app runs'
    app.kill()

    repo = stored(app.db_url)
    row = repo.get_job(running)
    repo.engine.dispose()
    assert row is not None and row['status'] == 'paused'
    position = row['checkpoint']['track']['process#0']
    assert position >= 30

    app = app_process('--workers', '1')
    assert app.job(running)['status'] == 'paused' and app.job(waiting)['status'] == 'paused'
    # The queued job runs: the paused one's worker went with the old process.
    done, _ = follow(app, queued, timeout=10)
    assert done['attempts'] == 1
    paused = app.job(running)
    assert paused['status'] == 'paused' and paused['current'] == position and paused['attempts'] == 1
    assert app.job(waiting)['status'] == 'paused' and app.job(waiting)['attempts'] == 0
    assert 'interrupted' not in [e['type'] for e in history(app, running)]

    assert act(app, running, 'resume')['status'] in ('queued', 'running')
    done, seen = follow(app, running, timeout=20)
    working = [s['current'] for s in seen if s['stage'] == 'process' and s['status'] == 'running']
    assert working and min(working) >= position, 'a resumed job goes on where it was paused'
    assert done['attempts'] == 2 and done['result'] == {'items': ITEMS}
    assert [e['data'] for e in history(app, running) if e['type'] == 'started'][-1] == {'attempt': 2,
                                                                                         'resuming': True}
    act(app, waiting, 'resume')
    assert follow(app, waiting, timeout=10)[0]['attempts'] == 1


@pytest.mark.databases
def test_checkpoints_are_durable_within_tens_of_milliseconds(service):
    """What bounds the work a crash can lose: the recorder commits a moved checkpoint within ~50 ms."""
    name = f'durable_{time.monotonic_ns()}'
    marks: queue.Queue[float] = queue.Queue()
    go_on: queue.Queue[bool] = queue.Queue()

    @job_kind(name)
    def stepper(ctx: JobContext, steps: int = 5) -> None:
        for step in range(steps):
            ctx.checkpoint({'step': step})
            marks.put(time.monotonic())
            go_on.get(timeout=10)

    try:
        job_id = service.submit(name)['id']
        repo = stored(service.config.db_url)
        delays = []
        for step in range(5):
            marked = marks.get(timeout=10)
            wait_until(lambda s=step: (repo.get_job(job_id)['checkpoint'] or {}).get('state') == {'step': s},
                       timeout=2, interval=0.002)
            delays.append(time.monotonic() - marked)
            go_on.put(True)
        service.wait(job_id, ['completed'], timeout=10)
        repo.engine.dispose()
        # Typically 10-40 ms; one step may meet a scheduling hiccup on a busy machine, the middle one may not.
        assert sorted(delays)[2] < 0.06 and max(delays) < 0.25, delays
    finally:
        registry.remove(name)


def test_a_killed_app_leaves_no_copy_of_a_command_beside_its_rerun(app_process):
    """Issue 12: a shell's background children outlived a SIGKILLed app, and the restart ran the command again
    beside them. They die with the app, without waiting for a restart, and the rerun is the only copy."""
    tag = str(random.randrange(10**8, 10**9))
    app = app_process()
    try:
        job = app.submit('command', {'command': f'sleep 1003.{tag} & sleep 1004.{tag}', 'shell': True})
        wait_until(lambda: both_sleeps(tag), message='both sleeps to run')
        app.kill()
        wait_until(lambda: not with_argv(tag), timeout=10, message=lambda: f'no job process left: {with_argv(tag)}')
        again = app_process(data_dir=app.data_dir)
        wait_until(lambda: again.job(job['id'])['attempts'] == 2 and both_sleeps(tag), message='the rerun')
        assert len(sleeping(f'1003.{tag}')) == len(sleeping(f'1004.{tag}')) == 1
    finally:
        for pid in with_argv(tag):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
