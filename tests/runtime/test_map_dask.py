"""`DaskMapper` on a real `LocalCluster` of two worker processes: a job function running in a Dask task maps its
items onto the workers (pids other than the test's), gets the results in order, skips the items a checkpoint
already has, stops submitting while paused (those in flight finish first) and drops what is outstanding when
cancelled. The JobContext is the real one, over a Job, with a stand-in for the app's lifecycle."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from progress_app.domain.progress import Stage
from progress_app.domain.status import Status
from progress_app.errors import JobCancelled
from progress_app.runtime.engine.context import JobContext
from progress_app.runtime.engine.job import Job
from progress_app.runtime.executor.mapping import DaskMapper, Sizes
from progress_app.runtime.files.logfile import JobLog
from progress_app.runtime.live.heartbeat import LoopHeartbeat

distributed = pytest.importorskip('distributed')


def work(item: dict[str, Any]) -> dict[str, Any]:
    """Notes its call; from item `hold_from` on waits until the `release` file exists."""
    n = item['n']
    with open(item['calls'], 'a') as out:
        out.write(f'{n}\n')
    if n >= item['hold_from']:
        while not Path(item['release']).exists():
            time.sleep(0.005)  # polls the release file
    return {'n': n, 'square': n * n, 'pid': os.getpid()}


class Lifecycle:
    """The parts of the app's lifecycle a JobContext calls; a pause is held until the map has drained."""

    def __init__(self) -> None:
        self.paused_with: tuple[int, int] | None = None  # (items called, results kept) when the job blocked

    def enter_stage(self, job: Job, index: int) -> None:
        job.progress.enter(index)

    def finish_stage(self, job: Job) -> None:
        job.progress.finish_stage()

    def save_checkpoint(self, job: Job) -> None:
        job.checkpoint_saved = job.checkpoint_version

    def honour_requests(self, job: Job) -> None:
        if job.cancel_requested:
            raise JobCancelled()
        if job.pause_requested:
            calls = Path(job.params['calls']).read_text().split()
            self.paused_with = (len(calls), len(job.map_results.get('run#0', {})))
            job.request_stop(pause_requested=False)  # resumed at once: the test looks at what the pause saw


def worker_context(job: Job, folder: Path) -> tuple[JobContext, Lifecycle]:
    """A real JobContext over `job` in a Dask task, mapping with DaskMapper; its log and output go to `folder`."""
    lifecycle = Lifecycle()
    ctx = JobContext(job, lifecycle=lifecycle, log=JobLog(folder / 'job.log', 1_000_000),  # type: ignore[arg-type]
                     output_dir=folder / 'out', heartbeat=LoopHeartbeat(), mapper=DaskMapper())
    return ctx, lifecycle


def run_job(params: dict[str, Any], earlier: dict[str, Any], stop_after: int | None, stop: str) -> dict[str, Any]:
    """A job function's task on a worker: maps `work` over `params['items']` items with DaskMapper."""
    job = Job(id=7, name='mapped', kind='test', status=Status.RUNNING, priority=0, params=params,
              stages=(Stage('run', 1.0),), created_at=0.0)
    job.map_results = {'run#0': dict(earlier)} if earlier else {}
    ctx, lifecycle = worker_context(job, Path(params['calls']).parent)
    seen: list[int] = []

    def on_result(index: int, result: Any) -> None:
        seen.append(index)
        if stop_after is not None and len(seen) == stop_after:
            job.request_stop(**{stop: True})
            if stop == 'cancel_requested':
                Path(params['release']).touch()  # the held items may end now

    items = [{'n': n, **params} for n in range(params['items'])]
    outcome: dict[str, Any] = {'pid': os.getpid()}
    try:
        with ctx.stage('run'):
            outcome['results'] = ctx.map(work, items, unit='items', on_result=on_result)
    except JobCancelled:
        outcome['cancelled'] = True
    outcome |= {'current': job.progress.current, 'total': job.progress.total, 'paused_with': lifecycle.paused_with,
                'kept': job.map_results.get('run#0', {})}
    return outcome


@pytest.fixture(scope='module')
def client() -> Iterator[Any]:
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=':0',
                                  worker_dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        yield client


def params(tmp_path: Path, items: int, hold_from: int = 10**9) -> dict[str, Any]:
    return {'items': items, 'calls': str(tmp_path / 'calls.txt'), 'release': str(tmp_path / 'release'),
            'hold_from': hold_from}


def calls(tmp_path: Path) -> list[int]:
    return sorted(int(line) for line in (tmp_path / 'calls.txt').read_text().split())


def test_items_run_in_worker_processes_and_come_back_in_order(client, tmp_path):
    done = client.submit(run_job, params(tmp_path, 12), {}, None, '', pure=False).result(timeout=60)
    assert [r['n'] for r in done['results']] == list(range(12))
    assert [r['square'] for r in done['results']] == [n * n for n in range(12)]
    pids = {r['pid'] for r in done['results']}
    assert os.getpid() not in pids and done['pid'] != os.getpid()
    assert (done['current'], done['total']) == (12, 12)
    assert sorted(done['kept'], key=int) == [str(n) for n in range(12)]
    assert calls(tmp_path) == list(range(12))


def test_a_resumed_map_skips_the_items_its_checkpoint_has(client, tmp_path):
    earlier = {str(n): {'n': n, 'square': n * n, 'pid': 'earlier'} for n in (0, 1, 2, 5)}
    done = client.submit(run_job, params(tmp_path, 8), earlier, None, '', pure=False).result(timeout=60)
    assert [r['n'] for r in done['results']] == list(range(8))
    assert [r['pid'] == 'earlier' for r in done['results']] == [n in (0, 1, 2, 5) for n in range(8)]
    assert calls(tmp_path) == [3, 4, 6, 7]


def test_a_pause_lets_the_items_in_flight_finish_before_the_job_blocks(client, tmp_path):
    done = client.submit(run_job, params(tmp_path, 12), {}, 2, 'pause_requested', pure=False).result(timeout=60)
    called, kept = done['paused_with']
    assert called == kept, 'every item started before the pause had its result kept when the job blocked'
    assert [r['n'] for r in done['results']] == list(range(12))
    assert calls(tmp_path) == list(range(12))


def test_a_cancel_drops_the_outstanding_items_and_raises(client, tmp_path):
    (tmp_path / 'calls.txt').touch()
    done = client.submit(run_job, params(tmp_path, 40, hold_from=3), {}, 3, 'cancel_requested',
                         pure=False).result(timeout=60)
    assert done.get('cancelled') and 'results' not in done
    assert len(done['kept']) < 40 and len(calls(tmp_path)) < 40, 'the items not yet started never ran'


def test_short_items_go_in_groups_that_still_fill_every_slot():
    now = [100.0]
    sizes = Sizes(threads=2, limit=4, clock=lambda: now[0])
    assert sizes.next(80) == 1, 'one item per task until the pace is known'
    sizes.finished(4)
    now[0] += 0.02  # 4 items in 0.02 s on 2 threads: 10 ms of a thread each
    assert sizes.next(80) == 20 and sizes.next(40) == 10 and sizes.next(3) == 1
    sizes.finished(40)
    now[0] += 40.0  # slow items: one a task
    assert sizes.next(80) == 1
