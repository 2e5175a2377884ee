"""CPU-bound jobs under `--executor threads` and `--executor processes`, in the same run: wall time and the web
server's event-loop lag.

For each executor the real app (`app.py`) runs in a subprocess on 127.0.0.1 with a throw-away data dir, `--workers
4` and bench/_executor_kinds.py as a plugin. After a warm-up job (the workers import the plugin and the app's
modules once), two scenarios are timed from the first submit to the last completion, polling the API:

1. four `bench_executor_cpu` jobs at once: pure-Python arithmetic in `ctx.track` chunks;
2. one `bench_executor_map` job: `ctx.map` over `--items` CPU-bound items.

With threads the four jobs share one core through the GIL and the map's items run one by one in the job's thread;
with processes they run in the LocalCluster's worker processes (one per core by default), the map's items spread
over all of them. Target: processes <= 0.65 x the threads wall time for each scenario. The event-loop lag is how
late a 10 ms timer on the server's loop ran (a probe the plugin starts in the app process), over each scenario:
with processes the loop no longer competes with the jobs for the GIL, so the turn-taking of heartbeat.py is not
needed for them.

    .venv/bin/python bench/executor.py [--rounds 30000000] [--items 80] [--item-rounds 1000000]
        [--executor-workers N] [--only threads|processes]
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

from _common import machine_note, print_table, start_app, stop_app, tmp_dir, verdict, wait_until

KINDS_FILE = Path(__file__).resolve().parent / '_executor_kinds.py'
TARGET_RATIO = 0.65
JOBS = 4
LATE = 0.05  # a timer tick this late is a stall the pages would show
FLUSH_PAUSE = 0.6  # longer than the probe's flush period: its last samples are in the file


def run_jobs(http: Any, jobs: list[tuple[str, dict[str, Any]]]) -> tuple[float, float, list[dict[str, Any]]]:
    """Submit `jobs` at once and wait for all to complete: (start, end) wall times and their snapshots."""
    start = time.time()
    ids = []
    for kind, params in jobs:
        response = http.post('/api/jobs', json={'kind': kind, 'params': params})
        response.raise_for_status()
        ids.append(response.json()['id'])
    done: dict[int, dict[str, Any]] = {}

    def all_done() -> bool:
        for job_id in ids:
            if job_id in done:
                continue
            snapshot = http.get(f'/api/jobs/{job_id}').json()
            if snapshot['status'] in ('failed', 'cancelled'):
                raise SystemExit(f'job {job_id} {snapshot["status"]}: {snapshot["error"]}\n{snapshot["traceback"]}')
            if snapshot['status'] != 'completed':
                return False
            done[job_id] = snapshot
        return True

    wait_until(all_done, timeout=900, interval=0.1, what='the jobs to complete')
    return start, time.time(), [done[i] for i in ids]


def lags_between(lag_file: Path, start: float, end: float) -> list[float]:
    if not lag_file.exists():
        return []
    lags = []
    for line in lag_file.read_text().splitlines():
        at, lag = (float(v) for v in line.split())
        if start <= at <= end:
            lags.append(lag)
    return sorted(lags)


def percentile(values: list[float], p: float) -> float | None:
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else None


def run_executor(tmp: Path, executor: str, args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    folder = tmp / executor
    data_dir = folder / 'data'
    (data_dir / 'plugins').mkdir(parents=True)
    shutil.copy(KINDS_FILE, data_dir / 'plugins' / 'executor_kinds.py')
    lag_file = folder / 'lag.txt'
    started = time.perf_counter()
    flags = ['--workers', str(JOBS), '--executor', executor]
    if args.executor_workers and executor != 'threads':
        flags += ['--executor-workers', str(args.executor_workers)]
    proc, url, log = start_app(data_dir, *flags, env={'BENCH_EXECUTOR_LAG_FILE': str(lag_file)})
    startup = time.perf_counter() - started
    out: dict[str, Any] = {'startup_s': startup, 'app_pid': proc.pid}
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            out['health'] = http.get('/api/health').json().get('executor')
            kinds = {k['name'] for k in http.get('/api/kinds').json()}
            if 'bench_executor_cpu' not in kinds:
                raise SystemExit(f'the plugin did not load; see {log}')
            run_jobs(http, [('bench_executor_cpu', {'rounds': 200_000, 'chunks': 4}),  # warm-up
                            ('bench_executor_map', {'items': 4, 'rounds': 1000})])
            time.sleep(FLUSH_PAUSE)  # the lag of the warm-up is not counted
            cpu = run_jobs(http, [('bench_executor_cpu', {'rounds': args.rounds})] * JOBS)
            mapped = run_jobs(http, [('bench_executor_map', {'items': args.items, 'rounds': args.item_rounds})])
            time.sleep(FLUSH_PAUSE)
        for name, (start, end, snapshots) in (('cpu', cpu), ('map', mapped)):
            out[name] = {'seconds': end - start, 'lags': lags_between(lag_file, start, end),
                         'pids': sorted({s['result']['pid'] for s in snapshots}),
                         'item_pids': sorted({p for s in snapshots for p in s['result'].get('item_pids', [])})}
    finally:
        stop_app(proc)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=30_000_000, help='arithmetic rounds of each CPU job')
    parser.add_argument('--items', type=int, default=80, help='items of the ctx.map job (default 80)')
    parser.add_argument('--item-rounds', type=int, default=1_000_000, help='arithmetic rounds of each map item')
    parser.add_argument('--executor-workers', type=int, help='worker processes (default: the app\'s, one per core)')
    parser.add_argument('--only', choices=('threads', 'processes'), help='run one executor only')
    parser.add_argument('--keep', action='store_true', help='keep the data dirs and app logs')
    args = parser.parse_args()
    print(machine_note())

    results: dict[str, dict[str, Any]] = {}
    with tmp_dir('executor', keep=args.keep) as tmp:
        for executor in ('threads', 'processes'):
            if args.only in (None, executor):
                results[executor] = run_executor(tmp, executor, args)

    for executor, r in results.items():
        where = 'the app process' if r['cpu']['pids'] == [r['app_pid']] else \
            f"{len(r['cpu']['pids'])} other processes" if r['app_pid'] not in r['cpu']['pids'] else 'mixed'
        items = 'the app process' if r['map']['item_pids'] == [r['app_pid']] else \
            f"{len(r['map']['item_pids'])} other processes" if r['app_pid'] not in r['map']['item_pids'] else 'mixed'
        print(f"{executor}: app started in {r['startup_s']:.1f} s ({r['health']}); CPU jobs ran in {where}, "
              f'map items in {items}')

    def ms(value: float | None) -> str:
        return '-' if value is None else f'{value * 1e3:.0f}'

    names = {'cpu': f'{JOBS} CPU jobs ({args.rounds:,} rounds each)',
             'map': f'ctx.map of {args.items} items ({args.item_rounds:,} rounds each)'}
    rows = []
    for scenario, title in names.items():
        row: list[Any] = [title]
        for executor in ('threads', 'processes'):
            row.append(results[executor][scenario]['seconds'] if executor in results else '-')
        if len(results) == 2:
            ratio = results['processes'][scenario]['seconds'] / results['threads'][scenario]['seconds']
            row += [f'{ratio:.2f}', f'<= {TARGET_RATIO}', verdict(ratio <= TARGET_RATIO)]
        else:
            row += ['-', f'<= {TARGET_RATIO}', '-']
        rows.append(row)
    print_table(('scenario', 'threads s', 'processes s', 'processes/threads', 'target', 'result'), rows,
                title=f'Wall time, submit to last completion; {machine_note()}')

    rows = []
    for executor, r in results.items():
        for scenario, title in names.items():
            lags = r[scenario]['lags']
            late = sum(lag > LATE for lag in lags) / len(lags) if lags else 0.0
            rows.append((f'{executor}: {title}', len(lags), ms(percentile(lags, 50)), ms(percentile(lags, 99)),
                         ms(lags[-1] if lags else None), f'{late:.1%}'))
    print_table(('executor: scenario', 'ticks', 'p50 ms', 'p99 ms', 'max ms', f'> {LATE * 1e3:.0f} ms'), rows,
                title='Event-loop lag of the web server during each scenario (a 10 ms timer: how late it ran)')


if __name__ == '__main__':
    main()
