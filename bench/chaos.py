"""Chaos: SIGKILL the real app N times at random moments while jobs run, restart it each time, then check the damage.

The app (`app.py --no-browser --port P --data-dir D`) runs a changing mix of jobs, topped up as they finish so there is
always work in flight when the kill comes:
- `bench_chaos_items` (bench/_chaos_kinds.py, copied into D/plugins/): each item appends an fsynced line
  'job <id> item <n>' to its own file inside the `ctx.track()` loop body, before the item's checkpoint, so the files
  tell which items were done twice (by which resume) and which never;
- `demo` (some set to fail at an item: an expected failure);
- `batch` checksums over a generated folder of small files;
- `command` jobs: a Python program printing N/M, and a shell line that starts a grandchild in the background
  (`sh -c 'sleep 1000; :' <marker> & ...`), some with `on_interrupt: fail` (failed after a kill: expected).

After each kill (seeded random moment, `--seed`): the database is read (read-only) for the jobs that were running
and checked with `PRAGMA integrity_check`; the processes the dead app left behind are counted (every process whose
cmdline holds this run's marker or whose environment holds the data dir; the app is started with it in its
environment) at ~5 s and, polling until they are gone, at a 10 s deadline; then the app is started again and the
time from Popen to the first interrupted job `running` again (GET /api/jobs) is measured. Processes still there
after the restart are killed by pid (they would sleep for 1000 s). At the end no more kills: everything is let
finish (bounded by --finish-timeout), the app is stopped with SIGINT and a table with targets is printed.
Exit status 1 if a target fails. Only 127.0.0.1 is contacted.

    .venv/bin/python bench/chaos.py [--kills 50] [--seed 1] [--workers 4] [--keep]
    .venv/bin/python bench/chaos.py --kills 5      # a quick run
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import ROOT, machine_note, print_table, tmp_dir
from recovery import free_port

KINDS_FILE = Path(__file__).resolve().parent / '_chaos_kinds.py'
PLUGIN_KIND = 'bench_chaos_items'
ENV_MARK = 'CHAOS_BENCH_DATA_DIR'  # in the app's environment, so every descendant carries the data dir
LEFT_SAMPLE_SECONDS = 5.0  # leftovers are counted this long after a kill ...
LEFT_DEADLINE_SECONDS = 10.0  # ... and polled until gone, up to this long
AFTER_RESTART_SECONDS = 3.0  # how long the restarted app gets to clean up what the dead one left
START_TIMEOUT = 60.0
TERMINAL = ('completed', 'failed', 'cancelled')
VARIANTS = {'plugin': 35, 'demo': 18, 'demo-fail': 3, 'batch': 14, 'command': 10, 'grandchild': 14, 'command-fail': 6}
FIRST_ROUND = ('grandchild', 'plugin', 'batch', 'demo', 'command', 'command-fail', 'demo-fail')


@dataclass
class Submitted:
    id: int
    kind: str
    variant: str  # plugin, demo, demo-fail, batch, command, grandchild, command-fail-on-interrupt
    params: dict[str, Any]


@dataclass
class KillRecord:
    number: int
    after_seconds: float  # since the app answered
    running: dict[int, int]  # job id -> attempts, as the database had them at the kill
    integrity: str
    left_at_sample: int = 0
    left_at_deadline: int = 0
    left_after_restart: int = 0
    left_names: list[str] = field(default_factory=list)
    restart_to_running: float | None = None


@dataclass
class Run:
    args: argparse.Namespace
    data_dir: Path
    items_dir: Path
    batch_dir: Path
    work: Path
    rng: random.Random
    marker: str
    jobs: dict[int, Submitted] = field(default_factory=dict)
    kills: list[KillRecord] = field(default_factory=list)
    interrupted: set[int] = field(default_factory=set)  # ever running at a kill
    proc: subprocess.Popen[bytes] | None = None
    client: httpx.Client | None = None
    log_path: Path | None = None
    pending_leftovers: dict[int, tuple[str, str]] = field(default_factory=dict)  # what the last kill left
    starts: int = 0
    killed_by_bench: int = 0  # leftover processes this bench had to kill itself
    began: float = field(default_factory=time.monotonic)

    # -- the app ------------------------------------------------------------------------------------------------
    def start_app(self) -> float:
        """Popen the app on a fresh port (not waiting for it); returns the Popen moment (perf_counter)."""
        port = free_port()
        self.starts += 1
        env = {k: v for k, v in os.environ.items() if k != 'PYTEST_CURRENT_TEST'}
        env.update({'PYTHONUNBUFFERED': '1', ENV_MARK: str(self.data_dir)})
        self.log_path = self.work / f'app-{self.starts}.log'
        if self.client is not None:
            self.client.close()
        self.client = httpx.Client(base_url=f'http://127.0.0.1:{port}', timeout=10, trust_env=False)
        with self.log_path.open('wb') as log:
            started = time.perf_counter()
            self.proc = subprocess.Popen([sys.executable, str(ROOT / 'app.py'), '--no-browser', '--port', str(port),
                                          '--data-dir', str(self.data_dir), '--workers', str(self.args.workers)],
                                         cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        return started

    def api(self, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        assert self.client is not None
        try:
            return self.client.request(method, url, **kwargs)
        except httpx.TransportError:
            return None

    def check_alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise SystemExit(f'the app exited by itself with {self.proc.returncode}; its log:\n{self.log_tail()}')

    def log_tail(self) -> str:
        path = self.log_path
        return path.read_text(errors='replace')[-3000:] if path is not None and path.exists() else ''

    def wait_up(self, started: float, watch: dict[int, int]) -> float | None:
        """Until the API answers, and (if `watch`) until the first of them runs again; returns that time or None."""
        first: float | None = None
        up = False
        while time.perf_counter() - started < START_TIMEOUT:
            self.check_alive()
            response = self.api('GET', '/api/jobs', params={'status': 'running', 'limit': 1000}, timeout=2)
            if response is not None and response.status_code == 200:
                up = True
                again = [j for j in response.json()['items'] if j['id'] in watch and j['attempts'] > watch[j['id']]]
                if again:
                    first = time.perf_counter() - started
                if first is not None or not watch:
                    return first
            time.sleep(0.02 if up else 0.01)
        if not up:
            raise SystemExit(f'the app did not answer within {START_TIMEOUT:.0f} s; its log:\n{self.log_tail()}')
        assert self.log_path is not None
        print(f'  none of the interrupted jobs {sorted(watch)} ran again within {START_TIMEOUT:.0f} s '
              f'(see {self.log_path.name})', flush=True)
        return None

    def kill_app(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop_app(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                print('  the app did not stop within 20 s of SIGINT: SIGKILL')
                self.kill_app()

    # -- jobs ---------------------------------------------------------------------------------------------------
    def listing(self) -> dict[int, dict[str, Any]]:
        """Every job of the app (paged), by id; empty if the app does not answer."""
        jobs: dict[int, dict[str, Any]] = {}
        for offset in range(0, 1_000_000, 1000):
            response = self.api('GET', '/api/jobs', params={'limit': 1000, 'offset': offset})
            if response is None or response.status_code != 200:
                return jobs
            items = response.json()['items']
            jobs.update((j['id'], j) for j in items)
            if len(items) < 1000:
                return jobs
        return jobs

    def active(self) -> int | None:
        response = self.api('GET', '/api/jobs', params={'status': ['queued', 'running'], 'limit': 1000})
        return len(response.json()['items']) if response is not None and response.status_code == 200 else None

    def top_up(self) -> None:
        """Submit new jobs until `--active` are queued or running."""
        active = self.active()
        if active is None:
            return
        for _ in range(max(0, self.args.active - active)):
            variant, kind, params = self.new_job()
            response = self.api('POST', '/api/jobs', json={'kind': kind, 'params': params})
            if response is None:
                return
            if response.status_code != 201:
                raise SystemExit(f'submitting {kind} {params} was refused: {response.status_code} {response.text}')
            job = response.json()
            self.jobs[job['id']] = Submitted(job['id'], kind, variant, params)

    def new_job(self) -> tuple[str, str, dict[str, Any]]:
        rng, marker = self.rng, self.marker
        if len(self.jobs) < len(FIRST_ROUND):  # one of each first, so that even a quick run meets them all
            variant = FIRST_ROUND[len(self.jobs)]
        else:
            variant = rng.choices(list(VARIANTS), weights=list(VARIANTS.values()))[0]
        if variant == 'plugin':
            return variant, PLUGIN_KIND, {'out_dir': str(self.items_dir), 'items': rng.randint(40, 160),
                                          'item_seconds': round(rng.uniform(0.03, 0.12), 3)}
        if variant in ('demo', 'demo-fail'):
            items = rng.randint(50, 200)
            params: dict[str, Any] = {'items': items, 'item_seconds': round(rng.uniform(0.02, 0.08), 3)}
            if variant == 'demo-fail':
                params |= {'fail_at_item': rng.randint(1, items), 'fail_times': 1000}
            return variant, 'demo', params
        if variant == 'batch':
            return variant, 'batch', {'source': str(self.batch_dir), 'operation': 'checksum',
                                      'pattern': rng.choice(['*', '*.bin', 'a*, b*', 'c*.bin'])}
        # Commands run again from the start after a kill: shorter than most gaps between kills, so they can finish.
        if variant == 'grandchild':  # a background grandchild the command kills itself when it ends normally
            seconds = rng.randint(2, 6)
            line = (f"sh -c 'sleep 1000; :' {marker}-bg & bg=$!; for i in $(seq 1 {seconds}); do "
                    f'echo "$i/{seconds}"; sleep 1; done; kill $bg; echo {marker}-done')
            return variant, 'command', {'command': line, 'shell': True}
        steps = rng.randint(10, 30)
        code = ('import sys, time\nn, s = int(sys.argv[1]), float(sys.argv[2])\n'
                'for i in range(1, n + 1):\n    time.sleep(s)\n    print(f"{i}/{n}", flush=True)\n')
        params = {'command': [sys.executable, '-c', code, str(steps), str(round(rng.uniform(0.1, 0.2), 2)),
                              f'{marker}-cmd']}
        if variant == 'command-fail':
            params['on_interrupt'] = 'fail'
        return variant, 'command', params

    def variants(self, ids: Iterable[int]) -> str:
        counts = Counter(self.jobs[i].variant if i in self.jobs else 'unknown' for i in ids)
        return ', '.join(f'{variant} {n}' for variant, n in sorted(counts.items()))

    # -- after a kill -------------------------------------------------------------------------------------------
    def read_db(self) -> tuple[dict[int, int], str]:
        """The jobs the database has as running (id -> attempts) and its integrity_check, read-only."""
        db = self.data_dir / 'progress.db'
        try:
            with sqlite3.connect(f'file:{db}?mode=ro', uri=True, timeout=5) as connection:
                running = dict(connection.execute("select id, attempts from job where status = 'running'"))
                check = '; '.join(row[0] for row in connection.execute('pragma integrity_check'))
            connection.close()
            return running, check
        except sqlite3.Error as exc:
            return {}, f'cannot read: {exc}'

    def leftovers(self) -> dict[int, tuple[str, str]]:
        """Processes carrying this run's marker in their cmdline or the data dir in their environment."""
        found: dict[int, tuple[str, str]] = {}
        mark, data = self.marker.encode(), str(self.data_dir).encode()
        me = os.getpid()
        for entry in os.scandir('/proc'):
            if not entry.name.isdigit() or int(entry.name) == me:
                continue
            try:
                cmdline = Path(entry.path, 'cmdline').read_bytes()
                environ = Path(entry.path, 'environ').read_bytes()
                start = Path(entry.path, 'stat').read_text().rsplit(')', 1)[1].split()[19]
            except (OSError, IndexError):
                continue
            if mark in cmdline or data in cmdline or data in environ:
                found[int(entry.name)] = (start, cmdline.replace(b'\0', b' ').decode(errors='replace')[:100])
        return found

    def kill_leftovers(self, pids: dict[int, tuple[str, str]]) -> int:
        """SIGKILL the given leftovers that are still the same processes (same start time); returns how many."""
        now, killed = self.leftovers(), 0
        for pid, (start, _) in pids.items():
            if pid in now and now[pid][0] == start:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except ProcessLookupError:
                    pass
        return killed


