"""`ctx.map` under `--executor processes`, through the real service: a plugin job's items run as Dask tasks in the
LocalCluster's worker processes, the job's progress counts them live as they finish,
a pause lets the items in flight finish and starts no other, a cancel stops the fan-out, and a restart of the app
goes on with the items that had not finished, never running a finished one again."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from progress_app.config import Settings
from progress_app.runtime.engine.engine import Engine
from progress_app.runtime.service import JobService
from tests.helpers import wait_until

pytest.importorskip('distributed')

TIMEOUT = 60.0  # two busy cores shared with other test runs: generous, never a timing assertion
PLUGIN = '''
"""ctx.map over items that note their call (and pid) in a side file; from `hold_from` on they wait for `gate`."""

import os
import time
from pathlib import Path

from progress_app import JobContext, item_context, job_kind


def item(task):
    with open(task['calls'], 'a') as out:
        out.write(f"{task['n']} {os.getpid()}\\n")
    while task['n'] >= task['hold_from'] and not Path(task['gate']).exists():
        time.sleep(0.01)  # polls the gate file
    return {'n': task['n'], 'pid': os.getpid()}


@job_kind('m_items', title='Items through ctx.map (test)')
def m_items(ctx: JobContext, calls: str, gate: str, items: int = 12, hold_from: int = 1000) -> list:
    with ctx.stage('work'):
        tasks = [{'n': n, 'calls': calls, 'gate': gate, 'hold_from': hold_from} for n in range(items)]
        return ctx.map(item, tasks, unit='items')


def sleeper(task):
    ctx = item_context()
    ctx.run_process(['sh', '-c', f"echo $$ >> {task['pids']}; exec sleep 600"], log_output=False)
    ctx.check()  # a cancelled job's item ends here
    return task['n']


@job_kind('m_children', title='Items with a child process each (test)')
def m_children(ctx: JobContext, pids: str, items: int = 8) -> list:
    with ctx.stage('work'):
        return ctx.map(sleeper, [{'n': n, 'pids': pids} for n in range(items)], unit='items')
'''


def install(data: Path) -> Path:
    (data / 'plugins').mkdir(parents=True, exist_ok=True)
    (data / 'plugins' / 'map_items.py').write_text(PLUGIN)
    return data


def calls(path: Path) -> list[tuple[int, int]]:
    return [(int(n), int(pid)) for n, pid in (line.split() for line in path.read_text().splitlines())] \
        if path.exists() else []


def params(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {'calls': str(tmp_path / 'calls.txt'), 'gate': str(tmp_path / 'gate'), **extra}


def at_least(service: Any, job_id: int, current: int) -> dict[str, Any]:
    return wait_until(lambda: (job := service.get(job_id))['current'] >= current and job, TIMEOUT,
                      message=lambda: f'job {job_id} to count {current} items; it is {service.get(job_id)}')


@pytest.fixture(scope='module')
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobService]:
    """One app with `--executor processes` (two workers) for the module's tests that need no restart."""
    data = install(tmp_path_factory.mktemp('map') / 'data')
    service = JobService(Engine(Settings(data_dir=data, executor='processes', executor_workers=2)))
    service.startup()
    yield service
    service.shutdown(timeout=10)


def ended(service: Any, job_id: int) -> dict[str, Any]:
    done = wait_until(lambda: (j := service.get(job_id))['status'] in ('completed', 'failed') and j, TIMEOUT,
                      message=lambda: f'job {job_id} to end; it is {service.get(job_id)}')
    assert done['status'] == 'completed', done['traceback']
    return done


def test_items_run_in_the_worker_processes_and_are_counted_live(service, tmp_path):
    job = service.submit('m_items', params(tmp_path, items=12, hold_from=6))
    live = at_least(service, job['id'], 6)
    assert (live['status'], live['current'], live['total'], live['unit']) == ('running', 6, 12, 'items')
    (tmp_path / 'gate').touch()
    done = ended(service, job['id'])
    assert [r['n'] for r in done['result']] == list(range(12))
    pids = {r['pid'] for r in done['result']}
    assert os.getpid() not in pids and len(pids) == 2, 'the items ran in both worker processes'
    assert sorted(n for n, _ in calls(tmp_path / 'calls.txt')) == list(range(12))


