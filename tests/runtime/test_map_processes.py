"""`ctx.map` under `--executor processes`, through the real service: a plugin job's items run as Dask tasks in the
LocalCluster's worker processes, the job's progress counts them live as they finish, a cancel stops the fan-out,
and a restart of the app goes on with the items that had not finished, never running a finished one again."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import wait_until

pytest.importorskip('distributed')

TIMEOUT = 60.0  # two busy cores shared with other test runs: generous, never a timing assertion
PLUGIN = '''
"""ctx.map over items that note their call (and pid) in a side file; from `hold_from` on they wait for `gate`."""

import os
import time
from pathlib import Path

from progress_app import JobContext, job_kind


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


def test_items_run_in_worker_processes_counted_live_and_a_cancel_stops_the_fan_out(make_service, tmp_path):
    service = make_service(install(tmp_path / 'data'), executor='processes', executor_workers=2)
    job = service.submit('m_items', params(tmp_path, items=12, hold_from=6))
    live = at_least(service, job['id'], 6)
    assert (live['status'], live['current'], live['total'], live['unit']) == ('running', 6, 12, 'items')
    (tmp_path / 'gate').touch()
    done = wait_until(lambda: (j := service.get(job['id']))['status'] in ('completed', 'failed') and j, TIMEOUT)
    assert done['status'] == 'completed', done['traceback']
    assert [r['n'] for r in done['result']] == list(range(12))
    pids = {r['pid'] for r in done['result']}
    assert os.getpid() not in pids and len(pids) == 2, 'the items ran in both worker processes'

    side = tmp_path / 'cancelled.txt'
    job = service.submit('m_items', {**params(tmp_path, items=40, hold_from=3), 'calls': str(side),
                                     'gate': str(tmp_path / 'gate2')})
    at_least(service, job['id'], 3)
    assert service.cancel(job['id'])['status'] in ('cancelling', 'cancelled')  # the worker's job stops at its check
    wait_until(lambda: service.get(job['id'])['status'] == 'cancelled', TIMEOUT,
               message=lambda: f"the job to be cancelled; it is {service.get(job['id'])['status']}")
    (tmp_path / 'gate2').touch()  # the items in flight may end now
    assert len(calls(side)) < 40, 'the items not started when the job was cancelled never ran'


def test_a_restart_goes_on_with_the_unfinished_items_only(make_service, tmp_path):
    data, side = install(tmp_path / 'data'), tmp_path / 'calls.txt'
    first = make_service(data, executor='processes', executor_workers=2)
    job = first.submit('m_items', params(tmp_path, items=12, hold_from=6))
    at_least(first, job['id'], 6)
    first.shutdown()  # the items in flight (waiting at the gate) die with the cluster

    (tmp_path / 'gate').touch()
    second = make_service(data, executor='processes', executor_workers=2)
    done = wait_until(lambda: (j := second.get(job['id']))['status'] in ('completed', 'failed') and j, TIMEOUT)
    assert done['status'] == 'completed', done['traceback']
    assert done['attempts'] == 2
    assert [r['n'] for r in done['result']] == list(range(12))
    ran = Counter(n for n, _ in calls(side))
    assert all(ran[n] == 1 for n in range(6)), f'a finished item ran again: {ran}'
    assert set(ran) == set(range(12))