def make_batch_folder(folder: Path, rng: random.Random, files: int) -> None:
    folder.mkdir(parents=True)
    for i in range(files):
        (folder / f'{"abc"[i % 3]}{i:06d}.bin').write_bytes(rng.randbytes(rng.randint(100, 1_500)))


def restarted(run: Run, started: float, watch: dict[int, int]) -> None:
    """The app was just Popen'ed: measure restart-to-running, then see whether it cleans up what the last one left."""
    first = run.wait_up(started, watch)
    if not run.kills:
        return
    run.kills[-1].restart_to_running = first
    alive, deadline = run.pending_leftovers, time.monotonic() + AFTER_RESTART_SECONDS
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        now = run.leftovers()
        alive = {pid: v for pid, v in alive.items() if pid in now and now[pid][0] == v[0]}
    run.kills[-1].left_after_restart = len(alive)
    run.killed_by_bench += run.kill_leftovers(alive)
    run.pending_leftovers = {}


def one_cycle(run: Run, number: int, started: float, watch: dict[int, int]) -> None:
    """Measure the restart, let the app work for a random while, kill it, count what it left behind."""
    restarted(run, started, watch)
    up_at = time.perf_counter()
    kill_after = run.rng.uniform(run.args.min_gap, run.args.max_gap)
    while time.perf_counter() - up_at < kill_after:
        run.check_alive()
        run.top_up()
        time.sleep(0.2)
    run.kill_app()
    moment = time.monotonic()
    running, integrity = run.read_db()
    record = KillRecord(number, time.perf_counter() - up_at, running, integrity)
    run.kills.append(record)
    run.interrupted |= set(running)
    left = run.leftovers()
    sampled = False
    while left and time.monotonic() - moment < LEFT_DEADLINE_SECONDS:
        if not sampled and time.monotonic() - moment >= LEFT_SAMPLE_SECONDS:
            record.left_at_sample, sampled = len(left), True
        time.sleep(0.2)
        left = run.leftovers()
    if not sampled:
        record.left_at_sample = len(left)
    record.left_at_deadline = len(left)
    record.left_names = sorted(v[1] for v in left.values())
    run.pending_leftovers = left


