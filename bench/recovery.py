"""Restart recovery: how long after `python app.py` starts are 100 interrupted jobs running again?

Builds a data dir as a crash leaves it: 10,000 finished jobs (with their history) and 100 `demo` jobs still
marked `running` with a checkpoint (3 of 1,000 items done, one hour per item, so they keep running once
resumed). Rows are written with the app's own tables and values (`Job.progress_values()`, the demo kind's
validated params and stages), then checked with `recovery.job_from_row`.

Then it measures, each in a fresh process:
- the import cost alone: the interpreter, `import nicegui`, `import progress_app.app` (best of 3);
- the engine alone (no web server): `Engine.start()` on a copy of the data dir until all 100 are running;
- the real app, `app.py --no-browser --port P --data-dir D --workers 100`, each start on a fresh copy of the
  crashed data dir (best of `--repeats`): from the process start until the API answers, until all 100 are
  `running` again in the database (read-only polling), and until `GET /api/jobs?status=running` lists them.
  Target: ≤ 2 s to the last. The app is killed (SIGKILL) at the end of each run.

    .venv/bin/python bench/recovery.py [--finished 10000] [--interrupted 100] [--repeats 3] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from _common import ROOT, machine_note, print_table, tmp_dir, verdict

TARGET_SECONDS = 2.0
ITEMS = 1000
DONE_ITEMS = 3
ITEM_SECONDS = 3600.0  # the demo's maximum: resumed jobs sit in their next item until the app is killed


def build(data_dir: Path, finished: int, interrupted: int) -> None:
    """Write the rows the engine would have written before a crash (status `running` with a checkpoint)."""
    from sqlalchemy import insert

    from progress_app.config import Settings
    from progress_app.domain.events import Event, EventType
    from progress_app.domain.status import Status
    from progress_app.kinds import builtin
    from progress_app.kinds.registry import registry
    from progress_app.runtime.engine.job import Job
    from progress_app.runtime.engine.recovery import job_from_row
    from progress_app.store.engine import create_db_engine, init_schema
    from progress_app.store.tables import JobEventRow, JobRow

    builtin.register()
    demo = registry.get('demo')
    settings = Settings(data_dir=data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.db_url)
    init_schema(engine)

    def one(job_id: int, running: bool, created: float) -> tuple[dict, list[tuple[EventType, float, dict]]]:
        """A job's row and history as the engine writes them: done (20 items) or stopped in 'process'."""
        params = demo.validate({'items': ITEMS if running else 20, 'item_seconds': ITEM_SECONDS if running else 0.01})
        stages = demo.stages_for(params)
        options = {'stages_declared': demo.stages_declared}
        job = Job(id=job_id, name=demo.title, kind='demo', status=Status.RUNNING if running else Status.COMPLETED,
                  priority=0, params=params, stages=stages, created_at=created, options=options)
        started = created + 1.0
        history: list[tuple[EventType, float, dict]] = [
            (EventType.CREATED, created, {'kind': 'demo', 'params': params}), (EventType.QUEUED, created, {}),
            (EventType.STARTED, started, {'attempt': 1, 'resuming': False})]
        p = job.progress
        for index, stage in enumerate(stages):
            p.enter(index)
            history.append((EventType.STAGE, started + index, {'stage': stage.name, 'index': index,
                                                                'state': 'started', 'progress': job.percent}))
            if running and index == 1:  # in the middle of 'process': DONE_ITEMS done and checkpointed
                p.total, p.unit, p.current = ITEMS, 'items', DONE_ITEMS
                job.track_positions[f'{stage.name}#0'] = DONE_ITEMS
                p.message = f'item {DONE_ITEMS + 1} of {ITEMS}'
                break
            p.total, p.unit = (5, 'steps') if index != 1 else (20, 'items')
            job.track_positions[f'{stage.name}#0'] = int(p.total)
            p.finish_stage()
            history.append((EventType.STAGE, started + index + 0.5, {'stage': stage.name, 'index': index,
                                                                      'state': 'done', 'progress': job.percent}))
        job.meter.start(0.0, p.fraction(), p.current)
        if running:
            values = {'status': 'running', 'attempts': 1, 'started_at': started, **job.progress_values(5.0)}
        else:
            p.finish_all()
            job.meter.finish(4.0)
            values = {'status': 'completed', 'attempts': 1, 'started_at': started, 'finished_at': started + 4.0,
                      'result': {'items': 20}, **job.progress_values(4.0)}
            history.append((EventType.COMPLETED, started + 4.0, {'result': {'items': 20}}))
        row = {'id': job_id, 'name': job.name, 'kind': job.kind, 'priority': 0, 'params': params,
               'options': options, 'created_at': created, **values}
        job_from_row(row | {'last_seq': len(history)})  # the app must be able to load it
        return row, history

    now = time.time()
    total = finished + interrupted
    event_ids = iter(range(1, 1 << 40))
    jobs: list[dict] = []
    events: list[dict] = []
    done_row, done_history = one(0, running=False, created=0.0)  # finished jobs differ only in id and times
    for job_id in range(1, total + 1):
        created = now - (total - job_id) * 30.0 - 600.0  # one every 30 s, the newest 10 minutes ago
        if job_id <= finished:
            row = done_row | {'id': job_id, 'created_at': created, 'started_at': created + 1.0,
                              'finished_at': done_row['finished_at'] + created}
            history = [(type_, at + created, data) for type_, at, data in done_history]
        else:
            row, history = one(job_id, running=True, created=created)
        jobs.append(row)
        events.extend(Event(next(event_ids), job_id, seq, at, type_, data).to_dict()
                      for seq, (type_, at, data) in enumerate(history, start=1))

    with engine.begin() as connection:
        for start in range(0, len(jobs), 1000):
            connection.execute(insert(JobRow.__table__), jobs[start:start + 1000])  # type: ignore[attr-defined]
        for start in range(0, len(events), 5000):
            connection.execute(insert(JobEventRow.__table__), events[start:start + 5000])  # type: ignore[attr-defined]
    engine.dispose()


