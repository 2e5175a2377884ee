"""Throughput of trivial jobs run durably: our engine against Huey's SqliteHuey, in the same process and run.

Ours: Engine + JobService on a SQLite file in a temp dir, `--workers` jobs at once; submit all N (each is
committed before `submit` returns), then wait until all are `completed` (also committed before it shows).
Huey: SqliteHuey on a temp file, a consumer with `--workers` worker threads started in this process
(`Consumer.start()`: `run()` would install signal handlers, which only the main thread may do), enqueue all N,
then wait until all N results are stored. Both clocks run from the first submit to the last completion.

By default SqliteHuey leaves SQLite at `synchronous=FULL` (an fsync on every commit), while we use WAL with
`synchronous=NORMAL` (no fsync on commit). So Huey is measured twice: with its defaults and with
`fsync=False` (`synchronous=OFF`, which in WAL mode is close to our NORMAL); the target uses the faster Huey.
The `processes` row is ours again with `--executor processes`: each job a Dask task on a LocalCluster of worker
processes (one per core), its progress and outcome sent back to the app; the trivial kind is then a plugin (the
workers get the plugins folder shipped). It measures the executor's cost per job, which CPU-bound jobs repay
(bench/executor.py).
"CPU ms/job" is this process's CPU time over the timed part divided by N: it moves less than jobs/s when other
programs load the machine. "kernel ms/job" is the part of it spent in the kernel: for ours mostly creating each
job's log file (on ext4 that costs from ~40 µs to ~1 ms, more when many files were deleted in the last minutes,
e.g. by the previous run) and appending to the WAL. For ours, the line below the table says how well the
state changes were group-committed (commits per job, writes per commit).

    .venv/bin/python bench/throughput.py [--jobs 2000] [--workers 4] [--only ours|processes|huey]

To see where the time goes in every thread (the GIL holder only), with py-spy (`pip install py-spy`):

    py-spy record --gil --threads -f raw -o ours.txt -- .venv/bin/python bench/throughput.py --only ours
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import time
from pathlib import Path

from _common import machine_note, print_table, running_service, tmp_dir, verdict, wait_until

from progress_app import JobContext, job_kind
from progress_app.domain.status import Status

TARGET_RATIO = 2.0


@job_kind('bench_noop', title='Benchmark: trivial job')
def noop(ctx: JobContext, i: int = 0) -> int:
    return i


NOOP_PLUGIN = '''
from progress_app import JobContext, job_kind


@job_kind('bench_noop_shipped', title='Benchmark: trivial job (a plugin: Dask workers get it)')
def noop(ctx: JobContext, i: int = 0) -> int:
    return i
'''


def run_ours(data_dir: Path, jobs: int, workers: int, executor: str = 'threads') -> dict[str, float]:
    kind = 'bench_noop'
    if executor != 'threads':  # the workers know the kinds of the plugins folder, not this script's
        (data_dir / 'plugins').mkdir(parents=True)
        (data_dir / 'plugins' / 'bench_noop_shipped.py').write_text(NOOP_PLUGIN)
        kind = 'bench_noop_shipped'
    with running_service(data_dir, workers, executor=executor) as service:
        engine = service._engine  # the store's commit counters are the engine's own business
        commits, writes = engine.repo.commits
        start, cpu, kernel = time.perf_counter(), time.process_time(), os.times().system
        live = []  # the live objects, taken at once: the engine keeps only the newest finished ones in memory
        for i in range(jobs):
            live.append(service.live_job(service.submit(kind, {'i': i})['id']))
        submitted = time.perf_counter()
        remaining = iter(live)
        pending = next(remaining, None)

        def all_done() -> bool:
            nonlocal pending
            while pending is not None:
                if pending.status is not Status.COMPLETED:
                    return False
                pending = next(remaining, None)
            return True

        wait_until(all_done, timeout=600, interval=0.002, what='all jobs to complete')
        end, cpu, kernel = time.perf_counter(), time.process_time() - cpu, os.times().system - kernel
        commits, writes = (now - before for now, before in zip(engine.repo.commits, (commits, writes), strict=True))
        counts = engine.repo.count_by_status()
        if counts.get('completed', 0) != jobs:
            raise SystemExit(f'expected {jobs} completed jobs in the database, found {counts}')
    return {'submit_s': submitted - start, 'total_s': end - start, 'cpu_s': cpu, 'kernel_s': kernel,
            'commits': commits, 'writes': writes}


def run_huey(path: Path, jobs: int, workers: int, fsync: bool | None) -> dict[str, float]:
    from huey import SqliteHuey

    huey = SqliteHuey('bench', filename=str(path), fsync=fsync)

    @huey.task()
    def noop_task(i: int) -> int:
        return i

    consumer = huey.create_consumer(workers=workers, worker_type='thread', periodic=False)
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer.start()
    try:
        start, cpu, kernel = time.perf_counter(), time.process_time(), os.times().system
        for i in range(jobs):
            noop_task(i)
        submitted = time.perf_counter()
        wait_until(lambda: huey.result_count() >= jobs, timeout=600, interval=0.002, what='all huey results')
        end, cpu, kernel = time.perf_counter(), time.process_time() - cpu, os.times().system - kernel
    finally:
        consumer.stop(graceful=True)
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    return {'submit_s': submitted - start, 'total_s': end - start, 'cpu_s': cpu, 'kernel_s': kernel}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--jobs', type=int, default=2000, help='jobs per system (default 2000)')
    parser.add_argument('--workers', type=int, default=4, help='jobs at once / huey worker threads (default 4)')
    parser.add_argument('--only', choices=('ours', 'processes', 'huey'), help='run one system only')
    args = parser.parse_args()
    logging.getLogger('huey').setLevel(logging.WARNING)

    results: dict[str, dict[str, float]] = {}
    with tmp_dir('throughput') as tmp:
        if args.only in (None, 'ours'):
            results['ours (Engine + JobService, SQLite WAL, sync NORMAL)'] = run_ours(
                tmp / 'ours', args.jobs, args.workers)
        if args.only in (None, 'processes'):
            results['processes (ours, --executor processes)'] = run_ours(tmp / 'processes', args.jobs, args.workers,
                                                                          'processes')
        if args.only in (None, 'huey'):
            results['huey SqliteHuey (defaults: sync FULL)'] = run_huey(tmp / 'huey.db', args.jobs, args.workers,
                                                                         None)
            results['huey SqliteHuey (fsync=False: sync OFF)'] = run_huey(tmp / 'huey-nosync.db', args.jobs,
                                                                           args.workers, False)

    rows = [(name, r['submit_s'], r['total_s'], args.jobs / r['submit_s'], args.jobs / r['total_s'],
             r['cpu_s'] * 1e3 / args.jobs, r['kernel_s'] * 1e3 / args.jobs) for name, r in results.items()]
    print_table(('system', 'submit s', 'total s', 'submits/s', 'jobs/s', 'CPU ms/job', 'kernel ms/job'), rows,
                title=f'Throughput: {args.jobs:,} trivial jobs, {args.workers} workers; {machine_note()}')
    ours = next((r for name, r in results.items() if name.startswith('ours')), None)
    if ours:
        print(f"ours: {ours['commits']:,} commits for {ours['writes']:,} durable writes "
              f"({ours['commits'] / args.jobs:.2f} commits per job, {ours['writes'] / max(ours['commits'], 1):.2f} "
              'writes per commit)')
    processes = next((r for name, r in results.items() if name.startswith('processes')), None)
    if processes:
        relative = f"; {ours['total_s'] / processes['total_s']:.2f}x the jobs/s of threads" if ours else ''
        print(f"processes: {processes['commits']:,} commits ({processes['commits'] / args.jobs:.2f} per job)"
              f'{relative} (no target: a trivial job only pays the trip to a worker)')
    hueys = [r for name, r in results.items() if name.startswith('huey')]
    if ours and hueys:
        ours_rate = args.jobs / ours['total_s']
        rows = []
        for name, r in results.items():
            if name.startswith('huey'):
                ratio = ours_rate / (args.jobs / r['total_s'])
                rows.append((f'ours / {name.removeprefix("huey SqliteHuey ")}', f'{ratio:.2f}'))
        best_huey = max(args.jobs / r['total_s'] for r in hueys)
        ratio = ours_rate / best_huey
        rows.append(('ours / fastest huey (target)', f'{ratio:.2f}', f'>= {TARGET_RATIO}',
                     verdict(ratio >= TARGET_RATIO)))
        print_table(('ratio of jobs/s', 'value', 'target', 'result'), [(*r, '', '')[:4] for r in rows])


if __name__ == '__main__':
    main()