def plugin_files(run: Run) -> dict[str, Any]:
    """Items never written (of completed plugin jobs), items written twice, and items redone by each resume."""
    skipped = twice = 0
    per_resume: list[int] = []
    final = run.listing()
    for job in run.jobs.values():
        if job.variant != 'plugin':
            continue
        path = run.items_dir / f'job-{job.id}.txt'
        lines = path.read_text().split('\n') if path.exists() else []
        done_before: set[int] = set()
        counts: Counter[int] = Counter()
        redone: int | None = None
        for line in lines:
            parts = line.split()
            if len(parts) == 5 and parts[4] == 'start':  # 'job <id> attempt <a> start'
                if redone is not None:
                    per_resume.append(redone)
                redone = 0 if int(parts[3]) > 1 and done_before else None
            elif len(parts) == 6 and parts[2] == 'item':
                n = int(parts[3])
                if redone is not None and n in done_before:
                    redone += 1
                counts[n] += 1
                done_before.add(n)
        if redone is not None:
            per_resume.append(redone)
        twice += sum(c - 1 for c in counts.values() if c > 1)
        if final.get(job.id, {}).get('status') == 'completed':
            skipped += sum(1 for n in range(job.params['items']) if n not in counts)
    return {'skipped': skipped, 'twice': twice, 'per_resume': per_resume}