def import_seconds(statement: str, repeats: int = 3) -> float:
    """Best wall time of `statement` in a fresh interpreter (the interpreter's own start-up excluded)."""
    code = f'import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)'
    return min(float(subprocess.run([sys.executable, '-c', code], cwd=ROOT, check=True, capture_output=True,
                                    text=True).stdout.split()[-1]) for _ in range(repeats))


def interpreter_seconds(repeats: int = 3) -> float:
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, '-c', 'pass'], check=True)
        best = min(best, time.perf_counter() - start)
    return best


def engine_only(data_dir: Path, interrupted: int) -> dict[str, float]:
    """Engine.start() without the web server, in a child process (its jobs sleep for an hour: it is killed)."""
    out = subprocess.run([sys.executable, __file__, '--engine-child', str(data_dir), '--interrupted',
                          str(interrupted)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f'the engine child failed:\n{out.stderr}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def engine_child(data_dir: Path, interrupted: int) -> None:
    start = time.perf_counter()
    from progress_app.config import Settings
    from progress_app.domain.status import Status
    from progress_app.runtime.engine.engine import Engine
    from progress_app.runtime.service import JobService

    imported = time.perf_counter()
    engine = Engine(Settings(data_dir=data_dir, workers=100))
    service = JobService(engine)
    built = time.perf_counter()
    service.startup()
    started = time.perf_counter()
    deadline = started + 60
    while sum(job.status is Status.RUNNING and job.attempts >= 2 for job in list(engine.jobs.values())) < interrupted:
        if time.perf_counter() > deadline:
            break
        time.sleep(0.001)
    running = time.perf_counter()
    print(json.dumps({'import_s': imported - start, 'init_s': built - imported, 'start_s': started - built,
                      'running_s': running - built}))
    sys.stdout.flush()
    os._exit(0)  # the resumed jobs sleep in their item: skip joining the worker threads


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def db_running(db: Path) -> int | None:
    """Jobs running again: before the crash they were `running` in attempt 1; a restart makes it attempt 2."""
    try:
        with sqlite3.connect(f'file:{db}?mode=ro', uri=True, timeout=0.05) as connection:
            return connection.execute("select count(*) from job where status = 'running' and attempts >= 2"
                                      ).fetchone()[0]
    except sqlite3.Error:
        return None


def api_get(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def run_app(data_dir: Path, interrupted: int, log_path: Path, timeout: float) -> dict[str, float]:
    port = free_port()
    base = f'http://127.0.0.1:{port}'
    db = data_dir / 'progress.db'
    marks: dict[str, float] = {}
    with log_path.open('wb') as log:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / 'app.py'), '--no-browser', '--port', str(port),
                                 '--data-dir', str(data_dir), '--workers', '100'],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, 'PYTHONUNBUFFERED': '1'})
        try:
            while len(marks) < 3:
                now = time.perf_counter() - start
                if now > timeout or proc.poll() is not None:
                    raise SystemExit(f'after {now:.1f} s: {marks or "nothing"}; the app '
                                     f'{"exited" if proc.poll() is not None else "is still starting"}; its log:\n'
                                     f'{log_path.read_text(errors="replace")[-3000:]}')
                if 'db' not in marks and (db_running(db) or 0) >= interrupted:
                    marks['db'] = time.perf_counter() - start
                listed = api_get(f'{base}/api/jobs?status=running&limit=1000')
                if listed is not None:
                    marks.setdefault('http_up', time.perf_counter() - start)
                    again = sum(item['attempts'] >= 2 for item in listed['items'])
                    if again >= interrupted and 'http' not in marks:
                        marks['http'] = time.perf_counter() - start
                time.sleep(0.005)
            marks['stats'] = api_get(f'{base}/api/queue/stats')  # type: ignore[assignment]
            sample = api_get(f'{base}/api/jobs?status=running&limit=1')
            marks['sample'] = sample['items'][0] if sample and sample['items'] else None  # type: ignore[assignment]
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)  # resumed jobs sleep in an hour-long item: no graceful stop
            proc.wait(10)
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--finished', type=int, default=10_000, help='finished jobs in the data dir (10,000)')
    parser.add_argument('--interrupted', type=int, default=100, help='jobs left running by the crash (100)')
    parser.add_argument('--timeout', type=float, default=60.0, help='give up on the app after this many seconds')
    parser.add_argument('--repeats', type=int, default=3, help='app and engine starts; the best counts (3)')
    parser.add_argument('--keep', action='store_true', help='keep the temporary data dir')
    parser.add_argument('--engine-child', type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_child:
        engine_child(args.engine_child, args.interrupted)
        return

    with tmp_dir('recovery', keep=args.keep) as tmp:
        crashed = tmp / 'crashed'
        start = time.perf_counter()
        build(crashed, args.finished, args.interrupted)
        built = time.perf_counter() - start
        size = (crashed / 'progress.db').stat().st_size / 1e6
        print(f'built {args.finished:,} finished + {args.interrupted} interrupted jobs in {built:.1f} s '
              f'(progress.db {size:.1f} MB)')

        interpreter = interpreter_seconds()
        nicegui = import_seconds('import nicegui')
        app_module = import_seconds('import progress_app.app')
        runtime = import_seconds('import progress_app.runtime.service')
        engines, apps = [], []
        for i in range(args.repeats):  # each run starts from a fresh copy of the crashed data dir
            shutil.copytree(crashed, tmp / f'engine-{i}')
            engines.append(engine_only(tmp / f'engine-{i}', args.interrupted))
        for i in range(args.repeats):
            shutil.copytree(crashed, tmp / f'app-{i}')
            apps.append(run_app(tmp / f'app-{i}', args.interrupted, tmp / f'app-{i}.log', args.timeout))

    def best(runs: list[dict], key: str) -> str:
        values = sorted(run[key] for run in runs)
        return f'{values[0]:.2f}' + (f'  ({", ".join(f"{v:.2f}" for v in values[1:])})' if len(values) > 1 else '')

    print_table(('import cost (fresh process, best of 3)', 'seconds'), [
        ('python -c pass (interpreter start-up)', interpreter),
        ('import nicegui', nicegui),
        ('import progress_app.app (includes nicegui; GC on, unlike in app.py)', app_module),
        ('import progress_app.runtime.service (no UI)', runtime),
    ], title=f'Start-up costs; {machine_note()}')
    print_table((f'engine alone (no web server), best of {args.repeats} (others)', 'seconds'), [
        ('Engine(...) (registers the built-in kinds)', best(engines, 'init_s')),
        ('service.startup(): recovery, dispatch', best(engines, 'start_s')),
        (f'Engine(...) until all {args.interrupted} are running', best(engines, 'running_s')),
    ])
    headline = min(run['http'] for run in apps)
    print_table((f'app.py, from process start, best of {args.repeats} (others)', 'seconds', 'target', 'result'), [
        ('API answers (/api/jobs)', best(apps, 'http_up'), '', ''),
        (f'all {args.interrupted} running in the database', best(apps, 'db'), '', ''),
        (f'all {args.interrupted} running per GET /api/jobs', best(apps, 'http'), f'<= {TARGET_SECONDS}',
         verdict(headline <= TARGET_SECONDS)),
    ], title=f'Recovery: {args.finished:,} finished + {args.interrupted} interrupted jobs, --workers 100')
    stats, sample = apps[-1].get('stats'), apps[-1].get('sample')
    if isinstance(stats, dict) and isinstance(sample, dict):
        print(f'check: completed={stats["completed"]}, running={stats["running"]}; job {sample["id"]} resumed in '
              f'stage {sample["stage"]!r} at {sample["current"]:g}/{sample["total"]:g} (checkpoint was '
              f'{DONE_ITEMS}), attempts={sample["attempts"]}')


if __name__ == '__main__':
    main()