def test_a_pause_lets_the_items_in_flight_finish_and_starts_no_other(service, tmp_path):
    side = tmp_path / 'calls.txt'
    job = service.submit('m_items', params(tmp_path, items=16, hold_from=4))
    at_least(service, job['id'], 4)
    # One item waits at the gate on each worker (its task's other items, and other tasks, wait behind it).
    wait_until(lambda: len(calls(side)) == 6, TIMEOUT, message=lambda: f'2 items held at the gate: {calls(side)}')
    service.pause(job['id'])
    (tmp_path / 'gate').touch()  # the tasks in flight finish; then the job blocks, paused
    paused = wait_until(lambda: (j := service.get(job['id']))['status'] == 'paused' and j, TIMEOUT,
                        message=lambda: f"the job to be paused; it is {service.get(job['id'])['status']}")
    assert paused['current'] == len(calls(side)), 'every item started before the pause finished and was counted'

    service.resume(job['id'])
    done = ended(service, job['id'])
    assert [r['n'] for r in done['result']] == list(range(16))
    assert sorted(n for n, _ in calls(side)) == list(range(16)), 'each item ran once'


def test_a_cancel_stops_the_fan_out(service, tmp_path):
    side = tmp_path / 'calls.txt'
    job = service.submit('m_items', params(tmp_path, items=40, hold_from=3))
    at_least(service, job['id'], 3)
    assert service.cancel(job['id'])['status'] in ('cancelling', 'cancelled')  # the worker's job stops at its check
    wait_until(lambda: service.get(job['id'])['status'] == 'cancelled', TIMEOUT,
               message=lambda: f"the job to be cancelled; it is {service.get(job['id'])['status']}")
    (tmp_path / 'gate').touch()  # the items in flight may end now
    assert len(calls(side)) < 40, 'the items not started when the job was cancelled never ran'


def test_a_cancel_ends_the_child_processes_of_the_items_in_flight(service, tmp_path):
    """Dask cannot stop a running task: the item's task watches the job's requests and ends its child."""
    pids_file = tmp_path / 'pids.txt'
    job = service.submit('m_children', {'pids': str(pids_file)})

    def started() -> list[int]:
        return [int(pid) for pid in pids_file.read_text().split()] if pids_file.exists() else []

    wait_until(lambda: len(started()) >= 2, TIMEOUT, message=lambda: f'two items in flight: {started()}')
    children = started()
    assert all(alive(pid) for pid in children)
    service.cancel(job['id'])
    wait_until(lambda: service.get(job['id'])['status'] == 'cancelled', TIMEOUT,
               message=lambda: f"the job to be cancelled; it is {service.get(job['id'])['status']}")
    wait_until(lambda: not any(alive(pid) for pid in started()), TIMEOUT,
               message=lambda: f'the items\' children to end: {[p for p in started() if alive(p)]} still run')
    assert len(started()) < 8, 'the items not started when the job was cancelled never ran'


def alive(pid: int) -> bool:
    """Running (a zombie, ended and not yet reaped, is not)."""
    try:
        with open(f'/proc/{pid}/stat') as stat:
            return stat.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def test_a_restart_goes_on_with_the_unfinished_items_only(make_service, tmp_path):
    data, side = install(tmp_path / 'data'), tmp_path / 'calls.txt'
    first = make_service(data, executor='processes', executor_workers=2)
    job = first.submit('m_items', params(tmp_path, items=12, hold_from=6))
    at_least(first, job['id'], 6)
    first.shutdown()  # the items in flight (waiting at the gate) die with the cluster

    (tmp_path / 'gate').touch()
    second = make_service(data, executor='processes', executor_workers=2)
    done = ended(second, job['id'])
    assert done['attempts'] == 2
    assert [r['n'] for r in done['result']] == list(range(12))
    ran = Counter(n for n, _ in calls(side))
    assert all(ran[n] == 1 for n in range(6)), f'a finished item ran again: {ran}'
    assert set(ran) == set(range(12))