def expected(run: Run, job: Submitted, status: str | None) -> bool:
    if job.variant == 'demo-fail':
        return status == 'failed'
    if job.variant == 'command-fail' and job.id in run.interrupted:
        return status in ('completed', 'failed')
    return status == 'completed'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--kills', type=int, default=50, help='how many SIGKILLs (50)')
    parser.add_argument('--seed', type=int, default=1, help='random seed for the moments and the job mix (1)')
    parser.add_argument('--workers', type=int, default=4, help="the app's --workers (4)")
    parser.add_argument('--active', type=int, default=6, help='keep this many jobs queued or running (6)')
    parser.add_argument('--min-gap', type=float, default=1.0, help='kill at least this long after the app answers')
    parser.add_argument('--max-gap', type=float, default=8.0, help='... and at most this long (8 s)')
    parser.add_argument('--batch-files', type=int, default=40_000,
                        help='small files in the folder the batch jobs checksum (40,000: a few seconds each)')
    parser.add_argument('--finish-timeout', type=float, default=300.0, help='seconds for everything to finish (300)')
    parser.add_argument('--keep', action='store_true', help='keep the temporary folder (data dir, app logs)')
    args = parser.parse_args()
    if args.kills < 0 or args.min_gap < 0 or args.max_gap < args.min_gap:
        parser.error('need --kills >= 0 and 0 <= --min-gap <= --max-gap')

    print(f'chaos: {args.kills} SIGKILLs, seed {args.seed}; {machine_note()}')
    bench_start = time.monotonic()
    with tmp_dir('chaos', keep=args.keep) as work:
        rng = random.Random(args.seed)
        data_dir, items_dir, batch_dir = work / 'data', work / 'items', work / 'batch-source'
        (data_dir / 'plugins').mkdir(parents=True)
        shutil.copy(KINDS_FILE, data_dir / 'plugins' / 'chaos_kinds.py')
        items_dir.mkdir()
        make_batch_folder(batch_dir, rng, args.batch_files)
        run = Run(args, data_dir, items_dir, batch_dir, work, rng, marker=f'chaos-mark-{os.getpid()}-{args.seed}')
        try:
            report = chaos(run)
        finally:
            if run.proc is not None and run.proc.poll() is None:
                run.kill_app()
            run.kill_leftovers(run.leftovers())
            if run.client is not None:
                run.client.close()
    print(f'(took {time.monotonic() - bench_start:.0f} s)')
    sys.exit(0 if report else 1)


