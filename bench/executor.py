"""CPU-bound jobs under `--executor threads` and `--executor processes`, in the same run: wall time, CPU time and
the web server's event-loop lag.

Two real apps (`app.py`) run side by side in subprocesses on 127.0.0.1, one per executor, each with a throw-away
data dir, `--workers 4` and bench/_executor_kinds.py as a plugin. After a warm-up job in each (the workers import
the plugin and the app's modules once), two scenarios are timed from the first submit to the last completion,
polling the API:

1. four `bench_executor_cpu` jobs at once: pure-Python arithmetic in `ctx.track` chunks;
2. one `bench_executor_map` job: `ctx.map` over `--items` CPU-bound items.

With threads the four jobs share one core through the GIL and the map's items run one by one in the job's thread;
with processes they run in the LocalCluster's worker processes (one per core by default), the map's items spread
over all of them. Each scenario runs `--repeats` times, the executors taking turns (the first one alternates), so
that the load of other programs falls on both alike; the best run of each counts. Target: processes <= 0.65 x the
threads wall time for each scenario. "CPU s" is the CPU time of the app and its worker processes over the run
(median): the work plus what the executor costs. The event-loop lag is how late a 10 ms timer on the server's loop
ran (a probe the plugin starts in the app process), over all runs of a scenario: with processes the loop no
longer competes with the jobs for the GIL, so the turn-taking of heartbeat.py is not needed for them.

    .venv/bin/python bench/executor.py [--repeats 3] [--rounds 30000000] [--items 80] [--item-rounds 1000000]
        [--executor-workers N] [--only threads|processes]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from _common import machine_note, print_table, start_app, stop_app, tmp_dir, verdict, wait_until

KINDS_FILE = Path(__file__).resolve().parent / '_executor_kinds.py'
TARGET_RATIO = 0.65
JOBS = 4
LATE = 0.05  # a timer tick this late is a stall the pages would show
FLUSH_PAUSE = 0.6  # longer than the probe's flush period: its last samples are in the file
EXECUTORS = ('threads', 'processes')


class App:
    """One running app with an executor, its plugin installed and warmed up."""

    def __init__(self, tmp: Path, executor: str, workers: int | None) -> None:
        import httpx
        import psutil

        self.executor = executor
        folder = tmp / executor
        data_dir = folder / 'data'
        (data_dir / 'plugins').mkdir(parents=True)
        shutil.copy(KINDS_FILE, data_dir / 'plugins' / 'executor_kinds.py')
        self.lag_file = folder / 'lag.txt'
        flags = ['--workers', str(JOBS), '--executor', executor]
        if workers and executor != 'threads':
            flags += ['--executor-workers', str(workers)]
        started = time.perf_counter()
        self.proc, url, log = start_app(data_dir, *flags, env={'BENCH_EXECUTOR_LAG_FILE': str(self.lag_file)})
        self.startup_s = time.perf_counter() - started
        self.process = psutil.Process(self.proc.pid)
        self.http = httpx.Client(base_url=url, timeout=30)
        self.health = self.http.get('/api/health').json().get('executor')
        if 'bench_executor_cpu' not in {k['name'] for k in self.http.get('/api/kinds').json()}:
            raise SystemExit(f'the plugin did not load; see {log}')
        self.run([('bench_executor_cpu', {'rounds': 200_000, 'chunks': 4}),
                  ('bench_executor_map', {'items': 4, 'rounds': 1000})])

    def cpu_seconds(self) -> float:
        """CPU time of the app and its descendants (the cluster's worker processes) so far."""
        total = 0.0
        for process in (self.process, *self.process.children(recursive=True)):
            try:
                times = process.cpu_times()
            except Exception:  # it ended meanwhile
                continue
            total += times.user + times.system
        return total

    def run(self, jobs: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
        """Submit `jobs` at once and wait for all to complete."""
        http = self.http
        cpu, start = self.cpu_seconds(), time.time()
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
                    raise SystemExit(f'job {job_id} {snapshot["status"]}: {snapshot["error"]}\n'
                                     f'{snapshot["traceback"]}')
                if snapshot['status'] != 'completed':
                    return False
                done[job_id] = snapshot
            return True

        wait_until(all_done, timeout=900, interval=0.1, what='the jobs to complete')
        end, cpu = time.time(), self.cpu_seconds() - cpu
        results = [done[i]['result'] for i in ids]
        return {'start': start, 'end': end, 'seconds': end - start, 'cpu': cpu,
                'pids': {r['pid'] for r in results}, 'item_pids': {p for r in results for p in r.get('item_pids', [])}}

    def lags(self, windows: list[tuple[float, float]]) -> list[float]:
        if not self.lag_file.exists():
            return []
        lags = []
        for line in self.lag_file.read_text().splitlines():
            at, lag = (float(v) for v in line.split())
            if any(start <= at <= end for start, end in windows):
                lags.append(lag)
        return sorted(lags)

    def close(self) -> None:
        self.http.close()
        stop_app(self.proc)


def percentile(values: list[float], p: float) -> float | None:
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else None


def where(pids: set[int], app_pid: int) -> str:
    if not pids:
        return '-'
    return 'the app process' if pids == {app_pid} else \
        f'{len(pids)} other processes' if app_pid not in pids else 'the app and other processes'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--repeats', type=int, default=3, help='runs of each scenario per executor (default 3)')
    parser.add_argument('--rounds', type=int, default=30_000_000, help='arithmetic rounds of each CPU job')
    parser.add_argument('--items', type=int, default=80, help='items of the ctx.map job (default 80)')
    parser.add_argument('--item-rounds', type=int, default=1_000_000, help='arithmetic rounds of each map item')
    parser.add_argument('--executor-workers', type=int, help="worker processes (default: the app's, one per core)")
    parser.add_argument('--only', choices=EXECUTORS, help='run one executor only')
    parser.add_argument('--keep', action='store_true', help='keep the data dirs and app logs')
    args = parser.parse_args()
    print(machine_note())

    scenarios = {'cpu': (f'{JOBS} CPU jobs ({args.rounds:,} rounds each)',
                         [('bench_executor_cpu', {'rounds': args.rounds})] * JOBS),
                 'map': (f'ctx.map of {args.items} items ({args.item_rounds:,} rounds each)',
                         [('bench_executor_map', {'items': args.items, 'rounds': args.item_rounds})])}
    executors = [e for e in EXECUTORS if args.only in (None, e)]
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {(e, s): [] for e in executors for s in scenarios}
    lags: dict[tuple[str, str], list[float]] = {}
    with tmp_dir('executor', keep=args.keep) as tmp:
        apps: dict[str, App] = {}
        try:
            for executor in executors:
                apps[executor] = App(tmp, executor, args.executor_workers)
            time.sleep(FLUSH_PAUSE)  # the warm-ups' lag is not counted
            for repeat in range(args.repeats):
                for scenario, (_, jobs) in scenarios.items():
                    for executor in executors if repeat % 2 == 0 else executors[::-1]:
                        runs[executor, scenario].append(apps[executor].run(jobs))
            time.sleep(FLUSH_PAUSE)
            for (executor, scenario), done in runs.items():
                lags[executor, scenario] = apps[executor].lags([(r['start'], r['end']) for r in done])
            for executor, app in apps.items():
                print(f'{executor}: app started in {app.startup_s:.1f} s ({app.health}); CPU jobs ran in '
                      f"{where(set().union(*(r['pids'] for r in runs[executor, 'cpu'])), app.proc.pid)}, map items "
                      f"in {where(set().union(*(r['item_pids'] for r in runs[executor, 'map'])), app.proc.pid)}")
        finally:
            for app in apps.values():
                app.close()

    def best(executor: str, scenario: str) -> float:
        return min(r['seconds'] for r in runs[executor, scenario])

    rows = []
    for scenario, (title, _) in scenarios.items():
        row: list[Any] = [title]
        for executor in EXECUTORS:
            done = runs.get((executor, scenario))
            row += [best(executor, scenario), statistics.median(r['cpu'] for r in done)] if done else ['-', '-']
        if len(executors) == 2:
            ratio = best('processes', scenario) / best('threads', scenario)
            row += [f'{ratio:.2f}', f'<= {TARGET_RATIO}', verdict(ratio <= TARGET_RATIO)]
        else:
            row += ['-', f'<= {TARGET_RATIO}', '-']
        rows.append(row)
    print_table(('scenario', 'threads s', 'CPU s', 'processes s', 'CPU s', 'processes/threads', 'target', 'result'),
                rows, title=f'Wall time, submit to last completion, best of {args.repeats}; {machine_note()}')
    every = ('{} {}: {}'.format(e, s, ', '.join(format(r['seconds'], '.2f') for r in done))
             for (e, s), done in runs.items())
    print('all runs (s): ' + '; '.join(every))

    def ms(value: float | None) -> str:
        return '-' if value is None else f'{value * 1e3:.0f}'

    rows = []
    for (executor, scenario), values in lags.items():
        late = sum(lag > LATE for lag in values) / len(values) if values else 0.0
        rows.append((f'{executor}: {scenarios[scenario][0]}', len(values), ms(percentile(values, 50)),
                     ms(percentile(values, 99)), ms(values[-1] if values else None), f'{late:.1%}'))
    print_table(('executor: scenario', 'ticks', 'p50 ms', 'p99 ms', 'max ms', f'> {LATE * 1e3:.0f} ms'), rows,
                title='Event-loop lag of the web server during each scenario (a 10 ms timer: how late it ran)')


if __name__ == '__main__':
    main()