def chaos(run: Run) -> bool:
    args = run.args
    watch: dict[int, int] = {}
    for number in range(1, args.kills + 1):
        started = run.start_app()
        one_cycle(run, number, started, watch)
        k = run.kills[-1]
        watch = {job_id: attempts for job_id, attempts in k.running.items()
                 if run.jobs.get(job_id) is None or run.jobs[job_id].variant != 'command-fail'}
        previous = run.kills[-2].restart_to_running if len(run.kills) > 1 else None
        print(f'[{time.monotonic() - run.began:5.0f} s] kill {number:>3}/{args.kills} at +{k.after_seconds:4.1f} s: '
              f'{len(k.running)} running (ids {sorted(k.running)}: {run.variants(k.running)}), '
              f'integrity {k.integrity}, left behind {k.left_at_sample} at '
              f'{LEFT_SAMPLE_SECONDS:.0f} s / {k.left_at_deadline} at {LEFT_DEADLINE_SECONDS:.0f} s'
              + (f' {k.left_names}' if k.left_names else '') + '; '
              f'submitted so far {len(run.jobs)}'
              + (f'; restart-to-running before it {previous:.2f} s' if previous is not None else ''), flush=True)

    started = run.start_app()
    restarted(run, started, watch)
    if run.kills:
        last = run.kills[-1].restart_to_running
        print(f'restarted: restart-to-running {"n/a" if last is None else f"{last:.2f} s"}', flush=True)
    print(f'no more kills: letting {len(run.jobs)} jobs finish (at most {args.finish_timeout:.0f} s)', flush=True)
    deadline = time.monotonic() + args.finish_timeout
    pending: list[int] = []
    while time.monotonic() < deadline:
        run.check_alive()
        jobs = run.listing()
        pending = [i for i in run.jobs if jobs.get(i, {}).get('status') not in TERMINAL]
        if not pending:
            break
        time.sleep(1.0)
    if pending:
        print(f'  still not finished at the deadline: {pending}')
    final = run.listing()
    run.stop_app()
    time.sleep(1.0)
    after_stop = run.leftovers()
    if after_stop:
        print(f'  processes left after a clean stop (SIGINT): {sorted(v[1] for v in after_stop.values())}')
    run.killed_by_bench += run.kill_leftovers(after_stop)
    _, integrity = run.read_db()
    return print_report(run, final, integrity, len(after_stop))


def print_report(run: Run, final: dict[int, dict[str, Any]], integrity: str, after_stop: int) -> bool:
    kills = run.kills
    by_status = Counter(final.get(i, {}).get('status', 'missing') for i in run.jobs)
    lost = [i for i, job in run.jobs.items() if not expected(run, job, final.get(i, {}).get('status'))]
    items = plugin_files(run)
    per_resume = items['per_resume']
    histogram = Counter(min(n, 3) for n in per_resume)
    max_redone = max(per_resume, default=0)
    times = [k.restart_to_running for k in kills if k.restart_to_running is not None]
    unmeasured = sum(1 for k in kills if k.running and k.restart_to_running is None)
    left_sample = [k.left_at_sample for k in kills]
    left_deadline = [k.left_at_deadline for k in kills]
    bad_integrity = [k.number for k in kills if k.integrity != 'ok']
    tracebacks = {log.name: log.read_text(errors='replace').count('Traceback (most recent call last)')
                  for log in sorted(run.work.glob('app-*.log'))}
    tracebacks = {name: n for name, n in tracebacks.items() if n}
    variants = Counter(job.variant for job in run.jobs.values())

    def hit(variant: str) -> int:
        return sum(any(i in run.jobs and run.jobs[i].variant == variant for i in k.running) for k in kills)

    def mark(ok: bool) -> str:
        return 'PASS' if ok else 'FAIL'

    rows = [
        ('kills (SIGKILL)', len(kills), '', ''),
        ('kills with a plugin / a grandchild command job running', f'{hit("plugin")} / {hit("grandchild")}', '', ''),
        ('jobs submitted', f'{len(run.jobs)} ({", ".join(f"{v} {n}" for v, n in sorted(variants.items()))})', '', ''),
        ('final statuses', ', '.join(f'{s} {n}' for s, n in sorted(by_status.items())), '', ''),
        ('jobs lost (missing or not completed, expected failures aside)',
         f'{len(lost)}' + (f' {lost[:10]}' if lost else ''), '0', mark(not lost)),
        ('plugin items skipped (never written, completed jobs)', items['skipped'], '0', mark(items['skipped'] == 0)),
        ('plugin items written more than once (total extra)', items['twice'], '', ''),
        ('plugin items redone per resume: max', f'{max_redone} over {len(per_resume)} resumes', '<= 1',
         mark(max_redone <= 1)),
        ('plugin items redone per resume: histogram',
         ', '.join(f'{"3+" if n == 3 else n}: {histogram.get(n, 0)}' for n in range(4)), '', ''),
        ('PRAGMA integrity_check at the end', integrity, 'ok', mark(integrity == 'ok')),
        ('integrity_check right after each kill: not ok', f'{len(bad_integrity)}' +
         (f' (kills {bad_integrity[:10]})' if bad_integrity else ''), '0', mark(not bad_integrity)),
        ('restart-to-running, s: median / max',
         f'{statistics.median(times):.2f} / {max(times):.2f} (n={len(times)}'
         + ')'
         if times else 'n/a', '', ''),
        (f'restarts after which no interrupted job ran again within {START_TIMEOUT:.0f} s', unmeasured, '0',
         mark(unmeasured == 0)),
        (f'processes left behind ~{LEFT_SAMPLE_SECONDS:.0f} s after a kill: total / max',
         f'{sum(left_sample)} / {max(left_sample, default=0)}', '0', mark(sum(left_sample) == 0)),
        (f'... still there at the {LEFT_DEADLINE_SECONDS:.0f} s deadline: total / max',
         f'{sum(left_deadline)} / {max(left_deadline, default=0)}', '0', mark(sum(left_deadline) == 0)),
        (f'... still there {AFTER_RESTART_SECONDS:.0f} s after the restart answered',
         sum(k.left_after_restart for k in kills), '', ''),
        ('processes left after the final clean stop (SIGINT)', after_stop, '0', mark(after_stop == 0)),
        ("tracebacks in the app's logs", ', '.join(f'{name}: {n}' for name, n in tracebacks.items()) or 0, '', ''),
    ]
    print_table(('chaos', 'measured', 'target', 'result'), rows,
                title=f'Chaos: {len(kills)} SIGKILLs of app.py, seed {run.args.seed}, --workers {run.args.workers}; '
                      f'{machine_note()}')
    if run.killed_by_bench:
        print(f'(the bench killed {run.killed_by_bench} leftover processes itself, by pid)')
    return all(row[3] != 'FAIL' for row in rows)


if __name__ == '__main__':
    main()
